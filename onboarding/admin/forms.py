"""The forms of the processor admin: the change form and the rejection reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import SingleLineField
from onboarding.models import PayrollProcessor


class PayrollProcessorForm(forms.ModelForm):
    """Single-line fields as on the public form (:mod:`common.forms`); the omgevingscode's format
    is the model's validator."""

    new_password = SingleLineField(
        label=_("Nieuw wachtwoord"),
        required=False,
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Het opgeslagen Loket.nl-wachtwoord wordt nooit getoond. Vul hier alleen een nieuw "
            "wachtwoord in om het te vervangen; de controle bij Loket.nl loopt dan opnieuw."
        ),
    )

    class Meta:
        model = PayrollProcessor
        fields = ("company_name", "email", "omgevingscode", "loket_username")
        field_classes = {
            "company_name": SingleLineField,
            "omgevingscode": SingleLineField,
            "loket_username": SingleLineField,
        }


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reden van afwijzing"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        max_length=2000,
        help_text=_("Deze reden staat in de e-mail aan de salarisverwerker."),
    )
