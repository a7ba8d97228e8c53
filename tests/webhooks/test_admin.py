"""The admin: a subscription's secret shown once (on creation and after "Nieuw geheim"), the URL
checked with a clear Dutch message, messages with their attempts, and "Opnieuw versturen"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from onboarding.crypto import decrypt_secret
from tests.webhooks.conftest import message_for, subscribe
from webhooks.models import EventType, MessageStatus, WebhookAttempt, WebhookSubscription
from webhooks.sending import message_send

pytestmark = pytest.mark.django_db

ADD = reverse("admin:webhooks_webhooksubscription_add")
SUBSCRIPTIONS = reverse("admin:webhooks_webhooksubscription_changelist")
MESSAGES = reverse("admin:webhooks_webhookmessage_changelist")
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{44}")


def _form(url: str, **extra: object) -> dict[str, object]:
    return {
        "description": "a.s.r. verwerking",
        "url": url,
        "events": [EventType.LINK_ACTIVATED, EventType.DELIVERY_COMPLETED],
        "active": "on",
        **extra,
    }


def test_a_new_subscription_shows_its_secret_once(admin_client, receiver):
    response = admin_client.post(ADD, _form(receiver.url))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = SECRET.findall(response.content.decode())
    assert len(shown) == 1
    subscription = WebhookSubscription.objects.get()
    assert decrypt_secret(subscription.secret_encrypted) == shown[0]
    assert subscription.events == [EventType.LINK_ACTIVATED, EventType.DELIVERY_COMPLETED]
    assert shown[0] not in str(response.cookies)
    page = admin_client.get(
        reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk])
    )
    assert page.status_code == 200
    assert not SECRET.search(page.content.decode())
    assert shown[0] not in admin_client.get(SUBSCRIPTIONS).content.decode()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://127.0.0.1/hook", "privé-, lokaal of intern netwerkadres (127.0.0.1)"),
        ("https://10.20.30.40/hook", "privé-, lokaal of intern netwerkadres (10.20.30.40)"),
        ("https://[::1]/hook", "privé-, lokaal of intern netwerkadres (::1)"),
        ("http://ontvanger.asr.nl/hook", "Gebruik een https-adres"),
        ("https://ontvanger.invalid/hook", "niet te vinden"),
    ],
)
def test_a_url_that_may_not_receive_is_refused_with_a_clear_message(
    admin_client, settings, url, says
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = admin_client.post(ADD, _form(url))

    assert response.status_code == 200
    assert says in response.content.decode()
    assert not WebhookSubscription.objects.exists()


@pytest.fixture
def flipping_dns(monkeypatch):
    """``ontvanger.flip.test`` resolves to a public address once, then no more (a DNS answer
    changing between two look-ups). The names asked for are listed."""
    import socket

    real = socket.getaddrinfo
    asked: list[str] = []

    def fake(host, *args, **kwargs):
        if host != "ontvanger.flip.test":
            return real(host, *args, **kwargs)
        asked.append(host)
        if len(asked) > 1:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return asked


def test_a_new_subscription_is_checked_once_not_again_when_saved(admin_client, flipping_dns):
    response = admin_client.post(ADD, _form("https://ontvanger.flip.test/hook"))

    assert response.status_code == 200
    assert len(SECRET.findall(response.content.decode())) == 1
    assert WebhookSubscription.objects.get().url == "https://ontvanger.flip.test/hook"
    assert flipping_dns == ["ontvanger.flip.test"]


def test_a_changed_subscription_is_checked_once_not_again_when_saved(
    admin_client, receiver, flipping_dns
):
    subscription = subscribe(receiver)
    change = reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk])

    response = admin_client.post(change, _form("https://ontvanger.flip.test/hook"))

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.url == "https://ontvanger.flip.test/hook"
    assert flipping_dns == ["ontvanger.flip.test"]


def test_a_subscription_needs_at_least_one_event(admin_client, receiver):
    response = admin_client.post(ADD, _form(receiver.url, events=[]))

    assert response.status_code == 200
    assert not WebhookSubscription.objects.exists()


def test_new_secret_shows_the_new_one_once_and_signs_with_it(admin_client, receiver):
    subscription = subscribe(receiver)
    old = receiver.secret

    response = admin_client.post(
        SUBSCRIPTIONS, {"action": "new_secret", "_selected_action": [subscription.pk]}
    )

    assert response.status_code == 200
    [new] = SECRET.findall(response.content.decode())
    assert new != old
    subscription.refresh_from_db()
    assert decrypt_secret(subscription.secret_encrypted) == new
    assert subscription.secret_rotated_at is not None
    receiver.secret = new
    message_send(message_id=message_for(subscription).pk)
    got = receiver.received[0]
    assert Webhook(new).verify(got.body, got.headers)


def test_a_message_shows_its_attempts(admin_client, receiver):
    receiver.mode = "error"
    message = message_for(subscribe(receiver))
    message_send(message_id=message.pk)

    page = admin_client.get(reverse("admin:webhooks_webhookmessage_change", args=[message.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "HTTP 500" in text
    assert message.msg_id in text
    assert "Opnieuw versturen" in text
    listing = admin_client.get(MESSAGES, {"status__exact": "pending"})
    assert message.msg_id in listing.content.decode()
    assert (
        message.msg_id
        not in admin_client.get(MESSAGES, {"status__exact": "failed"}).content.decode()
    )


def test_send_again_makes_a_given_up_message_due_with_a_new_window(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    receiver.mode = "error"
    long_ago = timezone.now() - dt.timedelta(days=2)
    message = message_for(subscribe(receiver), first_attempt_at=long_ago, attempts=30)
    message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    receiver.mode = "ok"

    url = reverse("admin:webhooks_webhookmessage_resend", args=[message.pk])
    assert admin_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.attempts == 1
    assert message.first_attempt_at > long_ago + dt.timedelta(days=1)
    assert [a.status_code for a in WebhookAttempt.objects.filter(message=message)] == [500, 204]
    assert len(receiver.verified) == 2  # the failed attempt and the one sent again


def test_send_again_as_an_action_on_several_messages(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver)
    first = message_for(subscription, status=MessageStatus.FAILED, next_attempt_at=None)
    second = message_for(subscription, status=MessageStatus.DELIVERED, next_attempt_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(MESSAGES, {"action": "resend", "_selected_action": [first.pk, second.pk]})

    assert len(receiver.verified) == 2
    assert {r.headers["webhook-id"] for r in receiver.received} == {first.msg_id, second.msg_id}


def test_staff_without_change_permission_cannot_send_again(client, receiver):
    from tests.onboarding.factories import StaffUserFactory

    message = message_for(subscribe(receiver), status=MessageStatus.FAILED, next_attempt_at=None)
    staff = StaffUserFactory(permissions=["webhooks.view_webhookmessage"])
    client.force_login(staff)

    url = reverse("admin:webhooks_webhookmessage_resend", args=[message.pk])
    assert client.post(url).status_code == 403
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED


def test_send_again_skips_messages_of_a_switched_off_subscription_and_says_so(
    admin_client, receiver, other_receiver, django_capture_on_commit_callbacks
):
    on = message_for(subscribe(receiver), status=MessageStatus.FAILED, next_attempt_at=None)
    off = message_for(subscribe(other_receiver), status=MessageStatus.FAILED, next_attempt_at=None)
    WebhookSubscription.objects.filter(pk=off.subscription_id).update(active=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            MESSAGES, {"action": "resend", "_selected_action": [on.pk, off.pk]}, follow=True
        )

    text = response.content.decode()
    assert "1 bericht wordt opnieuw verstuurd." in text
    assert (
        "1 bericht van een uitgeschakeld abonnement is niet opnieuw verstuurd: "
        "zet het abonnement eerst aan." in text
    )
    assert [r.headers["webhook-id"] for r in receiver.received] == [on.msg_id]
    assert other_receiver.connections == 0
    off.refresh_from_db()
    assert (off.status, off.next_attempt_at) == (MessageStatus.FAILED, None)


def test_send_again_on_a_message_of_a_switched_off_subscription_says_it_is_not_sent(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    message = message_for(subscribe(receiver), status=MessageStatus.FAILED, next_attempt_at=None)
    WebhookSubscription.objects.filter(pk=message.subscription_id).update(active=False)

    url = reverse("admin:webhooks_webhookmessage_resend", args=[message.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, follow=True)

    text = response.content.decode()
    assert "Het bericht is niet opnieuw verstuurd: het abonnement is uitgeschakeld." in text
    assert "wordt opnieuw verstuurd" not in text
    assert receiver.connections == 0
    message.refresh_from_db()
    assert (message.status, message.next_attempt_at) == (MessageStatus.FAILED, None)
