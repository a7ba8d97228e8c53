"""The a.s.r. admin for webhooks: subscriptions (the secret shown once, "Nieuw geheim"), the
messages with every attempt, and "Opnieuw versturen".

Nothing here holds a rule: saving, rotating and sending again go through
:mod:`webhooks.services`. A secret in plain text exists only in the response that shows it
(never in a message cookie, the session or a log), with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from common.admin import ReadOnlyInline
from webhooks import services
from webhooks.models import EventType, WebhookAttempt, WebhookMessage, WebhookSubscription
from webhooks.sending import body_of


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "Een https-adres van a.s.r. dat berichten ontvangt; geen privé- of intern netwerkadres."
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("gebeurtenissen"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(EventType.values),
    )

    class Meta:
        model = WebhookSubscription
        fields = ("description", "url", "events", "active")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        services.url_validate(url)
        return url

    def clean_events(self) -> list[str]:
        events = list(self.cleaned_data["events"])
        services.events_validate(events)
        return events


def _secret_page(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    shown: list[tuple[WebhookSubscription, str]],
    *,
    title: str,
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "shown": shown,
    }
    response = TemplateResponse(request, "admin/webhooks/webhooksubscription/secret.html", context)
    add_never_cache_headers(response)
    return response


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("description", "url", "events_display", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("description", "url")
    readonly_fields = ("created_at", "secret_rotated_at")
    actions = ("new_secret",)

    @admin.display(description=_("gebeurtenissen"))
    def events_display(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.events)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = ("description", "url", "events", "active")
        return fields if obj is None else (*fields, "created_at", "secret_rotated_at")

    @sensitive_variables("secret")
    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        fields = {
            "description": data["description"],
            "url": data["url"],
            "events": data["events"],
            "active": data["active"],
            # Checked by the form's clean_url a moment ago: a second DNS look-up could answer
            # otherwise and fail the save after the form was accepted (a server error).
            "url_checked": True,
        }
        if change:
            services.subscription_update(subscription=obj, **fields)
            return
        created, secret = services.subscription_create(**fields)
        obj.pk = created.pk
        obj.secret_encrypted = created.secret_encrypted
        obj.created_at = created.created_at
        obj._state.adding = False
        obj._state.db = created._state.db
        # For response_add only: the one response that shows it.
        request._webhook_secret = secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: WebhookSubscription, post_url_continue: Any = None
    ) -> HttpResponse:
        secret = getattr(request, "_webhook_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return _secret_page(
            request, self, [(obj, secret)], title=gettext("Webhookabonnement aangemaakt")
        )

    @admin.action(description=_("Nieuw geheim"), permissions=["change"])
    def new_secret(
        self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]
    ) -> TemplateResponse:
        shown = [
            (sub, services.subscription_rotate_secret(subscription_id=sub.pk))
            for sub in queryset.order_by("pk")
        ]
        return _secret_page(request, self, shown, title=gettext("Nieuw geheim"))


class AttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ("at", "status_code", "error_code", "error", "duration_ms")
    readonly_fields = fields
    verbose_name = _("poging")
    verbose_name_plural = _("pogingen")


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin):
    list_display = (
        "msg_id",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    list_filter = ("status", "event_type", "subscription")
    search_fields = ("msg_id", "event_key")
    list_select_related = ("subscription",)
    inlines = (AttemptInline,)
    actions = ("resend",)
    fields = (
        "subscription",
        "event_type",
        "event_key",
        "msg_id",
        "status",
        "attempts",
        "created_at",
        "first_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "payload_display",
    )
    readonly_fields = fields
    change_form_template = "admin/webhooks/webhookmessage/change_form.html"

    @admin.display(description=_("inhoud"))
    def payload_display(self, obj: WebhookMessage) -> str:
        return format_html("<pre>{}</pre>", body_of(obj.payload))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    @admin.action(description=_("Opnieuw versturen"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookMessage]) -> None:
        resent = services.messages_resend(message_ids=list(queryset.values_list("pk", flat=True)))
        if resent.sent or not resent.inactive:
            self.message_user(
                request,
                ngettext(
                    "%(count)d bericht wordt opnieuw verstuurd.",
                    "%(count)d berichten worden opnieuw verstuurd.",
                    resent.sent,
                )
                % {"count": resent.sent},
                messages.SUCCESS,
            )
        if resent.inactive:
            self.message_user(
                request,
                ngettext(
                    "%(count)d bericht van een uitgeschakeld abonnement is niet opnieuw "
                    "verstuurd: zet het abonnement eerst aan.",
                    "%(count)d berichten van uitgeschakelde abonnementen zijn niet opnieuw "
                    "verstuurd: zet die abonnementen eerst aan.",
                    resent.inactive,
                )
                % {"count": resent.inactive},
                messages.WARNING,
            )

    def get_urls(self) -> list[URLPattern]:
        resend = path(
            "<path:object_id>/opnieuw-versturen/",
            self.admin_site.admin_view(self.resend_view),
            name="webhooks_webhookmessage_resend",
        )
        return [resend, *super().get_urls()]

    def resend_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        message = self.get_object(request, unquote(object_id))
        if message is None:
            raise Http404
        if not self.has_change_permission(request, message):
            raise PermissionDenied
        resent = services.messages_resend(message_ids=[message.pk])
        if resent.inactive:
            self.message_user(
                request,
                gettext(
                    "Het bericht is niet opnieuw verstuurd: het abonnement is uitgeschakeld. "
                    "Zet het abonnement eerst aan."
                ),
                messages.WARNING,
            )
        else:
            self.message_user(
                request, gettext("Het bericht wordt opnieuw verstuurd."), messages.SUCCESS
            )
        return HttpResponseRedirect(
            reverse("admin:webhooks_webhookmessage_change", args=[message.pk])
        )
