"""Services enqueue by name (common.dispatch): every name in onboarding.task_names is a task."""

from __future__ import annotations

import pytest
from celery import Task

from common import dispatch
from onboarding import task_names, tasks

NAMES = sorted(
    value
    for key, value in vars(task_names).items()
    if key.isupper() and not key.startswith("_") and isinstance(value, str)
)


def test_the_module_names_every_task_of_the_app():
    assert sorted(task_names.ALL) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_task_name_constant_is_a_registered_task(name):
    assert dispatch.task(name).name == name


def test_every_task_keeps_the_name_it_was_always_registered_under():
    # Messages in flight and the beat schedule name tasks by their module path and function.
    declared = {t.name for t in vars(tasks).values() if isinstance(t, Task)}

    assert declared == set(NAMES)
    assert all(name == f"onboarding.tasks.{dispatch.task(name).__name__}" for name in NAMES)
