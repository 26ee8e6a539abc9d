"""Every app's handlers are connected once, from config/wiring.py, in one stated order."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from config import wiring
from core import events
from slas.models import SlaPolicy
from webhooks.models import WebhookSubscription

ROOT = Path(__file__).resolve().parents[2]

# app:handler, in the order one publish calls them. The app is the top-level package, so the
# order holds wherever inside the app a handler lives.
WEBHOOKS = "webhooks:on_event"
EXPECTED = {
    # slas: the ticket's next_due_at and outside-plan flag, set before its INSERT
    events.TICKET_OPENING: ["slas:on_ticket_opening", WEBHOOKS],
    # tickets: a proactive ticket's first public message goes out (after slas started clocks)
    events.TICKET_CREATED: [
        "slas:on_ticket_created",
        "tickets:on_ticket_created",
        WEBHOOKS,
        "automations:on_ticket_created",
        "live:on_queue_changed",
    ],
    events.TICKET_UPDATED: [
        "slas:on_ticket_updated",
        "success:on_ticket_updated",
        "tickets:on_ticket_updated",
        WEBHOOKS,
        "automations:on_ticket_updated",
        "live:on_tickets_updated",
    ],
    events.MESSAGE_CREATED: [
        "slas:on_message_created",
        "tickets:on_message_created",
        WEBHOOKS,
        "automations:on_message_created",
        "live:on_messages_created",
    ],
    events.CUSTOMER_CREATED: ["success:on_customer_created", WEBHOOKS],
    events.SLA_WARNING: [WEBHOOKS, "automations:on_sla_warning", "live:on_queue_changed"],
    events.SLA_BREACHED: [
        WEBHOOKS,
        "success:on_sla_breached",
        "automations:on_sla_breached",
        "live:on_queue_changed",
    ],
    events.FOLLOWUP_SENT: [WEBHOOKS],
    events.SURVEY_ANSWERED: [
        "success:on_survey_answered",
        WEBHOOKS,
        "automations:on_survey_answered",
    ],
    events.CUSTOMER_AT_RISK: [WEBHOOKS, "automations:on_customer_at_risk"],
    events.ORGANIZATION_UPDATED: ["slas:on_organization_updated", WEBHOOKS],
    events.CUSTOMER_UPDATED: ["slas:on_customer_updated", WEBHOOKS],
    events.CUSTOMER_MERGING: ["slas:on_customer_merging", "tickets:on_customer_merging", WEBHOOKS],
    events.GOODWILL_GRANTED: [WEBHOOKS],
    events.GOODWILL_REQUESTED: [WEBHOOKS],
    events.GOODWILL_DECLINED: [WEBHOOKS],
    events.MESSAGE_DELIVERY_FAILED: [WEBHOOKS],
}


def _names(event_type: str) -> list[str]:
    return [
        f"{handler.__module__.split('.')[0]}:{handler.__name__}"
        for handler in events.subscribers(event_type)
    ]


def _event_types() -> set[str]:
    return {
        value
        for name, value in vars(events).items()
        if name.isupper() and isinstance(value, str) and "." in value
    }


def test_every_event_type_reaches_its_subscribers_in_the_wiring_order():
    assert set(EXPECTED) == _event_types(), "a new event type needs its expected subscribers"
    actual = {event_type: _names(event_type) for event_type in EXPECTED}
    assert actual == EXPECTED


def test_connecting_again_subscribes_nothing_twice():
    before = {event_type: events.subscribers(event_type) for event_type in EXPECTED}
    receivers = (len(post_save.receivers), len(post_delete.receivers))
    wiring.connect()
    wiring.connect()
    assert {event_type: events.subscribers(event_type) for event_type in EXPECTED} == before
    assert (len(post_save.receivers), len(post_delete.receivers)) == receivers


def test_every_app_with_a_handlers_module_is_in_the_one_list():
    ours = [
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT) and ".venv" not in Path(config.path).parts
    ]
    with_handlers = {name for name in ours if importlib.util.find_spec(f"{name}.handlers")}
    assert with_handlers == set(wiring.HANDLERS)


def test_no_app_wires_handlers_in_its_own_ready():
    for path in ROOT.glob("*/apps.py"):
        text = path.read_text().replace("wiring.connect()", "")  # the one call, in helpdesk
        assert "subscribe" not in text, path
        assert ".connect(" not in text, path
    assert "wiring.connect()" in (ROOT / "config" / "apps.py").read_text()


def test_cache_clearing_signals_are_connected_once_per_model():
    def count(signal, sender) -> int:
        return len(signal._live_receivers(sender)[0])

    for sender in (SlaPolicy, WebhookSubscription):
        assert count(post_save, sender) == 1, sender
        assert count(post_delete, sender) == 1, sender
