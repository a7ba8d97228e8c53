"""The Celery application and the policy every task runs under.

The policy is fixed here, not in the environment: a task that could be lost or run half is a bug,
not a setting. What the environment switches (broker URL, in-process mode, time limit) comes from
``config.settings`` (namespace ``CELERY_``).

- JSON only: no pickle, so a message can never execute code, and task arguments stay readable ids.
- ``acks_late`` + ``reject_on_worker_lost``: a message is acknowledged only after its task ended;
  a worker killed mid-task leaves the message to be delivered again. Tasks are idempotent (their
  claims live in the database), so a second delivery is safe.
- Prefetch 1: a long Loket.nl call never holds other messages hostage in a busy worker.
- Redis visibility timeout above the hard time limit: Redis redelivers an unacknowledged message
  only after the longest possible task must have ended.
- The embedded default (``make run``) uses kombu's ``filesystem://`` transport: messages are files
  under ``CELERY_BROKER_FOLDER``, one worker with its embedded beat consumes them.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _apply_policy() -> None:
    # django.conf.settings is lazy: it reads DJANGO_SETTINGS_MODULE (set above) on first use.
    hard_limit = settings.CELERY_TASK_TIME_LIMIT
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        event_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_time_limit=hard_limit,
        task_soft_time_limit=max(hard_limit - 30, int(hard_limit * 0.8)),
        # Redis: the visibility timeout; filesystem:// (make run): its folders (config.settings).
        broker_transport_options=dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS),
        broker_connection_retry_on_startup=True,
        task_default_queue="portal",
        timezone=settings.TIME_ZONE,
        enable_utc=True,
    )


def _make_broker_folders() -> None:
    """kombu's filesystem transport expects its folders to exist (web, worker and beat alike)."""
    if settings.CELERY_BROKER_IS_FILESYSTEM:
        for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
            Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)


_apply_policy()
_make_broker_folders()
app.autodiscover_tasks()
