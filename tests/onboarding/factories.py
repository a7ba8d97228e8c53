"""factory_boy factories for the onboarding models."""

from __future__ import annotations

import factory
from django.utils import timezone

from onboarding.crypto import encrypt_secret
from onboarding.models import PayrollProcessor, Status

DEMO_PASSWORD = "Demo#Loket2026"  # the sandbox's published demo password
PORTAL_PASSWORD = "Zonnebloem-Kade-2026!"  # a portal password that passes every validator


class PayrollProcessorFactory(factory.django.DjangoModelFactory):
    """A registration as the public form leaves it (status *submitted*).

    Traits: ``check_passed``, ``check_failed`` (one finding: no employers) and ``confirmed``
    (confirmed by a.s.r., which needs ``confirmed_at``).
    """

    class Meta:
        model = PayrollProcessor

    company_name = factory.Sequence(lambda n: f"Salarisbureau {n} B.V.")
    email = factory.Sequence(lambda n: f"salaris{n}@example.nl")
    omgevingscode = "DEMO001"
    loket_username = factory.Sequence(lambda n: f"ws-gebruiker-{n}")
    # Encrypted when built, under whatever CREDENTIALS_KEYS the test has set.
    loket_password_encrypted = factory.LazyFunction(lambda: encrypt_secret(DEMO_PASSWORD))
    status = Status.SUBMITTED
    consent_at = factory.LazyFunction(timezone.now)

    class Params:
        check_passed = factory.Trait(
            status=Status.CHECK_PASSED,
            checked_at=factory.LazyFunction(timezone.now),
            check_employer_count=3,
            check_findings=[],
        )
        check_failed = factory.Trait(
            status=Status.CHECK_FAILED,
            checked_at=factory.LazyFunction(timezone.now),
            check_findings=[{"code": "GEEN_WERKGEVERS", "detail": "", "retryable": False}],
        )
        confirmed = factory.Trait(
            status=Status.CONFIRMED,
            checked_at=factory.LazyFunction(timezone.now),
            check_employer_count=3,
            check_findings=[],
            confirmed_at=factory.LazyFunction(timezone.now),
        )


class UserFactory(factory.django.DjangoModelFactory):
    """A portal user (no password unless ``password=`` is given)."""

    class Meta:
        model = "auth.User"
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"gebruiker-{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.nl")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if extracted:
            self.set_password(extracted)
        else:
            self.set_unusable_password()
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def permissions(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        """``permissions=["onboarding.change_payrollprocessor", ...]`` as app_label.codename."""
        if not create or not extracted:
            return
        from django.contrib.auth.models import Permission

        for name in extracted:
            app_label, codename = name.split(".", 1)
            self.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


class StaffUserFactory(UserFactory):
    """An a.s.r. employee who may use the admin; give rights with ``permissions=[...]``."""

    username = factory.Sequence(lambda n: f"medewerker-{n}")
    is_staff = True


def logged_in_processor(client, **kwargs) -> PayrollProcessor:
    """An active processor with a portal password, logged in on ``client``."""
    processor = PayrollProcessorFactory(
        confirmed=True,
        status=Status.ACTIVE,
        activated_at=timezone.now(),
        user=UserFactory(password=PORTAL_PASSWORD),
        **kwargs,
    )
    client.force_login(processor.user)
    return processor
