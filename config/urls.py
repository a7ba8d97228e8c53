from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # Before the admin's own URLs: the admin answers every other path under beheer/ itself.
    path("beheer/tweestapsverificatie/", include("staffauth.urls")),
    path("beheer/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("onboarding.urls")),
    path("", include("employers.urls")),
]

# Error pages in the portal's look with a.s.r.'s contact details (400, 403 and 404 need only their
# templates; see common.errors for why 500 needs a view).
handler500 = "common.errors.server_error"
