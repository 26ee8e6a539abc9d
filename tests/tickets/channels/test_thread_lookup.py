"""The mailbox's thread lookup (ticket_match._threaded_ticket) answers as the ORM query it
replaced: the most recent open thread among the keys, on this mailbox only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import TicketFactory
from tickets.channels.config import channel_save
from tickets.channels.email.ticket_match import _threaded_ticket
from tickets.channels.models import Channel, ChannelThread

pytestmark = pytest.mark.django_db


def _orm(channel, keys):
    thread = (
        ChannelThread.objects.select_related("ticket")
        .filter(channel=channel, key__in=keys, ended_at__isnull=True)
        .order_by("-last_message_at", "-id")
        .first()
    )
    return thread.ticket if thread is not None else None


def test_the_most_recent_open_thread_of_this_mailbox(email_channel, team):
    other = channel_save(
        channel=Channel(), kind="email", name="Other", settings={"address": "o@acme.test"}
    )
    now = timezone.now()
    old, recent, ended, elsewhere = (TicketFactory(team=team) for _ in range(4))
    same_time = TicketFactory(team=team)
    for ticket, key, at, end, channel in (
        (old, "<a@x>", now - timedelta(days=2), None, email_channel),
        (recent, "<b@x>", now - timedelta(hours=1), None, email_channel),
        (same_time, "<c@x>", now - timedelta(hours=1), None, email_channel),
        (ended, "<d@x>", now, now, email_channel),
        (elsewhere, "<e@x>", now, None, other),
    ):
        ChannelThread.objects.create(
            channel=channel, key=key, ticket=ticket, last_message_at=at, ended_at=end
        )
    for keys in (
        ["<a@x>"],
        ["<a@x>", "<b@x>"],
        ["<a@x>", "<b@x>", "<c@x>"],  # a tie on time: the newer row
        ["<d@x>"],  # ended
        ["<e@x>"],  # another mailbox's
        ["<a@x>", "<d@x>", "<e@x>"],
        ["<nobody@x>"],
    ):
        expected = _orm(email_channel, keys)
        found = _threaded_ticket(email_channel, keys)
        assert (found and found.pk) == (expected and expected.pk), keys
        if found is not None:
            assert found.subject == expected.subject
            assert not found._state.adding
    assert _threaded_ticket(email_channel, ["<a@x>", "<b@x>", "<c@x>"]).pk == same_time.pk
