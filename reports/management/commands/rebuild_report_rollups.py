"""`manage.py rebuild_report_rollups`: recompute the SLA report's rollups from the base tables
in every zone of REPORTS_ROLLUP_ZONES (after an upgrade, after bulk loads; benchmarks)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from reports.rollups.refresh import rollup_zones, rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the SLA report rollups from the base tables (every configured zone)."

    def handle(self, *args, **options):
        started = time.monotonic()
        result = rollups_rebuild()
        self.stdout.write(
            f"rebuilt {result['zones']} zone(s) ({', '.join(rollup_zones())}) "
            f"in {time.monotonic() - started:.1f} s"
        )
