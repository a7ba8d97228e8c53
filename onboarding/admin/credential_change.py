"""The processor admin's part for a confirmed processor's new Loket.nl account: what waits, and
the actions (confirm permission) that confirm or reject it through ``services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from onboarding import services
from onboarding.admin.forms import RejectForm
from onboarding.admin.history import render_findings
from onboarding.models import PayrollProcessor


def short_datetime(value: Any) -> str:
    if value is None:
        return "-"
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


class CredentialChangeAdmin:
    """Mixed into ``PayrollProcessorAdmin`` (which lists the actions and the display field)."""

    @admin.display(description=_("wacht op bevestiging"))
    def pending_display(self, obj: PayrollProcessor) -> SafeString:
        if not obj.has_pending_credentials:
            return format_html("{}", "-")
        outcome = {
            "passed": _("controle geslaagd"),
            "failed": _("controle niet geslaagd"),
        }.get(obj.pending_check_outcome, _("controle loopt"))
        return format_html(
            "{}: {}<br>{}: {}<br>{}: {}<br>{}: {}{}",
            _("omgevingscode"),
            obj.pending_omgevingscode,
            _("gebruikersnaam"),
            obj.pending_loket_username,
            _("aangevraagd op"),
            short_datetime(obj.pending_requested_at),
            _("controle"),
            outcome,
            render_findings(obj.pending_check_findings) if obj.pending_check_findings else "",
        )

    @admin.action(description=_("Nieuwe Loket.nl-gegevens bevestigen"), permissions=["confirm"])
    def confirm_credential_change(
        self, request: HttpRequest, queryset: QuerySet[PayrollProcessor]
    ) -> None:
        done = self._each(
            request,
            queryset,
            lambda p: services.credential_change_confirm(processor=p, by=request.user),
        )
        if done:
            self.message_user(
                request,
                ngettext(
                    "Nieuwe Loket.nl-gegevens bevestigd voor %(count)d salarisverwerker; ze "
                    "zijn nu in gebruik en worden opnieuw gecontroleerd.",
                    "Nieuwe Loket.nl-gegevens bevestigd voor %(count)d salarisverwerkers; ze "
                    "zijn nu in gebruik en worden opnieuw gecontroleerd.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Nieuwe Loket.nl-gegevens afwijzen (met reden)"), permissions=["confirm"]
    )
    def reject_credential_change(
        self, request: HttpRequest, queryset: QuerySet[PayrollProcessor]
    ) -> HttpResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            done = self._each(
                request,
                queryset,
                lambda p: services.credential_change_reject(
                    processor=p, by=request.user, reason=reason
                ),
            )
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "Nieuwe Loket.nl-gegevens afgewezen voor %(count)d salarisverwerker; de "
                        "reden is gemaild.",
                        "Nieuwe Loket.nl-gegevens afgewezen voor %(count)d salarisverwerkers; de "
                        "reden is gemaild.",
                        done,
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Nieuwe Loket.nl-gegevens afwijzen"),
            "intro": _(
                "U wijst de nieuwe Loket.nl-gegevens van de volgende salarisverwerkers af; hun "
                "huidige gegevens blijven in gebruik. De salarisverwerker krijgt een e-mail met de "
                "reden die u hieronder invult."
            ),
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action_name": "reject_credential_change",
            "media": self.media,
        }
        return TemplateResponse(request, "admin/onboarding/reject_reason.html", context)


class WaitingChangeFilter(admin.SimpleListFilter):
    """The registrations whose new Loket.nl account waits for a.s.r.'s confirmation."""

    title = _("nieuwe Loket.nl-gegevens")
    parameter_name = "wijziging"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("wacht", _("wachten op bevestiging"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[PayrollProcessor]
    ) -> QuerySet[PayrollProcessor]:
        if self.value() == "wacht":
            return queryset.filter(pending_requested_at__isnull=False)
        return queryset
