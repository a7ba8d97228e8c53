"""Which addresses a webhook may go to, and the URL rules (no network: addresses and literals)."""

from __future__ import annotations

import ipaddress

import pytest

from webhooks.models import AttemptError
from webhooks.targets import Target, TargetRefused, address_refused, parse_url, resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_private_loopback_link_local_multicast_reserved_and_unspecified_are_refused(address):
    assert address_refused(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "145.97.39.155", "2a00:1450:4013::64"])
def test_public_addresses_are_allowed(address):
    assert not address_refused(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("url", "allow_private"),
    [
        ("http://ontvanger.asr.nl/hook", False),
        ("ftp://ontvanger.asr.nl/hook", True),
        ("https://user:pass@ontvanger.asr.nl/hook", False),
        ("https:///hook", False),
        ("https://ontvanger.asr.nl:99999/hook", False),
    ],
)
def test_urls_that_are_never_posted_to(url, allow_private):
    with pytest.raises(TargetRefused) as refused:
        parse_url(url, allow_private=allow_private)
    assert refused.value.code == AttemptError.INSECURE_URL
    assert "pass" not in str(refused.value)


def test_a_literal_private_address_is_refused_and_allowed_with_the_setting():
    with pytest.raises(TargetRefused) as refused:
        resolve("https://10.0.0.7/hook", allow_private=False)
    assert (refused.value.code, refused.value.detail) == (AttemptError.REFUSED_ADDRESS, "10.0.0.7")

    assert resolve("http://10.0.0.7:8080/hook", allow_private=True) == Target(
        scheme="http", hostname="10.0.0.7", port=8080, address="10.0.0.7"
    )


def test_the_host_header_names_the_host_not_the_address():
    target = Target(scheme="https", hostname="ontvanger.asr.nl", port=443, address="1.2.3.4")
    assert target.host_header == "ontvanger.asr.nl"
    assert Target("https", "ontvanger.asr.nl", 8443, "1.2.3.4").host_header == (
        "ontvanger.asr.nl:8443"
    )
