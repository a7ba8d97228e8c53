"""The employer side's outbox (``employers.services.outbox``, ``.sweeps``), tasks in-process
against the sandbox: every mail goes out once however often its task is delivered, a mail the
mail server refused stays due and the sweep sends it, and work that waits for Loket.nl is not
handed out again by the sweep while its own retry is still on its way. (The broker being down
for real, with a worker, is in ``tests/integration/test_linking_worker.py``.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from employers import services, tasks
from employers.models import EmployerLink, EmployerRequest, LinkStatus, RequestStatus
from employers.services import linking, sweeps
from onboarding.models import PayrollProcessor
from tests.employers.conftest import E1, E4, make_processor, submit_verified

pytestmark = pytest.mark.django_db

E1_NUMBER, E1_KVK = "144068989L01", "12345678"
E4_NUMBER, E4_KVK = "211946217L01", "45678901"  # in Loket.nl, outside ws-benefits' team


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


class MailServer:
    def __init__(self, settings) -> None:
        self.settings = settings

    def down(self) -> None:
        self.settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    def up(self) -> None:
        self.settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def mail_server(settings) -> MailServer:
    return MailServer(settings)


def _request(processor, capture, *, number=E1_NUMBER, kvk=E1_KVK) -> EmployerRequest:
    with capture(execute=True):
        request = submit_verified(
            company_name="Bakkerij Van Dijk B.V.",
            kvk_number=kvk,
            tax_numbers=[number],
            contact_name="Jan van Dijk",
            contact_email="jan@bakkerij.example",
            processor=processor,
        )
    request.refresh_from_db()
    return request


def _register(processor, capture, *ids):
    with capture(execute=True):
        return services.links_register(processor=processor, employer_ids=ids, by=None)


def _to(address: str) -> int:
    return sum(address in message.to for message in mail.outbox)


def _on_storing(processor: PayrollProcessor) -> None:
    """Loket.nl is down for this processor from now on (the sandbox's outage environment)."""
    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="STORING")
    processor.refresh_from_db()


# --- each mail once ------------------------------------------------------------------------------


def test_the_request_mails_go_out_once_however_often_the_task_is_delivered(
    processor, django_capture_on_commit_callbacks
):
    request = _request(processor, django_capture_on_commit_callbacks)
    assert (_to("jan@bakkerij.example"), _to(processor.email)) == (1, 1)
    assert request.mails_sent_at is not None

    assert tasks.send_request_mails.delay(request.pk).get() is False
    assert sweeps.unsent_mails_enqueue(older_than=dt.timedelta(0))["request_mails"] == 0

    assert len(mail.outbox) == 2


def test_the_link_active_mail_goes_out_once_however_often_the_task_is_delivered(
    processor, django_capture_on_commit_callbacks
):
    _request(processor, django_capture_on_commit_callbacks)
    _register(processor, django_capture_on_commit_callbacks, E1)
    link = EmployerLink.objects.get()
    assert link.status == LinkStatus.ACTIVE
    assert link.employer_notified_at is not None
    employer_mails = _to("jan@bakkerij.example")  # the confirmation, then "link active"

    assert tasks.send_link_active_mails.delay([link.pk]).get() == 0
    assert tasks.send_processor_digest.delay(processor.pk).get() == 0

    assert _to("jan@bakkerij.example") == employer_mails == 2


def test_a_problem_is_mailed_to_the_processor_once_per_problem(
    processor, django_capture_on_commit_callbacks
):
    request = _request(processor, django_capture_on_commit_callbacks, number=E4_NUMBER, kvk=E4_KVK)
    assert request.problem_code == "NIET_ZICHTBAAR"
    assert request.problem_mailed_at is not None
    to_processor = _to(processor.email)  # the request, then the problem

    assert tasks.send_request_problem_mail.delay(request.pk).get() is False
    with django_capture_on_commit_callbacks(execute=True):
        services.request_visibility_check(request_id=request.pk, trigger="test")

    assert _to(processor.email) == to_processor == 2


# --- a mail server that is down ------------------------------------------------------------------


def test_request_mails_refused_by_the_mail_server_stay_due_and_the_sweep_sends_them(
    processor, django_capture_on_commit_callbacks, mail_server
):
    mail_server.down()
    request = _request(processor, django_capture_on_commit_callbacks)  # the task gave up
    assert request.mails_sent_at is None
    assert mail.outbox == []

    mail_server.up()
    # Not at once: its task may be on its way. After the grace period, yes.
    assert sweeps.unsent_mails_enqueue()["request_mails"] == 0
    assert sweeps.unsent_mails_enqueue(older_than=dt.timedelta(0))["request_mails"] == 1

    request.refresh_from_db()
    assert request.mails_sent_at is not None
    assert (_to("jan@bakkerij.example"), _to(processor.email)) == (1, 1)


def test_link_mails_refused_by_the_mail_server_stay_due_and_the_sweep_sends_them(
    processor, django_capture_on_commit_callbacks, mail_server
):
    mail_server.down()
    _request(processor, django_capture_on_commit_callbacks)
    _register(processor, django_capture_on_commit_callbacks, E1)
    link = EmployerLink.objects.get()
    assert link.status == LinkStatus.ACTIVE  # the link itself does not wait for mail
    assert (link.employer_notified_at, link.processor_notified_at) == (None, None)

    mail_server.up()
    sent = sweeps.unsent_mails_enqueue(older_than=dt.timedelta(0))
    assert sent == {"request_mails": 1, "problem_mails": 0, "link_active_mails": 1}
    assert sweeps.due_digests_enqueue() == 1  # the beat's minute

    link.refresh_from_db()
    assert link.employer_notified_at is not None
    assert link.processor_notified_at is not None
    subjects = [m.subject for m in mail.outbox if processor.email in m.to]
    assert len(subjects) == 2  # the request, and the digest with the active link
    assert _to("jan@bakkerij.example") == 2  # the confirmation, and "link active"


# --- waiting for Loket.nl ------------------------------------------------------------------------


def test_a_link_waiting_for_loket_is_left_to_its_retry_not_handed_out_again_by_the_sweep(
    processor, django_capture_on_commit_callbacks
):
    _request(processor, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks() as enqueue:
        services.links_register(processor=processor, employer_ids=[E1], by=None)
    _on_storing(processor)  # Loket.nl goes down before the linking task runs
    for callback in enqueue:
        callback()  # in-process: every retry at once

    link = EmployerLink.objects.get()
    assert link.status == LinkStatus.PENDING
    assert link.link_requested_at > timezone.now() + dt.timedelta(minutes=20)  # the last backoff
    assert sweeps.pending_links_enqueue() == 0

    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="DEMO001")
    EmployerLink.objects.update(link_requested_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.pending_links_enqueue() == 1

    assert EmployerLink.objects.get().status == LinkStatus.ACTIVE


def test_a_visibility_check_waiting_for_loket_is_left_to_its_retry_then_swept(
    processor, django_capture_on_commit_callbacks
):
    _on_storing(processor)
    request = _request(processor, django_capture_on_commit_callbacks, number=E4_NUMBER, kvk=E4_KVK)
    assert request.problem_code == ""  # Loket.nl could not be asked: nothing is concluded
    assert request.visibility_due_at > timezone.now() + dt.timedelta(minutes=20)
    assert sweeps.visibility_checks_enqueue() == 0

    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="DEMO001")
    EmployerRequest.objects.update(visibility_due_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.visibility_checks_enqueue() == 1

    request.refresh_from_db()
    assert request.problem_code == "NIET_ZICHTBAAR"
    assert request.visibility_due_at is None
    assert request.problem_mailed_at is not None


def test_a_visible_request_is_checked_once_and_a_linked_one_needs_no_check(
    processor, django_capture_on_commit_callbacks
):
    request = _request(processor, django_capture_on_commit_callbacks)
    assert (request.problem_code, request.visibility_due_at) == ("", None)
    assert request.checked_at is not None

    # Linked before its check came round (say the broker was down): the sweep drops the check.
    waiting = _request(
        processor, django_capture_on_commit_callbacks, number="173718528L02", kvk="23456789"
    )
    EmployerRequest.objects.filter(pk=waiting.pk).update(
        status=RequestStatus.LINKED, visibility_due_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert sweeps.visibility_checks_enqueue() == 0
    waiting.refresh_from_db()
    assert waiting.visibility_due_at is None


def test_a_request_for_an_employer_already_registered_asks_no_visibility_check(
    processor, django_capture_on_commit_callbacks
):
    _register(processor, django_capture_on_commit_callbacks, E4)  # refused: outside the team
    _register(processor, django_capture_on_commit_callbacks, E1)
    request = _request(processor, django_capture_on_commit_callbacks)

    assert request.visibility_due_at is None
    assert request.checked_at is None  # the linking task checked it, as a link
    assert EmployerLink.objects.get(loket_employer_id=E1).status == LinkStatus.ACTIVE


# --- the upgrade ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_marks_the_mails_of_existing_rows_sent_so_nothing_goes_out_months_late():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("employers", "0001_initial")], [("employers", "0002_outbox")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    processor = make_processor()
    now = timezone.now()
    request = old.get_model("employers", "EmployerRequest").objects.create(
        company_name="Bakkerij Van Dijk B.V.",
        kvk_number=E1_KVK,
        contact_name="Jan van Dijk",
        contact_email="jan@bakkerij.example",
        processor_id=processor.pk,
        status=RequestStatus.LINKED,
        problem_code="NIET_ZICHTBAAR",
        checked_at=now,
        consent_at=now,
    )
    old.get_model("employers", "EmployerLink").objects.create(
        processor_id=processor.pk,
        loket_employer_id=E1,
        employer_name="Bakkerij Van Dijk B.V.",
        request_id=request.pk,
        status=LinkStatus.ACTIVE,
        activated_at=now,
        processor_notified_at=now,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    # On to the latest schema (later migrations of the app), as an upgrade would, and as the
    # tests after this one expect.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert sweeps.unsent_mails_enqueue(older_than=dt.timedelta(0)) == {
        "request_mails": 0,
        "problem_mails": 0,
        "link_active_mails": 0,
    }
    assert mail.outbox == []


def test_the_sweep_hands_a_due_mail_out_once_per_rearm_not_on_every_run(
    processor, mail_server, django_capture_on_commit_callbacks
):
    """A mail server down for an hour must not gather a copy of the task every 20 seconds."""
    mail_server.down()
    request = _request(processor, django_capture_on_commit_callbacks)  # refused: still due

    assert sweeps.unsent_mails_enqueue(older_than=dt.timedelta(0))["request_mails"] == 1
    assert sweeps.unsent_mails_enqueue(older_than=dt.timedelta(0))["request_mails"] == 0

    mail_server.up()
    EmployerRequest.objects.filter(pk=request.pk).update(
        mail_retry_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert sweeps.unsent_mails_enqueue(older_than=dt.timedelta(0))["request_mails"] == 1
    assert EmployerRequest.objects.get(pk=request.pk).mails_sent_at is not None


def test_a_linking_task_defers_or_releases_only_the_links_under_its_own_lease(processor):
    """A copy that took the links over (the first task's lease ran out) keeps them: the first
    task's late defer or release must not free them for the sweep."""
    now = timezone.now()
    mine, theirs = now + dt.timedelta(seconds=30), now + dt.timedelta(seconds=40)
    link = EmployerLink.objects.create(
        processor=processor,
        loket_employer_id=E1,
        employer_name="Bakkerij Van Dijk B.V.",
        status=LinkStatus.PENDING,
        link_requested_at=now,
        link_claimed_until=theirs,
    )

    linking.links_defer(link_ids=[link.pk], seconds=600, lease=mine)
    linking.links_release(link_ids=[link.pk], lease=mine)

    link.refresh_from_db()
    assert (link.link_claimed_until, link.link_requested_at) == (theirs, now)
    linking.links_defer(link_ids=[link.pk], seconds=600, lease=theirs)
    link.refresh_from_db()
    assert link.link_claimed_until is None
    assert link.link_requested_at > now + dt.timedelta(seconds=590)
