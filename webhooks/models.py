"""Webhooks: a.s.r.'s systems subscribe to events of the portal and get them signed, by POST.

- :class:`WebhookSubscription`: a receiver's URL, its secret (Standard Webhooks ``whsec_...``,
  encrypted at rest with the key set of the Loket.nl passwords, so ``manage.py
  rotate_credentials`` covers it) and the event types it wants.
- :class:`WebhookMessage`: the outbox. One row per (subscription, event); the unique
  ``event_key`` makes collecting an event twice impossible. ``msg_id`` is the ``webhook-id``
  header, the same on every retry, so a receiver can drop duplicates.
- :class:`WebhookAttempt`: every POST made, its answer or its error (append-only evidence).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    LINK_ACTIVATED = "link.activated", _("Koppeling actief (link.activated)")
    LINK_ENDED = "link.ended", _("Koppeling beëindigd (link.ended)")
    DELIVERY_COMPLETED = "delivery.completed", _("Levering compleet (delivery.completed)")
    DELIVERY_FAILED = "delivery.failed", _("Levering mislukt (delivery.failed)")


def _events_default() -> list[str]:
    return list(EventType.values)


class WebhookSubscription(models.Model):
    description = models.CharField(_("omschrijving"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    # Standard Webhooks secret ("whsec_" + base64 of 32 random bytes), Fernet-encrypted; shown to
    # staff once, when it is made. The previous one keeps signing (a second signature) for a
    # while after "Nieuw geheim", so the receiver can switch without losing messages.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    # A list of EventType values (a JSON list: the same on PostgreSQL and SQLite).
    events = models.JSONField(_("gebeurtenissen"), default=_events_default)
    active = models.BooleanField(_("actief"), default=True)
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now, editable=False)
    secret_rotated_at = models.DateTimeField(
        _("geheim vernieuwd op"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("webhookabonnement")
        verbose_name_plural = _("webhookabonnementen")
        ordering = ("description", "id")

    def __str__(self) -> str:
        return self.description


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Wordt verstuurd")
    DELIVERED = "delivered", _("Afgeleverd")
    FAILED = "failed", _("Opgegeven")


def _msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookMessage(models.Model):
    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("abonnement"),
    )
    event_type = models.CharField(_("gebeurtenis"), max_length=40, choices=EventType.choices)
    # What happened to what, e.g. "delivery.completed:12:v2": one message per subscription.
    event_key = models.CharField(_("sleutel"), max_length=100, editable=False)
    payload = models.JSONField(_("inhoud"), editable=False)
    # The webhook-id header: the same on every attempt.
    msg_id = models.CharField(
        _("bericht-ID"), max_length=40, unique=True, default=_msg_id, editable=False
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MessageStatus.choices,
        default=MessageStatus.PENDING,
        db_index=True,
    )
    # Attempts since the first of the current retry window (reset by "Opnieuw versturen").
    attempts = models.PositiveIntegerField(_("pogingen"), default=0, editable=False)
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now, editable=False)
    # The retry window runs WEBHOOK_RETRY_HOURS from here.
    first_attempt_at = models.DateTimeField(
        _("eerste poging"), null=True, blank=True, editable=False
    )
    # Outbox: due since this time while pending; empty once delivered or given up.
    next_attempt_at = models.DateTimeField(
        _("volgende poging"), null=True, blank=True, editable=False
    )
    # The lease of the worker sending it (a killed worker's message is taken over once it ends).
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    # After the sweep handed it to Celery: not again before this time (a lost task, a long queue).
    handed_out_until = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("afgeleverd op"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhookbericht")
        verbose_name_plural = _("webhookberichten")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_key"], name="one_message_per_subscription_event"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="webhook_message_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_message_outbox",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id}"


class AttemptError(models.TextChoices):
    """Why an attempt failed; the detail (``WebhookAttempt.error``) is technical and short."""

    REFUSED_ADDRESS = "refused_address", _("Adres niet toegestaan (privé of intern netwerk)")
    INSECURE_URL = "insecure_url", _("Geen https-adres")
    DNS = "dns", _("Hostnaam niet gevonden")
    TIMEOUT = "timeout", _("Geen antwoord binnen de tijd")
    CONNECTION = "connection", _("Verbinding mislukt")
    REDIRECT = "redirect", _("Doorverwijzing (niet gevolgd)")
    HTTP_STATUS = "http_status", _("Foutstatus van de ontvanger")


class WebhookAttempt(models.Model):
    message = models.ForeignKey(
        WebhookMessage, on_delete=models.CASCADE, related_name="attempts_log"
    )
    at = models.DateTimeField(_("tijdstip"), default=timezone.now, db_index=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP-status"), null=True, blank=True)
    error_code = models.CharField(
        _("fout"), max_length=20, choices=AttemptError.choices, blank=True
    )
    # Short and technical ("HTTP 500", "ReadTimeout", "127.0.0.1"): never the secret or the body.
    error = models.CharField(_("toelichting"), max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(_("duur (ms)"), default=0)

    class Meta:
        verbose_name = _("poging")
        verbose_name_plural = _("pogingen")
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error_code}"
