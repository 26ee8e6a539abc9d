"""The time rules a desk starts with (installed by migration 0002); managers change them."""

from __future__ import annotations

DEFAULT_TIME_RULES: list[dict] = [
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


def default_time_rules_install() -> int:
    """Create the default time rules that are missing (by name); returns how many."""
    from .models import TimeRule

    created = 0
    for values in DEFAULT_TIME_RULES:
        created += TimeRule.objects.get_or_create(name=values["name"], defaults=values)[1]
    return created
