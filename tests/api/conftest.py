"""API fixtures: clients (DOT applications) with their secrets, tokens fetched from the real token
endpoint, and deliveries with records made with the ORM."""

from __future__ import annotations

import base64
import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_application_model

from api.models import ClientProfile
from deliveries.bsn import bsn_encrypt, bsn_hash
from deliveries.models import (
    Delivery,
    DeliveryStatus,
    DeliveryVersion,
    EmployeeRecord,
    EmploymentRecord,
    LeaveRecord,
    WageRecord,
)
from deliveries.periods import Period
from employers.models import EmployerLink, EmployerRequest, LinkStatus, LinkTaxNumber
from tests.employers.conftest import make_processor
from tests.onboarding.conftest import flush_rate_limits

Application = get_application_model()
TOKEN_URL = "/api/oauth/token/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    flush_rate_limits()
    yield
    cache.clear()
    flush_rate_limits()


@dataclass
class ApiClientApp:
    application: object
    client_id: str
    secret: str

    def basic(self) -> str:
        raw = f"{self.client_id}:{self.secret}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


def make_app(name: str = "a.s.r. pensioenadministratie", *, bsn_allowed: bool = False):
    secret = "geheim-" + uuid.uuid4().hex + uuid.uuid4().hex
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )
    ClientProfile.objects.create(application=application, bsn_allowed=bsn_allowed)
    return ApiClientApp(application=application, client_id=application.client_id, secret=secret)


def fetch_token(app: ApiClientApp, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = Client().post(TOKEN_URL, data, headers={"authorization": app.basic()})
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def app(db):
    return make_app()


@pytest.fixture
def bsn_app(db):
    return make_app("a.s.r. verzuim", bsn_allowed=True)


@pytest.fixture
def api(app):
    """A test client that sends a ``read`` token."""
    return Client(headers={"authorization": f"Bearer {fetch_token(app)}"})


@pytest.fixture
def bsn_api(bsn_app):
    return Client(headers={"authorization": f"Bearer {fetch_token(bsn_app, 'read bsn')}"})


def make_link(processor, n: int, *, status: str = LinkStatus.ACTIVE, **extra) -> EmployerLink:
    now = timezone.now()
    request = None
    if status == LinkStatus.ACTIVE:
        request = EmployerRequest.objects.create(
            company_name=f"Werkgever {n}",
            kvk_number=f"{10000000 + n}",
            contact_name="Contact",
            contact_email=f"contact{n}@example.nl",
            processor=processor,
            consent_at=now,
        )
    fields = {
        "processor": processor,
        "loket_employer_id": str(uuid.UUID(int=0x1000 + n)),
        "employer_name": f"Werkgever {n} B.V.",
        "kvk_number": f"{10000000 + n}",
        "request": request,
        "status": status,
        "activated_at": now if status == LinkStatus.ACTIVE else None,
        "checked_at": now,
    }
    if status == LinkStatus.ENDED:
        fields["ended_at"] = now
    fields.update(extra)
    link = EmployerLink.objects.create(**fields)
    LinkTaxNumber.objects.create(link=link, number=f"{100000000 + n}L01")
    return link


def make_delivery(link, period: Period, *, status: str = DeliveryStatus.DELIVERED) -> Delivery:
    return Delivery.objects.create(
        link=link,
        processor_id=link.processor_id,
        period_type=period.period_type,
        year=period.year,
        period=period.number,
        period_start=period.start,
        period_end=period.end,
        status=status,
        delivered_at=timezone.now() if status == DeliveryStatus.DELIVERED else None,
    )


def employee_uuid(i: int) -> uuid.UUID:
    return uuid.UUID(int=0x2000_0000 + i)


def employment_uuid(i: int) -> uuid.UUID:
    return uuid.UUID(int=0x3000_0000 + i)


def bsn_of(i: int) -> str:
    return f"{100000000 + i}"


def add_version(
    delivery: Delivery, *, employees: int = 3, number: int | None = None, gross: str = "3150.25"
) -> DeliveryVersion:
    number = number or delivery.current_version + 1
    version = DeliveryVersion.objects.create(
        delivery=delivery,
        number=number,
        content_hash=f"{number:064d}",
        employee_count=employees,
        employment_count=employees,
        wage_count=employees,
        leave_count=employees,
    )
    EmployeeRecord.objects.bulk_create(
        EmployeeRecord(
            version=version,
            loket_id=employee_uuid(i),
            number=i + 1,
            bsn_encrypted=bsn_encrypt(bsn_of(i)),
            bsn_hash=bsn_hash(bsn_of(i)),
            initials="J.",
            prefix="van" if i % 2 else "",
            last_name=f"Jansen{i}",
            birth_date=datetime.date(1980, 1, 1) + datetime.timedelta(days=i),
        )
        for i in range(employees)
    )
    EmploymentRecord.objects.bulk_create(
        EmploymentRecord(
            version=version,
            loket_id=employment_uuid(i),
            employee_loket_id=employee_uuid(i),
            income_relationship_number=1,
            start_date=datetime.date(2020, 1, 1),
            contract_type="onbepaalde tijd",
            hours_per_week=Decimal("32.00"),
        )
        for i in range(employees)
    )
    WageRecord.objects.bulk_create(
        WageRecord(
            version=version,
            employment_loket_id=employment_uuid(i),
            year=delivery.year,
            period=delivery.period,
            period_type=delivery.period_type,
            gross=Decimal(gross) + i,
            sv_wage=Decimal("3000.10"),
            tax_wage=None,
            holiday_allowance=Decimal("252.02"),
            hours_paid=Decimal("138.67"),
        )
        for i in range(employees)
    )
    LeaveRecord.objects.bulk_create(
        LeaveRecord(
            version=version,
            employment_loket_id=employment_uuid(i),
            year=delivery.year,
            kind="wettelijk",
            accrued=Decimal("160.00"),
            taken=Decimal("40.50"),
            balance=Decimal("119.50"),
        )
        for i in range(employees)
    )
    Delivery.objects.filter(pk=delivery.pk).update(current_version=number)
    delivery.refresh_from_db()
    return version


@pytest.fixture
def processor(db):
    return make_processor()


@pytest.fixture
def delivered(processor):
    """One active link with a delivered March 2026 (3 employees, version 1)."""
    link = make_link(processor, 1)
    delivery = make_delivery(link, Period(2026, 3, "maand"))
    add_version(delivery)
    return delivery
