"""mask_email: the address on file, shown to whoever filled in the public form, hidden."""

from __future__ import annotations

import pytest

from common.text import mask_email


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jan@bakkerij-vandijk.example", "j\u2026@bakkerij-vandijk.example"),
        ("j@example.nl", "j\u2026@example.nl"),
        ("  Info@Bakkerij.NL ", "I\u2026@Bakkerij.NL"),
        ('"a@b"@example.nl', '"\u2026@example.nl'),  # the domain is after the last @
        ("@example.nl", "\u2026@example.nl"),
    ],
)
def test_only_the_first_character_and_the_domain_are_shown(address, masked):
    assert mask_email(address) == masked


@pytest.mark.parametrize("address", ["", "geen-adres", "jan@"])
def test_something_that_is_not_an_address_shows_nothing_of_it(address):
    assert mask_email(address) == "\u2026"


def test_the_rest_of_the_local_part_never_appears():
    masked = mask_email("jan.van.dijk@bakkerij.example")

    assert "an.van" not in masked
    assert masked.startswith("j\u2026@")
