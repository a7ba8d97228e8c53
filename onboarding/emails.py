"""The portal's e-mails about a payroll-processor registration (text + HTML, in the mail language).

Each function takes a processor id (the Celery tasks in ``onboarding.tasks`` call them with what
they were given), loads the registration, and builds and sends one mail through the portal's mail
plumbing (:mod:`common.mail`) from ``templates/onboarding/emails/<name>_subject.txt``,
``<name>_body.txt`` and ``<name>_body.html``.

Rules every mail here follows:

- **No secrets in a mail**: never the Loket.nl password (the templates get a plain dict of the
  fields they show, not the model instance, so not even the ciphertext is reachable), and the
  activation token only inside the confirmation mail's link.
- **No token in a log line**: nothing here logs a link; log lines name the processor id only.
- **Untrusted text stays text**: company names and reasons are autoescaped in the HTML bodies;
  the text bodies render without escaping (plain text has nothing to escape), and a subject is
  folded onto one line so a name with line breaks cannot add mail headers.
- **Stale mail is not sent**: each mail checks that the registration is still in the state it
  describes (a confirmation whose processor already activated its account is dropped).

Idempotency: a mail task may run twice for one event (an autoretry after an SMTP error that came
after the server had already accepted the message, a broker redelivering a message, staff pressing
"resend"), and then the processor gets the mail twice. That is accepted on purpose: every mail is
informative, and two confirmation mails carry two links that both stay valid until the first one
is used (the token depends on the password hash, which activation changes). We do not claim a
"sent" row first, because a claim taken before a failed send would lose the mail, and a lost
mail is worse than a duplicate one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from common.mail import (
    MAIL_LANGUAGE,
    absolute_url,
    build,
    mail_language,
    recipient_language,
    send_all,
)
from locket_client.diagnose import Finding
from onboarding.models import PayrollProcessor, Status
from onboarding.tokens import RESET_LINK_SECONDS, recovery_token_generator

logger = logging.getLogger(__name__)


def _send(
    name: str, *, to: list[str], context: dict[str, Any], language: str = MAIL_LANGUAGE
) -> None:
    """Build ``onboarding/emails/<name>`` in ``language`` and send it; an SMTP failure raises
    (the task retries)."""
    send_all([build(f"onboarding/emails/{name}", to=to, context=context, language=language)])


def _to_processor(processor: PayrollProcessor, name: str, context: dict[str, Any]) -> None:
    """Send ``name`` to the processor's address, in the language it registered in."""
    _send(
        name, to=[processor.email], context=context, language=recipient_language(processor.language)
    )


def _load(processor_id: int) -> PayrollProcessor | None:
    processor = PayrollProcessor.objects.select_related("user").filter(pk=processor_id).first()
    if processor is None:
        logger.warning("mail for processor %s not sent: no such registration", processor_id)
    return processor


def _about(processor: PayrollProcessor) -> dict[str, Any]:
    """What a template may show of a registration (never the password, not even encrypted)."""
    return {
        "company_name": processor.company_name,
        "email": processor.email,
        "omgevingscode": processor.omgevingscode,
        "loket_username": processor.loket_username,
        "created_at": processor.created_at,
    }


def manual_step_url(anchor: str) -> str:
    """The absolute link to a step (``anchor``) of the manual page, for mails."""
    return absolute_url(reverse("onboarding:manual")) + (f"#{anchor}" if anchor else "")


def _findings(processor: PayrollProcessor) -> list[dict[str, str]]:
    """The stored findings, worded in the mail's language, each with the manual step to fix it
    and the link to that step."""
    worded = []
    with mail_language(recipient_language(processor.language)):
        for data in processor.check_findings or []:
            try:
                finding = Finding.from_dict(data)
            except (KeyError, ValueError, TypeError):
                logger.warning("processor %s has an unreadable finding", processor.pk)
                continue
            step = finding.manual_step()
            worded.append(
                {
                    "step": step,
                    "step_url": manual_step_url(getattr(step, "anchor", "")),
                    "message": finding.message(),
                }
            )
    return worded


def activation_path(processor: PayrollProcessor) -> str:
    """A fresh one-time activation path for ``processor.user``.

    One-time because ``default_token_generator`` hashes the user's password hash into the
    token, and activation sets a password; it expires after ``PASSWORD_RESET_TIMEOUT``.
    """
    user = processor.user
    if user is None:
        raise ValueError("processor has no user account yet")
    return reverse(
        "onboarding:activate",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def send_asr_notification(*, processor_id: int) -> None:
    """Tell a.s.r. (``ASR_NOTIFY_EMAIL``) that a new registration came in."""
    processor = _load(processor_id)
    if processor is None:
        return
    admin_path = reverse("admin:onboarding_payrollprocessor_change", args=[processor.pk])
    admin_url = absolute_url(admin_path)
    _send(
        "asr_notification",
        to=[settings.ASR_NOTIFY_EMAIL],
        context={"processor": _about(processor), "admin_url": admin_url},
    )


def send_confirmation(*, processor_id: int) -> None:
    """Send "uw aanmelding is verwerkt" with a one-time link to set a portal password."""
    processor = _load(processor_id)
    if processor is None:
        return
    if processor.status != Status.CONFIRMED or processor.user is None:
        # Activated meanwhile (the link would not work any more) or no longer confirmed.
        logger.info("confirmation mail for processor %s skipped: status changed", processor_id)
        return
    _to_processor(
        processor,
        "confirmation",
        {
            "processor": _about(processor),
            "activation_url": absolute_url(activation_path(processor)),
            "link_valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            "link_valid_hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
        },
    )


def send_rejection(*, processor_id: int) -> None:
    """The registration was rejected, with a.s.r.'s reason."""
    processor = _load(processor_id)
    if processor is None:
        return
    if processor.status != Status.REJECTED:
        logger.info("rejection mail for processor %s skipped: status changed", processor_id)
        return
    _to_processor(
        processor,
        "rejection",
        {"processor": _about(processor), "reason": processor.rejection_reason},
    )


def send_needs_attention(*, processor_id: int) -> None:
    """A re-check failed: the findings with the manual steps that fix them, and a login link."""
    processor = _load(processor_id)
    if processor is None:
        return
    if processor.status != Status.NEEDS_ATTENTION:
        logger.info("needs-attention mail for processor %s skipped: status changed", processor_id)
        return
    _to_processor(
        processor,
        "needs_attention",
        {
            "processor": _about(processor),
            "findings": _findings(processor),
            "login_url": absolute_url(reverse("onboarding:login")),
        },
    )


def send_received(*, processor_id: int) -> None:
    """Tell the processor its registration came in, with the link to its status page (where it
    follows the check and corrects its Loket.nl details). The link is the only key to that page,
    so it goes to the registered address alone."""
    processor = _load(processor_id)
    if processor is None:
        return
    status_path = reverse("onboarding:status", kwargs={"token": processor.status_token})
    status_url = absolute_url(status_path)
    _to_processor(
        processor,
        "received",
        {"processor": _about(processor), "status_url": status_url},
    )


# --- issue 13: new Loket.nl credentials wait for a.s.r.; a.s.r. changes the e-mail address ------


def _pending(processor: PayrollProcessor) -> dict[str, Any]:
    """The waiting omgevingscode and gebruikersnaam (never the password)."""
    return {
        "omgevingscode": processor.pending_omgevingscode,
        "loket_username": processor.pending_loket_username,
    }


def send_credential_change_waiting(*, processor_id: int) -> None:
    """Tell the processor its new omgevingscode or gebruikersnaam waits for a.s.r. (and that
    the current credentials stay in use until then)."""
    processor = _load(processor_id)
    if processor is None or not processor.has_pending_credentials:
        return
    _to_processor(
        processor,
        "credential_change_waiting",
        {"processor": _about(processor), "pending": _pending(processor)},
    )


def send_credential_change_asr(*, processor_id: int) -> None:
    """Tell a.s.r. (in Dutch) that waiting credentials passed their check and need its word."""
    processor = _load(processor_id)
    if processor is None or not processor.has_pending_credentials:
        return
    admin_path = reverse("admin:onboarding_payrollprocessor_change", args=[processor.pk])
    _send(
        "credential_change_asr",
        to=[settings.ASR_NOTIFY_EMAIL],
        context={
            "processor": _about(processor),
            "pending": _pending(processor),
            "admin_url": absolute_url(admin_path),
        },
    )


def send_credential_change_decision(*, processor_id: int) -> None:
    """a.s.r.'s decision on the waiting credentials: confirmed (now in use) or rejected, with
    the reason."""
    processor = _load(processor_id)
    if processor is None or processor.pending_decision not in ("confirmed", "rejected"):
        return
    _to_processor(
        processor,
        f"credential_change_{processor.pending_decision}",
        {"processor": _about(processor), "reason": processor.pending_decision_reason},
    )


def send_email_changed(*, processor_id: int) -> None:
    """a.s.r. changed the processor's e-mail address: the old and the new address hear of it."""
    processor = _load(processor_id)
    if processor is None or not processor.previous_email:
        return
    _send(
        "email_changed",
        to=[processor.previous_email, processor.email],
        context={
            "processor": _about(processor),
            "old_email": processor.previous_email,
            "new_email": processor.email,
        },
        language=recipient_language(processor.language),
    )


# --- accounts (issue 13) -------------------------------------------------------------------------


def password_reset_path(processor: PayrollProcessor) -> str:
    """A fresh one-time "Wachtwoord vergeten?" path for ``processor.user`` (made when the mail
    is sent, never stored; it ends when the password is set or the user logs in)."""
    user = processor.user
    if user is None:
        raise ValueError("processor has no user account yet")
    return reverse(
        "onboarding:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": recovery_token_generator.make_token(user),
        },
    )


def send_password_reset(*, processor_id: int) -> None:
    """ "Wachtwoord vergeten?": the one-time link to choose a new portal password."""
    processor = _load(processor_id)
    if processor is None:
        return
    if processor.user is None or not processor.is_confirmed:
        logger.info("password reset mail for processor %s skipped: no account", processor_id)
        return
    _to_processor(
        processor,
        "password_reset",
        {
            "processor": _about(processor),
            "reset_url": absolute_url(password_reset_path(processor)),
            "forgotten_url": absolute_url(reverse("onboarding:password_reset")),
            "link_valid_minutes": max(1, RESET_LINK_SECONDS // 60),
        },
    )


def send_duplicate_notice(*, processor_id: int) -> None:
    """Someone filled in the registration form with this processor's e-mail address or its
    Loket.nl web-service user: tell the address on file (the form answered as for any
    registration, so that it tells a stranger nothing)."""
    processor = _load(processor_id)
    if processor is None:
        return
    _to_processor(
        processor,
        "duplicate_notice",
        {
            "processor": _about(processor),
            "login_url": absolute_url(reverse("onboarding:login")),
            "forgotten_url": absolute_url(reverse("onboarding:password_reset")),
            "status_url": absolute_url(
                reverse("onboarding:status", kwargs={"token": processor.status_token})
            ),
            "has_account": processor.user is not None and processor.is_confirmed,
        },
    )
