"""Rule conditions: what a manager may test, how each test is validated and evaluated.

A rule's conditions are {"all": [...], "any": [...]}: every condition of "all" must hold and,
when "any" is not empty, at least one of "any". A condition is
{"field": "subject", "operator": "contains", "value": "outage"}. FIELDS is the one table of
what exists; `conditions_validate` refuses anything else (unknown field, operator, value).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Locale
from slas.business_time import is_open
from slas.selectors import calendar_spec, policy_for, tier_for
from tickets.models import ChannelKind, Direction, Priority, Ticket, TicketType
from tickets.status import Status


@dataclass
class Subject:
    """What a rule looks at: the ticket, and the message the event is about (if any)."""

    ticket: Ticket
    message: Any = None
    now: Any = field(default_factory=timezone.now)

    @cached_property
    def tags(self) -> set[str]:
        return set(self.ticket.tags.values_list("name", flat=True))

    @cached_property
    def body(self) -> str:
        message = self.message
        if message is None:
            message = (
                self.ticket.messages.filter(direction=Direction.INBOUND).order_by("-id").first()
            )
        return message.body_text if message is not None else ""

    @cached_property
    def tier(self) -> str | None:
        tier = tier_for(self.ticket)
        return tier.name if tier is not None else None

    @cached_property
    def inside_business_hours(self) -> bool:

        policy = policy_for(self.ticket)
        return is_open(self.now, calendar_spec(policy.calendar if policy is not None else None))


def contains_word(text: str, phrase: str) -> bool:
    """Case-insensitive, whole words: "outage" matches "Outage!" and "major outage, again",
    not "outages" nor "timeoutage"; a phrase ("is down") must appear as those words."""
    words = phrase.split()
    if not words:
        return False
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
    return re.search(pattern, text or "", flags=re.IGNORECASE) is not None


_EQ = ("is", "is_not", "in", "not_in")
_ORDERED = (*_EQ, "greater_than", "less_than")
_TEXT = ("contains", "not_contains", "contains_any")


@dataclass(frozen=True)
class FieldSpec:
    operators: tuple[str, ...]
    read: Callable[[Subject], Any]
    choices: tuple[Any, ...] | None = None  # allowed values (None: any of `kind`)
    kind: type = str
    to_value: Callable[[Any], Any] = lambda v: v


def _priority_value(name: Any) -> int:
    return {p.label: p.value for p in Priority}[name]


FIELDS: dict[str, FieldSpec] = {
    "channel": FieldSpec(_EQ, lambda s: s.ticket.channel, tuple(ChannelKind.values)),
    "status": FieldSpec(_EQ, lambda s: s.ticket.status, tuple(Status.values)),
    "type": FieldSpec(_EQ, lambda s: s.ticket.type, tuple(TicketType.values)),
    "priority": FieldSpec(
        _ORDERED,
        lambda s: s.ticket.priority,
        tuple(p.label for p in Priority),
        to_value=_priority_value,
    ),
    "tier": FieldSpec(_EQ, lambda s: s.tier),
    "organization": FieldSpec(_EQ, lambda s: s.ticket.organization_id, kind=int),
    "team": FieldSpec(_EQ, lambda s: s.ticket.team_id, kind=int),
    "assignee": FieldSpec(_EQ, lambda s: s.ticket.assignee_id, kind=int),
    "tags": FieldSpec(("includes", "excludes"), lambda s: s.tags),
    "subject": FieldSpec(_TEXT, lambda s: s.ticket.subject),
    "body": FieldSpec(_TEXT, lambda s: s.body),
    # The customer's language (customers.Customer.locale; "" while unknown matches no value).
    "language": FieldSpec(_EQ, lambda s: s.ticket.requester.locale, tuple(Locale.values)),
    "business_hours": FieldSpec(
        ("is",), lambda s: s.inside_business_hours, choices=("inside", "outside")
    ),
}


def _check_value(spec: FieldSpec, operator: str, value: Any) -> str | None:
    """An error message for a value this field and operator cannot take, else None."""
    many = operator in ("in", "not_in", "includes", "excludes", "contains_any")
    if many:
        if not isinstance(value, list) or not value:
            return "Give a non-empty list of values."
        values = value
    else:
        if isinstance(value, list | dict):
            return "Give one value."
        values = [value]
    for item in values:
        if isinstance(item, bool) or not isinstance(item, spec.kind):
            return f"{item!r} is not a {spec.kind.__name__}."
        if spec.choices is not None and item not in spec.choices:
            return f"{item!r} is not one of {', '.join(map(str, spec.choices))}."
        if isinstance(item, str) and not item.strip():
            return "An empty value matches nothing."
    return None


def _condition_problem(item: Any, where: str) -> str | None:
    """What is wrong with one condition ("all[0].operator: ..."), or None."""
    if not isinstance(item, Mapping):
        return f"{where}: give {{'field', 'operator', 'value'}}."
    extra = set(item) - {"field", "operator", "value"}
    name, operator = item.get("field"), item.get("operator")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if extra:
        return f"{where}: unknown key {sorted(extra)[0]!r}."
    if spec is None:
        return f"{where}.field: unknown field {name!r}; one of {', '.join(FIELDS)}."
    if operator not in spec.operators:
        return f"{where}.operator: {name} takes {', '.join(spec.operators)}, not {operator!r}."
    if "value" not in item:
        return f"{where}.value: required."
    problem = _check_value(spec, operator, item["value"])
    return f"{where}.value: {problem}" if problem else None


def conditions_validate(conditions: Any) -> dict:
    """The conditions, normalized ({"all": [...], "any": [...]}), or ValidationError with one
    message per bad condition ("all[0].operator: ..."), nothing stored."""
    if conditions in (None, {}):
        return {"all": [], "any": []}
    if not isinstance(conditions, Mapping):
        raise ValidationError({"conditions": ['Give {"all": [...], "any": [...]}.']})
    errors = []
    unknown = set(conditions) - {"all", "any"}
    if unknown:
        errors.append(f"Unknown group {sorted(unknown)[0]!r}: use 'all' and 'any'.")
    normalized: dict[str, list] = {"all": [], "any": []}
    for group in ("all", "any"):
        items = conditions.get(group, [])
        if not isinstance(items, list):
            errors.append(f"{group}: give a list of conditions.")
            continue
        for index, item in enumerate(items):
            where = f"{group}[{index}]"
            problem = _condition_problem(item, where)
            if problem:
                errors.append(problem)
            else:
                normalized[group].append(
                    {"field": item["field"], "operator": item["operator"], "value": item["value"]}
                )
    if errors:
        raise ValidationError({"conditions": errors})
    return normalized


def _holds(condition: Mapping[str, Any], subject: Subject) -> bool:
    spec = FIELDS[condition["field"]]
    operator, raw = condition["operator"], condition["value"]
    actual = spec.read(subject)
    if condition["field"] == "business_hours":
        return actual == (raw == "inside")
    if operator in ("contains", "not_contains", "contains_any"):
        if operator == "contains_any":
            return any(contains_word(actual, phrase) for phrase in raw)
        found = contains_word(actual, raw)
        return found if operator == "contains" else not found
    if operator in ("includes", "excludes"):
        wanted = {str(v).lower() for v in raw}
        hit = bool(wanted & {t.lower() for t in actual})
        return hit if operator == "includes" else not hit
    if operator in ("in", "not_in"):
        values = [spec.to_value(v) for v in raw]
        return (actual in values) == (operator == "in")
    value = spec.to_value(raw)
    if operator == "is":
        return actual == value
    if operator == "is_not":
        return actual != value
    if actual is None:
        return False
    return actual > value if operator == "greater_than" else actual < value


def conditions_match(conditions: Mapping[str, Any], subject: Subject) -> bool:
    """All of "all" and, if "any" is not empty, one of "any". No conditions: always."""
    every = conditions.get("all", [])
    some = conditions.get("any", [])
    if not all(_holds(c, subject) for c in every):
        return False
    return not some or any(_holds(c, subject) for c in some)
