"""``PayrollProcessorAdmin``: review, correct, confirm, reject, re-check, resend the mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters

from onboarding import services
from onboarding.admin.credential_change import CredentialChangeAdmin, WaitingChangeFilter
from onboarding.admin.forms import PayrollProcessorForm, RejectForm
from onboarding.admin.history import (
    CheckAttemptInline,
    StatusChangeInline,
    count_text,
    render_findings,
)
from onboarding.models import PayrollProcessor, Status
from onboarding.ratelimit import RateLimited
from onboarding.services.check_limits import check_cap_lift

CONFIRM_PERMISSION = "onboarding.confirm_payrollprocessor"

# Fields whose change means new Loket.nl credentials (read-only once a registration is rejected).
CREDENTIAL_FIELDS = ("omgevingscode", "loket_username")


def _actor_label(request: HttpRequest) -> str:
    return f"medewerker {request.user}"


@admin.register(PayrollProcessor)
class PayrollProcessorAdmin(CredentialChangeAdmin, admin.ModelAdmin):
    form = PayrollProcessorForm
    # Five columns, each holding what belongs together, so that the list fits 1280 px with the
    # navigation and the filters open (static/css/admin.css lets long values wrap).
    list_display = ("processor_display", "loket_account", "status", "checked", "registered")
    list_filter = ("status", WaitingChangeFilter)
    search_fields = ("company_name", "email", "omgevingscode", "loket_username")
    date_hierarchy = "created_at"
    list_per_page = 50
    readonly_fields = (
        "status",
        "findings_display",
        "employer_count_display",
        "checked_at",
        "check_pending",
        "rejection_reason",
        "user",
        "consent_at",
        "created_at",
        "confirmed_at",
        "activated_at",
        "pending_display",
    )
    fieldsets = (
        (None, {"fields": ("company_name", "email", "status", "rejection_reason")}),
        (
            _("Loket.nl"),
            {"fields": ("omgevingscode", "loket_username", "new_password")},
        ),
        (
            _("Laatste controle"),
            {
                "fields": (
                    "checked_at",
                    "check_pending",
                    "employer_count_display",
                    "findings_display",
                )
            },
        ),
        (
            _("Account en data"),
            {"fields": ("user", "consent_at", "created_at", "confirmed_at", "activated_at")},
        ),
    )
    inlines = (StatusChangeInline, CheckAttemptInline)
    actions = (
        "confirm",
        "reject",
        "recheck",
        "resend_mail",
        "confirm_credential_change",
        "reject_credential_change",
    )

    # --- display ---------------------------------------------------------------------------

    @admin.display(description=_("naam en e-mailadres"), ordering="company_name")
    def processor_display(self, obj: PayrollProcessor) -> SafeString:
        return format_html('{}<span class="secondary">{}</span>', obj.company_name, obj.email)

    @admin.display(description=_("Loket.nl-account"), ordering="omgevingscode")
    def loket_account(self, obj: PayrollProcessor) -> SafeString:
        return format_html(
            '{}<span class="secondary">{}</span>', obj.omgevingscode, obj.loket_username
        )

    @admin.display(description=_("bevindingen"))
    def findings_display(self, obj: PayrollProcessor) -> SafeString:
        return render_findings(obj.check_findings)

    @admin.display(description=_("aantal werkgevers"))
    def employer_count_display(self, obj: PayrollProcessor) -> str:
        return count_text(obj.check_employer_count)

    @admin.display(description=_("laatste controle"), ordering="checked_at")
    def checked(self, obj: PayrollProcessor) -> str:
        return short_datetime(obj.checked_at)

    @admin.display(description=_("aangemeld op"), ordering="created_at")
    def registered(self, obj: PayrollProcessor) -> str:
        return short_datetime(obj.created_at)

    @admin.display(description=_("controle wacht"), boolean=True)
    def check_pending(self, obj: PayrollProcessor) -> bool:
        return obj.check_requested_at is not None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status == Status.REJECTED:
            # A rejected registration's credentials cannot change any more (the service refuses).
            readonly += [*CREDENTIAL_FIELDS]
        if obj is not None and not self.has_confirm_permission(request):
            # The address gets the activation link and the employers' requests: only staff who
            # may confirm change it (services.processor_change_email).
            readonly.append("email")
        return readonly

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.status == Status.REJECTED:
            fieldsets = [
                (name, {**options, "fields": [f for f in options["fields"] if f != "new_password"]})
                for name, options in fieldsets
            ]
        if obj is not None and obj.has_pending_credentials:
            fieldsets = [
                *fieldsets[:2],
                (
                    _("Nieuwe Loket.nl-gegevens (wachten op bevestiging)"),
                    {"fields": ["pending_display"]},
                ),
                *fieldsets[2:],
            ]
        return fieldsets

    # --- permissions -----------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registrations come from the public form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Never: a registration's history (StatusChange, read-only for everyone) and the
        # employers' requests and links (PROTECT) keep it, so Django's delete would refuse every
        # time. Without the permission there is no delete action and no delete button.
        return False

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CONFIRM_PERMISSION)

    # --- saving ----------------------------------------------------------------------------

    @method_decorator(sensitive_post_parameters("new_password"))
    def changeform_view(self, *args: Any, **kwargs: Any) -> HttpResponse:
        """The new Loket.nl password: "********" in Django's error reports."""
        return super().changeform_view(*args, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: PayrollProcessor, form: Any, change: bool
    ) -> None:
        """Everything goes through ``services.processor_edit``, which records the change; new
        Loket.nl details (or a new password) are checked again."""
        if not change:  # pragma: no cover - has_add_permission is False
            raise PermissionDenied
        data = form.cleaned_data
        try:
            credentials_changed = services.processor_edit(
                processor=obj,
                company_name=data.get("company_name", obj.company_name),
                email=data.get("email", obj.email),
                omgevingscode=data.get("omgevingscode", obj.omgevingscode),
                loket_username=data.get("loket_username", obj.loket_username),
                loket_password=data.get("new_password") or None,
                by=request.user,
                actor_label=_actor_label(request),
            )
        except (ValidationError, RateLimited) as error:
            request._onboarding_credentials_refused = True  # type: ignore[attr-defined]
            self.message_user(
                request,
                _("De Loket.nl-gegevens zijn niet gewijzigd: %(reason)s")
                % {"reason": _error_text(error)},
                messages.ERROR,
            )
            return
        if credentials_changed:
            self.message_user(
                request,
                _("De nieuwe Loket.nl-gegevens zijn opgeslagen; de controle loopt opnieuw."),
                messages.INFO,
            )

    def response_change(self, request: HttpRequest, obj: PayrollProcessor) -> HttpResponse:
        if getattr(request, "_onboarding_credentials_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    # --- actions ---------------------------------------------------------------------------

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[PayrollProcessor],
        work: Callable[[PayrollProcessor], object],
    ) -> int:
        """Run ``work`` for each selected registration; report each refusal by name."""
        done = 0
        for processor in queryset:
            try:
                work(processor)
            except PermissionDenied as error:
                self.message_user(request, str(error) or _("Geen toestemming."), messages.ERROR)
                return done
            except (ValidationError, RateLimited) as error:
                self.message_user(
                    request,
                    f"{processor.company_name}: {_error_text(error)}",
                    messages.WARNING,
                )
            else:
                done += 1
        return done

    @admin.action(description=_("Bevestigen (controle geslaagd)"), permissions=["confirm"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[PayrollProcessor]) -> None:
        if not self.has_confirm_permission(request):
            self.message_user(request, _("U mag aanmeldingen niet bevestigen."), messages.ERROR)
            return
        done = self._each(
            request,
            queryset,
            lambda p: services.registration_confirm(processor=p, by=request.user),
        )
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d aanmelding bevestigd; de bevestigingsmail wordt verstuurd.",
                    "%(count)d aanmeldingen bevestigd; de bevestigingsmails worden verstuurd.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Afwijzen (met reden)"), permissions=["change"])
    def reject(
        self, request: HttpRequest, queryset: QuerySet[PayrollProcessor]
    ) -> HttpResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            done = self._each(
                request,
                queryset,
                lambda p: services.registration_reject(processor=p, by=request.user, reason=reason),
            )
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d aanmelding afgewezen; de reden is gemaild.",
                        "%(count)d aanmeldingen afgewezen; de reden is gemaild.",
                        done,
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Aanmeldingen afwijzen"),
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action_name": "reject",
            "media": self.media,
        }
        return TemplateResponse(request, "admin/onboarding/reject_reason.html", context)

    @admin.action(description=_("Controle opnieuw uitvoeren"), permissions=["change"])
    def recheck(self, request: HttpRequest, queryset: QuerySet[PayrollProcessor]) -> None:
        done = self._each(
            request,
            queryset,
            lambda p: services.check_request(
                processor=p, actor=request.user, actor_label=_actor_label(request), client_ip=None
            ),
        )
        if done:
            self.message_user(
                request,
                ngettext(
                    "Controle aangevraagd voor %(count)d aanmelding.",
                    "Controle aangevraagd voor %(count)d aanmeldingen.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("E-mail opnieuw versturen"), permissions=["change"])
    def resend_mail(self, request: HttpRequest, queryset: QuerySet[PayrollProcessor]) -> None:
        done = self._each(request, queryset, lambda p: services.mail_resend(processor=p))
        if done:
            self.message_user(
                request,
                ngettext(
                    "E-mail opnieuw verstuurd voor %(count)d aanmelding.",
                    "E-mail opnieuw verstuurd voor %(count)d aanmeldingen.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )


def short_datetime(value: datetime | None) -> str:
    """A moment as the language writes it briefly ("30-11-2026 14:05", "11/30/2026 2:05 p.m."):
    the list's date columns stay narrow."""
    if value is None:
        return "-"
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _error_text(error: ValidationError | RateLimited) -> str:
    if isinstance(error, RateLimited):
        return str(_("te veel controles; probeer het over %(seconds)d seconden opnieuw.")) % {
            "seconds": error.retry_after
        }
    return " ".join(error.messages)


# --- the daily cap of failed credential checks (issue 13) -----------------------------------------


@admin.action(description=_("Controlelimiet opheffen"), permissions=["confirm"])
def lift_check_cap(
    modeladmin: PayrollProcessorAdmin, request: HttpRequest, queryset: QuerySet[PayrollProcessor]
) -> None:
    """Today's failed checks of the selected registrations' Loket.nl accounts (and of their
    omgevingscodes) start over: their checks go to Loket.nl again."""
    done = modeladmin._each(
        request,
        queryset,
        lambda p: check_cap_lift(processor=p, by=request.user, actor_label=_actor_label(request)),
    )
    if done:
        modeladmin.message_user(
            request,
            ngettext(
                "Controlelimiet opgeheven voor %(count)d aanmelding.",
                "Controlelimiet opgeheven voor %(count)d aanmeldingen.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )


PayrollProcessorAdmin.actions = (*PayrollProcessorAdmin.actions, lift_check_cap)
