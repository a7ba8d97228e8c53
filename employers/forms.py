"""The employer's form: "Salariskoppeling aanvragen" (step 5 of the manual, the employer's half).

Like the registration form in ``onboarding.forms`` it only validates what was typed; the service
(``employers.services.request_submit``) decides and stores. Every rejection names its field and
says, in Dutch (English through the .po files), what to change. Single-line fields are
:class:`common.forms.SingleLineField`, so NUL bytes, line breaks and control characters get the
same messages everywhere in the portal.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from common.forms import ServiceErrorsMixin, SingleLineEmailField, SingleLineField
from common.text import (
    LINE_BREAKS,
    MAX_LENGTH_MESSAGE,
    NUL,
    SINGLE_LINE_MESSAGES,
    forbidden_character,
    refuse_nul,
)
from customers.identifiers import normalise_policy_number
from employers.emails import DECLINE_NOT_A_CUSTOMER
from employers.identifiers import normalise_kvk, normalise_loonheffingennummer
from onboarding.models import CONFIRMED_STATES, PayrollProcessor

MAX_TAX_NUMBERS = 20
# Twenty numbers with separators and some stray spaces fit easily; anything longer is not a list
# of loonheffingennummers (and is refused before it is split and checked piece by piece).
TAX_NUMBERS_MAX_LENGTH = 1000
# How many bad numbers one message names; the rest are counted.
MAX_NAMED_ERRORS = 5
# A bad "number" is echoed in its message; a pasted paragraph is cut short there.
ECHO_LENGTH = 30

# Between numbers: line breaks (every kind str.splitlines() knows), commas, semicolons and tabs
# (a row pasted from a spreadsheet). Spaces and dots *inside* a number are tolerated by
# normalise_loonheffingennummer, so they do not separate.
_SEPARATORS = re.compile("[,;\t" + re.escape("".join(sorted(LINE_BREAKS))) + "]+")

_PHONE = RegexValidator(
    r"\A[0-9 +()\-]+\Z",
    message=_(
        "Een telefoonnummer bestaat alleen uit cijfers, spaties, +, - en haakjes, bijvoorbeeld "
        "010 123 45 67 of +31 10 123 45 67."
    ),
    code="phone",
)
MIN_PHONE_DIGITS = 6

# Which form field an error from the service belongs to (by its code).
SERVICE_ERROR_FIELDS = {
    "open_request": "tax_numbers",
    "lhn_required": "tax_numbers",
    "lhn_format": "tax_numbers",
    "lhn_eleven": "tax_numbers",
    "lhn_sub": "tax_numbers",
    "kvk": "kvk_number",
    "policy_format": "policy_number",
    "processor": "processor",
}


def confirmed_processors() -> QuerySet[PayrollProcessor]:
    """The processors an employer may choose: confirmed by a.s.r., sorted by name."""
    return PayrollProcessor.objects.filter(status__in=CONFIRMED_STATES).order_by(
        Lower("company_name"), "pk"
    )


def _echo(value: str) -> str:
    return value if len(value) <= ECHO_LENGTH else value[: ECHO_LENGTH - 1] + "…"


class TaxNumbersField(forms.CharField):
    """One or more loonheffingennummers, one per line or separated by commas.

    Cleans to a list of normalised numbers (``123456782L01``) in the order typed, each once.
    Every bad number is named in its own message (up to :data:`MAX_NAMED_ERRORS`).
    """

    widget = forms.Textarea
    default_error_messages = {
        "required": _("Vul minstens één loonheffingennummer in, bijvoorbeeld 123456782L01."),
        NUL: SINGLE_LINE_MESSAGES[NUL],
        "max_length": MAX_LENGTH_MESSAGE,
        "control_character": _(
            "„%(value)s” bevat een onzichtbaar stuurteken. Typ het loonheffingennummer opnieuw in "
            "in plaats van te plakken."
        ),
        "lhn_format": _(
            "„%(value)s” is geen loonheffingennummer. Een loonheffingennummer ziet eruit als "
            "123456782L01: 9 cijfers, de letter L en 2 cijfers."
        ),
        "lhn_eleven": _(
            "%(value)s is geen geldig loonheffingennummer: de 11-proef klopt niet. Controleer "
            "de 9 cijfers voor de L."
        ),
        "lhn_sub": _(
            "%(value)s is geen geldig loonheffingennummer: het subnummer na de L is nooit 00 "
            "(bijvoorbeeld L01)."
        ),
        "more_errors": ngettext_lazy(
            "En nog %(count)d ander loonheffingennummer klopt niet.",
            "En nog %(count)d andere loonheffingennummers kloppen niet.",
            "count",
        ),
        "too_many": _(
            "U kunt maximaal %(limit)d loonheffingennummers tegelijk aanvragen; het zijn er nu "
            "%(count)d. Doe voor de overige een tweede aanvraag."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", TAX_NUMBERS_MAX_LENGTH)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        # Before Django's own NUL validator, for the same message as the single-line fields.
        refuse_nul(value, self.error_messages)
        return value

    def clean(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().clean(value)
        numbers: dict[str, None] = {}  # ordered set: duplicates in the input collapse
        errors: list[ValidationError] = []
        for piece in (p.strip() for p in _SEPARATORS.split(text)):
            if not piece:
                continue
            try:
                numbers[self._number(piece)] = None
            except ValidationError as error:
                errors.append(error)
        if errors:
            shown = errors[:MAX_NAMED_ERRORS]
            if len(errors) > MAX_NAMED_ERRORS:
                hidden = len(errors) - MAX_NAMED_ERRORS
                shown.append(
                    ValidationError(
                        self.error_messages["more_errors"] % {"count": hidden},
                        code="more_errors",
                    )
                )
            raise ValidationError(shown)
        if not numbers:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(numbers) > MAX_TAX_NUMBERS:
            raise ValidationError(
                self.error_messages["too_many"],
                code="too_many",
                params={"limit": MAX_TAX_NUMBERS, "count": len(numbers)},
            )
        return list(numbers)

    def _number(self, piece: str) -> str:
        if forbidden_character(piece) is not None:
            raise ValidationError(
                self.error_messages["control_character"],
                code="control_character",
                params={"value": _echo(piece.encode("unicode_escape").decode("ascii"))},
            )
        try:
            number = normalise_loonheffingennummer(piece)
        except ValidationError as error:
            code = error.code if error.code in self.error_messages else "lhn_format"
            shown = re.sub(r"[\s.]", "", piece).upper() if code != "lhn_format" else piece
            raise ValidationError(
                self.error_messages[code], code=code, params={"value": _echo(shown)}
            ) from None
        if not number.isascii():
            # identifiers' \d also matches other scripts' digits (e.g. ١٢٣): not a number that
            # Loket.nl or the database's check accepts.
            raise ValidationError(
                self.error_messages["lhn_format"], code="lhn_format", params={"value": _echo(piece)}
            )
        return number


class ProcessorChoiceField(forms.ModelChoiceField):
    """The chosen processor by id; anything but an id gets "choose from the list" (without a
    database query for it)."""

    def to_python(self, value: Any) -> PayrollProcessor | None:
        if isinstance(value, str) and value.strip() and not _is_id(value.strip()):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)

    def label_from_instance(self, obj: PayrollProcessor) -> str:
        return obj.company_name


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 18


class EmployerRequestForm(ServiceErrorsMixin, forms.Form):
    """The employer asks for the salary link and chooses its payroll processor."""

    SERVICE_ERROR_FIELDS = SERVICE_ERROR_FIELDS

    company_name = SingleLineField(
        label=_("Bedrijfsnaam"),
        max_length=200,
        help_text=_("De naam van uw bedrijf, zoals uw salarisverwerker die kent."),
        error_messages={"required": _("Vul de naam van uw bedrijf in.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    kvk_number = SingleLineField(
        label=_("KvK-nummer"),
        help_text=_("Het inschrijvingsnummer bij de Kamer van Koophandel: 8 cijfers."),
        error_messages={"required": _("Vul het KvK-nummer van uw bedrijf in (8 cijfers).")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    policy_number = SingleLineField(
        label=_("Polisnummer"),
        max_length=40,
        help_text=_(
            "Het nummer van een verzekering van uw bedrijf bij a.s.r. U vindt het bovenaan op "
            "het polisblad van a.s.r., bij „Polisnummer”. We sturen de bevestiging naar het "
            "e-mailadres dat a.s.r. voor deze polis heeft."
        ),
        error_messages={
            "required": _(
                "Vul het polisnummer in. U vindt het bovenaan op het polisblad van a.s.r."
            )
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    tax_numbers = TaxNumbersField(
        label=_("Loonheffingennummer(s)"),
        help_text=_(
            "Bijvoorbeeld 123456782L01. Heeft uw bedrijf er meer (L01, L02), zet dan elk nummer "
            "op een eigen regel of scheid ze met komma's. Maximaal 20."
        ),
        widget=forms.Textarea(
            attrs={"rows": 3, "cols": 30, "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    contact_name = SingleLineField(
        label=_("Naam contactpersoon"),
        max_length=120,
        error_messages={"required": _("Vul de naam van de contactpersoon in.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_email = SingleLineEmailField(
        label=_("E-mailadres contactpersoon"),
        max_length=254,
        help_text=_(
            "Uw eigen e-mailadres, voor vragen over uw aanvraag. De bevestigingslink sturen we "
            "naar het e-mailadres dat a.s.r. voor uw polis heeft."
        ),
        error_messages={
            "required": _("Vul het e-mailadres van de contactpersoon in."),
            "invalid": _("Vul een geldig e-mailadres in, bijvoorbeeld salaris@bedrijf.nl."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_phone = SingleLineField(
        label=_("Telefoonnummer (niet verplicht)"),
        max_length=20,
        required=False,
        validators=[_PHONE],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    processor = ProcessorChoiceField(
        label=_("Uw salarisverwerker"),
        queryset=PayrollProcessor.objects.none(),  # set per form: the processors confirmed now
        empty_label=_("— Kies uw salarisverwerker —"),
        help_text=_(
            "Het administratie- of accountantskantoor dat uw salarisadministratie in Loket.nl "
            "verwerkt. Staat uw salarisverwerker er niet bij? Dan heeft hij zich nog niet "
            "aangemeld voor de salariskoppeling."
        ),
        error_messages={
            "required": _("Kies uw salarisverwerker uit de lijst."),
            "invalid_choice": _(
                "Kies een salarisverwerker uit de lijst; de gekozen salarisverwerker is niet "
                "(meer) aangemeld."
            ),
        },
    )
    consent = forms.BooleanField(
        label=_(
            "Ik geef a.s.r. toestemming om via mijn salarisverwerker de salarisgegevens van mijn "
            "bedrijf maandelijks uit Loket.nl op te halen voor mijn verzekeringen bij a.s.r."
        ),
        error_messages={
            "required": _(
                "Zonder uw toestemming kunnen we de salariskoppeling niet aanvragen. Vink het "
                "vakje aan om door te gaan."
            )
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["processor"]
        field.queryset = confirmed_processors()
        # Hooks for static/js/processor-search.js (which adds a search box above the select);
        # the texts come from here so that they are translated like the rest of the page.
        field.widget.attrs.update(
            {
                "data-processor-search": "",
                "data-search-label": _("Zoek uw salarisverwerker op naam"),
                "data-search-none": _("Geen salarisverwerker gevonden met deze naam."),
                "data-search-count": _("%(count)s salarisverwerkers gevonden."),
                "data-search-one": _("1 salarisverwerker gevonden."),
            }
        )

    def clean_kvk_number(self) -> str:
        kvk = normalise_kvk(self.cleaned_data["kvk_number"])
        if not kvk.isascii():  # identifiers' \d also matches other scripts' digits
            raise ValidationError(_("Een KvK-nummer bestaat uit precies 8 cijfers."), code="kvk")
        return kvk

    def clean_policy_number(self) -> str:
        return normalise_policy_number(self.cleaned_data["policy_number"])

    def clean_contact_phone(self) -> str:
        phone = self.cleaned_data.get("contact_phone", "")
        if phone and sum(char.isdigit() for char in phone) < MIN_PHONE_DIGITS:
            raise ValidationError(_PHONE.message, code="phone")
        return phone


def preselected_processor(value: str | None) -> int | None:
    """The processor id from ``?verwerker=<id>`` (the directory's links), when it is one."""
    if value and _is_id(value):
        pk = int(value)
        if confirmed_processors().filter(pk=pk).exists():
            return pk
    return None


# --- the processor declines a request (issue 12) -----------------------------------------------

DECLINE_NOT_A_CUSTOMER_CHOICE = "not_customer"
DECLINE_OTHER_CHOICE = "other"
DECLINE_EXPLANATION_MAX_LENGTH = 250


class DeclineForm(forms.Form):
    """Why the processor declines an employer's request: "geen klant van ons" (chosen already),
    or another reason, which it then writes; a few words may follow either. The reason goes to
    the employer's verified contact and into a.s.r.'s record."""

    choice = forms.ChoiceField(
        label=_("Reden"),
        choices=[
            (DECLINE_NOT_A_CUSTOMER_CHOICE, _("Geen klant van ons")),
            (DECLINE_OTHER_CHOICE, _("Andere reden")),
        ],
        initial=DECLINE_NOT_A_CUSTOMER_CHOICE,
        widget=forms.RadioSelect,
        error_messages={"required": _("Kies een reden.")},
    )
    explanation = SingleLineField(
        label=_("Toelichting voor de werkgever"),
        required=False,
        max_length=DECLINE_EXPLANATION_MAX_LENGTH,
        help_text=_("Verplicht bij een andere reden. De werkgever krijgt deze tekst te lezen."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("choice") == DECLINE_OTHER_CHOICE and not cleaned.get("explanation"):
            self.add_error("explanation", _("Schrijf de reden op voor de werkgever."))
        return cleaned

    @property
    def reason(self) -> str:
        """The reason as stored (a.s.r.'s record in Dutch; the standard words are translated in
        the employer's mail, see :func:`employers.emails.word_decline_reason`)."""
        explanation = " ".join(self.cleaned_data.get("explanation", "").split())
        if self.cleaned_data.get("choice") == DECLINE_NOT_A_CUSTOMER_CHOICE:
            return (
                f"{DECLINE_NOT_A_CUSTOMER}: {explanation}"
                if explanation
                else (DECLINE_NOT_A_CUSTOMER)
            )
        return explanation
