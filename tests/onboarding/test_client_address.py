"""Issue 13, point 6: ``X-Forwarded-For`` is believed only from ``TRUSTED_PROXIES``; the client is
the right-most address in it that is not a trusted proxy."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from onboarding.http import client_ip

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.2"


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.fixture
def behind_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = (
        ipaddress.ip_network(PROXY),
        ipaddress.ip_network("172.16.0.0/12"),
        ipaddress.ip_network("fd00::/8"),
    )
    return settings


def test_trusted_proxies_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(behind_proxy):
    # The attacker talks to gunicorn directly (BEHIND_TLS_PROXY on, but not through our proxy).
    spoofed = _request("198.51.100.66", forwarded="203.0.113.1")

    assert client_ip(spoofed) == "198.51.100.66"


def test_trusted_proxies_without_any_the_forwarded_header_is_never_read(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = ()

    assert client_ip(_request(PROXY, forwarded="203.0.113.1")) == PROXY


def test_trusted_proxies_from_a_trusted_peer_the_client_is_the_right_most_untrusted_entry(
    behind_proxy,
):
    # The client forged the first entry; our proxy appended the real one.
    forged_then_real = _request(PROXY, forwarded="198.51.100.1, 203.0.113.9")
    # Two proxies of ours in a row: the second's address is skipped too.
    through_two = _request(PROXY, forwarded="198.51.100.1, 203.0.113.9, 172.18.0.5")
    ipv6 = _request("fd00::1", forwarded="2001:db8::7")

    assert client_ip(forged_then_real) == "203.0.113.9"
    assert client_ip(through_two) == "203.0.113.9"
    assert client_ip(ipv6) == "2001:db8::7"


def test_trusted_proxies_garbage_where_the_client_should_be_falls_back_to_the_peer(behind_proxy):
    garbage = _request(PROXY, forwarded="1.2.3.4, nope")
    only_proxies = _request(PROXY, forwarded="172.18.0.9, 172.18.0.5")
    no_header = _request(PROXY)

    assert client_ip(garbage) == PROXY
    assert client_ip(only_proxies) == "172.18.0.9"
    assert client_ip(no_header) == PROXY


def test_trusted_proxies_not_behind_a_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = ()

    assert client_ip(_request("192.0.2.7", forwarded="203.0.113.9")) == "192.0.2.7"


def _settings_in_a_process(trusted: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXIES"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="on", TRUSTED_PROXIES=trusted)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(','.join(str(n) for n in settings.TRUSTED_PROXIES))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_trusted_proxies_setting_reads_addresses_and_networks_and_refuses_garbage():
    good = _settings_in_a_process("10.0.0.2, 172.16.0.0/12, ::1")
    bad = _settings_in_a_process("10.0.0.2,proxy.example")

    assert good.returncode == 0, good.stderr
    assert good.stdout.strip().splitlines()[-1] == "10.0.0.2/32,172.16.0.0/12,::1/128"
    assert bad.returncode != 0
    assert "TRUSTED_PROXIES" in bad.stderr
