"""The planner (which deliveries exist), the sweep (which are handed to Celery, within the call
budget) and retention (old wage data deleted and recorded)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliveries import periods
from deliveries.models import (
    Delivery,
    DeliveryFeed,
    DeliveryStatus,
    DeliveryVersion,
    EmployeeRecord,
    EmploymentRecord,
    LeaveRecord,
    RetentionRun,
    WageRecord,
)
from deliveries.services import (
    deliver,
    deliveries_hand_out,
    deliveries_plan,
    deliveries_sweep,
    old_wage_data_delete,
    retention_cutoff,
)
from deliveries.services.delivering import claim
from employers.models import EmployerLink, LinkStatus
from onboarding.models import PayrollProcessor
from tests.deliveries.conftest import E1, E2, E3, last_closed_month, make_delivery, make_links
from tests.employers.conftest import make_processor

pytestmark = pytest.mark.django_db


def _periods(link, period_type="maand") -> list[tuple[int, int]]:
    return list(
        Delivery.objects.filter(link=link, period_type=period_type)
        .order_by("period_end")
        .values_list("year", "period")
    )


def _months_back(months: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=31 * months)


# --- the planner -------------------------------------------------------------------------------


def test_a_new_link_gets_a_feed_and_the_last_closed_month_due_now(e1_link):
    result = deliveries_plan()
    assert (result.feeds, result.created) == (1, 1)
    feed = DeliveryFeed.objects.get(link=e1_link)
    period = last_closed_month()
    assert (feed.period_type, feed.first_year, feed.first_period) == (
        "maand",
        period.year,
        period.number,
    )
    delivery = Delivery.objects.get(link=e1_link)
    assert (delivery.period_start, delivery.period_end) == (period.start, period.end)
    assert delivery.processor_id == e1_link.processor_id
    assert delivery.due_at <= timezone.now()
    assert deliveries_plan().created == 0  # nothing new: planned once


def test_every_closed_month_since_the_link_became_active_is_planned(processor):
    (link,) = make_links(processor, E1, activated_at=_months_back(3))
    deliveries_plan()
    first = periods.last_closed(timezone.localdate(link.activated_at), "maand")
    expected = periods.closed_since(first, timezone.localdate())
    assert len(expected) >= 3
    assert _periods(link) == [(p.year, p.number) for p in expected]


def test_a_four_weekly_feed_plans_four_weekly_periods(e1_link):
    today = timezone.localdate()
    first = periods.last_closed(today - dt.timedelta(days=60), "4weken")
    DeliveryFeed.objects.create(
        link=e1_link, period_type="4weken", first_year=first.year, first_period=first.number
    )
    deliveries_plan()
    expected = periods.closed_since(first, today)
    assert len(expected) >= 2
    assert _periods(e1_link, "4weken") == [(p.year, p.number) for p in expected]
    assert not Delivery.objects.filter(period_type="maand").exists()
    for delivery in Delivery.objects.filter(link=e1_link):
        period = delivery.period_obj
        assert (delivery.period_start, delivery.period_end) == (period.start, period.end)


def test_the_next_period_makes_the_delivered_one_before_it_due_for_a_reread(e1_link):
    deliveries_plan()
    delivery = Delivery.objects.get(link=e1_link)
    deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.due_at is None

    next_month = timezone.now() + dt.timedelta(days=32)
    result = deliveries_plan(now=next_month)

    assert (result.created, result.reread) == (1, 1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.due_at) == ("delivered", next_month)
    assert len(_periods(e1_link)) == 2
    assert deliveries_plan(now=next_month).reread == 0  # once


def test_only_active_links_of_confirmed_processors_are_planned(processor):
    active, ended, problem = make_links(processor, E1, E2, E3)
    EmployerLink.objects.filter(pk=ended.pk).update(
        status=LinkStatus.ENDED, ended_at=timezone.now()
    )
    EmployerLink.objects.filter(pk=problem.pk).update(status=LinkStatus.PROBLEM)
    unconfirmed = make_processor("ws-andere-partij", status="check_passed", n=2)
    make_links(unconfirmed, E1)
    deliveries_plan()
    assert set(Delivery.objects.values_list("link_id", flat=True)) == {active.pk}


def test_a_delivery_stopped_while_its_link_had_a_problem_is_due_again_once_it_is_active(
    e1_link,
):
    deliveries_plan()
    EmployerLink.objects.filter(pk=e1_link.pk).update(status=LinkStatus.PROBLEM)
    assert deliveries_sweep()["stopped"] == 1
    delivery = Delivery.objects.get(link=e1_link)
    assert (delivery.status, delivery.failure_code) == ("stopped", "KOPPELING_NIET_ACTIEF")

    EmployerLink.objects.filter(pk=e1_link.pk).update(status=LinkStatus.ACTIVE)
    assert deliveries_plan().revived == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.failure_code) == ("pending", "")
    assert delivery.due_at is not None


def test_the_planner_takes_a_few_queries_whatever_the_number_of_links(processor):
    def queries_for(count: int, offset: int) -> int:
        links = make_links(
            processor,
            *[f"00000000-0000-4000-a000-{offset + i:012d}" for i in range(count)],
        )
        with CaptureQueriesContext(connection) as captured:
            deliveries_plan(link_ids=[link.pk for link in links])
        return len(captured)

    # (40: one batch of inserts even on SQLite, whose statements take at most 999 parameters)
    assert queries_for(3, 0) == queries_for(40, 1000)


# --- the sweep ---------------------------------------------------------------------------------


def test_the_sweep_stops_the_deliveries_of_ended_links_and_unconfirmed_processors(processor):
    kept, ended = make_links(processor, E1, E2)
    other = make_processor("ws-andere-partij", n=2)
    (unconfirmed,) = make_links(other, E1)
    deliveries_plan()
    EmployerLink.objects.filter(pk=ended.pk).update(
        status=LinkStatus.ENDED, ended_at=timezone.now()
    )
    PayrollProcessor.objects.filter(pk=other.pk).update(status="check_failed")

    assert deliveries_sweep()["stopped"] == 2

    codes = dict(Delivery.objects.values_list("link_id", "failure_code"))
    assert codes == {
        kept.pk: "",
        ended.pk: "KOPPELING_NIET_ACTIEF",
        unconfirmed.pk: "VERWERKER_NIET_BEVESTIGD",
    }
    assert Delivery.objects.get(link=kept).status == DeliveryStatus.DELIVERED  # handed out


def test_the_sweep_hands_out_no_more_than_the_budget_allows_a_minute(processor, settings):
    settings.DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT = 6  # two deliveries a minute
    make_links(processor, E1, E2, E3)
    deliveries_plan()

    assert deliveries_hand_out() == 2  # run in this process at once (no broker in these tests)

    statuses = sorted(Delivery.objects.values_list("status", flat=True))
    assert statuses == ["delivered", "delivered", "pending"]
    waiting = Delivery.objects.get(status="pending")
    assert waiting.due_at <= timezone.now()  # still due: the next minute takes it
    assert deliveries_hand_out() == 0  # this minute's budget is used up


def test_the_sweep_spreads_the_countdowns_over_the_minute(processor, settings, monkeypatch):
    from deliveries.services import planning

    settings.DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT = 12  # four deliveries a minute
    make_links(processor, E1, E2, E3)
    deliveries_plan()
    sent = []
    monkeypatch.setattr(
        planning, "enqueue", lambda name, pk, countdown=None: sent.append((pk, countdown))
    )
    assert deliveries_hand_out() == 3
    assert [countdown for _, countdown in sent] == [None, 15, 30]
    # Re-armed: not handed out again while its task waits in the queue.
    assert deliveries_hand_out() == 0
    assert all(d.due_at > timezone.now() for d in Delivery.objects.all())


def test_a_broker_failure_leaves_the_deliveries_due(e1_link, monkeypatch):
    from deliveries.services import planning

    deliveries_plan()

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(planning, "enqueue", broken)
    with pytest.raises(ConnectionError):
        deliveries_hand_out()
    assert Delivery.objects.get().due_at <= timezone.now()


def test_the_sweep_hands_out_a_delivery_whose_worker_died_once_its_lease_ran_out(e1_link):
    deliveries_plan()
    delivery = Delivery.objects.get()
    claim(delivery.pk)
    assert deliveries_hand_out() == 0  # leased

    past = timezone.now() - dt.timedelta(seconds=1)
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=past, due_at=past)
    assert deliveries_hand_out() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.current_version) == ("delivered", 2, 1)


def test_the_sweep_plans_a_link_that_became_active_since_the_last_plan(e1_link):
    result = deliveries_sweep()
    assert result["planned"] == 1
    assert Delivery.objects.get(link=e1_link).status == DeliveryStatus.DELIVERED


# --- retention ---------------------------------------------------------------------------------


def _stored(link, period: periods.Period) -> Delivery:
    """A delivered delivery with one record of each kind (as the worker would store them)."""
    delivery = make_delivery(
        link, period, status=DeliveryStatus.DELIVERED, due_at=None, current_version=1
    )
    version = DeliveryVersion.objects.create(
        delivery=delivery,
        number=1,
        content_hash="a" * 64,
        employee_count=1,
        employment_count=1,
        wage_count=1,
        leave_count=1,
    )
    employee = "00000000-0000-4000-8000-000000020101"
    employment = "00000000-0000-4000-8000-000000030101"
    EmployeeRecord.objects.create(version=version, loket_id=employee, number=1, last_name="Boer")
    EmploymentRecord.objects.create(
        version=version,
        loket_id=employment,
        employee_loket_id=employee,
        income_relationship_number=1,
        start_date=dt.date(2012, 3, 1),
    )
    WageRecord.objects.create(
        version=version,
        employment_loket_id=employment,
        year=period.year,
        period=period.number,
        period_type="maand",
        gross=3150,
    )
    LeaveRecord.objects.create(
        version=version,
        employment_loket_id=employment,
        year=period.year,
        kind="Wettelijk",
        accrued=1,
        taken=0,
        balance=1,
    )
    return delivery


def test_retention_deletes_old_wage_data_and_records_the_deletion(processor, settings):
    settings.DELIVERY_RETENTION_MONTHS = 24
    (link,) = make_links(processor, E1, activated_at=_months_back(30))
    today = timezone.localdate()
    old = _stored(link, periods.Period(today.year - 3, 6, "maand"))
    recent = _stored(link, last_closed_month())

    run = old_wage_data_delete()

    assert run is not None
    assert (run.deliveries, run.versions, run.employees, run.employments, run.wages, run.leave) == (
        1,
        1,
        1,
        1,
        1,
        1,
    )
    assert (run.months, run.cutoff) == (24, retention_cutoff(today))
    old.refresh_from_db()
    assert old.data_deleted_at is not None
    assert old.versions.get().wage_count == 1  # the history stays
    assert not WageRecord.objects.filter(version__delivery=old).exists()
    assert not EmployeeRecord.objects.filter(version__delivery=old).exists()
    assert WageRecord.objects.filter(version__delivery=recent).count() == 1
    assert EmployeeRecord.objects.filter(version__delivery=recent).count() == 1
    assert old_wage_data_delete() is None  # nothing left to delete: no empty record
    assert RetentionRun.objects.count() == 1


def test_the_planner_never_plans_a_period_past_retention_again(processor, settings):
    settings.DELIVERY_RETENTION_MONTHS = 3
    (link,) = make_links(processor, E1, activated_at=_months_back(8))
    deliveries_plan()
    cutoff = retention_cutoff()
    planned = list(Delivery.objects.filter(link=link).values_list("period_end", flat=True))
    assert planned
    assert all(end > cutoff for end in planned)
    assert len(planned) < 8  # the months before the cutoff are not planned at all

    settings.DELIVERY_RETENTION_MONTHS = 1
    old_wage_data_delete()
    assert Delivery.objects.filter(data_deleted_at__isnull=False).exists()
    before = Delivery.objects.count()
    assert deliveries_plan().created == 0
    assert Delivery.objects.count() == before


def test_the_retention_cutoff_counts_calendar_months(settings):
    settings.DELIVERY_RETENTION_MONTHS = 24
    assert retention_cutoff(dt.date(2026, 12, 1)) == dt.date(2024, 11, 30)
    settings.DELIVERY_RETENTION_MONTHS = 1
    assert retention_cutoff(dt.date(2026, 3, 31)) == dt.date(2026, 2, 27)


def test_during_an_outage_nothing_is_delivered_and_everything_arrives_after_it(processor):
    make_links(processor, E1, E2, E3)
    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="STORING")
    deliveries_sweep()
    assert set(Delivery.objects.values_list("status", "failure_code", "will_retry")) == {
        ("failed", "STORING", True)
    }
    assert not DeliveryVersion.objects.exists()
    assert deliveries_sweep()["handed_out"] == 0  # waiting for their backoff

    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="DEMO001")
    later = timezone.now() + dt.timedelta(minutes=2)  # past the first backoff (a minute)
    assert deliveries_sweep(now=later)["handed_out"] == 3
    assert set(Delivery.objects.values_list("status", "current_version")) == {("delivered", 1)}
    assert EmployeeRecord.objects.count() == 6


def test_the_command_plans_and_hands_out(e1_link):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("plan_deliveries", stdout=out)
    assert "1 nieuw" in out.getvalue()
    assert Delivery.objects.get(link=e1_link).status == DeliveryStatus.DELIVERED


def test_retention_stops_an_old_delivery_that_was_never_delivered(processor, settings):
    settings.DELIVERY_RETENTION_MONTHS = 24
    (link,) = make_links(processor, E1, activated_at=_months_back(40))
    today = timezone.localdate()
    failed = make_delivery(
        link,
        periods.Period(today.year - 3, 6, "maand"),
        status=DeliveryStatus.FAILED,
        will_retry=True,
    )

    assert old_wage_data_delete() is not None

    failed.refresh_from_db()
    assert (failed.status, failed.failure_code) == (DeliveryStatus.STOPPED, "GEGEVENS_VERWIJDERD")
    assert (failed.due_at, failed.will_retry) == (None, False)


def test_rerunning_a_period_makes_it_for_a_link_with_other_periods_of_that_year(processor):
    """The link has deliveries with that year and with that period number, but not that one."""
    from deliveries.services import period_rerun

    (link,) = make_links(processor, E1, activated_at=_months_back(14))
    target = periods.Period(last_closed_month().year - 1, 3, "maand")
    make_delivery(link, periods.Period(target.year, 5, "maand"))  # same year, another period
    make_delivery(link, periods.Period(target.year + 1, 3, "maand"))  # same number, next year
    deliveries_plan()

    result = period_rerun(processor=processor, period=target)

    assert result.created == 1
    assert Delivery.objects.filter(link=link, year=target.year, period=3).count() == 1
