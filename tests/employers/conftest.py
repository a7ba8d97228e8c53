from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from onboarding.crypto import encrypt_secret
from onboarding.models import PayrollProcessor, Status
from tests.onboarding.conftest import flush_rate_limits

DEMO_PASSWORD = "Demo#Loket2026"
E1 = "00000000-0000-4000-8000-000000001001"
E2 = "00000000-0000-4000-8000-000000001002"
E3 = "00000000-0000-4000-8000-000000001003"
E4 = "00000000-0000-4000-8000-000000001004"


@pytest.fixture(autouse=True)
def _fresh_state():
    flush_rate_limits()
    cache.clear()
    yield
    cache.clear()


def make_processor(username: str = "ws-benefits", *, status: str = Status.ACTIVE, n: int = 0):
    now = timezone.now()
    return PayrollProcessor.objects.create(
        company_name=f"Salarisbureau {username} {n}",
        email=f"{username}-{n}@example.nl",
        omgevingscode="DEMO001",
        loket_username=username,
        loket_password_encrypted=encrypt_secret(DEMO_PASSWORD),
        status=status,
        consent_at=now,
        confirmed_at=now,
        activated_at=now,
        checked_at=now,
    )


@pytest.fixture
def processor(db, loket_settings):
    return make_processor()


def submit_verified(**kwargs):
    """An employer's request as it is once verified (here by an a.s.r. reviewer): what the
    linking tests start from. The verification flow itself is tested in test_verification."""
    from employers import services
    from employers.models import VerificationMethod

    submitted = services.request_submit(**kwargs)
    return services.request_verify(
        request_id=submitted.pk,
        method=VerificationMethod.REVIEW,
        actor_label="test: goedgekeurd",
    )


REGISTER_POLICY = "ASR100001"
REGISTER_EMAIL = "jan@bakkerij-vandijk.example"


@pytest.fixture
def register(db):
    """a.s.r.'s customer register: E1 (Bakkerij Van Dijk, KvK 12345678) with one policy, whose
    contact address on file is :data:`REGISTER_EMAIL`."""
    from customers.models import Customer, Policy

    customer = Customer.objects.create(kvk_number="12345678", name="Bakkerij Van Dijk B.V.")
    return Policy.objects.create(
        number=REGISTER_POLICY, customer=customer, contact_email=REGISTER_EMAIL
    )
