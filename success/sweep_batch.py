"""The follow-up sweep's batch (core.sweeps handle_batch): a batch of due follow-ups done with
a few set-based statements instead of a few per row.

Email follow-ups are the mass case (one rule, thousands of customers): for a run of them the
batch reads which customers have an open ticket (one aggregate), their support mailboxes (one
DISTINCT ON), renders each email (success.services.email_row, the one rendering), queues all
of them in the outbox with one INSERT and `per_task` rows to a Celery message, remembers their
Message-IDs with one INSERT and records every row with one UPDATE (over one jsonb parameter).
Any other follow-up (survey, outreach, an inactive rule) runs as before, in due order: a run
of emails is queued before the row that follows it, so an outreach ticket opened in the batch
still quiets the emails due after it.

A row that raises makes the batch's savepoint roll back; the sweep then does that batch row by
row (followup_execute), so one bad row fails alone. An email to a bad address is queued like
any other and fails alone at its transport (on_delivery_outcome marks its follow-up failed).
"""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone

from outbox.services import outbox_enqueue_many
from tickets import services as tickets
from tickets.channels import routing
from tickets.models import Ticket
from tickets.status import UNRESOLVED

from .models import Action, FollowUp, FollowUpState
from .services import NO_ADDRESS, _quiet_reason, email_row, followup_execute

ROWS_PER_TASK = 20  # attempts per Celery message: the outbox sweep's own batch size


def followups_execute_batch(followups: list[FollowUp]) -> None:
    """Carry out a batch of due follow-ups (each row locked by the sweep), in due order."""
    run: list[FollowUp] = []
    for followup in followups:
        if followup.rule.active and followup.rule.action == Action.EMAIL:
            run.append(followup)
            continue
        _emails_queue(run)
        run = []
        followup_execute(followup)
    _emails_queue(run)


def _emails_queue(followups: list[FollowUp]) -> None:
    if not followups:
        return
    now = timezone.now()
    open_elsewhere = _open_elsewhere(followups)
    mailboxes = routing.support_mailboxes([f.customer_id for f in followups])
    queued, threads = [], []
    for followup in followups:
        followup.state, followup.done_at = FollowUpState.SKIPPED, now
        followup.outcome = _quiet_reason(followup, open_elsewhere(followup))
        address = "" if followup.outcome else routing.best_email(followup.customer)
        if followup.outcome or not address:
            followup.outcome = (followup.outcome or NO_ADDRESS).removeprefix("skipped:").strip()
            continue
        mailbox = mailboxes.get(followup.customer_id)
        queued.append((followup, email_row(followup, address, mailbox)))
        followup.state, followup.outcome = FollowUpState.SENDING, f"email to {address}"[:200]
        if mailbox is not None and followup.ticket_id is not None:
            threads.append((mailbox, followup.message_id, followup.ticket))
    rows = outbox_enqueue_many([row for _, row in queued], per_task=ROWS_PER_TASK)
    for (followup, _), row in zip(queued, rows, strict=True):
        followup.outbox_message = row
    tickets.thread_keys_remember(threads)
    _record(followups, now)


def _record(followups: list[FollowUp], now) -> None:
    """What each row became, in one UPDATE ... FROM jsonb_to_recordset: QuerySet.bulk_update
    builds a CASE WHEN per row and field (500 expressions for a batch of 100: two thirds of
    the sweep's time, in Python), and text arrays are built by psycopg in Python, quoting
    each outcome; one json.dumps is C."""
    rows = json.dumps(
        [
            {
                "id": f.pk,
                "state": f.state,
                "outcome": f.outcome[:200],
                "outbox": f.outbox_message_id,
                "message_id": f.message_id,
            }
            for f in followups
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE followups_followup AS f SET state = v.state, outcome = v.outcome, "
            "done_at = %s, outbox_message_id = v.outbox, message_id = v.message_id "
            "FROM jsonb_to_recordset(%s::jsonb) "
            "AS v(id bigint, state text, outcome text, outbox bigint, message_id text) "
            "WHERE f.id = v.id",
            [now, rows],
        )


def _open_elsewhere(followups: list[FollowUp]):
    """A function: whether the follow-up's customer has an open ticket other than the
    follow-up's own (what the quiet rule asks), from one aggregate over the batch's customers;
    None for a rule that does not ask."""
    asking = {f.customer_id for f in followups if f.rule.quiet_if_open_ticket}
    counts = {}
    if asking:
        counts = {
            row["requester_id"]: row
            for row in Ticket.objects.filter(requester_id__in=asking, status__in=UNRESOLVED)
            .values("requester_id")
            .annotate(n=Count("id"), low=Min("id"), high=Max("id"))
        }

    def open_elsewhere(followup: FollowUp) -> bool | None:
        if not followup.rule.quiet_if_open_ticket:
            return None
        found = counts.get(followup.customer_id)
        if found is None:
            return False
        return found["n"] > 1 or found["low"] != followup.ticket_id

    return open_elsewhere
