"""The portal's URLs plus views that fail on purpose, to render the error pages."""

from __future__ import annotations

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as portal_urlpatterns


def _bad_request(request: HttpRequest) -> HttpResponse:
    raise BadRequest("test")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("test")


urlpatterns = [
    path("test-fout/400/", _bad_request),
    path("test-fout/403/", _forbidden),
    path("test-fout/500/", _crash),
    *portal_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
