"""Services: every change to a payroll-processor registration goes through here.

Views, forms, admin actions and tasks hold no rules; they call one of these functions. Each
records the state change it makes (:func:`~onboarding.services.history.record_status_change`)
and hands work to Celery only after commit, by the task's registered name
(:mod:`common.dispatch`, names in :mod:`onboarding.task_names`): no service imports a task.

What lives where:

- :mod:`~onboarding.services.registration`: the processor's side. Submit a registration,
  correct its Loket.nl details, ask for the check again (also the daily re-check).
- :mod:`~onboarding.services.credential_check`: the check itself (one worker per request,
  findings stored, stale results thrown away) and the outbox sweep of checks never enqueued.
- :mod:`~onboarding.services.review`: the a.s.r. side. Confirm, reject, correct (the admin's
  change form), send the mail again.
- :mod:`~onboarding.services.credential_change`: a confirmed processor's new omgevingscode or
  gebruikersnaam waits for a.s.r. (checked live; confirmed or rejected in the admin), and
  a.s.r. changes a processor's e-mail address.
- :mod:`~onboarding.services.accounts`: the processor's portal account (activation, login with
  its lockout).
- :mod:`~onboarding.services.outbox`: the registration's mails, each sent once, and the sweep
  that hands lost ones to Celery again.
- :mod:`~onboarding.services.history`: the :class:`~onboarding.models.StatusChange` row every
  service writes.

The public functions are re-exported here: callers write ``services.registration_submit(...)``.
"""

from __future__ import annotations

from onboarding.services.accounts import login_attempt, registration_activate
from onboarding.services.credential_change import (
    credential_change_confirm,
    credential_change_reject,
    pending_check_defer,
    pending_check_run,
    pending_credential_checks_enqueue,
    processor_change_email,
)
from onboarding.services.credential_check import (
    TEMPORARY_RETRY_SECONDS,
    CheckResult,
    check_defer,
    check_run,
    pending_checks_enqueue,
)
from onboarding.services.recovery import (
    duplicate_notice_request,
    password_change,
    password_reset_complete,
    password_reset_request,
    reauthenticate,
)
from onboarding.services.registration import (
    DuplicateRegistration,
    check_request,
    credentials_update,
    daily_recheck_request,
    registration_submit,
)
from onboarding.services.review import (
    CheckNotPassed,
    mail_resend,
    processor_edit,
    registration_confirm,
    registration_reject,
)

__all__ = [
    "TEMPORARY_RETRY_SECONDS",
    "CheckNotPassed",
    "CheckResult",
    "DuplicateRegistration",
    "check_defer",
    "check_request",
    "check_run",
    "credential_change_confirm",
    "credential_change_reject",
    "credentials_update",
    "daily_recheck_request",
    "duplicate_notice_request",
    "login_attempt",
    "mail_resend",
    "password_change",
    "password_reset_complete",
    "password_reset_request",
    "pending_check_defer",
    "pending_check_run",
    "pending_checks_enqueue",
    "pending_credential_checks_enqueue",
    "processor_change_email",
    "processor_edit",
    "reauthenticate",
    "registration_activate",
    "registration_confirm",
    "registration_reject",
    "registration_submit",
]
