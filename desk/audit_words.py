"""The audit trail in words: each stored before/after becomes a sentence an agent reads
("Status: Open → Pending", "Added an internal note"), in the agent's language and zone,
never `public: True`. Names of users and teams are resolved in one query each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from tickets.models import EventKind, Priority, Team, TicketEvent

from . import labels

# What each kind of event is called in the trail.
KIND_LABELS = {
    EventKind.CREATED: gettext_lazy("Ticket created"),
    EventKind.STATUS_CHANGED: gettext_lazy("Status changed"),
    EventKind.PRIORITY_CHANGED: gettext_lazy("Priority changed"),
    EventKind.ASSIGNED: gettext_lazy("Assignee changed"),
    EventKind.TEAM_CHANGED: gettext_lazy("Team changed"),
    EventKind.TAGS_CHANGED: gettext_lazy("Tags changed"),
    EventKind.FIELDS_CHANGED: gettext_lazy("Fields changed"),
    EventKind.MESSAGE_ADDED: gettext_lazy("Message added"),
    EventKind.REOPENED: gettext_lazy("Reopened by the customer"),
    EventKind.REQUESTER_MERGED: gettext_lazy("Requester merged into another customer"),
    EventKind.SLA_OUTSIDE_PLAN: gettext_lazy("Channel outside the plan"),
    EventKind.SLA_REAPPLIED: gettext_lazy("SLA policy re-applied"),
    EventKind.SLA_WARNING: gettext_lazy("SLA at risk"),
    EventKind.SLA_BREACHED: gettext_lazy("SLA breached"),
    EventKind.SLA_ESCALATED: gettext_lazy("SLA escalated"),
    EventKind.AUTOMATION_FIRED: gettext_lazy("Automation fired"),
    EventKind.AUTOMATION_FAILED: gettext_lazy("Automation failed"),
    EventKind.AUTOMATION_LOOP_STOPPED: gettext_lazy("Automation chain stopped"),
}

FIELD_LABELS = {
    "subject": gettext_lazy("Subject"),
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "assignee": gettext_lazy("Assignee"),
    "team": gettext_lazy("Team"),
    "tags": gettext_lazy("Tags"),
    "type": gettext_lazy("Type"),
    "channel": gettext_lazy("Channel"),
    "tier": gettext_lazy("Tier"),
    "policy": gettext_lazy("Policy"),
    "metric": gettext_lazy("Metric"),
    "due_at": gettext_lazy("Due"),
    "requester": gettext_lazy("Requester"),
    "rule": gettext_lazy("Rule"),
    "reason": gettext_lazy("Reason"),
}
METRICS = labels.METRIC
# Bookkeeping keys the trail does not show (the message itself is in the conversation).
HIDDEN = {"message", "direction", "public", "system", "at", "clock", "gesture"}


@dataclass(frozen=True)
class AuditRow:
    event: TicketEvent
    label: str
    changes: list[str]


def _priority(value) -> str:
    if isinstance(value, int):
        return str(labels.PRIORITY.get(value, value))
    try:
        return str(labels.PRIORITY[Priority.from_name(value)])
    except KeyError:
        return str(value)


def _instant(value) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    local = timezone.localtime(moment)
    return dateformat.format(local, "D j M H:i T")


VALUE_WORDS: dict[str, Callable] = {
    "status": lambda v: str(labels.STATUS.get(v, v)),
    "priority": _priority,
    "channel": lambda v: str(labels.CHANNEL.get(v, v)),
    "metric": lambda v: str(METRICS.get(v, v)),
    "due_at": _instant,
}


def _value(name: str, value, names: dict) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if name in names:
        return names[name].get(value, f"#{value}")
    if name in VALUE_WORDS:
        return VALUE_WORDS[name](value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _field(name: str) -> str:
    return str(FIELD_LABELS.get(name, name.replace("_", " ").capitalize()))


def _message_words(event: TicketEvent) -> str:
    after = event.after or {}
    if after.get("system"):
        return _("Automatic message (%(reason)s)") % {"reason": after["system"].replace("_", " ")}
    if after.get("direction") == "inbound":
        return _("The customer wrote")
    if after.get("public"):
        return _("Added a public reply")
    return _("Added an internal note")


def _changes(event: TicketEvent, names: dict) -> list[str]:
    before, after = event.before or {}, event.after or {}
    words = [_message_words(event)] if event.kind == EventKind.MESSAGE_ADDED else []
    for name, value in after.items():
        if name in HIDDEN:
            continue
        if name in before:
            old, new = _value(name, before[name], names), _value(name, value, names)
            words.append(f"{_field(name)}: {old} → {new}")
        elif value not in (None, "", []):
            words.append(f"{_field(name)}: {_value(name, value, names)}")
    return words


def _names(events: list[TicketEvent]) -> dict[str, dict]:
    ids: dict[str, set] = {"assignee": set(), "team": set()}
    for event in events:
        for side in (event.before or {}, event.after or {}):
            for name in ids:
                if isinstance(side.get(name), int):
                    ids[name].add(side[name])
    return {
        "assignee": {u.pk: u.display_name for u in User.objects.filter(pk__in=ids["assignee"])}
        if ids["assignee"]
        else {},
        "team": dict(Team.objects.filter(pk__in=ids["team"]).values_list("pk", "name"))
        if ids["team"]
        else {},
    }


def audit_rows(events: list[TicketEvent]) -> list[AuditRow]:
    names = _names(events)
    choice_labels = dict(EventKind.choices)
    return [
        AuditRow(
            event,
            str(
                KIND_LABELS.get(event.kind)
                or choice_labels.get(event.kind)  # kinds added since: their own labels
                or event.kind.replace("_", " ")
            ),
            _changes(event, names),
        )
        for event in events
    ]
