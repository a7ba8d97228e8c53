"""Fixtures of the deliveries' tests: a confirmed processor (``ws-benefits`` on the sandbox over
HTTP) with active links to the sandbox's employers E1-E3, and what the sandbox holds for them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from deliveries import periods
from deliveries.models import Delivery
from employers.models import EmployerLink, EmployerRequest, LinkStatus, RequestStatus
from locket_client.sandbox.fixtures import sandbox_data
from tests.employers.conftest import E1, E2, E3, make_processor
from tests.onboarding.conftest import flush_rate_limits

__all__ = ["E1", "E2", "E3", "make_delivery", "make_links", "sandbox_set"]

NAMES = {
    E1: ("Bakkerij Van Dijk B.V.", "12345678"),
    E2: ("Installatiebedrijf De Vries B.V.", "23456789"),
    E3: ("Zorggroep Tilburg", "34567890"),
}


@pytest.fixture(autouse=True)
def _fresh_state():
    flush_rate_limits()
    cache.clear()
    yield
    cache.clear()


def make_links(processor, *employer_ids: str, activated_at: dt.datetime | None = None):
    """Active links of ``processor`` to ``employer_ids``, each with its verified request."""
    now = timezone.now()
    links = []
    for employer_id in employer_ids:
        name, kvk = NAMES.get(employer_id, (f"Werkgever {employer_id[-4:]}", "99999999"))
        request = EmployerRequest.objects.create(
            company_name=name,
            kvk_number=kvk,
            contact_name="Contact",
            contact_email="contact@werkgever.example",
            verified_email="contact@werkgever.example",
            processor=processor,
            status=RequestStatus.LINKED,
            consent_at=now,
            verified_at=now,
        )
        links.append(
            EmployerLink.objects.create(
                processor=processor,
                loket_employer_id=employer_id,
                employer_name=name,
                kvk_number=kvk,
                request=request,
                status=LinkStatus.ACTIVE,
                activated_at=activated_at or now,
            )
        )
    return links


def make_delivery(link, period: periods.Period, **fields) -> Delivery:
    return Delivery.objects.create(
        link=link,
        processor_id=link.processor_id,
        period_type=period.period_type,
        year=period.year,
        period=period.number,
        period_start=period.start,
        period_end=period.end,
        due_at=fields.pop("due_at", timezone.now()),
        **fields,
    )


def last_closed_month() -> periods.Period:
    return periods.last_closed(timezone.localdate(), periods.MONTH)


def sandbox_set():
    """The sandbox's data set of DEMO001 (E1-E3's werknemers, dienstverbanden, pay, leave)."""
    return sandbox_data().environments["DEMO001"].data


@pytest.fixture
def processor(db, loket_settings):
    return make_processor()


@pytest.fixture
def e1_link(processor):
    return make_links(processor, E1)[0]
