"""The admin login (/beheer/) locks a username at one client address after repeated failures
(django-axes), for a while only; the processors' own login is left to its own lockout."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.onboarding.factories import PORTAL_PASSWORD, logged_in_processor
from tests.staffauth.conftest import STAFF_PASSWORD, staff_user

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = reverse("admin:login")
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.20"


def _admin_login(client: Client, username: str, password: str, address: str, **extra):
    return client.post(
        ADMIN_LOGIN,
        {"username": username, "password": password, "next": "/beheer/"},
        REMOTE_ADDR=address,
        **extra,
    )


def _lock(username: str, address: str, failures: int) -> list[int]:
    stranger = Client()
    return [
        _admin_login(stranger, username, "geraden-wachtwoord", address).status_code
        for _ in range(failures)
    ]


def test_the_admin_login_locks_a_username_at_one_address_after_the_allowed_failures(settings):
    settings.ADMIN_LOGIN_FAILURES_ALLOWED = 3
    user = staff_user()

    statuses = _lock(user.username, ATTACKER, 3)
    client = Client()
    right_password = _admin_login(client, user.username, STAFF_PASSWORD, ATTACKER)

    assert statuses == [200, 200, 429]
    assert right_password.status_code == 429
    assert "Inloggen tijdelijk geblokkeerd" in right_password.text
    assert settings.ASR_CONTACT_EMAIL in right_password.text
    assert int(right_password["Retry-After"]) == settings.ADMIN_LOCKOUT_SECONDS
    assert SESSION_KEY not in client.session


def test_the_admin_lockout_page_speaks_english_to_an_english_visitor(settings):
    settings.ADMIN_LOGIN_FAILURES_ALLOWED = 1
    user = staff_user()

    page = _admin_login(Client(), user.username, "x", ATTACKER, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 429
    assert 'lang="en"' in page.text
    assert "Logging in temporarily blocked" in page.text


def test_the_same_staff_user_still_logs_in_from_another_address_during_a_lock(settings):
    settings.ADMIN_LOGIN_FAILURES_ALLOWED = 3
    user = staff_user()
    _lock(user.username, ATTACKER, 5)

    client = Client()
    response = _admin_login(client, user.username, STAFF_PASSWORD, OFFICE)

    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == user.pk


def test_the_lock_ends_after_the_cool_off(settings):
    settings.ADMIN_LOGIN_FAILURES_ALLOWED = 3
    user = staff_user()
    _lock(user.username, ATTACKER, 3)
    assert _admin_login(Client(), user.username, STAFF_PASSWORD, ATTACKER).status_code == 429

    # The cool-off has passed since the last failure.
    past = timedelta(seconds=settings.ADMIN_LOCKOUT_SECONDS + 1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)
    client = Client()
    response = _admin_login(client, user.username, STAFF_PASSWORD, ATTACKER)

    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == user.pk


def test_the_admin_lockout_counts_the_client_address_the_portal_trusts(settings):
    """Behind the TLS proxy the address is the portal's (onboarding.http.client_ip): the entry the
    proxy appended, not the first one, which the client writes itself."""
    settings.ADMIN_LOGIN_FAILURES_ALLOWED = 2
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)
    user = staff_user()
    stranger = Client()
    for _ in range(2):
        _admin_login(
            stranger,
            user.username,
            "fout",
            "127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.9.9, {ATTACKER}",
        )

    client = Client()
    response = _admin_login(
        client,
        user.username,
        STAFF_PASSWORD,
        "127.0.0.1",
        HTTP_X_FORWARDED_FOR=f"10.9.9.9, {OFFICE}",
    )

    assert response.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_the_processors_login_is_not_counted_by_the_admin_lockout(client, settings):
    settings.ADMIN_LOGIN_FAILURES_ALLOWED = 2
    settings.LOGIN_FAILURES_ALLOWED = 4
    processor = logged_in_processor(Client())
    login = reverse("onboarding:login")

    wrong = [
        client.post(login, {"email": processor.email, "password": "fout"}).status_code
        for _ in range(3)
    ]
    right = client.post(login, {"email": processor.email, "password": PORTAL_PASSWORD})

    assert wrong == [200, 200, 200]  # past the admin's limit of 2, below the portal's own 4
    assert right.status_code == 302
    assert int(client.session[SESSION_KEY]) == processor.user.pk
    assert not AccessAttempt.objects.exists()


def test_the_processors_own_lockout_still_answers_with_its_own_page(client, settings):
    settings.ADMIN_LOGIN_FAILURES_ALLOWED = 1
    settings.LOGIN_FAILURES_ALLOWED = 2
    processor = logged_in_processor(Client())
    login = reverse("onboarding:login")

    statuses = [
        client.post(login, {"email": processor.email, "password": "fout"}).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 429]
    assert (
        "Te veel mislukte inlogpogingen"
        in client.post(login, {"email": processor.email, "password": PORTAL_PASSWORD}).text
    )


def test_a_login_without_a_request_still_works(settings):
    """``authenticate()`` without a request (the test client's ``login()``, a management
    command) passes the admin lockout's backend by."""
    user = staff_user()

    assert Client().login(username=user.username, password=STAFF_PASSWORD)
