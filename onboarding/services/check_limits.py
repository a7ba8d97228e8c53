"""a.s.r. lifts the daily cap of failed credential checks for a registration's Loket.nl account
(:mod:`onboarding.limits`): the processor called, a.s.r. knows who it is."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from onboarding import limits
from onboarding.models import PayrollProcessor
from onboarding.services.history import record_status_change

CAP_LIFTED_NOTE = (
    "controlelimiet opgeheven (mislukte controles van vandaag: account en omgevingscode)"
)


def check_cap_lift(*, processor: PayrollProcessor, by: AbstractBaseUser, actor_label: str) -> None:
    """Start today's counts of failed checks over for ``processor``'s account (omgevingscode +
    gebruikersnaam) and for its omgevingscode, so its checks are asked of Loket.nl again.
    Needs the confirm permission; written to the processor's history."""
    if not by.has_perm("onboarding.confirm_payrollprocessor"):
        raise PermissionDenied(_("U mag de controlelimiet niet opheffen."))
    limits.check_cap_lift(processor.omgevingscode, processor.loket_username)
    record_status_change(
        processor,
        from_status=processor.status,
        actor=by,
        actor_label=actor_label,
        note=CAP_LIFTED_NOTE,
    )
