"""The processor's account: the one-time activation link, login with lockout, the dashboard."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from onboarding import emails, services
from onboarding.crypto import decrypt_secret, encrypt_secret
from onboarding.models import PayrollProcessor, Status
from tests.onboarding.factories import (
    DEMO_PASSWORD,
    PayrollProcessorFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PORTAL_PASSWORD = "Zonnebloem-Kade-2026!"
LOGIN = reverse("onboarding:login")
DASHBOARD = reverse("onboarding:dashboard")
UPDATE = reverse("onboarding:update_credentials")


def _confirmed(django_capture_on_commit_callbacks, **kwargs) -> PayrollProcessor:
    """A registration confirmed by a.s.r. through the service, its mail sent."""
    processor = PayrollProcessorFactory(check_passed=True, **kwargs)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_confirm(processor=processor, by=StaffUserFactory(is_superuser=True))
    processor.refresh_from_db()
    return processor


def _link_from_mail(processor: PayrollProcessor) -> str:
    [message] = [m for m in mail.outbox if processor.email in m.to]
    url = re.search(r"https?://\S+/account/activeren/\S+/", message.body).group(0)
    return url.removeprefix(settings.PORTAL_BASE_URL)


def _active(**kwargs) -> PayrollProcessor:
    """An activated account with portal password ``PORTAL_PASSWORD`` (built directly: the
    activation itself is tested above)."""
    return PayrollProcessorFactory(
        confirmed=True,
        status=Status.ACTIVE,
        activated_at=timezone.now(),
        user=UserFactory(password=PORTAL_PASSWORD),
        **kwargs,
    )


def _set_password(client, link: str, password: str = PORTAL_PASSWORD):
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    target = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    return client.post(target, {"new_password1": password, "new_password2": password})


# --- activation ----------------------------------------------------------------------------------


def test_the_activation_link_sets_the_password_logs_in_and_activates(
    client, django_capture_on_commit_callbacks
):
    processor = _confirmed(django_capture_on_commit_callbacks)
    link = _link_from_mail(processor)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert 'name="new_password1"' in form_page.text
    # The token leaves the address bar after the first request.
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in form_page.redirect_chain[-1][0]

    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": PORTAL_PASSWORD, "new_password2": PORTAL_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert int(client.session[SESSION_KEY]) == processor.user.pk
    processor.refresh_from_db()
    assert processor.status == Status.ACTIVE
    assert processor.activated_at is not None
    assert processor.user.check_password(PORTAL_PASSWORD)


def test_the_activation_link_works_only_once(client, django_capture_on_commit_callbacks):
    processor = _confirmed(django_capture_on_commit_callbacks)
    link = _link_from_mail(processor)
    assert _set_password(client, link).status_code == 302
    client.logout()

    again = client.get(link, follow=True)

    assert again.status_code == 200
    assert "Link verlopen of al gebruikt" in again.text
    assert 'name="new_password1"' not in again.text


def test_an_expired_activation_link_is_refused(client, django_capture_on_commit_callbacks):
    processor = _confirmed(django_capture_on_commit_callbacks)

    class _Yesterday(PasswordResetTokenGenerator):
        def _now(self):
            return super()._now() - dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)

    uid = urlsafe_base64_encode(force_bytes(processor.user.pk))
    old_token = _Yesterday().make_token(processor.user)
    link = reverse("onboarding:activate", kwargs={"uidb64": uid, "token": old_token})

    response = client.get(link, follow=True)

    assert "Link verlopen of al gebruikt" in response.text
    response = client.post(
        link, {"new_password1": PORTAL_PASSWORD, "new_password2": PORTAL_PASSWORD}
    )
    assert "Link verlopen of al gebruikt" in response.text
    processor.refresh_from_db()
    assert processor.status == Status.CONFIRMED
    assert not processor.user.has_usable_password()


@pytest.mark.parametrize(
    ("uidb64", "token"),
    [
        ("MQ", "nonsense-token"),
        ("!!", "x"),
        ("OTk5OTk5", "abc-def"),
        ("MQ", "wachtwoord-instellen"),
    ],
)
def test_a_mangled_activation_link_gets_the_same_clear_page(client, uidb64, token):
    response = client.get(reverse("onboarding:activate", kwargs={"uidb64": uidb64, "token": token}))

    assert response.status_code == 200
    assert "Link verlopen of al gebruikt" in response.text


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        # Django's Dutch catalogue has no translation of this one for 12 characters.
        ("Kort#1x", r"12 (tekens|characters)"),
        ("123456789012345", "alleen cijfers"),
        ("password12345", "te algemeen"),
        ("{email}", "lijkt te veel op"),  # the user's own e-mail address
    ],
)
def test_activation_applies_the_password_validators(
    client, django_capture_on_commit_callbacks, password, fragment
):
    processor = _confirmed(django_capture_on_commit_callbacks)
    password = password.replace("{email}", processor.email)

    response = _set_password(client, _link_from_mail(processor), password)

    assert response.status_code == 200
    assert re.search(fragment, response.text)
    processor.refresh_from_db()
    assert processor.status == Status.CONFIRMED
    assert not processor.user.has_usable_password()
    assert SESSION_KEY not in client.session


def test_a_second_confirmation_mail_link_works_until_either_is_used(
    client, django_capture_on_commit_callbacks
):
    processor = _confirmed(django_capture_on_commit_callbacks)
    first = _link_from_mail(processor)
    mail.outbox.clear()
    emails.send_confirmation(processor_id=processor.pk)  # "resend mail"
    second = _link_from_mail(processor)

    assert _set_password(client, second).status_code == 302
    client.logout()

    assert "Link verlopen of al gebruikt" in client.get(first, follow=True).text


# --- login -------------------------------------------------------------------------------------


def test_login_by_email_is_case_insensitive(client):
    processor = _active(email="Salaris@Kantoor.example.nl")

    response = client.post(
        LOGIN, {"email": "SALARIS@kantoor.EXAMPLE.nl", "password": PORTAL_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert int(client.session[SESSION_KEY]) == processor.user.pk


def test_login_follows_a_local_next_but_not_an_external_one(client):
    processor = _active()

    response = client.post(
        LOGIN,
        {"email": processor.email, "password": PORTAL_PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == DASHBOARD


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client):
    processor = _active()

    wrong = client.post(LOGIN, {"email": processor.email, "password": "niet-dit-wachtwoord"})
    unknown = client.post(LOGIN, {"email": "niemand@example.nl", "password": "niet-dit-wachtwoord"})

    assert wrong.status_code == unknown.status_code == 200
    message = "Deze combinatie van e-mailadres en wachtwoord is onjuist."
    assert message in wrong.text
    assert message in unknown.text
    assert SESSION_KEY not in client.session


def test_repeated_failures_lock_out_even_the_right_password(client, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    processor = _active()

    for _ in range(3):
        response = client.post(LOGIN, {"email": processor.email, "password": "fout-wachtwoord"})
        assert response.status_code == 200

    locked = client.post(LOGIN, {"email": processor.email.upper(), "password": PORTAL_PASSWORD})

    assert locked.status_code == 429
    assert "Te veel mislukte inlogpogingen" in locked.text
    assert int(locked["Retry-After"]) > 0
    assert SESSION_KEY not in client.session


def test_a_successful_login_starts_the_count_of_failures_over(client, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    processor = _active()
    wrong = {"email": processor.email, "password": "fout-wachtwoord"}
    right = {"email": processor.email, "password": PORTAL_PASSWORD}

    for _ in range(2):
        assert client.post(LOGIN, wrong).status_code == 200
    assert client.post(LOGIN, right).status_code == 302
    client.post(reverse("onboarding:logout"))
    statuses = [client.post(LOGIN, wrong).status_code for _ in range(2)]
    last = client.post(LOGIN, right)

    assert statuses == [200, 200]
    assert last.status_code == 302
    assert SESSION_KEY in client.session


def test_the_lockout_counts_unknown_addresses_alike(client, settings):
    settings.LOGIN_FAILURES_ALLOWED = 2

    statuses = [
        client.post(LOGIN, {"email": "niemand@example.nl", "password": "x"}).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_one_client_address_is_locked_out_after_many_failures_across_addresses(client, settings):
    settings.LOGIN_FAILURES_ALLOWED = 1  # four failures per client address

    statuses = [
        client.post(LOGIN, {"email": f"poging{n}@example.nl", "password": "x"}).status_code
        for n in range(5)
    ]

    assert statuses == [200, 200, 200, 200, 429]


def test_login_fails_closed_when_the_lockout_counters_are_unreachable(client, settings):
    processor = _active()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    response = client.post(LOGIN, {"email": processor.email, "password": PORTAL_PASSWORD})

    assert response.status_code == 429
    assert "Inloggen is op dit moment niet mogelijk" in response.text
    assert SESSION_KEY not in client.session


def test_logout_needs_a_post(client):
    processor = _active()
    client.force_login(processor.user)

    assert client.get(reverse("onboarding:logout")).status_code == 405
    response = client.post(reverse("onboarding:logout"))

    assert response.status_code == 302
    assert SESSION_KEY not in client.session


# --- dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_needs_a_login(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert client.post(UPDATE, {}).status_code == 302


def test_the_dashboard_is_404_for_a_user_without_a_registration(client):
    client.force_login(StaffUserFactory())

    assert client.get(DASHBOARD).status_code == 404


def test_the_dashboard_shows_status_name_and_the_latest_findings(client):
    processor = _active(company_name="<b>Vet</b> & Co")
    PayrollProcessor.objects.filter(pk=processor.pk).update(
        status=Status.NEEDS_ATTENTION,
        check_findings=[{"code": "INLOG_ONGELDIG", "detail": "", "retryable": False}],
    )
    client.force_login(processor.user)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert "&lt;b&gt;Vet&lt;/b&gt; &amp; Co" in response.text
    assert "<b>Vet</b>" not in response.text
    assert "Aandacht nodig" in response.text
    assert "Handleiding: stap 4" in response.text
    assert "Loket.nl wijst de inlog af" in response.text
    assert 'name="loket_password"' in response.text
    assert DEMO_PASSWORD not in response.text
    assert processor.loket_password_encrypted not in response.text


def test_the_dashboard_shows_a_passed_check_with_the_employer_count(client):
    processor = _active()
    client.force_login(processor.user)

    response = client.get(DASHBOARD)

    assert "Actief" in response.text
    assert "ziet 3 werkgevers" in response.text


def test_updating_the_credentials_stores_them_and_runs_the_check_again(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _active(
        loket_username="ws-benefits",
        loket_password_encrypted=encrypt_secret("verlopen-wachtwoord"),
    )
    PayrollProcessor.objects.filter(pk=processor.pk).update(status=Status.NEEDS_ATTENTION)
    client.force_login(processor.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            UPDATE,
            {
                "omgevingscode": "DEMO001",
                "loket_username": "ws-benefits",
                "loket_password": DEMO_PASSWORD,
                "portal_password": PORTAL_PASSWORD,
            },
        )

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    processor.refresh_from_db()
    assert decrypt_secret(processor.loket_password_encrypted) == DEMO_PASSWORD
    assert processor.check_attempts.count() == 1
    assert processor.status == Status.ACTIVE
    assert processor.status_changes.filter(
        note="Loket.nl-gegevens gewijzigd", actor=processor.user
    ).exists()


def test_updating_with_an_empty_password_keeps_the_stored_one(
    client, loket_settings, django_capture_on_commit_callbacks
):
    # Another gebruikersnaam of an active processor waits for a.s.r. (issue 13), with the
    # stored password; the current account stays in use.
    processor = _active(loket_username="ws-benefits")
    ciphertext = processor.loket_password_encrypted
    client.force_login(processor.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            UPDATE,
            {
                "omgevingscode": "DEMO001",
                "loket_username": "ws-zonder-team",
                "portal_password": PORTAL_PASSWORD,
            },
        )

    processor.refresh_from_db()
    assert processor.loket_password_encrypted == ciphertext
    assert processor.pending_loket_password_encrypted == ciphertext
    assert processor.loket_username == "ws-benefits"
    assert processor.pending_loket_username == "ws-zonder-team"
    assert processor.status == Status.ACTIVE
    assert [f["code"] for f in processor.pending_check_findings] == ["GEEN_WERKGEVERS"]


def test_bad_credentials_input_is_refused_next_to_the_field(client):
    processor = _active()
    client.force_login(processor.user)

    response = client.post(UPDATE, {"omgevingscode": "DEMO 001", "loket_username": "ws\nbenefits"})

    assert response.status_code == 400
    assert "field--error" in response.text
    processor.refresh_from_db()
    assert processor.omgevingscode == "DEMO001"
    assert processor.check_attempts.count() == 0


def test_too_many_credential_updates_get_a_429(
    client, settings, loket_settings, django_capture_on_commit_callbacks
):
    settings.CHECKS_PER_ACCOUNT_PER_HOUR = 1
    processor = _active(loket_username="ws-benefits")
    client.force_login(processor.user)
    data = {
        "omgevingscode": "DEMO001",
        "loket_username": "ws-benefits",
        "portal_password": PORTAL_PASSWORD,
    }

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(UPDATE, data)
        second = client.post(UPDATE, data)

    assert first.status_code == 302
    assert second.status_code == 429
    assert processor.check_attempts.count() == 1
