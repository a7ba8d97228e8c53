"""The production configuration passes Django's deployment checks and sends the security headers.

Each test starts a fresh Python process with a production-like environment (as ``make
deploy-check`` does): settings are read once per process, so a ``DEBUG=off`` configuration can
only be seen whole in a process of its own. Secrets are generated per run, never written down.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
HOST = "portal.example.nl"
ONE_YEAR = 365 * 24 * 3600

# Runs in the production-like process: the security settings as loaded, and the headers of real
# responses through Django's test client. Static files are served from the manifest that
# `collectstatic` writes at deploy time; this process has none, so it renders {% static %} with
# the plain storage (what is checked here are headers and cookies, not static files).
PROBE = """
import json

import django

django.setup()

from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

plain_static = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
with override_settings(STORAGES=plain_static):
    client = Client(HTTP_HOST="%(host)s")
    page = client.get("/aanmelden/", secure=True)
    plain_http = client.get("/aanmelden/")

csrf_cookie = page.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
    "settings": {
        name: getattr(settings, name, None)
        for name in (
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
        )
    },
    "page": {
        "status": page.status_code,
        "csp": page.get("Content-Security-Policy"),
        "hsts": page.get("Strict-Transport-Security"),
        "csrf_cookie_secure": bool(csrf_cookie and csrf_cookie["secure"]),
    },
    "plain_http": {"status": plain_http.status_code, "location": plain_http.get("Location")},
}))
"""


def production_env(tmp_path: Path) -> dict[str, str]:
    """What production sets, nothing inherited that could steer the settings (a DATABASE_URL or
    REDIS_URL of the test run, say)."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="off",
        SECRET_KEY=secrets.token_urlsafe(64),
        CREDENTIALS_KEYS=Fernet.generate_key().decode("ascii"),
        ALLOWED_HOSTS=HOST,
        LOKET_ENDPOINT="https://loket.example.nl/loket/soap",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result = _run(["-c", PROBE % {"host": HOST}], production_env(tmp_path_factory.mktemp("prod")))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_deploy_check_passes_with_a_production_like_environment(tmp_path) -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_turns_on_hsts_secure_cookies_and_the_https_redirect(production) -> None:
    values = production["settings"]
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= ONE_YEAR
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True


def test_a_page_over_https_carries_hsts_and_a_secure_csrf_cookie(production) -> None:
    page = production["page"]
    assert page["status"] == 200
    assert page["hsts"] is not None
    assert f"max-age={ONE_YEAR}" in page["hsts"]
    assert page["csrf_cookie_secure"] is True


def test_a_page_over_plain_http_is_redirected_to_https(production) -> None:
    plain = production["plain_http"]
    assert plain["status"] == 301
    assert plain["location"] == f"https://{HOST}/aanmelden/"


def test_pages_carry_a_content_security_policy_without_unsafe_inline(production) -> None:
    csp = production["page"]["csp"]
    assert csp, "no Content-Security-Policy header"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert "script-src" in directives or "default-src" in directives


def test_the_content_security_policy_check_is_registered_without_any_request():
    """``manage.py check --deploy`` loads no middleware: the check is registered when the
    settings load (config/__init__), not by an app."""
    from django.core.checks import registry

    from config.middleware import content_security_policy_check

    assert content_security_policy_check in registry.registry.get_checks(
        include_deployment_checks=True
    )
