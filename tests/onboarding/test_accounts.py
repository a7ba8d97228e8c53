"""services.login_attempt: the login with its lockout, without a view around it."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.utils import timezone

from onboarding import services
from onboarding.models import Status
from onboarding.ratelimit import RateLimited
from tests.onboarding.factories import PayrollProcessorFactory, UserFactory

pytestmark = pytest.mark.django_db

PORTAL_PASSWORD = "Zonnebloem-Kade-2026!"
CLIENT = "192.0.2.20"


def _request():
    request = RequestFactory().post("/account/inloggen/")
    request.session = SessionStore()
    return request


def _active():
    return PayrollProcessorFactory(
        confirmed=True,
        status=Status.ACTIVE,
        activated_at=timezone.now(),
        user=UserFactory(password=PORTAL_PASSWORD),
    )


def test_the_right_password_logs_the_processor_in_by_its_email_address():
    processor = _active()
    request = _request()

    user = services.login_attempt(
        request=request,
        email=f" {processor.email.upper()} ",
        password=PORTAL_PASSWORD,
        client_ip=CLIENT,
    )

    assert user == processor.user
    assert request.session[SESSION_KEY] == str(processor.user.pk)


def test_failures_count_until_the_address_is_locked_out_even_for_the_right_password(settings):
    settings.LOGIN_FAILURES_ALLOWED = 2
    processor = _active()

    def attempt(password):
        return services.login_attempt(
            request=_request(), email=processor.email, password=password, client_ip=CLIENT
        )

    assert attempt("fout") is None
    assert attempt("fout") is None
    with pytest.raises(RateLimited) as locked:
        attempt(PORTAL_PASSWORD)

    assert locked.value.retry_after > 0
