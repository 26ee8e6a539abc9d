"""Database triggers that mark the UTC days whose SLA rollups must be recomputed
(reports/rollups/sql.py). PostgreSQL only: elsewhere the reports read the base tables."""

from django.db import migrations

from reports.rollups.sql import DROP_TRIGGERS, TRIGGERS


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_sla_rollups"),
        ("slas", "0003_clock_state_indexes"),
        ("tickets", "0004_inbound_state_no_processing"),
        ("customers", "0007_policy_choices_current"),
        ("followups", "0006_report_indexes"),
    ]

    operations = [migrations.RunPython(install, remove)]
