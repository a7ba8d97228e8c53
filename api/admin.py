"""API clients in the admin: DOT's applications with, inline, whether the client may read BSNs.

Staff create an application per a.s.r. system: client type confidential, grant "client
credentials". The secret is shown once, when it is made, and stored hashed (DOT's default).
"""

from __future__ import annotations

import oauth2_provider.admin  # registers DOT's admin classes first (unregistered below)
from django.contrib import admin
from oauth2_provider.models import get_application_model

from api.models import ClientProfile

Application = get_application_model()


class ClientProfileInline(admin.StackedInline):
    model = ClientProfile
    can_delete = False
    max_num = 1
    extra = 1


class ApiApplicationAdmin(oauth2_provider.admin.ApplicationAdmin):
    inlines = (ClientProfileInline,)


admin.site.unregister(Application)
admin.site.register(Application, ApiApplicationAdmin)
