from __future__ import annotations

from django.urls import path

from employers import views

app_name = "employers"

urlpatterns = [
    # the employer's side (employers/views.py)
    path("salariskoppeling/aanvragen/", views.request_form, name="request_form"),
    path("salariskoppeling/aangevraagd/<str:token>/", views.request_done, name="request_done"),
]
