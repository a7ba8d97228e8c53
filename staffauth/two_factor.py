"""Two-factor authentication of staff users (django-otp): a TOTP app and one-time recovery codes.

A staff user sets up one authenticator app (``TOTPDevice``) by scanning its QR code and typing one
code; the portal then shows ten recovery codes (``StaticDevice``, each usable once) a single
time. At every login the admin asks for a code of the app or a recovery code before it opens
(:mod:`staffauth.middleware`). Wrong codes count against ``STAFF_OTP_FAILURES_ALLOWED`` per user
per ``STAFF_OTP_LOCKOUT_SECONDS`` (the portal's limiter), on top of django-otp's own growing
delay per device.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import string
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from onboarding.ratelimit import Limit, RateLimited, hit, peek, window_remaining

RECOVERY_CODES = 10
RECOVERY_CODE_DIGITS = 12  # about 40 bits each; digits only: easy to type, no words in them
APP_DEVICE_NAME = "authenticator-app"
RECOVERY_DEVICE_NAME = "herstelcodes"
_TOTP_CODE = re.compile(r"[0-9]{6}")

__all__ = [
    "RateLimited",
    "code_guess_not_locked",
    "confirm_setup",
    "has_two_factor",
    "pending_app_device",
    "qr_svg",
    "required",
    "secret_for_display",
    "verify_code",
]


def required() -> bool:
    return bool(settings.STAFF_TWO_FACTOR_REQUIRED)


def has_two_factor(user: AbstractBaseUser) -> bool:
    """The user has a confirmed authenticator app (recovery codes alone do not count)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _limit() -> Limit:
    return Limit(
        "staff-otp", settings.STAFF_OTP_FAILURES_ALLOWED, settings.STAFF_OTP_LOCKOUT_SECONDS
    )


def _subject(user: AbstractBaseUser) -> str:
    joined = f"{user.pk}\x1f{user.get_username()}".casefold()
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def code_guess_not_locked(user: AbstractBaseUser) -> None:
    """Raise :class:`RateLimited` when the user has typed too many wrong codes lately."""
    limit = _limit()
    if peek(limit, _subject(user)) >= limit.limit:
        raise RateLimited(window_remaining(limit))


def _count_wrong_code(user: AbstractBaseUser) -> None:
    # Over the limit: the next attempt is refused by code_guess_not_locked.
    with contextlib.suppress(RateLimited):
        hit(_limit(), _subject(user))


def pending_app_device(user: AbstractBaseUser) -> TOTPDevice:
    """The user's authenticator app being set up (created on first use, the same secret on a
    reload so that a code scanned a moment ago still fits)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def secret_for_display(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice, *, title: str) -> str:
    """The QR code of the device's ``otpauth://`` address as inline SVG: drawn here, no outside
    service, no script and no style attribute (the Content-Security-Policy allows neither)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title=title, svgclass="qr-code"
    )


def _recovery_code() -> str:
    return "".join(secrets.choice(string.digits) for _ in range(RECOVERY_CODE_DIGITS))


def recovery_code_for_display(code: str) -> str:
    """``123456789012`` as ``1234 5678 9012`` (the code page ignores the spaces)."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def confirm_setup(request: HttpRequest, code: str) -> list[str] | None:
    """Confirm the pending app with one of its codes: the app becomes the user's second factor,
    this session counts as verified, and ten fresh recovery codes replace any old ones. Returns
    the recovery codes (shown once, never stored elsewhere) or ``None`` for a wrong code."""
    user = request.user
    code_guess_not_locked(user)
    code = re.sub(r"\s+", "", code)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None or not _TOTP_CODE.fullmatch(code) or not device.verify_token(code):
            ok = False
        else:
            ok = True
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            StaticDevice.objects.filter(user=user).delete()
            recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
            codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
            StaticToken.objects.bulk_create(
                StaticToken(device=recovery, token=token) for token in codes
            )
    if not ok:
        _count_wrong_code(user)
        return None
    otp_login(request, device)
    return codes


def verify_code(request: HttpRequest, code: str) -> bool:
    """Verify this session with a code of the user's app or one of their recovery codes (a
    recovery code is used up by it)."""
    user = request.user
    code_guess_not_locked(user)
    code = re.sub(r"[\s-]+", "", code).lower()
    model = TOTPDevice if _TOTP_CODE.fullmatch(code) else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        verified = otp_verify_token(user, device.persistent_id, code)
        if verified is not None:
            otp_login(request, verified)
            return True
    _count_wrong_code(user)
    return False
