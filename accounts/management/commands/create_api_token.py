"""Create an API token for a user (or a new integration) and print its key once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = "Create an API token and print the key (it is stored hashed and never shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="What the token is for.")
        parser.add_argument(
            "--integration",
            action="store_true",
            help="Create the user as an integration if it does not exist.",
        )

    def handle(self, *args, username: str, name: str, integration: bool, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            if not integration:
                raise CommandError(f"No user {username!r}; pass --integration to create one.")
            user = services.integration_create(username=username, name=username)
        _, key = services.api_token_create(user=user, name=name)
        self.stdout.write(key)
