"""A request counts only once verified (issue 12, point 2): the policy number on the form, the
confirmation link mailed to the address a.s.r.'s register holds (never to the typed one), the
verify page (GET shows, POST verifies), a.s.r.'s review queue, expiry, the limits per address and
per KvK number, and the attack and the squatting of the security review, step by step."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from common.dispatch import enqueue
from employers import services, task_names
from employers.models import (
    VERIFY_DAYS,
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    RequestTaxNumber,
    VerificationMethod,
)
from employers.services.verification import unsent_verification_mails_enqueue
from employers.tokens import VERIFY_MAX_AGE, VERIFY_SALT, verify_token
from tests.employers.conftest import E1, REGISTER_EMAIL, REGISTER_POLICY, submit_verified
from tests.onboarding.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

FORM = reverse("employers:request_form")
POLICY = REGISTER_POLICY
MASKED = "j\u2026@bakkerij-vandijk.example"
TYPED_EMAIL = "inkoop@bakkerij.example"
ATTACKER = "aanvaller@evil.example"
# A made-up loonheffingennummer that passes the 11-test (not E1's own, 144068989L01).
MADE_UP = "123456782L01"
VERIFY_LINK = re.compile(r"/salariskoppeling/bevestigen/[^/\s\"<]+/")


@pytest.fixture
def form_data(processor):
    return {
        "company_name": "Bakkerij Van Dijk B.V.",
        "kvk_number": "12345678",
        "policy_number": POLICY,
        "tax_numbers": "144068989L01",
        "contact_name": "Jan van Dijk",
        "contact_email": TYPED_EMAIL,
        "contact_phone": "",
        "processor": str(processor.pk),
        "consent": "on",
    }


def _post(client, capture, data, **kwargs):
    with capture(execute=True):
        return client.post(FORM, data, **kwargs)


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def _verify_path(message) -> str:
    found = VERIFY_LINK.search(message.body)
    assert found, message.body
    [(html, _mimetype)] = message.alternatives
    assert found.group(0) in html
    return found.group(0)


def _submitted(processor, *, numbers=("144068989L01",), policy=POLICY, email=TYPED_EMAIL):
    return services.request_submit(
        company_name="Bakkerij Van Dijk B.V.",
        kvk_number="12345678",
        tax_numbers=numbers,
        contact_name="Jan van Dijk",
        contact_email=email,
        processor=processor,
        policy_number=policy,
    )


# --- register match: the link goes to the address on file -------------------------------------


def test_a_register_match_mails_the_link_to_the_address_on_file_and_not_to_the_typed_one(
    client, processor, register, form_data, django_capture_on_commit_callbacks
):
    response = _post(client, django_capture_on_commit_callbacks, form_data)

    employer_request = EmployerRequest.objects.get()
    assert response.status_code == 302
    assert employer_request.status == RequestStatus.UNVERIFIED
    assert employer_request.register_policy == POLICY
    assert employer_request.register_email == REGISTER_EMAIL
    assert employer_request.expires_at is not None
    assert not RequestTaxNumber.objects.filter(is_open=True).exists()
    assert _recipients() == [REGISTER_EMAIL]  # not the typed address, not the processor
    [message] = mail.outbox
    assert "Bevestig de aanvraag voor de salariskoppeling van Bakkerij Van Dijk" in message.subject
    assert processor.company_name in message.body
    assert TYPED_EMAIL in message.body  # who asked, so the real employer can tell
    assert reverse("employers:status", args=[employer_request.status_token]) in message.body
    assert _verify_path(message) == reverse(
        "employers:verify", args=[verify_token(employer_request.pk)]
    )
    employer_request.refresh_from_db()
    assert employer_request.verification_mailed_at is not None

    page = client.get(response["Location"]).content.decode()
    assert (
        "We hebben een bevestigingslink gestuurd naar het e-mailadres dat a.s.r. voor deze polis "
        f"heeft: {MASKED}" in page
    )
    assert "7 dagen geldig" in page
    assert REGISTER_EMAIL not in page
    assert "salariskoppeling@asr.nl" in page


def test_no_match_goes_to_review_a_s_r_is_told_and_the_typed_address_hears_only_that(
    client, processor, register, form_data, settings, django_capture_on_commit_callbacks
):
    response = _post(
        client, django_capture_on_commit_callbacks, form_data | {"policy_number": "ASR999999"}
    )

    employer_request = EmployerRequest.objects.get()
    assert employer_request.status == RequestStatus.IN_REVIEW
    assert employer_request.register_email == ""
    assert _recipients() == sorted([settings.ASR_NOTIFY_EMAIL, TYPED_EMAIL])
    by_address = {message.to[0]: message for message in mail.outbox}
    notice = by_address[settings.ASR_NOTIFY_EMAIL]
    assert notice.subject.startswith("Aanvraag salariskoppeling te beoordelen: Bakkerij")
    assert "ASR999999" in notice.body
    assert reverse("admin:employers_employerrequest_change", args=[employer_request.pk]) in (
        notice.body
    )
    to_employer = by_address[TYPED_EMAIL]
    assert "a.s.r. beoordeelt uw aanvraag" in to_employer.subject
    assert processor.company_name not in to_employer.body
    assert REGISTER_EMAIL not in to_employer.body
    assert VERIFY_LINK.search(to_employer.body) is None

    page = client.get(response["Location"]).content.decode()
    assert "a.s.r. beoordeelt uw aanvraag; u hoort binnen 7 dagen van ons." in page
    assert "salariskoppeling@asr.nl" in page
    assert "bevestigingslink gestuurd" not in page


def test_the_done_page_is_the_same_whether_or_not_a_number_is_taken(
    client, processor, register, form_data, django_capture_on_commit_callbacks
):
    """Never reveal at submit time whether a number already has a (verified) request."""
    first = _post(client, django_capture_on_commit_callbacks, form_data)
    second = _post(client, django_capture_on_commit_callbacks, form_data)
    services.request_verify(
        request_id=EmployerRequest.objects.order_by("pk").first().pk,
        method=VerificationMethod.REGISTER,
        actor_label="test",
    )
    third = _post(client, django_capture_on_commit_callbacks, form_data)

    assert [r.status_code for r in (first, second, third)] == [302, 302, 302]
    pages = [client.get(r["Location"]).content.decode() for r in (first, second, third)]
    # the same page but for its own address (in the language switch) and the CSRF token
    strip = [
        re.sub(r"aangevraagd/[^/]+/|csrfmiddlewaretoken\" value=\"[^\"]+\"", "", p) for p in pages
    ]
    assert strip[1] == strip[2]
    assert "Er loopt al een aanvraag" not in strip[2]


# --- the verify page -----------------------------------------------------------------------------


def test_opening_the_link_shows_what_is_confirmed_and_verifies_nothing(client, processor, register):
    employer_request = _submitted(processor)
    path = reverse("employers:verify", args=[verify_token(employer_request.pk)])

    response = client.get(path)
    client.head(path)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Bakkerij Van Dijk B.V." in html
    assert "12345678" in html
    assert "144068989L01" in html
    assert processor.company_name in html
    assert '<button type="submit" class="button">Bevestigen</button>' in html
    assert "no-cache" in response["Cache-Control"]
    employer_request.refresh_from_db()
    assert employer_request.status == RequestStatus.UNVERIFIED
    assert employer_request.verified_at is None


def test_confirming_verifies_reserves_the_numbers_and_mails_the_verified_contact_and_processor(
    client, processor, register, django_capture_on_commit_callbacks
):
    employer_request = _submitted(processor)
    path = reverse("employers:verify", args=[verify_token(employer_request.pk)])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)

    employer_request.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("employers:status", args=[employer_request.status_token])
    assert employer_request.status == RequestStatus.OPEN
    assert employer_request.verification_method == VerificationMethod.REGISTER
    assert employer_request.verified_email == REGISTER_EMAIL
    assert employer_request.expires_at is None
    assert list(employer_request.tax_numbers.values_list("is_open", flat=True)) == [True]
    last = employer_request.events.order_by("pk").last()
    assert last.actor_label == "bevestigingslink werkgever"
    assert REGISTER_EMAIL in last.note
    assert _recipients() == sorted([REGISTER_EMAIL, processor.email])
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address[REGISTER_EMAIL].subject.endswith("is bevestigd")
    assert (
        reverse("employers:status", args=[employer_request.status_token])
        in by_address[REGISTER_EMAIL].body
    )


def test_a_used_link_shows_that_it_was_confirmed_with_the_status_page(client, processor, register):
    employer_request = _submitted(processor)
    path = reverse("employers:verify", args=[verify_token(employer_request.pk)])
    client.post(path)

    for response in (client.get(path), client.post(path)):
        html = response.content.decode()
        assert response.status_code == 200
        assert "Deze aanvraag is al bevestigd" in html
        assert reverse("employers:status", args=[employer_request.status_token]) in html
    assert EmployerRequest.objects.get().status == RequestStatus.OPEN


def test_a_link_older_than_seven_days_is_expired_with_the_way_to_ask_again(
    client, processor, register
):
    employer_request = _submitted(processor)

    class _LastWeek(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - VERIFY_MAX_AGE - 60)

    token = _LastWeek(salt=VERIFY_SALT).sign(str(employer_request.pk))

    for response in (
        client.get(reverse("employers:verify", args=[token])),
        client.post(reverse("employers:verify", args=[token])),
    ):
        html = response.content.decode()
        assert response.status_code == 410
        assert "Deze bevestigingslink is verlopen" in html
        assert f'href="{FORM}"' in html
        assert "salariskoppeling@asr.nl" in html
    assert EmployerRequest.objects.get().status == RequestStatus.UNVERIFIED


def test_a_link_whose_request_passed_its_expiry_or_was_deleted_is_expired(
    client, processor, register
):
    employer_request = _submitted(processor)
    path = reverse("employers:verify", args=[verify_token(employer_request.pk)])
    EmployerRequest.objects.filter(pk=employer_request.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    assert client.post(path).status_code == 410
    assert EmployerRequest.objects.get().status == RequestStatus.UNVERIFIED

    services.requests_expire()
    response = client.get(path)
    assert response.status_code == 410
    assert "Deze bevestigingslink is verlopen" in response.content.decode()


def test_a_tampered_link_is_a_clear_404_and_never_a_500(client, processor, register):
    employer_request = _submitted(processor)
    token = verify_token(employer_request.pk)
    other = signing.TimestampSigner(salt="employers.request").sign(str(employer_request.pk))
    forged = f"{employer_request.pk + 1}:{token.split(':', 1)[1]}"
    bad = [
        forged,
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        other,
        str(employer_request.pk),
        "x",
        "%00",
        "a" * 500,
        signing.TimestampSigner(salt=VERIFY_SALT).sign("not-a-number"),
        signing.TimestampSigner(salt=VERIFY_SALT).sign("9" * 40),
    ]
    for value in bad:
        for method in (client.get, client.post):
            response = method(reverse("employers:verify", args=[value]))
            assert response.status_code == 404, value
            html = response.content.decode()
            assert "Deze bevestigingslink werkt niet" in html
            assert f'href="{FORM}"' in html
    assert EmployerRequest.objects.get().status == RequestStatus.UNVERIFIED


def test_a_request_in_review_cannot_be_confirmed_with_a_link(client, processor, register):
    employer_request = _submitted(processor, policy="ASR999999")
    path = reverse("employers:verify", args=[verify_token(employer_request.pk)])

    assert client.post(path).status_code == 404
    assert EmployerRequest.objects.get().status == RequestStatus.IN_REVIEW


def test_a_rejected_request_cannot_be_confirmed_and_says_so(client, processor, register):
    employer_request = _submitted(processor)
    services.request_reject(
        request_id=employer_request.pk, reason="onbekend", actor=None, actor_label="test"
    )

    response = client.post(reverse("employers:verify", args=[verify_token(employer_request.pk)]))

    assert response.status_code == 410
    assert "Deze aanvraag is afgesloten" in response.content.decode()
    assert EmployerRequest.objects.get().status == RequestStatus.REJECTED


def test_a_link_for_numbers_another_verified_request_holds_says_so(client, processor, register):
    first = _submitted(processor)
    second = _submitted(processor)
    client.post(reverse("employers:verify", args=[verify_token(first.pk)]))

    response = client.post(reverse("employers:verify", args=[verify_token(second.pk)]))

    html = response.content.decode()
    assert response.status_code == 409
    assert "Er loopt al een bevestigde aanvraag" in html
    assert "salariskoppeling@asr.nl" in html
    second.refresh_from_db()
    assert second.status == RequestStatus.UNVERIFIED
    assert not second.tax_numbers.filter(is_open=True).exists()


# --- the attack and the squatting of the security review -----------------------------------------


def test_the_forged_request_of_the_security_review_leads_to_nothing(
    client, processor, register, form_data, settings, django_capture_on_commit_callbacks
):
    """An attacker takes E1's public KvK number, makes up a loonheffingennummer that passes the
    11-test, types their own address and a wrong policy number, and picks E1's processor."""
    # 1. the forged request: accepted, to a.s.r.'s review
    response = _post(
        client,
        django_capture_on_commit_callbacks,
        form_data
        | {
            "company_name": "Bakkerij Van Dijk",
            "tax_numbers": MADE_UP,
            "contact_email": ATTACKER,
            "policy_number": "ASR000000",
        },
    )
    forged = EmployerRequest.objects.get()
    assert response.status_code == 302
    assert forged.status == RequestStatus.IN_REVIEW
    # 2. nothing is reserved
    assert not RequestTaxNumber.objects.filter(is_open=True).exists()
    # 3. the attacker gets only "a.s.r. reviews your request"; the processor nothing
    to_attacker = [m for m in mail.outbox if ATTACKER in m.to]
    assert len(to_attacker) == 1
    assert "beoordeelt" in to_attacker[0].subject
    assert processor.company_name not in to_attacker[0].body
    assert REGISTER_EMAIL not in to_attacker[0].body
    assert processor.email not in _recipients()
    assert settings.ASR_NOTIFY_EMAIL in _recipients()
    mail.outbox.clear()
    # 4. the processor registers E1 (as "Alles aanmelden" would): nothing becomes pending
    with django_capture_on_commit_callbacks(execute=True):
        result = services.links_register(processor=processor, employer_ids=[E1], by=None)
    link = EmployerLink.objects.get()
    assert result.pending == 0
    assert link.status == LinkStatus.AWAITING_REQUEST
    assert link.request is None
    # 5. the sweeps find nothing to send or link for it
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task_names.SWEEP_UNSENT_MAILS)
        enqueue(task_names.SWEEP_PENDING_LINKS)
    assert mail.outbox == []
    assert EmployerLink.objects.get().status == LinkStatus.AWAITING_REQUEST
    # 6. the page told nothing more than "a.s.r. reviews it"
    page = client.get(response["Location"]).content.decode()
    assert REGISTER_EMAIL not in page
    assert MASKED not in page


def test_the_forged_request_with_the_right_policy_mails_the_attacker_nothing(
    client, processor, register, form_data, django_capture_on_commit_callbacks
):
    response = _post(
        client,
        django_capture_on_commit_callbacks,
        form_data | {"tax_numbers": MADE_UP, "contact_email": ATTACKER},
    )

    assert _recipients() == [REGISTER_EMAIL]
    page = client.get(response["Location"]).content.decode()
    assert MASKED in page  # "we sent a confirmation to the address on file": nothing more
    assert REGISTER_EMAIL not in page


def test_twenty_unverified_numbers_block_nothing(
    client, processor, register, form_data, django_capture_on_commit_callbacks
):
    numbers = [f"123456782L{n:02d}" for n in range(1, 21)]
    squatter = form_data | {
        "tax_numbers": "\n".join(numbers),
        "contact_email": ATTACKER,
        "policy_number": "ASR000000",
    }
    assert _post(client, django_capture_on_commit_callbacks, squatter).status_code == 302
    assert not RequestTaxNumber.objects.filter(is_open=True).exists()

    real = form_data | {"tax_numbers": "\n".join(numbers)}
    response = _post(client, django_capture_on_commit_callbacks, real)

    assert response.status_code == 302
    employer_request = EmployerRequest.objects.get(status=RequestStatus.UNVERIFIED)
    [message] = [m for m in mail.outbox if REGISTER_EMAIL in m.to]
    with django_capture_on_commit_callbacks(execute=True):
        verified = client.post(_verify_path(message))
    assert verified.status_code == 302
    employer_request.refresh_from_db()
    assert employer_request.status == RequestStatus.OPEN
    assert sorted(
        RequestTaxNumber.objects.filter(is_open=True).values_list("number", flat=True)
    ) == sorted(numbers)
    assert set(
        RequestTaxNumber.objects.filter(is_open=True).values_list("request_id", flat=True)
    ) == {employer_request.pk}


# --- limits --------------------------------------------------------------------------------------


def test_too_many_requests_naming_one_kvk_number_get_a_429_whatever_the_address(
    client, processor, register, form_data, settings, django_capture_on_commit_callbacks
):
    settings.EMPLOYER_REQUESTS_PER_KVK_PER_DAY = 2
    for n in range(2):
        response = _post(
            client, django_capture_on_commit_callbacks, form_data, REMOTE_ADDR=f"10.0.0.{n}"
        )
        assert response.status_code == 302
    mail.outbox.clear()

    response = _post(client, django_capture_on_commit_callbacks, form_data, REMOTE_ADDR="10.0.0.9")

    html = response.content.decode()
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 3600
    assert "Te veel aanvragen voor dit KvK-nummer" in html
    assert "salariskoppeling@asr.nl" in html
    assert EmployerRequest.objects.count() == 2
    assert mail.outbox == []
    other_kvk = form_data | {"kvk_number": "23456789", "tax_numbers": "173718528L01"}
    assert _post(client, django_capture_on_commit_callbacks, other_kvk).status_code == 302


def test_junk_naming_a_public_kvk_number_never_blocks_the_employers_own_matching_request(
    client, processor, register, form_data, settings, django_capture_on_commit_callbacks
):
    """The squatting of issue 12 by other means: requests without the right policy number use up
    the KvK number's budget (they only reach a.s.r.'s review); the employer's request with its
    policy number has the policy's own budget."""
    settings.EMPLOYER_REQUESTS_PER_KVK_PER_DAY = 2
    junk = form_data | {"policy_number": "ASR-999999", "contact_email": "aanvaller@example.org"}
    for n in range(3):
        _post(client, django_capture_on_commit_callbacks, junk, REMOTE_ADDR=f"10.0.1.{n}")
    assert _post(client, django_capture_on_commit_callbacks, junk).status_code == 429

    response = _post(client, django_capture_on_commit_callbacks, form_data, REMOTE_ADDR="10.0.2.1")

    assert response.status_code == 302
    assert EmployerRequest.objects.filter(status=RequestStatus.UNVERIFIED).count() == 1


def test_the_kvk_limit_speaks_english_on_the_english_page(
    client, processor, form_data, settings, django_capture_on_commit_callbacks
):
    settings.EMPLOYER_REQUESTS_PER_KVK_PER_DAY = 1
    _post(client, django_capture_on_commit_callbacks, form_data)

    response = _post(
        client, django_capture_on_commit_callbacks, form_data, headers={"accept-language": "en"}
    )

    assert response.status_code == 429
    assert "Too many requests for this KvK number" in response.content.decode()


def test_a_form_with_errors_counts_against_no_kvk_budget(client, processor, form_data, settings):
    settings.EMPLOYER_REQUESTS_PER_KVK_PER_DAY = 1
    for _ in range(3):
        assert client.post(FORM, form_data | {"consent": ""}).status_code == 200

    assert client.post(FORM, form_data).status_code == 302


# --- expiry --------------------------------------------------------------------------------------


def test_unverified_requests_are_deleted_after_seven_days_with_their_history(processor, register):
    waiting = _submitted(processor)
    in_review = _submitted(processor, policy="ASR999999")
    fresh = _submitted(processor)
    verified = submit_verified(
        company_name="Ander",
        kvk_number="23456789",
        tax_numbers=["173718528L01"],
        contact_name="X",
        contact_email="x@example.org",
        processor=processor,
    )
    rejected = _submitted(processor)
    services.request_reject(request_id=rejected.pk, reason="nee", actor=None, actor_label="t")
    past = timezone.now() - dt.timedelta(seconds=1)
    EmployerRequest.objects.filter(pk__in=[waiting.pk, in_review.pk]).update(expires_at=past)

    assert services.requests_expire() == 2

    assert set(EmployerRequest.objects.values_list("pk", flat=True)) == {
        fresh.pk,
        verified.pk,
        rejected.pk,
    }
    assert not EmployerEvent.objects.filter(request_id__in=[waiting.pk, in_review.pk]).exists()
    assert not RequestTaxNumber.objects.filter(request_id__in=[waiting.pk, in_review.pk]).exists()
    assert services.requests_expire() == 0


def test_a_request_expires_seven_days_after_it_was_made(processor, register):
    before = timezone.now()
    employer_request = _submitted(processor)

    assert employer_request.expires_at - before >= dt.timedelta(days=VERIFY_DAYS)
    assert employer_request.expires_at - before < dt.timedelta(days=VERIFY_DAYS, minutes=1)


def test_the_beat_runs_the_expiry_by_name(processor, register, settings, caplog):
    employer_request = _submitted(processor)
    EmployerRequest.objects.filter(pk=employer_request.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    entries = list(settings.CELERY_BEAT_SCHEDULE.values())
    assert any(e["task"] == task_names.EXPIRE_REQUESTS for e in entries)

    with caplog.at_level("INFO", logger="employers.services.verification"):
        enqueue(task_names.EXPIRE_REQUESTS)

    assert not EmployerRequest.objects.exists()
    assert "expired employer requests deleted: 1" in caplog.text
    assert "Bakkerij" not in caplog.text
    assert TYPED_EMAIL not in caplog.text


# --- the outbox of the verification mails -------------------------------------------------------


def test_a_lost_verification_mail_is_sent_by_the_sweep_once(
    processor, register, django_capture_on_commit_callbacks
):
    employer_request = _submitted(processor)  # outside capture: its task never ran
    EmployerRequest.objects.filter(pk=employer_request.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        counts = unsent_verification_mails_enqueue()
    assert counts["verification_mails"] == 1
    assert _recipients() == [REGISTER_EMAIL]
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task_names.SEND_VERIFICATION_MAIL, employer_request.pk)
        counts = unsent_verification_mails_enqueue()
    assert counts["verification_mails"] == 0
    assert len(mail.outbox) == 1


# --- a.s.r.'s review queue -----------------------------------------------------------------------

REQUESTS = reverse("admin:employers_employerrequest_changelist")


def _reviewer(client):
    staff = StaffUserFactory(
        permissions=[
            "employers.view_employerrequest",
            "employers.change_employerrequest",
            "employers.review_employerrequest",
        ]
    )
    client.force_login(staff)
    return staff


def test_the_queue_lists_the_requests_to_review_with_their_register_match(
    client, processor, register
):
    in_review = _submitted(processor, policy="ASR999999")
    _submitted(processor)
    _reviewer(client)

    response = client.get(REQUESTS, {"beoordeling": "te_beoordelen"})

    assert [obj.pk for obj in response.context["cl"].result_list] == [in_review.pk]
    html = response.content.decode()
    assert "Te beoordelen" in html
    assert "geen overeenkomst" in html
    assert "ASR999999" in html
    all_rows = client.get(REQUESTS).content.decode()
    assert REGISTER_EMAIL in all_rows
    assert POLICY in all_rows


def test_approving_verifies_the_typed_address_and_mails_employer_and_processor(
    client, processor, register, django_capture_on_commit_callbacks
):
    in_review = services.request_submit(
        company_name="Bakkerij Van Dijk B.V.",
        kvk_number="12345678",
        tax_numbers=["144068989L01"],
        contact_name="Jan van Dijk",
        contact_email=TYPED_EMAIL,
        processor=processor,
        policy_number="ASR999999",
        language="en",
    )
    staff = _reviewer(client)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            REQUESTS, {"action": "approve", "_selected_action": [in_review.pk]}, follow=True
        )

    in_review.refresh_from_db()
    assert response.status_code == 200
    assert in_review.status == RequestStatus.OPEN
    assert in_review.verification_method == VerificationMethod.REVIEW
    assert in_review.verified_by == staff
    assert in_review.verified_email == TYPED_EMAIL
    assert list(in_review.tax_numbers.values_list("is_open", flat=True)) == [True]
    assert _recipients() == sorted([TYPED_EMAIL, processor.email])
    to_employer = next(m for m in mail.outbox if TYPED_EMAIL in m.to)
    assert to_employer.subject.endswith("has been confirmed")
    assert reverse("employers:status", args=[in_review.status_token]) in to_employer.body


def test_rejecting_asks_a_reason_then_mails_it_to_the_employer(
    client, processor, register, django_capture_on_commit_callbacks
):
    in_review = _submitted(processor, policy="ASR999999")
    staff = _reviewer(client)
    mail.outbox.clear()
    selected = {"action": "reject", "_selected_action": [in_review.pk]}

    asked = client.post(REQUESTS, selected)
    assert asked.status_code == 200
    assert "Reden van afwijzing" in asked.content.decode()
    empty = client.post(REQUESTS, selected | {"apply": "yes", "reason": ""})
    assert empty.status_code == 200
    assert EmployerRequest.objects.get().status == RequestStatus.IN_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            REQUESTS, selected | {"apply": "yes", "reason": "Geen klant van a.s.r."}, follow=True
        )

    in_review.refresh_from_db()
    assert done.status_code == 200
    assert in_review.status == RequestStatus.REJECTED
    assert in_review.decision_reason == "Geen klant van a.s.r."
    assert in_review.decided_at is not None
    assert in_review.expires_at is None
    assert not in_review.tax_numbers.filter(is_open=True).exists()
    last = in_review.events.order_by("pk").last()
    assert (last.to_status, last.actor_id) == (RequestStatus.REJECTED, staff.pk)
    assert _recipients() == [TYPED_EMAIL]
    [message] = mail.outbox
    assert "afgewezen" in message.subject
    assert "Geen klant van a.s.r." in message.body
    assert reverse("employers:status", args=[in_review.status_token]) in message.body


def test_staff_without_the_review_permission_cannot_approve_or_reject(client, processor, register):
    in_review = _submitted(processor, policy="ASR999999")
    client.force_login(
        StaffUserFactory(
            permissions=["employers.view_employerrequest", "employers.change_employerrequest"]
        )
    )

    response = client.get(REQUESTS)
    form = response.context["action_form"]
    actions = [name for name, _label in form.fields["action"].choices] if form else []
    assert "approve" not in actions
    assert "reject" not in actions
    client.post(REQUESTS, {"action": "approve", "_selected_action": [in_review.pk]})
    assert EmployerRequest.objects.get().status == RequestStatus.IN_REVIEW


def test_a_rejection_needs_a_reason(processor, register):
    in_review = _submitted(processor, policy="ASR999999")

    with pytest.raises(ValidationError, match="reden"):
        services.request_reject(request_id=in_review.pk, reason="  ", actor=None, actor_label="t")
    assert EmployerRequest.objects.get().status == RequestStatus.IN_REVIEW


def test_a_verified_request_cannot_be_rejected_in_the_review_queue(processor, register):
    employer_request = _submitted(processor)
    services.request_verify(
        request_id=employer_request.pk, method=VerificationMethod.REGISTER, actor_label="t"
    )

    with pytest.raises(ValidationError) as refused:
        services.request_reject(
            request_id=employer_request.pk, reason="te laat", actor=None, actor_label="t"
        )

    assert refused.value.code == "not_unverified"
    assert EmployerRequest.objects.get().status == RequestStatus.OPEN


def test_the_rejection_is_mailed_in_the_employers_language_once_even_when_the_task_was_lost(
    processor, register, django_capture_on_commit_callbacks
):
    employer_request = services.request_submit(
        company_name="Bakkerij Van Dijk B.V.",
        kvk_number="12345678",
        tax_numbers=["144068989L01"],
        contact_name="Jan van Dijk",
        contact_email=TYPED_EMAIL,
        processor=processor,
        policy_number="ASR999999",
        language="en",
    )
    services.request_reject(  # outside capture: its mail task never ran
        request_id=employer_request.pk, reason="Unknown to a.s.r.", actor=None, actor_label="t"
    )
    EmployerRequest.objects.filter(pk=employer_request.pk).update(
        decided_at=timezone.now() - dt.timedelta(minutes=5),
        created_at=timezone.now() - dt.timedelta(minutes=5),
    )

    with django_capture_on_commit_callbacks(execute=True):
        counts = unsent_verification_mails_enqueue()
        enqueue(task_names.SEND_REQUEST_REJECTED_MAIL, employer_request.pk)

    # the review notices were never due: the request was decided before they went out
    assert counts == {"verification_mails": 0, "rejection_mails": 1}
    [message] = mail.outbox
    assert message.to == [TYPED_EMAIL]
    assert message.subject == (
        "Your salary link request for Bakkerij Van Dijk B.V. has been rejected"
    )
    assert "Unknown to a.s.r." in message.body


def test_the_done_page_still_names_the_address_on_file_after_the_request_was_confirmed(
    client, processor, register, form_data, django_capture_on_commit_callbacks
):
    response = _post(client, django_capture_on_commit_callbacks, form_data)
    [message] = mail.outbox
    client.post(_verify_path(message))

    page = client.get(response["Location"]).content.decode()

    assert MASKED in page
    assert "a.s.r. beoordeelt uw aanvraag" not in page
