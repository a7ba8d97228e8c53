"""The embedded default as `make run` starts it: ``scripts/run-embedded`` itself, on free ports,
with its own SQLite file and run folder (the filesystem broker), the sandbox's ``TRAAG`` slowed
to a few seconds, and the worker with its embedded beat. Everything is a real process; the test
talks to it over HTTP and reads the SQLite file the processes share.

Reproduce by hand: ``PORT=8123 LOKET_SANDBOX_TRAAG_DELAY=5 make run``, register with omgevingscode
``TRAAG``: the status page comes at once and says "Wordt gecontroleerd" until the check is done.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "Demo#Loket2026"  # the sandbox's published demo password
TRAAG_DELAY = 3  # seconds; the check makes two calls, so it needs at least twice this
RETRY_CAP = 10  # CELERY_MAX_RETRY_DELAY: a temporary failure is tried again this soon
# What the caller may have exported that would point the stack elsewhere.
FOREIGN = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_BROKER_FOLDER",
    "PORTAL_BASE_URL",
    "LOKET_ENDPOINT",
    "DEBUG",
    "EMAIL_URL",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(predicate: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    port: int
    database: Path
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def query(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.database, timeout=20) as db:
            return db.execute(sql, params).fetchall()

    def processor(self, email: str) -> dict[str, object]:
        with sqlite3.connect(self.database, timeout=20) as db:
            db.row_factory = sqlite3.Row
            row = db.execute(
                "SELECT * FROM onboarding_payrollprocessor WHERE email = ?", (email,)
            ).fetchone()
        return dict(row) if row else {}

    def register(self, *, email: str, omgevingscode: str, username: str) -> requests.Response:
        session = requests.Session()
        form = session.get(f"{self.base}/aanmelden/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        return session.post(
            f"{self.base}/aanmelden/",
            data={
                "csrfmiddlewaretoken": token,
                "company_name": f"Salarisbureau {omgevingscode}",
                "email": email,
                "omgevingscode": omgevingscode,
                "loket_username": username,
                "loket_password": DEMO_PASSWORD,
                "consent": "on",
            },
            allow_redirects=False,
            timeout=60,
        )

    def stop(self) -> None:
        """What Ctrl-C in the terminal does: SIGINT to the whole foreground process group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _lost_registration(env: dict[str, str], email: str) -> None:
    """A registration whose check and mails were enqueued on a broker that then lost them (an
    in-memory broker, gone with its process), due for ten minutes: only the beat's sweeps can
    still do its work."""
    code = f"""
import datetime as dt
from django.utils import timezone
from onboarding import services
from onboarding.models import PayrollProcessor
p = services.registration_submit(
    company_name="Verloren B.V.", email={email!r}, omgevingscode="DEMO001",
    loket_username="ws-benefits", loket_password={DEMO_PASSWORD!r}, client_ip="192.0.2.9")
past = timezone.now() - dt.timedelta(minutes=10)
PayrollProcessor.objects.filter(pk=p.pk).update(
    check_requested_at=past, received_mail_due_at=past, asr_notice_due_at=past)
"""
    for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", code]):
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", *command],
            cwd=ROOT,
            env={**env, "DEBUG": "on", "CELERY_BROKER_URL": "memory://"},
            check=True,
            capture_output=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("embedded")
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN}
    env.update(
        PORT=str(port),
        LOKET_SANDBOX_PORT=str(_free_port()),
        LOKET_SANDBOX_TRAAG_DELAY=str(TRAAG_DELAY),
        LOKET_TIMEOUT="15",
        CELERY_MAX_RETRY_DELAY=str(RETRY_CAP),
        EMBEDDED_RUN_DIR=str(folder / "run"),
        # Our own SQLite file, not the developer's db.sqlite3.
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    _lost_registration(env, "verloren@example.nl")
    log_path = folder / "make-run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ROOT / "scripts/run-embedded")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            # As in a terminal: Ctrl-C is not ignored (pytest may run as a background job).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
        )
    running = Stack(process, port, folder / "db.sqlite3", log_path)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"scripts/run-embedded ended early:\n{running.log()}")
        try:
            return requests.get(f"{running.base}/healthz", timeout=2).ok and (
                " ready." in running.log()
            )
        except requests.RequestException:
            return False

    try:
        _wait(ready, timeout=120, what="the portal and its worker answer")
        yield running
    finally:
        running.stop()


def test_a_slow_loket_does_not_hold_up_the_submit_and_the_check_finishes_in_the_background(stack):
    response = stack.register(
        email="traag@example.nl", omgevingscode="TRAAG", username="ws-benefits"
    )

    assert response.status_code == 302
    # Every registration lands on the same "received" page (issue 13: enumeration); the status
    # link goes by mail: read its token from the database.
    processor = stack.processor("traag@example.nl")
    status_url = f"{stack.base}/aanmelding/{processor['status_token']}/"
    # The sandbox answers TRAAG only after TRAAG_DELAY seconds per call: when the form has
    # answered, no attempt can have finished yet (in-process, the check ran inside the request).
    finished = stack.query(
        "SELECT COUNT(*) FROM onboarding_checkattempt WHERE processor_id = ? "
        "AND finished_at IS NOT NULL",
        processor["id"],
    )
    assert finished == [(0,)]
    progress = requests.get(f"{status_url}voortgang/", timeout=30).text
    assert 'data-pending="true"' in progress
    assert "Wordt gecontroleerd" in progress

    def passed() -> bool:
        text = requests.get(f"{status_url}voortgang/", timeout=30).text
        return 'data-pending="false"' in text and "De controle is geslaagd" in text

    _wait(passed, timeout=90, what="the TRAAG check passes in the background")


def test_a_temporary_failure_is_tried_again_by_the_worker_without_any_request(stack):
    response = stack.register(
        email="storing@example.nl", omgevingscode="STORING", username="ws-benefits"
    )
    assert response.status_code == 302
    processor_id = stack.processor("storing@example.nl")["id"]

    def attempts() -> list[str]:
        return [
            trigger
            for (trigger,) in stack.query(
                "SELECT trigger FROM onboarding_checkattempt WHERE processor_id = ? "
                "AND finished_at IS NOT NULL ORDER BY id",
                processor_id,
            )
        ]

    _wait(lambda: len(attempts()) >= 1, timeout=60, what="the first STORING attempt")
    # The status page promises the retry at a time; the worker keeps that promise on its own.
    retry_at = stack.processor("storing@example.nl")["check_retry_at"]
    assert retry_at is not None
    _wait(lambda: len(attempts()) >= 2, timeout=RETRY_CAP + 60, what="the retry ran")
    assert "poging 2" in attempts()[1]


def test_the_beat_does_due_work_that_no_request_asks_for(stack):
    """The lost registration (its messages gone with their broker) is swept up by the beat: its
    receipt is mailed and its check runs."""

    def done() -> bool:
        row = stack.processor("verloren@example.nl")
        return row["received_mail_due_at"] is None and row["status"] == "check_passed"

    _wait(done, timeout=90, what="the beat's sweeps sent the mail and ran the check")
    assert "To: verloren@example.nl" in stack.log()


def test_links_in_mails_and_on_the_console_use_the_port_make_run_was_given(stack):
    stack.register(email="poort@example.nl", omgevingscode="DEMO001", username="ws-zonder-team")
    token = stack.processor("poort@example.nl")["status_token"]

    assert f"Open http://127.0.0.1:{stack.port}/ in je browser" in stack.log()
    _wait(
        lambda: f"http://127.0.0.1:{stack.port}/aanmelding/{token}/" in stack.log(),
        timeout=60,
        what="the receipt mail with the status link on this port",
    )
    assert "127.0.0.1:8000" not in stack.log()


def test_the_demo_links_printed_at_start_open(stack):
    banner = stack.log().split("Demo, klaar om te openen:")[1].split("in je browser")[0]
    links = re.findall(r"https?://\S+", banner)
    status_links = [link for link in links if "/aanmelding/" in link]
    activation = [link for link in links if "/account/activeren/" in link]

    assert len(status_links) == 3
    for link in status_links:
        assert requests.get(link, timeout=30).status_code == 200
    assert len(activation) == 1
    page = requests.get(activation[0], timeout=30)
    assert page.status_code == 200
    assert 'type="password"' in page.text


def test_a_second_make_run_on_the_same_run_folder_refuses_to_start(stack):
    """Two embedded portals on one run folder would share the broker and the beat schedule."""
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN}
    env.update(
        PORT=str(_free_port()),
        LOKET_SANDBOX_PORT=str(_free_port()),
        EMBEDDED_RUN_DIR=str(stack.database.parent / "run"),
        DATABASE_URL=f"sqlite:///{stack.database}",
    )
    second = subprocess.run(
        [str(ROOT / "scripts/run-embedded")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )

    assert second.returncode == 1
    assert "Er draait al een portal" in second.stderr
    assert stack.process.poll() is None  # the first one runs on


def test_ctrl_c_stops_the_portal_the_worker_and_the_sandbox(stack):
    started = dt.datetime.now(tz=dt.UTC)
    stack.stop()

    _wait(
        lambda: not _group_alive(stack.process.pid),
        timeout=30,
        what="every process of make run ended",
    )
    assert dt.datetime.now(tz=dt.UTC) - started < dt.timedelta(seconds=60)
