"""A Celery worker refuses to start when CREDENTIALS_KEYS cannot open the stored passwords."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_init
from django.db import connections

from onboarding.checks import credentials_keys_open_stored_secrets


@worker_init.connect
def _refuse_wrong_keys(**kwargs: Any) -> None:
    errors = credentials_keys_open_stored_secrets(databases=["default"])
    connections.close_all()
    if errors:
        raise SystemExit(f"{errors[0].id}: {errors[0].msg} {errors[0].hint}")
