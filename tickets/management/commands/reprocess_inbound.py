"""Put failed (or stuck) inbound payloads back through the pipeline."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tickets.channels.intake import inbound_reprocess
from tickets.channels.models import InboundMessage, InboundState
from tickets.channels.processing import intake_process


class Command(BaseCommand):
    help = "Reprocess inbound messages: by id, or all failed ones (optionally of one channel)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="InboundMessage ids")
        parser.add_argument("--failed", action="store_true", help="every failed message")
        parser.add_argument("--channel", type=int, help="only this channel id")
        parser.add_argument(
            "--now", action="store_true", help="process here instead of queueing to Celery"
        )

    def handle(self, *args, ids, failed, channel, now, **options):
        if not ids and not failed:
            raise CommandError("Give inbound message ids or --failed.")
        rows = InboundMessage.objects.order_by("id")
        rows = rows.filter(pk__in=ids) if ids else rows.filter(state=InboundState.FAILED)
        if channel:
            rows = rows.filter(channel_id=channel)
        counts: dict[str, int] = {}
        for row in rows:
            row = inbound_reprocess(row)
            if now:
                try:
                    row = intake_process(row.pk)
                except Exception as exc:
                    self.stderr.write(f"#{row.pk}: {exc}")
                    row.refresh_from_db()
            counts[row.state] = counts.get(row.state, 0) + 1
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing"
        self.stdout.write(f"Reprocessed: {summary}.")
