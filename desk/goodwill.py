"""Goodwill in the desk: the ticket page's panel (record a gesture; the service decides if it
is granted or waits for a manager) and the managers' page of requests to approve or decline.
Views parse forms and call goodwill.services; the limits live in the service only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ConflictError
from goodwill import selectors, services
from goodwill.models import Gesture, GestureState
from tickets.models import Ticket

from . import selectors as desk_selectors
from .goodwill_panel import GestureForm
from .views import _apply_errors, _render_ticket, agent_required


@require_POST
@agent_required
def ticket_goodwill(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        ticket = desk_selectors.desk_ticket(request.user, pk)
    except Ticket.DoesNotExist:
        raise Http404(_("No such ticket.")) from None
    form = GestureForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, goodwill_form=form, status=400)
    try:
        gesture = services.gesture_record(ticket=ticket, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _render_ticket(request, ticket, goodwill_form=form, status=400)
    except ConflictError as exc:
        form.add_error(None, exc.message)
        return _render_ticket(request, ticket, goodwill_form=form, status=409)
    amount = f"{gesture.amount} {gesture.currency}"
    if gesture.state == GestureState.GRANTED:
        messages.success(request, _("Goodwill granted: %(amount)s.") % {"amount": amount})
    else:
        messages.info(
            request,
            _("%(amount)s is above your limit: a manager will approve or decline it.")
            % {"amount": amount},
        )
    return redirect(reverse("desk:ticket", args=[pk]) + "#goodwill-title")


@require_GET
@agent_required
def requests(request: HttpRequest) -> HttpResponse:
    """Managers: the requests waiting for a decision, oldest first."""
    if not request.user.is_manager:
        return render(request, "desk/403.html", status=403)
    pending = list(selectors.pending_requests()[:200])
    return render(request, "desk/goodwill_requests.html", {"pending": pending})


@require_POST
@agent_required
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_manager:
        return render(request, "desk/403.html", status=403)
    gesture = Gesture.objects.filter(pk=pk).first()
    if gesture is None:
        raise Http404(_("No such request."))
    approve = request.POST.get("decision") == "approve"
    try:
        services.gesture_decide(
            gesture=gesture,
            actor=request.user,
            approve=approve,
            note=request.POST.get("note", "")[:2000],
        )
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("desk:goodwill-requests")
    text = _("Approved: %(what)s.") if approve else _("Declined: %(what)s.")
    messages.success(
        request, text % {"what": f"{gesture.amount} {gesture.currency} on #{gesture.ticket_id}"}
    )
    return redirect("desk:goodwill-requests")
