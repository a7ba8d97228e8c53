"""Celery tasks of the deliveries: thin wrappers around ``deliveries.services``. Ids only.

:func:`deliver` does not retry through Celery: a failure that may pass makes the delivery due
again after its backoff (``due_at``), and the sweep hands it out then, so the state lives in
the database and a lost message loses nothing.
"""

from __future__ import annotations

from celery import shared_task

from deliveries import task_names
from deliveries.services import delivering, planning, retention


@shared_task(name=task_names.DELIVER, acks_late=True)
def deliver(delivery_id: int) -> str:
    return delivering.deliver(delivery_id=delivery_id).value


@shared_task(name=task_names.PLAN_DELIVERIES)
def plan_deliveries() -> dict[str, int]:
    """Every DELIVERY_PLAN_SECONDS: the deliveries of closed periods, then handed out."""
    result = planning.deliveries_plan()
    return {
        "feeds": result.feeds,
        "created": result.created,
        "reread": result.reread,
        "revived": result.revived,
        "handed_out": planning.deliveries_hand_out(),
    }


@shared_task(name=task_names.SWEEP_DELIVERIES)
def sweep_deliveries() -> dict[str, int]:
    """Every DELIVERY_SWEEP_SECONDS: stop ended links' deliveries, plan new links, hand out."""
    return planning.deliveries_sweep()


@shared_task(name=task_names.DELETE_OLD_WAGE_DATA)
def delete_old_wage_data() -> int:
    """Daily: wage data past DELIVERY_RETENTION_MONTHS."""
    run = retention.old_wage_data_delete()
    return run.wages if run is not None else 0
