"""The time rules a desk starts with; managers change or deactivate them (API or admin)."""

from django.db import migrations

from automations.defaults import DEFAULT_TIME_RULES as DEFAULTS

def create(apps, schema_editor):
    TimeRule = apps.get_model("automations", "TimeRule")
    for values in DEFAULTS:
        TimeRule.objects.get_or_create(name=values["name"], defaults=values)


def remove(apps, schema_editor):
    TimeRule = apps.get_model("automations", "TimeRule")
    TimeRule.objects.filter(name__in=[values["name"] for values in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("automations", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
