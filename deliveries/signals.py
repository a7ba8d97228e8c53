"""Signals of the deliveries, for the layers above (the webhooks' outbox).

Both are sent *inside* the transaction that records the outcome, so that a receiver writing an
outbox row commits or rolls back with it. Keyword arguments: ``delivery`` (the row as stored),
and for :data:`delivery_completed` ``version`` (the new :class:`DeliveryVersion`, or ``None``
when the answer equalled the stored one) and ``created`` (whether a new version was stored).
Receivers must not call Loket.nl or anything slow: the delivery's row lock is held.
"""

from __future__ import annotations

from django.dispatch import Signal

delivery_completed = Signal()
delivery_failed = Signal()
