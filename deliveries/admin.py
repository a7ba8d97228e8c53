"""The deliveries in the admin: read-only lists, "Opnieuw ophalen" and "Periode opnieuw ophalen".

Staff see the state of every delivery (status, attempts, the failure in words, the versions with
their counts) and never a person's data: no record model is registered, and nothing here shows
a BSN, a name or a wage. Re-running needs the permission ``deliveries.rerun_delivery``: the
action makes the selected deliveries due now (a delivered one is read again; a different answer
becomes a new version), the page re-runs one period for one processor and makes the missing
deliveries of its live links. Both only mark rows due: the sweep starts them within the call
budget.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from deliveries import periods
from deliveries.models import Delivery, DeliveryVersion, PeriodType, RetentionRun
from deliveries.services import deliveries_rerun, failure_text, period_rerun
from onboarding.models import CONFIRMED_STATES, PayrollProcessor

RERUN_PERMISSION = "deliveries.rerun_delivery"


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionInline(_ReadOnly, admin.TabularInline):
    model = DeliveryVersion
    fields = (
        "number",
        "retrieved_at",
        "employee_count",
        "employment_count",
        "wage_count",
        "leave_count",
    )
    readonly_fields = fields
    extra = 0
    ordering = ("-number",)
    can_delete = False


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "employer",
        "processor",
        "period_label",
        "period_type",
        "status",
        "attempts",
        "failure",
        "current_version",
        "delivered_at",
        "updated_at",
    )
    list_filter = ("status", "period_type", "year", "processor")
    list_select_related = ("link", "processor")
    search_fields = ("link__employer_name",)
    ordering = ("-period_end", "link__employer_name", "pk")
    date_hierarchy = "period_end"
    show_full_result_count = False
    fields = (
        "link",
        "processor",
        "period_type",
        "year",
        "period",
        "period_start",
        "period_end",
        "status",
        "failure",
        "will_retry",
        "attempts",
        "last_attempt_at",
        "due_at",
        "claimed_until",
        "current_version",
        "delivered_at",
        "data_deleted_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (VersionInline,)
    actions = ("rerun",)
    change_list_template = "admin/deliveries/delivery/change_list.html"

    @admin.display(description=_("werkgever"), ordering="link__employer_name")
    def employer(self, obj: Delivery) -> str:
        return obj.link.employer_name

    @admin.display(description=_("periode"), ordering="period_end")
    def period_label(self, obj: Delivery) -> str:
        return obj.period_obj.label()

    @admin.display(description=_("reden"))
    def failure(self, obj: Delivery) -> str:
        return failure_text(obj.failure_code, obj.failure_reason)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RERUN_PERMISSION)

    @admin.action(description=_("Opnieuw ophalen"), permissions=["rerun"])
    def rerun(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = deliveries_rerun(delivery_ids=ids)
        self.message_user(
            request,
            ngettext(
                "%(count)d levering wordt opnieuw opgehaald.",
                "%(count)d leveringen worden opnieuw opgehaald.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if count < len(ids):
            self.message_user(
                request,
                gettext(
                    "%(count)d levering(en) overgeslagen: ze worden nu opgehaald, of hun "
                    "gegevens zijn verwijderd (bewaartermijn)."
                )
                % {"count": len(ids) - count},
                messages.WARNING,
            )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "may_rerun_period": self.has_rerun_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list[URLPattern]:
        rerun = path(
            "periode-opnieuw-ophalen/",
            self.admin_site.admin_view(self.rerun_period_view),
            name="deliveries_delivery_rerun_period",
        )
        return [rerun, *super().get_urls()]

    def rerun_period_view(self, request: HttpRequest) -> HttpResponse:
        return _rerun_period_view(self, request)


class RerunPeriodForm(forms.Form):
    processor = forms.ModelChoiceField(
        label=_("Salarisverwerker"),
        queryset=PayrollProcessor.objects.filter(status__in=CONFIRMED_STATES).order_by(
            "company_name"
        ),
    )
    period_type = forms.ChoiceField(
        label=_("Verloningsperiode"), choices=PeriodType.choices, initial=PeriodType.MONTH
    )
    year = forms.IntegerField(label=_("Jaar"), min_value=2000, max_value=2100)
    period = forms.IntegerField(label=_("Periode"), min_value=1, max_value=53)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not {"period_type", "year", "period"} <= data.keys():
            return data
        try:
            data["period_obj"] = periods.Period(data["year"], data["period"], data["period_type"])
        except ValueError:
            raise forms.ValidationError(
                gettext("Deze periode bestaat niet in dat jaar."), code="no_such_period"
            ) from None
        return data


def _rerun_period_view(model_admin: DeliveryAdmin, request: HttpRequest) -> HttpResponse:
    """GET: the form. POST (CSRF-checked by ``admin_view``): re-run, then back to the list."""
    if not model_admin.has_rerun_permission(request):
        raise PermissionDenied
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "POST":
        form = RerunPeriodForm(request.POST)
        if form.is_valid():
            processor = form.cleaned_data["processor"]
            period = form.cleaned_data["period_obj"]
            result = period_rerun(processor=processor, period=period)
            model_admin.message_user(
                request,
                gettext(
                    "%(processor)s, periode %(period)s: %(rerun)d levering(en) opnieuw "
                    "ophalen, waarvan %(created)d nieuw."
                )
                % {
                    "processor": processor.company_name,
                    "period": period.label(),
                    "rerun": result.rerun,
                    "created": result.created,
                },
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:deliveries_delivery_changelist"))
    else:
        form = RerunPeriodForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Periode opnieuw ophalen"),
        "opts": Delivery._meta,
        "form": form,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/deliveries/delivery/rerun_period.html", context)


@admin.register(RetentionRun)
class RetentionRunAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "ran_at",
        "cutoff",
        "months",
        "deliveries",
        "versions",
        "employees",
        "employments",
        "wages",
        "leave",
    )
    date_hierarchy = "ran_at"
    readonly_fields = list_display
    fields = list_display


from deliveries import admin_overview  # noqa: E402, F401
