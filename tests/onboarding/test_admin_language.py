"""The a.s.r. admin speaks one language at a time: Dutch labels (English when the staff member
switches), the history in words instead of codes, and no action that can never succeed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from onboarding.models import Status, StatusChange
from tests.onboarding.factories import PayrollProcessorFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:onboarding_payrollprocessor_changelist")
HISTORY = reverse("admin:onboarding_statuschange_changelist")

# What the list's column headers and filter title say, and the English that Django made of the
# field names before (the labels the finding saw).
DUTCH_LIST = ("Naam en e-mailadres", "Loket.nl-account", "Laatste controle", "Aangemeld op")
ENGLISH_LIST = ("Name and e-mail address", "Loket.nl account", "Last check", "Registered on")
FIELD_NAMES_AS_ENGLISH = ("Created at", "Checked at", "Company name", "Loket username")


def _change_url(processor) -> str:
    return reverse("admin:onboarding_payrollprocessor_change", args=[processor.pk])


def _page(client, url: str, language: str) -> str:
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    return html


def _headers(html: str) -> list[str]:
    """The texts of the change list's column headers."""
    table = html.split('id="result_list"', 1)[1].split("</thead>", 1)[0]
    return [
        re.sub(r"<[^>]+>|\s+", " ", cell).strip()
        for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, re.DOTALL)
    ]


@pytest.fixture
def reviewer(client):
    """A staff member who may see and change registrations (not a superuser)."""
    client.force_login(
        StaffUserFactory(
            permissions=[
                "onboarding.view_payrollprocessor",
                "onboarding.change_payrollprocessor",
                "onboarding.view_statuschange",
            ]
        )
    )
    return client


@pytest.fixture
def failed_registration():
    """A registration whose check failed, with the history the services leave: submitted by
    the form, then the check's verdict, then a staff member's re-check."""
    processor = PayrollProcessorFactory(check_failed=True, check_employer_count=12345)
    start = timezone.now() - timedelta(hours=2)
    StatusChange.objects.create(
        processor=processor,
        from_status="",
        to_status=Status.SUBMITTED,
        actor_label="aanmeldformulier",
        at=start,
    )
    StatusChange.objects.create(
        processor=processor,
        from_status=Status.SUBMITTED,
        to_status=Status.CHECK_FAILED,
        actor_label="taak check_credentials (poging 2)",
        at=start + timedelta(minutes=1),
        findings=processor.check_findings,
    )
    StatusChange.objects.create(
        processor=processor,
        from_status=Status.CHECK_FAILED,
        to_status=Status.CHECKING,
        actor_label="medewerker marieke",
        at=start + timedelta(minutes=30),
    )
    return processor


# --- labels ---------------------------------------------------------------------------------------


def test_the_processor_list_has_dutch_column_headers_and_filter_title_in_dutch(
    reviewer, failed_registration
):
    html = _page(reviewer, CHANGELIST, "nl")
    headers = _headers(html)

    for label in (*DUTCH_LIST, "Status"):
        assert label in headers
    for label in (*FIELD_NAMES_AS_ENGLISH, *ENGLISH_LIST):
        assert label not in headers
        assert label not in html
    assert "Op status" in html  # the filter's title
    assert "Controle niet geslaagd" in html  # the status as its label, not its code


def test_the_processor_list_is_english_when_the_staff_member_reads_english(
    reviewer, failed_registration
):
    html = _page(reviewer, CHANGELIST, "en")
    headers = _headers(html)

    for label in (*ENGLISH_LIST, "Status"):
        assert label in headers
    for label in (*DUTCH_LIST, *FIELD_NAMES_AS_ENGLISH):
        assert label not in headers
    assert "By status" in html
    assert "Check failed" in html
    assert "Controle niet geslaagd" not in html


def test_the_change_page_labels_every_field_and_history_column_in_dutch(
    reviewer, failed_registration
):
    html = _page(reviewer, _change_url(failed_registration), "nl")

    for label in ("Aantal werkgevers", "Aangemeld op", "Bevestigd op", "Wijziging", "Tijdstip"):
        assert label in html
    assert "12.345" in html  # the count as Dutch writes it
    for english in (
        "Check employer count",
        "Created at",
        "Confirmed at",
        "From status",
        "To status",
        "Actor label",
        "Employer count",
        "Started at",
        "Trigger",
    ):
        assert english not in html


def test_the_change_page_is_english_when_the_staff_member_reads_english(
    reviewer, failed_registration
):
    html = _page(reviewer, _change_url(failed_registration), "en")

    for label in ("Number of employers", "Registered on", "Change", "Check attempts"):
        assert label in html
    assert "12,345" in html
    for dutch in ("Aantal werkgevers", "Aangemeld op", "Wijziging", "controlepogingen"):
        assert dutch not in html


# --- the history --------------------------------------------------------------------------------


def test_the_history_reads_as_words_with_the_status_labels_actor_and_time(
    reviewer, failed_registration
):
    html = _page(reviewer, _change_url(failed_registration), "nl")

    assert "Aangemeld → Ingediend" in html
    assert "Ingediend → Controle niet geslaagd" in html
    assert "Controle niet geslaagd → Wordt gecontroleerd" in html
    assert "medewerker marieke" in html
    assert "taak check_credentials (poging 2)" in html
    change = failed_registration.status_changes.get(to_status=Status.CHECKING)
    with translation.override("nl"):
        assert date_format(timezone.localtime(change.at), "DATETIME_FORMAT") in html
    assert "-&gt; check_failed" not in html
    assert "- -&gt;" not in html
    assert "check_failed" not in html


def test_the_history_reads_in_english_for_an_english_reader(reviewer, failed_registration):
    html = _page(reviewer, _change_url(failed_registration), "en")

    assert "Registered → Submitted" in html
    assert "Submitted → Check failed" in html
    assert "staff member marieke" in html
    assert "task check_credentials (attempt 2)" in html
    assert "registration form" in html
    change = failed_registration.status_changes.get(to_status=Status.CHECKING)
    with translation.override("en"):
        assert date_format(timezone.localtime(change.at), "DATETIME_FORMAT") in html
    assert "medewerker marieke" not in html


def test_the_audit_trail_lists_changes_in_words(reviewer, failed_registration):
    html = _page(reviewer, HISTORY, "nl")

    assert "Ingediend → Controle niet geslaagd" in html
    assert "Op nieuwe status" in html  # the filter's title
    headers = _headers(html)
    assert {"Tijdstip", "Salarisverwerker", "Wijziging", "Door", "Toelichting"} <= set(headers)
    assert not {"At", "Processor", "Actor label", "Note", "To status"} & set(headers)


# --- no action that cannot succeed --------------------------------------------------------------


def test_no_delete_action_or_button_is_offered_for_registrations_not_even_to_a_superuser(
    admin_client, failed_registration
):
    changelist = admin_client.get(CHANGELIST)
    actions = [choice[0] for choice in changelist.context["action_form"].fields["action"].choices]
    change_page = admin_client.get(_change_url(failed_registration)).content.decode()

    assert "delete_selected" not in actions
    assert actions[1:] == [
        "confirm",
        "reject",
        "recheck",
        "resend_mail",
        "confirm_credential_change",
        "reject_credential_change",
        "lift_check_cap",
    ]
    assert "deletelink" not in change_page
    delete_url = reverse("admin:onboarding_payrollprocessor_delete", args=[failed_registration.pk])
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    failed_registration.refresh_from_db()  # still there


def test_the_audit_trail_offers_no_action_at_all(admin_client, failed_registration):
    response = admin_client.get(HISTORY)

    assert response.context["action_form"] is None or not [
        c for c in response.context["action_form"].fields["action"].choices if c[0]
    ]
