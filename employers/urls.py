from __future__ import annotations

from django.urls import path

from employers.views import employer, status, verify, werkgever_request, werkgevers

app_name = "employers"

urlpatterns = [
    # the employer's side (employers/views/employer.py)
    path("salariskoppeling/aanvragen/", employer.request_form, name="request_form"),
    path("salariskoppeling/aangevraagd/<str:token>/", employer.request_done, name="request_done"),
    path("salariskoppeling/status/<str:token>/", status.status, name="status"),
    path(
        "salariskoppeling/status/<str:token>/aanvraag-intrekken/",
        status.status_withdraw,
        name="status_withdraw",
    ),
    path(
        "salariskoppeling/status/<str:token>/koppeling-intrekken/",
        status.status_revoke,
        name="status_revoke",
    ),
    # the processor's Werkgevers page (employers/views/werkgevers.py)
    path("account/werkgevers/", werkgevers.werkgevers, name="werkgevers"),
    path(
        "account/werkgevers/aanmelden/",
        werkgevers.werkgevers_register,
        name="werkgevers_register",
    ),
    path(
        "account/werkgevers/<int:link_id>/opnieuw/",
        werkgevers.werkgevers_recheck,
        name="werkgevers_recheck",
    ),
    # the employer's confirmation link (employers/views/verify.py)
    path("salariskoppeling/bevestigen/<str:token>/", verify.verify, name="verify"),
]

# The processor's view of one request, and declining it (employers/views/werkgever_request.py)
urlpatterns += [
    path(
        "account/werkgevers/aanvraag/<int:request_id>/",
        werkgever_request.werkgever_request,
        name="werkgevers_request",
    ),
    path(
        "account/werkgevers/aanvraag/<int:request_id>/weigeren/",
        werkgever_request.werkgever_decline,
        name="werkgevers_decline",
    ),
]
