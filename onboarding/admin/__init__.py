"""The a.s.r. side: staff review, confirm or reject payroll-processor registrations.

Every decision goes through ``onboarding.services`` (which records who made it); the admin only
shows data and routes actions. The Loket.nl password is never shown, not even encrypted and not
as a hidden input: the change form has a write-only "Nieuw wachtwoord" field instead.
Registrations come from the public form, so the admin cannot add them.

What lives where:

- :mod:`~onboarding.admin.processor`: ``PayrollProcessorAdmin``, the list, the change form
  (saved through ``services.processor_edit``) and the actions (confirm, reject, re-check,
  resend the mail).
- :mod:`~onboarding.admin.credential_change`: a confirmed processor's new Loket.nl account that
  waits for a.s.r. (shown on the change page, a list filter, and the confirm and reject actions,
  which need the confirm permission).
- :mod:`~onboarding.admin.forms`: its forms (the change form's single-line fields and write-only
  password; the rejection reason).
- :mod:`~onboarding.admin.history`: the read-only history and check attempts (inlines, and the
  audit trail across all registrations), with the stored findings rendered as the manual's steps.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

# Imported for their @admin.register side effect (Django's autodiscover imports this package).
from onboarding.admin import history, processor  # noqa: F401

admin.site.site_header = _("a.s.r. Salariskoppeling — beheer")
admin.site.site_title = _("a.s.r. Salariskoppeling")
admin.site.index_title = _("Aanmeldingen en koppelingen")
