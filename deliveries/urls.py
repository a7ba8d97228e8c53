from __future__ import annotations

from django.urls import path

from deliveries import views

app_name = "deliveries"

urlpatterns = [
    path("account/leveringen/", views.processor_deliveries, name="processor_deliveries"),
]
