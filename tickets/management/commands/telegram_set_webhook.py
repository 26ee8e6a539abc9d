"""Point a Telegram bot's webhook at its channel's door (setWebhook with the secret token)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from tickets.channels.models import Channel
from tickets.channels.telegram_api import webhook_set


class Command(BaseCommand):
    help = "Set a Telegram channel's webhook: PUBLIC_BASE_URL/api/v1/hooks/telegram/<id>/."

    def add_arguments(self, parser):
        parser.add_argument("channel", type=int, help="the telegram channel's id")
        parser.add_argument(
            "--url", help="the public URL of the door (default from PUBLIC_BASE_URL)"
        )

    def handle(self, *args, channel, url, **options):
        found = Channel.objects.filter(pk=channel, kind="telegram", is_active=True).first()
        if found is None:
            raise CommandError(f"No active telegram channel {channel}.")
        path = reverse("provider-hook", kwargs={"kind": "telegram", "channel_id": found.pk})
        url = url or settings.PUBLIC_BASE_URL.rstrip("/") + path
        try:
            webhook_set(found, url)
        except Exception as exc:  # the Bot API's refusal, said as it is
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Telegram will post updates for {found.name} to {url}")
