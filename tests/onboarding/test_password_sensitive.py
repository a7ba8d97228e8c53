"""Issue 13, point 8: the Loket.nl password is marked sensitive, so Django's error reporter
(``SafeExceptionReporterFilter``: the mails to ADMINS, the technical 500 page) shows it cleansed,
both as a POST parameter of the views that take it and as a local variable where it is
decrypted and used."""

from __future__ import annotations

import contextlib
import socket
import sys

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from employers.loket_snapshot import snapshot
from locket_client.errors import LoketError
from onboarding.admin.processor import PayrollProcessorAdmin
from onboarding.crypto import encrypt_secret
from onboarding.models import PayrollProcessor, Status
from onboarding.views import account, public
from tests.onboarding.factories import PayrollProcessorFactory

pytestmark = pytest.mark.django_db

CANARY = "Kanarie#Geheim-7391"


def _report(request, exc_info) -> tuple[str, str]:
    reporter = ExceptionReporter(request, *exc_info)
    return reporter.get_traceback_text(), reporter.get_traceback_html()


def _with_session(request):
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _boom() -> None:
    raise RuntimeError("boom")  # a later step failing; its frame holds no form data


def _post_then_fail(view, data: dict[str, str], *args, user=None, **kwargs):
    """Run ``view`` on a POST, then report an error for that request, as Django does for an
    exception in a later step (the report reads the markings the view's decorators left)."""
    request = _with_session(RequestFactory().post("/", data))
    del data
    request.user = user or AnonymousUser()
    with contextlib.suppress(Exception):  # whatever the view does next, the marking is made
        view(request, *args, **kwargs)
    try:
        _boom()
    except RuntimeError:
        return request, _report(request, sys.exc_info())
    raise AssertionError("unreachable")


# Incomplete (no company name, no omgevingscode): the views only show the form again.
FORM = {"email": "kanarie@example.nl", "loket_username": "ws-kanarie"}


def _assert_cleansed(request, report: tuple[str, str], parameter: str) -> None:
    text, html = report
    assert parameter in request.sensitive_post_parameters
    assert CANARY not in text
    assert CANARY not in html
    assert parameter in text  # the parameter is listed, its value is not


def test_the_loket_password_is_sensitive_post_data_of_the_registration_form():
    request, report = _post_then_fail(public.register, {**FORM, "loket_password": CANARY})

    _assert_cleansed(request, report, "loket_password")


def test_the_loket_password_is_sensitive_post_data_of_the_correction_form():
    processor = PayrollProcessorFactory(status=Status.CHECK_FAILED)

    request, report = _post_then_fail(
        public.correct, {**FORM, "loket_password": CANARY}, token=processor.status_token
    )

    _assert_cleansed(request, report, "loket_password")


def test_the_loket_password_is_sensitive_post_data_of_the_account_page():
    request, report = _post_then_fail(
        account.update_credentials, {**FORM, "loket_password": CANARY}
    )

    _assert_cleansed(request, report, "loket_password")
    assert "portal_password" in request.sensitive_post_parameters


def test_the_loket_password_is_sensitive_post_data_of_the_admin_change_page():
    processor = PayrollProcessorFactory(status=Status.CHECK_FAILED)
    staff = get_user_model().objects.create_superuser("beheer", "beheer@asr.example", "x-Geh-123")
    model_admin = PayrollProcessorAdmin(PayrollProcessor, admin.site)

    request, report = _post_then_fail(
        model_admin.changeform_view,
        {**FORM, "new_password": CANARY},
        str(processor.pk),
        user=staff,
    )

    _assert_cleansed(request, report, "new_password")


def _dead_endpoint() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/loket/soap"  # nothing listens: the call fails


def _processor_with_canary() -> PayrollProcessor:
    return PayrollProcessorFactory(confirmed=True, loket_password_encrypted=encrypt_secret(CANARY))


def test_the_decrypted_loket_password_is_cleansed_from_the_error_report_of_a_snapshot(settings):
    settings.LOKET_ENDPOINT = _dead_endpoint()
    settings.LOKET_TIMEOUT = 2.0
    processor = _processor_with_canary()

    with pytest.raises(LoketError) as failed:
        snapshot(processor, refresh=True)
    text, html = _report(None, (failed.type, failed.value, failed.tb))

    assert CANARY not in text
    assert CANARY not in html
    assert "snapshot" in text  # the frame is there, its secrets are not
