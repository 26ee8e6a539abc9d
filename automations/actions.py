"""Rule actions: what a rule may do to a ticket, validated when the rule is stored and applied
through the ticket services (tickets/services.py) with no actor, like SLA escalations, so the
clocks, the audit trail, webhooks and channels follow as for any change.

An action is {"type": "set_priority", "value": "urgent"}; ACTIONS is the one table of types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Template, TemplateSyntaxError

from accounts.models import User
from core.queueing import enqueue_on_commit
from macros.models import Macro
from macros.services import macro_count_use, macro_render
from success.models import FollowUpRule
from success.services import followup_schedule_for_ticket
from tickets.models import Priority, Team, Ticket, TicketType
from tickets.services import system_message_add, ticket_reply, ticket_update
from tickets.status import Status
from webhooks.services import delivery_create, validate_webhook_url

ROUTING = "routing"


@dataclass(frozen=True)
class ActionSpec:
    keys: tuple[str, ...]  # required keys besides "type"
    check: Callable[[Mapping[str, Any]], str | None]
    apply: Callable[[Ticket, Mapping[str, Any]], str]  # returns what it did, for the audit


def _str_in(choices) -> Callable[[Mapping[str, Any]], str | None]:
    def check(action):
        if action["value"] not in choices:
            return f"value: {action['value']!r} is not one of {', '.join(map(str, choices))}."
        return None

    return check


def _tag_list(action) -> str | None:
    value = action["value"]
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        return "value: give a list of tag names."
    return None


def _team_exists(action) -> str | None:
    value = action["value"]
    if isinstance(value, bool) or not isinstance(value, int):
        return "value: give a team id."
    if not Team.objects.filter(pk=value).exists():
        return f"value: team {value} not found."
    return None


def _agent_or_routing(action) -> str | None:
    value = action["value"]
    if value == ROUTING:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return "value: give an agent id or 'routing'."
    agent = User.objects.filter(pk=value).first()
    if agent is None or not agent.is_agent:
        return f"value: agent {value} not found."
    return None


def _template(action) -> str | None:
    body = action["body"]
    if not isinstance(body, str) or not body.strip():
        return "body: give the text."
    try:
        Template(body)
    except TemplateSyntaxError as exc:
        return f"body: {exc}"
    return None


def _notify_target(action) -> str | None:
    agent, team = action.get("agent"), action.get("team")
    if (agent is None) == (team is None):
        return "give either agent or team."
    if agent is not None and not User.objects.filter(pk=agent, is_active=True).exists():
        return f"agent: {agent!r} not found."
    if team is not None and not Team.objects.filter(pk=team).exists():
        return f"team: {team!r} not found."
    return None


def _webhook_url(action) -> str | None:

    try:
        validate_webhook_url(action["url"])
    except ValidationError as exc:
        return f"url: {' '.join(exc.messages)}"
    return None


def _followup_rule(action) -> str | None:

    value = action["rule"]
    if isinstance(value, bool) or not isinstance(value, int):
        return "rule: give a follow-up rule id."
    if not FollowUpRule.objects.filter(pk=value, active=True).exists():
        return f"rule: active follow-up rule {value} not found."
    return None


def _shared_macro(action) -> str | None:
    value = action["macro"]
    if isinstance(value, bool) or not isinstance(value, int):
        return "macro: give a shared macro's id."
    if not Macro.objects.filter(pk=value, is_shared=True).exists():
        return f"macro: shared macro {value} not found."
    return None


def _render(body: str, ticket: Ticket) -> str:
    return Template(body).render(Context({"ticket": ticket, "customer": ticket.requester}))


def _update(ticket: Ticket, **changes) -> Ticket:

    return ticket_update(ticket=ticket, actor=None, **changes)


def _set_team(ticket, action):
    _update(ticket, team=Team.objects.get(pk=action["value"]))
    return f"team -> {action['value']}"


def _set_priority(ticket, action):
    _update(ticket, priority={p.label: p.value for p in Priority}[action["value"]])
    return f"priority -> {action['value']}"


def _set_status(ticket, action):
    _update(ticket, status=action["value"])
    return f"status -> {action['value']}"


def _set_type(ticket, action):
    _update(ticket, type=action["value"])
    return f"type -> {action['value']}"


def _current_tags(ticket) -> list[str]:
    return list(ticket.tags.values_list("name", flat=True))


def _add_tags(ticket, action):
    _update(ticket, tags=[*_current_tags(ticket), *action["value"]])
    return f"tags + {', '.join(action['value'])}"


def _remove_tags(ticket, action):
    drop = {t.lower() for t in action["value"]}
    _update(ticket, tags=[t for t in _current_tags(ticket) if t.lower() not in drop])
    return f"tags - {', '.join(action['value'])}"


def _assign(ticket, action):
    if action["value"] == ROUTING:
        from .routing import ticket_route

        agent = ticket_route(ticket=ticket)
        return f"routed to {agent.pk}" if agent else "routing: no agent available"
    _update(ticket, assignee=User.objects.get(pk=action["value"]))
    return f"assignee -> {action['value']}"


def _add_note(ticket, action):

    ticket_reply(ticket=ticket, author=None, body=_render(action["body"], ticket), public=False)
    return "internal note added"


def _reply(ticket, action):

    system_message_add(ticket=ticket, body=_render(action["body"], ticket), reason="automation")
    return "reply sent"


def _reply_macro(ticket, action):
    """A shared macro's reply as the automatic answer (its placeholders filled, no agent:
    `{{ agent.name|default:"..." }}` speaks for the team); only the text: a rule sets fields
    with its own actions."""
    macro = Macro.objects.get(pk=action["macro"])
    body = macro_render(macro=macro, ticket=ticket, agent=None)
    system_message_add(ticket=ticket, body=body, reason="automation")
    macro_count_use(macro=macro)
    return f"reply from macro {macro.name!r}"


def _notify(ticket, action):

    from .tasks import notify

    enqueue_on_commit(notify, ticket.pk, action.get("agent"), action.get("team"))
    return f"notified {'agent' if action.get('agent') else 'team'} " + str(
        action.get("agent") or action.get("team")
    )


def _webhook(ticket, action):

    delivery_create(
        url=action["url"],
        secret=action.get("secret", ""),
        event="automation.fired",
        payload={
            "event": "automation.fired",
            "ticket": {
                "id": ticket.pk,
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": Priority(ticket.priority).label,
            },
        },
        source="automation",
    )
    return f"webhook queued to {action['url']}"


def _schedule_followup(ticket, action):

    followup = followup_schedule_for_ticket(
        rule=FollowUpRule.objects.get(pk=action["rule"]),
        ticket=ticket,
        subject_key=f"automation:ticket:{ticket.pk}",
    )
    return f"follow-up {followup.pk} due {followup.due_at:%Y-%m-%d %H:%M}"


ACTIONS: dict[str, ActionSpec] = {
    "set_team": ActionSpec(("value",), _team_exists, _set_team),
    "set_priority": ActionSpec(("value",), _str_in([p.label for p in Priority]), _set_priority),
    "set_status": ActionSpec(("value",), _str_in(Status.values), _set_status),
    "set_type": ActionSpec(("value",), _str_in(TicketType.values), _set_type),
    "add_tags": ActionSpec(("value",), _tag_list, _add_tags),
    "remove_tags": ActionSpec(("value",), _tag_list, _remove_tags),
    "assign": ActionSpec(("value",), _agent_or_routing, _assign),
    "add_note": ActionSpec(("body",), _template, _add_note),
    "reply": ActionSpec(("body",), _template, _reply),
    "reply_macro": ActionSpec(("macro",), _shared_macro, _reply_macro),
    "notify": ActionSpec((), _notify_target, _notify),
    "webhook": ActionSpec(("url",), _webhook_url, _webhook),
    "schedule_followup": ActionSpec(("rule",), _followup_rule, _schedule_followup),
}
OPTIONAL_KEYS = {"notify": {"agent", "team"}, "webhook": {"secret"}}


def actions_validate(actions: Any) -> list[dict]:
    """The actions as given, or ValidationError with one message per bad action
    ("[1].type: unknown action ...")."""
    if not isinstance(actions, list) or not actions:
        raise ValidationError({"actions": ["Give a non-empty list of actions."]})
    errors = []
    for index, action in enumerate(actions):
        where = f"[{index}]"
        if not isinstance(action, Mapping):
            errors.append(f"{where}: give {{'type': ..., ...}}.")
            continue
        spec = ACTIONS.get(action.get("type")) if isinstance(action.get("type"), str) else None
        if spec is None:
            errors.append(
                f"{where}.type: unknown action {action.get('type')!r}; one of {', '.join(ACTIONS)}."
            )
            continue
        allowed = {"type", *spec.keys, *OPTIONAL_KEYS.get(action["type"], ())}
        missing = [key for key in spec.keys if key not in action]
        extra = sorted(set(action) - allowed)
        if missing:
            errors.append(f"{where}.{missing[0]}: required.")
        elif extra:
            errors.append(f"{where}: unknown key {extra[0]!r}.")
        elif problem := spec.check(action):
            errors.append(f"{where}.{problem}")
    if errors:
        raise ValidationError({"actions": errors})
    return [dict(action) for action in actions]


def action_apply(ticket: Ticket, action: Mapping[str, Any]) -> str:
    """Apply one (validated) action; returns what it did, in words, for the audit trail."""
    return ACTIONS[action["type"]].apply(ticket, action)
