"""Settings for ``bench/pages.py`` only: the project's settings plus a bench URLconf.

``bench/pages.py`` starts gunicorn with ``DJANGO_SETTINGS_MODULE=bench.bench_settings`` so that
the bare "ok" view of ``bench/bench_urls.py`` is served by the same server, behind the same
middleware, as the pages it is compared with, without a bench-only route in the project's URLs.
Static files are collected into a temporary ``STATIC_ROOT`` (``BENCH_STATIC_ROOT``), because
with ``DEBUG=off`` WhiteNoise's manifest storage needs the collected manifest.
"""

from __future__ import annotations

import os

# Importing config.settings first imports the config package, whose Celery app reads Django's
# settings at once. When this module is the first to load (django.setup() in bench/pages.py),
# those settings would be this module, still half-imported (no CELERY_TASK_TIME_LIMIT yet). For
# the length of the import, point Django at the project's own settings: the Celery app reads
# them, and django.setup() then replaces them with this module once it is complete.
_settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
try:
    from config.settings import *  # noqa: F403
finally:
    os.environ["DJANGO_SETTINGS_MODULE"] = _settings_module

ROOT_URLCONF = "bench.bench_urls"
if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
