"""``manage.py api_client NAME [--bsn]``: a new API client (client credentials), for scripts and
benches; staff normally create clients in the admin. Prints the client ID and the secret, once:
the portal keeps only the secret's hash."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from api.models import ClientProfile


class Command(BaseCommand):
    help = "Create an API client (OAuth2 client credentials) and print its id and secret once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The system that will use the client.")
        parser.add_argument("--bsn", action="store_true", help="Allow the scope bsn.")

    def handle(self, *args, name: str, bsn: bool, **options) -> None:
        application_model = get_application_model()
        secret = generate_client_secret()
        with transaction.atomic():
            application = application_model.objects.create(
                name=name,
                client_type=application_model.CLIENT_CONFIDENTIAL,
                authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
                client_secret=secret,
            )
            ClientProfile.objects.create(application=application, bsn_allowed=bsn)
        self.stdout.write(f"client_id={application.client_id}")
        self.stdout.write(f"client_secret={secret}")
