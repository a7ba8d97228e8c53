"""One single-line rule (common.text) for every form field and every model field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from common.forms import SingleLineField
from common.text import CONTROL_CHARACTER, LINE_BREAK, NUL, validate_single_line
from employers.models import EmployerRequest
from onboarding.models import PayrollProcessor


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Bakkerij\x00", NUL),
        ("Bakkerij\nVan Dijk", LINE_BREAK),
        ("Bakkerij\u2028Van Dijk", LINE_BREAK),
        ("Bakkerij\tVan Dijk", CONTROL_CHARACTER),
        ("Bakkerij\u200bVan Dijk", CONTROL_CHARACTER),  # zero-width space (format)
        ("Bakkerij \u202eKJID NAV", CONTROL_CHARACTER),  # right-to-left override
        ("Bakkerij\ufffe", CONTROL_CHARACTER),  # noncharacter
    ],
)
def test_a_form_field_and_a_model_field_refuse_the_same_text_with_the_same_code(text, code):
    with pytest.raises(ValidationError) as by_form:
        SingleLineField().clean(text)
    with pytest.raises(ValidationError) as by_model:
        validate_single_line(text)

    assert by_form.value.code == by_model.value.code == code
    assert by_form.value.messages == by_model.value.messages


def test_ordinary_names_pass_both():
    for text in ("Bakkerij Van Dijk B.V.", "Zorggroep Tilburg", "Café 't Hoekje & Zn."):
        assert SingleLineField().clean(text) == text
        validate_single_line(text)


def test_both_apps_models_use_the_one_validator():
    for model, name in ((PayrollProcessor, "company_name"), (EmployerRequest, "company_name")):
        assert validate_single_line in model._meta.get_field(name).validators
