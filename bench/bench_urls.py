"""URLconf of ``bench/pages.py``: the project's own URLs plus a bare view to compare them with."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    """The cheapest page this server can give: the floor the real pages are measured against."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/bare", bare),
    path("", include("config.urls")),
]
