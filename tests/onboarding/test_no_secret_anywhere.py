"""Canary: a distinctive Loket.nl password, submitted through the public form, appears in no log
record (every logger at DEBUG), no e-mail, no admin page and not in clear text in the database.
(The task queue is covered by tests/integration: task arguments are ids only.)"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.urls import reverse

from onboarding.models import PayrollProcessor

CANARY = "Kanarie-Overal-5d2e!"


@pytest.mark.django_db
def test_the_password_is_nowhere_but_encrypted_in_its_column(
    everything_at_debug, loket_settings, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("onboarding:register"),
            {
                "company_name": "Canary Salarissen B.V.",
                "email": "canary@example.nl",
                "loket_username": "ws-benefits",
                "loket_password": CANARY,
                "omgevingscode": "DEMO001",
                "consent": "on",
            },
        )
    assert response.status_code == 302
    processor = PayrollProcessor.objects.get()
    assert processor.check_findings, "the check did not run"
    status_page = client.get(response["Location"]).content.decode()

    admin = get_user_model().objects.create_superuser("beheer", "b@asr.nl", "x" * 20)
    client.force_login(admin)
    pages = [
        client.get(reverse("admin:onboarding_payrollprocessor_changelist")),
        client.get(reverse("admin:onboarding_payrollprocessor_change", args=[processor.pk])),
        client.get(reverse("admin:onboarding_payrollprocessor_history", args=[processor.pk])),
    ]
    assert all(page.status_code == 200 for page in pages)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM onboarding_payrollprocessor")
        raw_row = repr(cursor.fetchall())

    logs = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in everything_at_debug.records
    )
    mails = "\n".join(
        f"{m.subject}\n{m.body}\n" + "".join(str(a[0]) for a in getattr(m, "alternatives", []))
        for m in mail.outbox
    )
    assert len(mail.outbox) >= 2  # received (to the processor) and the a.s.r. notice
    assert any(r.name.startswith("locket_client") for r in everything_at_debug.records)
    assert CANARY not in logs
    assert CANARY not in mails
    assert CANARY not in status_page
    assert all(CANARY not in page.content.decode() for page in pages)
    assert CANARY not in raw_row
    assert CANARY not in processor.loket_password_encrypted
