"""One delivery against the Loket.nl sandbox over HTTP: stored once, versions for corrections,
failures that retry or wait, stops, leases and the call budget."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection
from django.utils import timezone

from deliveries import periods
from deliveries.bsn import bsn_decrypt, bsn_hash
from deliveries.models import (
    Delivery,
    DeliveryFeed,
    DeliveryStatus,
    DeliveryVersion,
    EmployeeRecord,
    EmploymentRecord,
    LeaveRecord,
    WageRecord,
)
from deliveries.services import Outcome, deliver, deliveries_plan, deliveries_rerun
from deliveries.services.delivering import claim
from deliveries.signals import delivery_completed, delivery_failed
from employers import services as employer_services
from employers.models import EmployerLink, LinkStatus
from locket_client.client import get_client
from onboarding.models import PayrollProcessor
from tests.conftest import DEMO_PASSWORD
from tests.deliveries.conftest import (
    E1,
    E2,
    last_closed_month,
    make_delivery,
    make_links,
    sandbox_set,
)

pytestmark = pytest.mark.django_db


def _only_delivery(link) -> Delivery:
    (delivery,) = Delivery.objects.filter(link=link)
    return delivery


def _planned(link) -> Delivery:
    deliveries_plan()
    return _only_delivery(link)


def _expected(employer_id: str, period: periods.Period):
    """What the sandbox holds for the period: the dienstverbanden that ran in it, their
    werknemers, the period's pay."""
    data = sandbox_set()
    employments = [
        d
        for d in data.dienstverbanden_by_werkgever[employer_id]
        if d.begindatum <= period.end and (d.einddatum is None or d.einddatum >= period.start)
    ]
    employee_ids = {d.werknemer_id for d in employments}
    employees = [
        w for w in data.werknemers_by_werkgever[employer_id] if w.werknemer_id in employee_ids
    ]
    wages = [
        lg
        for lg in data.loongegevens_by_werkgever[employer_id]
        if (lg.jaar, lg.periode) == (period.year, period.number)
    ]
    return employees, employments, wages


def test_a_delivery_stores_the_period_of_e1_keyed_by_loket_ids(e1_link):
    delivery = _planned(e1_link)
    period = last_closed_month()
    assert (delivery.year, delivery.period, delivery.period_type) == (
        period.year,
        period.number,
        "maand",
    )
    assert delivery.status == DeliveryStatus.PENDING

    assert deliver(delivery_id=delivery.pk) == Outcome.DELIVERED

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert (delivery.current_version, delivery.attempts) == (1, 1)
    assert delivery.due_at is None
    assert delivery.claimed_until is None
    assert delivery.delivered_at is not None
    employees, employments, wages = _expected(E1, period)
    assert len(employees) == 2  # the third werknemer of E1 left last year
    version = delivery.versions.get()
    assert (version.employee_count, version.employment_count, version.wage_count) == (2, 2, 2)
    assert version.leave_count == (4 if period.is_last_of_year else 0)
    stored = {str(e.loket_id): e for e in EmployeeRecord.objects.filter(version=version)}
    assert set(stored) == {w.werknemer_id for w in employees}
    for werknemer in employees:
        record = stored[werknemer.werknemer_id]
        assert (record.last_name, record.birth_date) == (
            werknemer.achternaam,
            werknemer.geboortedatum,
        )
        assert bsn_decrypt(record.bsn_encrypted) == werknemer.bsn
        assert record.bsn_hash == bsn_hash(werknemer.bsn)
    assert {str(e.loket_id) for e in EmploymentRecord.objects.filter(version=version)} == {
        d.dienstverband_id for d in employments
    }
    gross = {
        str(w.employment_loket_id): w.gross for w in WageRecord.objects.filter(version=version)
    }
    assert gross == {lg.dienstverband_id: lg.brutoloon for lg in wages}


def test_running_a_delivery_twice_stores_its_rows_once(e1_link):
    delivery = _planned(e1_link)
    assert deliver(delivery_id=delivery.pk) == Outcome.DELIVERED
    assert deliver(delivery_id=delivery.pk) == Outcome.NOT_CLAIMED  # done: not due any more

    assert deliveries_rerun(delivery_ids=[delivery.pk]) == 1
    assert deliver(delivery_id=delivery.pk) == Outcome.UNCHANGED

    delivery.refresh_from_db()
    assert (delivery.status, delivery.current_version, delivery.attempts) == ("delivered", 1, 2)
    assert DeliveryVersion.objects.count() == 1
    assert EmployeeRecord.objects.count() == 2
    assert WageRecord.objects.count() == 2


def test_a_changed_answer_becomes_version_2_and_version_1_stays(e1_link):
    delivery = _planned(e1_link)
    deliver(delivery_id=delivery.pk)
    first = delivery.versions.get()
    # Loket.nl's answer differs from what was stored (as after a correction in the payroll).
    DeliveryVersion.objects.filter(pk=first.pk).update(content_hash="0" * 64)
    WageRecord.objects.filter(version=first).update(gross=1)

    deliveries_rerun(delivery_ids=[delivery.pk])
    assert deliver(delivery_id=delivery.pk) == Outcome.DELIVERED

    delivery.refresh_from_db()
    assert delivery.current_version == 2
    second = delivery.versions.get(number=2)
    assert second.wage_count == 2
    assert set(WageRecord.objects.filter(version=first).values_list("gross", flat=True)) == {1}
    assert 1 not in set(WageRecord.objects.filter(version=second).values_list("gross", flat=True))
    assert EmployeeRecord.objects.filter(version=first).count() == 2
    assert EmployeeRecord.objects.filter(version=second).count() == 2


def test_storing_fails_with_a_retry_and_delivers_once_loket_is_back(e1_link, processor):
    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="STORING")
    delivery = _planned(e1_link)
    before = timezone.now()

    assert deliver(delivery_id=delivery.pk) == Outcome.FAILED

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert (delivery.failure_code, delivery.will_retry) == ("STORING", True)
    assert "storing" in delivery.failure_reason
    assert delivery.due_at >= before + dt.timedelta(seconds=59)  # the first backoff: a minute
    assert delivery.claimed_until is None
    assert delivery.current_version == 0
    assert not DeliveryVersion.objects.exists()
    assert deliver(delivery_id=delivery.pk) == Outcome.FAILED  # a copy before its time: still down

    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="DEMO001")
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
    assert deliver(delivery_id=delivery.pk) == Outcome.DELIVERED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.failure_code, delivery.will_retry) == ("delivered", "", False)
    assert delivery.attempts == 3


def test_a_slow_loket_times_out_and_the_delivery_is_retried(e1_link, processor, settings):
    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="TRAAG")
    settings.LOKET_TIMEOUT = 0.5  # the sandbox's TRAAG answers after 3 s
    delivery = _planned(e1_link)

    assert deliver(delivery_id=delivery.pk) == Outcome.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.failure_code, delivery.will_retry) == (
        "failed",
        "TIMEOUT",
        True,
    )
    assert delivery.due_at > timezone.now()

    settings.LOKET_TIMEOUT = 10.0
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
    assert deliver(delivery_id=delivery.pk) == Outcome.DELIVERED


def test_a_permanent_fault_fails_without_a_retry(e1_link, processor):
    from onboarding.crypto import encrypt_secret

    PayrollProcessor.objects.filter(pk=processor.pk).update(
        loket_password_encrypted=encrypt_secret("niet-het-wachtwoord")
    )
    delivery = _planned(e1_link)
    assert deliver(delivery_id=delivery.pk) == Outcome.FAILED
    delivery.refresh_from_db()
    assert (delivery.failure_code, delivery.will_retry, delivery.due_at) == (
        "INLOG_ONGELDIG",
        False,
        None,
    )
    assert deliver(delivery_id=delivery.pk) == Outcome.NOT_CLAIMED


def test_an_employer_out_of_sight_fails_without_a_retry(processor):
    (link,) = make_links(processor, "00000000-0000-4000-8000-000000001004")  # E4: not in the team
    delivery = _planned(link)
    assert deliver(delivery_id=delivery.pk) == Outcome.FAILED
    delivery.refresh_from_db()
    assert (delivery.failure_code, delivery.will_retry) == ("NIET_GEVONDEN", False)


def test_a_revoked_link_stops_its_delivery_before_any_call(e1_link, everything_at_debug):
    delivery = _planned(e1_link)
    employer_services.link_revoke(
        link_id=e1_link.pk, reason="Geen klant meer", actor=None, actor_label="test"
    )
    everything_at_debug.clear()

    assert deliver(delivery_id=delivery.pk) == Outcome.STOPPED

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.STOPPED
    assert delivery.due_at is None
    assert delivery.failure_code == "KOPPELING_NIET_ACTIEF"
    assert not any("POST" in r.getMessage() for r in everything_at_debug.records)


class _RevokingClient:
    """The real client, but the link is revoked while its wages are being read."""

    def __init__(self, link_id: int) -> None:
        self._client = get_client()
        self._link_id = link_id

    def __getattr__(self, name):
        return getattr(self._client, name)

    def wages(self, *args, **kwargs):
        answer = self._client.wages(*args, **kwargs)
        employer_services.link_revoke(
            link_id=self._link_id, reason="Ingetrokken", actor=None, actor_label="test"
        )
        return answer


def test_a_link_revoked_between_retrieval_and_storing_stores_nothing(e1_link):
    delivery = _planned(e1_link)
    assert deliver(delivery_id=delivery.pk, client=_RevokingClient(e1_link.pk)) == Outcome.STOPPED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.failure_code) == ("stopped", "KOPPELING_NIET_ACTIEF")
    assert not DeliveryVersion.objects.exists()
    assert not EmployeeRecord.objects.exists()


def test_an_ended_link_keeps_its_delivered_data_and_is_not_read_again(e1_link):
    delivery = _planned(e1_link)
    deliver(delivery_id=delivery.pk)
    deliveries_rerun(delivery_ids=[delivery.pk])
    EmployerLink.objects.filter(pk=e1_link.pk).update(
        status=LinkStatus.ENDED, ended_at=timezone.now()
    )
    assert deliver(delivery_id=delivery.pk) == Outcome.STOPPED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.current_version, delivery.due_at) == ("delivered", 1, None)


def test_an_unconfirmed_processor_stops_the_delivery(e1_link, processor):
    PayrollProcessor.objects.filter(pk=processor.pk).update(status="check_failed")
    deliveries_plan()  # the planner plans for confirmed processors only
    assert not Delivery.objects.exists()
    delivery = make_delivery(e1_link, last_closed_month())
    assert deliver(delivery_id=delivery.pk) == Outcome.STOPPED
    delivery.refresh_from_db()
    assert delivery.failure_code == "VERWERKER_NIET_BEVESTIGD"


def test_a_lease_that_ran_out_is_taken_over_and_completes_once(e1_link):
    delivery = _planned(e1_link)
    assert claim(delivery.pk) is not None  # a worker took it, then died
    assert deliver(delivery_id=delivery.pk) == Outcome.NOT_CLAIMED  # its lease still holds
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRIEVING
    assert delivery.due_at == delivery.claimed_until  # due again when the lease ends

    past = timezone.now() - dt.timedelta(seconds=1)
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=past, due_at=past)
    assert deliver(delivery_id=delivery.pk) == Outcome.DELIVERED
    assert deliver(delivery_id=delivery.pk) == Outcome.NOT_CLAIMED

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.current_version) == ("delivered", 2, 1)
    assert EmployeeRecord.objects.count() == 2


def test_an_exhausted_budget_defers_the_delivery_without_failing_it(processor, settings):
    settings.DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT = 4  # one delivery's calls a minute
    first_link, second_link = make_links(processor, E1, E2)
    deliveries_plan()
    first, second = (_only_delivery(first_link), _only_delivery(second_link))
    before = timezone.now()

    assert deliver(delivery_id=first.pk) == Outcome.DELIVERED
    assert deliver(delivery_id=second.pk) == Outcome.DEFERRED

    second.refresh_from_db()
    assert second.status == DeliveryStatus.PENDING
    assert (second.attempts, second.failure_code, second.will_retry) == (0, "", False)
    assert second.claimed_until is None
    assert before < second.due_at <= timezone.now() + dt.timedelta(seconds=61)


def test_the_portal_budget_defers_too(e1_link, settings):
    settings.LOKET_CALLS_PER_MINUTE = 124
    settings.LOKET_CALLS_PER_MINUTE_PUBLIC = 122  # two calls a minute left for the portal
    delivery = _planned(e1_link)
    assert deliver(delivery_id=delivery.pk) == Outcome.DEFERRED
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_the_signals_tell_of_a_completion_and_a_failure(e1_link, processor):
    seen = []

    def completed(sender, delivery, version, created, **kwargs):
        seen.append(("completed", delivery.pk, created, version.number if version else None))

    def failed(sender, delivery, **kwargs):
        seen.append(("failed", delivery.pk, delivery.failure_code))

    delivery_completed.connect(completed)
    delivery_failed.connect(failed)
    try:
        delivery = _planned(e1_link)
        PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="STORING")
        deliver(delivery_id=delivery.pk)
        PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="DEMO001")
        Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
        deliver(delivery_id=delivery.pk)
        deliveries_rerun(delivery_ids=[delivery.pk])
        deliver(delivery_id=delivery.pk)
    finally:
        delivery_completed.disconnect(completed)
        delivery_failed.disconnect(failed)
    assert seen == [
        ("failed", delivery.pk, "STORING"),
        ("completed", delivery.pk, True, 1),
        ("completed", delivery.pk, False, None),
    ]


# --- the period type --------------------------------------------------------------------------


class _FourWeeklyClient:
    """The real client, with the wages answered as Loket.nl answers for a 4-weekly employer."""

    def __init__(self) -> None:
        self._client = get_client()

    def __getattr__(self, name):
        return getattr(self._client, name)

    def wages(self, *args, **kwargs):
        from dataclasses import replace

        return [replace(w, period_type="4weken") for w in self._client.wages(*args, **kwargs)]


def test_wages_of_another_period_type_switch_the_feed_and_stop_the_delivery(e1_link):
    delivery = _planned(e1_link)
    assert deliver(delivery_id=delivery.pk, client=_FourWeeklyClient()) == Outcome.STOPPED

    delivery.refresh_from_db()
    assert (delivery.status, delivery.failure_code) == ("stopped", "ANDERE_VERLONINGSPERIODE")
    assert not DeliveryVersion.objects.exists()
    feed = DeliveryFeed.objects.get(link=e1_link)
    expected = periods.last_closed(timezone.localdate(e1_link.activated_at), "4weken")
    assert (feed.period_type, feed.first_year, feed.first_period) == (
        "4weken",
        expected.year,
        expected.number,
    )
    deliveries_plan()
    four_weekly = Delivery.objects.get(link=e1_link, period_type="4weken")
    assert (four_weekly.year, four_weekly.period, four_weekly.status) == (
        expected.year,
        expected.number,
        "pending",
    )
    assert (four_weekly.period_start, four_weekly.period_end) == (expected.start, expected.end)


# --- the BSN at rest ------------------------------------------------------------------------------


def test_the_bsn_is_stored_encrypted_and_found_by_its_hash(e1_link, everything_at_debug):
    delivery = _planned(e1_link)
    deliver(delivery_id=delivery.pk)
    employees, _, _ = _expected(E1, last_closed_month())
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM deliveries_employeerecord")
        raw = repr(cursor.fetchall())
    for werknemer in employees:
        assert werknemer.bsn not in raw
        found = EmployeeRecord.objects.get(bsn_hash=bsn_hash(werknemer.bsn))
        assert str(found.loket_id) == werknemer.werknemer_id
        assert not any(werknemer.bsn in r.getMessage() for r in everything_at_debug.records)
    assert DEMO_PASSWORD not in everything_at_debug.text


def test_rotate_credentials_reencrypts_the_bsns(e1_link, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    delivery = _planned(e1_link)
    deliver(delivery_id=delivery.pk)
    before = dict(EmployeeRecord.objects.values_list("pk", "bsn_encrypted"))
    plain = {pk: bsn_decrypt(token) for pk, token in before.items()}
    new_key = Fernet.generate_key().decode("ascii")
    settings.CREDENTIALS_KEYS = [new_key, *settings.CREDENTIALS_KEYS]

    call_command("rotate_credentials", verbosity=0)

    after = dict(EmployeeRecord.objects.values_list("pk", "bsn_encrypted"))
    assert all(after[pk] != before[pk] for pk in before)
    settings.CREDENTIALS_KEYS = [new_key]  # the old key gone: the BSNs still open
    assert {pk: bsn_decrypt(token) for pk, token in after.items()} == plain


def test_leave_is_read_in_the_last_period_of_a_year_only(e1_link):
    last_year = timezone.localdate().year - 1
    december = periods.Period(last_year, 12, "maand")
    november = periods.Period(last_year, 11, "maand")
    with_leave = make_delivery(e1_link, december)
    without = make_delivery(e1_link, november)
    deliver(delivery_id=with_leave.pk)
    deliver(delivery_id=without.pk)
    assert with_leave.versions.get().leave_count == 4  # two employments, two kinds each
    assert without.versions.get().leave_count == 0
    assert LeaveRecord.objects.count() == 4


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.INFO, logger="deliveries")


class _BigEmployerClient:
    """A scripted Loket.nl for an employer of ``size`` werknemers (one seam: the client)."""

    def __init__(self, size: int, period: periods.Period) -> None:
        self.size = size
        self.period = period

    def _id(self, kind: int, index: int) -> str:
        return f"00000000-0000-4000-{kind:04d}-{index:012d}"

    def employees(self, credentials, *, employer_id, reference_date=None):
        from locket_client.types import Employee

        return [
            Employee(
                id=self._id(1, i),
                employer_id=employer_id,
                number=i + 1,
                last_name=f"Werknemer {i}",
                bsn=f"{100000000 + i}",
                birth_date=dt.date(1980, 1, 1),
            )
            for i in range(self.size)
        ]

    def employments(self, credentials, *, employer_id, employee_id=None):
        from locket_client.types import Employment

        return [
            Employment(
                id=self._id(2, i),
                employee_id=self._id(1, i),
                income_relationship_number=1,
                start_date=dt.date(2020, 1, 1),
            )
            for i in range(self.size)
        ]

    def wages(self, credentials, *, employer_id, year, period=None):
        from decimal import Decimal

        from locket_client.types import Wage

        return [
            Wage(self._id(2, i), year, period, "maand", Decimal("2500.00") + i)
            for i in range(self.size)
        ]

    def leave(self, credentials, *, employer_id, year):
        return []


def test_a_delivery_takes_the_same_queries_for_3_and_for_90_werknemers(processor):
    # (90: one batch of inserts even on SQLite, whose statements take at most 999 parameters;
    # PostgreSQL inserts 2,000 rows a statement)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small_link, big_link = make_links(processor, E1, E2)
    period = last_closed_month()
    counts = []
    for link, size in ((small_link, 3), (big_link, 90)):
        delivery = make_delivery(link, period)
        with CaptureQueriesContext(connection) as captured:
            assert (
                deliver(delivery_id=delivery.pk, client=_BigEmployerClient(size, period))
                == Outcome.DELIVERED
            )
        counts.append(len(captured))
        assert EmployeeRecord.objects.filter(version__delivery=delivery).count() == size
    assert counts[0] == counts[1]
    assert counts[0] <= 20


def test_the_sandbox_correction_of_ws_groot_becomes_version_2(db, loket_settings):
    """ws-groot's werkgever 3 answers its most recent closed month with other pay the second
    time (the sandbox's correction): the re-read stores version 2 and keeps version 1."""
    from locket_client.sandbox.service import reset_corrections
    from locket_client.sandbox.staff import ws_groot_werkgever_guid
    from tests.employers.conftest import make_processor

    reset_corrections()
    groot = make_processor("ws-groot", n=3)
    (link,) = make_links(groot, ws_groot_werkgever_guid(3))
    delivery = _planned(link)
    assert deliver(delivery_id=delivery.pk) == Outcome.DELIVERED
    first = set(WageRecord.objects.values_list("employment_loket_id", "gross"))

    deliveries_rerun(delivery_ids=[delivery.pk])
    assert deliver(delivery_id=delivery.pk) == Outcome.DELIVERED

    delivery.refresh_from_db()
    assert delivery.current_version == 2
    second = set(
        WageRecord.objects.filter(version__number=2).values_list("employment_loket_id", "gross")
    )
    assert second != first
    assert (
        set(
            WageRecord.objects.filter(version__number=1).values_list("employment_loket_id", "gross")
        )
        == first
    )
    deliveries_rerun(delivery_ids=[delivery.pk])
    assert deliver(delivery_id=delivery.pk) == Outcome.UNCHANGED  # B again: nothing new


def test_the_four_weekly_employer_of_ws_groot_is_found_and_delivered_per_four_weeks(
    db, loket_settings
):
    from locket_client.sandbox.staff import WS_GROOT_FOUR_WEEKLY_WERKGEVER, ws_groot_werkgever_guid
    from tests.employers.conftest import make_processor

    groot = make_processor("ws-groot", n=4)
    (link,) = make_links(groot, ws_groot_werkgever_guid(WS_GROOT_FOUR_WEEKLY_WERKGEVER))
    monthly = _planned(link)
    assert deliver(delivery_id=monthly.pk) == Outcome.STOPPED
    monthly.refresh_from_db()
    assert (monthly.status, monthly.failure_code) == ("stopped", "ANDERE_VERLONINGSPERIODE")

    four_weekly = Delivery.objects.get(link=link, period_type="4weken")  # made at once
    assert four_weekly.status == DeliveryStatus.PENDING
    assert deliver(delivery_id=four_weekly.pk) == Outcome.DELIVERED
    version = four_weekly.versions.get()
    assert version.wage_count > 0
    assert set(WageRecord.objects.filter(version=version).values_list("period_type", "period")) == {
        ("4weken", four_weekly.period)
    }


class _RepeatingClient(_BigEmployerClient):
    """An answer that names every werknemer, dienstverband and loonregel twice."""

    def employees(self, *args, **kwargs):
        return super().employees(*args, **kwargs) * 2

    def employments(self, *args, **kwargs):
        return super().employments(*args, **kwargs) * 2

    def wages(self, *args, **kwargs):
        return super().wages(*args, **kwargs) * 2


def test_an_answer_that_repeats_a_record_stores_it_once(e1_link):
    delivery = make_delivery(e1_link, last_closed_month())
    client = _RepeatingClient(3, last_closed_month())
    assert deliver(delivery_id=delivery.pk, client=client) == Outcome.DELIVERED
    version = delivery.versions.get()
    assert (version.employee_count, version.employment_count, version.wage_count) == (3, 3, 3)


# --- answers that cannot be stored, leavers, keyed hash (review findings) --------------------


class _OneClient(_BigEmployerClient):
    """One werknemer, whose record ``change`` may spoil."""

    def __init__(self, period: periods.Period, **change) -> None:
        super().__init__(1, period)
        self.change = change

    def employees(self, *args, **kwargs):
        import dataclasses

        (employee,) = super().employees(*args, **kwargs)
        fields = {k: v for k, v in self.change.items() if k in ("bsn", "number")}
        return [dataclasses.replace(employee, **fields)]

    def wages(self, *args, **kwargs):
        import dataclasses

        (wage,) = super().wages(*args, **kwargs)
        if "gross" in self.change:
            wage = dataclasses.replace(wage, gross=self.change["gross"])
        return [wage]


@pytest.mark.parametrize(
    "change",
    [
        {"gross": __import__("decimal").Decimal("100000000000.00")},  # beyond 12 digits
        {"number": -5},  # a werknemernummer the record cannot hold
        {"bsn": "12345678\u00e9"},  # not nine digits (and not ASCII)
    ],
    ids=["huge-wage", "negative-number", "bad-bsn"],
)
def test_an_answer_that_cannot_be_stored_fails_for_good_and_logs_no_row(
    e1_link, change, everything_at_debug
):
    delivery = make_delivery(e1_link, last_closed_month())
    client = _OneClient(last_closed_month(), **change)

    outcome = deliver(delivery_id=delivery.pk, client=client)

    delivery.refresh_from_db()
    assert outcome == Outcome.FAILED
    assert delivery.status == DeliveryStatus.FAILED
    assert (delivery.failure_code, delivery.will_retry) == ("ONVERWACHT_ANTWOORD", False)
    assert delivery.due_at is None  # out of the outbox: not read again every lease
    assert delivery.claimed_until is None
    assert not DeliveryVersion.objects.filter(delivery=delivery).exists()
    logged = everything_at_debug.text
    for value in ("Werknemer 0", "1980-01-01", "12345678", "100000000000"):
        assert value not in logged


def test_a_werknemer_who_left_during_the_period_comes_with_the_pay(e1_link):
    """Paid in the period, gone on its last day: the wage, the employment and the employee."""
    period = last_closed_month()

    class Leaver(_BigEmployerClient):
        def employees(self, credentials, *, employer_id, reference_date=None):
            assert reference_date is None  # every werknemer, not those of the last day
            return super().employees(credentials, employer_id=employer_id)

        def employments(self, *args, **kwargs):
            import dataclasses

            first, *rest = super().employments(*args, **kwargs)
            left = dataclasses.replace(first, end_date=period.start + dt.timedelta(days=9))
            gone = dataclasses.replace(rest[0], end_date=period.start - dt.timedelta(days=40))
            return [left, gone, *rest[1:]]

        def wages(self, *args, **kwargs):
            return [w for w in super().wages(*args, **kwargs) if not w.employment_id.endswith("1")]

    delivery = make_delivery(e1_link, period)
    assert deliver(delivery_id=delivery.pk, client=Leaver(3, period)) == Outcome.DELIVERED
    version = delivery.versions.get()
    employees = {str(e.loket_id) for e in EmployeeRecord.objects.filter(version=version)}
    # Werknemer 0 left during the period and was paid: kept. Werknemer 1 left long before and
    # was not paid: not kept. Werknemer 2 works on.
    assert employees == {
        "00000000-0000-4000-0001-000000000000",
        "00000000-0000-4000-0001-000000000002",
    }
    for wage in WageRecord.objects.filter(version=version):
        employment = EmploymentRecord.objects.get(
            version=version, loket_id=wage.employment_loket_id
        )
        assert str(employment.employee_loket_id) in employees


def test_the_answer_hash_is_keyed_so_the_api_data_cannot_reveal_a_bsn(e1_link, settings):
    from deliveries.services.retrieving import Answer

    period = last_closed_month()
    client = _OneClient(period)
    answer = Answer(
        client.employees(None, employer_id=E1),
        client.employments(None, employer_id=E1),
        client.wages(None, employer_id=E1, year=period.year, period=period.number),
        [],
    )
    first = answer.content_hash()
    import hashlib

    assert first != hashlib.sha256(b"").hexdigest()
    settings.BSN_HASH_KEY = "another-key-of-at-least-thirty-two-characters!"
    assert answer.content_hash() != first  # without the key, no one can recompute it


def test_a_failure_after_the_lease_ran_out_leaves_the_new_holder_alone(e1_link):
    from deliveries.services.delivering import _fail

    delivery = make_delivery(e1_link, last_closed_month())
    claimed, _ = claim(delivery.pk)
    later = timezone.now() + dt.timedelta(hours=1)
    taken_over, _ = claim(delivery.pk, now=later)  # the first worker's lease ran out

    assert _fail(claimed, "STORING", retryable=True, now=timezone.now()) == Outcome.NOT_CLAIMED
    delivery.refresh_from_db()
    assert delivery.claimed_until == taken_over.claimed_until
    assert delivery.failure_code == ""


def test_retention_during_a_retrieval_takes_the_delivery_out_of_the_outbox(e1_link):
    delivery = make_delivery(e1_link, last_closed_month())

    class Meanwhile(_BigEmployerClient):
        def wages(self, *args, **kwargs):
            Delivery.objects.filter(pk=delivery.pk).update(data_deleted_at=timezone.now())
            return super().wages(*args, **kwargs)

    assert deliver(delivery_id=delivery.pk, client=Meanwhile(2, last_closed_month())) == (
        Outcome.STOPPED
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.STOPPED
    assert delivery.failure_code == "GEGEVENS_VERWIJDERD"
    assert (delivery.due_at, delivery.claimed_until) == (None, None)
    assert not delivery.versions.exists()
