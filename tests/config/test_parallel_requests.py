"""Issue 13, point 9: five identical employer requests at once never answer 500, on the embedded
default (SQLite, ``runserver``'s threads, each with its own connection) and on PostgreSQL.

Before SQLite was set up for concurrent writers (WAL, a busy timeout, IMMEDIATE transactions; see
config/settings.py) three or four of the five got "database is locked". The portal runs here as a
real server in its own process (``manage.py runserver``, threaded, as ``make run`` starts it), so
the writes really race.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PARALLEL = 5

_SETUP = """
from django.utils import timezone
from onboarding.crypto import encrypt_secret
from onboarding.models import PayrollProcessor, Status
now = timezone.now()
p, _ = PayrollProcessor.objects.get_or_create(
    omgevingscode="DEMO001", loket_username="ws-benefits",
    defaults=dict(company_name="Salarisbureau Parallel", email="parallel@example.nl",
        loket_password_encrypted=encrypt_secret("Demo#Loket2026"), status=Status.ACTIVE,
        consent_at=now, confirmed_at=now, activated_at=now, checked_at=now))
print("PROCESSOR", p.pk)
"""

_COUNT = """
from employers.models import EmployerRequest
print("REQUESTS", EmployerRequest.objects.count())
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _last_number(output: str, label: str) -> int:
    line = next(line for line in output.splitlines() if line.startswith(label))
    return int(line.split()[1])


def _five_at_once(env: dict[str, str]) -> tuple[list[int], int, str]:
    processor_id = _last_number(_manage(env, "shell", "-c", _SETUP), "PROCESSOR")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, "runserver ended before it answered"
                assert time.monotonic() < deadline, "runserver did not answer within 60 s"
                time.sleep(0.3)

        def submit(_: int) -> int:
            session = requests.Session()
            form = session.get(f"{base}/salariskoppeling/aanvragen/", timeout=30)
            token = form.cookies["csrftoken"]
            answer = session.post(
                f"{base}/salariskoppeling/aanvragen/",
                data={
                    "csrfmiddlewaretoken": token,
                    "company_name": "Bakkerij Van Dijk B.V.",
                    "kvk_number": "12345678",
                    "policy_number": "POL-1001",
                    "tax_numbers": "144068989L01",
                    "contact_name": "Jan van Dijk",
                    "contact_email": "jan@bakkerij.example",
                    "contact_phone": "010 123 45 67",
                    "processor": str(processor_id),
                    "consent": "on",
                },
                headers={"Referer": f"{base}/salariskoppeling/aanvragen/"},
                allow_redirects=False,
                timeout=60,
            )
            return answer.status_code

        # Each thread first fetches its form (cookie), then all post at the same moment.
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            statuses = list(pool.map(submit, range(PARALLEL)))
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    created = _last_number(_manage(env, "shell", "-c", _COUNT), "REQUESTS")
    return statuses, created, output


def _env(database_url: str, loket_endpoint: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="on",
        DATABASE_URL=database_url,
        LOKET_ENDPOINT=loket_endpoint,
        EMAIL_URL="dummymail://",
        CHECKS_PER_IP_PER_HOUR="1000",
    )
    return env


def _assert_no_server_error(statuses: list[int], created: int, log: str) -> None:
    assert all(status < 500 for status in statuses), f"{statuses}\n{log[-4000:]}"
    assert "database is locked" not in log
    # Every request the portal accepted (a redirect to its confirmation page) is in the database.
    assert created == statuses.count(302), statuses
    assert created >= 1


def test_five_identical_employer_requests_at_once_on_sqlite_never_answer_500(tmp_path, sandbox):
    env = _env(f"sqlite:///{tmp_path / 'db.sqlite3'}", sandbox.url)
    _manage(env, "migrate", "--noinput", "-v0")

    statuses, created, log = _five_at_once(env)

    _assert_no_server_error(statuses, created, log)


@pytest.mark.django_db(transaction=True)
def test_five_identical_employer_requests_at_once_on_postgresql_never_answer_500(sandbox):
    if connection.vendor != "postgresql":
        pytest.skip("the test run has no PostgreSQL (DATABASE_URL)")
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    connection.close()  # the server's connections only

    statuses, created, log = _five_at_once(_env(url, sandbox.url))

    _assert_no_server_error(statuses, created, log)
