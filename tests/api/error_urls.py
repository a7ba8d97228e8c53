"""The portal's URLs plus one API view that fails, for the 500 problem."""

from __future__ import annotations

from django.urls import path

from config.urls import urlpatterns as portal


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("api/v1/kapot/", broken), path("kapot/", broken), *portal]
handler500 = "common.errors.server_error"
handler404 = "common.errors.page_not_found"
