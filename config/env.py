"""Strict readers for environment variables.

django-environ's own casts are forgiving (``bool("maybe")`` is ``False``); a portal that holds
other people's credentials must not start on a typo. Every reader here raises
``ImproperlyConfigured`` with a message that names the variable and says what it expected.
"""

from __future__ import annotations

import math
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    """A string; empty counts as unset. ``required`` refuses a missing value."""
    value = _raw(name)
    if value is None:
        if required:
            raise ImproperlyConfigured(f"De omgevingsvariabele {name} moet gezet zijn.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is geen geldige waarde: gebruik on/off, true/false, yes/no of 1/0."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is geen geheel getal.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is te klein: minimaal {minimum}.")
    return number


def env_float(name: str, default: float, *, minimum_exclusive: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is geen getal.") from None
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name}={value!r} is geen eindig getal.")
    if minimum_exclusive is not None and number <= minimum_exclusive:
        raise ImproperlyConfigured(f"{name}={number} moet groter zijn dan {minimum_exclusive}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks around items are ignored, empty items refused."""
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name} bevat een leeg element (let op dubbele komma's).")
    return items
