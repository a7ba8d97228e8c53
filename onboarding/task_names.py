"""The registered names of onboarding's Celery tasks: the one place they are spelled.

Services enqueue by these names through :mod:`common.dispatch` (they never import
``onboarding.tasks``); the tasks declare themselves with them. The names are the ones the tasks
have always been registered under, so the beat schedule (``config/settings.py``) and messages
already in a broker still match. Import-free on purpose: anything may import it.
"""

CHECK_CREDENTIALS = "onboarding.tasks.check_credentials"
RECHECK_PROCESSOR = "onboarding.tasks.recheck_processor"
SWEEP_PENDING_CHECKS = "onboarding.tasks.sweep_pending_checks"
SWEEP_UNSENT_MAILS = "onboarding.tasks.sweep_unsent_mails"
NOTIFY_ASR_NEW_REGISTRATION = "onboarding.tasks.notify_asr_new_registration"
SEND_RECEIVED_MAIL = "onboarding.tasks.send_received_mail"
SEND_CONFIRMATION_MAIL = "onboarding.tasks.send_confirmation_mail"
SEND_REJECTION_MAIL = "onboarding.tasks.send_rejection_mail"
SEND_NEEDS_ATTENTION_MAIL = "onboarding.tasks.send_needs_attention_mail"

ALL = (
    CHECK_CREDENTIALS,
    RECHECK_PROCESSOR,
    SWEEP_PENDING_CHECKS,
    SWEEP_UNSENT_MAILS,
    NOTIFY_ASR_NEW_REGISTRATION,
    SEND_RECEIVED_MAIL,
    SEND_CONFIRMATION_MAIL,
    SEND_REJECTION_MAIL,
    SEND_NEEDS_ATTENTION_MAIL,
)

# Issue 13: a confirmed processor's new omgevingscode or gebruikersnaam waits for a.s.r.
CHECK_PENDING_CREDENTIALS = "onboarding.tasks.check_pending_credentials"
SEND_CREDENTIAL_CHANGE_MAILS = "onboarding.tasks.send_credential_change_mails"
ALL = (*ALL, CHECK_PENDING_CREDENTIALS, SEND_CREDENTIAL_CHANGE_MAILS)
# issue 13: the accounts' mails (by processor id; the reset link is made when the mail is sent)
SEND_PASSWORD_RESET_MAIL = "onboarding.tasks.send_password_reset_mail"  # noqa: S105
SEND_DUPLICATE_NOTICE_MAIL = "onboarding.tasks.send_duplicate_notice_mail"
ALL = (*ALL, SEND_PASSWORD_RESET_MAIL, SEND_DUPLICATE_NOTICE_MAIL)
