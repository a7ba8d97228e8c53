"""Issue 13, point 4: the employers' request form counts an IPv6 client per /64."""

from __future__ import annotations

import pytest
from django.urls import reverse

from employers.models import EmployerRequest

pytestmark = pytest.mark.django_db

FORM = reverse("employers:request_form")


def test_requests_from_many_addresses_of_one_ipv6_64_share_one_per_client_limit(
    client, processor, settings
):
    settings.CHECKS_PER_IP_PER_HOUR = 1
    valid = {
        "company_name": "Bakkerij Van Dijk B.V.",
        "kvk_number": "12345678",
        "policy_number": "ASR100001",
        "tax_numbers": "144068989L01",
        "contact_name": "Jan van Dijk",
        "contact_email": "jan@bakkerij.example",
        "contact_phone": "010 123 45 67",
        "processor": str(processor.pk),
        "consent": "on",
    }
    first = client.post(FORM, valid, REMOTE_ADDR="2001:db8:5:5::1")

    same_64 = client.post(FORM, valid, REMOTE_ADDR="2001:db8:5:5:9999::2")
    other_64 = client.post(FORM, valid, REMOTE_ADDR="2001:db8:5:6::1")

    assert first.status_code == 302
    assert same_64.status_code == 429
    assert other_64.status_code == 302
    assert EmployerRequest.objects.count() == 2
