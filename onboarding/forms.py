"""Forms of the public side: the registration form and the status page's correction form.

They only validate what was typed; the services decide and store. Every rejection names its
field and says, in Dutch (English through the .po files), what to change. A bound form keeps
what was typed, except the password, which is never sent back to the browser.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from common.forms import ServiceErrorsMixin, SingleLineEmailField, SingleLineField
from onboarding import selectors
from onboarding.models import DUPLICATE_ACCOUNT_MESSAGE, PayrollProcessor

_OMGEVINGSCODE = RegexValidator(
    r"\A[A-Za-z0-9_-]+\Z",
    message=_(
        "De omgevingscode bestaat alleen uit letters, cijfers, liggende streepjes (-) en "
        "lage streepjes (_), zonder spaties."
    ),
    code="omgevingscode",
)

_USERNAME_HELP = _(
    "De gebruikersnaam van de webservicegebruiker in Loket.nl, niet die van uw eigen account. "
    "Een webservicegebruiker is een gebruiker met als soort gebruiker 'Webservice gebruiker' en "
    "Benefits-Plaza als webservicepartij (handleiding stap 1). Hij ziet alleen de werkgevers "
    "waaraan hij in Loket.nl is gekoppeld (stap 2 en 3)."
)
_OMGEVINGSCODE_HELP = _(
    "De code van uw Loket.nl-omgeving: letters, cijfers, - en _. Weet u hem niet? Stuur een "
    "ticket aan Loket.nl met de naam van uw administratie- of accountantskantoor; Loket.nl "
    "laat u dan de omgevingscode weten."
)
_TEXT_ATTRS = {"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}


class PortalBoundField(forms.BoundField):
    """A field as templates/_field.html shows it. A required password that came back with a
    refused form is empty (it is never sent back to the browser): :attr:`retype_note` says so
    next to the field, and the widget names that note in aria-describedby."""

    @property
    def retype_note(self) -> bool:
        widget = self.field.widget
        return (
            self.form.is_bound
            and bool(self.form.errors)
            and self.field.required
            and isinstance(widget, forms.PasswordInput)
            and not widget.render_value
        )

    @property
    def aria_describedby(self) -> str | None:
        described = super().aria_describedby
        if described is None or not self.retype_note:
            return described
        return " ".join(filter(None, [described, f"{self.auto_id}_retype"]))


class PortalForm(forms.Form):
    """The portal's forms: fields rendered by templates/_field.html."""

    bound_field_class = PortalBoundField


def _username_field() -> SingleLineField:
    return SingleLineField(
        label=_("Gebruikersnaam van de webservicegebruiker"),
        max_length=100,
        help_text=_USERNAME_HELP,
        error_messages={"required": _("Vul de gebruikersnaam van de webservicegebruiker in.")},
        widget=forms.TextInput(attrs=_TEXT_ATTRS),
    )


def _omgevingscode_field() -> SingleLineField:
    return SingleLineField(
        label=_("Omgevingscode"),
        max_length=50,
        help_text=_OMGEVINGSCODE_HELP,
        validators=[_OMGEVINGSCODE],
        error_messages={"required": _("Vul de omgevingscode van uw Loket.nl-omgeving in.")},
        widget=forms.TextInput(attrs=_TEXT_ATTRS),
    )


def _password_field(*, required: bool, help_text: str) -> SingleLineField:
    return SingleLineField(
        label=_("Wachtwoord van de webservicegebruiker"),
        max_length=128,
        strip=False,  # a password is exactly what was typed
        required=required,
        help_text=help_text,
        error_messages={"required": _("Vul het wachtwoord van de webservicegebruiker in.")},
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class RegistrationForm(ServiceErrorsMixin, PortalForm):
    """Step 4 of the a.s.r. manual: the payroll processor's registration."""

    company_name = SingleLineField(
        label=_("Bedrijfsnaam"),
        max_length=120,
        help_text=_(
            "Naam van uw bedrijf, zoals getoond op de website van a.s.r. Werkgevers kiezen u op "
            "deze naam als hun salarisverwerker."
        ),
        error_messages={"required": _("Vul de naam van uw bedrijf in.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    email = SingleLineEmailField(
        label=_("E-mailadres"),
        max_length=254,
        help_text=_(
            "Op dit adres ontvangt u de aanvragen van werkgevers voor de salariskoppeling, en ons "
            "bericht zodra uw aanmelding is verwerkt."
        ),
        error_messages={
            "required": _("Vul het e-mailadres in waarop u aanvragen van werkgevers ontvangt."),
            "invalid": _("Vul een geldig e-mailadres in, bijvoorbeeld salaris@kantoor.nl."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    loket_username = _username_field()
    loket_password = _password_field(
        required=True,
        help_text=_(
            "Het wachtwoord van deze webservicegebruiker in Loket.nl. We bewaren het versleuteld "
            "en gebruiken het alleen voor de salariskoppeling."
        ),
    )
    omgevingscode = _omgevingscode_field()
    consent = forms.BooleanField(
        label=_(
            "Ik geef a.s.r. toestemming deze gegevens te verwerken voor de salariskoppeling en "
            "met deze webservicegebruiker de salarisgegevens op te halen van de werkgevers die de "
            "salariskoppeling aanvragen."
        ),
        error_messages={
            "required": _(
                "Zonder uw toestemming kunnen we uw aanmelding niet verwerken. Vink het vakje aan "
                "om door te gaan."
            )
        },
    )

    # No refusal of details that are registered already (issue 13, enumeration): the service
    # mails the registration that holds them and the view answers as for a new one.


class CorrectionForm(ServiceErrorsMixin, PortalForm):
    """The status page's "correct and check again": the Loket.nl credentials only. An empty
    password keeps the stored one, so a processor that only mistyped the omgevingscode does not
    have to type its password again."""

    loket_username = _username_field()
    loket_password = _password_field(
        required=False,
        help_text=_(
            "Laat dit veld leeg om het opgeslagen wachtwoord te houden. Vult u het in, dan "
            "vervangt het het opgeslagen wachtwoord."
        ),
    )
    omgevingscode = _omgevingscode_field()

    def __init__(self, *args: Any, processor: PayrollProcessor, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"loket_username": processor.loket_username, "omgevingscode": processor.omgevingscode},
        )
        super().__init__(*args, **kwargs)
        self.processor = processor

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        omgevingscode = cleaned.get("omgevingscode")
        username = cleaned.get("loket_username")
        if (
            omgevingscode
            and username
            and selectors.processor_duplicate_exists(
                omgevingscode=omgevingscode, loket_username=username, exclude_pk=self.processor.pk
            )
        ):
            self.add_error(
                "loket_username",
                ValidationError(str(DUPLICATE_ACCOUNT_MESSAGE), code="duplicate"),
            )
        return cleaned

    @property
    def new_password(self) -> str | None:
        """``None`` (keep the stored password) when the field was left empty."""
        return self.cleaned_data.get("loket_password") or None


class ActivationForm(SetPasswordForm):
    """The activation page's two password fields (Django's :class:`SetPasswordForm`). The
    password validators' verdict belongs to the first field, where the password was chosen;
    only "the two passwords differ" belongs to the second."""

    bound_field_class = PortalBoundField

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)


# --- accounts (issue 13) -------------------------------------------------------------------------


class PasswordResetRequestForm(PortalForm):
    """ "Wachtwoord vergeten?": the address the processor logs in with."""

    email = SingleLineEmailField(
        label=_("E-mailadres"),
        max_length=254,
        help_text=_("Het e-mailadres waarmee u inlogt op dit portaal."),
        error_messages={
            "required": _("Vul het e-mailadres in waarmee u inlogt."),
            "invalid": _("Vul een geldig e-mailadres in, bijvoorbeeld salaris@kantoor.nl."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordChangeForm(ActivationForm):
    """The account's password change: the current password, then the new one twice."""

    old_password = forms.CharField(
        label=_("Huidig wachtwoord"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Vul uw huidige wachtwoord in.")},
    )
    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)


def _portal_password_field() -> forms.CharField:
    return forms.CharField(
        label=_("Uw wachtwoord voor dit portaal"),
        strip=False,
        max_length=4096,
        help_text=_(
            "Ter bevestiging: het wachtwoord waarmee u inlogt op dit portaal, niet dat van "
            "Loket.nl."
        ),
        error_messages={"required": _("Vul uw wachtwoord voor dit portaal in.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AccountCredentialsForm(CorrectionForm):
    """The dashboard's "Loket.nl-gegevens bijwerken": as the status page's correction, and the
    portal password again (a session left open must not be enough to point the account at
    other credentials). The view checks it (:func:`onboarding.services.reauthenticate`)."""

    portal_password = _portal_password_field()
