from __future__ import annotations

from django.urls import path

from onboarding.views import account, manual, pages, public, recovery

app_name = "onboarding"

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", pages.healthz, name="healthz"),
    path("handleiding/", manual.manual, name="manual"),
    # the public side (onboarding/views/public.py)
    path("aanmelden/", public.register, name="register"),
    path("aanmelding/<str:token>/", public.status, name="status"),
    path("aanmelding/<str:token>/voortgang/", public.status_partial, name="status_partial"),
    path("aanmelding/<str:token>/opnieuw/", public.recheck, name="recheck"),
    path("aanmelding/<str:token>/corrigeren/", public.correct, name="correct"),
    path("salarisverwerkers/", public.directory, name="directory"),
    # the processor's account (onboarding/views/account.py)
    path("account/inloggen/", account.login_view, name="login"),
    path("account/uitloggen/", account.logout_view, name="logout"),
    path("account/activeren/<str:uidb64>/<str:token>/", account.activate, name="activate"),
    path("account/", account.dashboard, name="dashboard"),
    path("account/loket-gegevens/", account.update_credentials, name="update_credentials"),
]

# issue 13: the account's password, and the answer of the registration form
urlpatterns += [
    path("account/wachtwoord-vergeten/", recovery.password_reset, name="password_reset"),
    path(
        "account/wachtwoord-vergeten/verstuurd/",
        recovery.password_reset_done,
        name="password_reset_done",
    ),
    path(
        "account/wachtwoord-herstellen/<str:uidb64>/<str:token>/",
        recovery.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("account/wachtwoord-wijzigen/", recovery.password_change, name="password_change"),
    path("aanmelden/ontvangen/", public.registration_received, name="registration_received"),
]
