"""Placeholders: an allow-list of plain strings, never a template language."""

from __future__ import annotations

import pytest

from tests.factories import CustomerFactory, OrganizationFactory, UserFactory
from tickets.placeholders import PlaceholderContext, placeholders_check, placeholders_render
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def context(team):
    customer = CustomerFactory(name="Kim Lee", organization=OrganizationFactory(name="Acme"))
    ticket = ticket_create(requester=customer, subject="Parcel damaged", body="x", team=team)
    agent = UserFactory(username="alice", first_name="Alice", last_name="Smith")
    return PlaceholderContext(ticket=ticket, agent=agent)


def test_each_known_placeholder_renders_its_field(context):
    text = (
        "{{ customer.first_name }}/{{customer.name}}/{{ organization.name }}/"
        "{{ ticket.number }}/{{ ticket.subject }}/{{ team.name }}/{{ agent.name }}/"
        "{{ agent.first_name }}"
    )
    assert placeholders_render(text, context) == (
        f"Kim/Kim Lee/Acme/{context.ticket.pk}/Parcel damaged/Support/Alice Smith/Alice"
    )


def test_default_fills_an_empty_value(context):
    context.ticket.requester.name = ""
    text = 'Hi {{ customer.first_name|default:"there" }}, {{ agent.name|default:"the team" }}'
    assert placeholders_render(text, PlaceholderContext(ticket=context.ticket)) == (
        "Hi there, the team"
    )


def test_values_are_inserted_as_text_not_markup(context):
    context.ticket.requester.name = "{{ agent.name }} <b>x</b>"
    assert placeholders_render("Hi {{ customer.name }}", context) == "Hi {{ agent.name }} <b>x</b>"


@pytest.mark.parametrize(
    "text",
    [
        "{{ ticket.requester.source_integration.password }}",
        "{{ customer.__class__ }}",
        "{{ customer.name|safe }}",
        "{% include 'desk/base.html' %}",
        "{% load static %}",
        "{{ customer.name ",
        "{{ }}",
        "{{ settings.SECRET_KEY }}",
    ],
)
def test_anything_off_the_list_is_refused(text, context):
    assert placeholders_check(text)
    with pytest.raises(ValueError, match=r"placeholder|tags|braces"):
        placeholders_render(text, context)
