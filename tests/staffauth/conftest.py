"""Staff accounts: clean rate-limit counters for every test (the code page's limit lives there)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.onboarding.conftest import flush_rate_limits
from tests.onboarding.factories import StaffUserFactory

STAFF_PASSWORD = "Medewerker#Beheer-2026"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    flush_rate_limits()
    yield
    flush_rate_limits()


def staff_user(**kwargs):
    """A staff user with a password and every right (the admin index lists something)."""
    return StaffUserFactory(**{"password": STAFF_PASSWORD, "is_superuser": True, **kwargs})


def current_code(device: TOTPDevice) -> str:
    """What the authenticator app shows now (RFC 6238, the device's own parameters)."""
    code = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift,
    )
    return str(code).zfill(device.digits)


def with_two_factor(user, recovery_codes: tuple[str, ...] = ()) -> TOTPDevice:
    """The user has set up an app (and, given, these recovery codes)."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="herstelcodes")
    for token in recovery_codes:
        StaticToken.objects.create(device=static, token=token)
    return device


def step_back(device: TOTPDevice) -> None:
    """Forget which time step the device last accepted (as if the next 30 seconds had come)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
