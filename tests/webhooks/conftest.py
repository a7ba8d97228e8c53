"""Webhook fixtures: a local receiver over real HTTP that checks the Standard Webhooks signature,
and links and deliveries made with the ORM (the rows the event sweep reads)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from deliveries.models import Delivery, DeliveryStatus, DeliveryVersion, EmployeeRecord
from employers.models import EmployerLink, EmployerRequest, LinkStatus, RequestStatus
from tests.employers.conftest import E1, make_processor
from webhooks import services
from webhooks.models import EventType, WebhookMessage, WebhookSubscription

BSN = "123456782"
EMPLOYEE_NAME = "Jansen-Geheimhouder"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: Any  # the verified JSON, None when the signature did not verify


@dataclass
class Receiver:
    """What it answers (``mode``: ok, error, slow, drip, redirect) and what it got.
    ``connections`` counts accepted TCP connections, requests or not; ``dripped`` the header
    bytes a drip wrote before it was cut off (or released)."""

    server: ThreadingHTTPServer
    secret: str = ""
    mode: str = "ok"
    status: int = 204
    redirect_to: str = ""
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    dripped: int = 0
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/asr"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def verified(self) -> list[Any]:
        return [r.payload for r in self.received if r.payload is not None]


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = dict(self.headers.items())
            try:
                payload = Webhook(receiver.secret).verify(body, headers)
            except (WebhookVerificationError, ValueError):
                payload = None
            receiver.received.append(Received(self.path, headers, body, payload))
            if receiver.mode == "slow":
                receiver.release.wait(5)
            if receiver.mode == "drip":
                self._drip(receiver)
                return
            if receiver.mode == "redirect":
                self.send_response(302)
                self.send_header("Location", receiver.redirect_to)
            elif receiver.mode == "error":
                self.send_response(500)
            elif payload is None:
                self.send_response(401)
            else:
                self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _drip(self, receiver: Receiver) -> None:
            """A 200 whose header arrives a byte every 50 ms (each read well within a per-read
            timeout) for at most 10 s, until released or cut off."""
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                for _ in range(200):
                    if receiver.release.wait(0.05):
                        break
                    self.wfile.write(b"x")
                    receiver.dripped += 1
                self.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass  # the sender hung up
            self.close_connection = True

    return Handler


def _start() -> Receiver:
    ref: list[Receiver] = []

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def verify_request(self, request: Any, client_address: Any) -> bool:
            ref[0].connections += 1
            return True

    server = Server(("127.0.0.1", 0), _handler(ref))
    receiver = Receiver(server=server)
    ref.append(receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1: private targets allowed for this test."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    found = _start()
    try:
        yield found
    finally:
        found.release.set()
        found.server.shutdown()
        found.server.server_close()


@pytest.fixture
def other_receiver(receiver) -> Iterator[Receiver]:
    found = _start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


def subscribe(receiver: Receiver, *, events=None, url: str | None = None) -> WebhookSubscription:
    subscription, secret = services.subscription_create(
        description="a.s.r. verwerking",
        url=url or receiver.url,
        events=list(events or EventType.values),
    )
    receiver.secret = secret
    return subscription


@pytest.fixture
def processor(db):
    return make_processor()


def active_link(processor, *, n: int = 1, at: dt.datetime | None = None) -> EmployerLink:
    at = at or timezone.now()
    request = EmployerRequest.objects.create(
        company_name=f"Bakkerij {n}",
        kvk_number=f"{12345670 + n:08d}",
        contact_name="Jan",
        contact_email=f"jan{n}@example.nl",
        processor=processor,
        status=RequestStatus.LINKED,
        verified_at=at,
        consent_at=at,
    )
    return EmployerLink.objects.create(
        processor=processor,
        loket_employer_id=E1[:-4] + f"{n:04d}",
        employer_name=f"Bakkerij {n} B.V.",
        kvk_number=request.kvk_number,
        request=request,
        status=LinkStatus.ACTIVE,
        activated_at=at,
    )


def delivered(link: EmployerLink, *, period: int = 3, version: int = 1) -> Delivery:
    now = timezone.now()
    delivery = Delivery.objects.create(
        link=link,
        processor=link.processor,
        period_type="maand",
        year=2026,
        period=period,
        period_start=dt.date(2026, period, 1),
        period_end=dt.date(2026, period, 28),
        status=DeliveryStatus.DELIVERED,
        current_version=version,
        delivered_at=now,
        attempts=1,
    )
    for number in range(1, version + 1):
        made = DeliveryVersion.objects.create(
            delivery=delivery,
            number=number,
            content_hash=f"{number:064d}",
            employee_count=2,
            employment_count=2,
            wage_count=2 + number,
        )
        EmployeeRecord.objects.create(
            version=made,
            loket_id="00000000-0000-4000-8000-00000000aa01",
            number=1,
            bsn_encrypted=BSN,  # a canary: the payload never carries it
            last_name=EMPLOYEE_NAME,
        )
    return delivery


def failed(link: EmployerLink, *, period: int = 4, will_retry: bool = False) -> Delivery:
    now = timezone.now()
    return Delivery.objects.create(
        link=link,
        processor=link.processor,
        period_type="maand",
        year=2026,
        period=period,
        period_start=dt.date(2026, period, 1),
        period_end=dt.date(2026, period, 28),
        status=DeliveryStatus.FAILED,
        failure_code="InlogOngeldig",
        failure_reason="Inloggegevens ongeldig",
        will_retry=will_retry,
        attempts=3,
        last_attempt_at=now,
    )


def message_for(subscription: WebhookSubscription, **kwargs: Any) -> WebhookMessage:
    """A message due now (what the sweep would add), without the sweep."""
    now = timezone.now()
    defaults = {
        "event_type": EventType.LINK_ENDED,
        "event_key": f"test:{WebhookMessage.objects.count() + 1}",
        "payload": {"type": "link.ended", "timestamp": now.isoformat(), "data": {"link_id": 1}},
        "next_attempt_at": now,
    }
    return WebhookMessage.objects.create(subscription=subscription, **{**defaults, **kwargs})
