"""The subscribers' secrets are under the key set of the Loket.nl passwords:
``manage.py rotate_credentials`` re-encrypts them (current and previous)."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from onboarding.crypto import decrypt_secret, encrypted_fields, is_current
from webhooks import services
from webhooks.models import EventType

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_the_secrets_are_registered_for_rotation():
    assert encrypted_fields()["webhooks.WebhookSubscription"] == (
        "secret_encrypted",
        "previous_secret_encrypted",
    )


def test_rotate_credentials_re_encrypts_the_subscription_secrets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.CREDENTIALS_KEYS = [OLD_KEY]
    subscription, first = services.subscription_create(
        description="a.s.r.", url="http://127.0.0.1:9/hook", events=list(EventType.values)
    )
    second = services.subscription_rotate_secret(subscription_id=subscription.pk)
    settings.CREDENTIALS_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()

    call_command("rotate_credentials", stdout=out)

    assert "WebhookSubscription: 1 van 1" in out.getvalue()
    settings.CREDENTIALS_KEYS = [NEW_KEY]
    subscription.refresh_from_db()
    assert is_current(subscription.secret_encrypted)
    assert is_current(subscription.previous_secret_encrypted)
    assert decrypt_secret(subscription.secret_encrypted) == second
    assert decrypt_secret(subscription.previous_secret_encrypted) == first
    again = StringIO()
    call_command("rotate_credentials", stdout=again)
    assert "WebhookSubscription: 0 van 1" in again.getvalue()
