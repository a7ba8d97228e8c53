"""The evidence per employer (issue 12, point 6): its content for links verified by the register
and by a reviewer, the admin page and its JSON download, who may see them, every Loket.nl check
recorded, and the history rows it is read from being append-only (PostgreSQL and the ORM)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, Policy
from employers import services
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    VerificationMethod,
)
from employers.selectors import EVIDENCE_SCHEMA, evidence
from employers.services.rechecks import VISIBLE_NOTE
from tests.employers.conftest import DEMO_PASSWORD, E1, E2, make_processor
from tests.employers.test_emails import _active_links
from tests.onboarding.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def _page(link) -> str:
    return reverse("admin:employers_employerlink_evidence", args=[link.pk])


def _download(link) -> str:
    return reverse("admin:employers_employerlink_evidence_json", args=[link.pk])


def _submit(processor, **kw):
    return services.request_submit(
        company_name=kw.pop("company_name", "Bakkerij Van Dijk B.V."),
        kvk_number=kw.pop("kvk_number", "12345678"),
        tax_numbers=kw.pop("tax_numbers", ["144068989L01"]),
        contact_name="Jan van Dijk",
        contact_email=kw.pop("contact_email", "jan@typed.example"),
        contact_phone="010 123 45 67",
        processor=processor,
        **kw,
    )


def _registered_and_active(processor, capture, employer_id, *, by=None) -> EmployerLink:
    with capture(execute=True):
        services.links_register(processor=processor, employer_ids=[employer_id], by=by)
    link = EmployerLink.objects.get(processor=processor, loket_employer_id=employer_id)
    assert link.status == LinkStatus.ACTIVE
    return link


@pytest.fixture
def registered_link(processor, django_capture_on_commit_callbacks):
    """E1 in the register (policy ASR-100001, contact on file); the employer's request matched
    it and was confirmed by the link mailed to that address; the processor's user registered it."""
    customer = Customer.objects.create(kvk_number="12345678", name="Bakkerij Van Dijk B.V.")
    Policy.objects.create(number="ASR-100001", customer=customer, contact_email="j@vandijk.example")
    submitted = _submit(processor, policy_number="asr-100001")
    assert submitted.status == RequestStatus.UNVERIFIED
    with django_capture_on_commit_callbacks(execute=True):
        services.request_verify(
            request_id=submitted.pk, method=VerificationMethod.REGISTER, actor_label="activatielink"
        )
    owner = get_user_model().objects.create_user("verwerker-jan", "jan@verwerker.example")
    return _registered_and_active(processor, django_capture_on_commit_callbacks, E1, by=owner)


@pytest.fixture
def reviewed_link(processor, django_capture_on_commit_callbacks):
    """E2 not in the register: the request went to review and an a.s.r. reviewer approved it."""
    submitted = _submit(
        processor,
        company_name="Bouwbedrijf",
        kvk_number="23456789",
        tax_numbers=["173718528L01", "173718528L02"],
    )
    assert submitted.status == RequestStatus.IN_REVIEW
    reviewer = StaffUserFactory(username="beoordelaar-anna")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_verify(
            request_id=submitted.pk,
            method=VerificationMethod.REVIEW,
            actor=reviewer,
            actor_label=f"medewerker {reviewer}",
        )
    return _registered_and_active(processor, django_capture_on_commit_callbacks, E2)


# --- content -------------------------------------------------------------------------------------


def test_the_evidence_of_a_link_verified_through_the_register_names_the_policy_and_address(
    registered_link, processor
):
    document = evidence(registered_link)

    assert document["schema"] == EVIDENCE_SCHEMA == "salariskoppeling-evidence/1"
    assert document["subject"] == {"type": "link", "id": registered_link.pk}
    assert document["employer"] == {
        "name": registered_link.employer_name,
        "kvk_number": "12345678",
        "loket_employer_id": E1,
        "tax_numbers": ["144068989L01"],
    }
    assert document["processor"] == {
        "id": processor.pk,
        "company_name": processor.company_name,
        "omgevingscode": "DEMO001",
    }
    [request] = document["requests"]
    verification = request["verification"]
    assert request["role"] == "primary"
    assert request["contact"]["email"] == "jan@typed.example"
    assert verification["method"] == VerificationMethod.REGISTER
    assert verification["register"] == {
        "policy_number": "ASR-100001",
        "contact_email_on_file": "j@vandijk.example",
    }
    assert verification["verified_email"] == "j@vandijk.example"
    assert verification["recorded_by"] == "activatielink"
    [link] = document["links"]
    assert link["registration"]["by"] == "verwerker-jan"
    assert link["activation"]["at"] is not None
    assert link["end"] is None
    # every event of the request and the link, in time order, times with their offset
    changes = [(e["subject"], e["from_status"], e["to_status"]) for e in document["events"]]
    assert changes == [
        ("request", None, RequestStatus.UNVERIFIED),
        ("request", RequestStatus.UNVERIFIED, RequestStatus.OPEN),
        ("link", None, LinkStatus.AWAITING_REQUEST),
        ("link", LinkStatus.AWAITING_REQUEST, LinkStatus.PENDING),
        ("link", LinkStatus.PENDING, LinkStatus.ACTIVE),
        ("request", RequestStatus.OPEN, RequestStatus.LINKED),
    ]
    times = [e["at"] for e in document["events"]]
    assert times == sorted(times)
    assert all(t[-6] in "+-" and t[-3] == ":" for t in [*times, document["generated_at"]])
    assert [e["kind"] for e in document["events"]].count("loket_check") == 1
    assert document["events"][2]["actor"] == "verwerker-jan"
    json.dumps(document)  # JSON-able as it is


def test_the_evidence_of_a_reviewed_link_names_the_reviewer(reviewed_link):
    document = evidence(reviewed_link)

    [request] = document["requests"]
    assert request["verification"]["method"] == VerificationMethod.REVIEW
    assert request["verification"]["reviewer"] == "beoordelaar-anna"
    assert request["verification"]["verified_email"] == "jan@typed.example"
    assert "register" not in request["verification"]
    opened = next(e for e in document["events"] if e["to_status"] == RequestStatus.OPEN)
    assert opened["actor"] == "beoordelaar-anna"
    assert opened["actor_label"] == "medewerker beoordelaar-anna"


def test_a_link_verified_before_the_register_says_so(reviewed_link):
    EmployerRequest.objects.filter(pk=reviewed_link.request_id).update(
        verification_method=VerificationMethod.BEFORE_REGISTER, before_register=True
    )

    verification = evidence(reviewed_link)["requests"][0]["verification"]

    assert verification["method_label"] == "Geverifieerd vóór het klantregister bestond"
    assert verification["before_register"] is True


def test_the_evidence_of_an_ended_link_says_when_why_and_by_whom(reviewed_link):
    staff = StaffUserFactory(username="beheerder-piet")
    EmployerLink.objects.filter(pk=reviewed_link.pk).update(
        status=LinkStatus.ENDED,
        ended_at=reviewed_link.activated_at,
        end_reason="ingetrokken door de werkgever",
        ended_by=staff,
    )

    end = evidence(reviewed_link)["links"][0]["end"]

    assert end["reason"] == "ingetrokken door de werkgever"
    assert end["by"] == "beheerder-piet"
    assert end["at"] is not None


def test_the_evidence_of_a_request_covers_its_links(reviewed_link):
    document = evidence(EmployerRequest.objects.get(pk=reviewed_link.request_id))

    assert document["subject"]["type"] == "request"
    assert [link["id"] for link in document["links"]] == [reviewed_link.pk]
    assert {e["subject"] for e in document["events"]} == {"request", "link"}


def test_the_evidence_costs_the_same_queries_for_a_short_and_a_long_history(reviewed_link):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            evidence(reviewed_link)
        return len(captured)

    short = count()
    for _ in range(20):
        services.links_recheck(processor=reviewed_link.processor, trigger="test")
    assert count() == short <= 8


def test_a_registration_still_waiting_for_its_request_has_evidence_too(admin_client, processor):
    link = EmployerLink.objects.create(
        processor=processor, loket_employer_id=E1, employer_name="Bakkerij"
    )

    document = evidence(link)

    assert document["requests"] == []
    assert document["links"][0]["activation"] is None
    assert document["employer"]["tax_numbers"] == []
    response = admin_client.get(_page(link))
    assert response.status_code == 200
    assert "Er is (nog) geen aanvraag" in response.content.decode()


# --- admin page and download ---------------------------------------------------------------------


def test_the_admin_page_shows_the_evidence_as_a_timeline_with_a_download(
    admin_client, registered_link
):
    response = admin_client.get(_page(registered_link))

    assert response.status_code == 200
    html = response.content.decode()
    assert "ASR-100001" in html
    assert "j@vandijk.example" in html
    assert "verwerker-jan" in html
    assert _download(registered_link) in html
    assert "<form" not in html.split('id="content-main"')[1]  # nothing on it is editable
    assert "<input" not in html.split('id="content-main"')[1]


def test_the_link_page_and_list_link_to_the_evidence(admin_client, registered_link):
    change = reverse("admin:employers_employerlink_change", args=[registered_link.pk])
    changelist = reverse("admin:employers_employerlink_changelist")

    assert _page(registered_link) in admin_client.get(change).content.decode()
    assert _page(registered_link) in admin_client.get(changelist).content.decode()


def test_the_json_download_is_an_attachment_without_any_secret(admin_client, registered_link):
    processor = registered_link.processor
    request = EmployerRequest.objects.get(pk=registered_link.request_id)

    response = admin_client.get(_download(registered_link))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="bewijs-koppeling-{registered_link.pk}.json"'
    )
    body = response.content.decode()
    document = json.loads(body)
    assert document["schema"] == "salariskoppeling-evidence/1"
    assert document["subject"]["id"] == registered_link.pk
    for secret in (
        DEMO_PASSWORD,
        processor.loket_password_encrypted,
        processor.status_token,
        request.status_token,
    ):
        assert secret not in body
    assert "password" not in body
    assert "encrypted" not in body
    assert "token" not in body


def test_the_evidence_needs_the_view_permission_on_links(client, registered_link):
    client.force_login(StaffUserFactory())
    assert client.get(_page(registered_link)).status_code == 403
    assert client.get(_download(registered_link)).status_code == 403

    client.force_login(StaffUserFactory(permissions=["employers.view_employerlink"]))
    assert client.get(_page(registered_link)).status_code == 200
    assert client.get(_download(registered_link)).status_code == 200


def test_the_evidence_of_an_unknown_link_is_not_found(admin_client):
    missing = EmployerLink(pk=999999)
    assert admin_client.get(_page(missing)).status_code == 404
    assert admin_client.get(_download(missing)).status_code == 404


def test_no_admin_lets_anyone_add_change_or_delete_an_event(admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    inlines = 0
    for model, model_admin in admin.site._registry.items():
        if model is EmployerEvent:
            assert not model_admin.has_add_permission(request)
            assert not model_admin.has_change_permission(request)
            assert not model_admin.has_delete_permission(request)
        for inline_class in model_admin.inlines:
            if inline_class.model is not EmployerEvent:
                continue
            inline = inline_class(model, admin.site)
            inlines += 1
            assert inline.can_delete is False
            assert not inline.has_add_permission(request, None)
            assert not inline.has_change_permission(request, None)
            assert not inline.has_delete_permission(request, None)
    assert inlines >= 2  # the request's and the link's history


# --- every Loket.nl check is recorded ------------------------------------------------------------


def test_the_daily_recheck_records_every_link_checked_also_when_nothing_changed(
    reviewed_link, processor
):
    before = EmployerEvent.objects.filter(link=reviewed_link).count()

    changed = services.links_recheck(processor=processor, trigger="dagelijkse hercontrole")

    assert changed == 0
    latest = EmployerEvent.objects.filter(link=reviewed_link).order_by("at", "pk")
    assert latest.count() == before + 1
    check = latest.last()
    assert (check.from_status, check.to_status) == (LinkStatus.ACTIVE, LinkStatus.ACTIVE)
    assert check.note == VISIBLE_NOTE
    assert check.actor_label == "dagelijkse hercontrole"
    reviewed_link.refresh_from_db()
    assert reviewed_link.checked_at == check.at
    assert evidence(reviewed_link)["events"][-1]["kind"] == "loket_check"


def test_the_daily_recheck_records_the_problem_of_a_link_no_longer_visible(processor):
    [link] = _active_links(processor, 1)

    assert services.links_recheck(processor=processor, trigger="test") == 1
    assert services.links_recheck(processor=processor, trigger="test") == 0

    checks = list(EmployerEvent.objects.filter(link=link).order_by("at", "pk"))
    assert [(e.from_status, e.to_status, e.note) for e in checks] == [
        (LinkStatus.ACTIVE, LinkStatus.NEEDS_ATTENTION, "NIET_ZICHTBAAR"),
        (LinkStatus.NEEDS_ATTENTION, LinkStatus.NEEDS_ATTENTION, "NIET_ZICHTBAAR"),
    ]


def test_a_recheck_that_cannot_ask_loket_records_nothing(reviewed_link, processor):
    before = EmployerEvent.objects.count()
    processor.omgevingscode = "STORING"
    processor.save()

    assert services.links_recheck(processor=processor, trigger="test") is None
    assert EmployerEvent.objects.count() == before


def test_the_recheck_of_5_or_50_links_costs_the_same_queries(processor):
    def count(of) -> int:
        with CaptureQueriesContext(connection) as captured:
            services.links_recheck(processor=of, trigger="test")
        return len(captured)

    _active_links(processor, 5)
    few = count(processor)
    assert EmployerEvent.objects.count() == 5
    other = make_processor("ws-andere-partij", n=1)
    _active_links(other, 50, start=5)
    many = count(other)

    assert many == few
    assert EmployerEvent.objects.count() == 5 + 50


# --- append-only ---------------------------------------------------------------------------------


def _one_event(processor) -> EmployerEvent:
    [link] = _active_links(processor, 1)
    return EmployerEvent.objects.create(
        link=link, from_status="active", to_status="active", actor_label="test"
    )


def test_an_event_cannot_be_saved_again(processor):
    row = _one_event(processor)
    row.note = "herschreven"

    with pytest.raises(TypeError, match="append-only"):
        row.save()


def test_events_cannot_be_updated_through_the_orm(processor):
    _one_event(processor)

    with pytest.raises(TypeError, match="append-only"):
        EmployerEvent.objects.update(note="herschreven")


def test_postgresql_refuses_to_update_an_event(processor):
    assert connection.vendor == "postgresql"
    row = _one_event(processor)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE employers_employerevent SET note='x'")

    assert EmployerEvent.objects.get(pk=row.pk).note == ""


def test_deleting_a_user_named_as_actor_still_works(processor):
    [link] = _active_links(processor, 1)
    user = StaffUserFactory()
    row = EmployerEvent.objects.create(
        link=link, from_status="active", to_status="active", actor=user, actor_label="medewerker"
    )

    user.delete()

    row = EmployerEvent.objects.get(pk=row.pk)
    assert row.actor_id is None
    assert row.actor_label == "medewerker"


def test_postgresql_refuses_to_change_anything_but_the_deleted_actor(processor):
    [link] = _active_links(processor, 1)
    user = StaffUserFactory()
    row = EmployerEvent.objects.create(
        link=link, from_status="active", to_status="active", actor=user, actor_label="medewerker"
    )

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE employers_employerevent SET actor_id = NULL, note = 'x' WHERE id = %s",
            [row.pk],
        )


def test_postgresql_refuses_to_delete_the_history_of_a_link(processor):
    row = _one_event(processor)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM employers_employerevent WHERE id = %s", [row.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        EmployerEvent.objects.filter(pk=row.pk).delete()

    assert EmployerEvent.objects.filter(pk=row.pk).exists()


def test_postgresql_refuses_to_delete_the_history_of_a_verified_request(processor):
    verified = _submit(processor)
    services.request_verify(
        request_id=verified.pk, method=VerificationMethod.REVIEW, actor_label="test"
    )

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        EmployerEvent.objects.filter(request=verified).delete()

    assert EmployerEvent.objects.filter(request=verified).count() == 2


def test_an_unverified_request_expires_with_its_history(processor):
    unverified = _submit(processor)
    EmployerRequest.objects.filter(pk=unverified.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    assert services.requests_expire() == 1

    assert not EmployerRequest.objects.filter(pk=unverified.pk).exists()
    assert not EmployerEvent.objects.filter(request_id=unverified.pk).exists()
