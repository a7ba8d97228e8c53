"""Issue 13, point 8: status and activation tokens never reach a log line: gunicorn's access log,
runserver's (``django.server``) and Django's own request warnings show ``…`` instead."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from common.logredact import REDACTED, redact

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Zz9-SecretToken_abcdefghijklmnopqrstuvwxyz012345"
UID = "MTIz"

SECRET_PATHS = [
    f"/aanmelding/{TOKEN}/",
    f"/aanmelding/{TOKEN}/voortgang/",
    f"/aanmelding/{TOKEN}/corrigeren/",
    f"/salariskoppeling/status/{TOKEN}/",
    f"/salariskoppeling/bevestigen/{TOKEN}/",
    f"/salariskoppeling/aangevraagd/{TOKEN}/",
    f"/account/activeren/{UID}/{TOKEN}/",
]


@pytest.mark.parametrize("path", SECRET_PATHS)
def test_status_and_activation_tokens_are_redacted_from_a_log_line(path):
    line = f'"GET {path}?lang=en HTTP/1.1" 200 512'

    redacted = redact(line)

    assert TOKEN not in redacted
    assert REDACTED in redacted
    assert redacted.startswith('"GET /')
    assert redacted.endswith('?lang=en HTTP/1.1" 200 512')


def test_tokens_are_redacted_but_other_paths_stay_as_they_are():
    assert redact("GET /aanmelden/ HTTP/1.1") == "GET /aanmelden/ HTTP/1.1"
    assert redact("/salariskoppeling/status/abc/") == f"/salariskoppeling/status/{REDACTED}/"
    assert redact(f"/account/activeren/{UID}/{TOKEN}/") == (
        f"/account/activeren/{REDACTED}/{REDACTED}/"
    )


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_tokens_are_redacted_from_runserver_s_access_log():
    """runserver's request handler logs ``'"%s" %s %s'`` with the request line as argument."""
    server_logger = logging.getLogger("django.server")
    collect = _Collect()
    server_logger.addHandler(collect)
    try:
        server_logger.info('"%s" %s %s', f"GET /aanmelding/{TOKEN}/ HTTP/1.1", "200", "1234")
    finally:
        server_logger.removeHandler(collect)

    assert collect.lines == [f'"GET /aanmelding/{REDACTED}/ HTTP/1.1" 200 1234']


@pytest.mark.django_db
def test_tokens_are_redacted_from_django_s_not_found_warning(client, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")

    response = client.get(f"/salariskoppeling/status/{TOKEN}/")

    assert response.status_code == 404
    assert "Not Found" in caplog.text
    assert TOKEN not in caplog.text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_tokens_are_redacted_from_gunicorn_s_access_log(tmp_path):
    """The production command (Dockerfile, docker-compose.yml) with its logger class."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="on",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    access_log = tmp_path / "access.log"
    port = _free_port()
    command = (ROOT / "Dockerfile").read_text().split("\nCMD ")[1].strip()
    assert "config.gunicorn_logging.RedactingLogger" in command
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(access_log),
            "--logger-class",
            "config.gunicorn_logging.RedactingLogger",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, "gunicorn ended early"
                assert time.monotonic() < deadline
                time.sleep(0.3)
        for path in SECRET_PATHS:
            requests.get(
                f"{base}{path}", headers={"Referer": f"{base}/aanmelding/{TOKEN}/"}, timeout=10
            )
        deadline = time.monotonic() + 10
        while access_log.read_text().count("\n") < len(SECRET_PATHS) + 1:
            assert time.monotonic() < deadline, access_log.read_text()
            time.sleep(0.2)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)

    logged = access_log.read_text()
    assert TOKEN not in logged
    assert TOKEN not in stderr  # gunicorn's error log (Django's warnings go there too)
    assert f"/aanmelding/{REDACTED}/" in logged
    assert f"/account/activeren/{REDACTED}/{REDACTED}/" in logged
