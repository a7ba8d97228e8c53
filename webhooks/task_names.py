"""The registered names of the webhook tasks: the one place they are written (see
:mod:`common.dispatch`). ``config.settings`` names the periodic one in the beat schedule."""

from __future__ import annotations

SEND_MESSAGE = "webhooks.tasks.send_message"

# Periodic (the beat): collect new events into the outbox, hand out due messages.
SWEEP = "webhooks.tasks.sweep_webhooks"

ALL = (SEND_MESSAGE, SWEEP)
