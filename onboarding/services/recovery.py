"""The processor's portal password after activation (issue 13): "Wachtwoord vergeten?", the
password change in the account, asking the password again before a sensitive change, and the
notice to a registered address when someone fills in the registration form with it.

Every mail goes through the outbox (a column on the processor's row, sent by a task after
commit): the request that asks for it does the same small work for a known and an unknown
address and answers the same.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.dispatch import enqueue_on_commit
from onboarding import limits, task_names
from onboarding.models import CONFIRMED_STATES, PayrollProcessor
from onboarding.services.accounts import registration_activate


def password_reset_request(*, email: str, client_ip: str) -> None:
    """Mail a one-time link to choose a new password if ``email`` belongs to a processor with a
    portal account; otherwise do nothing. The caller answers the same in both cases.

    Raises ``RateLimited`` (per client address and per e-mail address, known or not).
    """
    email = email.strip()
    limits.password_reset_request(email, client_ip)
    with transaction.atomic():
        processor_id = (
            PayrollProcessor.objects.filter(
                email__iexact=email, user__isnull=False, status__in=CONFIRMED_STATES
            )
            .values_list("pk", flat=True)
            .first()
        )
        if processor_id is None:
            return
        PayrollProcessor.objects.filter(pk=processor_id).update(
            password_reset_due_at=timezone.now()
        )
        enqueue_on_commit(task_names.SEND_PASSWORD_RESET_MAIL, processor_id)


def password_reset_complete(*, processor: PayrollProcessor, password: str) -> PayrollProcessor:
    """Set the password chosen through the reset link (an account never activated is activated
    by it). Other sessions of the account end (Django's session hash); the address's count of
    failed logins starts over."""
    processor = registration_activate(
        processor=processor, password=password, actor_label="wachtwoord vergeten"
    )
    limits.login_success(processor.email)
    return processor


def password_change(*, user: AbstractBaseUser, password: str) -> None:
    """The logged-in processor's new password (the form checked the old one). Sessions on other
    devices end; the view keeps the current one (``update_session_auth_hash``)."""
    user.set_password(password)
    user.save(update_fields=["password"])


def reauthenticate(*, user: AbstractBaseUser, password: str) -> bool:
    """Is ``password`` the account's portal password? Wrong ones count towards a lockout of
    these changes (``REAUTH_FAILURES_ALLOWED`` per ``LOGIN_LOCKOUT_SECONDS``).

    Raises ``RateLimited`` when the account has used up its attempts (also for the right
    password).
    """
    limits.reauth_check_not_locked(user.pk)
    if user.check_password(password):
        return True
    limits.reauth_failure(user.pk)
    return False


def duplicate_notice_request(*, processor_id: int) -> None:
    """Someone filled in the registration form with this processor's address or Loket.nl user:
    mail the address on file (after commit, through the outbox), at most
    :data:`~onboarding.limits.DUPLICATE_NOTICES_PER_DAY` times a day."""
    if not limits.duplicate_notice_allowed(processor_id):
        return
    with transaction.atomic():
        PayrollProcessor.objects.filter(pk=processor_id).update(
            duplicate_notice_due_at=timezone.now()
        )
        enqueue_on_commit(task_names.SEND_DUPLICATE_NOTICE_MAIL, processor_id)
