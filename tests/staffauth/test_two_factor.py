"""Two-factor authentication of staff users: set-up with an authenticator app, a code at every
login, one-time recovery codes; the admin stays closed without it when it is required."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.middleware import CONTENT_SECURITY_POLICY
from tests.staffauth.conftest import (
    STAFF_PASSWORD,
    current_code,
    staff_user,
    step_back,
    with_two_factor,
)

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")
SETUP = reverse("staffauth:setup")
VERIFY = reverse("staffauth:verify")
PROCESSORS = reverse("admin:onboarding_payrollprocessor_changelist")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def required(settings):
    settings.STAFF_TWO_FACTOR_REQUIRED = True
    return settings


def _password_login(client: Client, user) -> None:
    response = client.post(
        ADMIN_LOGIN, {"username": user.username, "password": STAFF_PASSWORD, "next": ADMIN}
    )
    assert response.status_code == 302, response.text


def _codes_on(page) -> list[str]:
    block = page.text.split('id="recovery-codes"', 1)[1].split("</ul>", 1)[0]
    return [code.replace(" ", "") for code in re.findall(r"<code>([0-9 ]+)</code>", block)]


# --- required or not -----------------------------------------------------------------------------


def test_a_staff_user_without_an_app_is_sent_to_set_up_when_required(client, required):
    user = staff_user()
    _password_login(client, user)

    response = client.get(PROCESSORS)

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fbeheer%2Fonboarding%2Fpayrollprocessor%2F"


def test_the_admin_is_unreachable_without_a_code_when_required(client, required):
    user = staff_user()
    with_two_factor(user)
    _password_login(client, user)

    index = client.get(ADMIN)
    changelist = client.get(PROCESSORS)
    action = client.post(PROCESSORS, {"action": "delete_selected"})

    assert index.status_code == changelist.status_code == action.status_code == 302
    assert index["Location"].startswith(VERIFY)
    assert changelist["Location"].startswith(VERIFY)
    assert action["Location"] == VERIFY


def test_without_the_requirement_the_admin_opens_after_the_password_alone(client, settings):
    """The demo (DEBUG on): STAFF_TWO_FACTOR_REQUIRED is off unless set."""
    settings.STAFF_TWO_FACTOR_REQUIRED = False
    user = staff_user()
    _password_login(client, user)

    assert client.get(ADMIN).status_code == 200


def test_the_two_factor_pages_need_a_staff_login(client, required):
    anonymous = client.get(SETUP)
    client.force_login(staff_user(is_staff=False, is_superuser=False))
    not_staff = client.get(VERIFY)

    assert anonymous.status_code == not_staff.status_code == 302
    assert anonymous["Location"].startswith(ADMIN_LOGIN)
    assert not_staff["Location"].startswith(ADMIN_LOGIN)


# --- set-up --------------------------------------------------------------------------------------


def test_the_set_up_page_shows_the_qr_code_inline_and_the_secret_to_type(client, required):
    user = staff_user()
    client.force_login(user)

    page = client.get(SETUP)
    again = client.get(SETUP)

    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', page.text).group(1)
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "<script" not in page.text
    assert " style=" not in page.text
    assert page["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "no-store" in page["Cache-Control"]
    assert device.config_url.split("secret=")[1].startswith(secret.replace(" ", "")[:16])
    assert secret in again.text  # a reload keeps the secret the app may have scanned
    assert "Tweestapsverificatie instellen" in page.text


def test_set_up_with_a_valid_code_confirms_the_app_and_shows_ten_recovery_codes_once(
    client, required
):
    user = staff_user()
    _password_login(client, user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    done = client.post(SETUP, {"code": current_code(device), "next": PROCESSORS})
    codes = _codes_on(done)

    device.refresh_from_db()
    assert done.status_code == 200
    assert device.confirmed
    assert len(set(codes)) == 10
    stored = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert sorted(stored) == sorted(codes)
    assert "no-store" in done["Cache-Control"]
    assert client.get(PROCESSORS).status_code == 200  # this session is verified
    later = client.get(SETUP)
    assert later.status_code == 302  # the codes are never shown again
    assert codes[0] not in client.get(later["Location"]).text


def test_set_up_with_a_wrong_code_is_refused(client, required):
    user = staff_user()
    _password_login(client, user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    page = client.post(SETUP, {"code": wrong})

    device.refresh_from_db()
    assert page.status_code == 200
    assert "Deze code klopt niet" in page.text
    assert not device.confirmed
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert client.get(ADMIN).status_code == 302


# --- the code at login ---------------------------------------------------------------------------


def test_the_code_of_the_app_opens_the_admin_for_this_session(client, required):
    user = staff_user()
    device = with_two_factor(user)
    _password_login(client, user)

    response = client.post(VERIFY, {"code": current_code(device), "next": PROCESSORS})

    assert response.status_code == 302
    assert response["Location"] == PROCESSORS
    assert client.get(PROCESSORS).status_code == 200
    other = Client()
    _password_login(other, user)
    assert other.get(PROCESSORS).status_code == 302  # a new login asks for a code again


def test_a_wrong_code_keeps_the_admin_closed(client, required):
    user = staff_user()
    device = with_two_factor(user)
    _password_login(client, user)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    page = client.post(VERIFY, {"code": wrong})

    assert page.status_code == 200
    assert "Deze code klopt niet of is al gebruikt" in page.text
    assert client.get(ADMIN).status_code == 302


def test_a_recovery_code_works_once(client, required):
    user = staff_user()
    with_two_factor(user, recovery_codes=("482913570264", "119038475562"))
    _password_login(client, user)

    first = client.post(VERIFY, {"code": "4829 1357 0264"})
    assert first.status_code == 302
    assert client.get(ADMIN).status_code == 200
    client.post(reverse("admin:logout"))

    again = Client()
    _password_login(again, user)
    second = again.post(VERIFY, {"code": "482913570264"})

    assert second.status_code == 200
    assert "Deze code klopt niet of is al gebruikt" in second.text
    assert list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == [
        "119038475562"
    ]
    assert again.get(ADMIN).status_code == 302


def test_code_guesses_are_limited_even_before_a_right_code(client, required):
    required.STAFF_OTP_FAILURES_ALLOWED = 2
    user = staff_user()
    device = with_two_factor(user)
    _password_login(client, user)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    statuses = [client.post(VERIFY, {"code": wrong}).status_code for _ in range(2)]
    step_back(device)
    refused = client.post(VERIFY, {"code": current_code(device)})

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Te veel verkeerde codes" in refused.text
    assert client.get(ADMIN).status_code == 302


def test_set_up_code_guesses_are_limited_too(client, required):
    required.STAFF_OTP_FAILURES_ALLOWED = 1
    user = staff_user()
    client.force_login(user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    first = client.post(SETUP, {"code": wrong})
    refused = client.post(SETUP, {"code": current_code(device)})

    device.refresh_from_db()
    assert first.status_code == 200
    assert refused.status_code == 429
    assert not device.confirmed


def test_the_admin_logout_stays_reachable_before_the_code(client, required):
    user = staff_user()
    with_two_factor(user)
    _password_login(client, user)

    response = client.post(reverse("admin:logout"))

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


# --- production ----------------------------------------------------------------------------------


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    from tests.config.test_settings import _VARIABLES, PRODUCTION

    clean = {k: v for k, v in os.environ.items() if k not in _VARIABLES}
    clean.pop("STAFF_TWO_FACTOR_REQUIRED", None)
    probe = (
        "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "from django.conf import settings; print('REQUIRED', settings.STAFF_TWO_FACTOR_REQUIRED)"
    )
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**clean, **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_two_factor_is_required_with_debug_off_and_cannot_be_switched_off():
    default = _settings_with()
    switched_off = _settings_with(STAFF_TWO_FACTOR_REQUIRED="off")

    assert default.returncode == 0, default.stderr
    assert "REQUIRED True" in default.stdout
    assert switched_off.returncode != 0
    assert "STAFF_TWO_FACTOR_REQUIRED" in switched_off.stderr
