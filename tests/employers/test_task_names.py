"""Tasks are enqueued by name (common.dispatch): every name the services use must be a task that
is registered in every process, and every employer task must be named in one place."""

from __future__ import annotations

import pytest
from django.db import transaction

from common import dispatch
from config.celery import app
from employers import task_names


@pytest.mark.parametrize("name", task_names.ALL)
def test_every_task_name_is_a_registered_task(name):
    assert dispatch.task(name).name == name


def test_every_registered_employer_task_has_its_name_in_task_names():
    registered = {name for name in app.tasks if name.startswith("employers.")}
    assert registered == set(task_names.ALL)


@pytest.mark.django_db
def test_enqueueing_an_unknown_name_fails_inside_the_callers_transaction():
    unknown = pytest.raises(KeyError, match=r"no Celery task is registered as 'employers\.nope'")
    with unknown, transaction.atomic():
        dispatch.enqueue_on_commit("employers.nope", 1)
