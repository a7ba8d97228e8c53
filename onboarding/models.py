"""Payroll-processor registrations and their history.

A :class:`PayrollProcessor` is a salarisverwerker's registration from the public form onwards:
submitted, its Loket.nl credentials checked, confirmed or rejected by a.s.r., activated by the
processor, and later perhaps flagged when a re-check fails. Every state change is a
:class:`StatusChange`; every credential check is a :class:`CheckAttempt`.

Services (``onboarding.services``) make every change; the constraints here back their rules up.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common import text as common_text

OMGEVINGSCODE_VALIDATOR = RegexValidator(
    r"\A[A-Za-z0-9_-]+\Z",
    _("Een omgevingscode bestaat alleen uit letters, cijfers, '-' en '_'."),
    code="omgevingscode",
)


# Kept under this name: the migrations refer to it here. The rule is common.text's.
validate_single_line = common_text.validate_single_line


DUPLICATE_ACCOUNT_MESSAGE = _(
    "Deze gebruikersnaam is voor deze omgevingscode al aangemeld. Gebruik de link uit de "
    "ontvangstmail om de status te bekijken of uw gegevens te corrigeren, of log in als uw "
    "aanmelding al is bevestigd."
)
DUPLICATE_EMAIL_MESSAGE = _(
    "Met dit e-mailadres is al een salarisverwerker aangemeld. Log in met dit e-mailadres, of "
    "gebruik een ander e-mailadres."
)


def _status_token() -> str:
    return secrets.token_urlsafe(32)


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Ingediend")
    CHECKING = "checking", _("Wordt gecontroleerd")
    CHECK_PASSED = "check_passed", _("Controle geslaagd")
    CHECK_FAILED = "check_failed", _("Controle niet geslaagd")
    CONFIRMED = "confirmed", _("Bevestigd door a.s.r.")
    REJECTED = "rejected", _("Afgewezen")
    ACTIVE = "active", _("Actief")
    NEEDS_ATTENTION = "needs_attention", _("Aandacht nodig")


# States in which the credentials may be (re)checked. A rejected registration stays as it is.
CHECKABLE = (
    Status.SUBMITTED,
    Status.CHECKING,
    Status.CHECK_PASSED,
    Status.CHECK_FAILED,
    Status.CONFIRMED,
    Status.ACTIVE,
    Status.NEEDS_ATTENTION,
)
# States after a.s.r.'s confirmation: a check there never undoes the confirmation.
CONFIRMED_STATES = (Status.CONFIRMED, Status.ACTIVE, Status.NEEDS_ATTENTION)


class PayrollProcessor(models.Model):
    status_token = models.CharField(
        max_length=64, unique=True, default=_status_token, editable=False
    )
    company_name = models.CharField(
        _("bedrijfsnaam"), max_length=120, validators=[validate_single_line]
    )
    email = models.EmailField(_("e-mailadres"), max_length=254)
    omgevingscode = models.CharField(
        _("omgevingscode"), max_length=50, validators=[OMGEVINGSCODE_VALIDATOR]
    )
    loket_username = models.CharField(
        _("gebruikersnaam"), max_length=100, validators=[validate_single_line]
    )
    loket_password_encrypted = models.TextField(editable=False)
    language = models.CharField(_("taal"), max_length=8, default="nl", editable=False)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    # Outbox: set when a check is wanted; cleared by the check that ran for it. A sweep re-enqueues
    # stale requests, so a broker that was down at submit time loses nothing.
    check_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    check_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    check_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The outbox of the registration's mails (onboarding.services.outbox): each is due since the
    # time in its column, and the column is emptied in the transaction that sends the mail.
    received_mail_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    asr_notice_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The mail of the current status (confirmation, rejection, needs attention), also when staff
    # send it again.
    status_mail_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # "Wachtwoord vergeten?" (the link is made when the mail is sent, never stored) and "someone
    # tried to register with your details" (issue 13): due since the time they hold.
    password_reset_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    duplicate_notice_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # After the sweep handed a due mail to Celery again: not again before this time.
    mail_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    checked_at = models.DateTimeField(_("laatste controle"), null=True, blank=True, editable=False)
    check_findings = models.JSONField(default=list, blank=True, editable=False)
    check_employer_count = models.PositiveIntegerField(
        _("aantal werkgevers"), null=True, blank=True, editable=False
    )

    rejection_reason = models.TextField(_("reden van afwijzing"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portalgebruiker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payroll_processor",
        editable=False,
    )
    consent_at = models.DateTimeField(_("toestemming gegeven op"), editable=False)
    confirmed_at = models.DateTimeField(_("bevestigd op"), null=True, blank=True, editable=False)
    activated_at = models.DateTimeField(_("geactiveerd op"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(
        _("aangemeld op"), default=timezone.now, editable=False, db_index=True
    )
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    # A new omgevingscode or gebruikersnaam of a confirmed processor waits here (the password
    # encrypted like the current one) until a.s.r. confirms it; meanwhile the current credentials
    # stay in use for everything (onboarding.services.credential_change).
    pending_omgevingscode = models.CharField(
        _("nieuwe omgevingscode (wacht)"), max_length=50, blank=True, editable=False
    )
    pending_loket_username = models.CharField(
        _("nieuwe gebruikersnaam (wacht)"), max_length=100, blank=True, editable=False
    )
    pending_loket_password_encrypted = models.TextField(blank=True, editable=False)
    pending_requested_at = models.DateTimeField(
        _("wijziging aangevraagd op"), null=True, blank=True, editable=False
    )
    pending_check_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    pending_check_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    pending_check_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    pending_checked_at = models.DateTimeField(
        _("nieuwe gegevens gecontroleerd op"), null=True, blank=True, editable=False
    )
    pending_check_outcome = models.CharField(
        _("controle nieuwe gegevens"), max_length=20, blank=True, editable=False
    )
    pending_check_findings = models.JSONField(default=list, blank=True, editable=False)
    # The mails of a change (outbox columns, as above): the processor's "waits for a.s.r.",
    # a.s.r.'s notice once the new credentials passed, the processor's mail of a.s.r.'s decision,
    # and the mail about an e-mail address changed by a.s.r. (to the old and the new address).
    pending_mail_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    pending_asr_notice_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    pending_decision_mail_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    pending_decision = models.CharField(max_length=20, blank=True, editable=False)
    pending_decision_reason = models.TextField(blank=True, editable=False)
    email_change_mail_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    previous_email = models.EmailField(max_length=254, blank=True, editable=False)

    class Meta:
        verbose_name = _("salarisverwerker")
        verbose_name_plural = _("salarisverwerkers")
        ordering = ("-created_at",)
        permissions = [("confirm_payrollprocessor", _("Mag aanmeldingen bevestigen"))]
        constraints = [
            models.UniqueConstraint(
                Lower("omgevingscode"),
                Lower("loket_username"),
                name="processor_unique_loket_user",
                violation_error_code="duplicate",
                violation_error_message=DUPLICATE_ACCOUNT_MESSAGE,
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="processor_unique_email",
                violation_error_code="duplicate_email",
                violation_error_message=DUPLICATE_EMAIL_MESSAGE,
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="processor_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=Status.REJECTED) | ~models.Q(rejection_reason=""),
                name="processor_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=CONFIRMED_STATES)
                | models.Q(confirmed_at__isnull=False),
                name="processor_confirmed_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(omgevingscode=""), name="processor_omgevingscode_not_empty"
            ),
        ]
        indexes = [models.Index(fields=["status", "company_name"], name="processor_directory")]

    def __str__(self) -> str:
        return self.company_name

    @property
    def is_confirmed(self) -> bool:
        return self.status in CONFIRMED_STATES

    @property
    def has_pending_credentials(self) -> bool:
        """A new omgevingscode or gebruikersnaam waits for a.s.r.'s confirmation."""
        return self.pending_requested_at is not None


class StatusChange(models.Model):
    """One state change: what, who (a user) or which task, when, and the check's findings."""

    processor = models.ForeignKey(
        PayrollProcessor,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("salarisverwerker"),
    )
    from_status = models.CharField(
        _("vorige status"), max_length=20, blank=True, choices=Status.choices
    )
    to_status = models.CharField(_("nieuwe status"), max_length=20, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("gebruiker"),
    )
    actor_label = models.CharField(_("door"), max_length=100)
    note = models.TextField(_("toelichting"), blank=True)
    findings = models.JSONField(_("bevindingen"), default=list, blank=True)
    at = models.DateTimeField(_("tijdstip"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("statuswijziging")
        verbose_name_plural = _("statuswijzigingen")
        ordering = ("at", "id")

    def __str__(self) -> str:
        """The change in words, in the active language: "Ingediend → Controle niet geslaagd";
        the first change of a registration starts at "Aangemeld"."""
        before = self.get_from_status_display() if self.from_status else _("Aangemeld")
        return f"{before} → {self.get_to_status_display()}"


class CheckOutcome(models.TextChoices):
    PASSED = "passed", _("Geslaagd")
    FAILED = "failed", _("Niet geslaagd")
    TEMPORARY = "temporary", _("Tijdelijk niet bereikbaar")


class CheckAttempt(models.Model):
    """Each call of the credential check, with what Loket.nl answered."""

    processor = models.ForeignKey(
        PayrollProcessor,
        on_delete=models.CASCADE,
        related_name="check_attempts",
        verbose_name=_("salarisverwerker"),
    )
    trigger = models.CharField(_("aanleiding"), max_length=100)
    started_at = models.DateTimeField(_("gestart"), default=timezone.now)
    finished_at = models.DateTimeField(_("klaar"), null=True, blank=True)
    outcome = models.CharField(
        _("uitkomst"), max_length=20, choices=CheckOutcome.choices, blank=True
    )
    findings = models.JSONField(_("bevindingen"), default=list, blank=True)
    employer_count = models.PositiveIntegerField(_("aantal werkgevers"), null=True, blank=True)

    class Meta:
        verbose_name = _("controlepoging")
        verbose_name_plural = _("controlepogingen")
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"{self.processor_id} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"
