"""The deliveries in the admin: read-only lists without personal data, "Opnieuw ophalen" and
"Periode opnieuw ophalen" for staff with the permission only."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus, RetentionRun
from deliveries.services import deliver, deliveries_plan
from tests.deliveries.conftest import E1, E2, last_closed_month, make_links, sandbox_set
from tests.onboarding.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:deliveries_delivery_changelist")
RERUN_PERIOD = reverse("admin:deliveries_delivery_rerun_period")
VIEW = ["deliveries.view_delivery", "deliveries.view_retentionrun"]
RERUN = [*VIEW, "deliveries.rerun_delivery"]


@pytest.fixture
def delivered(e1_link):
    deliveries_plan()
    delivery = Delivery.objects.get(link=e1_link)
    deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


def _bsns() -> list[str]:
    return [w.bsn for w in sandbox_set().werknemers_by_werkgever[E1]]


def test_the_list_and_the_page_of_a_delivery_show_no_personal_data(client, delivered):
    client.force_login(StaffUserFactory(permissions=VIEW))
    listing = client.get(LIST)
    page = client.get(reverse("admin:deliveries_delivery_change", args=[delivered.pk]))
    assert listing.status_code == page.status_code == 200
    assert "Bakkerij Van Dijk B.V." in listing.text
    assert last_closed_month().label() in listing.text
    for bsn in _bsns():
        assert bsn not in listing.text
        assert bsn not in page.text
    assert "Boer" not in page.text  # no names either: only the counts of each version
    assert "Opnieuw ophalen" not in listing.text  # no permission, no action
    assert "Periode opnieuw ophalen" not in listing.text


def test_the_list_filters_by_status_and_searches_the_employer(client, processor, delivered):
    (e2,) = make_links(processor, E2)
    deliveries_plan()
    client.force_login(StaffUserFactory(permissions=VIEW))
    pending = client.get(LIST, {"status__exact": "pending"})
    assert [d.link_id for d in pending.context["cl"].result_list] == [e2.pk]
    found = client.get(LIST, {"q": "Bakkerij"})
    assert [d.pk for d in found.context["cl"].result_list] == [delivered.pk]


def test_opnieuw_ophalen_needs_the_permission(
    client, delivered, django_capture_on_commit_callbacks
):
    data = {"action": "rerun", "_selected_action": [delivered.pk]}
    client.force_login(StaffUserFactory(permissions=VIEW))
    client.post(LIST, data)
    delivered.refresh_from_db()
    assert delivered.due_at is None  # no such action for this member of staff

    client.force_login(StaffUserFactory(permissions=RERUN))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, data, follow=True)
    assert "1 levering wordt opnieuw opgehaald." in response.text
    delivered.refresh_from_db()
    # Due, and handed out by the sweep after commit: read again, the same answer, one version.
    assert delivered.status == DeliveryStatus.DELIVERED
    assert delivered.attempts == 2
    assert delivered.versions.count() == 1


def test_periode_opnieuw_ophalen_needs_the_permission(client, processor):
    client.force_login(StaffUserFactory(permissions=VIEW))
    assert client.get(RERUN_PERIOD).status_code == 403
    assert client.post(RERUN_PERIOD, {}).status_code == 403


def test_periode_opnieuw_ophalen_reruns_and_makes_the_missing_deliveries(
    client, processor, delivered, django_capture_on_commit_callbacks
):
    (e2,) = make_links(processor, E2)
    period = last_closed_month()
    older = period.previous()
    client.force_login(StaffUserFactory(permissions=RERUN))
    assert "Periode opnieuw ophalen" in client.get(LIST).text
    form = client.get(RERUN_PERIOD)
    assert form.status_code == 200

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            RERUN_PERIOD,
            {
                "processor": processor.pk,
                "period_type": "maand",
                "year": older.year,
                "period": older.number,
            },
        )
    assert response.status_code == 302
    made = Delivery.objects.filter(year=older.year, period=older.number)
    assert set(made.values_list("link_id", flat=True)) == {delivered.link_id, e2.pk}
    assert all(d.due_at <= timezone.now() for d in made)
    # The planner ran for the processor's links first: E2's last closed month exists too.
    assert Delivery.objects.filter(link=e2, year=period.year, period=period.number).exists()


def test_periode_opnieuw_ophalen_refuses_a_period_that_does_not_exist(client, processor):
    client.force_login(StaffUserFactory(permissions=RERUN))
    response = client.post(
        RERUN_PERIOD,
        {"processor": processor.pk, "period_type": "maand", "year": 2026, "period": 13},
    )
    assert response.status_code == 200
    assert "Deze periode bestaat niet in dat jaar." in response.text
    assert not Delivery.objects.exists()


def test_the_retention_runs_are_listed_read_only(client):
    RetentionRun.objects.create(cutoff=timezone.localdate(), months=24, deliveries=3, wages=40)
    client.force_login(StaffUserFactory(permissions=VIEW))
    response = client.get(reverse("admin:deliveries_retentionrun_changelist"))
    assert response.status_code == 200
    assert "40" in response.text
    assert client.get(reverse("admin:deliveries_retentionrun_add")).status_code == 403
