"""Claiming outbox rows: the rule every "send once" in the portal follows.

A piece of due work (a mail, mostly) is a column on the row it is about. Its sender holds the row
with ``SELECT ... FOR NO KEY UPDATE SKIP LOCKED`` in the transaction that does the work and marks
it done, so two copies of a task never both send. A row another transaction holds at that moment
(the linking task, a visibility check, a digest, a second copy of this task) is not skipped for
good: :func:`hold` says which rows were held by others, and the task tries them again in
:data:`HELD_RETRY_SECONDS` (as often as its retries allow; then the beat's sweep, within a
minute, sends whatever is still due).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

HELD_RETRY_SECONDS = 5
"""How soon a task tries again the rows another transaction held."""

REARM = dt.timedelta(minutes=2)
"""After a sweep handed a mail to Celery again, how long before it may do so again: the copy may
wait behind a long queue, or the mail server may be down for an hour; neither may pile up a new
copy on every run of the sweep."""


class RowsHeld(Exception):
    """Rows still due were held by another transaction; try them again shortly."""

    def __init__(self, ids: list[int]) -> None:
        super().__init__(f"{len(ids)} row(s) held by another transaction")
        self.ids = ids


def hold(due: QuerySet[Any]) -> tuple[list[int], list[int]]:
    """Lock the rows of ``due`` that nobody else holds, inside the caller's transaction.

    Returns (ids held here, ids still due but held by another transaction). The second list is
    read without waiting: a row locked elsewhere is still readable in its committed state. The
    lock is FOR NO KEY UPDATE: inserting a row that refers to this one (a history row, say)
    takes a key-share lock that must neither wait for a mail being sent nor look like a holder.
    """
    mine = list(
        due.select_for_update(skip_locked=True, no_key=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    others = list(due.exclude(pk__in=mine).order_by("pk").values_list("pk", flat=True))
    return mine, others
