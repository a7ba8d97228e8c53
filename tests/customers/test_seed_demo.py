"""seed_demo registers the sandbox's employers E1-E4 in a.s.r.'s customer register, once, and
names E1's KvK number and policy number so that a person can try the request form."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from customers.models import Policy
from customers.selectors import policy_match

pytestmark = pytest.mark.django_db

E1_TO_E4 = [
    ("12345678", "Bakkerij Van Dijk B.V.", "ASR-100001", "j.vandijk@bakkerij-vandijk.example"),
    (
        "23456789",
        "Installatiebedrijf De Vries B.V.",
        "ASR-100002",
        "administratie@devries-installatie.example",
    ),
    (
        "23456789",
        "Installatiebedrijf De Vries B.V.",
        "ASR-100012",
        "p.devries@devries-installatie.example",
    ),
    (
        "34567890",
        "Zorggroep Tilburg",
        "ASR-100003",
        "salarisadministratie@zorggroep-tilburg.example",
    ),
    ("45678901", "Transport Jansen B.V.", "ASR-100004", "m.jansen@transport-jansen.example"),
]


def _seed() -> str:
    out = io.StringIO()
    with override_settings(DEBUG=True, LOKET_SANDBOX_ENABLED=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def _register() -> list[tuple[str, str, str, str]]:
    return list(
        Policy.objects.order_by("number").values_list(
            "customer__kvk_number", "customer__name", "number", "contact_email"
        )
    )


def test_seed_demo_registers_e1_to_e4_with_their_policies_and_contacts():
    output = _seed()

    assert sorted(_register(), key=lambda row: row[2]) == sorted(E1_TO_E4, key=lambda r: r[2])
    match = policy_match(kvk_number="12345678", policy_number="ASR-100001")
    assert match is not None
    assert match.contact_email == "j.vandijk@bakkerij-vandijk.example"
    assert "Klantregister: 5 polis(sen) van werkgevers E1-E4 toegevoegd." in output
    assert "met KvK-nummer 12345678 en polisnummer ASR-100001" in output
    assert "/salariskoppeling/aanvragen/" in output


def test_seeding_the_register_twice_changes_nothing():
    _seed()
    first = list(Policy.objects.order_by("number").values())

    output = _seed()

    assert list(Policy.objects.order_by("number").values()) == first
    assert "Klantregister: 0 polis(sen)" in output
    assert "met KvK-nummer 12345678 en polisnummer ASR-100001" in output
