"""The ticket page's tools beyond replying: the macro picker (its list, fetched when it
opens), merging into another ticket, and problems (linking incidents, the update sent when
the problem is solved). Thin views: they parse the form, call one service and say what
happened; both ends of a merge or a link must be tickets the agent sees."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ConflictError
from macros import services as macro_services
from macros.selectors import macros_usable_by
from tickets import services
from tickets.models import ProblemLink, Ticket
from tickets.selectors import tickets_visible_to

from . import selectors
from .views import agent_required


def _ticket(request: HttpRequest, pk: int) -> Ticket:
    try:
        return selectors.desk_ticket(request.user, pk)
    except Ticket.DoesNotExist:
        raise Http404("No such ticket.") from None


def _ids(text: str) -> list[int]:
    """ "#12, 14 #15" -> [12, 14, 15]; anything else is a ValidationError."""
    words = text.replace(",", " ").split()
    ids = [word.lstrip("#") for word in words]
    if not ids or not all(i.isdigit() and int(i) > 0 for i in ids):
        raise ValidationError(_("Give ticket numbers, e.g. 12 or #12, 14."))
    return [int(i) for i in ids]


def _visible(request: HttpRequest, ids: list[int]) -> list[Ticket]:
    found = {t.pk: t for t in tickets_visible_to(request.user).filter(pk__in=ids)}
    missing = [f"#{i}" for i in ids if i not in found]
    if missing:
        raise ValidationError(_("No such ticket: %(ids)s.") % {"ids": ", ".join(missing)})
    return [found[i] for i in dict.fromkeys(ids)]


def _act(request: HttpRequest, pk: int, action: Callable[[], str]) -> HttpResponse:
    """Run `action` (a service call returning what to tell the agent); a refusal is an error
    message on the ticket page and nothing is written."""
    try:
        messages.success(request, action())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, exc.message)
    if not selectors.is_visible(request.user, pk):
        return redirect("desk:queue")
    return redirect("desk:ticket", pk=pk)


def _changes_text(macro) -> str:
    """What a macro sets besides its reply, in words ("status solved, priority low")."""
    parts = []
    if macro.set_status:
        label = macro.get_set_status_display().split(" (")[0].lower()  # "pending", "on hold"
        parts.append(_("status %(value)s") % {"value": label})
    if macro.set_priority is not None:
        parts.append(_("priority %(value)s") % {"value": macro.get_set_priority_display()})
    if macro.set_team_id is not None:
        parts.append(_("team %(value)s") % {"value": macro.set_team.name})
    if macro.add_tags:
        parts.append(_("tags %(value)s") % {"value": ", ".join(f"+{t}" for t in macro.add_tags)})
    return ", ".join(parts)


@require_GET
@agent_required
def macro_picker(request: HttpRequest, pk: int) -> HttpResponse:
    """The picker's list: each macro with its reply rendered for this ticket and what it
    sets besides; the most used first."""
    ticket = _ticket(request, pk)
    items = [
        {
            "macro": macro,
            "body": macro_services.macro_render(macro=macro, ticket=ticket, agent=request.user),
            "changes_text": _changes_text(macro),
        }
        for macro in macros_usable_by(request.user).order_by("-usage_count", "name")
    ]
    return render(request, "desk/_macro_list.html", {"items": items, "ticket": ticket})


@require_POST
@agent_required
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    source = _ticket(request, pk)

    def act() -> str:
        (target,) = _visible(request, _ids(request.POST.get("target", ""))[:1])
        services.ticket_merge(source=source, target=target, actor=request.user)
        return _("Ticket #%(source)s was merged into #%(target)s.") % {
            "source": source.pk,
            "target": target.pk,
        }

    response = _act(request, pk, act)
    merged = Ticket.objects.filter(pk=pk, merge__isnull=False).values_list(
        "merge__target_id", flat=True
    )
    target_id = next(iter(merged), None)
    return redirect("desk:ticket", pk=target_id) if target_id else response


@require_POST
@agent_required
def link_to_problem(request: HttpRequest, pk: int) -> HttpResponse:
    """This ticket becomes an incident of the problem the agent names."""
    incident = _ticket(request, pk)

    def act() -> str:
        (problem,) = _visible(request, _ids(request.POST.get("problem", ""))[:1])
        services.problem_incidents_link(problem=problem, incidents=[incident], actor=request.user)
        return _("Linked to problem #%(id)s.") % {"id": problem.pk}

    return _act(request, pk, act)


@require_POST
@agent_required
def link_incidents(request: HttpRequest, pk: int) -> HttpResponse:
    """The tickets the agent names become incidents of this problem."""
    problem = _ticket(request, pk)

    def act() -> str:
        incidents = _visible(request, _ids(request.POST.get("incidents", "")))
        services.problem_incidents_link(problem=problem, incidents=incidents, actor=request.user)
        return _("%(count)s incident(s) linked.") % {"count": len(incidents)}

    return _act(request, pk, act)


@require_POST
@agent_required
def unlink_incident(request: HttpRequest, pk: int, incident_id: int) -> HttpResponse:
    problem = _ticket(request, pk)

    def act() -> str:
        (incident,) = _visible(request, [incident_id])
        try:
            services.problem_incident_unlink(problem=problem, incident=incident, actor=request.user)
        except ProblemLink.DoesNotExist:
            raise ValidationError(_("#%(id)s is not linked here.") % {"id": incident_id}) from None
        return _("Incident #%(id)s unlinked.") % {"id": incident_id}

    return _act(request, pk, act)


@require_POST
@agent_required
def problem_settings(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _ticket(request, pk)

    def act() -> str:
        services.problem_settings_set(
            problem=problem,
            actor=request.user,
            update_body=request.POST.get("update_body", "")[:20_000],
            solve_incidents=request.POST.get("solve_incidents") == "1",
        )
        return _("Problem settings saved.")

    return _act(request, pk, act)
