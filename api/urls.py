from __future__ import annotations

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from api import views

app_name = "api"

v1 = [
    path("links/", views.LinkList.as_view(), name="links"),
    path("links/<str:pk>/", views.LinkDetail.as_view(), name="link"),
    path("deliveries/", views.DeliveryList.as_view(), name="deliveries"),
    path("deliveries/<str:pk>/", views.DeliveryDetail.as_view(), name="delivery"),
    path("deliveries/<str:pk>/employees/", views.EmployeeList.as_view(), name="employees"),
    path(
        "deliveries/<str:pk>/employees/search/",
        views.EmployeeSearch.as_view(),
        name="employee_search",
    ),
    path("deliveries/<str:pk>/employments/", views.EmploymentList.as_view(), name="employments"),
    path("deliveries/<str:pk>/wages/", views.WageList.as_view(), name="wages"),
    path("deliveries/<str:pk>/leave/", views.LeaveList.as_view(), name="leave"),
    path("wages/", views.PeriodWageList.as_view(), name="period_wages"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
    path("docs/swagger/", views.SwaggerView.as_view(), name="swagger"),
]

urlpatterns = [
    path("oauth/token/", csrf_exempt(views.TokenView.as_view()), name="token"),
    *[path(f"v1/{pattern.pattern}", pattern.callback, name=pattern.name) for pattern in v1],
]
