"""Project configuration. Importing the package (as loading the settings does) loads the Celery
app, so that ``@shared_task`` binds to it in every process (web, worker, beat), and the
middleware module, whose deploy check of the Content-Security-Policy is registered on import.
No app imports ``config``: the import contracts in ``pyproject.toml`` keep it so."""

from __future__ import annotations

from config import middleware  # noqa: F401 - registers the CSP deploy check
from config.celery import app as celery_app

__all__ = ("celery_app",)
