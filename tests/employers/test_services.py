"""Employer requests, registrations and links against the sandbox, tasks in-process."""

from __future__ import annotations

import pytest

from employers import services
from employers.loket_snapshot import LoketSnapshot, snapshot
from employers.models import EmployerEvent, EmployerLink, LinkStatus, RequestStatus
from locket_client.types import Employer
from tests.employers.conftest import E1, E2, E4, make_processor, submit_verified

pytestmark = pytest.mark.django_db


def _request(processor, capture, numbers=("144068989L01",), kvk="12345678", **extra):
    with capture(execute=True):
        return submit_verified(
            company_name="Bakkerij Van Dijk B.V.",
            kvk_number=kvk,
            tax_numbers=numbers,
            contact_name="Jan van Dijk",
            contact_email="jan@bakkerij.example",
            processor=processor,
            **extra,
        )


def _register(processor, capture, ids):
    with capture(execute=True):
        return services.links_register(processor=processor, employer_ids=ids, by=None)


def test_request_then_register_ends_linked(processor, django_capture_on_commit_callbacks):
    request = _request(processor, django_capture_on_commit_callbacks)
    result = _register(processor, django_capture_on_commit_callbacks, [E1])

    link = EmployerLink.objects.get()
    request.refresh_from_db()
    assert (result.created, result.pending) == (1, 1)
    assert link.status == LinkStatus.ACTIVE
    assert link.request == request
    assert request.status == RequestStatus.LINKED
    assert [e.to_status for e in EmployerEvent.objects.filter(link=link)] == [
        LinkStatus.AWAITING_REQUEST,
        LinkStatus.PENDING,
        LinkStatus.ACTIVE,
    ]


def test_register_then_request_ends_linked(processor, django_capture_on_commit_callbacks):
    _register(processor, django_capture_on_commit_callbacks, [E2])
    assert EmployerLink.objects.get().status == LinkStatus.AWAITING_REQUEST

    _request(
        processor,
        django_capture_on_commit_callbacks,
        numbers=["173718528L02", "173718528L01"],
        kvk="23456789",
    )

    assert EmployerLink.objects.get().status == LinkStatus.ACTIVE


def test_a_request_paired_by_kvk_alone_is_a_problem_never_a_link(
    processor, django_capture_on_commit_callbacks
):
    _register(processor, django_capture_on_commit_callbacks, [E1])

    request = _request(processor, django_capture_on_commit_callbacks, numbers=["123456782L01"])

    link = EmployerLink.objects.get()
    request.refresh_from_db()
    assert link.request == request  # paired on the KvK number, so the processor sees it
    assert (link.status, link.problem_code) == (LinkStatus.PROBLEM, "ALLEEN_KVK")
    assert request.status == RequestStatus.OPEN


def _with_sibling_of_e1(processor) -> tuple[LoketSnapshot, Employer]:
    """The processor's Loket.nl snapshot plus a second employer with E1's KvK number (a
    holding's other company) and a loonheffingennummer of its own."""
    seen = snapshot(processor)
    sibling = Employer(
        id="c0ffee00-0000-4000-8000-000000000001",
        number=1099,
        name="Bakkerij Van Dijk Zuid B.V.",
        kvk_number="12345678",
        payroll_tax_numbers=("123456782L01",),
        active=True,
    )
    return LoketSnapshot(access=seen.access, employers=(*seen.employers, sibling)), sibling


def test_a_bulk_registration_gives_a_request_only_to_the_employer_whose_number_it_names(
    processor, django_capture_on_commit_callbacks
):
    employer_request = _request(processor, django_capture_on_commit_callbacks)  # E1's number
    current, sibling = _with_sibling_of_e1(processor)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.links_register(
            processor=processor, employer_ids=[E1, sibling.id], by=None, current=current
        )

    assert (result.created, result.pending) == (2, 1)
    assert EmployerLink.objects.get(loket_employer_id=E1).request == employer_request
    kept_apart = EmployerLink.objects.get(loket_employer_id=sibling.id)
    assert (kept_apart.status, kept_apart.request) == (LinkStatus.AWAITING_REQUEST, None)


def test_a_request_after_the_registrations_goes_only_to_the_employer_whose_number_it_names(
    processor, django_capture_on_commit_callbacks
):
    current, sibling = _with_sibling_of_e1(processor)
    with django_capture_on_commit_callbacks(execute=True):
        services.links_register(
            processor=processor, employer_ids=[E1, sibling.id], by=None, current=current
        )

    employer_request = _request(processor, django_capture_on_commit_callbacks)  # E1's number

    assert EmployerLink.objects.get(loket_employer_id=E1).request == employer_request
    kept_apart = EmployerLink.objects.get(loket_employer_id=sibling.id)
    assert (kept_apart.status, kept_apart.request) == (LinkStatus.AWAITING_REQUEST, None)


def test_a_registration_finds_the_request_by_kvk_when_no_number_matches_but_does_not_link(
    processor, django_capture_on_commit_callbacks
):
    request = _request(processor, django_capture_on_commit_callbacks, numbers=["123456782L01"])

    result = _register(processor, django_capture_on_commit_callbacks, [E1, E2])

    assert (result.created, result.pending) == (2, 1)
    paired = EmployerLink.objects.get(loket_employer_id=E1)
    assert (paired.status, paired.request) == (LinkStatus.PROBLEM, request)
    assert (paired.problem_code, paired.problem_detail) == ("ALLEEN_KVK", "123456782L01")
    waiting = EmployerLink.objects.get(loket_employer_id=E2)
    assert (waiting.status, waiting.request) == (LinkStatus.AWAITING_REQUEST, None)


def test_an_open_request_for_the_same_number_is_refused(
    processor, django_capture_on_commit_callbacks
):
    _request(processor, django_capture_on_commit_callbacks)

    with pytest.raises(services.DuplicateRequest, match="144068989L01"):
        _request(processor, django_capture_on_commit_callbacks, numbers=["144068989l01"])


def test_an_employer_outside_the_team_cannot_be_registered(
    processor, django_capture_on_commit_callbacks
):
    result = _register(processor, django_capture_on_commit_callbacks, [E4])

    assert (result.created, result.unknown) == (0, 1)
    assert not EmployerLink.objects.exists()


def test_registering_twice_makes_one_link(processor, django_capture_on_commit_callbacks):
    _register(processor, django_capture_on_commit_callbacks, [E1, E1])
    again = _register(processor, django_capture_on_commit_callbacks, [E1])

    assert EmployerLink.objects.count() == 1
    assert again.already == 1


def test_a_link_task_run_twice_activates_once(processor, django_capture_on_commit_callbacks):
    _request(processor, django_capture_on_commit_callbacks)
    _register(processor, django_capture_on_commit_callbacks, [E1])
    link = EmployerLink.objects.get()

    again = services.links_activate(link_ids=[link.pk], trigger="test")

    assert again.activated == []
    assert EmployerEvent.objects.filter(link=link, to_status=LinkStatus.ACTIVE).count() == 1


def test_ws_zonder_loon_links_end_with_the_missing_rights(
    db, loket_settings, django_capture_on_commit_callbacks
):
    processor = make_processor("ws-zonder-loon")
    _request(processor, django_capture_on_commit_callbacks)
    _register(processor, django_capture_on_commit_callbacks, [E1])

    link = EmployerLink.objects.get()
    assert link.status == LinkStatus.PROBLEM
    assert link.problem_code == "AUTORISATIE_ONTBREEKT"
    assert "WERKNEMERS" in link.problem_detail


def test_a_recheck_flags_an_employer_no_longer_visible(
    processor, django_capture_on_commit_callbacks
):
    _request(processor, django_capture_on_commit_callbacks)
    _register(processor, django_capture_on_commit_callbacks, [E1])
    EmployerLink.objects.update(loket_employer_id=E4)  # as if E1 left the team

    changed = services.links_recheck(processor=processor, trigger="test")

    assert changed == 1
    assert EmployerLink.objects.get().status == LinkStatus.NEEDS_ATTENTION


def test_a_recheck_during_an_outage_flags_nothing(processor, django_capture_on_commit_callbacks):
    _request(processor, django_capture_on_commit_callbacks)
    _register(processor, django_capture_on_commit_callbacks, [E1])
    processor.omgevingscode = "STORING"
    processor.save()

    assert services.links_recheck(processor=processor, trigger="test") is None
    assert EmployerLink.objects.get().status == LinkStatus.ACTIVE


def test_a_request_for_an_employer_outside_the_team_records_the_problem(
    processor, django_capture_on_commit_callbacks
):
    request = _request(
        processor, django_capture_on_commit_callbacks, numbers=["211946217L01"], kvk="45678901"
    )

    request.refresh_from_db()
    assert request.problem_code == "NIET_ZICHTBAAR"
    assert request.status == RequestStatus.OPEN


def test_a_request_to_a_processor_without_a_team_records_the_problem(
    db, loket_settings, django_capture_on_commit_callbacks
):
    request = _request(make_processor("ws-zonder-team"), django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert request.problem_code == "NIET_ZICHTBAAR"


def test_a_request_for_a_visible_employer_has_no_problem(
    processor, django_capture_on_commit_callbacks
):
    request = _request(processor, django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert request.problem_code == ""


def test_a_link_problem_is_mailed_to_the_processor_with_the_step(
    db, loket_settings, django_capture_on_commit_callbacks, mailoutbox
):
    processor = make_processor("ws-zonder-loon")
    _request(processor, django_capture_on_commit_callbacks)
    _register(processor, django_capture_on_commit_callbacks, [E1])

    [digest] = [m for m in mailoutbox if m.to == [processor.email] and "aandacht" in m.subject]
    assert "Bakkerij Van Dijk B.V." in digest.body
    assert "stap 3" in digest.body


def test_two_requests_each_naming_one_of_an_employers_numbers_do_not_link_it(
    processor, django_capture_on_commit_callbacks
):
    first = _request(
        processor, django_capture_on_commit_callbacks, numbers=["173718528L01"], kvk="23456789"
    )
    second = _request(
        processor, django_capture_on_commit_callbacks, numbers=["173718528L02"], kvk="23456789"
    )
    _register(processor, django_capture_on_commit_callbacks, [E2])

    first.refresh_from_db()
    second.refresh_from_db()
    link = EmployerLink.objects.get()
    assert (first.status, second.status) == (RequestStatus.OPEN, RequestStatus.OPEN)
    assert (link.status, link.request, link.problem_code) == (
        LinkStatus.PROBLEM,
        first,
        "NUMMER_EXTRA",
    )
    assert link.problem_detail == "173718528L02"
