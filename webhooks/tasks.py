"""Celery tasks of the webhooks: thin wrappers around :mod:`webhooks.sending` and
:mod:`webhooks.events`, registered under the names in :mod:`webhooks.task_names`. No Celery
retries: a failed attempt is due again in the outbox, and the sweep hands it out."""

from __future__ import annotations

from celery import shared_task

from webhooks import events, sending, task_names


@shared_task(name=task_names.SEND_MESSAGE, acks_late=True)
def send_message(message_id: int) -> str:
    return sending.message_send(message_id=message_id)


@shared_task(name=task_names.SWEEP)
def sweep_webhooks() -> dict[str, int]:
    """Every WEBHOOK_SWEEP_SECONDS: new events into the outbox, then the due messages out."""
    return {
        "collected": events.events_collect(),
        "handed_out": sending.due_messages_hand_out(),
    }
