from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # Before the admin's own URLs: the admin answers every other path under beheer/ itself.
    path("beheer/tweestapsverificatie/", include("staffauth.urls")),
    path("beheer/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The API for a.s.r.'s systems (its errors are problem details: api.middleware).
    path("api/", include("api.urls")),
    path("", include("onboarding.urls")),
    path("", include("employers.urls")),
    path("", include("deliveries.urls")),
]

# Error pages in the portal's look with a.s.r.'s contact details: the templates 400.html,
# 403.html, 404.html and 500.html, rendered by the views in common.errors (none of which reads the
# request body again: see there).
handler400 = "common.errors.bad_request"
handler403 = "common.errors.permission_denied"
handler404 = "common.errors.page_not_found"
handler500 = "common.errors.server_error"
