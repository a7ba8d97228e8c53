"""The registered names of the employer side's Celery tasks: the one place they are written.

Services enqueue by these names through :mod:`common.dispatch` (they never import
``employers.tasks``); ``employers.tasks`` registers each task under its name; the beat schedule
in ``config.settings`` names the periodic ones. The names are those of the first release, so
messages already queued under them are still understood.
"""

from __future__ import annotations

LINK_EMPLOYERS = "employers.tasks.link_employers"
CHECK_REQUEST_VISIBILITY = "employers.tasks.check_request_visibility"
RECHECK_LINKS = "employers.tasks.recheck_links"
SEND_REQUEST_MAILS = "employers.tasks.send_request_mails"
SEND_REQUEST_PROBLEM_MAIL = "employers.tasks.send_request_problem_mail"
SEND_LINK_ACTIVE_MAILS = "employers.tasks.send_link_active_mails"
SEND_PROCESSOR_DIGEST = "employers.tasks.send_processor_digest"

# Periodic (the beat): config.settings.CELERY_BEAT_SCHEDULE
SWEEP_PENDING_LINKS = "employers.tasks.sweep_pending_links"
SEND_DUE_DIGESTS = "employers.tasks.send_due_digests"
SWEEP_UNSENT_MAILS = "employers.tasks.sweep_unsent_mails"
RECHECK_EVERYTHING = "employers.tasks.recheck_everything"

ALL = (
    LINK_EMPLOYERS,
    CHECK_REQUEST_VISIBILITY,
    RECHECK_LINKS,
    SEND_REQUEST_MAILS,
    SEND_REQUEST_PROBLEM_MAIL,
    SEND_LINK_ACTIVE_MAILS,
    SEND_PROCESSOR_DIGEST,
    SWEEP_PENDING_LINKS,
    SEND_DUE_DIGESTS,
    SWEEP_UNSENT_MAILS,
    RECHECK_EVERYTHING,
)

# Issue 12 (consent): the mails that follow a withdrawn request and an ended link.
SEND_REQUEST_WITHDRAWN_MAIL = "employers.tasks.send_request_withdrawn_mail"
SEND_LINK_ENDED_MAIL = "employers.tasks.send_link_ended_mail"
ALL = (*ALL, SEND_REQUEST_WITHDRAWN_MAIL, SEND_LINK_ENDED_MAIL)
# Issue 12, the processor's part: the employer is told of a number problem and of a decline.
SEND_LINK_EMPLOYER_PROBLEM_MAIL = "employers.tasks.send_link_employer_problem_mail"
SEND_REQUEST_DECLINED_MAIL = "employers.tasks.send_request_declined_mail"
ALL += (SEND_LINK_EMPLOYER_PROBLEM_MAIL, SEND_REQUEST_DECLINED_MAIL)
# Verification of requests (issue 12)
SEND_VERIFICATION_MAIL = "employers.tasks.send_verification_mail"
SEND_REQUEST_REJECTED_MAIL = "employers.tasks.send_request_rejected_mail"
EXPIRE_REQUESTS = "employers.tasks.expire_requests"  # periodic (the beat)

ALL += (SEND_VERIFICATION_MAIL, SEND_REQUEST_REJECTED_MAIL, EXPIRE_REQUESTS)
