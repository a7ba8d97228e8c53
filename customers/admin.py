"""a.s.r.'s customer register in the admin: customers with their policies, policies searchable by
KvK number, name, policy number and e-mail address, and "Klantregister importeren" (a CSV upload,
``customers.imports``) linked from the customers' list.

The upload is for staff who may add and change customers. A file over
``CUSTOMER_IMPORT_MAX_BYTES`` (50 MB) is refused before it is read; any other bad file (binary,
empty, a wrong header, another encoding) gets the import's report, never an error page.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.imports import HEADER, ImportReport, import_customers
from customers.models import Customer, Policy


class PolicyInline(admin.TabularInline):
    model = Policy
    fields = ("number", "contact_email", "updated_at")
    readonly_fields = ("updated_at",)
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "kvk_number", "policy_count", "updated_at")
    search_fields = ("kvk_number", "name", "policies__number", "policies__contact_email")
    readonly_fields = ("updated_at",)
    inlines = (PolicyInline,)
    change_list_template = "admin/customers/customer/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return super().get_queryset(request).annotate(policy_total=Count("policies", distinct=True))

    @admin.display(description=_("polissen"), ordering="policy_total")
    def policy_count(self, obj: Customer) -> int:
        return obj.policy_total

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "importeren/",
            self.admin_site.admin_view(self.import_view),
            name="customers_customer_import",
        )
        return [upload, *super().get_urls()]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "may_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    @staticmethod
    def import_limit() -> int:
        return int(settings.CUSTOMER_IMPORT_MAX_BYTES)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        return _import_view(self, request)


def _import_view(model_admin: CustomerAdmin, request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST (CSRF-checked by ``admin_view``): import, then the report."""
    if not model_admin.has_import_permission(request):
        raise PermissionDenied
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    limit = model_admin.import_limit()
    report: ImportReport | None = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, limit=limit)
        if form.is_valid():
            report = import_customers(
                form.cleaned_data["file"], actor_label=f"medewerker {request.user}"
            )
            form = ImportForm(limit=limit)
    else:
        form = ImportForm(limit=limit)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Klantregister importeren"),
        "opts": Customer._meta,
        "form": form,
        "report": report,
        "header": ";".join(HEADER),
        "limit": filesizeformat(limit),
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/customers/customer/import.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV-bestand"),
        error_messages={
            "required": _("Kies een CSV-bestand."),
            "empty": _("Het bestand is leeg."),
            "invalid": _("Dit is geen bestand. Kies een CSV-bestand."),
        },
    )

    def __init__(self, *args: object, limit: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.limit = limit
        self.fields["file"].help_text = gettext(
            "Een CSV-bestand in UTF-8 met als eerste regel %(header)s, één rij per polis; "
            "hoogstens %(limit)s."
        ) % {"header": ";".join(HEADER), "limit": filesizeformat(limit)}
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > self.limit:
            raise forms.ValidationError(
                gettext(
                    "Dit bestand is %(size)s; het grootste bestand dat hier kan is %(limit)s. "
                    "Importeer een groter bestand met manage.py import_customers."
                )
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(self.limit)},
                code="too_big",
            )
        return upload


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("number", "customer_name", "kvk_number", "contact_email", "updated_at")
    list_select_related = ("customer",)
    search_fields = ("number", "contact_email", "customer__kvk_number", "customer__name")
    autocomplete_fields = ("customer",)
    readonly_fields = ("updated_at",)

    @admin.display(description=_("klant"), ordering="customer__name")
    def customer_name(self, obj: Policy) -> str:
        return obj.customer.name

    @admin.display(description=_("KvK-nummer"), ordering="customer__kvk_number")
    def kvk_number(self, obj: Policy) -> str:
        return obj.customer.kvk_number
