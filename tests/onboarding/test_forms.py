"""The public forms: every bad input gets a clear Dutch message next to its own field, and what
was typed comes back in the form, except the password."""

from __future__ import annotations

import pytest
from django.utils.html import conditional_escape

from onboarding.forms import CorrectionForm, RegistrationForm
from onboarding.services import DuplicateRegistration
from tests.onboarding.factories import PayrollProcessorFactory

PASSWORD = "Gehe1m#Loket-2026"

VALID = {
    "company_name": "Salarisbureau De Vries B.V.",
    "email": "salaris@devries.example",
    "loket_username": "ws-devries",
    "loket_password": PASSWORD,
    "omgevingscode": "DEVRIES01",
    "consent": "on",
}

TEXT_FIELDS = ("company_name", "email", "loket_username", "loket_password", "omgevingscode")
SINGLE_LINE_FIELDS = ("company_name", "email", "loket_username", "omgevingscode")

NUL = "Dit veld bevat een NUL-teken"
LINE_BREAK = "Dit veld moet op één regel staan"
CONTROL = "Dit veld bevat een onzichtbaar stuurteken"
OMGEVINGSCODE = "De omgevingscode bestaat alleen uit letters, cijfers"

BAD_INPUTS = [
    # empty
    ("company_name", "", "Vul de naam van uw bedrijf in."),
    ("company_name", "    ", "Vul de naam van uw bedrijf in."),
    ("email", "", "Vul het e-mailadres in waarop u aanvragen van werkgevers ontvangt."),
    ("loket_username", "", "Vul de gebruikersnaam van de webservicegebruiker in."),
    ("loket_password", "", "Vul het wachtwoord van de webservicegebruiker in."),
    ("omgevingscode", "", "Vul de omgevingscode van uw Loket.nl-omgeving in."),
    ("omgevingscode", " \t ", "Vul de omgevingscode van uw Loket.nl-omgeving in."),
    # too long
    ("company_name", "B" * 121, "maximaal 120 tekens bevatten; het zijn er nu 121"),
    ("loket_username", "u" * 101, "maximaal 100 tekens bevatten; het zijn er nu 101"),
    ("loket_password", "p" * 129, "maximaal 128 tekens bevatten; het zijn er nu 129"),
    ("omgevingscode", "C" * 51, "maximaal 50 tekens bevatten; het zijn er nu 51"),
    ("email", "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "nl", "maximaal 254 tekens"),
    # not an e-mail address
    ("email", "salaris-at-devries", "Vul een geldig e-mailadres in"),
    # omgevingscode outside letters, digits, - and _
    ("omgevingscode", "DEMO 001", OMGEVINGSCODE),
    ("omgevingscode", "DEMO.001", OMGEVINGSCODE),
    ("omgevingscode", "DÉMO001", OMGEVINGSCODE),
    ("omgevingscode", "DEMO001';--", OMGEVINGSCODE),
    ("omgevingscode", "<b>DEMO</b>", OMGEVINGSCODE),
    *[(field, "voor\x00na", NUL) for field in TEXT_FIELDS],
    *[(field, "\x00", NUL) for field in TEXT_FIELDS],
    *[(field, "regel1\nregel2", LINE_BREAK) for field in TEXT_FIELDS],
    *[(field, "regel1\r\nregel2", LINE_BREAK) for field in TEXT_FIELDS],
    *[(field, "regel1\u2028regel2", LINE_BREAK) for field in SINGLE_LINE_FIELDS],
    *[(field, "bel\x07letje", CONTROL) for field in TEXT_FIELDS],
    *[(field, "\x1b[31mrood", CONTROL) for field in TEXT_FIELDS],
    *[(field, "met\ttab", CONTROL) for field in TEXT_FIELDS],
    *[(field, "del\x7fete", CONTROL) for field in TEXT_FIELDS],
    ("company_name", "Bedrijf \u202eV.B", CONTROL),
]


def _ids(case):
    field, value, _ = case
    return f"{field}-{value[:12]!r}"


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUTS, ids=map(_ids, BAD_INPUTS))
def test_the_registration_form_rejects_a_bad_input_next_to_its_field(field, value, message):
    form = RegistrationForm(data=VALID | {field: value})

    assert not form.is_valid()
    assert set(form.errors) == {field}
    assert any(message in error for error in form.errors[field]), form.errors[field]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUTS, ids=map(_ids, BAD_INPUTS))
def test_a_rejected_form_keeps_what_was_typed_except_the_password(field, value, message):
    form = RegistrationForm(data=VALID | {field: value})
    form.is_valid()

    for name in ("company_name", "email", "loket_username", "omgevingscode"):
        typed = (VALID | {field: value})[name]
        assert form[name].value() == typed
        if typed.strip():
            assert f'value="{conditional_escape(typed)}"' in str(form[name])
    assert "value=" not in str(form["loket_password"])
    assert PASSWORD not in form.as_div()


@pytest.mark.django_db
def test_the_registration_form_requires_consent_in_dutch():
    data = dict(VALID)
    del data["consent"]
    form = RegistrationForm(data=data)

    assert not form.is_valid()
    assert set(form.errors) == {"consent"}
    assert (
        "Zonder uw toestemming kunnen we uw aanmelding niet verwerken" in form.errors["consent"][0]
    )


@pytest.mark.django_db
def test_an_empty_form_names_every_required_field_in_dutch():
    form = RegistrationForm(data={})

    assert not form.is_valid()
    assert set(form.errors) == {*TEXT_FIELDS, "consent"}
    assert all(
        error.startswith(("Vul ", "Zonder ")) for errors in form.errors.values() for error in errors
    )


@pytest.mark.django_db
def test_html_in_a_company_name_is_kept_as_typed_and_rendered_as_text():
    name = '<script>alert("x")</script> & Zn <b>B.V.</b>'
    form = RegistrationForm(data=VALID | {"company_name": name})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["company_name"] == name
    rendered = str(form["company_name"])
    assert "<script>" not in rendered
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Zn" in rendered


@pytest.mark.django_db
def test_values_are_trimmed_but_the_password_is_taken_as_typed():
    form = RegistrationForm(
        data=VALID
        | {
            "omgevingscode": "  DEVRIES01 ",
            "loket_username": " ws-devries ",
            "loket_password": " p w ",
        }
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["omgevingscode"] == "DEVRIES01"
    assert form.cleaned_data["loket_username"] == "ws-devries"
    assert form.cleaned_data["loket_password"] == " p w "


@pytest.mark.django_db
def test_every_field_has_dutch_help_from_the_manual():
    form = RegistrationForm()

    assert "zoals getoond op de website van a.s.r." in form["company_name"].help_text
    assert "aanvragen van werkgevers" in form["email"].help_text
    assert "webservicegebruiker" in form["loket_username"].help_text
    assert "Benefits-Plaza als webservicepartij" in form["loket_username"].help_text
    assert "ticket aan Loket.nl" in form["omgevingscode"].help_text
    assert "administratie- of accountantskantoor" in form["omgevingscode"].help_text
    assert 'aria-describedby="id_omgevingscode_helptext"' in str(form["omgevingscode"])


@pytest.mark.django_db
def test_an_invalid_field_points_to_its_error_message():
    form = RegistrationForm(data=VALID | {"omgevingscode": "DEMO 001"})
    form.is_valid()

    widget = str(form["omgevingscode"])
    assert 'aria-invalid="true"' in widget
    assert 'aria-describedby="id_omgevingscode_helptext id_omgevingscode_error"' in widget


@pytest.mark.django_db
def test_the_registration_form_does_not_tell_whether_details_are_registered_already():
    # Issue 13 (enumeration): the service mails the registration holding them instead.
    PayrollProcessorFactory(omgevingscode="DEVRIES01", loket_username="WS-DeVries")
    PayrollProcessorFactory(email="Salaris@DeVries.example")

    form = RegistrationForm(data=VALID | {"omgevingscode": "devries01"})

    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_a_duplicate_found_by_the_service_lands_on_the_field_it_is_about():
    form = RegistrationForm(data=VALID)
    assert form.is_valid()

    form.add_service_error(DuplicateRegistration("al aangemeld", code="duplicate"))
    form.add_service_error(DuplicateRegistration("e-mail bezet", code="duplicate_email"))

    assert form.errors["loket_username"] == ["al aangemeld"]
    assert form.errors["email"] == ["e-mail bezet"]


# --- the correction form -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_correction_form_is_prefilled_except_the_password():
    processor = PayrollProcessorFactory(omgevingscode="DEVRIES01", loket_username="ws-devries")

    form = CorrectionForm(processor=processor)

    assert 'value="ws-devries"' in str(form["loket_username"])
    assert 'value="DEVRIES01"' in str(form["omgevingscode"])
    assert "value=" not in str(form["loket_password"])


@pytest.mark.django_db
def test_an_empty_password_in_the_correction_form_keeps_the_stored_one():
    processor = PayrollProcessorFactory()

    form = CorrectionForm(
        data={"loket_username": "ws-nieuw", "omgevingscode": "DEMO001", "loket_password": ""},
        processor=processor,
    )

    assert form.is_valid(), form.errors
    assert form.new_password is None


CORRECTION_BAD_INPUTS = [
    case
    for case in BAD_INPUTS
    if case[0] in ("loket_username", "omgevingscode", "loket_password")
    and not (case[0] == "loket_password" and not case[1])
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"), CORRECTION_BAD_INPUTS, ids=map(_ids, CORRECTION_BAD_INPUTS)
)
def test_the_correction_form_rejects_a_bad_input_next_to_its_field(field, value, message):
    processor = PayrollProcessorFactory()
    data = {"loket_username": "ws-nieuw", "omgevingscode": "DEMO001", "loket_password": ""}

    form = CorrectionForm(data=data | {field: value}, processor=processor)

    assert not form.is_valid()
    assert set(form.errors) == {field}
    assert any(message in error for error in form.errors[field]), form.errors[field]
    assert "value=" not in str(form["loket_password"])


@pytest.mark.django_db
def test_the_correction_form_refuses_another_registrations_loket_user_but_not_its_own():
    PayrollProcessorFactory(omgevingscode="DEMO001", loket_username="ws-bezet")
    processor = PayrollProcessorFactory(omgevingscode="DEMO001", loket_username="ws-eigen")

    taken = CorrectionForm(
        data={"loket_username": "WS-BEZET", "omgevingscode": "demo001"}, processor=processor
    )
    own = CorrectionForm(
        data={"loket_username": "WS-EIGEN", "omgevingscode": "DEMO001"}, processor=processor
    )

    assert not taken.is_valid()
    assert "al aangemeld" in taken.errors["loket_username"][0]
    assert own.is_valid(), own.errors
