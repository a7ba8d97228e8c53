"""Celery tasks of the deliveries: thin wrappers around ``deliveries.services``. Ids only."""

from __future__ import annotations
