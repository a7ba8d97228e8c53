"""Admin pieces both apps use: the read-only inline for history rows, and who made a change, in
the staff member's language."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The services store who made a change as Dutch text (``actor_label``): the history is an audit
# record and stays as written. The admin shows the known labels in the active language; anything
# else (an older or unknown label) as stored.
ACTOR_LABELS = {
    "aanmeldformulier": _("aanmeldformulier"),
    "activatielink": _("activatielink"),
    "statuspagina": _("statuspagina"),
    "salarisverwerker": _("salarisverwerker"),
    "dagelijkse hercontrole": _("dagelijkse hercontrole"),
    "demogegevens": _("demogegevens"),
    "aanvraagformulier werkgever": _("aanvraagformulier werkgever"),
    "aanvraag en aanmelding compleet": _("aanvraag en aanmelding compleet"),
    "aanmelding door salarisverwerker": _("aanmelding door salarisverwerker"),
    "bevestigingslink werkgever": _("bevestigingslink werkgever"),
    "aanvraag van vóór het klantregister": _("aanvraag van vóór het klantregister"),
}
_STAFF = re.compile(r"\Amedewerker (?P<name>.+)\Z", re.DOTALL)
_TASK = re.compile(r"\Ataak (?P<task>[\w.]+)(?: \(poging (?P<attempt>\d+)\))?\Z")


def actor_text(label: str) -> str:
    """Who or what made a change (a stored ``actor_label``), in the active language."""
    if label in ACTOR_LABELS:
        return str(ACTOR_LABELS[label])
    if staff := _STAFF.match(label):
        return gettext("medewerker %(name)s") % {"name": staff["name"]}
    if task := _TASK.match(label):
        if task["attempt"]:
            return gettext("taak %(task)s (poging %(attempt)s)") % {
                "task": task["task"],
                "attempt": task["attempt"],
            }
        return gettext("taak %(task)s") % {"task": task["task"]}
    return label


class ReadOnlyInline(admin.TabularInline):
    """History and other append-only rows shown under their parent, never edited there. Whoever
    may see (or change) the parent may see them."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        opts = self.parent_model._meta
        return request.user.has_perm(
            f"{opts.app_label}.view_{opts.model_name}"
        ) or request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
