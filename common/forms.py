"""Form fields for single-line text (the rule is :mod:`common.text`'s) and the mixin that puts a
service's error next to its field.

:class:`SingleLineField` and :class:`SingleLineEmailField` refuse what
:func:`~common.text.forbidden_character` finds *before* any other validation, so the person sees
one message that says exactly what is wrong (not also "invalid e-mail address").
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from common.text import MAX_LENGTH_MESSAGE, SINGLE_LINE_MESSAGES, forbidden_character


class SingleLineMixin:
    """For a form field: refuses what :func:`forbidden_character` finds, in ``to_python``."""

    default_error_messages = {**SINGLE_LINE_MESSAGES, "max_length": MAX_LENGTH_MESSAGE}

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)  # type: ignore[misc]
        if isinstance(value, str):
            code = forbidden_character(value)
            if code is not None:
                raise ValidationError(self.error_messages[code], code=code)  # type: ignore[attr-defined]
        return value


class SingleLineField(SingleLineMixin, forms.CharField):
    pass


class SingleLineEmailField(SingleLineMixin, forms.EmailField):
    pass


class ServiceErrorsMixin:
    """Put an error raised by a service next to the field it is about: a model's ``full_clean()``
    errors by field name, a service error by its code (:attr:`SERVICE_ERROR_FIELDS`)."""

    SERVICE_ERROR_FIELDS = {"duplicate": "loket_username", "duplicate_email": "email"}

    def add_service_error(self, error: ValidationError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        if hasattr(error, "error_dict"):
            # From a model's full_clean(): keyed by model fields, not all of which are on the form.
            for name, errors in error.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
            return
        field = self.SERVICE_ERROR_FIELDS.get(getattr(error, "code", None) or "")
        form.add_error(field if field in form.fields else None, error)
