"""What the rest of the portal asks of the register (it never writes to it)."""

from __future__ import annotations

from dataclasses import dataclass

from customers.models import Policy


@dataclass(frozen=True, slots=True)
class RegisterMatch:
    """The register's answer for a KvK number and a policy number that belong together."""

    kvk_number: str
    customer_name: str
    policy_number: str
    contact_email: str


def policy_match(*, kvk_number: str, policy_number: str) -> RegisterMatch | None:
    """The policy with this number, if it belongs to the customer with this KvK number (both
    normalised by the caller); else ``None``."""
    policy = (
        Policy.objects.select_related("customer")
        .filter(number=policy_number, customer__kvk_number=kvk_number)
        .first()
    )
    if policy is None:
        return None
    return RegisterMatch(
        kvk_number=policy.customer.kvk_number,
        customer_name=policy.customer.name,
        policy_number=policy.number,
        contact_email=policy.contact_email,
    )


def policies_of(kvk_number: str) -> list[RegisterMatch]:
    """Every policy of the customer with this KvK number (none when it is not a customer)."""
    return [
        RegisterMatch(
            kvk_number=policy.customer.kvk_number,
            customer_name=policy.customer.name,
            policy_number=policy.number,
            contact_email=policy.contact_email,
        )
        for policy in Policy.objects.select_related("customer")
        .filter(customer__kvk_number=kvk_number)
        .order_by("number")
    ]
