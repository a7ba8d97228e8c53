"""Webhook tasks are enqueued by name: each name is a registered task, each task has its name
in webhooks.task_names, and the beat runs the sweep."""

from __future__ import annotations

import pytest
from django.conf import settings

from common import dispatch
from config.celery import app
from webhooks import task_names


@pytest.mark.parametrize("name", task_names.ALL)
def test_every_task_name_is_a_registered_task(name):
    assert dispatch.task(name).name == name


def test_every_registered_webhook_task_has_its_name_in_task_names():
    assert {name for name in app.tasks if name.startswith("webhooks.")} == set(task_names.ALL)


def test_the_beat_runs_the_sweep_within_a_minute():
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task_names.SWEEP]
    assert entry["schedule"] <= 60
