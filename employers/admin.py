"""The a.s.r. side of employer requests and links: look up, follow the history, re-check, export.

Requests come from the employers' form and links from the processors' registrations, so the
admin cannot add them, and only superusers may delete. Nothing is edited here directly: every
state change goes through ``employers.services`` (which records who made it); the admin shows
data and routes actions.

The CSV export of active links (``export-actief/`` on the links' change list) streams its rows,
so 10,000 links cost a few queries and flat memory, and it neutralises cells a spreadsheet would
run as a formula (employer names come from Loket.nl and request forms: untrusted).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import ReadOnlyInline, actor_text
from employers import selectors, services
from employers.admin_consent import EndLinkAdminMixin
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    LinkTaxNumber,
    RequestStatus,
    RequestTaxNumber,
    VerificationMethod,
)
from locket_client.problems import explain, manual_step

# A cell starting with one of these is a formula to Excel/LibreOffice (CSV injection); tab and
# carriage return too, as OWASP lists them.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = (
    "salarisverwerker",
    "werkgever",
    "kvk_nummer",
    "loonheffingennummers",
    "loket_werkgever_id",
    "actief_sinds",
)
CSV_CHUNK = 2000
# Dutch Excel expects ";" between cells; the BOM makes it read the file as UTF-8.
CSV_DELIMITER = ";"
CSV_BOM = "\ufeff"


def _actor_label(request: HttpRequest) -> str:
    return f"medewerker {request.user}"


def csv_safe(value: object) -> str:
    """A cell as text, with a leading quote when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose ``write`` returns the line: csv.writer without a buffer."""

    def write(self, value: str) -> str:
        return value


def _problem(code: str, detail: str = "") -> SafeString | str:
    if not code:
        return "-"
    step, message = manual_step(code), explain(code, detail)
    return format_html("<strong>{}</strong> {}<br>{}", code, step and f"({step})", message)


# --- inlines -------------------------------------------------------------------------------------


class RequestTaxNumberInline(ReadOnlyInline):
    model = RequestTaxNumber
    verbose_name = _("loonheffingennummer")
    verbose_name_plural = _("loonheffingennummers")
    fields = ("number", "is_open")
    readonly_fields = fields


class LinkTaxNumberInline(ReadOnlyInline):
    model = LinkTaxNumber
    verbose_name = _("loonheffingennummer")
    verbose_name_plural = _("loonheffingennummers (volgens Loket.nl)")
    fields = ("number",)
    readonly_fields = fields


class _EventInline(ReadOnlyInline):
    model = EmployerEvent
    verbose_name = _("gebeurtenis")
    verbose_name_plural = _("geschiedenis")
    fields = ("change_display", "at", "actor_display", "note")
    readonly_fields = fields
    ordering = ("at", "id")
    classes = ("history",)

    @admin.display(description=_("wijziging"))
    def change_display(self, obj: EmployerEvent) -> str:
        return str(obj)

    @admin.display(description=_("door"))
    def actor_display(self, obj: EmployerEvent) -> str:
        return actor_text(obj.actor_label)


class RequestEventInline(_EventInline):
    fk_name = "request"


class LinkEventInline(_EventInline):
    fk_name = "link"


class _NoAddMixin:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # these come from the employers' form and the processors' registrations

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The evidence per employer (issue 12) is read from these rows and their history: no
        # one deletes them by hand, not even a superuser. Unverified requests expire by
        # themselves (employers.services.verification.requests_expire).
        return False


# --- requests ------------------------------------------------------------------------------------


@admin.register(EmployerRequest)
class EmployerRequestAdmin(_NoAddMixin, admin.ModelAdmin):
    list_display = (
        "company_name",
        "kvk_number",
        "processor",
        "status",
        "problem_code",
        "created_at",
    )
    list_filter = ("status", ("processor", admin.RelatedOnlyFieldListFilter))
    search_fields = ("company_name", "kvk_number", "tax_numbers__number")
    list_select_related = ("processor",)
    date_hierarchy = "created_at"
    list_per_page = 100
    fields = (
        "company_name",
        "kvk_number",
        "processor",
        "status",
        "problem_display",
        "contact_name",
        "contact_email",
        "contact_phone",
        "consent_at",
        "checked_at",
        "created_at",
        "mails_sent_at",
        "problem_mailed_at",
    )
    readonly_fields = fields
    inlines = (RequestTaxNumberInline, RequestEventInline)

    @admin.display(description=_("probleem"))
    def problem_display(self, obj: EmployerRequest) -> SafeString | str:
        return _problem(obj.problem_code)


# --- links ---------------------------------------------------------------------------------------


@admin.register(EmployerLink)
class EmployerLinkAdmin(EndLinkAdminMixin, _NoAddMixin, admin.ModelAdmin):
    list_display = (
        "employer_name",
        "processor",
        "status",
        "problem_code",
        "activated_at",
        "evidence_link",
    )
    list_filter = ("status", ("processor", admin.RelatedOnlyFieldListFilter))
    search_fields = (
        "employer_name",
        "kvk_number",
        "tax_numbers__number",
        "request__company_name",
    )
    list_select_related = ("processor",)
    list_per_page = 100
    fields = (
        "employer_name",
        "kvk_number",
        "processor",
        "loket_employer_id",
        "request",
        "status",
        "problem_display",
        "registered_by",
        "registered_at",
        "checked_at",
        "activated_at",
        "employer_notified_at",
        "processor_notified_at",
        "ended_at",
        "end_reason",
        "ended_by",
        "end_mailed_at",
    )
    readonly_fields = fields
    inlines = (LinkTaxNumberInline, LinkEventInline)
    actions = ("recheck", "end_link")
    change_list_template = "admin/employers/employerlink/change_list.html"

    @admin.display(description=_("probleem"))
    def problem_display(self, obj: EmployerLink) -> SafeString | str:
        return _problem(obj.problem_code, obj.problem_detail)

    @admin.display(description=_("bewijs"))
    def evidence_link(self, obj: EmployerLink) -> SafeString:
        url = reverse("admin:employers_employerlink_evidence", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Bewijs"))

    @admin.action(description=_("Opnieuw controleren"), permissions=["change"])
    def recheck(self, request: HttpRequest, queryset: QuerySet[EmployerLink]) -> None:
        recheckable = (LinkStatus.PROBLEM, LinkStatus.NEEDS_ATTENTION)
        links = list(queryset.filter(status__in=recheckable))
        skipped = queryset.exclude(status__in=recheckable).count()
        done = 0
        for link in links:
            try:
                services.link_recheck_request(
                    link=link, actor=request.user, actor_label=_actor_label(request)
                )
            except ValidationError as error:
                self.message_user(
                    request, f"{link.employer_name}: {' '.join(error.messages)}", messages.WARNING
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d koppeling wordt opnieuw gecontroleerd.",
                    "%(count)d koppelingen worden opnieuw gecontroleerd.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d koppeling overgeslagen: alleen koppelingen met een probleem "
                    "worden opnieuw gecontroleerd.",
                    "%(count)d koppelingen overgeslagen: alleen koppelingen met een probleem "
                    "worden opnieuw gecontroleerd.",
                    skipped,
                )
                % {"count": skipped},
                messages.INFO,
            )

    # --- CSV export of active links --------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export-actief/",
            self.admin_site.admin_view(self.export_active_view),
            name="employers_employerlink_export_active",
        )
        return [export, *_evidence_urls(self), *super().get_urls()]

    def export_active_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """All active links (optionally of one processor: ``?processor__id__exact=<id>``, the
        list filter's parameter) as CSV, streamed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        links = (
            EmployerLink.objects.filter(status=LinkStatus.ACTIVE)
            .select_related("processor")
            .prefetch_related(
                Prefetch("tax_numbers", queryset=LinkTaxNumber.objects.order_by("number"))
            )
            .order_by("processor__company_name", "processor_id", "employer_name", "pk")
        )
        processor_id = request.GET.get("processor__id__exact", "")
        if processor_id:
            if not (processor_id.isascii() and processor_id.isdigit() and len(processor_id) < 19):
                raise Http404
            links = links.filter(processor_id=int(processor_id))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(_csv_rows(links), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="actieve-koppelingen-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        return response


def _csv_rows(links: QuerySet[EmployerLink]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER)
    yield CSV_BOM + writer.writerow(CSV_HEADER)
    for link in links.iterator(chunk_size=CSV_CHUNK):
        activated = timezone.localtime(link.activated_at) if link.activated_at else None
        yield writer.writerow(
            [
                csv_safe(link.processor.company_name),
                csv_safe(link.employer_name),
                csv_safe(link.kvk_number),
                csv_safe(" ".join(n.number for n in link.tax_numbers.all())),
                csv_safe(link.loket_employer_id),
                activated.isoformat(timespec="seconds") if activated else "",
            ]
        )


# --- evidence per link (issue 12) ----------------------------------------------------------------


def _evidence_urls(model_admin: EmployerLinkAdmin) -> list[URLPattern]:
    """Before the admin's own ``<object_id>/`` catch-all: the page and the JSON download."""
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "<path:object_id>/bewijs/",
            wrap(partial(evidence_view, model_admin)),
            name="employers_employerlink_evidence",
        ),
        path(
            "<path:object_id>/bewijs.json",
            wrap(partial(evidence_json_view, model_admin)),
            name="employers_employerlink_evidence_json",
        ),
    ]


def _viewable_link(
    model_admin: EmployerLinkAdmin, request: HttpRequest, object_id: str
) -> EmployerLink:
    link = model_admin.get_object(request, unquote(object_id))
    if link is None:
        raise Http404
    if not model_admin.has_view_permission(request, link):
        raise PermissionDenied
    return link


def _as_datetimes(value: Any, key: str = "") -> Any:
    """The evidence with its times as datetimes again (``at``, ``…_at``), for ``|date``."""
    if isinstance(value, dict):
        return {k: _as_datetimes(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_datetimes(v) for v in value]
    if isinstance(value, str) and (key == "at" or key.endswith("_at")):
        return dt.datetime.fromisoformat(value)
    return value


def evidence_view(
    model_admin: EmployerLinkAdmin, request: HttpRequest, object_id: str
) -> TemplateResponse:
    """The evidence of one link as a page: read-only, nothing on it changes anything."""
    link = _viewable_link(model_admin, request, object_id)
    document = selectors.evidence(link)
    for row in document["events"]:
        row["actor_text"] = actor_text(row["actor_label"])
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": link,
        "title": _("Bewijs: %(employer)s bij %(processor)s")
        % {"employer": link.employer_name, "processor": link.processor.company_name},
        "evidence": _as_datetimes(document),
    }
    return TemplateResponse(request, "admin/employers/employerlink/evidence.html", context)


def evidence_json_view(
    model_admin: EmployerLinkAdmin, request: HttpRequest, object_id: str
) -> JsonResponse:
    """The same evidence as a JSON file (labels in Dutch, as a.s.r.'s record)."""
    link = _viewable_link(model_admin, request, object_id)
    with translation.override("nl"):
        document = selectors.evidence(link)
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="bewijs-koppeling-{link.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


# --- a.s.r.'s review queue (issue 12) -----------------------------------------------------------

REVIEW_PERMISSION = "employers.review_employerrequest"
REJECT_TEMPLATE = "admin/employers/employerrequest/reject_reason.html"


class ReviewQueueFilter(admin.SimpleListFilter):
    """ "Te beoordelen": the requests the customer register could not verify."""

    title = _("beoordeling")
    parameter_name = "beoordeling"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("te_beoordelen", _("Te beoordelen"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[EmployerRequest]
    ) -> QuerySet[EmployerRequest]:
        if self.value() == "te_beoordelen":
            return queryset.filter(status=RequestStatus.IN_REVIEW)
        return queryset


class RejectRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reden van afwijzing"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=300,
        help_text=_("Deze reden staat in de e-mail aan de werkgever (het opgegeven adres)."),
    )


class EmployerRequestReviewAdmin(EmployerRequestAdmin):
    """The requests' admin with the review queue: the register match in the list, and approve /
    reject for staff with the permission "Mag aanvragen beoordelen"."""

    list_display = (*EmployerRequestAdmin.list_display, "register_display", "expires_at")
    list_filter = (ReviewQueueFilter, *EmployerRequestAdmin.list_filter)
    fields = (
        *EmployerRequestAdmin.fields,
        "policy_number",
        "register_display",
        "verification_method",
        "verified_at",
        "verified_by",
        "verified_email",
        "expires_at",
        "before_register",
        "verification_mailed_at",
        "decision_reason",
        "decided_at",
    )
    readonly_fields = fields
    actions = ("approve", "reject")

    @admin.display(description=_("klantregister"))
    def register_display(self, obj: EmployerRequest) -> SafeString | str:
        if obj.register_policy:
            return format_html(
                '{}<span class="secondary">{}</span>', obj.register_policy, obj.register_email
            )
        if obj.policy_number:
            return format_html(
                '{}<span class="secondary">{}</span>',
                _("geen overeenkomst"),
                _("opgegeven polis %(policy)s") % {"policy": obj.policy_number},
            )
        return _("geen overeenkomst")

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION)

    @admin.action(description=_("Goedkeuren (aanvrager gecontroleerd)"), permissions=["review"])
    def approve(self, request: HttpRequest, queryset: QuerySet[EmployerRequest]) -> None:
        done = skipped = 0
        for employer_request in queryset.order_by("pk"):
            if employer_request.status != RequestStatus.IN_REVIEW:
                skipped += 1
                continue
            try:
                services.request_verify(
                    request_id=employer_request.pk,
                    method=VerificationMethod.REVIEW,
                    actor=request.user,
                    actor_label=_actor_label(request),
                )
            except ValidationError as error:  # DuplicateRequest, or decided meanwhile
                self.message_user(
                    request,
                    f"{employer_request.company_name}: {' '.join(error.messages)}",
                    messages.WARNING,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d aanvraag goedgekeurd; werkgever en salarisverwerker worden gemaild.",
                    "%(count)d aanvragen goedgekeurd; werkgevers en salarisverwerkers worden "
                    "gemaild.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d aanvraag overgeslagen: alleen aanvragen die ter beoordeling "
                    "liggen kunnen worden goedgekeurd.",
                    "%(count)d aanvragen overgeslagen: alleen aanvragen die ter beoordeling "
                    "liggen kunnen worden goedgekeurd.",
                    skipped,
                )
                % {"count": skipped},
                messages.INFO,
            )

    @admin.action(description=_("Afwijzen (met reden)"), permissions=["review"])
    def reject(
        self, request: HttpRequest, queryset: QuerySet[EmployerRequest]
    ) -> HttpResponse | None:
        form = RejectRequestForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for employer_request in queryset.order_by("pk"):
                try:
                    services.request_reject(
                        request_id=employer_request.pk,
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                        actor_label=_actor_label(request),
                    )
                except ValidationError as error:
                    self.message_user(
                        request,
                        f"{employer_request.company_name}: {' '.join(error.messages)}",
                        messages.WARNING,
                    )
                else:
                    done += 1
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d aanvraag afgewezen; de reden is gemaild.",
                        "%(count)d aanvragen afgewezen; de reden is gemaild.",
                        done,
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Aanvragen afwijzen"),
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action_name": "reject",
            "media": self.media,
        }
        return TemplateResponse(
            request, "admin/employers/employerrequest/reject_reason.html", context
        )


admin.site.unregister(EmployerRequest)
admin.site.register(EmployerRequest, EmployerRequestReviewAdmin)
