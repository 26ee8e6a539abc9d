"""The desk forms' renderer (desk.form_renderer) writes what Django's widget templates write:
every field of every desk form, unbound, bound with errors and with values to escape,
rendered by both and compared."""

from __future__ import annotations

import pytest
from django.forms.renderers import DjangoTemplates

from desk.bulk_form import BulkForm
from desk.dashboards import DashboardFilterForm
from desk.form_renderer import RENDERER
from desk.forms import DeskLoginForm, QueueFilterForm, ReplyForm, TicketFieldsForm
from desk.goodwill_panel import GestureForm
from desk.new_ticket import NewTicketForm
from desk.search import SearchForm
from desk.view_forms import ProfileForm, ViewFilterForm
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

DJANGO = DjangoTemplates()
NASTY = "<b>\"R&D\" 'team'</b>"


def rendered(form) -> list[str]:
    """Everything a template may print of a form: each field, its errors, each choice."""
    out = [str(form.non_field_errors()), str(form)]
    for field in form:
        out += [str(field), str(field.errors), field.as_hidden()]
        out += [choice.tag() for choice in field] + [str(choice) for choice in field]
    return out


def assert_same(form_class, *args, **kwargs) -> None:
    desk = form_class(*args, renderer=RENDERER, **kwargs)
    django = form_class(*args, renderer=DJANGO, **kwargs)
    assert rendered(desk) == rendered(django)


@pytest.fixture
def nasty_team(agent):
    team = TeamFactory(name=NASTY)
    team.members.add(agent)
    return team


def test_queue_and_bulk_forms_render_as_django_does(agent, nasty_team):
    assert_same(QueueFilterForm, None, user=agent)
    assert_same(QueueFilterForm, {"team": str(nasty_team.pk), "channel": "chat"}, user=agent)
    assert_same(QueueFilterForm, {"team": "999", "status": NASTY}, user=agent)  # errors
    assert_same(BulkForm, user=agent)
    assert_same(BulkForm, {"ids": ["1", "2"], "action": "add_tag", "tag": NASTY}, user=agent)
    assert_same(BulkForm, {"action": "nope", "assignee": "x"}, user=agent)


def test_ticket_page_forms_render_as_django_does(agent, nasty_team, make_ticket):
    ticket = make_ticket(NASTY, tags=['a"b', "<c>"], team_=nasty_team, assignee=agent)
    initial = TicketFieldsForm.initial_for(ticket)
    assert_same(TicketFieldsForm, initial=initial, ticket=ticket)
    assert_same(TicketFieldsForm, {"status": "x", "tags": NASTY, "version": "0"}, ticket=ticket)
    assert_same(ReplyForm, initial={"version": ticket.version})
    assert_same(ReplyForm, {"body": NASTY, "visibility": "internal", "version": "2"})
    assert_same(ReplyForm, {"body": "", "visibility": "bogus", "record_unsent": "on"})
    assert_same(GestureForm)
    assert_same(GestureForm, {"kind": "x", "amount": "-1", "currency": NASTY, "reason": NASTY})


def test_other_desk_forms_render_as_django_does(agent, manager, nasty_team):
    assert_same(DeskLoginForm)
    assert_same(DeskLoginForm, data={"username": NASTY, "password": "x"})
    assert_same(NewTicketForm, user=agent)
    assert_same(NewTicketForm, {"subject": NASTY, "team": "999"}, user=manager)
    assert_same(DashboardFilterForm)
    assert_same(SearchForm, {"q": NASTY})
    assert_same(ViewFilterForm, user=agent)
    assert_same(ViewFilterForm, {"team": str(nasty_team.pk), "status": "x"}, user=agent)
    assert_same(ProfileForm, default_zone=NASTY)
    assert_same(ProfileForm, {"language": "xx", "time_zone": "Europe/Riga"}, default_zone="UTC")
