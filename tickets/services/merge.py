"""Merging a ticket into another: the duplicate is closed with a pointer, its conversation is
shown in the target, and what the requester sends later on its threads lands in the target."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError

from ..channels.models import ChannelThread
from ..models import EventKind, ProblemLink, Ticket, TicketMerge
from ..status import Status
from .common import _Changes


def _lock_pair(source: Ticket, target: Ticket) -> tuple[Ticket, Ticket]:
    """Both rows locked, lower id first, so two merges of the same pair cannot deadlock."""
    rows = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    return rows[source.pk], rows[target.pk]


def _check_mergeable(source: Ticket, target: Ticket) -> None:
    if source.pk == target.pk:
        raise ValidationError({"target_id": [_("A ticket cannot be merged into itself.")]})
    if target.status == Status.CLOSED:
        raise ConflictError(
            _("Ticket #%(id)s is closed; merge into an open ticket.") % {"id": target.pk},
            code="closed",
        )
    if source.status == Status.CLOSED:
        raise ConflictError(
            _("Ticket #%(id)s is closed; it cannot be merged.") % {"id": source.pk}, code="closed"
        )
    if source.requester_id != target.requester_id:
        # Replies on the target reach the target's requester only: merging two people's
        # tickets would answer one of them nowhere. Link them to a problem instead.
        message = _(
            "Only tickets of the same customer can be merged; link different customers' "
            "tickets to a problem instead (or merge the customers first)."
        )
        raise ValidationError({"target_id": [message]})


def _close_source(source: Ticket, target: Ticket, actor) -> None:
    """The one path that closes a ticket that was not solved: a merged duplicate is finished
    (its SLA clocks stop with it, slas.clocks), but nobody solved it, so no survey follows."""
    changes = _Changes(source, actor_user=actor)
    changes.record(EventKind.MERGED_INTO, after={"merged_into": target.pk})
    before = source.status
    source.status = Status.CLOSED
    source.closed_at = timezone.now()
    changes.record(
        EventKind.STATUS_CHANGED, before={"status": before}, after={"status": Status.CLOSED}
    )
    source.version += 1
    source.save()
    changes.save()
    changes.publish_update(merged_into=target.pk)


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor) -> TicketMerge:
    """Merge `source` into `target` (same requester; neither closed).

    The source is closed with a pointer (TicketMerge) and a `merged_into` audit event; the
    target records `merged_from` with the messages it gains. The source's channel threads
    (email Message-IDs, chat and social conversations) move to the target, so the requester's
    later replies thread there; tickets merged into the source before now point at the target
    (one hop), and so do its incidents if it was a problem. Returns the merge row.
    """
    source, target = _lock_pair(source, target)
    _check_mergeable(source, target)
    # The target as an incident of the source would become its own incident.
    ProblemLink.objects.filter(incident=target, problem=source).delete()
    ChannelThread.objects.filter(ticket=source).update(ticket=target)
    TicketMerge.objects.filter(target=source).update(target=target)
    ProblemLink.objects.filter(problem=source).update(problem=target)
    ProblemLink.objects.filter(incident=source).delete()  # the target carries the conversation
    merge = TicketMerge.objects.create(source=source, target=target, merged_by=actor)
    _close_source(source, target, actor)
    target_changes = _Changes(target, actor_user=actor)
    target_changes.record(
        EventKind.MERGED_FROM,
        after={"merged_from": source.pk, "messages": source.messages.count()},
    )
    target.version += 1
    target.save(update_fields=["version", "updated_at"])
    target_changes.save()
    return merge
