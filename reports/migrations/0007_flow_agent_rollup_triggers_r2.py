"""Triggers that mark the UTC days the flow (backlog) and agents rollups count by
(reports/rollups/flow_sql.py), and a rebuild of every zone on the next refresh (the zones'
rows are forgotten: the new rollups are empty until then). PostgreSQL only."""

from django.db import migrations

from reports.rollups.flow_triggers import DROP_TRIGGERS, TRIGGERS


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS)
    apps.get_model("reports", "RollupZone").objects.using(schema_editor.connection.alias).delete()


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_flow_agent_rollups_r2"),
        ("slas", "0005_first_response_done_idx_r2"),
        ("tickets", "0011_report_indexes"),
        ("customers", "0008_search_trigram"),
        ("followups", "0006_report_indexes"),
    ]

    operations = [migrations.RunPython(install, remove)]
