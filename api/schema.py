"""The shapes of the API's answers, for the OpenAPI schema only (drf-spectacular).

The views build their answers as plain dicts (api/selectors.py); these serializers describe
them and are never run per row.
"""

from __future__ import annotations

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from deliveries.models import DeliveryStatus, PeriodType
from employers.models import LinkStatus


class ProcessorRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LinkOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The portal's id of the link.")
    status = serializers.ChoiceField(choices=LinkStatus.choices)
    loket_employer_id = serializers.CharField(help_text="The employer's id in Loket.nl.")
    employer_name = serializers.CharField()
    kvk_number = serializers.CharField(allow_blank=True)
    tax_numbers = serializers.ListField(child=serializers.CharField())
    processor = ProcessorRef()
    registered_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    checked_at = serializers.DateTimeField(allow_null=True)
    changed_at = serializers.DateTimeField(
        help_text="The latest of registered_at, activated_at, ended_at and checked_at."
    )


class DeliveryOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The portal's id of the delivery.")
    link = serializers.IntegerField()
    loket_employer_id = serializers.CharField()
    processor = serializers.IntegerField()
    period = serializers.CharField(help_text="2026-03 (month), 2026-4w05 (4 weeks), 2026-w07.")
    period_type = serializers.ChoiceField(choices=PeriodType.choices)
    year = serializers.IntegerField()
    period_number = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    failure_code = serializers.CharField(allow_null=True)
    failure_reason = serializers.CharField(allow_null=True)
    will_retry = serializers.BooleanField()
    current_version = serializers.IntegerField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    data_deleted_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class VersionOut(serializers.Serializer):
    number = serializers.IntegerField()
    retrieved_at = serializers.DateTimeField()
    employees = serializers.IntegerField()
    employments = serializers.IntegerField()
    wages = serializers.IntegerField()
    leave = serializers.IntegerField()


class DeliveryDetailOut(DeliveryOut):
    versions = VersionOut(many=True)


class EmployeeOut(serializers.Serializer):
    loket_id = serializers.UUIDField()
    number = serializers.IntegerField()
    initials = serializers.CharField(allow_blank=True)
    prefix = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    bsn = serializers.CharField(
        required=False, help_text="Only with the scope bsn; absent otherwise."
    )


class EmploymentOut(serializers.Serializer):
    loket_id = serializers.UUIDField()
    employee_loket_id = serializers.UUIDField()
    income_relationship_number = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    contract_type = serializers.CharField(allow_blank=True)
    hours_per_week = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class WageOut(serializers.Serializer):
    employment_loket_id = serializers.UUIDField()
    year = serializers.IntegerField()
    period = serializers.IntegerField()
    period_type = serializers.CharField()
    gross = serializers.DecimalField(max_digits=12, decimal_places=2)
    sv_wage = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    tax_wage = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    holiday_allowance = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    hours_paid = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)


class LeaveOut(serializers.Serializer):
    employment_loket_id = serializers.UUIDField()
    year = serializers.IntegerField()
    kind = serializers.CharField()
    accrued = serializers.DecimalField(max_digits=8, decimal_places=2)
    taken = serializers.DecimalField(max_digits=8, decimal_places=2)
    balance = serializers.DecimalField(max_digits=8, decimal_places=2)


def records_page(name: str, record: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """A page of one version's records: the delivery, the version, the cursor links."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "delivery": serializers.IntegerField(),
            "version": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": record(many=True),
        },
    )


EmployeesPage = records_page("EmployeesPage", EmployeeOut)
EmploymentsPage = records_page("EmploymentsPage", EmploymentOut)
WagesPage = records_page("WagesPage", WageOut)
LeavePage = records_page("LeavePage", LeaveOut)


class PeriodWageOut(WageOut):
    delivery = serializers.IntegerField(help_text="The delivery the record belongs to.")
    link = serializers.IntegerField(help_text="The link of that delivery.")
    version = serializers.IntegerField(help_text="The delivery's current version.")


class PeriodWagesPage(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PeriodWageOut(many=True)


class BsnSearchIn(serializers.Serializer):
    bsn = serializers.RegexField(r"^[0-9]{8,9}$", help_text="The BSN (8 or 9 digits).")
    version = serializers.IntegerField(required=False, min_value=1)


class BsnSearchOut(serializers.Serializer):
    delivery = serializers.IntegerField()
    version = serializers.IntegerField()
    results = EmployeeOut(many=True)


class Problem(serializers.Serializer):
    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()


PROBLEMS = {
    code: OpenApiResponse(Problem, description=text)
    for code, text in (
        (400, "Bad parameter, page_size or cursor (problem details)."),
        (401, "Missing, unknown or expired token (problem details)."),
        (403, "The token lacks a scope (problem details)."),
        (429, "Rate limit of the client reached; see Retry-After (problem details)."),
    )
}
NOT_FOUND = {404: OpenApiResponse(Problem, description="Not found (problem details).")}
GONE = {410: OpenApiResponse(Problem, description="Data deleted after retention.")}

PAGE_SIZE = OpenApiParameter(
    "page_size", int, description="Rows per page, 1 to API_MAX_PAGE_SIZE (default 100)."
)
CURSOR = OpenApiParameter("cursor", str, description="From next or previous, unchanged.")
CHANGED_SINCE = OpenApiParameter(
    "changed_since", str, description="ISO 8601 date or date-time: changed at or after it."
)
VERSION = OpenApiParameter(
    "version", int, description="The version of the delivery (default: its current one)."
)


class ClientCredentialsScheme(DjangoOAuthToolkitScheme):
    """The OAuth2 security scheme (client credentials, scopes) for api.auth's authentication."""

    target_class = "api.auth.ClientCredentialsAuthentication"
