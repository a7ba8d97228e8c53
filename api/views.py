"""The API's views: thin, read-only. Parameters are read by api.params (400 on a bad value),
rows by api.selectors (plain dicts), errors answered by api.problems."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider.views import TokenView as OAuthTokenView
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api import params, schema, selectors
from api.auth import token_scopes
from api.problems import PROBLEM_TYPES, problem_response
from api.scopes import BSN, READ
from deliveries.bsn import bsn_hash
from deliveries.models import DeliveryStatus, PeriodType
from employers.models import LinkStatus
from onboarding import ratelimit
from onboarding.http import client_ip
from onboarding.ratelimit import Limit


class ApiView(GenericAPIView):
    required_scopes: ClassVar[list[str]] = [READ]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Personal data: no shared cache or browser keeps a copy.
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def paginated(self, rows: Any, build: Any) -> Response:
        return self.get_paginated_response(build(self.paginate_queryset(rows)))


def _not_found() -> Http404:
    return Http404(_("Niet gevonden."))


# --- links ----------------------------------------------------------------------------------


class LinkList(ApiView):
    @extend_schema(
        summary="List links",
        parameters=[
            schema.OpenApiParameter("status", str, enum=LinkStatus.values),
            schema.CHANGED_SINCE,
            schema.PAGE_SIZE,
            schema.CURSOR,
        ],
        responses={200: schema.LinkOut(many=True), **schema.PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        rows = selectors.links(
            status=params.optional_choice(query, "status", LinkStatus.values),
            changed_since=params.optional_moment(query, "changed_since"),
        )
        return self.paginated(rows, selectors.link_rows)


class LinkDetail(ApiView):
    pagination_class = None

    @extend_schema(
        summary="One link",
        responses={200: schema.LinkOut, **schema.PROBLEMS, **schema.NOT_FOUND},
    )
    def get(self, request: Request, pk: str) -> Response:
        row = selectors.links().filter(id=params.parse_id(pk)).first()
        if row is None:
            raise _not_found()
        return Response(selectors.link_rows([row])[0])


# --- deliveries -----------------------------------------------------------------------------


class DeliveryList(ApiView):
    @extend_schema(
        summary="List deliveries",
        parameters=[
            schema.OpenApiParameter(
                "period", str, description="2026-03 (month), 2026-4w05 (4 weeks), 2026-w07 (week)"
            ),
            schema.OpenApiParameter("year", int),
            schema.OpenApiParameter("period_type", str, enum=PeriodType.values),
            schema.OpenApiParameter("status", str, enum=DeliveryStatus.values),
            schema.OpenApiParameter("link", int, description="The id of a link."),
            schema.CHANGED_SINCE,
            schema.PAGE_SIZE,
            schema.CURSOR,
        ],
        responses={200: schema.DeliveryOut(many=True), **schema.PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        rows = selectors.deliveries(
            period=params.optional_period(query, "period"),
            year=params.optional_year(query, "year"),
            period_type=params.optional_choice(query, "period_type", PeriodType.values),
            status=params.optional_choice(query, "status", DeliveryStatus.values),
            link=params.optional_id(query, "link"),
            changed_since=params.optional_moment(query, "changed_since"),
        )
        return self.paginated(rows, lambda page: [selectors.delivery_row(r) for r in page])


class DeliveryDetail(ApiView):
    pagination_class = None

    @extend_schema(
        summary="One delivery with its versions",
        responses={200: schema.DeliveryDetailOut, **schema.PROBLEMS, **schema.NOT_FOUND},
    )
    def get(self, request: Request, pk: str) -> Response:
        found = selectors.delivery_detail(params.parse_id(pk))
        if found is None:
            raise _not_found()
        return Response(found)


# --- the records of a delivery's version ------------------------------------------------------


class RecordsView(ApiView):
    """One version's records (the delivery's current version unless ``?version=n``). The
    next/previous links name the version, so a walk over the pages stays on one version even
    when a correction arrives meanwhile."""

    rows: ClassVar[Any]
    build: ClassVar[Any]

    def version(self, request: Request, pk: str) -> tuple[int, int]:
        number = params.optional_id(request.query_params, "version")
        found = selectors.version_of(params.parse_id(pk), number)
        if found is None:
            raise _not_found()
        return found

    def page(self, request: Request, pk: str, rows: Any, build: Any) -> Response:
        version_id, number = self.version(request, pk)
        page = self.paginate_queryset(rows(version_id))
        self.paginator.base_url = replace_query_param(self.paginator.base_url, "version", number)
        response = self.get_paginated_response(build(page))
        response.data = {"delivery": int(pk), "version": number, **response.data}
        return response


_RECORD_PARAMETERS = [schema.VERSION, schema.PAGE_SIZE, schema.CURSOR]
_RECORD_ERRORS = {**schema.PROBLEMS, **schema.NOT_FOUND, **schema.GONE}


class EmployeeList(RecordsView):
    @extend_schema(
        summary="Employees of a delivery (BSN only with the scope bsn)",
        parameters=_RECORD_PARAMETERS,
        responses={200: schema.EmployeesPage, **_RECORD_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        with_bsn = BSN in token_scopes(request)
        return self.page(
            request,
            pk,
            selectors.employees,
            lambda page: selectors.employee_rows(page, with_bsn=with_bsn),
        )


class EmployeeSearch(RecordsView):
    """Find employees by BSN: the number goes in the body, never in a URL (URLs end up in
    access logs and browser histories)."""

    required_scopes: ClassVar[list[str]] = [READ, BSN]
    pagination_class = None

    @extend_schema(
        summary="Find employees of a delivery by BSN (scopes read and bsn)",
        request=schema.BsnSearchIn,
        responses={200: schema.BsnSearchOut, **_RECORD_ERRORS},
    )
    def post(self, request: Request, pk: str) -> Response:
        bsn, version = params.bsn_search(request.data)
        found = selectors.version_of(params.parse_id(pk), version)
        if found is None:
            raise _not_found()
        version_id, number = found
        rows = selectors.employees(version_id, bsn_hash=bsn_hash(bsn)).order_by("id")
        return Response(
            {
                "delivery": int(pk),
                "version": number,
                "results": selectors.employee_rows(rows, with_bsn=True),
            }
        )


class EmploymentList(RecordsView):
    @extend_schema(
        summary="Employments of a delivery",
        parameters=_RECORD_PARAMETERS,
        responses={200: schema.EmploymentsPage, **_RECORD_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        return self.page(request, pk, selectors.employments, selectors.employment_rows)


class WageList(RecordsView):
    @extend_schema(
        summary="Wage records of a delivery",
        parameters=_RECORD_PARAMETERS,
        responses={200: schema.WagesPage, **_RECORD_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        return self.page(request, pk, selectors.wages, selectors.wage_rows)


class PeriodWageList(ApiView):
    """All wage records of one period across the links, each from its delivery's current
    version: one walk over pages instead of one per delivery."""

    @extend_schema(
        summary="Wage records of a period, across deliveries",
        parameters=[
            schema.OpenApiParameter(
                "period",
                str,
                required=True,
                description="2026-03 (month), 2026-4w05 (4 weeks), 2026-w07 (week)",
            ),
            schema.OpenApiParameter("link", int, description="The id of a link."),
            schema.PAGE_SIZE,
            schema.CURSOR,
        ],
        responses={200: schema.PeriodWagesPage, **schema.PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        period = params.optional_period(query, "period")
        if period is None:
            raise params.InvalidParameters(
                {"period": _("Verplicht: een periode als 2026-03, 2026-4w05 of 2026-w07.")}
            )
        rows = selectors.period_wages(period, link=params.optional_id(query, "link"))
        return self.paginated(rows, selectors.period_wage_rows)


class LeaveList(RecordsView):
    @extend_schema(
        summary="Leave balances of a delivery (yearly)",
        parameters=_RECORD_PARAMETERS,
        responses={200: schema.LeavePage, **_RECORD_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        return self.page(request, pk, selectors.leave, selectors.leave_rows)


# --- schema, docs, token --------------------------------------------------------------------


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI, self-hosted (drf-spectacular-sidecar, no CDN), its start script served as a
    file of its own so that the portal's Content-Security-Policy holds (no inline script)."""

    authentication_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = [AllowAny]
    throttle_classes: ClassVar[list] = []
    url_name = "api:schema"


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema, public (it holds no data): the docs page links it."""

    authentication_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = [AllowAny]
    throttle_classes: ClassVar[list] = []


@cache
def _schema_paths() -> list[tuple[str, str, str]]:
    """(method, path, operationId) of every operation in the schema, in the schema's order."""
    document = SchemaGenerator(patterns=None).get_schema(request=None, public=True)
    return [
        (method.upper(), path, operation["operationId"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


# What each operation does, for people (the schema's summaries are for machines, in English).
OPERATIONS = {
    "links_list": gettext_lazy("Koppelingen, te filteren op status en changed_since."),
    "links_retrieve": gettext_lazy("Eén koppeling."),
    "deliveries_list": gettext_lazy(
        "Leveringen, te filteren op period, year, period_type, status, link en changed_since."
    ),
    "deliveries_retrieve": gettext_lazy("Eén levering, met haar versies."),
    "deliveries_employees_retrieve": gettext_lazy(
        "De werknemers van een levering; het BSN alleen met de scope bsn."
    ),
    "deliveries_employees_search_create": gettext_lazy(
        "Werknemers van een levering zoeken op BSN (scopes read en bsn; het BSN in de body)."
    ),
    "deliveries_employments_retrieve": gettext_lazy("De dienstverbanden van een levering."),
    "deliveries_wages_retrieve": gettext_lazy("De loonregels van een levering."),
    "deliveries_leave_retrieve": gettext_lazy("De verlofsaldi van een levering (per jaar)."),
}


def docs(request: HttpRequest) -> HttpResponse:
    endpoints = [
        {"method": method, "path": path, "anchor": operation, "text": OPERATIONS.get(operation, "")}
        for method, path, operation in _schema_paths()
    ]
    context = {
        "endpoints": endpoints,
        "problems": [(slug, title, meaning) for slug, (title, meaning) in PROBLEM_TYPES.items()],
        "token_minutes": settings.API_TOKEN_SECONDS // 60,
        "per_minute": settings.API_REQUESTS_PER_MINUTE_PER_CLIENT,
        "max_page_size": settings.API_MAX_PAGE_SIZE,
        "default_page_size": settings.API_DEFAULT_PAGE_SIZE,
        "schema_url": reverse("api:schema"),
    }
    return render(request, "api/docs.html", context)


class TokenView(OAuthTokenView):
    """DOT's token endpoint for the client credentials grant only (HTTP Basic with the client's
    id and secret, or both in the form). Other grants are refused with OAuth's
    ``unsupported_grant_type`` before DOT looks at anything; more than
    ``API_TOKEN_REQUESTS_PER_IP_PER_HOUR`` requests from one address get 429."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Each attempt costs a password hash of the secret: a cap per address keeps guessing
        # from eating the CPU (counted in Redis like the portal's other limits, fails closed).
        limit = Limit("api-token", settings.API_TOKEN_REQUESTS_PER_IP_PER_HOUR, 3600)
        try:
            ratelimit.hit(limit, client_ip(request))
        except ratelimit.RateLimited as limited:
            response = problem_response(request, 429)
            response["Retry-After"] = str(limited.retry_after)
            return response
        if request.POST.get("grant_type") != "client_credentials":
            response = HttpResponse(
                json.dumps(
                    {
                        "error": "unsupported_grant_type",
                        "error_description": "Only grant_type=client_credentials is supported.",
                    }
                ),
                status=400,
                content_type="application/json",
            )
            response["Cache-Control"] = "no-store"
            return response
        return super().post(request, *args, **kwargs)
