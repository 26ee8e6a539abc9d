"""The rollup triggers again, now also marking the days of surveys (their sending, and their
ticket's tier, channel, team and assignee changes): reports/rollups/sql.py."""

from django.db import migrations

from reports.rollups.sql import DROP_TRIGGERS, TRIGGERS


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)
        schema_editor.execute(TRIGGERS)
    # the zones were built without surveys: the next refresh builds them again, whole
    apps.get_model("reports", "RollupZone").objects.all().delete()


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_survey_rollups"), ("followups", "0006_report_indexes")]

    operations = [migrations.RunPython(install, remove)]
