"""The registered names of the deliveries' Celery tasks (see employers/task_names.py)."""

from __future__ import annotations

DELIVER = "deliveries.tasks.deliver"

# Periodic (the beat): config.settings.CELERY_BEAT_SCHEDULE
PLAN_DELIVERIES = "deliveries.tasks.plan_deliveries"
SWEEP_DELIVERIES = "deliveries.tasks.sweep_deliveries"
DELETE_OLD_WAGE_DATA = "deliveries.tasks.delete_old_wage_data"

ALL = (DELIVER, PLAN_DELIVERIES, SWEEP_DELIVERIES, DELETE_OLD_WAGE_DATA)
