"""Issue 12, point 4: the employer sees and controls its request. Withdraw before activation
(``services.request_withdraw``), revoke once active (``services.link_revoke``, also by a.s.r. in
the admin), the mails that follow (through the outbox), and nothing that ever re-activates an
ended link. Against the Loket.nl sandbox over HTTP and PostgreSQL; tasks run in this process."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from common.text import mask_email
from customers.models import Customer, Policy
from employers import services, tasks
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    RequestTaxNumber,
    VerificationMethod,
)
from employers.services import sweeps
from tests.employers.conftest import E1, E4, submit_verified
from tests.onboarding.factories import UserFactory

pytestmark = pytest.mark.django_db

E1_NUMBER, E1_KVK = "144068989L01", "12345678"
E4_NUMBER, E4_KVK = "211946217L01", "45678901"  # in Loket.nl, outside ws-benefits' team
CONTACT = "jan@bakkerij.example"


def _fields(processor, **extra):
    return {
        "company_name": "Bakkerij Van Dijk B.V.",
        "kvk_number": E1_KVK,
        "tax_numbers": [E1_NUMBER],
        "contact_name": "Jan van Dijk",
        "contact_email": CONTACT,
        "processor": processor,
        **extra,
    }


def _verified(processor, capture, **extra) -> EmployerRequest:
    with capture(execute=True):
        request = submit_verified(**_fields(processor, **extra))
    request.refresh_from_db()
    return request


def _register(processor, capture, *ids):
    with capture(execute=True):
        return services.links_register(processor=processor, employer_ids=ids, by=None)


def _active_link(processor, capture) -> EmployerLink:
    _verified(processor, capture)
    _register(processor, capture, E1)
    return EmployerLink.objects.get(loket_employer_id=E1, status=LinkStatus.ACTIVE)


def _to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def _revoke(link, capture, *, reason="Geen klant meer", actor=None, label="test"):
    with capture(execute=True):
        return services.link_revoke(link_id=link.pk, reason=reason, actor=actor, actor_label=label)


# --- withdraw --------------------------------------------------------------------------------


def test_withdrawing_an_unverified_request_changes_its_state_and_mails_nobody(processor):
    submitted = services.request_submit(**_fields(processor))
    mail.outbox.clear()

    services.request_withdraw(request_id=submitted.pk, actor_label="werkgever")

    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.WITHDRAWN
    assert submitted.decided_at is not None
    assert mail.outbox == []
    assert sweeps.ended_mails_enqueue(older_than=dt.timedelta(0))["withdrawn_mails"] == 0


def test_withdrawing_a_verified_request_frees_its_numbers_and_unpairs_its_pending_links(
    processor, django_capture_on_commit_callbacks
):
    # E4 is not in ws-benefits' team: its registration is not possible, so pair by hand: a link
    # that is pending (the linking task not run) and one with a problem.
    request = _verified(processor, django_capture_on_commit_callbacks)
    pending = EmployerLink.objects.create(
        processor=processor,
        loket_employer_id=E1,
        employer_name="Bakkerij",
        kvk_number=E1_KVK,
        request=request,
        status=LinkStatus.PENDING,
    )
    problem = EmployerLink.objects.create(
        processor=processor,
        loket_employer_id=E4,
        employer_name="Bakkerij filiaal",
        kvk_number=E1_KVK,
        request=request,
        status=LinkStatus.PROBLEM,
        problem_code="NIET_ZICHTBAAR",
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.request_withdraw(
            request_id=request.pk, actor_label="werkgever", reason="toch niet"
        )

    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    assert request.decision_reason == "toch niet"
    assert not RequestTaxNumber.objects.filter(request=request, is_open=True).exists()
    for link in (pending, problem):
        link.refresh_from_db()
        assert (link.status, link.request_id, link.problem_code) == (
            LinkStatus.AWAITING_REQUEST,
            None,
            "",
        )
        assert link.events.last().to_status == LinkStatus.AWAITING_REQUEST
    assert request.events.last().to_status == RequestStatus.WITHDRAWN
    # The processor had heard of the verified request: it is told, once.
    told = _to(processor.email)
    assert len(told) == 1
    assert "ingetrokken" in told[0].subject
    assert tasks.send_request_withdrawn_mail.delay(request.pk).get() is False
    assert len(_to(processor.email)) == 1
    # The number is free for a new request.
    again = _verified(processor, django_capture_on_commit_callbacks)
    assert again.status in (RequestStatus.OPEN, RequestStatus.LINKED)


def test_the_withdrawn_notice_the_mail_server_refused_is_sent_by_the_sweep(
    processor, django_capture_on_commit_callbacks
):
    request = _verified(processor, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost
        services.request_withdraw(request_id=request.pk, actor_label="werkgever")
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        swept = sweeps.ended_mails_enqueue(older_than=dt.timedelta(0))

    assert swept["withdrawn_mails"] == 1
    assert len(_to(processor.email)) == 1
    assert EmployerRequest.objects.get(pk=request.pk).withdraw_mailed_at is not None


def test_withdrawing_twice_changes_nothing_the_second_time(processor):
    submitted = services.request_submit(**_fields(processor))
    services.request_withdraw(request_id=submitted.pk, actor_label="werkgever")
    events = EmployerEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        services.request_withdraw(request_id=submitted.pk, actor_label="werkgever")

    assert refused.value.code == "already_withdrawn"
    assert EmployerEvent.objects.count() == events


def test_withdrawing_after_activation_is_refused(processor, django_capture_on_commit_callbacks):
    link = _active_link(processor, django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError) as refused:
        services.request_withdraw(request_id=link.request_id, actor_label="werkgever")

    assert refused.value.code == "not_withdrawable"
    link.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE
    assert link.request.status == RequestStatus.LINKED


def test_a_withdrawn_request_cannot_be_verified_afterwards(processor):
    submitted = services.request_submit(**_fields(processor))
    services.request_withdraw(request_id=submitted.pk, actor_label="werkgever")

    with pytest.raises(ValidationError):
        services.request_verify(
            request_id=submitted.pk, method=VerificationMethod.REVIEW, actor_label="test"
        )


# --- revoke ----------------------------------------------------------------------------------


def test_revoking_ends_link_and_request_with_reason_time_and_actor_and_mails_processor_and_asr(
    processor, django_capture_on_commit_callbacks
):
    link = _active_link(processor, django_capture_on_commit_callbacks)
    staff = UserFactory(is_staff=True)
    mail.outbox.clear()

    _revoke(link, django_capture_on_commit_callbacks, reason="Contract opgezegd", actor=staff)

    link.refresh_from_db()
    assert link.status == LinkStatus.ENDED
    assert link.ended_at is not None
    assert link.end_reason == "Contract opgezegd"
    assert link.ended_by == staff
    assert link.end_mailed_at is not None
    request = link.request
    assert request.status == RequestStatus.ENDED
    assert request.decided_at == link.ended_at
    assert request.decision_reason == "Contract opgezegd"
    ended_event = link.events.last()
    assert (ended_event.to_status, ended_event.actor, ended_event.note) == (
        LinkStatus.ENDED,
        staff,
        "Contract opgezegd",
    )
    assert request.events.last().to_status == RequestStatus.ENDED
    to_processor, to_asr = _to(processor.email), _to(settings.ASR_NOTIFY_EMAIL)
    assert len(to_processor) == 1
    assert len(to_asr) == 1
    assert "Contract opgezegd" in to_processor[0].body
    assert "Contract opgezegd" in to_asr[0].body
    assert to_asr[0].subject.startswith("Koppeling beëindigd")
    # Delivered again, or swept: no second mail.
    assert tasks.send_link_ended_mail.delay(link.pk).get() is False
    assert sweeps.ended_mails_enqueue(older_than=dt.timedelta(0))["ended_mails"] == 0
    assert len(mail.outbox) == 2


def test_revoking_twice_changes_nothing_and_says_so(processor, django_capture_on_commit_callbacks):
    link = _active_link(processor, django_capture_on_commit_callbacks)
    _revoke(link, django_capture_on_commit_callbacks)
    link.refresh_from_db()
    mails, events = len(mail.outbox), EmployerEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        _revoke(link, django_capture_on_commit_callbacks, reason="nog eens")

    assert refused.value.code == "already_ended"
    assert "al beëindigd" in refused.value.messages[0]
    after = EmployerLink.objects.get(pk=link.pk)
    assert (after.ended_at, after.end_reason) == (link.ended_at, link.end_reason)
    assert (len(mail.outbox), EmployerEvent.objects.count()) == (mails, events)


def test_a_revoke_needs_a_reason_and_a_link_with_a_request(processor):
    waiting = EmployerLink.objects.create(
        processor=processor, loket_employer_id=E1, employer_name="Bakkerij"
    )
    with pytest.raises(ValidationError) as no_reason:
        services.link_revoke(link_id=waiting.pk, reason="  ", actor=None, actor_label="test")
    with pytest.raises(ValidationError) as no_request:
        services.link_revoke(link_id=waiting.pk, reason="weg", actor=None, actor_label="test")

    assert (no_reason.value.code, no_request.value.code) == ("reason_required", "not_revocable")
    assert EmployerLink.objects.get(pk=waiting.pk).status == LinkStatus.AWAITING_REQUEST


def test_the_ended_mail_that_the_mail_server_refused_is_sent_by_the_sweep(
    processor, django_capture_on_commit_callbacks, settings
):
    link = _active_link(processor, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost
        services.link_revoke(link_id=link.pk, reason="weg", actor=None, actor_label="test")
    assert EmployerLink.objects.get(pk=link.pk).end_mailed_at is None

    with django_capture_on_commit_callbacks(execute=True):
        swept = sweeps.ended_mails_enqueue(older_than=dt.timedelta(0))

    assert swept["ended_mails"] == 1
    assert EmployerLink.objects.get(pk=link.pk).end_mailed_at is not None
    assert len(_to(processor.email)) == len(_to(settings.ASR_NOTIFY_EMAIL)) == 1


# --- nothing re-activates an ended link ------------------------------------------------------


def test_an_ended_link_is_never_reactivated_by_the_linking_task_rechecks_or_sweeps(
    processor, django_capture_on_commit_callbacks
):
    link = _active_link(processor, django_capture_on_commit_callbacks)
    _revoke(link, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.links_activate(link_ids=[link.pk], trigger="test")
        services.links_recheck(processor=processor, trigger="test")
        sweeps.pending_links_enqueue(older_than=dt.timedelta(0))
        sweeps.unsent_mails_enqueue(older_than=dt.timedelta(0))
        sweeps.due_digests_enqueue()
    with pytest.raises(ValidationError):
        services.link_recheck_request(link=link, actor=None, actor_label="test")

    assert result.activated == []
    link.refresh_from_db()
    assert link.status == LinkStatus.ENDED
    assert link.request.status == RequestStatus.ENDED


def test_a_new_verified_request_does_not_reuse_the_ended_link_but_a_new_registration_links_it(
    processor, django_capture_on_commit_callbacks
):
    ended = _active_link(processor, django_capture_on_commit_callbacks)
    _revoke(ended, django_capture_on_commit_callbacks)

    new_request = _verified(processor, django_capture_on_commit_callbacks)

    ended.refresh_from_db()
    assert (ended.status, ended.request_id) == (LinkStatus.ENDED, ended.request_id)
    assert new_request.status == RequestStatus.OPEN  # nothing paired with the ended link
    assert not new_request.links.exists()
    # The processor registers the employer anew: a new link, for the new request, active.
    result = _register(processor, django_capture_on_commit_callbacks, E1)
    assert (result.created, result.already) == (1, 0)
    fresh = EmployerLink.objects.exclude(pk=ended.pk).get(loket_employer_id=E1)
    assert (fresh.status, fresh.request_id) == (LinkStatus.ACTIVE, new_request.pk)
    assert EmployerLink.objects.get(pk=ended.pk).status == LinkStatus.ENDED


# --- the "link active" mail ------------------------------------------------------------------


def test_the_link_active_mail_goes_to_the_verified_contact_only_with_status_and_revoke_links(
    processor, django_capture_on_commit_callbacks
):
    customer = Customer.objects.create(kvk_number=E1_KVK, name="Bakkerij Van Dijk B.V.")
    Policy.objects.create(number="ASR100001", customer=customer, contact_email="p@bakkerij.example")
    submitted = services.request_submit(**_fields(processor, policy_number="ASR100001"))
    assert submitted.register_email == "p@bakkerij.example"
    with django_capture_on_commit_callbacks(execute=True):
        services.request_verify(
            request_id=submitted.pk, method=VerificationMethod.REGISTER, actor_label="test"
        )
    mail.outbox.clear()

    _register(processor, django_capture_on_commit_callbacks, E1)

    submitted.refresh_from_db()
    assert submitted.verified_email == "p@bakkerij.example"
    active_mails = [m for m in mail.outbox if processor.email not in m.to]
    assert [m.to for m in active_mails] == [["p@bakkerij.example"]]
    assert "actief" in active_mails[0].subject
    assert _to(CONTACT) == []
    status_path = reverse("employers:status", args=[submitted.status_token])
    body, html = active_mails[0].body, active_mails[0].alternatives[0][0]
    assert status_path in body
    assert f"{status_path}#intrekken" in body
    assert "Intrekken" in body
    assert f"{status_path}#intrekken" in html


def test_the_link_active_mail_is_in_the_requests_language(
    processor, django_capture_on_commit_callbacks
):
    _verified(processor, django_capture_on_commit_callbacks, language="en")
    mail.outbox.clear()

    _register(processor, django_capture_on_commit_callbacks, E1)

    [active] = _to(CONTACT)
    assert "Revoke" in active.body or "revoke" in active.body


# --- the admin -------------------------------------------------------------------------------


def _staff_client(client, *codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def test_staff_with_the_permission_end_a_link_in_the_admin_with_a_reason(
    client, processor, django_capture_on_commit_callbacks
):
    link = _active_link(processor, django_capture_on_commit_callbacks)
    user = _staff_client(client, "view_employerlink", "change_employerlink", "end_employerlink")
    url = reverse("admin:employers_employerlink_changelist")
    mail.outbox.clear()

    asked = client.post(url, {"action": "end_link", "_selected_action": [link.pk]})
    assert asked.status_code == 200
    assert "Reden van beëindiging" in asked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url,
            {
                "action": "end_link",
                "_selected_action": [link.pk],
                "apply": "yes",
                "reason": "Op verzoek van de werkgever (telefonisch)",
            },
        )

    assert done.status_code == 302
    link.refresh_from_db()
    assert (link.status, link.ended_by, link.end_reason) == (
        LinkStatus.ENDED,
        user,
        "Op verzoek van de werkgever (telefonisch)",
    )
    assert len(_to(settings.ASR_NOTIFY_EMAIL)) == 1


def test_staff_without_the_permission_have_no_end_action(
    client, processor, django_capture_on_commit_callbacks
):
    link = _active_link(processor, django_capture_on_commit_callbacks)
    _staff_client(client, "view_employerlink", "change_employerlink")
    url = reverse("admin:employers_employerlink_changelist")

    page = client.get(url)
    assert "end_link" not in page.content.decode()
    client.post(
        url,
        {"action": "end_link", "_selected_action": [link.pk], "apply": "yes", "reason": "weg"},
    )

    assert EmployerLink.objects.get(pk=link.pk).status == LinkStatus.ACTIVE


# --- the status page -------------------------------------------------------------------------


def _status(client, request, **kwargs):
    return client.get(reverse("employers:status", args=[request.status_token]), **kwargs)


def test_the_status_page_of_an_unverified_request_says_the_employer_confirms_by_the_mail(
    client, processor
):
    customer = Customer.objects.create(kvk_number=E1_KVK, name="Bakkerij Van Dijk B.V.")
    Policy.objects.create(number="ASR100001", customer=customer, contact_email="p@bakkerij.example")
    submitted = services.request_submit(**_fields(processor, policy_number="ASR100001"))

    page = _status(client, submitted).content.decode()

    assert mask_email("p@bakkerij.example") == "p…@bakkerij.example"
    assert "p…@bakkerij.example" in page
    assert "p@bakkerij.example" not in page
    assert "Wacht op bevestiging" in page
    assert "Wie is aan zet: U (de werkgever)" in page
    assert "Aanvraag intrekken" in page


def test_the_status_page_of_a_request_in_review_says_asr_acts(client, processor):
    submitted = services.request_submit(**_fields(processor))

    page = _status(client, submitted).content.decode()

    assert "Ter beoordeling bij a.s.r." in page
    assert "Wie is aan zet: a.s.r." in page


def test_the_status_page_of_a_verified_request_waits_for_the_processor(
    client, processor, django_capture_on_commit_callbacks
):
    request = _verified(processor, django_capture_on_commit_callbacks)

    page = _status(client, request).content.decode()

    assert "Goedgekeurd door a.s.r." in page
    assert "Wie is aan zet: uw salarisverwerker" in page
    assert processor.company_name in page
    assert "j…@bakkerij.example" in page


def test_the_status_page_shows_the_problem_and_who_acts_next(
    client, processor, django_capture_on_commit_callbacks
):
    request = _verified(
        processor, django_capture_on_commit_callbacks, tax_numbers=[E4_NUMBER], kvk_number=E4_KVK
    )
    assert request.problem_code == "NIET_ZICHTBAAR"

    page = _status(client, request).content.decode()

    assert "ziet uw bedrijf nog niet in Loket.nl" in page
    assert "Wie is aan zet: uw salarisverwerker" in page


def test_the_status_page_of_an_active_link_offers_revoke_not_withdraw(
    client, processor, django_capture_on_commit_callbacks
):
    link = _active_link(processor, django_capture_on_commit_callbacks)

    page = _status(client, link.request).content.decode()

    assert "Koppeling actief" in page
    assert "Gekoppeld" in page
    assert 'id="intrekken"' in page
    assert "Koppeling intrekken" in page
    assert "Aanvraag intrekken" not in page


def test_the_employer_withdraws_on_the_status_page_after_a_confirm_step(client, processor):
    submitted = services.request_submit(**_fields(processor))
    url = reverse("employers:status_withdraw", args=[submitted.status_token])

    confirm = client.post(url)
    assert confirm.status_code == 200
    assert "Ja, aanvraag intrekken" in confirm.content.decode()
    assert EmployerRequest.objects.get(pk=submitted.pk).status == RequestStatus.IN_REVIEW

    done = client.post(url, {"confirm": "yes"}, follow=True)

    assert EmployerRequest.objects.get(pk=submitted.pk).status == RequestStatus.WITHDRAWN
    page = done.content.decode()
    assert "Uw aanvraag is ingetrokken." in page
    assert "Aanvraag ingetrokken" in page
    assert "Aanvraag intrekken</button>" not in page


def test_the_employer_revokes_on_the_status_page_with_a_reason_after_a_confirm_step(
    client, processor, django_capture_on_commit_callbacks
):
    link = _active_link(processor, django_capture_on_commit_callbacks)
    url = reverse("employers:status_revoke", args=[link.request.status_token])
    mail.outbox.clear()

    no_reason = client.post(url, {"reason": ""})
    assert no_reason.status_code == 400
    assert "Vul een reden in." in no_reason.content.decode()
    confirm = client.post(url, {"reason": "Wij stoppen met het bedrijf"})
    assert confirm.status_code == 200
    assert "Ja, koppeling beëindigen" in confirm.content.decode()
    assert EmployerLink.objects.get(pk=link.pk).status == LinkStatus.ACTIVE

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"reason": "Wij stoppen met het bedrijf", "confirm": "yes"}, follow=True
        )

    link.refresh_from_db()
    assert (link.status, link.end_reason, link.ended_by) == (
        LinkStatus.ENDED,
        "Wij stoppen met het bedrijf",
        None,
    )
    assert link.events.last().actor_label == "werkgever via statuspagina"
    page = done.content.decode()
    assert "Koppeling beëindigd" in page
    assert "Wij stoppen met het bedrijf" in page
    assert "Koppeling intrekken</button>" not in page
    assert len(_to(processor.email)) == len(_to(settings.ASR_NOTIFY_EMAIL)) == 1
    # A second POST (the back button) changes nothing.
    client.post(url, {"reason": "nog eens", "confirm": "yes"})
    assert EmployerLink.objects.get(pk=link.pk).end_reason == "Wij stoppen met het bedrijf"


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (RequestStatus.REJECTED, "Afgewezen door a.s.r."),
        (RequestStatus.DECLINED, "Geweigerd door uw salarisverwerker"),
    ],
)
def test_the_status_page_of_a_rejected_or_declined_request_shows_the_reason(
    client, processor, status, title
):
    submitted = services.request_submit(**_fields(processor))
    EmployerRequest.objects.filter(pk=submitted.pk).update(
        status=status, decision_reason="Geen klant van ons"
    )

    page = _status(client, submitted).content.decode()

    assert title in page
    assert "Geen klant van ons" in page
    assert reverse("employers:request_form") in page
    assert "intrekken" not in page.lower().replace('id="intrekken"', "")


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "employers:status"),
        ("post", "employers:status_withdraw"),
        ("post", "employers:status_revoke"),
    ],
)
def test_an_unknown_status_token_is_a_clear_404_page_with_the_way_to_a_new_request(
    client, method, name
):
    response = getattr(client, method)(reverse(name, args=["not-a-token"]))

    assert response.status_code == 404
    page = response.content.decode()
    assert "Aanvraag niet gevonden" in page
    assert reverse("employers:request_form") in page
    assert settings.ASR_CONTACT_EMAIL in page


@pytest.mark.parametrize("token", ["\x00", "a\x00b", "x" * 500, "ä" * 30])
@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "employers:status"),
        ("post", "employers:status_withdraw"),
        ("post", "employers:status_revoke"),
    ],
)
def test_a_tampered_status_token_is_the_same_clear_404_page_never_a_500(
    client, method, name, token
):
    response = getattr(client, method)(reverse(name, args=[token]))

    assert response.status_code == 404
    assert "Aanvraag niet gevonden" in response.content.decode()


def test_a_post_with_another_requests_token_does_not_touch_this_request(
    client, processor, django_capture_on_commit_callbacks
):
    link = _active_link(processor, django_capture_on_commit_callbacks)
    other = services.request_submit(**_fields(processor, tax_numbers=["173718528L01"]))
    url = reverse("employers:status_revoke", args=[other.status_token])

    client.post(url, {"reason": "weg", "confirm": "yes"})
    client.post(reverse("employers:status_revoke", args=[link.request.status_token + "x"]))

    assert EmployerLink.objects.get(pk=link.pk).status == LinkStatus.ACTIVE


def test_the_status_page_buttons_need_the_csrf_token(processor):
    from django.test import Client

    submitted = services.request_submit(**_fields(processor))
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        reverse("employers:status_withdraw", args=[submitted.status_token]), {"confirm": "yes"}
    )

    assert response.status_code == 403
    assert EmployerRequest.objects.get(pk=submitted.pk).status == RequestStatus.IN_REVIEW


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("jan@bakkerij-vandijk.nl", "j…@bakkerij-vandijk.nl"),
        ("  p@x.example ", "p…@x.example"),
        ("", "…"),
        ("geen-adres", "…"),
    ],
)
def test_an_address_is_shown_masked(address, shown):
    assert mask_email(address) == shown
