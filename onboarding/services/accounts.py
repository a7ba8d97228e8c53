"""The processor's portal account: activation from the confirmation mail's one-time link, and
logging in with the e-mail address, with a lockout after repeated failures.

The lockout counters live in Redis (:mod:`onboarding.limits`): ``LOGIN_FAILURES_ALLOWED``
failures lock the e-mail address (and, more loosely, the client address) out for
``LOGIN_LOCKOUT_SECONDS``, even for the right password.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, login
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from onboarding import limits
from onboarding.models import CONFIRMED_STATES, PayrollProcessor, Status
from onboarding.services.history import record_status_change


def registration_activate(
    *, processor: PayrollProcessor, password: str, actor_label: str = "activatielink"
) -> PayrollProcessor:
    """The processor sets its portal password from the one-time link (the activation link, or
    the "Wachtwoord vergeten?" link: ``actor_label``)."""
    with transaction.atomic():
        locked = (
            PayrollProcessor.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=processor.pk)
        )
        if locked.user is None or locked.status not in CONFIRMED_STATES:
            raise ValidationError(_("Deze aanmelding kan (nog) niet worden geactiveerd."))
        locked.user.set_password(password)
        locked.user.save(update_fields=["password"])
        previous = locked.status
        if locked.activated_at is None:
            locked.activated_at = timezone.now()
        if locked.status == Status.CONFIRMED:
            locked.status = Status.ACTIVE
        locked.save()
        if locked.status != previous:
            record_status_change(
                locked, from_status=previous, actor=locked.user, actor_label=actor_label
            )
    return locked


def login_attempt(
    *, request: HttpRequest, email: str, password: str, client_ip: str
) -> AbstractBaseUser | None:
    """Log the processor registered with ``email`` in on ``request``; ``None`` for a wrong
    combination (counted towards the lockout).

    Raises ``RateLimited`` when the address (or the client address) is locked out, also for the
    right password, and when the counters cannot be read (fails closed; ``unavailable`` set).
    The answer never tells whether an e-mail address is registered: an unknown address costs the
    same password hash and counts towards the same lockout.
    """
    email = email.strip()
    limits.login_check_not_locked(email, client_ip)
    processor = (
        PayrollProcessor.objects.select_related("user")
        .filter(email__iexact=email, user__isnull=False)
        .first()
    )
    user = None
    if processor is not None:
        user = authenticate(request, username=processor.user.username, password=password)
    else:
        make_password(password)  # the same work as a real check: no timing oracle
    if user is None:
        limits.login_failure(email, client_ip)  # raises too when attempts raced past the check
        return None
    login(request, user)
    limits.login_success(email)
    return user
