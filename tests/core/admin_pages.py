"""Admin pages as a browser uses them (a change page fetched, every rendered field sent back,
only the edited ones different) and what a user notices about a ticket after a change:
shared by the admin-rules tests."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

from django.test import Client

from outbox.models import OutboxMessage
from success.models import FollowUp
from tickets import services as tickets
from tickets.models import Priority, Ticket

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
NORMAL, URGENT = Priority.NORMAL, Priority.URGENT


# --- a browser's form submission -----------------------------------------------------------


class _FormFields(HTMLParser):
    """The values a browser would submit from the page's main form (#<model>_form)."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._option: str | None = None
        self._selected = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select:
            if "selected" in a:
                self.values.append((self._select, a.get("value") or ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.values.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None


def submitted(client: Client, url: str, **changes) -> dict:
    """What the page's form sends, with `changes` (a list value: a multiple choice)."""
    response = client.get(url)
    assert response.status_code == 200, response.content
    parser = _FormFields()
    parser.feed(response.content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.values:
        if name not in ("csrfmiddlewaretoken", "_popup", "_to_field"):
            data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return data


def errors_of(response) -> str:
    """The error list texts of a re-rendered admin form."""
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def two_equal_tickets(customer, team) -> tuple[Ticket, Ticket]:
    made = [
        tickets.ticket_create(
            requester=customer,
            subject="Espresso machine leaks",
            body="Water under the machine since Friday.\r\n\r\n-- \r\nKim",
            channel="email",
            team=team,
        )
        for _ in range(2)
    ]
    return made[0], made[1]


def effects(ticket: Ticket) -> dict:
    """Everything a user could notice about a ticket after a change, ids left out."""
    ticket.refresh_from_db()
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "solved_at": ticket.solved_at,
        "version": ticket.version,
        "next_due_at": ticket.next_due_at,
        "clocks": sorted(
            (c.metric, c.policy_id, c.target_minutes, c.due_at, c.fulfilled_at)
            for c in ticket.sla_clocks.all()
        ),
        "audit": [
            (e.kind, e.actor_user_id, e.before, e.after)
            for e in ticket.events.exclude(kind="created").order_by("id")
        ],
        "followups": [
            (f.rule_id, f.state, f.due_at) for f in FollowUp.objects.filter(ticket=ticket)
        ],
        "webhooks": [
            (
                d.payload["event"],
                d.state,
                d.payload["body"]["changes"],
                d.payload["body"]["ticket"]["status"],
            )
            for d in OutboxMessage.objects.filter(payload__body__ticket__id=ticket.pk)
        ],
    }


def change_url(ticket: Ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"
