"""The benchmarks' production defaults (bench/seed.py): a create on a benchmark database
does what it does in production, landing in the default team and starting its SLA clocks."""

from __future__ import annotations

import pytest

from bench.seed import production_defaults
from customers.services import IdentityInput, customer_resolve
from slas.models import SlaClock, SlaPolicy
from tickets.models import Team
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


def test_production_defaults_make_a_create_start_its_clocks_in_the_default_team():
    world = production_defaults()
    customer = customer_resolve(identities=[IdentityInput("email", "kim@acme.example")])
    ticket = ticket_create(requester=customer, subject="Parcel damaged", body="Help")
    assert ticket.team == world["team"]
    metrics = set(SlaClock.objects.filter(ticket=ticket).values_list("metric", flat=True))
    assert metrics == {"first_response", "resolution"}
    assert SlaClock.objects.filter(ticket=ticket, policy=world["policy"]).count() == 2


def test_production_defaults_are_idempotent_and_keep_an_existing_default():
    first = production_defaults()
    again = production_defaults()
    assert again["team"] == first["team"]
    assert again["policy"] == first["policy"]
    assert Team.objects.filter(is_default=True).count() == 1
    assert SlaPolicy.objects.filter(is_default=True, is_current=True).count() == 1
