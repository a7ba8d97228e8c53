"""Issue 12, the processor's side: a link needs the numbers to match (point 3), and the processor
sees whom it links, can decline, and "Alles aanmelden" skips what is not verified (point 5).

Against the Loket.nl sandbox over HTTP and PostgreSQL, tasks in-process. ws-benefits sees E1
(144068989L01), E2 (173718528L01 and L02) and E3 (177756184L01).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from employers import services
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    RequestTaxNumber,
)
from employers.services import sweeps
from locket_client.problems import manual_step
from tests.employers.conftest import E1, E2, E3, make_processor, submit_verified
from tests.onboarding.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("employers:werkgevers")
REGISTER = reverse("employers:werkgevers_register")
E1_NUMBER, E1_KVK = "144068989L01", "12345678"
E2_NUMBERS, E2_KVK = ("173718528L01", "173718528L02"), "23456789"
E3_NUMBER, E3_KVK = "177756184L01", "34567890"
OTHER_NUMBER = "123456782L01"  # passes the 11-test, on no sandbox employer
VERIFIED = "kantoor@bakkerij.example"  # the verified contact (say, the register's address)
TYPED = "jan@bakkerij.example"  # the address typed in the form


@pytest.fixture
def owner(processor):
    processor.user = UserFactory()
    processor.save(update_fields=["user"])
    return processor


@pytest.fixture
def logged_in(client, owner):
    client.force_login(owner.user)
    return client


def _request(processor, capture, numbers=(E1_NUMBER,), kvk=E1_KVK, *, language="nl", **extra):
    """A verified request whose verified contact is :data:`VERIFIED` (not the typed address)."""
    with capture(execute=True):
        employer_request = submit_verified(
            company_name=extra.pop("company_name", "Bakkerij Van Dijk B.V."),
            kvk_number=kvk,
            tax_numbers=list(numbers),
            contact_name="Jan van Dijk",
            contact_email=TYPED,
            contact_phone="010-1234567",
            processor=processor,
            language=language,
            **extra,
        )
    EmployerRequest.objects.filter(pk=employer_request.pk).update(verified_email=VERIFIED)
    employer_request.refresh_from_db()
    return employer_request


def _unverified(processor, numbers=(E1_NUMBER,), kvk=E1_KVK):
    return services.request_submit(
        company_name="Onbevestigd B.V.",
        kvk_number=kvk,
        tax_numbers=list(numbers),
        contact_name="Iemand",
        contact_email="iemand@aanvaller.example",
        processor=processor,
    )


def _register(processor, capture, *ids):
    with capture(execute=True):
        return services.links_register(processor=processor, employer_ids=list(ids), by=None)


def _employer_mails(mailoutbox, address=VERIFIED):
    return [m for m in mailoutbox if m.to == [address]]


def _status_path(employer_request) -> str:
    return reverse("employers:status", args=[employer_request.status_token])


def _row(html: str, name: str) -> tuple[str, str]:
    for state, row in re.findall(
        r'<tr class="werkgever werkgever--([a-z_]+)"[^>]*>(.*?)</tr>', html, flags=re.S
    ):
        if f">{name}</th>" in row:
            return state, " ".join(re.sub(r"<[^>]+>", " ", row).split())
    raise AssertionError(f"no row for {name}")


# --- point 3: the numbers must match ----------------------------------------------------------


def test_a_request_naming_exactly_the_employers_numbers_activates_the_link(
    processor, django_capture_on_commit_callbacks, mailoutbox
):
    employer_request = _request(processor, django_capture_on_commit_callbacks, E2_NUMBERS, E2_KVK)

    _register(processor, django_capture_on_commit_callbacks, E2)

    link = EmployerLink.objects.get()
    assert (link.status, link.problem_code) == (LinkStatus.ACTIVE, "")
    assert EmployerRequest.objects.get().status == RequestStatus.LINKED
    assert link.request == employer_request
    assert not [m for m in _employer_mails(mailoutbox) if "kloppen niet" in m.subject]


@pytest.mark.parametrize(
    ("numbers", "kvk", "employer", "code", "detail", "employer_text"),
    [
        pytest.param(
            (OTHER_NUMBER,),
            E1_KVK,
            E1,
            "ALLEEN_KVK",
            OTHER_NUMBER,
            f"Geen van de loonheffingennummers in uw aanvraag ({OTHER_NUMBER})",
            id="kvk-only",
        ),
        pytest.param(
            (E2_NUMBERS[0],),
            E2_KVK,
            E2,
            "NUMMER_EXTRA",
            "173718528L02",
            "ook loonheffingennummers die niet in uw aanvraag staan: 173718528L02",
            id="partial: E2 has L02 as well",
        ),
        pytest.param(
            (*E2_NUMBERS, OTHER_NUMBER),
            E2_KVK,
            E2,
            "NUMMER_ONTBREEKT",
            OTHER_NUMBER,
            f"staan niet bij uw bedrijf in Loket.nl: {OTHER_NUMBER}",
            id="a requested number is not on the employer",
        ),
    ],
)
def test_a_number_mismatch_is_a_problem_with_its_step_mailed_once_to_the_verified_contact(
    processor,
    django_capture_on_commit_callbacks,
    mailoutbox,
    numbers,
    kvk,
    employer,
    code,
    detail,
    employer_text,
):
    employer_request = _request(processor, django_capture_on_commit_callbacks, numbers, kvk)

    _register(processor, django_capture_on_commit_callbacks, employer)

    link = EmployerLink.objects.get()
    employer_request.refresh_from_db()
    assert (link.status, link.problem_code, link.problem_detail) == (
        LinkStatus.PROBLEM,
        code,
        detail,
    )
    assert link.request == employer_request  # paired, so the processor sees it, never active
    assert employer_request.status == RequestStatus.OPEN
    assert link.activated_at is None
    step = manual_step(code)
    assert (step.number, step.anchor) == (5, "stap-5")
    [mail] = [m for m in _employer_mails(mailoutbox) if "kloppen niet" in m.subject]
    # Only the verified contact: never the address typed in the form.
    assert not [m for m in _employer_mails(mailoutbox, TYPED) if "kloppen niet" in m.subject]
    assert employer_text in mail.body
    assert "Trek deze aanvraag in op uw statuspagina" in mail.body
    assert _status_path(employer_request) in mail.body
    assert _status_path(employer_request) in mail.alternatives[0][0]
    assert link.employer_problem_mailed_at is not None
    # The processor hears of it in its digest, with the step.
    [digest] = [m for m in mailoutbox if m.to == [processor.email] and "aandacht" in m.subject]
    assert "stap 5" in digest.body

    # The processor checks again (nothing changed): the same problem, the employer not mailed again.
    with django_capture_on_commit_callbacks(execute=True):
        services.link_recheck_request(link=link, actor=None, actor_label="test")
    with django_capture_on_commit_callbacks(execute=True):
        sweeps.employer_notices_enqueue(older_than=dt.timedelta(0))
    link.refresh_from_db()
    assert (link.status, link.problem_code) == (LinkStatus.PROBLEM, code)
    assert len([m for m in _employer_mails(mailoutbox) if "kloppen niet" in m.subject]) == 1


def test_the_number_problem_mail_is_in_the_requests_language(
    processor, django_capture_on_commit_callbacks, mailoutbox
):
    _request(processor, django_capture_on_commit_callbacks, (E2_NUMBERS[0],), E2_KVK, language="en")

    _register(processor, django_capture_on_commit_callbacks, E2)

    [mail] = _employer_mails(mailoutbox, VERIFIED)[-1:]
    assert "do not match" in mail.subject
    assert "Withdraw this request on your status page" in mail.body
    assert "173718528L02" in mail.body


def test_a_number_problem_shows_on_the_werkgevers_page_with_step_5(
    logged_in, owner, django_capture_on_commit_callbacks
):
    _request(owner, django_capture_on_commit_callbacks, (E2_NUMBERS[0],), E2_KVK)
    _register(owner, django_capture_on_commit_callbacks, E2)

    html = logged_in.get(PAGE).content.decode()

    state, text = _row(html, "Installatiebedrijf De Vries B.V.")
    assert state == "problem"
    assert "Handleiding: stap 5" in text
    assert "ook loonheffingennummers die niet in de aanvraag staan: 173718528L02" in text
    assert '<a class="finding-step" href="/handleiding/#stap-5">' in html


def test_the_daily_recheck_flags_an_active_link_whose_numbers_no_longer_match(
    processor, django_capture_on_commit_callbacks, mailoutbox
):
    """The employer's numbers in Loket.nl and the request's must stay equal. The sandbox's
    employers do not change, so the request's side is changed here: to the re-check that is the
    same difference as Loket.nl adding a loonheffingennummer to the employer."""
    employer_request = _request(processor, django_capture_on_commit_callbacks, E2_NUMBERS, E2_KVK)
    _register(processor, django_capture_on_commit_callbacks, E2)
    assert EmployerLink.objects.get().status == LinkStatus.ACTIVE
    RequestTaxNumber.objects.filter(request=employer_request, number="173718528L02").delete()

    with django_capture_on_commit_callbacks(execute=True):
        changed = services.links_recheck(processor=processor, trigger="test")
    with django_capture_on_commit_callbacks(execute=True):
        again = services.links_recheck(processor=processor, trigger="test")

    link = EmployerLink.objects.get()
    assert (changed, again) == (1, 0)
    assert (link.status, link.problem_code, link.problem_detail) == (
        LinkStatus.NEEDS_ATTENTION,
        "NUMMER_EXTRA",
        "173718528L02",
    )
    assert (
        EmployerEvent.objects.filter(link=link, to_status=LinkStatus.NEEDS_ATTENTION)
        .exclude(from_status=LinkStatus.NEEDS_ATTENTION)
        .count()
        == 1
    )
    assert len([m for m in _employer_mails(mailoutbox) if "kloppen niet" in m.subject]) == 1
    digests = [m for m in mailoutbox if m.to == [processor.email] and "aandacht" in m.subject]
    assert digests
    assert "173718528L02" in digests[-1].body


def test_a_lost_number_problem_mail_is_sent_by_the_sweep(
    processor, django_capture_on_commit_callbacks, mailoutbox
):
    _request(processor, django_capture_on_commit_callbacks, (OTHER_NUMBER,), E1_KVK)
    with django_capture_on_commit_callbacks() as lost:  # the linking runs; its mail task is lost
        services.links_register(processor=processor, employer_ids=[E1], by=None)
    for task in lost[:1]:
        task()  # only the linking task
    assert EmployerLink.objects.get().employer_problem_mailed_at is None
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sent = sweeps.employer_notices_enqueue(older_than=dt.timedelta(0))

    assert sent["employer_problem_mails"] == 1
    assert len(_employer_mails(mailoutbox)) == 1
    assert EmployerLink.objects.get().employer_problem_mailed_at is not None


# --- point 5: the processor sees whom it links ------------------------------------------------


def _detail_url(employer_request) -> str:
    return reverse("employers:werkgevers_request", args=[employer_request.pk])


def test_only_verified_requests_show_on_the_werkgevers_page_each_with_its_detail_page(
    logged_in, owner, django_capture_on_commit_callbacks
):
    verified = _request(owner, django_capture_on_commit_callbacks)
    _unverified(owner, (E3_NUMBER,), E3_KVK)

    html = logged_in.get(PAGE).content.decode()

    assert f'href="{_detail_url(verified)}"' in html
    assert "Onbevestigd" not in html
    assert "iemand@aanvaller.example" not in html
    assert _row(html, "Bakkerij Van Dijk B.V.")[0] == "requested"
    assert VERIFIED in _row(html, "Bakkerij Van Dijk B.V.")[1]  # the verified contact
    assert _row(html, "Zorggroep Tilburg")[0] == "available"


def test_the_detail_page_shows_who_asked_when_verified_how_the_numbers_and_the_link(
    logged_in, owner, django_capture_on_commit_callbacks
):
    employer_request = _request(owner, django_capture_on_commit_callbacks, (E2_NUMBERS[0],), E2_KVK)
    _register(owner, django_capture_on_commit_callbacks, E2)

    response = logged_in.get(_detail_url(employer_request))

    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    for shown in (
        "Jan van Dijk",
        VERIFIED,
        "010-1234567",
        "Goedgekeurd door a.s.r.",  # verified how
        "173718528L01",
        "Installatiebedrijf De Vries B.V.",
        "173718528L01, 173718528L02",  # the numbers at registration
        "Probleem",
        "Handleiding: stap 5",
        "Aanvraag weigeren",
    ):
        assert shown in text, shown
    assert TYPED not in text  # the verified contact, not the typed address


def test_the_detail_page_is_a_404_for_another_processors_or_an_unverified_request(
    logged_in, owner, client, django_capture_on_commit_callbacks
):
    other = make_processor("ws-andere-partij", n=2)
    theirs = _request(other, django_capture_on_commit_callbacks)
    unverified = _unverified(owner, (E3_NUMBER,), E3_KVK)

    assert logged_in.get(_detail_url(theirs)).status_code == 404
    assert logged_in.get(_detail_url(unverified)).status_code == 404
    assert logged_in.get("/account/werkgevers/aanvraag/987654/").status_code == 404
    decline = reverse("employers:werkgevers_decline", args=[theirs.pk])
    assert logged_in.post(decline, {"choice": "not_customer"}).status_code == 404
    assert EmployerRequest.objects.get(pk=theirs.pk).status == RequestStatus.OPEN
    logged_in.logout()
    assert logged_in.get(_detail_url(theirs)).status_code == 302  # to the login


def test_declining_a_request_frees_its_numbers_releases_its_link_and_mails_the_employer(
    logged_in, owner, django_capture_on_commit_callbacks, mailoutbox
):
    employer_request = _request(owner, django_capture_on_commit_callbacks, (OTHER_NUMBER,), E1_KVK)
    _register(owner, django_capture_on_commit_callbacks, E1)
    assert EmployerLink.objects.get().status == LinkStatus.PROBLEM  # ALLEEN_KVK
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            reverse("employers:werkgevers_decline", args=[employer_request.pk]),
            {"choice": "not_customer", "explanation": "Wij kennen dit bedrijf niet."},
            follow=True,
        )

    employer_request.refresh_from_db()
    link = EmployerLink.objects.get()
    assert response.redirect_chain == [(PAGE, 302)]
    assert "U heeft de aanvraag van Bakkerij Van Dijk B.V. geweigerd" in response.content.decode()
    assert employer_request.status == RequestStatus.DECLINED
    assert employer_request.decided_at is not None
    assert employer_request.decision_reason == "Geen klant van ons: Wij kennen dit bedrijf niet."
    assert not employer_request.tax_numbers.filter(is_open=True).exists()
    assert (link.status, link.request, link.problem_code) == (LinkStatus.AWAITING_REQUEST, None, "")
    event = EmployerEvent.objects.filter(request=employer_request).last()
    assert (event.to_status, event.actor, event.note) == (
        RequestStatus.DECLINED,
        owner.user,
        employer_request.decision_reason,
    )
    [mail] = _employer_mails(mailoutbox)
    assert "geweigerd" in mail.subject
    assert "Geen klant van ons: Wij kennen dit bedrijf niet." in mail.body
    assert _status_path(employer_request) in mail.body
    assert employer_request.decline_mailed_at is not None
    # The numbers are free: a new verified request naming them is accepted.
    assert _request(owner, django_capture_on_commit_callbacks, (OTHER_NUMBER,), E1_KVK).pk
    # A declined request is no longer on the page; the employer shows as registered.
    html = logged_in.get(PAGE).content.decode()
    assert f'href="{_detail_url(employer_request)}"' not in html


def test_the_decline_mail_is_in_the_requests_language(
    logged_in, owner, django_capture_on_commit_callbacks, mailoutbox
):
    employer_request = _request(owner, django_capture_on_commit_callbacks, language="en")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        logged_in.post(
            reverse("employers:werkgevers_decline", args=[employer_request.pk]),
            {"choice": "not_customer"},
        )

    [mail] = _employer_mails(mailoutbox)
    assert "declined your request" in mail.subject
    assert "Reason: Not a client of ours" in mail.body


def test_declining_for_another_reason_needs_the_reason_written(
    logged_in, owner, django_capture_on_commit_callbacks
):
    employer_request = _request(owner, django_capture_on_commit_callbacks)
    url = reverse("employers:werkgevers_decline", args=[employer_request.pk])

    response = logged_in.post(url, {"choice": "other", "explanation": "   "})

    assert response.status_code == 400
    assert "Schrijf de reden op voor de werkgever." in response.content.decode()
    assert EmployerRequest.objects.get().status == RequestStatus.OPEN


def test_a_link_whose_request_was_declined_before_the_linking_task_ran_waits_again(
    owner, django_capture_on_commit_callbacks
):
    employer_request = _request(owner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks() as linking:  # pending; the task has not run
        services.links_register(processor=owner, employer_ids=[E1], by=None)
    assert EmployerLink.objects.get().status == LinkStatus.PENDING
    services.request_decline(
        request_id=employer_request.pk, processor=owner, reason="Geen klant van ons", actor=None
    )

    for task in linking:
        task()

    link = EmployerLink.objects.get()
    assert (link.status, link.request, link.activated_at) == (
        LinkStatus.AWAITING_REQUEST,
        None,
        None,
    )


def test_a_linked_request_cannot_be_declined(owner, django_capture_on_commit_callbacks):
    employer_request = _request(owner, django_capture_on_commit_callbacks)
    _register(owner, django_capture_on_commit_callbacks, E1)

    with pytest.raises(ValidationError, match="niet meer"):
        services.request_decline(
            request_id=employer_request.pk, processor=owner, reason="x", actor=None
        )

    assert EmployerLink.objects.get().status == LinkStatus.ACTIVE


# --- "Alles aanmelden": what it skips, and why --------------------------------------------------


def _confirm_text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_an_unverified_request_changes_nothing_in_alles_aanmelden_and_is_never_shown(
    logged_in, owner, django_capture_on_commit_callbacks
):
    """A forged request (public KvK number, never confirmed) must neither be seen by the
    processor nor change what it registers: it counts as no request at all."""
    _request(owner, django_capture_on_commit_callbacks)  # E1: verified
    _unverified(owner, E2_NUMBERS, E2_KVK)  # E2: not verified; E3: no request at all

    confirm = logged_in.post(REGISTER, {"alle": "1"})
    text = _confirm_text(confirm)
    assert "3 werkgevers aanmelden?" in text
    assert "slaan we over" not in text
    assert "bevestigd" not in text.split("aanmelden?")[1].split("Ja,")[0]
    with django_capture_on_commit_callbacks(execute=True):
        logged_in.post(REGISTER, {"alle": "1", "bevestigd": "1", "aantal": "3"}, follow=True)

    registered = dict(EmployerLink.objects.values_list("loket_employer_id", "status"))
    assert registered == {
        E1: LinkStatus.ACTIVE,
        E2: LinkStatus.AWAITING_REQUEST,
        E3: LinkStatus.AWAITING_REQUEST,
    }


def test_alles_aanmelden_skips_declined_and_ended_employers_which_can_be_registered_alone(
    logged_in, owner, django_capture_on_commit_callbacks
):
    declined = _request(owner, django_capture_on_commit_callbacks, (E3_NUMBER,), E3_KVK)
    services.request_decline(
        request_id=declined.pk, processor=owner, reason="Geen klant van ons", actor=None
    )
    ended = _request(owner, django_capture_on_commit_callbacks)
    _register(owner, django_capture_on_commit_callbacks, E1)
    EmployerLink.objects.filter(loket_employer_id=E1).update(
        status=LinkStatus.ENDED, ended_at=timezone.now()
    )
    EmployerRequest.objects.filter(pk=ended.pk).update(status=RequestStatus.ENDED)

    page = logged_in.get(PAGE).content.decode()
    assert _row(page, "Bakkerij Van Dijk B.V.")[0] == "ended"
    assert "Beëindigd" in _row(page, "Bakkerij Van Dijk B.V.")[1]
    text = _confirm_text(logged_in.post(REGISTER, {"alle": "1"}))
    assert "1 werkgever aanmelden?" in text  # E2 only
    assert "1 werkgever slaan we over: u heeft de aanvraag geweigerd." in text
    assert (
        "1 werkgever slaan we over: de koppeling is beëindigd of de aanvraag is ingetrokken."
    ) in text

    # Each can still be registered on its own; an ended employer gets a new link.
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(REGISTER, {"employer_id": [E1, E3]}, follow=True)
    assert "2 werkgevers aangemeld." in response.content.decode()
    assert EmployerLink.objects.filter(loket_employer_id=E1).count() == 2
    assert set(
        EmployerLink.objects.filter(loket_employer_id=E1).values_list("status", flat=True)
    ) == {LinkStatus.ENDED, LinkStatus.AWAITING_REQUEST}


def test_alles_aanmelden_with_only_skipped_employers_registers_nothing_and_says_why(
    logged_in, owner, django_capture_on_commit_callbacks
):
    declined = _request(owner, django_capture_on_commit_callbacks)
    services.request_decline(
        request_id=declined.pk, processor=owner, reason="Geen klant van ons", actor=None
    )

    response = logged_in.post(REGISTER, {"alle": "1", "status": "available", "q": "Bakkerij"})

    html = logged_in.get(response["Location"]).content.decode()
    assert "Er is geen werkgever gekozen om aan te melden." in html
    assert "1 werkgever is niet aangemeld: u heeft de aanvraag geweigerd" in html
    assert not EmployerLink.objects.exists()


def test_the_standard_decline_reason_is_worded_in_the_language_of_the_status_page(
    client, owner, django_capture_on_commit_callbacks
):
    declined = _request(owner, django_capture_on_commit_callbacks)
    services.request_decline(
        request_id=declined.pk, processor=owner, reason="Geen klant van ons", actor=None
    )
    url = reverse("employers:status", args=[declined.status_token])

    english = client.get(url, headers={"accept-language": "en"}).content.decode()
    dutch = client.get(url, headers={"accept-language": "nl"}).content.decode()

    assert "Not a client of ours" in english
    assert "Geen klant van ons" not in english
    assert "Geen klant van ons" in dutch
