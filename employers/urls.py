from __future__ import annotations

from django.urls import path

from employers import views, views_processor

app_name = "employers"

urlpatterns = [
    # the employer's side (employers/views.py)
    path("salariskoppeling/aanvragen/", views.request_form, name="request_form"),
    path("salariskoppeling/aangevraagd/<str:token>/", views.request_done, name="request_done"),
    # the processor's Werkgevers page (employers/views_processor.py)
    path("account/werkgevers/", views_processor.werkgevers, name="werkgevers"),
    path(
        "account/werkgevers/aanmelden/",
        views_processor.werkgevers_register,
        name="werkgevers_register",
    ),
    path(
        "account/werkgevers/<int:link_id>/opnieuw/",
        views_processor.werkgevers_recheck,
        name="werkgevers_recheck",
    ),
]
