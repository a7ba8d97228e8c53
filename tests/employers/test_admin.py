"""The a.s.r. admin for employer requests and links: filters, search by name, KvK and
loonheffingennummer, history, re-check, and the CSV export of active links."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from employers import services
from employers.admin import CSV_DELIMITER, CSV_HEADER, csv_safe
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    LinkTaxNumber,
    RequestStatus,
)
from tests.employers.conftest import E1, make_processor, submit_verified
from tests.employers.test_emails import _active_links, _request
from tests.onboarding.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

REQUESTS = reverse("admin:employers_employerrequest_changelist")
LINKS = reverse("admin:employers_employerlink_changelist")
EXPORT = reverse("admin:employers_employerlink_export_active")


def _rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=CSV_DELIMITER))


def _names(response) -> set[str]:
    return {str(obj) for obj in response.context["cl"].result_list}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _link(processor, *, employer_id: str, name: str, status=LinkStatus.AWAITING_REQUEST, **kw):
    return EmployerLink.objects.create(
        processor=processor,
        loket_employer_id=employer_id,
        employer_name=name,
        status=status,
        **kw,
    )


@pytest.fixture
def two_processors():
    return make_processor("ws-a", n=1), make_processor("ws-b", n=2)


# --- requests ------------------------------------------------------------------------------------


def test_requests_filter_by_status_and_processor(admin_client, two_processors):
    first, second = two_processors
    _request(first, company_name="Alfa", numbers=("144068989L01",))
    _request(second, company_name="Beta", numbers=("173718528L01",), kvk_number="23456789")
    _request(
        second,
        company_name="Gamma",
        numbers=("177756184L01",),
        kvk_number="34567890",
        status=RequestStatus.LINKED,
    )

    assert _names(admin_client.get(REQUESTS)) == {
        "Alfa (12345678)",
        "Beta (23456789)",
        "Gamma (34567890)",
    }
    assert _names(admin_client.get(REQUESTS, {"status__exact": "linked"})) == {"Gamma (34567890)"}
    by_processor = admin_client.get(REQUESTS, {"processor__id__exact": second.pk})
    assert _names(by_processor) == {"Beta (23456789)", "Gamma (34567890)"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("173718528L02", {"Beta (23456789)"}),
        ("173718528l01", {"Beta (23456789)"}),
        ("23456789", {"Beta (23456789)"}),
        ("alfa", {"Alfa (12345678)"}),
        ("nergens", set()),
    ],
)
def test_requests_are_found_by_loonheffingennummer_kvk_and_name(
    admin_client, two_processors, query, expected
):
    first, second = two_processors
    _request(first, company_name="Alfa", numbers=("144068989L01",))
    _request(
        second,
        company_name="Beta",
        numbers=("173718528L01", "173718528L02"),
        kvk_number="23456789",
    )

    response = admin_client.get(REQUESTS, {"q": query})

    assert response.status_code == 200
    assert _names(response) == expected


def test_a_request_page_shows_its_numbers_and_history(
    admin_client, processor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = submit_verified(
            company_name="Transport Jansen B.V.",
            kvk_number="45678901",
            tax_numbers=["211946217L01"],  # E4: not visible, so the history has a finding
            contact_name="Piet Jansen",
            contact_email="piet@transport.example",
            processor=processor,
        )

    response = admin_client.get(
        reverse("admin:employers_employerrequest_change", args=[request.pk])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "211946217L01" in html
    assert "aanvraagformulier werkgever" in html  # the first event
    assert "NIET_ZICHTBAAR" in html  # the visibility check's event and the problem
    assert "Handleiding: stap 3, Ak gebruiker" in html


def test_requests_and_links_cannot_be_added_or_deleted_in_the_admin(
    client, admin_client, processor
):
    staff = StaffUserFactory(
        permissions=[
            f"employers.{action}_{model}"
            for action in ("add", "change", "delete", "view")
            for model in ("employerrequest", "employerlink")
        ]
    )
    client.force_login(staff)
    request = _request(processor)
    link = _link(processor, employer_id=E1, name="Bakkerij")

    assert client.get(reverse("admin:employers_employerrequest_add")).status_code == 403
    assert client.get(reverse("admin:employers_employerlink_add")).status_code == 403
    assert (
        client.get(reverse("admin:employers_employerrequest_delete", args=[request.pk])).status_code
        == 403
    )
    assert (
        client.get(reverse("admin:employers_employerlink_delete", args=[link.pk])).status_code
        == 403
    )
    # not even a superuser: the evidence per employer is read from these rows
    for name, pk in (("employerrequest", request.pk), ("employerlink", link.pk)):
        url = reverse(f"admin:employers_{name}_delete", args=[pk])
        assert admin_client.get(url).status_code == 403
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert EmployerRequest.objects.filter(pk=request.pk).exists()
    assert EmployerLink.objects.filter(pk=link.pk).exists()


def test_the_request_form_in_the_admin_changes_nothing(admin_client, processor):
    request = _request(processor)
    url = reverse("admin:employers_employerrequest_change", args=[request.pk])

    admin_client.post(url, {"company_name": "Gewijzigd", "status": "withdrawn"})

    request.refresh_from_db()
    assert request.company_name == "Bakkerij Van Dijk B.V."
    assert request.status == RequestStatus.OPEN


# --- links ---------------------------------------------------------------------------------------


def test_links_filter_by_status_and_processor_and_search_by_number_kvk_and_request(
    admin_client, two_processors
):
    first, second = two_processors
    request = _request(first, company_name="Aanvrager Alfa")
    alfa = _link(first, employer_id="a", name="Alfa", kvk_number="12345678", request=request)
    LinkTaxNumber.objects.create(link=alfa, number="144068989L01")
    beta = _link(second, employer_id="b", name="Beta", kvk_number="23456789")
    LinkTaxNumber.objects.create(link=beta, number="173718528L01")
    LinkTaxNumber.objects.create(link=beta, number="173718528L02")
    _link(second, employer_id="c", name="Gamma", status=LinkStatus.PROBLEM, problem_code="X")

    assert _names(admin_client.get(LINKS)) == {"Alfa", "Beta", "Gamma"}
    assert _names(admin_client.get(LINKS, {"status__exact": "problem"})) == {"Gamma"}
    assert _names(admin_client.get(LINKS, {"processor__id__exact": first.pk})) == {"Alfa"}
    assert _names(admin_client.get(LINKS, {"q": "173718528L02"})) == {"Beta"}
    assert _names(admin_client.get(LINKS, {"q": "12345678"})) == {"Alfa"}
    assert _names(admin_client.get(LINKS, {"q": "Aanvrager"})) == {"Alfa"}
    # a link with two matching numbers is listed once
    assert len(admin_client.get(LINKS, {"q": "173718528"}).context["cl"].result_list) == 1


def test_the_link_list_costs_the_same_queries_for_5_and_50_links(admin_client, processor):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(LINKS).status_code == 200
        return len(captured)

    _active_links(processor, 5)
    few = count()
    _active_links(make_processor("ws-b", n=2), 45, start=5)
    many = count()

    assert many == few


def test_the_request_list_costs_the_same_queries_for_5_and_50_requests(admin_client, processor):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(REQUESTS).status_code == 200
        return len(captured)

    _active_links(processor, 5)
    few = count()
    _active_links(make_processor("ws-b", n=2), 45, start=5)
    many = count()

    assert many == few


def test_a_link_page_shows_its_history_and_problem(
    admin_client, processor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.links_register(processor=processor, employer_ids=[E1], by=None)
        submit_verified(
            company_name="Bakkerij Van Dijk B.V.",
            kvk_number="12345678",
            tax_numbers=["144068989L01"],
            contact_name="Jan van Dijk",
            contact_email="jan@bakkerij.example",
            processor=processor,
        )
    link = EmployerLink.objects.get()
    assert link.status == LinkStatus.ACTIVE

    html = admin_client.get(
        reverse("admin:employers_employerlink_change", args=[link.pk])
    ).content.decode()

    assert "aanmelding door salarisverwerker" in html
    assert "aanvraag en aanmelding compleet" in html
    assert "144068989L01" in html
    # The history in words: the link's status labels, not their codes.
    assert "Aangemeld → Wacht op aanvraag werkgever" in html
    assert "Wacht op aanvraag werkgever → Wordt gekoppeld" in html
    assert "Wordt gekoppeld → Actief" in html
    assert "awaiting_request" not in html
    assert "-&gt; pending" not in html


def test_recheck_puts_links_with_a_problem_back_to_work_and_records_who(
    admin_client, processor, django_capture_on_commit_callbacks
):
    request = _request(processor, status=RequestStatus.OPEN)
    problem = _link(
        processor,
        employer_id=E1,
        name="Bakkerij",
        status=LinkStatus.PROBLEM,
        problem_code="NIET_ZICHTBAAR",
        request=request,
    )
    active = _active_links(processor, 1)[0]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            LINKS,
            {"action": "recheck", "_selected_action": [problem.pk, active.pk], "index": 0},
            follow=True,
        )

    problem.refresh_from_db()
    active.refresh_from_db()
    assert problem.status == LinkStatus.ACTIVE  # E1 is visible: the worker linked it
    assert active.status == LinkStatus.ACTIVE
    event = EmployerEvent.objects.get(link=problem, to_status=LinkStatus.PENDING)
    assert event.actor is not None
    assert event.actor_label.startswith("medewerker ")
    messages = _messages(response)
    assert "1 koppeling wordt opnieuw gecontroleerd." in messages
    assert any("1 koppeling overgeslagen" in m for m in messages)


def test_recheck_reports_a_link_the_service_refuses(admin_client, processor):
    # a problem link without a request cannot be re-checked (the service says why)
    orphan = _link(processor, employer_id=E1, name="Wees", status=LinkStatus.PROBLEM)

    response = admin_client.post(
        LINKS, {"action": "recheck", "_selected_action": [orphan.pk], "index": 0}, follow=True
    )

    orphan.refresh_from_db()
    assert orphan.status == LinkStatus.PROBLEM
    assert any(m.startswith("Wees: ") for m in _messages(response))


# --- CSV export ----------------------------------------------------------------------------------


def test_the_export_lists_only_active_links_with_all_columns(admin_client, two_processors):
    first, second = two_processors
    active = _active_links(first, 2) + _active_links(second, 1, start=2)
    LinkTaxNumber.objects.create(link=active[0], number="173718528L02")
    LinkTaxNumber.objects.create(link=active[0], number="173718528L01")
    _link(first, employer_id="wacht", name="Wachtend")
    _link(first, employer_id="probleem", name="Probleem", status=LinkStatus.PROBLEM)

    response = admin_client.get(LINKS)
    assert EXPORT in response.content.decode()  # the button on the change list
    response = admin_client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _rows(response)
    assert tuple(header) == CSV_HEADER
    assert len(rows) == 3
    assert {row[1] for row in rows} == {"Werkgever 0", "Werkgever 1", "Werkgever 2"}
    first_row = next(row for row in rows if row[1] == "Werkgever 0")
    activated = timezone.localtime(active[0].activated_at).isoformat(timespec="seconds")
    assert first_row == [
        first.company_name,
        "Werkgever 0",
        "10000000",
        "173718528L01 173718528L02",
        "loket-0",
        activated,
    ]


def test_the_export_can_be_limited_to_one_processor(admin_client, two_processors):
    first, second = two_processors
    _active_links(first, 2)
    _active_links(second, 3, start=2)

    _, *rows = _rows(admin_client.get(EXPORT, {"processor__id__exact": second.pk}))

    assert {row[0] for row in rows} == {second.company_name}
    assert len(rows) == 3
    assert admin_client.get(EXPORT, {"processor__id__exact": "x"}).status_code == 404


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t"])
def test_the_export_neutralises_cells_a_spreadsheet_would_run(admin_client, processor, prefix):
    [link] = _active_links(processor, 1)
    name = f'{prefix}HYPERLINK("http://evil.example";"klik")'
    EmployerLink.objects.filter(pk=link.pk).update(employer_name=name, loket_employer_id="-1")
    type(processor).objects.filter(pk=processor.pk).update(company_name="@SUM(A1)")

    _, row = _rows(admin_client.get(EXPORT))

    assert row[0] == "'@SUM(A1)"
    assert row[1] == "'" + name
    assert row[4] == "'-1"


def test_csv_safe_leaves_ordinary_text_alone():
    assert csv_safe("Bakkerij Van Dijk B.V.") == "Bakkerij Van Dijk B.V."
    assert csv_safe("12345678") == "12345678"
    assert csv_safe(None) == ""
    assert csv_safe("=1+1") == "'=1+1"


def test_the_export_of_many_links_costs_a_few_queries(
    admin_client, processor, django_assert_max_num_queries
):
    _active_links(processor, 300)
    response = admin_client.get(EXPORT)

    with django_assert_max_num_queries(4):
        _, *rows = _rows(response)

    assert len(rows) == 300


def test_the_export_needs_the_right_to_view_links(client, processor):
    _active_links(processor, 1)
    assert client.get(EXPORT).status_code == 302  # not logged in: to the admin login

    client.force_login(StaffUserFactory())
    assert client.get(EXPORT).status_code == 403

    client.force_login(StaffUserFactory(permissions=["employers.view_employerlink"]))
    assert client.get(EXPORT).status_code == 200
