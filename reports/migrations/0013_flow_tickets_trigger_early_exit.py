from django.db import migrations

from reports.rollups.flow_triggers import TICKETS_CHANGED


def install(apps, schema_editor):
    """reports_flow_tickets_changed finds the changed tickets once and returns at once when
    none of the counted columns changed (the same days marked as before)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TICKETS_CHANGED)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0012_success_rollups_r4"),
    ]

    operations = [
        # Backwards: the function before marked the same days; nothing to restore.
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
