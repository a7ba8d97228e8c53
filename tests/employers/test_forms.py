"""The employer's request form: every bad input gets a clear Dutch message on its own field;
KvK and loonheffingennummers are normalised; only confirmed processors can be chosen."""

from __future__ import annotations

import pytest

from employers.forms import (
    MAX_TAX_NUMBERS,
    EmployerRequestForm,
    confirmed_processors,
    preselected_processor,
)
from onboarding.models import Status
from tests.employers.conftest import make_processor

pytestmark = pytest.mark.django_db

NUL = "Dit veld bevat een NUL-teken"
LINE_BREAK = "Dit veld moet op één regel staan"
CONTROL = "Dit veld bevat een onzichtbaar stuurteken"
KVK = "Een KvK-nummer bestaat uit precies 8 cijfers."
PHONE = "Een telefoonnummer bestaat alleen uit cijfers, spaties, +, - en haakjes"
LHN_FORMAT = "is geen loonheffingennummer. Een loonheffingennummer ziet eruit als 123456782L01"
CHOOSE = "Kies een salarisverwerker uit de lijst"

SINGLE_LINE_FIELDS = ("company_name", "kvk_number", "contact_name", "contact_email")


@pytest.fixture
def confirmed():
    return make_processor(n=1)


@pytest.fixture
def valid(confirmed):
    return {
        "company_name": "Bakkerij Van Dijk B.V.",
        "kvk_number": "12345678",
        "policy_number": "ASR100001",
        "tax_numbers": "144068989L01",
        "contact_name": "Jan van Dijk",
        "contact_email": "jan@bakkerij.example",
        "contact_phone": "",
        "processor": str(confirmed.pk),
        "consent": "on",
    }


def _form(data: dict) -> EmployerRequestForm:
    form = EmployerRequestForm(data)
    form.is_valid()
    return form


BAD_INPUTS = [
    # the policy number: required, and where to find it
    ("policy_number", "", "Vul het polisnummer in. U vindt het bovenaan op het polisblad"),
    ("policy_number", "12", "Een polisnummer bestaat uit 4 tot 20 letters, cijfers of"),
    ("policy_number", "ASR_100!", "U vindt het op uw polisblad van a.s.r."),
    # empty
    ("company_name", "", "Vul de naam van uw bedrijf in."),
    ("company_name", "   ", "Vul de naam van uw bedrijf in."),
    ("kvk_number", "", "Vul het KvK-nummer van uw bedrijf in (8 cijfers)."),
    ("tax_numbers", "", "Vul minstens één loonheffingennummer in"),
    ("tax_numbers", " \n , ;\n", "Vul minstens één loonheffingennummer in"),
    ("contact_name", "", "Vul de naam van de contactpersoon in."),
    ("contact_email", "", "Vul het e-mailadres van de contactpersoon in."),
    ("processor", "", "Kies uw salarisverwerker uit de lijst."),
    # too long
    ("company_name", "B" * 201, "maximaal 200 tekens bevatten; het zijn er nu 201"),
    ("contact_name", "n" * 121, "maximaal 120 tekens bevatten; het zijn er nu 121"),
    ("contact_phone", "0" * 21, "maximaal 20 tekens bevatten; het zijn er nu 21"),
    ("contact_email", "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "nl", "maximaal 254 tekens"),
    ("tax_numbers", "1" * 1001, "maximaal 1000 tekens bevatten; het zijn er nu 1001"),
    # KvK
    ("kvk_number", "1234567", KVK),
    ("kvk_number", "123456789", KVK),
    ("kvk_number", "1234567a", KVK),
    ("kvk_number", "12-34-56-78", KVK),
    # digits of other scripts (Arabic-Indic, fullwidth) are digits to Python's \d, not to KvK
    ("kvk_number", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", KVK),
    ("kvk_number", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18", KVK),
    # loonheffingennummers: the message names the bad number
    ("tax_numbers", "12345", f"„12345” {LHN_FORMAT}"),
    ("tax_numbers", "123456782X01", f"„123456782X01” {LHN_FORMAT}"),
    ("tax_numbers", "123456782L1", f"„123456782L1” {LHN_FORMAT}"),
    ("tax_numbers", "123456789L01", "123456789L01 is geen geldig loonheffingennummer: de 11-proef"),
    (
        "tax_numbers",
        "123456782L00",
        "123456782L00 is geen geldig loonheffingennummer: het subnummer",
    ),
    ("tax_numbers", "123.456.782 l00", "123456782L00 is geen geldig loonheffingennummer"),
    ("tax_numbers", "144068989L01\n123456789L01", "123456789L01 is geen geldig"),
    ("tax_numbers", "144068989L01\x07", "bevat een onzichtbaar stuurteken"),
    ("tax_numbers", "\u0661\u0664\u0664\u0660\u0666\u0668\u0669\u0668\u0669L01", LHN_FORMAT),
    ("tax_numbers", "\uff11\uff14\uff14\uff10\uff16\uff18\uff19\uff18\uff19L01", LHN_FORMAT),
    ("tax_numbers", "144068989L01\x00", NUL),
    (
        "tax_numbers",
        ",".join(f"123456782L{n:02d}" for n in range(1, MAX_TAX_NUMBERS + 2)),
        "U kunt maximaal 20 loonheffingennummers tegelijk aanvragen; het zijn er nu 21.",
    ),
    # e-mail and phone
    ("contact_email", "jan-at-bakkerij", "Vul een geldig e-mailadres in"),
    ("contact_email", "jan@bakkerij.example\nBcc: x@example.org", LINE_BREAK),
    ("contact_phone", "06-1234abcd", PHONE),
    ("contact_phone", "+31 (0)10 123 45 67 toestel 3", "maximaal 20 tekens"),
    ("contact_phone", "+-()", PHONE),
    ("contact_phone", "010\x00123", NUL),
    ("contact_phone", "010\n123", LINE_BREAK),
    # processor: not in the list
    ("processor", "999999", CHOOSE),
    ("processor", "abc", CHOOSE),
    ("processor", "1.5", CHOOSE),
    ("processor", "\x00", CHOOSE),
    ("processor", "99999999999999999999999999", CHOOSE),
    # consent
    ("consent", "", "Zonder uw toestemming kunnen we de salariskoppeling niet aanvragen."),
    # NUL, line breaks and control characters in every single-line field
    *[(field, "voor\x00na", NUL) for field in SINGLE_LINE_FIELDS],
    *[(field, "regel1\nregel2", LINE_BREAK) for field in SINGLE_LINE_FIELDS],
    *[(field, "regel1\r\nregel2", LINE_BREAK) for field in SINGLE_LINE_FIELDS],
    *[(field, "regel1\u2028regel2", LINE_BREAK) for field in SINGLE_LINE_FIELDS],
    *[(field, "bel\x07letje", CONTROL) for field in SINGLE_LINE_FIELDS],
    *[(field, "tab\there", CONTROL) for field in SINGLE_LINE_FIELDS],
    *[(field, "omgekeerd\u202enaam", CONTROL) for field in SINGLE_LINE_FIELDS],
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUTS)
def test_every_bad_input_gets_a_dutch_message_on_its_own_field(valid, field, value, message):
    data = valid | {field: value}
    if field == "consent" and not value:
        del data["consent"]

    form = _form(data)

    assert not form.is_valid()
    assert list(form.errors) == [field], form.errors
    assert any(message in error for error in form.errors[field]), form.errors[field]


def test_a_valid_request_cleans_to_normalised_values(valid, confirmed):
    form = _form(
        valid
        | {
            "kvk_number": " 12.34 56.78 ",
            "tax_numbers": "144068989l01, 173718528 L01\n\n173.718.528L02;144068989L01\t",
            "contact_phone": "+31 (0)10-123 45 67",
            "policy_number": " asr 100.001 ",
        }
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["kvk_number"] == "12345678"
    assert form.cleaned_data["policy_number"] == "ASR100001"
    # duplicates within the input collapse; the order typed is kept
    assert form.cleaned_data["tax_numbers"] == ["144068989L01", "173718528L01", "173718528L02"]
    assert form.cleaned_data["processor"] == confirmed
    assert form.cleaned_data["contact_phone"] == "+31 (0)10-123 45 67"


def test_twenty_numbers_are_allowed_and_the_same_number_twice_counts_once(valid):
    numbers = [f"123456782L{n:02d}" for n in range(1, MAX_TAX_NUMBERS + 1)]

    form = _form(valid | {"tax_numbers": "\n".join([*numbers, numbers[0].lower()])})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["tax_numbers"] == numbers


def test_each_bad_number_is_named_and_a_long_list_of_them_is_summed_up(valid):
    bad = [f"12345678{n}L01" for n in range(8)]  # only ...782L01 passes the 11-test
    wrong = [n for n in bad if n != "123456782L01"]

    form = _form(valid | {"tax_numbers": "\n".join(bad)})

    errors = form.errors["tax_numbers"]
    assert len(errors) == 6
    for number in wrong[:5]:
        assert any(number in error for error in errors)
    assert errors[-1] == "En nog 2 andere loonheffingennummers kloppen niet."


def test_a_pasted_paragraph_is_echoed_shortened(valid):
    form = _form(valid | {"tax_numbers": "Zie bijlage voor al onze loonheffingennummers graag"})

    [error] = form.errors["tax_numbers"]
    assert error.startswith("„Zie bijlage voor al onze loon…”")


def test_a_processor_that_is_not_confirmed_cannot_be_chosen(valid):
    submitted = make_processor("ws-nieuw", status=Status.SUBMITTED, n=2)
    rejected = make_processor("ws-weg", status=Status.CHECK_FAILED, n=3)

    for processor in (submitted, rejected):
        form = _form(valid | {"processor": str(processor.pk)})
        assert list(form.errors) == ["processor"]
        assert CHOOSE in form.errors["processor"][0]


def test_the_processor_list_holds_the_confirmed_ones_sorted_by_name():
    make_processor("ws-b", n=1).__class__.objects.filter(loket_username="ws-b").update(
        company_name="bureau Beta"
    )
    alpha = make_processor("ws-a", status=Status.CONFIRMED, n=2)
    alpha.company_name = "Alfa Salarissen"
    alpha.save(update_fields=["company_name"])
    make_processor("ws-c", status=Status.NEEDS_ATTENTION, n=3)
    make_processor("ws-x", status=Status.SUBMITTED, n=4)

    names = [p.company_name for p in confirmed_processors()]

    assert names == ["Alfa Salarissen", "bureau Beta", "Salarisbureau ws-c 3"]
    choices = [label for _, label in EmployerRequestForm().fields["processor"].choices]
    assert choices[1:] == names


@pytest.mark.parametrize("value", [None, "", "abc", "-1", "1.0", "٣", "\x00", "9" * 30, "999999"])
def test_a_preselection_that_is_not_a_confirmed_processor_is_ignored(value):
    assert preselected_processor(value) is None


def test_a_preselection_of_a_confirmed_processor_is_taken(confirmed):
    assert preselected_processor(str(confirmed.pk)) == confirmed.pk
    submitted = make_processor("ws-nieuw", status=Status.SUBMITTED, n=2)
    assert preselected_processor(str(submitted.pk)) is None


def test_the_processor_select_carries_the_search_hooks_and_translated_texts():
    html = str(EmployerRequestForm()["processor"])

    assert "data-processor-search" in html
    assert 'data-search-label="Zoek uw salarisverwerker op naam"' in html
