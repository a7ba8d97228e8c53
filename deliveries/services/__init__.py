"""The deliveries' services. What lives where:

- :mod:`~deliveries.services.delivering`: one delivery (claim, retrieve, store once).
- :mod:`~deliveries.services.retrieving`: the period's answer from Loket.nl and its hash.
- :mod:`~deliveries.services.planning`: the planner, the sweep, staff re-runs.
- :mod:`~deliveries.services.retention`: deleting wage data past its retention.
- :mod:`~deliveries.services.budget`: the Loket.nl call budget per environment.
- :mod:`~deliveries.services.failures`: failure and stop codes with their Dutch texts.
"""

from __future__ import annotations

from deliveries.services.delivering import Outcome, backoff, deliver
from deliveries.services.failures import failure_text
from deliveries.services.planning import (
    PeriodRerun,
    PlanResult,
    deliveries_hand_out,
    deliveries_plan,
    deliveries_rerun,
    deliveries_stop_ended,
    deliveries_sweep,
    period_rerun,
)
from deliveries.services.retention import old_wage_data_delete, retention_cutoff

__all__ = [
    "Outcome",
    "PeriodRerun",
    "PlanResult",
    "backoff",
    "deliver",
    "deliveries_hand_out",
    "deliveries_plan",
    "deliveries_rerun",
    "deliveries_stop_ended",
    "deliveries_sweep",
    "failure_text",
    "old_wage_data_delete",
    "period_rerun",
    "retention_cutoff",
]
