"""Employer requests, the processor's registrations of employers, and the resulting links.

- :class:`EmployerRequest` (aanvraag salariskoppeling): an employer asks for the link and chooses
  its payroll processor; it names one or more loonheffingennummers (:class:`RequestTaxNumber`).
- :class:`EmployerLink` (aanmelding werkgever + koppeling): the processor registers an employer
  it sees in Loket.nl. The link waits for the employer's request, is then checked against
  Loket.nl by a worker, and becomes active or records the precise problem.

A request counts only once *verified* (issue 12): by the confirmation link mailed to the contact
address a.s.r.'s customer register holds for the policy (``customers``), or by an a.s.r. reviewer.
Until then it reserves no loonheffingennummer and expires after :data:`VERIFY_DAYS` days.

One link per processor and Loket.nl employer that has not ended (a partial unique constraint);
one *open* (verified) request per loonheffingennummer (a partial unique index). Every state change
is an :class:`EmployerEvent`, and events are append-only (the evidence per employer).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.text import validate_single_line
from onboarding.models import PayrollProcessor

VERIFY_DAYS = 7
"""An unverified request's confirmation link is valid, and the request kept, this many days."""


def _status_token() -> str:
    return secrets.token_urlsafe(32)


class RequestStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Wacht op bevestiging")
    IN_REVIEW = "in_review", _("Ter beoordeling bij a.s.r.")
    OPEN = "open", _("Bevestigd")
    LINKED = "linked", _("Gekoppeld")
    WITHDRAWN = "withdrawn", _("Ingetrokken")
    REJECTED = "rejected", _("Afgewezen door a.s.r.")
    DECLINED = "declined", _("Geweigerd door salarisverwerker")
    ENDED = "ended", _("Beëindigd")


UNVERIFIED_STATES = (RequestStatus.UNVERIFIED, RequestStatus.IN_REVIEW)
"""Not (yet) verified: reserves nothing, expires, never leads to a link."""


class VerificationMethod(models.TextChoices):
    REGISTER = "register", _("Bevestigd via het adres uit het klantregister")
    REVIEW = "review", _("Goedgekeurd door a.s.r.")
    BEFORE_REGISTER = "before_register", _("Geverifieerd vóór het klantregister bestond")


class EmployerRequest(models.Model):
    company_name = models.CharField(
        _("bedrijfsnaam"), max_length=200, validators=[validate_single_line]
    )
    kvk_number = models.CharField(_("KvK-nummer"), max_length=8, db_index=True)
    contact_name = models.CharField(
        _("contactpersoon"), max_length=120, validators=[validate_single_line]
    )
    contact_email = models.EmailField(_("e-mailadres contactpersoon"), max_length=254)
    contact_phone = models.CharField(
        _("telefoonnummer"), max_length=20, blank=True, validators=[validate_single_line]
    )
    processor = models.ForeignKey(
        PayrollProcessor,
        on_delete=models.PROTECT,
        related_name="employer_requests",
        verbose_name=_("salarisverwerker"),
    )
    policy_number = models.CharField(_("polisnummer"), max_length=20, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RequestStatus.choices,
        default=RequestStatus.UNVERIFIED,
        db_index=True,
    )
    # The employer's own page (statuspagina): an unguessable token in every employer mail.
    status_token = models.CharField(
        max_length=64, unique=True, default=_status_token, editable=False
    )
    # Verification: how, when, by whom (a reviewer), and the address that is the verified
    # contact from then on (the register's address on file, or the one a reviewer approved).
    verification_method = models.CharField(
        _("bevestigd via"), max_length=20, choices=VerificationMethod.choices, blank=True
    )
    verified_at = models.DateTimeField(_("bevestigd op"), null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("beoordeeld door"),
        editable=False,
    )
    verified_email = models.EmailField(
        _("bevestigd e-mailadres"), max_length=254, blank=True, editable=False
    )
    # The register's policy the confirmation was mailed for (a copy: the register changes).
    register_policy = models.CharField(_("polis in klantregister"), max_length=20, blank=True)
    register_email = models.EmailField(
        _("e-mailadres in klantregister"), max_length=254, blank=True, editable=False
    )
    # Unverified requests are deleted at this time (VERIFY_DAYS after the request or the mail).
    expires_at = models.DateTimeField(_("verloopt op"), null=True, blank=True, editable=False)
    # Made before the register existed (issue 12's migration): listed for a.s.r.
    before_register = models.BooleanField(_("van vóór het klantregister"), default=False)
    verification_mailed_at = models.DateTimeField(
        _("bevestigingslink verstuurd"), null=True, blank=True, editable=False
    )
    # Why it was rejected (a.s.r.), declined (the processor), withdrawn or ended.
    decision_reason = models.CharField(_("reden"), max_length=300, blank=True)
    decided_at = models.DateTimeField(_("besloten op"), null=True, blank=True, editable=False)
    # Set by the worker when the processor's web-service user cannot see this employer yet.
    problem_code = models.CharField(_("probleem"), max_length=40, blank=True)
    checked_at = models.DateTimeField(_("gecontroleerd op"), null=True, blank=True, editable=False)
    # The page's language when the employer asked: its mails are written in it.
    language = models.CharField(_("taal"), max_length=8, default="nl", editable=False)
    consent_at = models.DateTimeField(_("toestemming gegeven op"), editable=False)
    created_at = models.DateTimeField(
        _("aangevraagd op"), default=timezone.now, editable=False, db_index=True
    )
    # The outbox of what follows a request (see employers.services.outbox): the visibility
    # check still to run, and when the mails went out (empty = still to send).
    visibility_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    mails_sent_at = models.DateTimeField(
        _("bevestigingsmails verstuurd"), null=True, blank=True, editable=False
    )
    problem_mailed_at = models.DateTimeField(
        _("probleemmail verstuurd"), null=True, blank=True, editable=False
    )
    # After the sweep handed a due mail to Celery again: not again before this time.
    mail_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Withdrawn after verification: when the processor was told (empty = still to send).
    withdraw_mailed_at = models.DateTimeField(
        _("intrekking gemaild"), null=True, blank=True, editable=False
    )

    # The employer's verified contact was told that the processor declined the request (empty
    # on a declined request = still to send).
    decline_mailed_at = models.DateTimeField(
        _("weigering gemaild"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("aanvraag salariskoppeling")
        verbose_name_plural = _("aanvragen salariskoppeling")
        ordering = ("-created_at",)
        # a.s.r.'s review queue: approve or reject requests the register could not verify.
        permissions = [("review_employerrequest", _("Mag aanvragen beoordelen"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="request_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kvk_number__regex=r"^[0-9]{8}$"), name="request_kvk_8_digits"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["unverified", "in_review"])
                | Q(verified_at__isnull=False)
                | Q(status__in=["withdrawn", "rejected", "declined"]),
                name="request_open_is_verified",
            ),
        ]
        indexes = [
            models.Index(fields=["processor", "status"], name="request_processor_status"),
            models.Index(
                fields=["expires_at"],
                name="request_expiry",
                condition=Q(expires_at__isnull=False),
            ),
            models.Index(
                fields=["visibility_due_at"],
                name="request_visibility_outbox",
                condition=Q(visibility_due_at__isnull=False),
            ),
            models.Index(
                fields=["created_at"],
                name="request_mails_outbox",
                condition=Q(mails_sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.kvk_number})"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class RequestTaxNumber(models.Model):
    request = models.ForeignKey(
        EmployerRequest,
        on_delete=models.CASCADE,
        related_name="tax_numbers",
        verbose_name=_("aanvraag"),
    )
    number = models.CharField(_("loonheffingennummer"), max_length=12)
    # True only while the request is verified and open: unverified requests reserve nothing.
    is_open = models.BooleanField(_("open"), default=False)

    class Meta:
        verbose_name = _("loonheffingennummer")
        verbose_name_plural = _("loonheffingennummers")
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(is_open=True),
                name="one_open_request_per_tax_number",
                violation_error_code="open_request",
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{9}L[0-9]{2}$"), name="tax_number_format"
            ),
        ]
        indexes = [models.Index(fields=["number"], name="request_tax_number")]

    def __str__(self) -> str:
        return self.number


class LinkStatus(models.TextChoices):
    AWAITING_REQUEST = "awaiting_request", _("Wacht op aanvraag werkgever")
    PENDING = "pending", _("Wordt gekoppeld")
    ACTIVE = "active", _("Actief")
    PROBLEM = "problem", _("Probleem")
    NEEDS_ATTENTION = "needs_attention", _("Aandacht nodig")
    ENDED = "ended", _("Beëindigd")


class EmployerLink(models.Model):
    """The processor's registration of one Loket.nl employer, and the link that follows."""

    processor = models.ForeignKey(
        PayrollProcessor,
        on_delete=models.PROTECT,
        related_name="employer_links",
        verbose_name=_("salarisverwerker"),
    )
    loket_employer_id = models.CharField(_("werkgever-ID in Loket.nl"), max_length=36)
    employer_name = models.CharField(_("werkgever"), max_length=200)
    kvk_number = models.CharField(_("KvK-nummer"), max_length=8, blank=True, db_index=True)
    request = models.ForeignKey(
        EmployerRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="links",
        verbose_name=_("aanvraag"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=LinkStatus.choices,
        default=LinkStatus.AWAITING_REQUEST,
        db_index=True,
    )
    problem_code = models.CharField(_("probleem"), max_length=40, blank=True)
    problem_detail = models.CharField(_("toelichting probleem"), max_length=300, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("aangemeld door"),
    )
    registered_at = models.DateTimeField(_("aangemeld op"), default=timezone.now, editable=False)
    # Outbox for the linking task (see onboarding's check for the same pattern): due since (or,
    # after a retry's backoff, next due at) link_requested_at; a task working on the link holds
    # a lease until link_claimed_until, so a killed worker's links are taken over once it ends.
    link_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    link_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    checked_at = models.DateTimeField(_("gecontroleerd op"), null=True, blank=True, editable=False)
    activated_at = models.DateTimeField(_("actief sinds"), null=True, blank=True, editable=False)
    # When the processor was told about this link's latest outcome (its digest mail), and when
    # the employer was told its link is active (see employers.services.outbox).
    processor_notified_at = models.DateTimeField(
        _("salarisverwerker gemaild"), null=True, blank=True, editable=False
    )
    employer_notified_at = models.DateTimeField(
        _("werkgever gemaild"), null=True, blank=True, editable=False
    )
    # After the sweep handed the "link active" mail to Celery again: not again before this time.
    mail_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Ended (revoked by the employer or a.s.r.): for good. Never re-activated by a re-check or a
    # sweep; a new link needs a new registration and a new verified request.
    ended_at = models.DateTimeField(_("beëindigd op"), null=True, blank=True, editable=False)
    end_reason = models.CharField(_("reden beëindiging"), max_length=300, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("beëindigd door"),
        editable=False,
    )
    # The processor and a.s.r. were mailed about the end (empty = still to send).
    end_mailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The employer's verified contact was mailed about the link's number problem (the request's
    # loonheffingennummers differ from the employer's in Loket.nl; empty = still to send while
    # the link has such a problem, see employers.services.outbox).
    employer_problem_mailed_at = models.DateTimeField(
        _("werkgever gemaild over probleem"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("aangemelde werkgever")
        verbose_name_plural = _("aangemelde werkgevers")
        ordering = ("employer_name", "id")
        permissions = [("end_employerlink", _("Mag koppelingen beëindigen"))]
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "loket_employer_id"],
                condition=~Q(status="ended"),
                name="one_link_per_processor_employer",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_at__isnull=False),
                name="ended_link_has_date",
            ),
            models.CheckConstraint(
                condition=Q(status__in=LinkStatus.values), name="link_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=LinkStatus.ACTIVE)
                | Q(activated_at__isnull=False, request__isnull=False),
                name="active_link_has_request_and_date",
            ),
        ]
        indexes = [
            models.Index(fields=["processor", "status"], name="link_processor_status"),
            models.Index(
                fields=["link_requested_at"],
                name="link_pending_outbox",
                condition=Q(link_requested_at__isnull=False),
            ),
            models.Index(
                fields=["link_claimed_until"],
                name="link_lease_outbox",
                condition=Q(link_claimed_until__isnull=False),
            ),
            models.Index(
                fields=["checked_at"],
                name="link_mails_outbox",
                condition=Q(status="active", employer_notified_at__isnull=True)
                | Q(status__in=["active", "problem"], processor_notified_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.employer_name


class LinkTaxNumber(models.Model):
    link = models.ForeignKey(
        EmployerLink,
        on_delete=models.CASCADE,
        related_name="tax_numbers",
        verbose_name=_("aangemelde werkgever"),
    )
    number = models.CharField(_("loonheffingennummer"), max_length=12, db_index=True)

    class Meta:
        verbose_name = _("loonheffingennummer")
        verbose_name_plural = _("loonheffingennummers")
        constraints = [
            models.UniqueConstraint(fields=["link", "number"], name="link_tax_number_once")
        ]

    def __str__(self) -> str:
        return self.number


class AppendOnlyQuerySet(models.QuerySet):
    """History rows are written once: no bulk update through the ORM (PostgreSQL refuses any
    UPDATE with a trigger as well, see migration 0006)."""

    def update(self, **kwargs: object) -> int:
        raise TypeError("EmployerEvent rows are append-only")


class EmployerEvent(models.Model):
    """Every state change of a request or a link, and every Loket.nl check of a link: what, who
    or which task, when, and why. Append-only: the evidence per employer is read from these."""

    request = models.ForeignKey(
        EmployerRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("aanvraag"),
    )
    link = models.ForeignKey(
        EmployerLink,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("aangemelde werkgever"),
    )
    # A request's or a link's status (RequestStatus or LinkStatus): no choices, see __str__.
    from_status = models.CharField(_("vorige status"), max_length=20, blank=True)
    to_status = models.CharField(_("nieuwe status"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("gebruiker"),
    )
    actor_label = models.CharField(_("door"), max_length=100)
    note = models.CharField(_("toelichting"), max_length=300, blank=True)
    at = models.DateTimeField(_("tijdstip"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("gebeurtenis")
        verbose_name_plural = _("gebeurtenissen")
        ordering = ("at", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(request__isnull=False) | Q(link__isnull=False),
                name="event_has_subject",
            )
        ]

    def __str__(self) -> str:
        """The change in words, in the active language, with the labels of the link's or the
        request's statuses: "Wacht op aanvraag werkgever → Wordt gekoppeld"."""
        labels = dict(LinkStatus.choices if self.link_id else RequestStatus.choices)
        if self.from_status:
            before = labels.get(self.from_status, self.from_status)
        else:
            before = _("Aangemeld") if self.link_id else _("Aangevraagd")
        return f"{before} → {labels.get(self.to_status, self.to_status)}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise TypeError("EmployerEvent rows are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
