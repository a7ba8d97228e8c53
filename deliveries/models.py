"""Deliveries: the payroll data of one active link for one payroll period, as Loket.nl gave it.

A :class:`Delivery` is the unit of work and of idempotency: one per (link, period type, year,
period). Each retrieval that finds an answer different from the last one stored makes a new
:class:`DeliveryVersion` (a correction); earlier versions stay. The records hang off a version,
keyed by Loket.nl's ids, so storing the same answer twice is impossible (unique per version) and
a retry after a crash replaces nothing that was delivered.

Only what a.s.r. uses is stored: who the employee is (BSN, name, date of birth), the employment
(dates, hours, contract), the pay of the period and, once a year, the leave balance. The BSN is
encrypted at rest with the key set of the Loket.nl passwords (``CREDENTIALS_KEYS``; covered by
``manage.py rotate_credentials``); ``bsn_hash`` is a keyed hash (HMAC-SHA256 with
``BSN_HASH_KEY``) for look-ups and never reveals the number.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliveries import periods
from employers.models import EmployerLink
from onboarding.models import PayrollProcessor


class PeriodType(models.TextChoices):
    MONTH = periods.MONTH, _("Maand")
    FOUR_WEEKS = periods.FOUR_WEEKS, _("Vier weken")
    WEEK = periods.WEEK, _("Week")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Wacht")
    RETRIEVING = "retrieving", _("Wordt opgehaald")
    DELIVERED = "delivered", _("Geleverd")
    FAILED = "failed", _("Mislukt")
    STOPPED = "stopped", _("Gestopt")


class DeliveryFeed(models.Model):
    """Per link: how its employer is paid (discovered from the first answer) and from which
    period on it is delivered."""

    link = models.OneToOneField(
        EmployerLink, on_delete=models.PROTECT, related_name="feed", verbose_name=_("koppeling")
    )
    period_type = models.CharField(
        _("verloningsperiode"),
        max_length=10,
        choices=PeriodType.choices,
        default=PeriodType.MONTH,
    )
    # The first period delivered: the last one closed when the link became active.
    first_year = models.PositiveSmallIntegerField(_("eerste jaar"))
    first_period = models.PositiveSmallIntegerField(_("eerste periode"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("leveringsschema")
        verbose_name_plural = _("leveringsschema's")

    def __str__(self) -> str:
        return f"{self.link} ({self.get_period_type_display()})"

    @property
    def first(self) -> periods.Period:
        return periods.Period(self.first_year, self.first_period, self.period_type)


class Delivery(models.Model):
    """One link's data for one payroll period."""

    link = models.ForeignKey(
        EmployerLink,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("koppeling"),
    )
    # Denormalised from the link: the overview per processor and "run this period again for one
    # processor" filter on it without a join.
    processor = models.ForeignKey(
        PayrollProcessor,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("salarisverwerker"),
    )
    period_type = models.CharField(
        _("verloningsperiode"), max_length=10, choices=PeriodType.choices
    )
    year = models.PositiveSmallIntegerField(_("jaar"))
    period = models.PositiveSmallIntegerField(_("periode"))
    period_start = models.DateField(_("begin periode"))
    period_end = models.DateField(_("einde periode"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        db_index=True,
    )
    # Outbox: due since this time (a sweep hands due deliveries to Celery again); empty once the
    # delivery is done or stopped.
    due_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    # The lease of the worker retrieving it: another worker (or the sweep) takes over only after
    # it ran out, so a worker killed mid-delivery delays the delivery, never doubles it.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(_("pogingen"), default=0, editable=False)
    failure_code = models.CharField(_("foutcode"), max_length=40, blank=True, editable=False)
    failure_reason = models.CharField(_("reden"), max_length=300, blank=True, editable=False)
    will_retry = models.BooleanField(_("wordt opnieuw geprobeerd"), default=False, editable=False)
    # Also read again when a correction is looked for (the period after it is delivered).
    current_version = models.PositiveIntegerField(_("versie"), default=0, editable=False)
    delivered_at = models.DateTimeField(_("geleverd op"), null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(
        _("laatste poging"), null=True, blank=True, editable=False
    )
    # Set when the retention beat deleted the records (the delivery and its versions' counts stay).
    data_deleted_at = models.DateTimeField(
        _("gegevens verwijderd op"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now, editable=False)
    # For the API's "changed since": every state change and every new version touches it.
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("levering")
        verbose_name_plural = _("leveringen")
        constraints = [
            models.UniqueConstraint(
                fields=["link", "period_type", "year", "period"],
                name="one_delivery_per_link_and_period",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "period_type", "period", "processor"]),
            models.Index(fields=["link", "-period_end"]),
        ]
        permissions = [("rerun_delivery", _("Mag leveringen opnieuw laten ophalen"))]

    def __str__(self) -> str:
        return f"{self.link.employer_name} {self.period_obj.label()}"

    @property
    def period_obj(self) -> periods.Period:
        return periods.Period(self.year, self.period, self.period_type)


class DeliveryVersion(models.Model):
    """One answer of Loket.nl for a delivery's period; a later different answer is a correction."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="versions", verbose_name=_("levering")
    )
    number = models.PositiveIntegerField(_("versie"))
    retrieved_at = models.DateTimeField(_("opgehaald op"), default=timezone.now)
    # SHA-256 of the answer in a canonical form: an answer equal to the last version's adds
    # nothing (idempotent); a different one is the next version.
    content_hash = models.CharField(max_length=64, editable=False)
    employee_count = models.PositiveIntegerField(_("werknemers"), default=0)
    employment_count = models.PositiveIntegerField(_("dienstverbanden"), default=0)
    wage_count = models.PositiveIntegerField(_("loonregels"), default=0)
    leave_count = models.PositiveIntegerField(_("verlofregels"), default=0)

    class Meta:
        verbose_name = _("leveringsversie")
        verbose_name_plural = _("leveringsversies")
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="one_version_number_per_delivery"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery} v{self.number}"


class EmployeeRecord(models.Model):
    """A werknemer as Loket.nl gave it in one version (no gender: a.s.r. does not use it)."""

    version = models.ForeignKey(DeliveryVersion, on_delete=models.CASCADE, related_name="employees")
    loket_id = models.UUIDField(_("werknemer-ID in Loket.nl"))
    number = models.PositiveIntegerField(_("werknemernummer"))
    bsn_encrypted = models.TextField(blank=True, editable=False)
    bsn_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    initials = models.CharField(_("voorletters"), max_length=20, blank=True)
    prefix = models.CharField(_("voorvoegsel"), max_length=20, blank=True)
    last_name = models.CharField(_("achternaam"), max_length=200)
    birth_date = models.DateField(_("geboortedatum"), null=True, blank=True)

    class Meta:
        verbose_name = _("werknemer")
        verbose_name_plural = _("werknemers")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "loket_id"], name="one_employee_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.last_name}"


class EmploymentRecord(models.Model):
    version = models.ForeignKey(
        DeliveryVersion, on_delete=models.CASCADE, related_name="employments"
    )
    loket_id = models.UUIDField(_("dienstverband-ID in Loket.nl"))
    employee_loket_id = models.UUIDField(_("werknemer-ID in Loket.nl"))
    income_relationship_number = models.PositiveIntegerField(_("inkomstenverhoudingnummer"))
    start_date = models.DateField(_("begindatum"))
    end_date = models.DateField(_("einddatum"), null=True, blank=True)
    contract_type = models.CharField(_("soort contract"), max_length=50, blank=True)
    hours_per_week = models.DecimalField(
        _("uren per week"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("dienstverband")
        verbose_name_plural = _("dienstverbanden")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "loket_id"], name="one_employment_per_version"
            ),
        ]

    def __str__(self) -> str:
        return str(self.loket_id)


class WageRecord(models.Model):
    version = models.ForeignKey(DeliveryVersion, on_delete=models.CASCADE, related_name="wages")
    employment_loket_id = models.UUIDField(_("dienstverband-ID in Loket.nl"))
    year = models.PositiveSmallIntegerField(_("jaar"))
    period = models.PositiveSmallIntegerField(_("periode"))
    period_type = models.CharField(_("verloningsperiode"), max_length=10)
    gross = models.DecimalField(_("brutoloon"), max_digits=12, decimal_places=2)
    sv_wage = models.DecimalField(
        _("SV-loon"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    tax_wage = models.DecimalField(
        _("fiscaal loon"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    holiday_allowance = models.DecimalField(
        _("vakantiegeld"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    hours_paid = models.DecimalField(
        _("verloonde uren"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("loonregel")
        verbose_name_plural = _("loonregels")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "employment_loket_id", "year", "period"],
                name="one_wage_per_employment_and_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employment_loket_id} {self.year}/{self.period}"


class LeaveRecord(models.Model):
    version = models.ForeignKey(DeliveryVersion, on_delete=models.CASCADE, related_name="leave")
    employment_loket_id = models.UUIDField(_("dienstverband-ID in Loket.nl"))
    year = models.PositiveSmallIntegerField(_("jaar"))
    kind = models.CharField(_("verlofsoort"), max_length=50)
    accrued = models.DecimalField(_("opgebouwd"), max_digits=8, decimal_places=2)
    taken = models.DecimalField(_("opgenomen"), max_digits=8, decimal_places=2)
    balance = models.DecimalField(_("saldo"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("verlofregel")
        verbose_name_plural = _("verlofregels")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "employment_loket_id", "year", "kind"],
                name="one_leave_per_employment_year_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employment_loket_id} {self.year} {self.kind}"


class RetentionRun(models.Model):
    """A record of each deletion of old wage data by the beat: what, how many, when."""

    ran_at = models.DateTimeField(_("uitgevoerd op"), default=timezone.now, db_index=True)
    cutoff = models.DateField(_("verwijderd tot en met einde periode"))
    months = models.PositiveSmallIntegerField(_("bewaartermijn (maanden)"))
    deliveries = models.PositiveIntegerField(_("leveringen"), default=0)
    versions = models.PositiveIntegerField(_("versies"), default=0)
    employees = models.PositiveIntegerField(_("werknemers"), default=0)
    employments = models.PositiveIntegerField(_("dienstverbanden"), default=0)
    wages = models.PositiveIntegerField(_("loonregels"), default=0)
    leave = models.PositiveIntegerField(_("verlofregels"), default=0)

    class Meta:
        verbose_name = _("verwijdering loongegevens")
        verbose_name_plural = _("verwijderingen loongegevens")
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M} ({self.wages})"
