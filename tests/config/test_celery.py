"""The Celery policy every task runs under (config/celery.py)."""

from __future__ import annotations

import pytest
from django.conf import settings

from common import dispatch
from config.celery import app


def test_messages_are_json_only():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.result_serializer == "json"


def test_a_task_is_acknowledged_only_after_it_ran_and_redelivered_if_the_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_time_limits_are_set_and_below_the_visibility_timeout():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_beat_schedule_entry_names_a_registered_task(entry):
    name = settings.CELERY_BEAT_SCHEDULE[entry]["task"]

    assert dispatch.task(name).name == name
