"""``diagnose`` for every sandbox user: each shortfall, with the manual step that fixes it."""

from __future__ import annotations

import pytest
from django.utils import translation

from locket_client.client import LoketClient
from locket_client.diagnose import Finding, ProblemCode, diagnose
from tests.conftest import demo_credentials


def _codes(diagnosis) -> list[ProblemCode]:
    return [f.code for f in diagnosis.findings]


def test_ws_benefits_passes_and_sees_three_employers(loket):
    diagnosis = diagnose(demo_credentials("ws-benefits"), client=loket)

    assert diagnosis.passed
    assert diagnosis.employer_count == 3
    assert diagnosis.access.party == "Benefits-Plaza"


def test_ws_groot_passes_and_sees_ten_thousand_employers(loket):
    diagnosis = diagnose(demo_credentials("ws-groot"), client=loket)

    assert diagnosis.passed
    assert diagnosis.employer_count == 10_000


def test_another_party_is_told_to_choose_benefits_plaza(loket):
    diagnosis = diagnose(demo_credentials("ws-andere-partij"), client=loket)

    assert _codes(diagnosis) == [ProblemCode.VERKEERDE_WEBSERVICEPARTIJ]
    finding = diagnosis.findings[0]
    assert finding.detail == "Andere Partij B.V."
    assert finding.manual_step() == "Handleiding: stap 1"
    assert "Benefits-Plaza" in finding.message()
    assert diagnosis.employer_count == 1
    assert not diagnosis.temporary


def test_missing_functions_and_entity_are_named_with_step_3(loket):
    diagnosis = diagnose(demo_credentials("ws-zonder-loon"), client=loket)

    assert _codes(diagnosis) == [ProblemCode.AUTORISATIE_ONTBREEKT]
    finding = diagnosis.findings[0]
    assert finding.message() == (
        "De webservicepartij is niet geautoriseerd voor functies WERKNEMERS, DIENSTVERBANDEN, "
        "LOONGEGEVENS en entiteit persoon. Vraag Loket.nl de webservicepartij hiervoor te "
        "autoriseren."
    )
    assert "functions WERKNEMERS, DIENSTVERBANDEN, LOONGEGEVENS and entity persoon" in (
        finding.message("en")
    )
    assert finding.manual_step() == "Handleiding: stap 3, Webservicepartij"
    assert diagnosis.employer_count == 2


def test_a_user_without_a_team_is_told_to_link_employers(loket):
    diagnosis = diagnose(demo_credentials("ws-zonder-team"), client=loket)

    assert _codes(diagnosis) == [ProblemCode.GEEN_WERKGEVERS]
    assert diagnosis.employer_count == 0
    assert diagnosis.findings[0].manual_step() == "Handleiding: stap 3, Ak gebruiker"


@pytest.mark.parametrize(
    ("credentials", "code", "step"),
    [
        (demo_credentials("ak-standaard"), ProblemCode.GEEN_WEBSERVICEGEBRUIKER, "stap 2"),
        (demo_credentials("ws-geblokkeerd"), ProblemCode.GEBRUIKER_GEBLOKKEERD, "stap 2"),
        (demo_credentials(wachtwoord="verkeerd"), ProblemCode.INLOG_ONGELDIG, "stap 4"),
        (demo_credentials("onbekend"), ProblemCode.INLOG_ONGELDIG, "stap 4"),
        (demo_credentials(omgevingscode="NERGENS"), ProblemCode.OMGEVING_ONBEKEND, "Omgevingscode"),
    ],
)
def test_a_login_fault_becomes_one_finding_with_its_step(loket, credentials, code, step):
    diagnosis = diagnose(credentials, client=loket)

    assert _codes(diagnosis) == [code]
    assert diagnosis.access is None
    assert step in diagnosis.findings[0].manual_step()
    assert not diagnosis.temporary
    assert not diagnosis.passed


def test_storing_is_a_temporary_finding(loket):
    diagnosis = diagnose(demo_credentials(omgevingscode="STORING"), client=loket)

    assert _codes(diagnosis) == [ProblemCode.TIJDELIJK_ONBEREIKBAAR]
    assert diagnosis.temporary
    assert "opnieuw" in diagnosis.findings[0].message()


def test_a_timeout_is_a_temporary_finding(sandbox):
    quick = LoketClient(endpoint=sandbox.url, timeout=0.3)

    diagnosis = diagnose(demo_credentials(omgevingscode="TRAAG"), client=quick)

    assert diagnosis.temporary
    assert diagnosis.findings[0].detail == "TIMEOUT"


def test_messages_are_english_when_the_language_is_english(loket):
    finding = diagnose(demo_credentials("ws-zonder-team"), client=loket).findings[0]

    assert "team" in finding.message("en")
    assert finding.manual_step("en") == "Manual: step 3, AK user"
    with translation.override("en"):
        assert finding.message() == finding.message("en")
    with translation.override("nl"):
        assert finding.message().startswith("De webservicegebruiker ziet geen enkele werkgever")


def test_a_finding_survives_a_json_round_trip():
    finding = Finding(ProblemCode.AUTORISATIE_ONTBREEKT, detail="VERLOF|verlof")

    assert Finding.from_dict(finding.as_dict()) == finding


def test_diagnose_uses_the_configured_client_by_default(loket_settings):
    from locket_client import client as client_module

    client_module._clients.clear()

    assert diagnose(demo_credentials()).passed
