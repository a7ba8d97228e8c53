"""What the API reads, as plain dicts built from ``values()`` rows: a fixed, small number of
queries per page (one for the page's rows, one for a link's tax numbers, one to find the
version) and no model instance or serializer per row, so a page of 1,000 wage records costs
little more than its one query.

Amounts are strings with two decimals (never floats); dates and times ISO 8601; ids are ours
for links and deliveries and Loket.nl's UUIDs for everything that Loket.nl gave.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from api.problems import Gone
from deliveries.bsn import bsn_decrypt
from deliveries.models import (
    Delivery,
    DeliveryVersion,
    EmployeeRecord,
    EmploymentRecord,
    LeaveRecord,
    WageRecord,
)
from employers.models import EmployerLink, LinkTaxNumber

# --- helpers ------------------------------------------------------------------------------------


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def period_label(year: int, number: int, period_type: str) -> str:
    """As :meth:`deliveries.periods.Period.label`, without building a Period per row."""
    if period_type == "maand":
        return f"{year}-{number:02d}"
    if period_type == "4weken":
        return f"{year}-4w{number:02d}"
    return f"{year}-w{number:02d}"


# --- links --------------------------------------------------------------------------------------

LINK_FIELDS = (
    "id",
    "processor_id",
    "processor__company_name",
    "loket_employer_id",
    "employer_name",
    "kvk_number",
    "status",
    "registered_at",
    "activated_at",
    "ended_at",
    "checked_at",
)


def links(*, status: str | None = None, changed_since: datetime.datetime | None = None) -> QuerySet:
    rows = EmployerLink.objects.order_by()
    if status:
        rows = rows.filter(status=status)
    if changed_since is not None:
        # A link changes when it is registered, activated, ended or checked again.
        rows = rows.filter(
            Q(registered_at__gte=changed_since)
            | Q(activated_at__gte=changed_since)
            | Q(ended_at__gte=changed_since)
            | Q(checked_at__gte=changed_since)
        )
    return rows.values(*LINK_FIELDS)


def link_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    numbers: dict[int, list[str]] = {row["id"]: [] for row in rows}
    if numbers:
        for link_id, number in (
            LinkTaxNumber.objects.filter(link_id__in=list(numbers))
            .order_by("number")
            .values_list("link_id", "number")
        ):
            numbers[link_id].append(number)
    result = []
    for row in rows:
        moments = [
            row[name]
            for name in ("registered_at", "activated_at", "ended_at", "checked_at")
            if row[name] is not None
        ]
        result.append(
            {
                "id": row["id"],
                "status": row["status"],
                "loket_employer_id": row["loket_employer_id"],
                "employer_name": row["employer_name"],
                "kvk_number": row["kvk_number"],
                "tax_numbers": numbers[row["id"]],
                "processor": {"id": row["processor_id"], "name": row["processor__company_name"]},
                "registered_at": _iso(row["registered_at"]),
                "activated_at": _iso(row["activated_at"]),
                "ended_at": _iso(row["ended_at"]),
                "checked_at": _iso(row["checked_at"]),
                "changed_at": _iso(max(moments)) if moments else None,
            }
        )
    return result


# --- deliveries ---------------------------------------------------------------------------------

DELIVERY_FIELDS = (
    "id",
    "link_id",
    "link__loket_employer_id",
    "processor_id",
    "period_type",
    "year",
    "period",
    "period_start",
    "period_end",
    "status",
    "attempts",
    "failure_code",
    "failure_reason",
    "will_retry",
    "current_version",
    "delivered_at",
    "data_deleted_at",
    "updated_at",
)


def deliveries(
    *,
    period: Any = None,
    year: int | None = None,
    period_type: str | None = None,
    status: str | None = None,
    link: int | None = None,
    changed_since: datetime.datetime | None = None,
) -> QuerySet:
    rows = Delivery.objects.order_by()
    if period is not None:
        rows = rows.filter(year=period.year, period=period.number, period_type=period.period_type)
    if year is not None:
        rows = rows.filter(year=year)
    if period_type:
        rows = rows.filter(period_type=period_type)
    if status:
        rows = rows.filter(status=status)
    if link is not None:
        rows = rows.filter(link_id=link)
    if changed_since is not None:
        rows = rows.filter(updated_at__gte=changed_since)
    return rows.values(*DELIVERY_FIELDS)


def delivery_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "link": row["link_id"],
        "loket_employer_id": row["link__loket_employer_id"],
        "processor": row["processor_id"],
        "period": period_label(row["year"], row["period"], row["period_type"]),
        "period_type": row["period_type"],
        "year": row["year"],
        "period_number": row["period"],
        "period_start": _iso(row["period_start"]),
        "period_end": _iso(row["period_end"]),
        "status": row["status"],
        "attempts": row["attempts"],
        "failure_code": row["failure_code"] or None,
        "failure_reason": row["failure_reason"] or None,
        "will_retry": row["will_retry"],
        "current_version": row["current_version"] or None,
        "delivered_at": _iso(row["delivered_at"]),
        "data_deleted_at": _iso(row["data_deleted_at"]),
        "updated_at": _iso(row["updated_at"]),
    }


def delivery_detail(delivery_id: int) -> dict[str, Any] | None:
    row = deliveries().filter(id=delivery_id).first()
    if row is None:
        return None
    result = delivery_row(row)
    result["versions"] = [
        {
            "number": version["number"],
            "retrieved_at": _iso(version["retrieved_at"]),
            "employees": version["employee_count"],
            "employments": version["employment_count"],
            "wages": version["wage_count"],
            "leave": version["leave_count"],
        }
        for version in DeliveryVersion.objects.filter(delivery_id=delivery_id)
        .order_by("number")
        .values(
            "number",
            "retrieved_at",
            "employee_count",
            "employment_count",
            "wage_count",
            "leave_count",
        )
    ]
    return result


def version_of(delivery_id: int, number: int | None) -> tuple[int, int] | None:
    """``(version id, number)`` of the delivery's version ``number`` (its current one when
    ``None``); ``None`` when the delivery or the version does not exist. Raises
    :class:`Gone` when the retention beat deleted the delivery's records."""
    delivery = (
        Delivery.objects.filter(id=delivery_id).values("current_version", "data_deleted_at").first()
    )
    if delivery is None:
        return None
    if delivery["data_deleted_at"] is not None:
        raise Gone(_("De gegevens van deze levering zijn na de bewaartermijn verwijderd."))
    wanted = delivery["current_version"] if number is None else number
    found = (
        DeliveryVersion.objects.filter(delivery_id=delivery_id, number=wanted)
        .values_list("id", flat=True)
        .first()
    )
    return None if found is None else (found, wanted)


# --- the records of one version -----------------------------------------------------------------

EMPLOYEE_FIELDS = (
    "id",
    "loket_id",
    "number",
    "initials",
    "prefix",
    "last_name",
    "birth_date",
    "bsn_encrypted",
)


def employees(version_id: int, *, bsn_hash: str | None = None) -> QuerySet:
    rows = EmployeeRecord.objects.filter(version_id=version_id).order_by()
    if bsn_hash is not None:
        rows = rows.filter(bsn_hash=bsn_hash)
    return rows.values(*EMPLOYEE_FIELDS)


def employee_rows(rows: Iterable[dict[str, Any]], *, with_bsn: bool) -> list[dict[str, Any]]:
    result = []
    for row in rows:
        item = {
            "loket_id": str(row["loket_id"]),
            "number": row["number"],
            "initials": row["initials"],
            "prefix": row["prefix"],
            "last_name": row["last_name"],
            "birth_date": _iso(row["birth_date"]),
        }
        if with_bsn:
            item["bsn"] = bsn_decrypt(row["bsn_encrypted"]) if row["bsn_encrypted"] else None
        result.append(item)
    return result


def employments(version_id: int) -> QuerySet:
    return (
        EmploymentRecord.objects.filter(version_id=version_id)
        .order_by()
        .values_list(
            "id",
            "loket_id",
            "employee_loket_id",
            "income_relationship_number",
            "start_date",
            "end_date",
            "contract_type",
            "hours_per_week",
            named=True,
        )
    )


def employment_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "loket_id": str(row.loket_id),
            "employee_loket_id": str(row.employee_loket_id),
            "income_relationship_number": row.income_relationship_number,
            "start_date": _iso(row.start_date),
            "end_date": _iso(row.end_date),
            "contract_type": row.contract_type,
            "hours_per_week": _amount(row.hours_per_week),
        }
        for row in rows
    ]


_WAGE_FIELDS = (
    "employment_loket_id",
    "year",
    "period",
    "period_type",
    "gross",
    "sv_wage",
    "tax_wage",
    "holiday_allowance",
    "hours_paid",
)
"""The columns of a wage record that :func:`wage_rows` turns into the API's fields."""


def wages(version_id: int) -> QuerySet:
    return (
        WageRecord.objects.filter(version_id=version_id)
        .order_by()
        .values_list("id", *_WAGE_FIELDS, named=True)
    )


def wage_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "employment_loket_id": str(row.employment_loket_id),
            "year": row.year,
            "period": row.period,
            "period_type": row.period_type,
            "gross": _amount(row.gross),
            "sv_wage": _amount(row.sv_wage),
            "tax_wage": _amount(row.tax_wage),
            "holiday_allowance": _amount(row.holiday_allowance),
            "hours_paid": _amount(row.hours_paid),
        }
        for row in rows
    ]


def period_wages(period: Any, *, link: int | None = None) -> QuerySet:
    """The wage records of every delivery of ``period`` that is delivered and still holds its
    data, from each delivery's current version only (a correction replaces, never adds)."""
    rows = WageRecord.objects.filter(
        version__delivery__year=period.year,
        version__delivery__period=period.number,
        version__delivery__period_type=period.period_type,
        version__delivery__data_deleted_at__isnull=True,
        version__number=F("version__delivery__current_version"),
    )
    if link is not None:
        rows = rows.filter(version__delivery__link_id=link)
    return rows.order_by().values_list(
        "id",
        "version__delivery_id",
        "version__delivery__link_id",
        "version__number",
        *_WAGE_FIELDS,
        named=True,
    )


def period_wage_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "delivery": row.version__delivery_id,
            "link": row.version__delivery__link_id,
            "version": row.version__number,
            **wage,
        }
        for row, wage in zip(rows, wage_rows(rows), strict=True)
    ]


def leave(version_id: int) -> QuerySet:
    return (
        LeaveRecord.objects.filter(version_id=version_id)
        .order_by()
        .values_list(
            "id",
            "employment_loket_id",
            "year",
            "kind",
            "accrued",
            "taken",
            "balance",
            named=True,
        )
    )


def leave_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "employment_loket_id": str(row.employment_loket_id),
            "year": row.year,
            "kind": row.kind,
            "accrued": _amount(row.accrued),
            "taken": _amount(row.taken),
            "balance": _amount(row.balance),
        }
        for row in rows
    ]
