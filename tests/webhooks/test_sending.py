"""Sending from the outbox to a local receiver over real HTTP: signed as Standard Webhooks says,
retried with growing backoff after an error status, a timeout or a redirect (never followed),
given up after the window; private and loopback targets refused unless the setting allows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from tests.webhooks.conftest import active_link, message_for, subscribe
from webhooks import sending
from webhooks.events import events_collect
from webhooks.models import AttemptError, MessageStatus, WebhookAttempt, WebhookMessage
from webhooks.sending import backoff_seconds, message_send

pytestmark = pytest.mark.django_db


def _due_now(message: WebhookMessage) -> None:
    """Time passed: the retry is due."""
    WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def test_the_sweep_sends_each_event_once_signed_to_the_receiver(receiver, processor):
    subscription = subscribe(receiver)
    link = active_link(processor)

    events_collect()
    assert sending.due_messages_hand_out() == 1  # in-process: sent at once
    events_collect()
    assert sending.due_messages_hand_out() == 0

    message = WebhookMessage.objects.get(subscription=subscription)
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None
    assert message.attempts == 1
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.path == "/hooks/asr"
    assert got.headers["webhook-id"] == message.msg_id
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["Content-Type"] == "application/json"
    assert got.payload["type"] == "link.activated"
    assert got.payload["data"]["link_id"] == link.pk
    [attempt] = WebhookAttempt.objects.filter(message=message)
    assert attempt.status_code == 204
    assert attempt.error_code == ""


def test_a_wrong_secret_does_not_verify(receiver, processor):
    subscription = subscribe(receiver)
    receiver.secret = "whsec_" + "A" * 43 + "="
    message_send(message_id=message_for(subscription).pk)

    assert receiver.received[0].payload is None  # the receiver answered 401
    assert WebhookAttempt.objects.get().status_code == 401


def test_an_error_status_is_retried_with_growing_backoff_and_the_same_webhook_id(receiver):
    subscription = subscribe(receiver)
    message = message_for(subscription)
    receiver.mode = "error"

    gaps = []
    for _ in range(4):
        assert message_send(message_id=message.pk) == MessageStatus.PENDING
        message.refresh_from_db()
        attempt = message.attempts_log.last()
        gaps.append((message.next_attempt_at - attempt.at).total_seconds())
        _due_now(message)

    assert [round(gap / 60) for gap in gaps] == [1, 2, 4, 8]
    assert message.attempts == 4
    assert {r.headers["webhook-id"] for r in receiver.received} == {message.msg_id}
    assert all(r.payload is not None for r in receiver.received)  # each attempt signed anew
    attempts = WebhookAttempt.objects.filter(message=message)
    assert [a.status_code for a in attempts] == [500] * 4
    assert {a.error_code for a in attempts} == {AttemptError.HTTP_STATUS}

    receiver.mode = "ok"
    assert message_send(message_id=message.pk) == MessageStatus.DELIVERED


def test_the_backoff_is_capped(settings):
    settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS = 600
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 5, 12)] == [60, 120, 240, 480, 600, 600]


def test_a_message_not_yet_due_is_not_sent(receiver):
    message = message_for(
        subscribe(receiver), next_attempt_at=timezone.now() + dt.timedelta(minutes=1)
    )

    assert message_send(message_id=message.pk) == "skipped"
    assert sending.due_messages_hand_out() == 0
    assert receiver.connections == 0


def test_a_receiver_that_times_out_is_retried(receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    message = message_for(subscribe(receiver))
    receiver.mode = "slow"

    assert message_send(message_id=message.pk) == MessageStatus.PENDING

    receiver.release.set()
    attempt = WebhookAttempt.objects.get()
    assert attempt.error_code == AttemptError.TIMEOUT
    assert attempt.error == "ReadTimeout"
    assert attempt.status_code is None
    message.refresh_from_db()
    assert message.next_attempt_at > timezone.now()
    assert message.claimed_until is None


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_attempt_deadline(receiver, settings):
    """Each byte comes well within the per-read timeout, so only a deadline for the whole attempt
    (twice the timeout: connect, then answer) ends it, well inside the message's lease: no second
    worker takes the message over while this one still waits."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    message = message_for(subscribe(receiver))
    receiver.mode = "drip"
    deadline = sending.attempt_deadline_seconds()
    assert deadline == pytest.approx(0.6)
    assert sending.lease().total_seconds() > deadline + 30

    started = timezone.now()
    assert message_send(message_id=message.pk) == MessageStatus.PENDING
    took = (timezone.now() - started).total_seconds()

    assert receiver.dripped > 0  # the answer had begun: no read ever timed out
    assert took < 5  # the drip alone lasts 10 s
    attempt = WebhookAttempt.objects.get()
    assert attempt.error_code == AttemptError.TIMEOUT
    assert attempt.error == "no answer within 0.6 s"
    assert attempt.status_code is None
    assert deadline * 1000 <= attempt.duration_ms < 5000
    message.refresh_from_db()
    assert message.next_attempt_at > timezone.now()
    assert message.claimed_until is None

    receiver.mode = "ok"
    _due_now(message)
    assert message_send(message_id=message.pk) == MessageStatus.DELIVERED


def test_after_the_retry_window_the_message_is_given_up(receiver):
    receiver.mode = "error"
    first = timezone.now() - dt.timedelta(hours=24, minutes=1)
    message = message_for(subscribe(receiver), first_attempt_at=first, attempts=20)

    assert message_send(message_id=message.pk) == MessageStatus.FAILED

    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.next_attempt_at is None
    assert sending.due_messages_hand_out() == 0


def test_the_last_retry_falls_on_the_end_of_the_window(receiver):
    receiver.mode = "error"
    first = timezone.now() - dt.timedelta(hours=23, minutes=59, seconds=30)
    message = message_for(subscribe(receiver), first_attempt_at=first, attempts=20)

    assert message_send(message_id=message.pk) == MessageStatus.PENDING

    message.refresh_from_db()
    assert message.next_attempt_at == first + dt.timedelta(hours=24)


def test_a_redirect_is_a_failure_and_never_followed(receiver, other_receiver):
    receiver.mode = "redirect"
    receiver.redirect_to = other_receiver.url
    message = message_for(subscribe(receiver))

    assert message_send(message_id=message.pk) == MessageStatus.PENDING

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 302
    assert attempt.error_code == AttemptError.REDIRECT
    assert len(receiver.received) == 1
    assert other_receiver.connections == 0
    assert other_receiver.received == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_loopback_targets_are_refused_without_a_connection_when_not_allowed(
    receiver, settings, host
):
    subscription = subscribe(receiver)
    subscription.url = f"https://{host}:{receiver.port}/hooks/asr"
    subscription.save()
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    message = message_for(subscription)

    assert message_send(message_id=message.pk) == MessageStatus.PENDING

    attempt = WebhookAttempt.objects.get()
    assert attempt.error_code == AttemptError.REFUSED_ADDRESS
    assert attempt.error in {"127.0.0.1", "::1", "::ffff:7f00:1"}
    assert attempt.status_code is None
    assert receiver.connections == 0


def test_plain_http_is_refused_when_private_targets_are_not_allowed(receiver, settings):
    subscription = subscribe(receiver)
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    message_send(message_id=message_for(subscription).pk)

    assert WebhookAttempt.objects.get().error_code == AttemptError.INSECURE_URL
    assert receiver.connections == 0


def test_the_previous_secret_signs_too_for_a_day_after_a_new_one(receiver):
    from webhooks.services import subscription_rotate_secret

    subscription = subscribe(receiver)
    old = receiver.secret
    new = subscription_rotate_secret(subscription_id=subscription.pk)
    receiver.secret = new
    message_send(message_id=message_for(subscription).pk)

    got = receiver.received[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(got.body, got.headers)["type"] == "link.ended"
    assert Webhook(new).verify(got.body, got.headers)["type"] == "link.ended"

    subscription.refresh_from_db()
    subscription.previous_secret_until = timezone.now()
    subscription.save()
    message_send(message_id=message_for(subscription).pk)
    assert len(receiver.received[1].headers["webhook-signature"].split(" ")) == 1


def test_the_secret_is_in_no_log_and_no_attempt(receiver, everything_at_debug):
    subscription = subscribe(receiver)
    secret = receiver.secret
    receiver.mode = "error"
    message_send(message_id=message_for(subscription).pk)
    receiver.mode = "ok"
    message_send(message_id=message_for(subscription).pk)
    subscription.url = "https://127.0.0.1:1/"
    subscription.save()

    logged = everything_at_debug.text
    assert "webhook msg_" in logged  # the attempts were logged
    for attempt in WebhookAttempt.objects.all():
        assert secret not in attempt.error
    assert secret not in logged
    assert secret.removeprefix("whsec_") not in logged
    subscription.refresh_from_db()
    assert secret not in subscription.secret_encrypted


def test_the_connection_goes_to_the_address_checked_with_no_second_look_up(receiver, monkeypatch):
    """DNS rebinding: the name is resolved once, before the check; the socket connects to that
    address (a second answer, here a refused one, is never asked for)."""
    import socket

    real = socket.getaddrinfo
    asked: list[str] = []

    def fake(host, *args, **kwargs):
        if host == "ontvanger.rebind.test":
            asked.append(host)
            address = "127.0.0.1" if len(asked) == 1 else "10.255.255.1"
            return real(address, *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    subscription = subscribe(receiver)
    subscription.url = f"http://ontvanger.rebind.test:{receiver.port}/hooks/asr"
    subscription.save()

    assert message_send(message_id=message_for(subscription).pk) == MessageStatus.DELIVERED

    assert asked == ["ontvanger.rebind.test"]
    assert receiver.received[0].headers["Host"] == f"ontvanger.rebind.test:{receiver.port}"


def test_the_beat_sweep_collects_and_sends(receiver, processor):
    from common import dispatch
    from webhooks import task_names

    subscribe(receiver)
    active_link(processor)

    result = dispatch.task(task_names.SWEEP).apply().get()

    assert result == {"collected": 1, "handed_out": 1}
    assert len(receiver.verified) == 1
    assert dispatch.task(task_names.SWEEP).apply().get() == {"collected": 0, "handed_out": 0}


def _self_signed(tmp_path, name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_https_names_the_host_in_the_handshake_and_checks_its_certificate(
    receiver, monkeypatch, tmp_path
):
    """Connected to the pinned address, the TLS handshake still sends the host name (SNI), and
    a certificate no trusted authority signed is refused: nothing is posted."""
    import socket
    import ssl
    import threading

    name = "ontvanger.tls.test"
    cert, key = _self_signed(tmp_path, name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda _sock, server_name, _ctx: server_names.append(server_name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: real("127.0.0.1" if host == name else host, *a, **k),
    )
    subscription = subscribe(receiver)
    subscription.url = f"https://{name}:{port}/hooks/asr"
    subscription.save()

    assert message_send(message_id=message_for(subscription).pk) == MessageStatus.PENDING

    thread.join(5)
    listener.close()
    assert server_names == [name]
    attempt = WebhookAttempt.objects.get()
    assert (attempt.error_code, attempt.error) == (AttemptError.CONNECTION, "SSLError")


def test_a_receiver_dripping_its_answer_over_tls_is_cut_off_at_the_attempt_deadline(
    receiver, settings, monkeypatch, tmp_path
):
    """Over TLS too: the socket is watched before the handshake and shut down at the deadline
    through a duplicate descriptor (TLS has taken the original socket object over by then)."""
    import socket
    import ssl
    import threading

    import requests

    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    name = "ontvanger.tls.test"
    cert, key = _self_signed(tmp_path, name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    dripped: list[int] = []

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)  # the request
                tls.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                for _ in range(200):  # a byte every 50 ms, for 10 s at most
                    if stop.wait(0.05):
                        break
                    tls.sendall(b"x")
                    dripped.append(1)
                tls.sendall(b"\r\nContent-Length: 0\r\n\r\n")
        except (ssl.SSLError, OSError):
            conn.close()

    class TrustingTheTestCertificate(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            self.verify = cert

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: real("127.0.0.1" if host == name else host, *a, **k),
    )
    monkeypatch.setattr(sending.requests, "Session", TrustingTheTestCertificate)
    subscription = subscribe(receiver)
    subscription.url = f"https://{name}:{listener.getsockname()[1]}/hooks/asr"
    subscription.save()

    try:
        assert message_send(message_id=message_for(subscription).pk) == MessageStatus.PENDING
    finally:
        stop.set()
        thread.join(5)
        listener.close()

    assert dripped
    attempt = WebhookAttempt.objects.get()
    assert (attempt.error_code, attempt.error) == (AttemptError.TIMEOUT, "no answer within 0.6 s")
    assert 600 <= attempt.duration_ms < 5000


def test_a_message_another_worker_holds_is_left_until_its_lease_ends(receiver):
    """A worker killed mid-send: its lease runs out and the message is sent by another."""
    now = timezone.now()
    message = message_for(subscribe(receiver), claimed_until=now + dt.timedelta(seconds=30))

    assert message_send(message_id=message.pk) == "skipped"
    assert sending.due_messages_hand_out() == 0
    assert receiver.connections == 0

    WebhookMessage.objects.filter(pk=message.pk).update(claimed_until=now)
    assert sending.due_messages_hand_out() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert len(receiver.verified) == 1


def test_a_handed_out_message_is_not_handed_out_again_until_re_armed(receiver):
    from config.celery import app

    message = message_for(subscribe(receiver))
    app.conf.task_always_eager = False  # queued on the in-memory broker, never run: "lost"
    try:
        assert sending.due_messages_hand_out() == 1
        assert sending.due_messages_hand_out() == 0  # re-armed: left alone for a while
    finally:
        app.conf.task_always_eager = True
    message.refresh_from_db()
    assert message.handed_out_until > timezone.now()
    assert receiver.connections == 0

    WebhookMessage.objects.filter(pk=message.pk).update(handed_out_until=timezone.now())
    assert sending.due_messages_hand_out() == 1
    assert len(receiver.verified) == 1
