"""Enqueueing by name: the one way services hand work to Celery.

Services never import a task module (tasks import services, so that would be a circle). They
call :func:`enqueue_on_commit` with the task's registered name, a constant from the app's
``task_names`` module; the task is looked up in the Celery app when the transaction commits.
Each app's ``AppConfig.ready`` imports its tasks module, so every task is registered in every
process (web, worker, beat) before the first lookup. The Celery app is the current one (made by
``config.celery``, which ``config/__init__`` loads with the settings), so this leaf imports
nothing of the project.

Nothing is lost when the broker is down, because only work that is also recorded on a database
row (an outbox column that a beat sweep reads and hands to Celery again) is enqueued here. So a
failure to enqueue after commit is logged and swallowed; the sweeps, which call :func:`enqueue`
directly, let it raise so that the beat run fails visibly and the next one catches up. (The one
exception, the processor digest of the embedded default, runs in-process, where enqueueing
cannot fail.)
"""

from __future__ import annotations

import logging

from celery import Task, current_app
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def task(name: str) -> Task:
    """The registered task ``name``; ``KeyError`` names a task that does not exist."""
    try:
        return current_app.tasks[name]
    except KeyError:
        raise KeyError(f"no Celery task is registered as {name!r}") from None


def enqueue(name: str, *args: object, countdown: int | None = None) -> None:
    """Send ``name(*args)`` now, to run in ``countdown`` seconds if given (in-process at once
    when tasks run eagerly). Broker errors raise."""
    task(name).apply_async(args, countdown=countdown)


def enqueue_on_commit(name: str, *args: object) -> None:
    """Send ``name(*args)`` once the current transaction commits (at once outside one).

    A broker that is down at that moment is logged, never raised: the state that asked for the
    task is committed, and the sweep that watches it enqueues the task again.
    """
    found = task(name)  # an unknown name fails here, inside the caller's transaction

    def send() -> None:
        try:
            found.delay(*args)
        except Exception:  # noqa: BLE001 - any broker failure; the sweep sends it again
            logger.warning("could not enqueue %s; the sweep will", name)

    transaction.on_commit(send)


def runs_in_process() -> bool:
    """Whether tasks run inside the caller (the embedded default: no broker, no beat)."""
    return bool(current_app.conf.task_always_eager)


def retry_delay(seconds: float) -> int:
    """A retry's countdown, capped at ``CELERY_MAX_RETRY_DELAY``: settings refuse a Redis
    visibility timeout that is not above it, so no waiting task is ever handed out twice."""
    return int(min(seconds, settings.CELERY_MAX_RETRY_DELAY))
