"""Sending webhook messages from the outbox: one attempt per task, retries by the sweep.

A message is due while pending and ``next_attempt_at`` has passed. The task claims it with a
compare-and-set lease (``claimed_until``), so two copies never post at once and a killed worker's
message is taken over when its lease ends (the receiver may then see the same ``webhook-id``
twice: that is what the id is for). An attempt is cut off at its deadline (twice
``WEBHOOK_TIMEOUT_SECONDS``, however slowly the receiver answers), well within the lease, so a
live worker's message is never taken over. Every attempt is recorded. A 2xx answer delivers;
anything else (an error status, a redirect, which is never followed, a timeout, a refused
address) is tried again after 1, 2, 4, ... minutes (at most ``WEBHOOK_RETRY_MAX_DELAY_SECONDS``
apart) until ``WEBHOOK_RETRY_HOURS`` after the first attempt, when the message is given up.

The body is signed as Standard Webhooks says (``standardwebhooks.Webhook.sign``: HMAC-SHA256
over ``msg_id.timestamp.body``). Neither the secret nor the answer's body is ever logged or
stored; an attempt keeps the status code and a short technical reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from standardwebhooks.webhooks import Webhook

from common.dispatch import enqueue
from common.outbox import REARM
from onboarding.crypto import decrypt_secret
from webhooks import task_names
from webhooks.models import (
    AttemptError,
    MessageStatus,
    WebhookAttempt,
    WebhookMessage,
    WebhookSubscription,
)
from webhooks.targets import PinnedAdapter, TargetRefused, resolve

logger = logging.getLogger(__name__)

HAND_OUT_BATCH = 500
"""At most this many due messages handed to Celery per sweep (the next sweep takes the rest)."""

USER_AGENT = "asr-salariskoppeling-webhooks/1"


def backoff_seconds(attempts: int) -> int:
    """The wait after the ``attempts``-th failed attempt: 60, 120, 240, ... s, capped."""
    return int(min(60 * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS))


def attempt_deadline_seconds() -> float:
    """The longest one POST may take, however its receiver dawdles: a connect timeout and then
    one more for the whole answer (its status line and headers; the body is never read)."""
    return 2 * settings.WEBHOOK_TIMEOUT_SECONDS


def lease() -> dt.timedelta:
    """How long a claimed message is the claimer's: the attempt's deadline, and one more timeout
    and 30 s for resolving the host and recording the outcome. Comfortably longer than the
    attempt can take, so no second worker sends the message while this one still waits."""
    return dt.timedelta(seconds=attempt_deadline_seconds() + settings.WEBHOOK_TIMEOUT_SECONDS + 30)


class _Deadline:
    """Ends an attempt at its deadline whatever the receiver does. ``timeout=(t, t)`` bounds each
    read, not their sum: a receiver dripping its answer a byte at a time would hold the attempt
    past its lease. At the deadline a timer shuts the attempt's sockets down (the blocked read
    returns at once; the sender then sees an error or a cut-off answer, never a late one) and
    :attr:`expired` says so."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        """Called with each socket the attempt opens. A duplicate descriptor is kept: TLS takes
        the original socket object over (and detaches it), while a shutdown through the
        duplicate still ends the one connection both name."""
        duplicate = sock.dup()
        with self._lock:
            self._watched.append(duplicate)
            if self.expired:
                _shut_down(duplicate)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._watched:
                _shut_down(sock)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already
        sock.shutdown(socket.SHUT_RDWR)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error_code: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def delivered(self) -> bool:
        return not self.error_code


@sensitive_variables("found")
def signing_secrets(subscription: WebhookSubscription, *, now: dt.datetime) -> list[str]:
    """The current secret, and the previous one while it is still honoured after a rotation."""
    found = [decrypt_secret(subscription.secret_encrypted)]
    if (
        subscription.previous_secret_encrypted
        and subscription.previous_secret_until
        and subscription.previous_secret_until > now
    ):
        found.append(decrypt_secret(subscription.previous_secret_encrypted))
    return found


@sensitive_variables("secrets", "secret")
def signature(secrets: list[str], *, msg_id: str, timestamp: dt.datetime, body: str) -> str:
    """The ``webhook-signature`` header: ``v1,<base64>`` per secret, space-separated."""
    return " ".join(
        Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body) for secret in secrets
    )


def body_of(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def post(message: WebhookMessage, subscription: WebhookSubscription) -> Outcome:
    """One POST of ``message`` to the subscription's URL (resolved and checked now)."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = resolve(subscription.url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
    except TargetRefused as refused:
        return Outcome(error_code=refused.code, error=refused.detail, duration_ms=took())
    now = timezone.now()
    body = body_of(message.payload)
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(
            signing_secrets(subscription, now=now),
            msg_id=message.msg_id,
            timestamp=now,
            body=body,
        ),
    }
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    deadline = _Deadline(attempt_deadline_seconds())
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would bypass the address check
    adapter = PinnedAdapter(target, watch=deadline.watch)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    code: int | None = None
    try:
        with (
            deadline,
            session,
            session.post(
                subscription.url,
                data=body.encode("utf-8"),
                headers=headers,
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=True,  # the answer's body is never read
            ) as response,
        ):
            # An answer cut off by the deadline may still parse ("HTTP/1.1 200" and no more).
            if not deadline.expired:
                code = response.status_code
    except TargetRefused as refused:
        return Outcome(error_code=refused.code, error=refused.detail, duration_ms=took())
    except requests.Timeout as error:
        return Outcome(
            error_code=AttemptError.TIMEOUT, error=type(error).__name__, duration_ms=took()
        )
    except requests.RequestException as error:
        if not deadline.expired:
            return Outcome(
                error_code=AttemptError.CONNECTION, error=type(error).__name__, duration_ms=took()
            )
    if code is None:
        return Outcome(
            error_code=AttemptError.TIMEOUT,
            error=f"no answer within {deadline.seconds:g} s",
            duration_ms=took(),
        )
    if 200 <= code < 300:
        return Outcome(status_code=code, duration_ms=took())
    reason = AttemptError.REDIRECT if 300 <= code < 400 else AttemptError.HTTP_STATUS
    return Outcome(status_code=code, error_code=reason, error=f"HTTP {code}", duration_ms=took())


def _due(now: dt.datetime) -> Q:
    return Q(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        status=MessageStatus.PENDING,
        next_attempt_at__lte=now,
        subscription__active=True,
    )


def message_send(*, message_id: int) -> str:
    """Claim ``message_id`` if it is due and make one attempt; its status afterwards, or
    ``"skipped"`` when it was not due (sent already, another worker has it, not yet time)."""
    now = timezone.now()
    until = now + lease()
    claimed = WebhookMessage.objects.filter(_due(now), pk=message_id).update(
        claimed_until=until,
        handed_out_until=None,
        first_attempt_at=Coalesce(F("first_attempt_at"), Value(now)),
    )
    if not claimed:
        return "skipped"
    message = WebhookMessage.objects.select_related("subscription").get(pk=message_id)
    outcome = post(message, message.subscription)
    finished = timezone.now()
    attempts = message.attempts + 1
    changes: dict[str, object]
    if outcome.delivered:
        changes = {
            "status": MessageStatus.DELIVERED,
            "delivered_at": finished,
            "next_attempt_at": None,
        }
    else:
        deadline = message.first_attempt_at + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        if finished >= deadline:
            changes = {"status": MessageStatus.FAILED, "next_attempt_at": None}
        else:
            retry_at = finished + dt.timedelta(seconds=backoff_seconds(attempts))
            changes = {"next_attempt_at": min(retry_at, deadline)}
    with transaction.atomic():
        WebhookAttempt.objects.create(
            message=message,
            at=now,
            status_code=outcome.status_code,
            error_code=outcome.error_code,
            error=outcome.error[:200],
            duration_ms=outcome.duration_ms,
        )
        WebhookMessage.objects.filter(pk=message.pk, claimed_until=until).update(
            attempts=F("attempts") + 1, claimed_until=None, **changes
        )
    status = str(changes.get("status", MessageStatus.PENDING))
    logger.info(
        "webhook %s attempt %d: %s %s -> %s",
        message.msg_id,
        attempts,
        outcome.status_code or "-",
        outcome.error_code or "ok",
        status,
    )
    return status


def due_messages_hand_out(*, now: dt.datetime | None = None) -> int:
    """Hand due messages to Celery (one task each), then leave them alone for
    :data:`~common.outbox.REARM` unless a task attempts them. A broker failure re-arms every
    message of this run at once and raises (the beat run fails visibly; the next one retries)."""
    now = now or timezone.now()
    ids = list(
        WebhookMessage.objects.filter(_due(now))
        .filter(Q(handed_out_until__isnull=True) | Q(handed_out_until__lte=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:HAND_OUT_BATCH]
    )
    if not ids:
        return 0
    WebhookMessage.objects.filter(pk__in=ids).update(handed_out_until=now + REARM)
    try:
        for pk in ids:
            enqueue(task_names.SEND_MESSAGE, pk)
    except Exception:
        WebhookMessage.objects.filter(pk__in=ids).update(handed_out_until=None)
        raise
    return len(ids)
