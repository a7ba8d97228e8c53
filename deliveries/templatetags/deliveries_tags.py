"""Deliveries on the pages of other apps, without those apps importing this one (the import
layers put ``deliveries`` above ``onboarding`` and ``employers``): their templates load this
library.

- ``{% last_deliveries processor %}``: the dashboard's table of the latest delivery per employer
  (the :data:`DASHBOARD_ROWS` newest, with the way to ``/account/leveringen/`` for all);
- ``{% link_data_flow employer_request %}``: the employer's status page says whether data flows
  for its link and when it last did;
- ``{{ delivery|period_name }}`` / ``{{ period|period_name }}``: "maart 2026", "week 7 van 2026".
"""

from __future__ import annotations

from typing import Any

from django import template

from deliveries import periods, reporting
from deliveries.models import Delivery

register = template.Library()

DASHBOARD_ROWS = 10


@register.filter
def period_name(value: Delivery | periods.Period | None) -> str:
    """A period as people say it, in the page's language (:func:`reporting.period_name`)."""
    if value is None:
        return ""
    return reporting.period_name(value.period_obj if isinstance(value, Delivery) else value)


@register.inclusion_tag("deliveries/_last_deliveries.html")
def last_deliveries(processor: Any) -> dict[str, Any]:
    """The newest :data:`DASHBOARD_ROWS` of the processor's last delivery per employer, and how
    many employers have one (two queries)."""
    rows, total = reporting.last_deliveries(processor, limit=DASHBOARD_ROWS)
    return {"rows": rows, "total": total, "shown": len(rows)}


@register.inclusion_tag("deliveries/_data_flow.html")
def link_data_flow(employer_request: Any) -> dict[str, Any]:
    """What the employer's status page says about its data (nothing before a link was
    active)."""
    return {"flow": reporting.link_data_flow(list(employer_request.links.all()))}
