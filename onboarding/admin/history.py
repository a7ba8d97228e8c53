"""The read-only history of registrations: status changes and check attempts, as inlines of a
registration and as the audit trail across all of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyInline
from locket_client.diagnose import Finding
from onboarding.models import CheckAttempt, StatusChange


def render_findings(data: Iterable[dict[str, object]] | None) -> SafeString:
    """Stored findings as an HTML list: manual step + message, everything escaped."""
    rows: list[tuple[str, str]] = []
    for item in data or []:
        try:
            finding = Finding.from_dict(item)
        except (KeyError, ValueError, TypeError):
            rows.append(("?", str(item.get("code", item)) if isinstance(item, dict) else "?"))
            continue
        rows.append((finding.manual_step() or "-", finding.message()))
    if not rows:
        return format_html("{}", "-")
    return format_html(
        "<ul>{}</ul>", format_html_join("", "<li><strong>{}</strong>: {}</li>", rows)
    )


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    verbose_name_plural = _("geschiedenis")
    fields = ("at", "from_status", "to_status", "actor_label", "note", "findings_display")
    readonly_fields = fields
    ordering = ("at", "id")

    @admin.display(description=_("bevindingen"))
    def findings_display(self, obj: StatusChange) -> SafeString:
        return render_findings(obj.findings)


class CheckAttemptInline(ReadOnlyInline):
    model = CheckAttempt
    verbose_name_plural = _("controlepogingen")
    fields = (
        "started_at",
        "finished_at",
        "trigger",
        "outcome",
        "employer_count",
        "findings_display",
    )
    readonly_fields = fields
    ordering = ("-started_at", "-id")

    @admin.display(description=_("bevindingen"))
    def findings_display(self, obj: CheckAttempt) -> SafeString:
        return render_findings(obj.findings)


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The audit trail across all registrations, read-only."""

    list_display = ("at", "processor", "from_status", "to_status", "actor_label", "note")
    list_filter = ("to_status",)
    search_fields = ("processor__company_name", "actor_label", "note")
    date_hierarchy = "at"
    list_select_related = ("processor",)
    fields = ("processor", "at", "from_status", "to_status", "actor", "actor_label", "note")
    readonly_fields = fields

    @admin.display(description=_("bevindingen"))
    def findings_display(self, obj: StatusChange) -> SafeString:
        return render_findings(obj.findings)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*self.fields, "findings_display")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
