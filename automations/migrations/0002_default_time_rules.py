"""The time rules a desk starts with; managers change or deactivate them (API or admin)."""

from django.db import migrations

DEFAULTS = [
    {
        "name": "Close tickets solved for 4 days",
        "position": 10,
        "timer": "solved",
        "after": 4,
        "unit": "days",
        "business_time": False,
        "actions": [{"type": "set_status", "value": "closed"}],
    },
    {
        "name": "Remind the customer after 3 business days pending",
        "position": 20,
        "timer": "pending",
        "after": 3,
        "unit": "days",
        "business_time": True,
        "actions": [
            {
                "type": "reply",
                "body": "Hello {{ customer.name }}, we are still waiting for your answer on "
                "'{{ ticket.subject }}'. Just reply to this message and we will carry on.",
            }
        ],
    },
    {
        "name": "Solve tickets pending for 7 business days",
        "position": 30,
        "timer": "pending",
        "after": 7,
        "unit": "days",
        "business_time": True,
        "actions": [{"type": "set_status", "value": "solved"}],
    },
]


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
