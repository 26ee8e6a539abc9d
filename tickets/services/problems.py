"""Problems and their incidents: support escalates a defect once (the problem ticket, on the
team that can fix it) and links every customer's ticket about it; when the problem is solved,
each incident's requester gets one public update on their own channel, and the incidents are
solved (configurable per problem)."""

from __future__ import annotations

from collections.abc import Iterable
from types import EllipsisType

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ConflictError
from core.unset import UNSET

from ..models import EventKind, ProblemLink, ProblemSettings, Ticket, TicketType
from ..placeholders import PlaceholderContext, placeholders_check, placeholders_render
from ..status import Status
from .audit import AuditEntry, audit_record, audit_record_many
from .messages import ticket_reply
from .update import ticket_update

DEFAULT_UPDATE = gettext_lazy(
    'Hello {{ customer.first_name|default:"there" }},\n\n'
    "the problem behind your request #{{ ticket.number }} ({{ ticket.subject }}) has been "
    "fixed. Thank you for your patience; reply to this message if anything still does not work."
)


def _check_problem(problem: Ticket) -> None:
    if problem.status == Status.CLOSED:
        raise ConflictError(_("A closed ticket is final; open a new problem."), code="closed")


def _link_problems(problem: Ticket, incidents: list[Ticket]) -> list[str]:
    """Why these incidents cannot be linked to `problem` ([] when they can)."""
    errors = []
    for incident in incidents:
        if incident.pk == problem.pk:
            errors.append(_("#%(id)s is the problem itself.") % {"id": incident.pk})
        elif incident.status == Status.CLOSED:
            errors.append(_("#%(id)s is closed.") % {"id": incident.pk})
        elif ProblemLink.objects.filter(problem=incident).exists():
            errors.append(
                _("#%(id)s is a problem with incidents of its own.") % {"id": incident.pk}
            )
    if ProblemLink.objects.filter(incident=problem).exists():
        errors.append(
            _("#%(id)s is itself an incident of a problem; link to that problem.")
            % {"id": problem.pk}
        )
    return errors


def _link_one(problem: Ticket, incident: Ticket, actor) -> tuple[ProblemLink, bool]:
    previous = ProblemLink.objects.filter(incident=incident).first()
    if previous is not None and previous.problem_id == problem.pk:
        return previous, False
    if previous is not None:
        previous.delete()
    if incident.type != TicketType.INCIDENT:
        ticket_update(ticket=incident, actor=actor, type=TicketType.INCIDENT)
    return ProblemLink.objects.create(incident=incident, problem=problem, linked_by=actor), True


@transaction.atomic
def problem_incidents_link(
    *, problem: Ticket, incidents: Iterable[Ticket], actor
) -> list[ProblemLink]:
    """Link `incidents` to `problem`; the problem becomes type "problem", each incident type
    "incident" (through ticket_update, audited), and each incident records `incident_linked`.
    An incident linked elsewhere moves here; a problem with incidents of its own, a closed
    ticket or the problem itself is a ValidationError on `incident_ids` (nothing linked)."""
    incidents = list({t.pk: t for t in incidents}.values())
    _check_problem(problem)
    errors = _link_problems(problem, incidents)
    if errors:
        raise ValidationError({"incident_ids": errors})
    if problem.type != TicketType.PROBLEM:
        ticket_update(ticket=problem, actor=actor, type=TicketType.PROBLEM)
    links, entries = [], []
    for incident in incidents:
        link, created = _link_one(problem, incident, actor)
        links.append(link)
        if created:
            entries.append(
                AuditEntry(
                    incident.pk,
                    EventKind.INCIDENT_LINKED,
                    after={"problem": problem.pk},
                    actor_user=actor,
                )
            )
    audit_record_many(entries=entries)
    return links


@transaction.atomic
def problem_incident_unlink(*, problem: Ticket, incident: Ticket, actor) -> None:
    """Unlink one incident (ProblemLink.DoesNotExist when it is not this problem's)."""
    link = ProblemLink.objects.get(problem=problem, incident=incident)
    link.delete()
    audit_record(
        ticket=incident,
        kind=EventKind.INCIDENT_UNLINKED,
        before={"problem": problem.pk},
        actor_user=actor,
    )


@transaction.atomic
def problem_settings_set(
    *,
    problem: Ticket,
    actor,
    update_body: str | EllipsisType = UNSET,
    solve_incidents: bool | EllipsisType = UNSET,
) -> ProblemSettings:
    """What solving `problem` does to its incidents: the update text (placeholders checked:
    ValidationError on `update_body`) and whether they are solved."""
    _check_problem(problem)
    settings_, _created = ProblemSettings.objects.select_for_update().get_or_create(problem=problem)
    if update_body is not UNSET:
        problems = placeholders_check(update_body)
        if problems:
            raise ValidationError({"update_body": problems})
        settings_.update_body = update_body.strip()
    if solve_incidents is not UNSET:
        settings_.solve_incidents = solve_incidents
    settings_.save()
    return settings_


def _update_text(problem: Ticket) -> tuple[str, bool]:
    settings_ = ProblemSettings.objects.filter(problem=problem).first()
    if settings_ is None:
        return str(DEFAULT_UPDATE), True
    return settings_.update_body or str(DEFAULT_UPDATE), settings_.solve_incidents


@transaction.atomic
def problem_incidents_notify(*, problem: Ticket, actor) -> int:
    """The problem was solved: each linked incident not yet told (and not closed) gets one
    public reply through ticket_reply (its own channel, its SLA, the outbox), solved with it
    when the problem's settings say so. Once per incident: `notified_at` is set in the same
    transaction, so solving the problem again tells only incidents linked since. Returns how
    many were updated; the problem records `problem.update_sent` with their ids."""
    body, solve = _update_text(problem)
    links = list(
        ProblemLink.objects.select_for_update(of=("self",))
        .filter(problem=problem, notified_at__isnull=True)
        .select_related("incident__requester", "incident__organization", "incident__team")
        .order_by("id")
    )
    updated = []
    now = timezone.now()
    for link in links:
        incident = link.incident
        if incident.status == Status.CLOSED:
            continue
        text = placeholders_render(body, PlaceholderContext(ticket=incident, agent=actor))
        message = ticket_reply(
            ticket=incident,
            author=actor,
            body=text,
            public=True,
            status=Status.SOLVED if solve and incident.status != Status.SOLVED else None,
        )
        link.notified_at, link.notified_message = now, message
        link.save(update_fields=["notified_at", "notified_message"])
        updated.append(incident.pk)
    if updated:
        audit_record(
            ticket=problem,
            kind=EventKind.PROBLEM_UPDATE_SENT,
            after={"incidents": updated, "solved": solve},
            actor_user=actor,
        )
    return len(updated)
