"""`manage.py rebuild_report_rollups`: recompute the reports' rollups from the base tables in
every zone of REPORTS_ROLLUP_ZONES (after an upgrade, after bulk loads; benchmarks), or only
some of them (`--only`)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from reports.rollups.refresh import PARTS, rollup_zones, rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the report rollups from the base tables (every configured zone)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            nargs="+",
            choices=list(PARTS),
            default=[],
            help="Rebuild just these rollups (the others' rows must be right: an upgrade that "
            "changes only these, e.g. after migration reports 0012: --only agents retention).",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        result = rollups_rebuild(only=options["only"])
        self.stdout.write(
            f"rebuilt {result['zones']} zone(s) ({', '.join(rollup_zones())}) "
            f"in {time.monotonic() - started:.1f} s"
        )
