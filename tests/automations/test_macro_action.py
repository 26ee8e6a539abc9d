"""The "reply_macro" action: a rule answers with a shared macro's text (placeholders filled,
no agent), and its use is counted; an unknown or personal macro is refused when saved."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from automations.actions import actions_validate
from macros.models import Macro
from tests.factories import CustomerFactory, ManagerFactory, TriggerFactory
from tickets import services as ticket_services
from tickets.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(db):
    return Macro.objects.create(
        name="We got it",
        body="Hi {{ customer.first_name }}, #{{ ticket.number }} is with "
        '{{ agent.name|default:"our team" }}.',
        owner=ManagerFactory(),
        is_shared=True,
        set_status="pending",
    )


def test_a_trigger_replies_with_a_shared_macro(team, shared):
    TriggerFactory(actions=[{"type": "reply_macro", "macro": shared.pk}])
    ticket = ticket_services.ticket_create(
        requester=CustomerFactory(name="Ann Lee"), subject="Login", body="x", team=team
    )
    reply = Message.objects.get(ticket=ticket, direction="outbound")
    assert reply.is_public
    assert reply.body_text == f"Hi Ann, #{ticket.pk} is with our team."
    assert Macro.objects.get(pk=shared.pk).usage_count == 1
    ticket.refresh_from_db()
    assert ticket.status == "new"  # the text only: a rule sets fields with its own actions


def test_a_personal_or_unknown_macro_is_refused_when_the_rule_is_saved(shared, agent):
    personal = Macro.objects.create(name="Mine", body="x", owner=agent)
    for value in (personal.pk, 999999, "1"):
        with pytest.raises(ValidationError, match="macro"):
            actions_validate([{"type": "reply_macro", "macro": value}])
    assert actions_validate([{"type": "reply_macro", "macro": shared.pk}])
