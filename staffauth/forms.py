from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from onboarding.forms import PortalForm


class SetupCodeForm(PortalForm):
    code = forms.CharField(
        label=_("Code uit de app"),
        help_text=_("De zes cijfers die de app nu toont."),
        max_length=12,
        error_messages={"required": _("Vul de code uit de app in.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )


class VerifyCodeForm(PortalForm):
    code = forms.CharField(
        label=_("Code"),
        help_text=_(
            "De zes cijfers uit uw authenticator-app, of een van uw herstelcodes "
            "(elke herstelcode werkt één keer)."
        ),
        max_length=20,
        error_messages={"required": _("Vul de code uit de app of een herstelcode in.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
