"""The a.s.r. manual "Handleiding aanmelden salarisverwerker Loket.nl" as a page of the portal.

Every reference to a step elsewhere (the findings of a check, the problems of an employer link, the
home page, the register page, the mails) uses this page's numbering and links to its anchors:
``#stap-1`` to ``#stap-5``, and the parts of step 3 (``#stap-3-omgevingscode`` ...), whose names
``locket_client.problems`` keeps (``MANUAL_STEPS``, ``MANUAL_PARTS``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from locket_client.types import REQUIRED_PARTY


@require_safe
def manual(request: HttpRequest) -> HttpResponse:
    return render(request, "onboarding/manual.html", {"party": REQUIRED_PARTY})
