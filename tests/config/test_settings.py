"""Start-up refuses bad configuration with a message that names the variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "off",
    "SECRET_KEY": "x" * 60,
    "CREDENTIALS_KEYS": "a2V5LW9uZS1mb3ItdGVzdHMtb25seS0zMi1ieXRlcyE=",
    "ALLOWED_HOSTS": "portal.example.nl",
    "LOKET_ENDPOINT": "https://loket.example.nl/soap",
}


_PROBE = (
    "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
    "from django.conf import settings; print('OK', settings.LOKET_TIMEOUT)"
)


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _VARIABLES}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            _PROBE,
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "on", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


_DEBUG_PROBE = (
    "import django; django.setup(); from django.conf import settings; "
    "print('DEBUG', settings.DEBUG, 'SANDBOX', settings.LOKET_SANDBOX_ENABLED)"
)

_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "CREDENTIALS_KEYS",
    "ALLOWED_HOSTS",
    "LOKET_ENDPOINT",
    "LOKET_TIMEOUT",
    "LOKET_SANDBOX_ENABLED",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "LOG_LEVEL",
    "CELERY_TASK_TIME_LIMIT",
    "CELERY_VISIBILITY_TIMEOUT",
    "CELERY_MAX_RETRY_DELAY",
    "CELERY_BROKER_FOLDER",
}


def test_debug_defaults_to_off_so_no_environment_refuses_to_start_with_the_development_keys():
    """Issue 13, point 7: a process started without DEBUG is not a development server."""
    result = _load_settings(DEBUG="")  # empty counts as unset

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "DEBUG=on" in result.stderr  # says how to get the embedded mode


def test_debug_defaults_to_off_with_production_values_and_no_debug_variable():
    production = {k: v for k, v in PRODUCTION.items() if k != "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-c", _DEBUG_PROBE],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in _VARIABLES},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **production,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["DEBUG", "False", "SANDBOX", "False"]


def test_the_embedded_default_needs_only_debug_on():
    result = _load_settings(DEBUG="on")

    assert result.returncode == 0, result.stderr
    assert "OK 15.0" in result.stdout


def test_a_complete_production_environment_loads():
    result = _load_settings(**PRODUCTION)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEBUG": "misschien"}, "DEBUG"),
        ({"LOKET_TIMEOUT": "vijftien"}, "LOKET_TIMEOUT"),
        ({"LOKET_TIMEOUT": "0"}, "LOKET_TIMEOUT"),
        ({"LOKET_TIMEOUT": "nan"}, "LOKET_TIMEOUT"),
        ({"CREDENTIALS_KEYS": "geen-sleutel"}, "CREDENTIALS_KEYS"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"LOKET_ENDPOINT": "ftp://loket.example.nl"}, "LOKET_ENDPOINT"),
        ({"LOG_LEVEL": "LUID"}, "LOG_LEVEL"),
        ({"CELERY_VISIBILITY_TIMEOUT": "100"}, "CELERY_VISIBILITY_TIMEOUT"),
        ({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY"),
        ({**PRODUCTION, "CREDENTIALS_KEYS": ""}, "CREDENTIALS_KEYS"),
        ({**PRODUCTION, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({**PRODUCTION, "LOKET_ENDPOINT": ""}, "LOKET_ENDPOINT"),
        ({**PRODUCTION, "LOKET_ENDPOINT": "http://loket.example.nl/soap"}, "LOKET_ENDPOINT"),
    ],
)
def test_a_bad_or_missing_value_stops_start_up_naming_the_variable(env, variable):
    result = _load_settings(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1]


def test_production_has_no_sandbox_unless_explicitly_enabled():
    off = _load_settings(**{**PRODUCTION, "LOKET_ENDPOINT": ""})
    on = _load_settings(**{**PRODUCTION, "LOKET_ENDPOINT": "", "LOKET_SANDBOX_ENABLED": "on"})

    assert off.returncode != 0
    assert on.returncode == 0, on.stderr


def test_a_visibility_timeout_not_above_the_longest_retry_and_run_stops_start_up_saying_so():
    """With acks_late, a retried task's message stays unacknowledged in Redis for its countdown
    (at most CELERY_MAX_RETRY_DELAY) and then its run (at most CELERY_TASK_TIME_LIMIT): a
    visibility timeout not above both together hands it out twice."""
    result = _load_settings(CELERY_VISIBILITY_TIMEOUT="2000")  # 1,800 + 300 by default

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "CELERY_VISIBILITY_TIMEOUT (2000 s)" in message
    assert "CELERY_MAX_RETRY_DELAY (1800 s) plus CELERY_TASK_TIME_LIMIT (300 s) = 2100 s" in message


def test_short_timeouts_that_do_not_add_up_stop_start_up():
    result = _load_settings(
        CELERY_VISIBILITY_TIMEOUT="60", CELERY_TASK_TIME_LIMIT="30", CELERY_MAX_RETRY_DELAY="50"
    )

    assert result.returncode != 0
    assert "= 80 s" in result.stderr.strip().splitlines()[-1]


def test_short_timeouts_that_hold_together_load():
    """The fault drills' settings: every retry waits and runs before Redis would redeliver."""
    result = _load_settings(
        CELERY_VISIBILITY_TIMEOUT="60", CELERY_TASK_TIME_LIMIT="30", CELERY_MAX_RETRY_DELAY="20"
    )

    assert result.returncode == 0, result.stderr


_BROKER_PROBE = (
    "import json, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
    "from django.conf import settings; from config.celery import app;"
    "print(json.dumps({'eager': app.conf.task_always_eager,"
    " 'transport': app.conf.broker_transport_options,"
    " 'db': settings.DATABASES['default'].get('OPTIONS', {})}))"
)


def _probe(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in _VARIABLES}
    result = subprocess.run(
        [sys.executable, "-c", _BROKER_PROBE],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "on", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_filesystem_broker_of_make_run_uses_its_folders_and_no_visibility_timeout(tmp_path):
    """make run's broker never hands a message out twice, so the Redis check must not refuse
    a visibility timeout that Redis would need (here 100 s, below 1,800 + 300)."""
    probe = _probe(
        CELERY_BROKER_URL="filesystem://",
        CELERY_BROKER_FOLDER=str(tmp_path / "broker"),
        CELERY_VISIBILITY_TIMEOUT="100",
    )

    assert probe["eager"] is False
    assert "visibility_timeout" not in probe["transport"]
    assert probe["transport"]["data_folder_in"] == str(tmp_path / "broker" / "queue")
    assert probe["transport"]["data_folder_out"] == probe["transport"]["data_folder_in"]
    assert (tmp_path / "broker" / "queue").is_dir()
    assert (tmp_path / "broker" / "control").is_dir()


def test_without_a_broker_tasks_run_in_process_and_redis_keeps_its_visibility_timeout():
    probe = _probe()

    assert probe["eager"] is True
    assert probe["transport"] == {"visibility_timeout": 3600}


def test_sqlite_is_set_up_for_a_web_process_and_a_worker_writing_at_once(tmp_path):
    probe = _probe(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    assert probe["db"]["transaction_mode"] == "IMMEDIATE"
    assert probe["db"]["timeout"] >= 10
    assert "journal_mode=WAL" in probe["db"]["init_command"]


def test_postgresql_gets_no_sqlite_options():
    probe = _probe(DATABASE_URL="postgres://portal@127.0.0.1:5432/portal")

    assert probe["db"] == {}


def test_debug_defaults_to_off_the_image_sets_off_and_make_run_sets_on_explicitly():
    dockerfile = (ROOT / "Dockerfile").read_text()
    run_embedded = (ROOT / "scripts/run-embedded").read_text()
    makefile = (ROOT / "Makefile").read_text()

    env_block = dockerfile[dockerfile.index("\nENV ") : dockerfile.index("\nWORKDIR")]
    assert "DEBUG=off" in env_block
    assert "\nexport DEBUG=on\n" in run_embedded
    assert "DEBUG=on scripts/run-embedded" in makefile
