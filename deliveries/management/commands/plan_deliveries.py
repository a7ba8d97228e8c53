"""``manage.py plan_deliveries``: what the beat's planner does, at once (for operators and demos).

Plans the deliveries of every closed period of the active links (as the beat every
``DELIVERY_PLAN_SECONDS``), then hands the due ones to the workers within the call budget (as
the sweep every ``DELIVERY_SWEEP_SECONDS``). Without a broker (the embedded default without
``make run``) the deliveries run in this process.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from deliveries.services import deliveries_hand_out, deliveries_plan


class Command(BaseCommand):
    help = "Plan de leveringen van afgesloten perioden en geef de openstaande door aan de workers."

    def handle(self, *args: object, **options: object) -> None:
        result = deliveries_plan()
        handed = deliveries_hand_out()
        self.stdout.write(
            f"Leveringen: {result.created} nieuw, {result.reread} opnieuw te lezen, "
            f"{result.revived} hervat; {handed} doorgegeven aan de workers."
        )
