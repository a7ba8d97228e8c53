"""The read-only history of registrations: status changes and check attempts, as inlines of a
registration and as the audit trail across all of them.

A change reads as words in the staff member's language ("Ingediend → Controle niet geslaagd",
"medewerker jan", the time as the language writes it), never as the stored codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyInline, actor_text
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


def count_text(value: int | None) -> str:
    """A count as the language writes it ("10.000" / "10,000"); "-" when unknown."""
    return "-" if value is None else number_format(value, force_grouping=True)


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    verbose_name = _("statuswijziging")
    verbose_name_plural = _("geschiedenis")
    fields = ("change_display", "at", "actor_display", "note", "findings_display")
    readonly_fields = fields
    ordering = ("at", "id")
    classes = ("history",)

    @admin.display(description=_("wijziging"))
    def change_display(self, obj: StatusChange) -> str:
        return str(obj)

    @admin.display(description=_("door"))
    def actor_display(self, obj: StatusChange) -> str:
        return actor_text(obj.actor_label)

    @admin.display(description=_("bevindingen"))
    def findings_display(self, obj: StatusChange) -> SafeString:
        return render_findings(obj.findings)


class CheckAttemptInline(ReadOnlyInline):
    model = CheckAttempt
    verbose_name = _("controlepoging")
    verbose_name_plural = _("controlepogingen")
    fields = (
        "started_at",
        "finished_at",
        "trigger_display",
        "outcome",
        "employer_count_display",
        "findings_display",
    )
    readonly_fields = fields
    ordering = ("-started_at", "-id")
    classes = ("history",)

    @admin.display(description=_("aanleiding"))
    def trigger_display(self, obj: CheckAttempt) -> str:
        return actor_text(obj.trigger)

    @admin.display(description=_("werkgevers"))
    def employer_count_display(self, obj: CheckAttempt) -> str:
        return count_text(obj.employer_count)

    @admin.display(description=_("bevindingen"))
    def findings_display(self, obj: CheckAttempt) -> SafeString:
        return render_findings(obj.findings)


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The audit trail across all registrations, read-only."""

    list_display = ("at", "processor", "change_display", "actor_display", "note")
    list_filter = ("to_status",)
    search_fields = ("processor__company_name", "actor_label", "note")
    date_hierarchy = "at"
    list_select_related = ("processor",)
    fields = ("processor", "at", "change_display", "actor_display", "note", "findings_display")
    readonly_fields = fields

    @admin.display(description=_("wijziging"))
    def change_display(self, obj: StatusChange) -> str:
        return str(obj)

    @admin.display(description=_("door"), ordering="actor_label")
    def actor_display(self, obj: StatusChange) -> str:
        return actor_text(obj.actor_label)

    @admin.display(description=_("bevindingen"))
    def findings_display(self, obj: StatusChange) -> SafeString:
        return render_findings(obj.findings)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
