"""sweep_due: due rows are handled once, even by concurrent sweepers, and failures don't spin."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.utils import timezone

from core.sweeps import sweep_due
from tests.factories import TicketFactory
from tickets.models import Ticket, TicketEvent


def due_tickets():
    return Ticket.objects.filter(next_due_at__lte=timezone.now()).order_by("next_due_at")


def mark_handled(ticket: Ticket) -> None:
    TicketEvent.objects.create(ticket=ticket, kind="swept")
    Ticket.objects.filter(pk=ticket.pk).update(next_due_at=None)


@pytest.mark.django_db
def test_sweep_handles_only_due_rows_in_batches():
    past, future = timezone.now() - timedelta(minutes=1), timezone.now() + timedelta(hours=1)
    due = [TicketFactory(next_due_at=past) for _ in range(7)]
    later = TicketFactory(next_due_at=future)
    assert sweep_due(due_tickets(), handle=mark_handled, batch_size=3) == 7
    assert set(TicketEvent.objects.values_list("ticket_id", flat=True)) == {t.pk for t in due}
    assert not TicketEvent.objects.filter(ticket=later).exists()


@pytest.mark.django_db
def test_failing_row_is_handed_to_on_error_and_others_still_commit():
    past = timezone.now() - timedelta(minutes=1)
    good, bad = TicketFactory(next_due_at=past), TicketFactory(next_due_at=past)
    errors = []

    def handle(ticket):
        if ticket.pk == bad.pk:
            TicketEvent.objects.create(ticket=ticket, kind="half-done")
            raise RuntimeError("boom")
        mark_handled(ticket)

    def on_error(ticket, exc):
        errors.append((ticket.pk, str(exc)))
        Ticket.objects.filter(pk=ticket.pk).update(next_due_at=timezone.now() + timedelta(hours=1))

    assert sweep_due(due_tickets(), handle=handle, on_error=on_error) == 2
    assert errors == [(bad.pk, "boom")]
    assert TicketEvent.objects.filter(ticket=good, kind="swept").count() == 1
    assert not TicketEvent.objects.filter(ticket=bad).exists()  # its savepoint rolled back


@pytest.mark.django_db
def test_sweep_out_of_time_keeps_finished_rows_and_leaves_the_rest_due_without_errors():
    past = timezone.now() - timedelta(minutes=1)
    tickets = [TicketFactory(next_due_at=past - timedelta(seconds=i)) for i in range(7)]
    order = sorted(tickets, key=lambda t: t.next_due_at)
    errors = []

    def handle(ticket):
        if ticket.pk == order[4].pk:  # the task's soft time limit strikes in the second batch
            TicketEvent.objects.create(ticket=ticket, kind="half-done")
            raise SoftTimeLimitExceeded()
        mark_handled(ticket)

    handled = sweep_due(
        due_tickets(), handle=handle, on_error=lambda *args: errors.append(args), batch_size=3
    )
    assert handled == 4
    swept = set(TicketEvent.objects.filter(kind="swept").values_list("ticket_id", flat=True))
    assert swept == {t.pk for t in order[:4]}
    assert not TicketEvent.objects.filter(kind="half-done").exists()
    assert errors == []  # running out of time is not the row's failure
    assert list(due_tickets()) == order[4:]  # the next sweep takes them


@pytest.mark.django_db
def test_row_that_stays_due_is_not_retried_within_one_sweep():
    TicketFactory(next_due_at=timezone.now() - timedelta(minutes=1))
    calls = []
    assert sweep_due(due_tickets(), handle=calls.append, batch_size=1) == 1
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_handle_each_row_exactly_once():
    assert connection.vendor == "postgresql", "needs PostgreSQL (make test)"
    past = timezone.now() - timedelta(minutes=1)
    tickets = [TicketFactory(next_due_at=past) for _ in range(60)]
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        try:
            sweep_due(due_tickets(), handle=mark_handled, batch_size=5)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = {t.pk: TicketEvent.objects.filter(ticket=t, kind="swept").count() for t in tickets}
    assert set(counts.values()) == {1}


@pytest.mark.django_db
def test_batches_are_handled_set_based_and_a_failing_batch_falls_back_to_rows():
    past = timezone.now() - timedelta(minutes=1)
    tickets = [TicketFactory(next_due_at=past) for _ in range(5)]
    batches = []

    def handle_batch(rows):
        batches.append(len(rows))
        TicketEvent.objects.bulk_create([TicketEvent(ticket=t, kind="swept") for t in rows])
        Ticket.objects.filter(pk__in=[t.pk for t in rows]).update(next_due_at=None)
        if len(batches) == 2:
            raise RuntimeError("one bad row in the second batch")

    assert (
        sweep_due(due_tickets(), handle=mark_handled, handle_batch=handle_batch, batch_size=3) == 5
    )
    assert batches == [3, 2]  # the second batch failed and was rolled back...
    events = list(TicketEvent.objects.filter(kind="swept").values_list("ticket_id", flat=True))
    assert sorted(events) == sorted(t.pk for t in tickets)  # ...then done row by row, once


def test_batched_events_reach_many_handlers_once_per_block_and_plain_handlers_at_once():
    from core import events

    plain, many = [], []

    def on_many(batch):
        many.append([e.data["n"] for e in batch])

    events.subscribe("test.thing", plain.append)
    events.subscribe_many("test.thing", on_many)
    try:
        events.publish("test.thing", data={"n": 0})  # outside a block: a batch of one
        with events.batched():
            for n in (1, 2, 3):
                events.publish("test.thing", data={"n": n})
            assert many == [[0]]  # held until the block ends
            assert len(plain) == 4  # plain handlers are not held
    finally:
        events.unsubscribe("test.thing", plain.append)
        events.unsubscribe_many("test.thing", on_many)
    assert many == [[0], [1, 2, 3]]
