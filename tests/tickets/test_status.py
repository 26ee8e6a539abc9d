"""The status lifecycle table: new -> open -> pending/on_hold -> solved -> closed."""

from __future__ import annotations

import pytest

from tickets.status import (
    TRANSITIONS,
    Status,
    TransitionError,
    check_transition,
    status_after_agent_reply,
    status_after_customer_message,
)

ALLOWED = {
    ("new", "open"),
    ("new", "pending"),
    ("new", "on_hold"),
    ("new", "solved"),
    ("open", "pending"),
    ("open", "on_hold"),
    ("open", "solved"),
    ("pending", "open"),
    ("pending", "on_hold"),
    ("pending", "solved"),
    ("on_hold", "open"),
    ("on_hold", "pending"),
    ("on_hold", "solved"),
    ("solved", "open"),
    ("solved", "closed"),
}


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_transition_table(current, target):
    if current == target or (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(TransitionError):
            check_transition(current, target)


def test_closed_is_final():
    assert TRANSITIONS[Status.CLOSED] == frozenset()
    with pytest.raises(TransitionError, match="final"):
        status_after_customer_message(Status.CLOSED)


@pytest.mark.parametrize(
    ("current", "after"),
    [
        ("new", "new"),
        ("open", "open"),
        ("pending", "open"),
        ("on_hold", "on_hold"),
        ("solved", "open"),
    ],
)
def test_customer_message_reopens_what_waits_on_them(current, after):
    assert status_after_customer_message(current) == after


def test_agent_reply_opens_a_new_ticket_unless_told_otherwise():
    assert status_after_agent_reply("new", None) == "open"
    assert status_after_agent_reply("new", "pending") == "pending"
    assert status_after_agent_reply("on_hold", None) == "on_hold"
