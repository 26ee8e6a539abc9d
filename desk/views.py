"""The agents' desk: server-rendered pages over the same selectors and services as the API.

Views only parse forms, call tickets.services / desk.selectors and render; no rule lives here.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from automations.routing import availability_set
from core.errors import ConflictError, UndeliverableError
from knowledge.selectors import suggestions_for_ticket
from slas.selectors import tier_for
from tickets import services
from tickets.models import Team, Ticket

from . import delivery, presence, selectors
from . import macros as desk_macros
from .bulk_form import BulkForm
from .forms import DeskLoginForm, QueueFilterForm, ReplyForm, TicketFieldsForm
from .goodwill_panel import goodwill_context
from .profile import agent_locale
from .ticket_lists import views_nav
from .uploads import attachment_inputs


class LoginView(auth_views.LoginView):
    template_name = "desk/login.html"
    authentication_form = DeskLoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET), so a link cannot sign anyone out."""


def agent_required(view):
    """Signed in as an agent or manager; anyone else is sent to sign in (or refused)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            if request.htmx:  # a poll after the session expired: reload into the login page
                return HttpResponseClientRedirect(settings.LOGIN_URL)
            return redirect_to_login(request.get_full_path())
        if not user.is_agent:
            return render(request, "desk/403.html", status=403)
        with agent_locale(user):
            return view(request, *args, **kwargs)

    return wrapper


# --- the queue ---------------------------------------------------------------------------------

# Statuses the queue does not hold, and the view that lists them.
QUEUE_STATUS_VIEWS = {"pending": "pending", "on_hold": "on_hold", "solved": "solved"}


def _queue_context(request: HttpRequest, *, my_teams: list[Team] | None = None) -> dict:
    """The filters and rows (the rows' polling renders no select: `my_teams`, the team
    filter's options, only where the page does)."""
    form = QueueFilterForm(request.GET or None, user=request.user, teams=my_teams)
    data = form.cleaned_data if form.is_valid() else {}  # queue(): an invalid one is a 400
    filters = selectors.QueueFilters(
        team=data.get("team"),
        channel=data.get("channel", ""),
        tier=data.get("tier"),
        status=data.get("status", ""),
        assigned=data.get("assigned", ""),
    )
    rows = selectors.queue_rows(
        request.user, filters, limit=settings.DESK_QUEUE_ROWS, now=timezone.now()
    )
    return {
        "form": form,
        "rows": rows,
        "query": request.GET.urlencode(),
    }


@require_GET
@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    """The default page. A status the queue does not hold (pending, on hold, solved) is the
    view of that status; any other value it does not know is a 400 that says which."""
    status = request.GET.get("status", "")
    if status in QUEUE_STATUS_VIEWS:
        rest = request.GET.copy()
        del rest["status"]
        url = reverse("desk:view", args=[QUEUE_STATUS_VIEWS[status]])
        return redirect(f"{url}?{rest.urlencode()}" if rest else url)
    all_teams, my_teams = selectors.team_options(request.user)  # both team selects: one query
    context = _queue_context(request, my_teams=my_teams)
    context.update(views_nav(request.user), bulk_form=BulkForm(user=request.user, teams=all_teams))
    status_code = 400 if context["form"].errors else 200
    return render(request, "desk/queue.html", context, status=status_code)


@require_GET
@agent_required
def queue_rows(request: HttpRequest) -> HttpResponse:
    """The rows, for the page's polling and live refresh (htmx swaps the table body), and the
    views' counts beside them (swapped out of band), so that both say the same."""
    context = _queue_context(request)
    context.update(views_nav(request.user), views_oob=True)
    return render(request, "desk/_queue_rows.html", context)


@require_POST
@agent_required
def claim(request: HttpRequest) -> HttpResponse:
    ticket = services.ticket_claim_next(agent=request.user)
    if ticket is None:
        messages.info(request, _("Nothing is waiting in your queue."))
        return redirect("desk:queue")
    messages.success(request, _("Ticket #%(id)s is yours.") % {"id": ticket.pk})
    return redirect("desk:ticket", pk=ticket.pk)


@require_POST
@agent_required
def availability(request: HttpRequest) -> HttpResponse:
    """The header's available/away toggle (routing assigns only to available agents)."""

    available = request.POST.get("available") == "1"
    availability_set(agent=request.user, available=available)
    messages.info(request, _("You are available.") if available else _("You are away."))
    back = request.POST.get("next", "")
    if not back.startswith("/desk/") or back.startswith("//"):
        back = "/desk/"
    return redirect(back)


# --- the ticket page ---------------------------------------------------------------------------


def _ticket_or_404(request: HttpRequest, pk: int) -> Ticket:
    try:
        return selectors.desk_ticket(request.user, pk)
    except Ticket.DoesNotExist:
        raise Http404("No such ticket.") from None


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    fields_form: TicketFieldsForm | None = None,
    goodwill_form=None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    customer = ticket.requester
    tier = tier_for(ticket)
    context = {
        "ticket": ticket,
        "conversation": selectors.conversation(ticket),
        "events": selectors.audit_trail(ticket),
        "clocks": selectors.ticket_clocks(ticket, now),
        "customer": customer,
        "tier": tier,
        "health": selectors.customer_health(customer),
        "recent_tickets": selectors.customer_recent_tickets(request.user, customer, exclude=ticket),
        "followups": selectors.customer_scheduled_followups(customer),
        "others": presence.others(ticket_id=ticket.pk, user=request.user),
        "reply_form": reply_form or ReplyForm(initial={"version": ticket.version}),
        "fields_form": fields_form
        or TicketFieldsForm(initial=TicketFieldsForm.initial_for(ticket), ticket=ticket),
        "conflict": conflict,
        "suggested_articles": suggestions_for_ticket(ticket, tier=tier),
        **goodwill_context(ticket, goodwill_form),
        **delivery.reply_context(ticket),
    }
    return render(request, "desk/ticket.html", context, status=status)


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require_GET
@agent_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        ticket = selectors.desk_ticket(request.user, pk)
    except Ticket.DoesNotExist:
        # Escalated away from the agent who worked it: say where it went, not "not found".
        moved = selectors.moved_away(request.user, pk)
        if moved is None:
            raise Http404("No such ticket.") from None
        return render(request, "desk/moved.html", {"moved": moved})
    return _render_ticket(request, ticket)


@require_POST
@agent_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A public reply (handed to the outbox on its route by the service) or an internal note."""
    ticket = _ticket_or_404(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_ticket(request, ticket, reply_form=form, status=400)
    try:
        desk_macros.reply_service(request)(  # ticket_reply, or macro_apply for a picked macro
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            public=form.public,
            status=form.cleaned_data["status"] or None,
            attachments=attachment_inputs(form.cleaned_data["attachments"]),
            expected_version=form.cleaned_data["version"],
            claim=settings.DESK_ASSIGN_ON_REPLY,
            record_unsent=form.cleaned_data["record_unsent"],
            **(
                {"template": form.cleaned_data["template"]} if form.cleaned_data["template"] else {}
            ),
        )
    except ConflictError as exc:
        return _conflict(request, pk, form, exc)
    except UndeliverableError as exc:
        form.add_error(None, exc.message)
        return _render_ticket(request, ticket, reply_form=form, status=422)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _render_ticket(request, ticket, reply_form=form, status=400)
    # Queued for the channel, not yet accepted by a transport: the page says "queued".
    if not form.public:
        messages.success(request, _("Internal note added."))
    elif form.cleaned_data["record_unsent"] and not delivery.reply_routable(ticket):
        messages.warning(request, _("Reply recorded on the ticket, not sent: nothing carries it."))
    else:
        messages.success(request, _("Reply queued for delivery."))
    if not selectors.is_visible(request.user, pk):  # a macro moved it to another team
        return redirect("desk:queue")
    return redirect("desk:ticket", pk=pk)


@require_POST
@agent_required
def ticket_fields(request: HttpRequest, pk: int) -> HttpResponse:
    """Status, priority, assignee, team and tags, in one ticket_update call."""
    ticket = _ticket_or_404(request, pk)
    form = TicketFieldsForm(request.POST, ticket=ticket)
    if not form.is_valid():
        return _render_ticket(request, ticket, fields_form=form, status=400)
    data = form.cleaned_data
    try:
        services.ticket_update(
            ticket=ticket,
            actor=request.user,
            status=data["status"],
            priority=data["priority"],
            assignee=data["assignee"],
            team=data["team"],
            tags=form.tag_names(),
            expected_version=data["version"],
        )
    except ConflictError as exc:
        return _conflict(request, pk, form, exc)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _render_ticket(request, ticket, fields_form=form, status=400)
    messages.success(request, _("Ticket updated."))
    if not selectors.is_visible(request.user, pk):  # moved to a team the agent is not in
        return redirect("desk:queue")
    return redirect("desk:ticket", pk=pk)


def _conflict(request: HttpRequest, pk: int, form, exc: ConflictError) -> HttpResponse:
    """Re-render the current ticket with a warning, keeping what the agent typed; the form
    now carries the current version, so sending it again (after a look) is a decision."""
    ticket = _ticket_or_404(request, pk)
    data = request.POST.copy()
    data["version"] = str(ticket.version)
    message = (
        _("%(who)s changed this ticket since you opened it.")
        % {"who": selectors.last_change_by(ticket)}
        if exc.code == "stale_version"
        else exc.message
    )
    if isinstance(form, ReplyForm):
        return _render_ticket(
            request, ticket, reply_form=ReplyForm(data), conflict=message, status=409
        )
    return _render_ticket(
        request,
        ticket,
        fields_form=TicketFieldsForm(data, ticket=ticket),
        conflict=message,
        status=409,
    )


# --- presence ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@agent_required
def ticket_presence(request: HttpRequest, pk: int) -> JsonResponse:
    """POST state=viewing|replying is a heartbeat; both methods answer who else is there."""
    if not selectors.is_visible(request.user, pk):
        raise Http404("No such ticket.")
    if request.method == "POST":
        state = request.POST.get("state", "viewing")
        if state not in presence.STATES:
            return JsonResponse({"error": f"state must be one of {presence.STATES}"}, status=400)
        presence.heartbeat(ticket_id=pk, user=request.user, state=state)
    people = presence.others(ticket_id=pk, user=request.user)
    return JsonResponse({"others": [{"name": p.name, "state": p.state} for p in people]})


@require_POST
@agent_required
def message_retry(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """Queue a failed public message again (agents of the ticket's team, managers)."""
    ticket = _ticket_or_404(request, pk)
    message = ticket.messages.filter(pk=message_id, delivery__isnull=False).first()
    if message is None:
        raise Http404("No such message.")
    try:
        services.message_delivery_retry(message=message, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Delivery queued again."))
    return redirect(f"{reverse('desk:ticket', args=[pk])}#message-{message_id}")
