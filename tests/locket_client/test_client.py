"""Contract tests: the zeep client against the sandbox over real HTTP."""

from __future__ import annotations

import dataclasses
import pickle
import socket
from datetime import date
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from locket_client import client as client_module
from locket_client.client import LoketClient, get_client
from locket_client.errors import (
    GebruikerGeblokkeerd,
    GeenWebservicegebruiker,
    InlogOngeldig,
    LoketTimeout,
    LoketTransportError,
    NietGeautoriseerd,
    NietGevonden,
    OmgevingOnbekend,
    OngeldigeInvoer,
    Storing,
)
from locket_client.types import Credentials
from tests.conftest import TRAAG_DELAY, demo_credentials

E1 = "00000000-0000-4000-8000-000000001001"
E2 = "00000000-0000-4000-8000-000000001002"
E3 = "00000000-0000-4000-8000-000000001003"
E4 = "00000000-0000-4000-8000-000000001004"
ALL_FUNCTIONS = {"WERKGEVERS", "WERKNEMERS", "DIENSTVERBANDEN", "LOONGEGEVENS", "VERLOF"}


def test_check_access_returns_the_users_party_functions_and_entities(loket):
    access = loket.check_access(demo_credentials("ws-benefits"))

    assert access.username == "ws-benefits"
    assert access.party == "Benefits-Plaza"
    assert access.functions == ALL_FUNCTIONS
    assert access.entities == {"werkgever", "persoon", "verlof"}
    assert access.has_required_party
    assert access.missing_functions == ()


def test_check_access_reports_a_partial_authorisation(loket):
    access = loket.check_access(demo_credentials("ws-zonder-loon"))

    assert access.functions == {"WERKGEVERS"}
    assert access.missing_functions == ("WERKNEMERS", "DIENSTVERBANDEN", "LOONGEGEVENS")
    assert access.missing_entities == ("persoon",)


def test_employers_returns_the_team_of_ws_benefits_as_dataclasses(loket):
    employers = {e.id: e for e in loket.employers(demo_credentials("ws-benefits"))}

    assert set(employers) == {E1, E2, E3}
    assert employers[E1].name == "Bakkerij Van Dijk B.V."
    assert employers[E1].number == 1001
    assert employers[E1].kvk_number == "12345678"
    assert employers[E1].payroll_tax_numbers == ("144068989L01",)
    assert employers[E2].payroll_tax_numbers == ("173718528L01", "173718528L02")
    assert employers[E3].active is True
    assert type(employers[E1]).__module__ == "locket_client.types"


def test_employers_survive_the_cache_unchanged(loket):
    """The processor's view is cached (pickled); an employer comes back equal, field by field."""
    employers = tuple(loket.employers(demo_credentials("ws-benefits")))

    restored = pickle.loads(pickle.dumps(employers, pickle.HIGHEST_PROTOCOL))

    assert restored == employers
    assert [dataclasses.astuple(e) for e in restored] == [dataclasses.astuple(e) for e in employers]


def test_employers_accepts_a_reference_date(loket):
    employers = loket.employers(demo_credentials(), reference_date=date(2025, 1, 1))

    assert {e.id for e in employers} == {E1, E2, E3}


def test_employers_is_empty_without_a_team(loket):
    assert loket.employers(demo_credentials("ws-zonder-team")) == []


def test_employers_of_ws_groot_are_ten_thousand(loket):
    employers = loket.employers(demo_credentials("ws-groot"))

    assert len(employers) == 10_000
    assert len({e.id for e in employers}) == 10_000
    assert all(len(e.payroll_tax_numbers) == 1 for e in employers)


def test_employees_employments_wages_and_leave_of_an_employer_hang_together(loket):
    creds = demo_credentials()
    employees = loket.employees(creds, employer_id=E1)
    employments = loket.employments(creds, employer_id=E1)
    last_year = timezone.localdate().year - 1
    wages = loket.wages(creds, employer_id=E1, year=last_year)
    leave = loket.leave(creds, employer_id=E1, year=last_year)

    assert employees
    assert all(e.employer_id == E1 for e in employees)
    assert {m.employee_id for m in employments} <= {e.id for e in employees}
    assert wages
    assert {w.employment_id for w in wages} <= {m.id for m in employments}
    assert all(w.year == last_year and w.period_type == "maand" for w in wages)
    assert {w.period for w in wages} == set(range(1, 13))
    assert all(isinstance(w.gross, Decimal) and w.gross > 0 for w in wages)
    assert leave
    assert all(entry.balance == entry.accrued - entry.taken for entry in leave)


def test_employments_of_one_employee(loket):
    creds = demo_credentials()
    employee = loket.employees(creds, employer_id=E2)[0]

    employments = loket.employments(creds, employer_id=E2, employee_id=employee.id)

    assert employments
    assert {m.employee_id for m in employments} == {employee.id}


def test_wages_of_one_period(loket):
    wages = loket.wages(
        demo_credentials(), employer_id=E3, year=timezone.localdate().year - 1, period=6
    )

    assert wages
    assert {w.period for w in wages} == {6}


@pytest.mark.parametrize(
    ("credentials", "error"),
    [
        (demo_credentials(omgevingscode="ONBEKEND01"), OmgevingOnbekend),
        (demo_credentials(wachtwoord="not-the-password"), InlogOngeldig),
        (demo_credentials("niemand"), InlogOngeldig),
        (demo_credentials("ak-standaard"), GeenWebservicegebruiker),
        (demo_credentials("ws-geblokkeerd"), GebruikerGeblokkeerd),
        (demo_credentials(omgevingscode="STORING"), Storing),
    ],
)
def test_each_login_fault_becomes_its_typed_error(loket, credentials, error):
    with pytest.raises(error) as caught:
        loket.check_access(credentials)

    assert caught.value.code == error.code
    assert caught.value.retryable is (error is Storing)


def test_not_authorised_names_the_function_and_entity(loket):
    with pytest.raises(NietGeautoriseerd) as caught:
        loket.employees(demo_credentials("ws-zonder-loon"), employer_id=E1)

    assert caught.value.function == "WERKNEMERS"
    assert caught.value.entity == "persoon"
    assert caught.value.retryable is False


def test_an_employer_outside_the_team_is_not_found(loket):
    with pytest.raises(NietGevonden):
        loket.employees(demo_credentials("ws-benefits"), employer_id=E4)


def test_a_malformed_guid_is_invalid_input(loket):
    with pytest.raises(OngeldigeInvoer):
        loket.employments(demo_credentials(), employer_id="not-a-guid")


def test_storing_is_retryable_for_every_operation(loket):
    creds = demo_credentials(omgevingscode="STORING")
    with pytest.raises(Storing):
        loket.employers(creds)
    with pytest.raises(Storing):
        loket.leave(creds, employer_id=E1, year=2025)


def test_traag_ends_at_the_timeout_with_a_retryable_timeout_error(sandbox):
    # How soon it ends is measured by bench/sandbox_timing.py, not asserted here.
    quick = LoketClient(endpoint=sandbox.url, timeout=0.5)

    with pytest.raises(LoketTimeout) as caught:
        quick.check_access(demo_credentials(omgevingscode="TRAAG"))

    assert caught.value.retryable is True


def test_traag_answers_like_demo001_given_enough_time(sandbox):
    patient = LoketClient(endpoint=sandbox.url, timeout=TRAAG_DELAY + 5)

    access = patient.check_access(demo_credentials(omgevingscode="TRAAG"))

    assert access.party == "Benefits-Plaza"


def test_a_refused_connection_is_a_retryable_transport_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = LoketClient(endpoint=f"http://127.0.0.1:{port}/loket/soap", timeout=2)

    with pytest.raises(LoketTransportError) as caught:
        dead.check_access(demo_credentials())

    assert caught.value.retryable is True


class _RecordingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def request(self, method, url, *args, **kwargs):
        self.urls.append(url)
        return super().request(method, url, *args, **kwargs)


def test_building_the_client_fetches_nothing_over_the_network(sandbox):
    session = _RecordingSession()

    built = LoketClient(endpoint=sandbox.url, timeout=5, session=session)

    assert session.urls == []
    built.check_access(demo_credentials())
    assert session.urls == [sandbox.url]


def test_get_client_builds_once_per_process(loket_settings):
    client_module._clients.clear()

    first = get_client()

    assert get_client() is first
    assert first.endpoint == loket_settings.LOKET_ENDPOINT
    assert first.timeout == loket_settings.LOKET_TIMEOUT


def test_credentials_never_show_the_password():
    creds = Credentials(
        omgevingscode="DEMO001", gebruikersnaam="ws-benefits", wachtwoord="Geheim!9"
    )

    assert "Geheim!9" not in repr(creds)
    assert "Geheim!9" not in str(creds)
    assert "Geheim!9" not in f"{creds}"


@pytest.mark.parametrize("bad", ["", "met\nregeleinde", "nul\x00byte", "tab\tteken"])
def test_credentials_refuse_empty_values_and_control_characters(bad):
    with pytest.raises(ValueError, match="wachtwoord") as caught:
        Credentials(omgevingscode="DEMO001", gebruikersnaam="ws-benefits", wachtwoord=bad)

    assert bad not in str(caught.value) or bad == ""
