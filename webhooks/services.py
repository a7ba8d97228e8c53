"""What staff do with webhooks: subscribe a receiver, give it a new secret, send a message again.

The secret is a Standard Webhooks ``whsec_`` secret (base64 of 32 random bytes), stored
encrypted; these services return it in plain text exactly once, for the admin to show.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from common.dispatch import enqueue_on_commit
from common.outbox import REARM
from onboarding.crypto import encrypt_secret
from webhooks import task_names
from webhooks.models import (
    AttemptError,
    EventType,
    MessageStatus,
    WebhookMessage,
    WebhookSubscription,
)
from webhooks.targets import TargetRefused, resolve

SECRET_BYTES = 32
PREVIOUS_SECRET_HOURS = 24
"""After "Nieuw geheim" the old secret signs too (a second signature) for this many hours."""


def secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


_URL_ERRORS = {
    AttemptError.INSECURE_URL: _("Gebruik een https-adres zonder gebruikersnaam of wachtwoord."),
    AttemptError.DNS: _("De hostnaam van dit adres is niet te vinden."),
    AttemptError.REFUSED_ADDRESS: _(
        "Dit adres wijst naar een privé-, lokaal of intern netwerkadres (%(detail)s); "
        "webhooks gaan alleen naar openbare adressen."
    ),
}


def url_validate(url: str) -> None:
    """The URL a subscription may have: https, a host that resolves to public addresses only
    (unless ``WEBHOOKS_ALLOW_PRIVATE_TARGETS``). Raises a ``ValidationError`` in Dutch."""
    try:
        resolve(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
    except TargetRefused as refused:
        raise ValidationError(
            _URL_ERRORS[refused.code], code=refused.code, params={"detail": refused.detail}
        ) from None


def events_validate(events: list[str]) -> None:
    if not events or any(event not in EventType.values for event in events):
        raise ValidationError(_("Kies een of meer gebeurtenissen."), code="events")


@sensitive_variables("secret")
def subscription_create(
    *,
    description: str,
    url: str,
    events: list[str],
    active: bool = True,
    url_checked: bool = False,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret in plain text (shown once; stored encrypted).

    ``url_checked``: the caller ran :func:`url_validate` on ``url`` just now (the admin's form
    does): it is not resolved a second time, whose answer could differ from the first and fail
    after the form was accepted. Every POST checks the address again anyway."""
    if not url_checked:
        url_validate(url)
    events_validate(events)
    secret = secret_generate()
    subscription = WebhookSubscription(
        description=description,
        url=url,
        events=list(events),
        active=active,
        secret_encrypted=encrypt_secret(secret),
    )
    subscription.full_clean()
    subscription.save()
    return subscription, secret


def subscription_update(
    *,
    subscription: WebhookSubscription,
    description: str,
    url: str,
    events: list[str],
    active: bool,
    url_checked: bool = False,
) -> WebhookSubscription:
    """``url_checked`` as for :func:`subscription_create`."""
    if not url_checked:
        url_validate(url)
    events_validate(events)
    subscription.description = description
    subscription.url = url
    subscription.events = list(events)
    subscription.active = active
    subscription.full_clean()
    subscription.save(update_fields=["description", "url", "events", "active"])
    return subscription


@sensitive_variables("secret")
def subscription_rotate_secret(*, subscription_id: int, now: dt.datetime | None = None) -> str:
    """Give the subscription a new secret (returned in plain text, once). The old one still
    signs, as a second signature, for :data:`PREVIOUS_SECRET_HOURS`."""
    now = now or timezone.now()
    secret = secret_generate()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
        subscription.previous_secret_encrypted = subscription.secret_encrypted
        subscription.previous_secret_until = now + dt.timedelta(hours=PREVIOUS_SECRET_HOURS)
        subscription.secret_encrypted = encrypt_secret(secret)
        subscription.secret_rotated_at = now
        subscription.save(
            update_fields=[
                "previous_secret_encrypted",
                "previous_secret_until",
                "secret_encrypted",
                "secret_rotated_at",
            ]
        )
    return secret


@dataclass(frozen=True)
class Resent:
    """What "Opnieuw versturen" did: ``sent`` messages made due; ``inactive`` left alone, their
    subscription switched off (nothing is sent for it, so none is promised)."""

    sent: int
    inactive: int


def messages_resend(*, message_ids: list[int], now: dt.datetime | None = None) -> Resent:
    """Make the messages of active subscriptions due now, with a new retry window ("Opnieuw
    versturen"), whatever their status; each is sent once the transaction commits. A message of
    a switched-off subscription is skipped (counted in :attr:`Resent.inactive`): it would wait
    unsent until the subscription is switched on again."""
    now = now or timezone.now()
    found = WebhookMessage.objects.filter(pk__in=message_ids)
    ids = list(found.filter(subscription__active=True).values_list("pk", flat=True))
    inactive = found.filter(subscription__active=False).count()
    WebhookMessage.objects.filter(pk__in=ids).update(
        status=MessageStatus.PENDING,
        next_attempt_at=now,
        first_attempt_at=None,
        attempts=0,
        delivered_at=None,
        # The task enqueued below sends it; the sweep only if that copy is lost.
        handed_out_until=now + REARM,
    )
    for pk in ids:
        enqueue_on_commit(task_names.SEND_MESSAGE, pk)
    return Resent(sent=len(ids), inactive=inactive)
