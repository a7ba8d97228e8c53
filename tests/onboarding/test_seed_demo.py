"""seed_demo (run by `make run`): demo data that leaves the README's tour free, the findings the
real check gives, a confirmed processor that can get its mail again and log in, the demo's links."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

from locket_client.diagnose import diagnose
from locket_client.types import Credentials
from onboarding import services
from onboarding.management.commands import seed_demo
from onboarding.models import PayrollProcessor, Status

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def _seed(**settings_overrides: object) -> str:
    out = io.StringIO()
    # As under `make run` (pytest-django turns DEBUG off; seed_demo refuses to run without it).
    with override_settings(DEBUG=True, LOKET_SANDBOX_ENABLED=True, **settings_overrides):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def _tour_usernames() -> set[str]:
    """Every sandbox user the README's tour names."""
    tour = README.read_text().split("## What a newcomer can try")[1].split("\n## ")[0]
    return set(re.findall(r"`((?:ws|ak)-[a-z-]+)`", tour))


def test_the_readme_tour_names_sandbox_users_to_register():
    assert {"ws-benefits", "ws-zonder-team", "ws-andere-partij"} <= _tour_usernames()


def test_every_user_the_readme_tour_registers_is_still_free_after_seeding():
    _seed()

    for n, username in enumerate(sorted(_tour_usernames())):
        processor = services.registration_submit(
            company_name=f"Lezer {n}",
            email=f"lezer{n}@example.nl",
            omgevingscode="DEMO001",
            loket_username=username,
            loket_password=seed_demo.DEMO_PASSWORD,
            client_ip="192.0.2.30",
        )
        assert processor.pk


def test_seeding_twice_gives_the_same_data():
    _seed()
    first = list(PayrollProcessor.objects.order_by("email").values())
    second_run = _seed()

    assert list(PayrollProcessor.objects.order_by("email").values()) == first
    assert "0 salarisverwerker(s) aangemaakt" in second_run


def test_the_seeded_findings_are_what_the_real_check_gives(loket_settings):
    for demo in seed_demo.PROCESSORS:
        diagnosis = diagnose(
            Credentials(
                omgevingscode="DEMO001",
                gebruikersnaam=demo.username,
                wachtwoord=seed_demo.DEMO_PASSWORD,
            )
        )
        assert [finding.as_dict() for finding in diagnosis.findings] == demo.findings
        assert diagnosis.employer_count == demo.employer_count
        assert diagnosis.passed is (demo.status == Status.CONFIRMED)


def test_the_confirmed_demo_processor_gets_its_mail_again_and_activates_from_the_printed_link(
    django_capture_on_commit_callbacks,
):
    output = _seed(PORTAL_BASE_URL="http://127.0.0.1:8123")
    groot = PayrollProcessor.objects.get(email="groot@demo.example")
    assert groot.user is not None

    with django_capture_on_commit_callbacks(execute=True):
        services.mail_resend(processor=groot)  # "E-mail opnieuw versturen" in the admin
    assert [message.to for message in mail.outbox] == [["groot@demo.example"]]
    assert "/account/activeren/" in mail.outbox[0].body

    link = re.search(r"http://127\.0\.0\.1:8123(/account/activeren/\S+)", output).group(1)
    client = Client()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    password = "een lang demowachtwoord 42"
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"new_password1": password, "new_password2": password},
    )
    groot.refresh_from_db()
    assert groot.status == Status.ACTIVE
    assert Client().login(username=groot.user.username, password=password)
    assert "inloggen met groot@demo.example: http://127.0.0.1:8123/account/inloggen/" in _seed(
        PORTAL_BASE_URL="http://127.0.0.1:8123"
    )


def test_the_start_prints_a_reachable_status_page_of_every_demo_row_and_no_password_of_theirs():
    output = _seed(PORTAL_BASE_URL="http://127.0.0.1:8123")

    for processor in PayrollProcessor.objects.all():
        path = f"/aanmelding/{processor.status_token}/"
        assert f"http://127.0.0.1:8123{path}" in output
        assert Client().get(path).status_code == 200
    assert seed_demo.DEMO_PASSWORD not in output


def test_an_older_seed_that_took_the_tour_users_is_set_right():
    """The seed before this change registered ws-zonder-team and ws-andere-partij, and left
    Groot & Co active without a portal account."""
    _seed()
    PayrollProcessor.objects.filter(email="noord@demo.example").update(
        loket_username="ws-zonder-team"
    )
    groot = PayrollProcessor.objects.get(email="groot@demo.example")
    user = groot.user
    PayrollProcessor.objects.filter(pk=groot.pk).update(user=None, status=Status.ACTIVE)
    user.delete()

    _seed()

    assert PayrollProcessor.objects.get(email="noord@demo.example").loket_username == (
        "ws-zonder-loon"
    )
    groot.refresh_from_db()
    assert groot.user is not None
    assert groot.status == Status.CONFIRMED
