"""The deliveries' tasks are registered under the names in deliveries/task_names.py, and the
beat runs the periodic ones."""

from __future__ import annotations

import pytest
from django.conf import settings

from common import dispatch
from config.celery import app
from deliveries import task_names


@pytest.mark.parametrize("name", task_names.ALL)
def test_every_task_name_is_a_registered_task(name):
    assert dispatch.task(name).name == name


def test_every_registered_delivery_task_has_its_name_in_task_names():
    registered = {name for name in app.tasks if name.startswith("deliveries.")}
    assert registered == set(task_names.ALL)


def test_the_beat_plans_sweeps_and_deletes_old_wage_data():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        task_names.PLAN_DELIVERIES,
        task_names.SWEEP_DELIVERIES,
        task_names.DELETE_OLD_WAGE_DATA,
    } <= scheduled
