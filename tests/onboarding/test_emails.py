"""The registration e-mails: Dutch, text + HTML, the right link, never a secret."""

from __future__ import annotations

import logging
import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils.http import urlsafe_base64_encode

from onboarding import emails
from onboarding.models import Status
from tests.onboarding.factories import DEMO_PASSWORD, PayrollProcessorFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '<script>alert("x")</script> & Zn\r\nBcc: victim@example.org'


def _only_mail() -> mail.EmailMultiAlternatives:
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def _html(message: mail.EmailMultiAlternatives) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def _assert_no_secret(message: mail.EmailMultiAlternatives, processor) -> None:
    for part in (message.subject, message.body, _html(message)):
        assert DEMO_PASSWORD not in part
        assert processor.loket_password_encrypted not in part


def _confirmed_processor(**kwargs):
    user = UserFactory()
    return PayrollProcessorFactory(confirmed=True, user=user, **kwargs)


def test_the_confirmation_mail_is_dutch_text_and_html_with_a_working_activation_link():
    processor = _confirmed_processor()

    emails.send_confirmation(processor_id=processor.pk)

    message = _only_mail()
    assert message.to == [processor.email]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "verwerkt" in message.subject
    assert "uw aanmelding" in message.subject.lower()
    assert "wachtwoord" in message.body.lower()
    uid = urlsafe_base64_encode(str(processor.user.pk).encode())
    pattern = re.escape(f"{settings.PORTAL_BASE_URL}/account/activeren/{uid}/") + r"([\w-]+)/"
    token = re.search(pattern, message.body).group(1)
    assert default_token_generator.check_token(processor.user, token)
    assert f"/account/activeren/{uid}/{token}/" in _html(message)
    _assert_no_secret(message, processor)


def test_the_activation_token_is_never_logged(caplog):
    processor = _confirmed_processor()

    with caplog.at_level(logging.DEBUG):
        emails.send_confirmation(processor_id=processor.pk)

    token = re.search(r"/account/activeren/[\w-]+/([\w-]+)/", _only_mail().body).group(1)
    assert token not in caplog.text


def test_a_confirmation_mail_for_an_account_already_activated_is_not_sent():
    processor = _confirmed_processor(status=Status.ACTIVE)

    emails.send_confirmation(processor_id=processor.pk)

    assert mail.outbox == []


def test_a_mail_for_a_registration_that_no_longer_exists_is_dropped():
    emails.send_confirmation(processor_id=987654321)

    assert mail.outbox == []


def test_the_rejection_mail_carries_the_reason_escaped_in_html():
    processor = PayrollProcessorFactory(
        status=Status.REJECTED, rejection_reason="Onbekend kantoor <b>niet</b> bij KvK."
    )

    emails.send_rejection(processor_id=processor.pk)

    message = _only_mail()
    assert "afgewezen" in message.subject
    assert "Onbekend kantoor <b>niet</b> bij KvK." in message.body
    assert "Onbekend kantoor &lt;b&gt;niet&lt;/b&gt; bij KvK." in _html(message)
    _assert_no_secret(message, processor)


def test_the_needs_attention_mail_lists_findings_with_their_manual_step_and_a_login_link():
    processor = _confirmed_processor(
        status=Status.NEEDS_ATTENTION,
        check_findings=[
            {"code": "INLOG_ONGELDIG", "detail": "", "retryable": False},
            {"code": "GEEN_WERKGEVERS", "detail": "", "retryable": False},
        ],
    )

    emails.send_needs_attention(processor_id=processor.pk)

    message = _only_mail()
    assert "Actie nodig" in message.subject
    for part in (message.body, _html(message)):
        assert "Handleiding: stap 4" in part
        assert "Loket.nl wijst de inlog af" in part
        assert "Handleiding: stap 3, Ak gebruiker" in part
        assert f"{settings.PORTAL_BASE_URL}/account/inloggen/" in part
    _assert_no_secret(message, processor)


def test_asr_is_notified_of_a_new_registration_with_a_link_to_the_admin():
    processor = PayrollProcessorFactory(company_name="Salarisbureau Noord B.V.")

    emails.send_asr_notification(processor_id=processor.pk)

    message = _only_mail()
    assert message.to == [settings.ASR_NOTIFY_EMAIL]
    assert "Salarisbureau Noord B.V." in message.subject
    admin_url = (
        f"{settings.PORTAL_BASE_URL}/beheer/onboarding/payrollprocessor/{processor.pk}/change/"
    )
    assert admin_url in message.body
    assert admin_url in _html(message)
    _assert_no_secret(message, processor)


def test_a_hostile_company_name_is_escaped_in_html_and_cannot_break_the_subject():
    processor = PayrollProcessorFactory(company_name=HOSTILE_NAME)

    emails.send_asr_notification(processor_id=processor.pk)

    message = _only_mail()
    assert "\n" not in message.subject
    assert "\r" not in message.subject
    assert "Bcc: victim@example.org" in message.subject  # folded into the subject line itself
    message.message()  # builds the MIME message: no BadHeaderError
    html = _html(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Zn" in html


def test_a_hostile_company_name_is_escaped_in_the_confirmation_mail_too():
    processor = _confirmed_processor(company_name=HOSTILE_NAME)

    emails.send_confirmation(processor_id=processor.pk)

    html = _html(_only_mail())
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
