"""Placeholders in texts agents and managers write for customers (macros, a problem's update):
`{{ customer.first_name }}`, `{{ ticket.number }}`, `{{ agent.name|default:"the team" }}`.

Safe by construction: a text is never a Django template. Only the names in PLACEHOLDERS exist,
each computed into a plain string from a known field (no attribute walk, no method call, no
tag, no filter but `default:"..."`), so a macro cannot reach `ticket.requester.source_integration`
or anything else that is not on the list. `placeholders_check` is the validation on save (field
errors); `placeholders_render` fills a checked text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_INSIDE = re.compile(r'^\s*([a-z_]+\.[a-z_]+)\s*(?:\|\s*default\s*:\s*"([^"{}]*)"\s*)?$')


def _first_word(value: str) -> str:
    return value.split()[0] if value and value.split() else ""


@dataclass(frozen=True)
class PlaceholderContext:
    """What a text may speak of: the ticket (with its requester) and the agent sending it."""

    ticket: Any
    agent: Any = None


def _agent_name(ctx: PlaceholderContext) -> str:
    return ctx.agent.display_name if ctx.agent is not None else ""


def _agent_first_name(ctx: PlaceholderContext) -> str:
    if ctx.agent is None:
        return ""
    return ctx.agent.first_name or _first_word(ctx.agent.display_name)


# The allow-list: name -> (what it is, for the docs and the picker; how to compute it).
PLACEHOLDERS: dict[str, tuple[str, Callable[[PlaceholderContext], str]]] = {
    "customer.name": ("The customer's name", lambda c: c.ticket.requester.name),
    "customer.first_name": (
        "The first word of the customer's name",
        lambda c: _first_word(c.ticket.requester.name),
    ),
    "organization.name": (
        "The customer's organization",
        lambda c: c.ticket.organization.name if c.ticket.organization_id else "",
    ),
    "ticket.number": ("The ticket number", lambda c: str(c.ticket.pk)),
    "ticket.subject": ("The ticket's subject", lambda c: c.ticket.subject),
    "team.name": ("The ticket's team", lambda c: c.ticket.team.name if c.ticket.team_id else ""),
    "agent.name": ("The sending agent's name", _agent_name),
    "agent.first_name": ("The sending agent's first name", _agent_first_name),
}


def placeholders_check(text: str) -> list[str]:
    """What is wrong with `text` as a template ([] when it renders): unknown names, template
    tags, anything between braces that is not a placeholder."""
    problems = []
    if "{%" in text or "%}" in text:
        problems.append(_("Template tags ({% ... %}) are not allowed; use {{ placeholders }}."))
    for match in _PLACEHOLDER.finditer(text):
        inside = _INSIDE.match(match.group(1))
        if inside is None:
            problems.append(
                _('%(found)s is not a placeholder; write {{ name }} or {{ name|default:"text" }}.')
                % {"found": match.group(0)}
            )
        elif inside.group(1) not in PLACEHOLDERS:
            problems.append(
                _("Unknown placeholder %(name)s; known: %(known)s.")
                % {"name": inside.group(1), "known": ", ".join(PLACEHOLDERS)}
            )
    rest = _PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        problems.append(_("Unbalanced braces: close every {{ with }}."))
    return problems


def placeholders_render(text: str, context: PlaceholderContext) -> str:
    """`text` with each placeholder replaced by its plain-text value (or its default when
    empty). The text must have passed placeholders_check (ValueError otherwise)."""
    problems = placeholders_check(text)
    if problems:
        raise ValueError(problems[0])
    values: dict[str, str] = {}

    def fill(match: re.Match) -> str:
        name, default = _INSIDE.match(match.group(1)).groups()
        if name not in values:
            values[name] = str(PLACEHOLDERS[name][1](context) or "")
        return values[name] or (default or "")

    return _PLACEHOLDER.sub(fill, text)
