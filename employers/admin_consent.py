"""The a.s.r. side of revocation (issue 12): the admin action "Koppeling beëindigen" on the
links, with a reason (an intermediate page), for staff with the ``employers.end_employerlink``
permission. The change itself is :func:`employers.services.link_revoke`'s: the link and its
request end at once, and the processor and a.s.r. are mailed."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.forms import SingleLineField
from employers import services
from employers.models import EmployerLink
from employers.services.consent import REASON_MAX

END_PERMISSION = "employers.end_employerlink"


class EndLinkForm(forms.Form):
    reason = SingleLineField(
        label=_("Reden van beëindiging"),
        max_length=REASON_MAX,
        help_text=_("Deze reden staat in de e-mail aan de salarisverwerker en in de historie."),
    )


class EndLinkAdminMixin:
    """For :class:`~employers.admin.EmployerLinkAdmin`: the action ``end_link``."""

    def has_end_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(END_PERMISSION))

    @admin.action(description=_("Koppeling beëindigen"), permissions=["end"])
    def end_link(
        self, request: HttpRequest, queryset: QuerySet[EmployerLink]
    ) -> HttpResponse | None:
        model_admin: admin.ModelAdmin = self  # type: ignore[assignment]
        form = EndLinkForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for link in queryset.order_by("pk"):
                try:
                    services.link_revoke(
                        link_id=link.pk,
                        reason=form.cleaned_data["reason"],
                        actor=request.user,  # type: ignore[arg-type]
                        actor_label=f"medewerker {request.user}",
                    )
                except ValidationError as error:
                    model_admin.message_user(
                        request,
                        f"{link.employer_name}: {' '.join(error.messages)}",
                        messages.WARNING,
                    )
                else:
                    done += 1
            if done:
                model_admin.message_user(
                    request,
                    ngettext(
                        "%(count)d koppeling beëindigd; de salarisverwerker en a.s.r. worden "
                        "gemaild.",
                        "%(count)d koppelingen beëindigd; de salarisverwerkers en a.s.r. worden "
                        "gemaild.",
                        done,
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        context = {
            **model_admin.admin_site.each_context(request),
            "title": _("Koppelingen beëindigen"),
            "opts": model_admin.model._meta,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action_name": "end_link",
            "media": model_admin.media,
        }
        return TemplateResponse(request, "admin/employers/employerlink/end_reason.html", context)
