"""The conversation's newest messages as the ticket page renders them (desk/_message.html),
for the page's live updates (desk/static/desk/live.js): after a socket event, after a
reconnect, or every 15 s while the socket is down, the page asks for what follows the last
message it shows; after a "delivery" event it asks for that one message again (?message=),
whose delivery line changed. Visibility is the ticket page's (selectors.desk_ticket)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tickets.models import Ticket
from tickets.selectors import ticket_messages

from . import prefetch, selectors
from .views import agent_required

# A page that fell this far behind reloads instead (live.js: the X-More header).
MAX_MESSAGES = 50


@require_GET
@agent_required
def messages_after(request: HttpRequest, pk: int) -> HttpResponse:
    """GET ?after=<message id>: the ticket's messages with a larger id, oldest first, as <li>
    elements; ?message=<id>: that one message (empty when it is not this ticket's); 400 for
    an id that is not a whole number."""
    name = "message" if "message" in request.GET else "after"
    value = request.GET.get(name, "0")
    if not value.isdigit():
        return HttpResponse(f"{name}: a message id (a whole number).", status=400)
    try:
        ticket = selectors.desk_ticket(request.user, pk)
    except Ticket.DoesNotExist:
        raise Http404("No such ticket.") from None
    messages = ticket_messages(ticket, include_internal=True)
    if name == "message":
        messages = messages.filter(pk=int(value))
    else:
        messages = messages.filter(pk__gt=int(value))
    found = prefetch.messages_with_files(messages.order_by("id")[: MAX_MESSAGES + 1])
    response = render(
        request,
        "desk/_messages.html",
        {"ticket": ticket, "messages_after": found[:MAX_MESSAGES]},
    )
    if len(found) > MAX_MESSAGES:
        response["X-More"] = "1"
    return response
