"""Demo data for the embedded default (``make run``): payroll processors in different states and an
a.s.r. staff account, so that a newcomer sees the whole flow, and the links to see it by.

The demo rows use sandbox users the README's tour does NOT ask the reader to register
(``ws-benefits``, ``ws-zonder-team`` and ``ws-andere-partij`` stay free), with the findings the
real check gives them (tests/onboarding/test_seed_demo.py compares them with the sandbox):

- "Salarisbureau Groot & Co" (``ws-groot``): confirmed by a.s.r., with a portal account that has
  no password yet. Its activation link is printed at every start until the reader has set a
  password (then its login page): so "E-mail opnieuw versturen" in the admin and the login work.
- "Loonadministratie Noord" (``ws-zonder-loon``) and "Administratiekantoor Zuid"
  (``ws-geblokkeerd``): check failed, each with the finding its user gives.

Idempotent: a row that exists (found by its e-mail address) keeps what the reader did with it;
only a row still holding another sandbox user than the one above (from an older seed) is set back
to the definition. Only with DEBUG on and the sandbox enabled: demo rows never reach a real
database. Prints the links of the demo: status pages, the activation or login link, the admin.

The sandbox's employers E1-E4 are registered in a.s.r.'s customer register (``CUSTOMERS``: KvK
number, name, policy numbers and the contact address on file), so the employers' request form
can be tried with E1's KvK number and policy number, which the output names. As with the
processors, a customer or policy that exists keeps what the reader did with it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, Policy
from onboarding.crypto import encrypt_secret
from onboarding.emails import activation_path
from onboarding.models import PayrollProcessor, Status, StatusChange

DEMO_PASSWORD = "Demo#Loket2026"  # noqa: S105 - the sandbox's published demo password
STAFF_USERNAME = "beheer"
ACTOR_LABEL = "demogegevens"


@dataclass(frozen=True)
class DemoProcessor:
    company: str
    email: str
    username: str
    status: str
    employer_count: int | None
    findings: list[dict[str, object]] = field(default_factory=list)


PROCESSORS = [
    DemoProcessor(
        "Salarisbureau Groot & Co", "groot@demo.example", "ws-groot", Status.CONFIRMED, 10_000
    ),
    DemoProcessor(
        "Loonadministratie Noord",
        "noord@demo.example",
        "ws-zonder-loon",
        Status.CHECK_FAILED,
        2,
        [
            {
                "code": "AUTORISATIE_ONTBREEKT",
                "detail": "WERKNEMERS,DIENSTVERBANDEN,LOONGEGEVENS|persoon",
                "retryable": False,
            }
        ],
    ),
    DemoProcessor(
        "Administratiekantoor Zuid",
        "zuid@demo.example",
        "ws-geblokkeerd",
        Status.CHECK_FAILED,
        None,
        [{"code": "GEBRUIKER_GEBLOKKEERD", "detail": "", "retryable": False}],
    ),
]


@dataclass(frozen=True)
class DemoCustomer:
    """An employer of the sandbox (E1-E4) as a.s.r.'s customer register knows it."""

    kvk_number: str
    name: str
    policies: tuple[tuple[str, str], ...]  # (policy number, contact e-mail address)


CUSTOMERS = [
    DemoCustomer(
        "12345678",
        "Bakkerij Van Dijk B.V.",
        (("ASR-100001", "j.vandijk@bakkerij-vandijk.example"),),
    ),
    DemoCustomer(
        "23456789",
        "Installatiebedrijf De Vries B.V.",
        (
            ("ASR-100002", "administratie@devries-installatie.example"),
            ("ASR-100012", "p.devries@devries-installatie.example"),
        ),
    ),
    DemoCustomer(
        "34567890",
        "Zorggroep Tilburg",
        (("ASR-100003", "salarisadministratie@zorggroep-tilburg.example"),),
    ),
    DemoCustomer(
        "45678901",
        "Transport Jansen B.V.",
        (("ASR-100004", "m.jansen@transport-jansen.example"),),
    ),
]

# The sandbox users the README's tour has the reader register: never seeded.
TOUR_USERNAMES = frozenset({"ws-benefits", "ws-zonder-team", "ws-andere-partij"})


def url(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{path}"


class Command(BaseCommand):
    help = "Vul de lokale database met demogegevens (alleen met DEBUG en de sandbox)."

    def handle(self, *args: object, **options: object) -> None:
        if not (settings.DEBUG and settings.LOKET_SANDBOX_ENABLED):
            raise CommandError("seed_demo draait alleen met DEBUG=on en LOKET_SANDBOX_ENABLED=on.")
        with transaction.atomic():
            created = sum(self._processor(demo) for demo in PROCESSORS)
            staff_password = self._staff()
            registered = self._register()
        self.stdout.write(f"Demogegevens: {created} salarisverwerker(s) aangemaakt.")
        self.stdout.write(
            f"Klantregister: {registered} polis(sen) van werkgevers E1-E4 toegevoegd."
        )
        self._links(staff_password)

    def _processor(self, demo: DemoProcessor) -> bool:
        """Create (True) or, when it holds another sandbox user than ``demo``, reset the row."""
        existing = PayrollProcessor.objects.filter(email=demo.email).first()
        if (
            existing is not None
            and existing.loket_username == demo.username
            # An older seed left Groot & Co active without a portal account.
            and (existing.user_id is not None or demo.status != Status.CONFIRMED)
        ):
            return False
        now = timezone.now()
        confirmed = demo.status == Status.CONFIRMED
        values = {
            "company_name": demo.company,
            "omgevingscode": "DEMO001",
            "loket_username": demo.username,
            "loket_password_encrypted": encrypt_secret(DEMO_PASSWORD),
            "status": demo.status,
            "checked_at": now,
            "check_findings": demo.findings,
            "check_employer_count": demo.employer_count,
            "check_requested_at": None,
            "check_retry_at": None,
            "consent_at": now,
            "confirmed_at": now if confirmed else None,
            "activated_at": None,
        }
        if existing is None:
            processor = PayrollProcessor.objects.create(email=demo.email, **values)
        else:
            processor = existing
            for name, value in values.items():
                setattr(processor, name, value)
            processor.save()
        if confirmed and processor.user is None:
            user = get_user_model()(username=f"salarisverwerker-{processor.pk}", email=demo.email)
            user.set_unusable_password()
            user.save()
            processor.user = user
            processor.save(update_fields=["user", "updated_at"])
        StatusChange.objects.create(
            processor=processor,
            from_status="" if existing is None else existing.status,
            to_status=demo.status,
            actor_label=ACTOR_LABEL,
        )
        return existing is None

    def _register(self) -> int:
        """E1-E4 in a.s.r.'s customer register; what exists (perhaps changed by the reader in
        the admin) is kept. The number of policies added."""
        added = 0
        for demo in CUSTOMERS:
            customer, _ = Customer.objects.get_or_create(
                kvk_number=demo.kvk_number, defaults={"name": demo.name}
            )
            for number, email in demo.policies:
                _, created = Policy.objects.get_or_create(
                    number=number, defaults={"customer": customer, "contact_email": email}
                )
                added += created
        return added

    def _staff(self) -> str | None:
        """The staff account; its password once, when it is created (else ``None``)."""
        user_model = get_user_model()
        if user_model.objects.filter(username=STAFF_USERNAME).exists():
            return None
        password = secrets.token_urlsafe(12)
        user = user_model.objects.create_superuser(STAFF_USERNAME, "beheer@demo.example", password)
        user.user_permissions.add(Permission.objects.get(codename="confirm_payrollprocessor"))
        return password

    def _links(self, staff_password: str | None) -> None:
        write = self.stdout.write
        write("Demo, klaar om te openen:")
        for demo in PROCESSORS:
            processor = PayrollProcessor.objects.select_related("user").get(email=demo.email)
            status_url = url(reverse("onboarding:status", kwargs={"token": processor.status_token}))
            write(
                f"  {processor.company_name} ({processor.loket_username}, "
                f"{processor.get_status_display().lower()}): statuspagina {status_url}"
            )
            user = processor.user
            if user is None:
                continue
            if user.has_usable_password():
                write(f"    inloggen met {processor.email}: {url(reverse('onboarding:login'))}")
            else:
                # A fresh one-time link at every start, until a password is set.
                write(
                    f"    wachtwoord instellen (daarna inloggen met {processor.email}): "
                    f"{url(activation_path(processor))}"
                )
        first = CUSTOMERS[0]
        write(
            f"  Salariskoppeling aanvragen als werkgever: {url(reverse('employers:request_form'))}"
            f"  met KvK-nummer {first.kvk_number} en polisnummer {first.policies[0][0]} "
            f"({first.name}; de bevestiging gaat naar {first.policies[0][1]})"
        )
        admin_url = url(reverse("admin:index"))
        if staff_password is None:
            write(f"  Beheer: {admin_url}  gebruiker '{STAFF_USERNAME}' (wachtwoord ongewijzigd)")
        else:
            # Shown once, on the developer's own terminal, for a local demo account.
            write(
                f"  Beheer: {admin_url}  gebruiker '{STAFF_USERNAME}', wachtwoord "
                f"{staff_password}  (alleen lokaal, alleen nu getoond; verander het met "
                "manage.py changepassword beheer)"
            )
