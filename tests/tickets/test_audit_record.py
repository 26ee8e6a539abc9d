"""tickets.services.audit_record(_many): the one door other apps use to the audit trail."""

from __future__ import annotations

import pytest

from desk.selectors import audit_trail
from tests.factories import TicketFactory
from tickets import services
from tickets.models import EventKind, TicketEvent

pytestmark = pytest.mark.django_db


def test_a_kind_missing_from_event_kind_is_refused_and_nothing_is_written():
    ticket = TicketFactory()
    with pytest.raises(ValueError, match=r"sla\.snoozed"):
        services.audit_record(ticket=ticket, kind="sla.snoozed", after={"metric": "resolution"})
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_many_events_are_written_in_one_insert(django_assert_num_queries):
    tickets = TicketFactory.create_batch(3)
    entries = [
        services.AuditEntry(
            ticket_id=t.pk, kind=EventKind.SLA_BREACHED, after={"metric": "first_response"}
        )
        for t in tickets
    ]
    with django_assert_num_queries(1):
        services.audit_record_many(entries=entries)
    assert sorted(TicketEvent.objects.values_list("ticket_id", flat=True)) == sorted(
        t.pk for t in tickets
    )


def test_sla_and_merge_events_read_as_words_in_the_audit_trail():
    ticket = TicketFactory()
    for kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED, EventKind.REQUESTER_MERGED):
        services.audit_record(ticket=ticket, kind=kind)
    labels = [row.label for row in audit_trail(ticket)]
    assert labels[-3:] == ["SLA at risk", "SLA breached", "Requester merged into another customer"]


def test_alike_events_are_one_insert_per_content_in_the_order_given(django_assert_num_queries):
    tickets = TicketFactory.create_batch(4)
    fired = {"rule": "time:1", "actions": ["status -> closed"]}
    entries = [
        services.AuditEntry(ticket_id=t.pk, kind=EventKind.AUTOMATION_FIRED, after=fired)
        for t in reversed(tickets)
    ] + [
        services.AuditEntry(
            ticket_id=t.pk,
            kind=EventKind.STATUS_CHANGED,
            before={"status": "solved" if i % 2 else "pending"},
            after={"status": "closed"},
        )
        for i, t in enumerate(tickets)
    ]
    with django_assert_num_queries(3):  # the firings; from solved; from pending
        assert services.audit_record_alike(entries=entries) == 8
    rows = list(TicketEvent.objects.order_by("id").values_list("ticket_id", "kind", "before"))
    assert rows == [
        *((t.pk, EventKind.AUTOMATION_FIRED, {}) for t in reversed(tickets)),
        *((t.pk, EventKind.STATUS_CHANGED, {"status": "pending"}) for t in tickets[0::2]),
        *((t.pk, EventKind.STATUS_CHANGED, {"status": "solved"}) for t in tickets[1::2]),
    ]
    with pytest.raises(ValueError, match=r"sla\.snoozed"):
        services.audit_record_alike(entries=[services.AuditEntry(tickets[0].pk, "sla.snoozed")])
