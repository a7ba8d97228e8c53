"""The a.s.r. admin: review, confirm, reject, re-check, resend mail; never show a password."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from onboarding import services
from onboarding.crypto import decrypt_secret, encrypt_secret
from onboarding.models import Status
from tests.onboarding.factories import (
    DEMO_PASSWORD,
    PayrollProcessorFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

CANARY_PASSWORD = "Kanarie#Admin-7f3e91"  # distinctive: must never reach any page
CHANGELIST = reverse("admin:onboarding_payrollprocessor_changelist")


def _change_url(processor) -> str:
    return reverse("admin:onboarding_payrollprocessor_change", args=[processor.pk])


def _action(client, name: str, *processors, **extra):
    data = {"action": name, "_selected_action": [p.pk for p in processors], "index": 0} | extra
    return client.post(CHANGELIST, data, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


class _FormFields(HTMLParser):
    """What a browser would submit from the admin's change form (the inlines' management
    forms included)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("submit", "button") or (kind == "checkbox" and "checked" not in attributes):
                return
            self.data[name] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.data[self._select] = attributes.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _change_form_data(client, processor) -> dict[str, str]:
    response = client.get(_change_url(processor))
    assert response.status_code == 200
    parser = _FormFields("payrollprocessor_form")
    parser.feed(response.content.decode())
    assert "company_name" in parser.data
    return parser.data


@pytest.fixture
def confirmer(client):
    """A staff member who may view, change and confirm registrations."""
    user = StaffUserFactory(
        permissions=[
            "onboarding.view_payrollprocessor",
            "onboarding.change_payrollprocessor",
            "onboarding.confirm_payrollprocessor",
        ]
    )
    client.force_login(user)
    return client


@pytest.fixture
def clerk(client):
    """A staff member with only the change permission: may not confirm."""
    user = StaffUserFactory(permissions=["onboarding.change_payrollprocessor"])
    client.force_login(user)
    return client


# --- the list and the change page --------------------------------------------------------------


def test_the_changelist_filters_by_status(admin_client):
    PayrollProcessorFactory(company_name="Geslaagd Bureau", check_passed=True)
    PayrollProcessorFactory(company_name="Mislukt Bureau", check_failed=True)

    response = admin_client.get(CHANGELIST, {"status__exact": Status.CHECK_PASSED})

    assert response.status_code == 200
    assert "Geslaagd Bureau" in response.text
    assert "Mislukt Bureau" not in response.text


@pytest.mark.parametrize("query", ["noord", "INFO@NOORD.EXAMPLE", "OMG-NOORD", "ws-noord"])
def test_the_changelist_searches_name_email_omgevingscode_and_username(admin_client, query):
    PayrollProcessorFactory(
        company_name="Bureau Noord",
        email="info@noord.example.nl",
        omgevingscode="OMG-NOORD",
        loket_username="ws-noord",
    )
    PayrollProcessorFactory(company_name="Bureau Zuid", loket_username="ws-zuid")

    response = admin_client.get(CHANGELIST, {"q": query})

    assert response.status_code == 200
    assert "Bureau Noord" in response.text
    assert "Bureau Zuid" not in response.text


def test_the_change_page_shows_the_findings_with_their_manual_step_escaped(admin_client):
    processor = PayrollProcessorFactory(
        status=Status.CHECK_FAILED,
        check_findings=[
            {"code": "VERKEERDE_WEBSERVICEPARTIJ", "detail": "<b>Evil</b> Partij"},
            {"code": "GEEN_WERKGEVERS", "detail": ""},
        ],
    )

    response = admin_client.get(_change_url(processor))

    assert response.status_code == 200
    assert "Handleiding: stap 1" in response.text
    assert "&lt;b&gt;Evil&lt;/b&gt; Partij" in response.text
    assert "<b>Evil</b>" not in response.text
    assert "Handleiding: stap 3, Ak gebruiker" in response.text
    assert "De webservicegebruiker ziet geen enkele werkgever" in response.text


def test_the_change_page_shows_the_history_and_the_check_attempts(admin_client, loket_settings):
    processor = PayrollProcessorFactory(
        loket_username="ws-zonder-team", check_requested_at=timezone.now()
    )
    services.check_run(processor_id=processor.pk, trigger="test-trigger")

    response = admin_client.get(_change_url(processor))

    assert "test-trigger" in response.text  # the StatusChange's actor and the attempt's trigger
    assert "Controle niet geslaagd" in response.text
    assert response.text.count("De webservicegebruiker ziet geen enkele werkgever") >= 2


def test_a_company_name_with_a_script_tag_is_shown_as_text(admin_client):
    processor = PayrollProcessorFactory(company_name="<script>alert(1)</script> Bureau")

    for url in (CHANGELIST, _change_url(processor)):
        response = admin_client.get(url)
        assert "<script>alert(1)</script>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Bureau" in response.text


def test_the_loket_password_appears_nowhere_in_the_admin(admin_client):
    processor = PayrollProcessorFactory(
        loket_password_encrypted=encrypt_secret(CANARY_PASSWORD), check_passed=True
    )
    urls = [
        CHANGELIST,
        _change_url(processor),
        reverse("admin:onboarding_payrollprocessor_history", args=[processor.pk]),
        reverse("admin:onboarding_statuschange_changelist"),
    ]

    for url in urls:
        page = admin_client.get(url).text
        assert CANARY_PASSWORD not in page
        assert processor.loket_password_encrypted not in page
        assert "loket_password_encrypted" not in page
    change_page = admin_client.get(_change_url(processor)).text
    [new_password_input] = re.findall(r"<input[^>]*name=\"new_password\"[^>]*>", change_page)
    assert 'type="password"' in new_password_input
    assert "value=" not in new_password_input


def test_the_admin_can_neither_add_nor_delete_registrations(admin_client, client):
    processor = PayrollProcessorFactory()
    staff = StaffUserFactory(
        permissions=[
            "onboarding.view_payrollprocessor",
            "onboarding.change_payrollprocessor",
            "onboarding.add_payrollprocessor",
            "onboarding.delete_payrollprocessor",
        ]
    )
    client.force_login(staff)
    delete_url = reverse("admin:onboarding_payrollprocessor_delete", args=[processor.pk])

    assert admin_client.get(reverse("admin:onboarding_payrollprocessor_add")).status_code == 403
    assert client.get(reverse("admin:onboarding_payrollprocessor_add")).status_code == 403
    assert client.get(delete_url).status_code == 403
    # Not even a superuser: the history and the employers' links keep a registration, so the
    # delete would always be refused (tests/onboarding/test_admin_language.py).
    assert admin_client.get(delete_url).status_code == 403


# --- confirm -----------------------------------------------------------------------------------


def test_confirm_is_refused_when_the_check_did_not_pass(confirmer):
    processor = PayrollProcessorFactory(check_failed=True)

    response = _action(confirmer, "confirm", processor)

    processor.refresh_from_db()
    assert processor.status == Status.CHECK_FAILED
    assert processor.user is None
    assert any(
        processor.company_name in m and "controle is geslaagd" in m for m in _messages(response)
    )
    assert mail.outbox == []


def test_confirm_is_not_offered_to_staff_without_the_confirm_permission(clerk):
    processor = PayrollProcessorFactory(check_passed=True)

    page = clerk.get(CHANGELIST)
    assert page.status_code == 200
    assert 'value="confirm"' not in page.text
    assert 'value="reject"' in page.text

    response = _action(clerk, "confirm", processor)

    processor.refresh_from_db()
    assert processor.status == Status.CHECK_PASSED
    assert processor.user is None
    assert _messages(response)  # Django: "No action selected."
    assert mail.outbox == []


def test_confirm_with_the_permission_creates_the_account_and_mails_an_activation_link(
    confirmer, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(check_passed=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = _action(confirmer, "confirm", processor)

    processor.refresh_from_db()
    assert processor.status == Status.CONFIRMED
    assert processor.user is not None
    assert processor.user.email == processor.email
    assert not processor.user.has_usable_password()
    assert processor.status_changes.last().actor_label.startswith("medewerker ")
    assert any("1 aanmelding bevestigd" in m for m in _messages(response))
    [message] = [m for m in mail.outbox if processor.email in m.to]
    assert f"{settings.PORTAL_BASE_URL}/account/activeren/" in message.body
    assert DEMO_PASSWORD not in message.body


def test_confirming_several_confirms_the_passed_and_names_the_refused(
    admin_client, django_capture_on_commit_callbacks
):
    passed = PayrollProcessorFactory(check_passed=True)
    failed = PayrollProcessorFactory(check_failed=True, company_name="Nog Niet B.V.")

    with django_capture_on_commit_callbacks(execute=True):
        response = _action(admin_client, "confirm", passed, failed)

    passed.refresh_from_db()
    failed.refresh_from_db()
    assert passed.status == Status.CONFIRMED
    assert failed.status == Status.CHECK_FAILED
    assert any(m.startswith("Nog Niet B.V.:") for m in _messages(response))


# --- reject ------------------------------------------------------------------------------------


def test_reject_first_asks_for_a_reason(admin_client):
    processor = PayrollProcessorFactory(check_failed=True, company_name="<i>Schuin</i> B.V.")

    response = _action(admin_client, "reject", processor)

    assert response.status_code == 200
    assert 'name="reason"' in response.text
    assert "&lt;i&gt;Schuin&lt;/i&gt; B.V." in response.text
    processor.refresh_from_db()
    assert processor.status == Status.CHECK_FAILED


def test_reject_without_a_reason_is_refused(admin_client):
    processor = PayrollProcessorFactory(check_failed=True)

    response = _action(admin_client, "reject", processor, apply="yes", reason="   ")

    assert response.status_code == 200
    assert 'name="reason"' in response.text
    assert "errorlist" in response.text
    processor.refresh_from_db()
    assert processor.status == Status.CHECK_FAILED
    assert mail.outbox == []


def test_reject_with_a_reason_rejects_and_mails_the_reason(
    clerk, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(check_failed=True)
    reason = "Het kantoor is niet bij de KvK ingeschreven."

    with django_capture_on_commit_callbacks(execute=True):
        response = _action(clerk, "reject", processor, apply="yes", reason=reason)

    processor.refresh_from_db()
    assert processor.status == Status.REJECTED
    assert processor.rejection_reason == reason
    assert any("afgewezen" in m for m in _messages(response))
    [message] = mail.outbox
    assert message.to == [processor.email]
    assert reason in message.body


# --- re-run check, resend mail ---------------------------------------------------------------


def test_rerun_check_enqueues_a_check_that_then_runs(
    admin_client, loket_settings, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(check_failed=True, loket_username="ws-benefits")

    with django_capture_on_commit_callbacks() as callbacks:
        _action(admin_client, "recheck", processor)

    processor.refresh_from_db()
    assert processor.status == Status.CHECKING
    assert processor.check_requested_at is not None
    assert processor.status_changes.last().note == "controle opnieuw aangevraagd"
    assert len(callbacks) == 1

    callbacks[0]()  # what the broker would deliver: the check against the sandbox

    processor.refresh_from_db()
    assert processor.status == Status.CHECK_PASSED
    assert processor.check_attempts.count() == 1


def test_rerun_check_of_a_rejected_registration_is_refused(admin_client):
    processor = PayrollProcessorFactory(status=Status.REJECTED, rejection_reason="nee")

    response = _action(admin_client, "recheck", processor)

    processor.refresh_from_db()
    assert processor.status == Status.REJECTED
    assert any("afgewezen" in m for m in _messages(response))


def test_resend_mail_sends_the_mail_of_the_current_state(
    admin_client, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(check_passed=True)
    with django_capture_on_commit_callbacks(execute=True):
        _action(admin_client, "confirm", processor)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = _action(admin_client, "resend_mail", processor)

    [message] = mail.outbox
    assert message.to == [processor.email]
    assert "verwerkt" in message.subject
    assert any("opnieuw verstuurd" in m for m in _messages(response))


def test_resend_mail_in_a_state_without_mail_says_so(admin_client):
    processor = PayrollProcessorFactory(check_passed=True)

    response = _action(admin_client, "resend_mail", processor)

    assert mail.outbox == []
    assert any("hoort geen e-mail" in m for m in _messages(response))


# --- editing -----------------------------------------------------------------------------------


def test_replacing_the_password_stores_a_new_ciphertext_and_checks_again(
    admin_client, loket_settings, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(
        loket_username="ws-benefits",
        loket_password_encrypted=encrypt_secret("oud-en-fout"),
        status=Status.CHECK_FAILED,
        check_findings=[{"code": "INLOG_ONGELDIG", "detail": "", "retryable": False}],
    )
    old_ciphertext = processor.loket_password_encrypted
    data = _change_form_data(admin_client, processor)
    assert data["new_password"] == ""
    data["new_password"] = DEMO_PASSWORD

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_change_url(processor), data)

    assert response.status_code == 302
    processor.refresh_from_db()
    assert processor.loket_password_encrypted != old_ciphertext
    assert decrypt_secret(processor.loket_password_encrypted) == DEMO_PASSWORD
    assert processor.status == Status.CHECK_PASSED
    assert processor.check_attempts.count() == 1
    change = processor.status_changes.get(note="Loket.nl-gegevens gewijzigd")
    assert change.actor_label == "medewerker admin"


def test_saving_without_a_new_password_keeps_the_stored_one_and_runs_no_check(
    admin_client, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(check_passed=True, company_name="Oude Naam")
    ciphertext = processor.loket_password_encrypted
    data = _change_form_data(admin_client, processor)
    data["company_name"] = "Nieuwe Naam B.V."

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(_change_url(processor), data)

    assert response.status_code == 302
    processor.refresh_from_db()
    assert processor.company_name == "Nieuwe Naam B.V."
    assert processor.loket_password_encrypted == ciphertext
    assert processor.status == Status.CHECK_PASSED
    assert callbacks == []


def test_a_new_username_goes_through_the_service_and_is_checked(
    admin_client, loket_settings, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(check_passed=True, loket_username="ws-benefits")
    data = _change_form_data(admin_client, processor)
    data["loket_username"] = "ws-zonder-team"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_change_url(processor), data)

    assert response.status_code == 302
    processor.refresh_from_db()
    assert processor.loket_username == "ws-zonder-team"
    assert processor.status == Status.CHECK_FAILED
    assert [f["code"] for f in processor.check_findings] == ["GEEN_WERKGEVERS"]


def test_a_bad_omgevingscode_is_refused_next_to_its_field(admin_client):
    processor = PayrollProcessorFactory(check_passed=True)
    data = _change_form_data(admin_client, processor)
    data["omgevingscode"] = "DEMO 001\n"

    response = admin_client.post(_change_url(processor), data)

    assert response.status_code == 200
    assert "errorlist" in response.text
    processor.refresh_from_db()
    assert processor.omgevingscode == "DEMO001"


def test_a_rejected_registration_shows_its_credentials_read_only(admin_client):
    processor = PayrollProcessorFactory(status=Status.REJECTED, rejection_reason="nee")

    page = admin_client.get(_change_url(processor)).text

    assert 'name="new_password"' not in page
    assert 'name="omgevingscode"' not in page
    assert 'name="company_name"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("company_name", "Bedrijf\x07B.V.", "Dit veld bevat een onzichtbaar stuurteken"),
        ("loket_username", "ws\nbenefits", "Dit veld moet op één regel staan"),
        ("new_password", "geheim\x00", "Dit veld bevat een NUL-teken"),
    ],
)
def test_the_admin_refuses_control_characters_with_the_portals_messages(
    admin_client, field, value, message
):
    processor = PayrollProcessorFactory(check_passed=True, company_name="Oude Naam")
    data = _change_form_data(admin_client, processor)
    data[field] = value

    response = admin_client.post(_change_url(processor), data)

    assert response.status_code == 200
    assert message in response.text
    processor.refresh_from_db()
    assert processor.company_name == "Oude Naam"


def test_an_admin_edit_of_the_company_name_and_email_is_recorded_in_the_history(admin_client):
    processor = PayrollProcessorFactory(
        check_passed=True, company_name="Oude Naam", email="oud@example.nl"
    )
    data = _change_form_data(admin_client, processor)
    data["company_name"] = "Nieuwe Naam B.V."
    data["email"] = "nieuw@example.nl"

    response = admin_client.post(_change_url(processor), data)

    assert response.status_code == 302
    processor.refresh_from_db()
    assert (processor.company_name, processor.email) == ("Nieuwe Naam B.V.", "nieuw@example.nl")
    # The address goes through services.processor_change_email: a row of its own.
    name_change, email_change = processor.status_changes.all()
    assert name_change.note == "bedrijfsnaam gewijzigd"
    assert email_change.note == "e-mailadres gewijzigd van oud@example.nl naar nieuw@example.nl"
    for change in (name_change, email_change):
        assert change.actor_label == "medewerker admin"
        assert change.actor.username == "admin"
        assert change.from_status == change.to_status == Status.CHECK_PASSED


def test_an_admin_edit_of_the_email_alone_names_only_the_email(admin_client):
    processor = PayrollProcessorFactory(check_passed=True, email="oud@example.nl")
    data = _change_form_data(admin_client, processor)
    data["email"] = "nieuw@example.nl"

    admin_client.post(_change_url(processor), data)

    assert [c.note for c in processor.status_changes.all()] == [
        "e-mailadres gewijzigd van oud@example.nl naar nieuw@example.nl"
    ]


def test_saving_the_change_form_unchanged_writes_no_history(admin_client):
    processor = PayrollProcessorFactory(check_passed=True)

    response = admin_client.post(_change_url(processor), _change_form_data(admin_client, processor))

    assert response.status_code == 302
    assert not processor.status_changes.exists()
