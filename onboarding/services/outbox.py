"""Claim, send, mark: every mail about a registration goes out exactly once from here, and the
sweep that hands lost mails to Celery again (broker down or emptied, a task out of retries, a
mail server that refused).

There is no queue of our own: each mail is a column on the processor's row, due since the time
it holds (set in the transaction of the change the mail is about):

- ``received_mail_due_at``: the processor's "aanmelding ontvangen" with its status link;
- ``asr_notice_due_at``: a.s.r.'s notice of a new registration (sent with the receipt);
- ``status_mail_due_at``: the mail of the current status (confirmation with the activation link,
  rejection, needs attention), also when staff send it again. Which mail is decided when it is
  sent, so a mail that no longer fits (a confirmation after the account was activated) is not.

Each mail is sent inside a transaction that holds the row (:func:`common.outbox.hold`) and empties
its column: a task delivered twice, or the sweep's copy of one still on its way, sends nothing the
second time; a send that fails rolls back and the mail stays due. A row another transaction holds
raises :class:`~common.outbox.RowsHeld` and the task tries again a few seconds later. After the
sweep resent a mail, ``mail_retry_at`` keeps it from resending it again for a while.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.dispatch import enqueue
from common.outbox import REARM, RowsHeld, hold
from onboarding import emails, task_names
from onboarding.models import PayrollProcessor, Status

GRACE = dt.timedelta(seconds=30)
"""How long a mail may be due (its task on its way) before the sweep hands it out again."""

_STATUS_MAILS: dict[str, Callable[..., None]] = {
    Status.CONFIRMED: emails.send_confirmation,
    Status.REJECTED: emails.send_rejection,
    Status.NEEDS_ATTENTION: emails.send_needs_attention,
}
_STATUS_TASKS = {
    Status.CONFIRMED: task_names.SEND_CONFIRMATION_MAIL,
    Status.REJECTED: task_names.SEND_REJECTION_MAIL,
    Status.NEEDS_ATTENTION: task_names.SEND_NEEDS_ATTENTION_MAIL,
}


def status_mail_task(status: str) -> str | None:
    """The task that sends the mail of ``status`` (``None``: that status has no mail)."""
    return _STATUS_TASKS.get(status)


def _send_due(processor_id: int, sends: dict[str, Callable[[PayrollProcessor], None]]) -> list[str]:
    """Hold the row if any of the columns of ``sends`` is due, send those that are, and empty
    them, in one transaction. Returns the columns sent."""
    due_q = Q()
    for column in sends:
        due_q |= Q(**{f"{column}__isnull": False})
    due = PayrollProcessor.objects.filter(due_q, pk=processor_id)
    with transaction.atomic():
        mine, others = hold(due)
        if others:
            raise RowsHeld(others)
        if not mine:
            return []
        processor = PayrollProcessor.objects.select_related("user").get(pk=processor_id)
        sent = [column for column in sends if getattr(processor, column) is not None]
        for column in sent:
            sends[column](processor)
        PayrollProcessor.objects.filter(pk=processor_id).update(
            **dict.fromkeys(sent), mail_retry_at=None
        )
    return sent


def registration_mails_send(*, processor_id: int) -> bool:
    """The processor's receipt with the link to its status page, and a.s.r.'s notice of the new
    registration: each once, together (one hold on the row, not two waiting for each other)."""
    return bool(
        _send_due(
            processor_id,
            {
                "received_mail_due_at": lambda p: emails.send_received(processor_id=p.pk),
                "asr_notice_due_at": lambda p: emails.send_asr_notification(processor_id=p.pk),
            },
        )
    )


def status_mail_send(*, processor_id: int) -> bool:
    """The mail of the registration's current status, once per time it was asked for. A status
    without a mail (or a mail that no longer fits it) sends nothing and is marked done."""

    def send(processor: PayrollProcessor) -> None:
        sender = _STATUS_MAILS.get(processor.status)
        if sender is not None:
            sender(processor_id=processor.pk)

    return bool(_send_due(processor_id, {"status_mail_due_at": send}))


def unsent_mails_enqueue(*, older_than: dt.timedelta = GRACE) -> dict[str, int]:
    """The beat's sweep: every mail still due a while after its moment, handed to Celery again,
    then left alone for :data:`~common.outbox.REARM` (``mail_retry_at``) so that a mail server
    down for an hour does not gather a copy on every run. A copy of a task still on its way finds
    nothing due and sends nothing. A broker error raises, and what was not enqueued stays due
    for the next run."""
    now = timezone.now()
    before = now - older_than
    ready = PayrollProcessor.objects.filter(
        Q(mail_retry_at__isnull=True) | Q(mail_retry_at__lt=now)
    ).order_by("pk")
    registration = list(
        ready.filter(
            Q(received_mail_due_at__lt=before) | Q(asr_notice_due_at__lt=before)
        ).values_list("pk", flat=True)
    )
    status = list(ready.filter(status_mail_due_at__lt=before).values_list("pk", "status"))
    # A status without a mail still empties its column through the task.
    work = [(pk, task_names.SEND_RECEIVED_MAIL) for pk in registration] + [
        (pk, status_mail_task(current) or task_names.SEND_CONFIRMATION_MAIL)
        for pk, current in status
    ]
    rearmed = now + REARM
    PayrollProcessor.objects.filter(pk__in=[pk for pk, _name in work]).update(mail_retry_at=rearmed)
    for position, (processor_id, name) in enumerate(work):
        try:
            enqueue(name, processor_id)
        except Exception:
            # Broker down: this mail and the rest are due again on the next run.
            PayrollProcessor.objects.filter(
                pk__in=[pk for pk, _name in work[position:]], mail_retry_at=rearmed
            ).update(mail_retry_at=None)
            raise
    return {"registration_mails": len(registration), "status_mails": len(status)}


# --- issue 13: the mails of a change of Loket.nl account or e-mail address -------------------

_CHANGE_MAILS: dict[str, Callable[[PayrollProcessor], None]] = {
    "pending_mail_due_at": lambda p: emails.send_credential_change_waiting(processor_id=p.pk),
    "pending_asr_notice_due_at": lambda p: emails.send_credential_change_asr(processor_id=p.pk),
    "pending_decision_mail_due_at": lambda p: emails.send_credential_change_decision(
        processor_id=p.pk
    ),
    "email_change_mail_due_at": lambda p: emails.send_email_changed(processor_id=p.pk),
}


def credential_change_mails_send(*, processor_id: int) -> bool:
    """Every due mail of a change (waiting, a.s.r.'s notice, the decision, a new address),
    each once, in one hold on the row."""
    return bool(_send_due(processor_id, _CHANGE_MAILS))


def credential_change_mails_enqueue(*, older_than: dt.timedelta = GRACE) -> int:
    """The sweep's part for these mails: due a while and not handed out again lately."""
    now = timezone.now()
    before = now - older_than
    due_q = Q()
    for column in _CHANGE_MAILS:
        due_q |= Q(**{f"{column}__lt": before})
    ids = list(
        PayrollProcessor.objects.filter(due_q)
        .filter(Q(mail_retry_at__isnull=True) | Q(mail_retry_at__lt=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    PayrollProcessor.objects.filter(pk__in=ids).update(mail_retry_at=now + REARM)
    for processor_id in ids:
        enqueue(task_names.SEND_CREDENTIAL_CHANGE_MAILS, processor_id)
    return len(ids)


# --- accounts (issue 13) -------------------------------------------------------------------------


def password_reset_mail_send(*, processor_id: int) -> bool:
    """ "Wachtwoord vergeten?": the mail with a fresh one-time link, once per request."""
    return bool(
        _send_due(
            processor_id,
            {"password_reset_due_at": lambda p: emails.send_password_reset(processor_id=p.pk)},
        )
    )


def duplicate_notice_send(*, processor_id: int) -> bool:
    """ "Someone tried to register with your details", once per attempt that is due."""
    return bool(
        _send_due(
            processor_id,
            {"duplicate_notice_due_at": lambda p: emails.send_duplicate_notice(processor_id=p.pk)},
        )
    )


_ACCOUNT_MAILS = (
    ("password_reset_due_at", task_names.SEND_PASSWORD_RESET_MAIL),
    ("duplicate_notice_due_at", task_names.SEND_DUPLICATE_NOTICE_MAIL),
)


def unsent_account_mails_enqueue(*, older_than: dt.timedelta = GRACE) -> dict[str, int]:
    """The sweep of :func:`unsent_mails_enqueue` for the accounts' mails (reset link, the
    notice of a registration with known details): due a while, handed to Celery again."""
    now = timezone.now()
    before = now - older_than
    ready = PayrollProcessor.objects.filter(
        Q(mail_retry_at__isnull=True) | Q(mail_retry_at__lt=now)
    ).order_by("pk")
    counts: dict[str, int] = {}
    for column, name in _ACCOUNT_MAILS:
        due = list(ready.filter(**{f"{column}__lt": before}).values_list("pk", flat=True))
        counts[column.removesuffix("_due_at")] = len(due)
        if not due:
            continue
        PayrollProcessor.objects.filter(pk__in=due).update(mail_retry_at=now + REARM)
        for processor_id in due:
            enqueue(name, processor_id)
    return counts
