"""Demo data for the embedded default (``make run``): a few payroll processors in different states
and an a.s.r. staff account, so that a newcomer sees the whole flow. Safe to re-run.

Only with DEBUG on and the sandbox enabled: demo rows never reach a real database.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from onboarding.crypto import encrypt_secret
from onboarding.models import PayrollProcessor, Status, StatusChange

DEMO_PASSWORD = "Demo#Loket2026"  # noqa: S105 - the sandbox's published demo password
STAFF_USERNAME = "beheer"

PROCESSORS = [
    # (company, e-mail, gebruikersnaam, status, findings, employer count)
    ("Salarisbureau Groot & Co", "groot@demo.example", "ws-groot", Status.ACTIVE, [], 10_000),
    (
        "Loonadministratie Noord",
        "noord@demo.example",
        "ws-zonder-team",
        Status.CHECK_FAILED,
        [{"code": "GEEN_WERKGEVERS", "detail": "", "retryable": False}],
        0,
    ),
    (
        "Administratiekantoor Zuid",
        "zuid@demo.example",
        "ws-andere-partij",
        Status.CHECK_FAILED,
        [
            {
                "code": "VERKEERDE_WEBSERVICEPARTIJ",
                "detail": "Andere Partij B.V.",
                "retryable": False,
            }
        ],
        1,
    ),
]


class Command(BaseCommand):
    help = "Vul de lokale database met demogegevens (alleen met DEBUG en de sandbox)."

    def handle(self, *args: object, **options: object) -> None:
        if not (settings.DEBUG and settings.LOKET_SANDBOX_ENABLED):
            raise CommandError("seed_demo draait alleen met DEBUG=on en LOKET_SANDBOX_ENABLED=on.")
        with transaction.atomic():
            created = sum(self._processor(row) for row in PROCESSORS)
            self._staff()
        self.stdout.write(f"Demogegevens: {created} salarisverwerker(s) aangemaakt.")

    def _processor(self, row: tuple) -> bool:
        company, email, username, status, findings, count = row
        if PayrollProcessor.objects.filter(email=email).exists():
            return False
        now = timezone.now()
        confirmed = status in (Status.ACTIVE, Status.CONFIRMED)
        processor = PayrollProcessor.objects.create(
            company_name=company,
            email=email,
            omgevingscode="DEMO001",
            loket_username=username,
            loket_password_encrypted=encrypt_secret(DEMO_PASSWORD),
            status=status,
            checked_at=now,
            check_findings=findings,
            check_employer_count=count,
            consent_at=now,
            confirmed_at=now if confirmed else None,
            activated_at=now if status == Status.ACTIVE else None,
        )
        StatusChange.objects.create(
            processor=processor, from_status="", to_status=status, actor_label="demogegevens"
        )
        return True

    def _staff(self) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(username=STAFF_USERNAME).exists():
            self.stdout.write(f"Beheerder '{STAFF_USERNAME}' bestaat al (wachtwoord ongewijzigd).")
            return
        password = secrets.token_urlsafe(12)
        user = user_model.objects.create_superuser(STAFF_USERNAME, "beheer@demo.example", password)
        user.user_permissions.add(Permission.objects.get(codename="confirm_payrollprocessor"))
        # Shown once, on the developer's own terminal, for a local demo account.
        self.stdout.write(
            f"Beheer: http://127.0.0.1:8000/beheer/  gebruiker '{STAFF_USERNAME}', "
            f"wachtwoord {password}  (alleen lokaal; verander het met manage.py changepassword)"
        )
