"""The register: one :class:`Customer` per KvK number, one :class:`Policy` per policy number.

A policy carries the contact address a.s.r. holds for it: the confirmation of an employer's
request for the salary link is mailed there, never only to an address typed into a form.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.text import validate_single_line


class Customer(models.Model):
    kvk_number = models.CharField(_("KvK-nummer"), max_length=8, unique=True)
    name = models.CharField(_("naam"), max_length=200, validators=[validate_single_line])
    updated_at = models.DateTimeField(_("bijgewerkt op"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("klant")
        verbose_name_plural = _("klanten")
        ordering = ("name", "kvk_number")
        constraints = [
            models.CheckConstraint(
                condition=Q(kvk_number__regex=r"^[0-9]{8}$"), name="customer_kvk_8_digits"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kvk_number})"


class Policy(models.Model):
    number = models.CharField(_("polisnummer"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="policies", verbose_name=_("klant")
    )
    contact_email = models.EmailField(_("e-mailadres contactpersoon"), max_length=254)
    updated_at = models.DateTimeField(_("bijgewerkt op"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("polis")
        verbose_name_plural = _("polissen")
        ordering = ("number",)
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^[A-Z0-9][A-Z0-9-]{3,19}$"), name="policy_number_format"
            )
        ]

    def __str__(self) -> str:
        return self.number
