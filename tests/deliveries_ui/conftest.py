"""Deliveries as the pages meet them, made with the ORM: processors, active links, deliveries of
a period in each state, with a version's counts."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.cache import cache
from django.utils import timezone

from deliveries import periods
from deliveries.models import Delivery, DeliveryFeed, DeliveryStatus, DeliveryVersion
from employers.models import (
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    VerificationMethod,
)
from tests.employers.conftest import make_processor
from tests.onboarding.conftest import flush_rate_limits

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_state():
    flush_rate_limits()
    cache.clear()
    yield
    cache.clear()


def make_request(processor, *, name: str = "Bakkerij Van Dijk B.V.", status=RequestStatus.LINKED):
    """An employer's request as verified (by an a.s.r. reviewer) and, by default, linked."""
    now = timezone.now()
    return EmployerRequest.objects.create(
        company_name=name,
        kvk_number=f"{next(_numbers):08d}",
        contact_name="Jan van Dijk",
        contact_email="jan@bakkerij.example",
        processor=processor,
        status=status,
        verification_method=VerificationMethod.REVIEW,
        verified_at=now,
        verified_email="jan@bakkerij.example",
        consent_at=now,
    )


def make_link(processor, *, name: str = "", status: str = LinkStatus.ACTIVE, request=None):
    number = next(_numbers)
    now = timezone.now()
    if request is None and status in (LinkStatus.ACTIVE, LinkStatus.ENDED):
        request = make_request(processor, name=name or f"Werkgever {number}")
    return EmployerLink.objects.create(
        processor=processor,
        loket_employer_id=f"00000000-0000-4000-8000-{number:012d}",
        employer_name=name or f"Werkgever {number}",
        request=request,
        status=status,
        activated_at=now - dt.timedelta(days=90) if status != LinkStatus.AWAITING_REQUEST else None,
        checked_at=now,
        ended_at=now if status == LinkStatus.ENDED else None,
    )


def make_delivery(
    link,
    period: periods.Period,
    status: str = DeliveryStatus.DELIVERED,
    *,
    employees: int = 3,
    wages: int = 3,
    will_retry: bool = False,
) -> Delivery:
    delivered = status == DeliveryStatus.DELIVERED
    delivery = Delivery.objects.create(
        link=link,
        processor=link.processor,
        period_type=period.period_type,
        year=period.year,
        period=period.number,
        period_start=period.start,
        period_end=period.end,
        status=status,
        current_version=1 if delivered else 0,
        delivered_at=timezone.make_aware(dt.datetime.combine(period.end, dt.time(6, 0)))
        + dt.timedelta(days=2)
        if delivered
        else None,
        failure_code="STORING" if status == DeliveryStatus.FAILED else "",
        will_retry=will_retry,
    )
    if delivered:
        DeliveryVersion.objects.create(
            delivery=delivery,
            number=1,
            content_hash="0" * 64,
            employee_count=employees,
            employment_count=employees,
            wage_count=wages,
        )
    return delivery


def make_feed(link, first: periods.Period) -> DeliveryFeed:
    return DeliveryFeed.objects.create(
        link=link, period_type=first.period_type, first_year=first.year, first_period=first.number
    )


def month(year: int, number: int) -> periods.Period:
    return periods.Period(year, number, periods.MONTH)


@pytest.fixture
def processor(db):
    return make_processor("ws-benefits")
