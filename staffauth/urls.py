from __future__ import annotations

from django.urls import path

from staffauth import views

app_name = "staffauth"

urlpatterns = [
    path("instellen/", views.setup, name="setup"),
    path("code/", views.verify, name="verify"),
]
