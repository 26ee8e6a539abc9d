"""The agent's typing indicator for a live chat visitor: POST /desk/tickets/<id>/typing/
(desk/static/desk/typing.js sends at most one per 2 s while a public reply is being typed)
publishes {"type": "typing", "from": "agent"} to the widget sockets of the ticket's open chat
conversation. Nothing is stored: it is a hint that is gone in seconds."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from live import groups
from live.publish import publish
from tickets.channels.models import ChannelThread
from tickets.models import ChannelKind

from . import selectors
from .views import agent_required


def chat_typing_publish(*, ticket_id: int) -> bool:
    """Tell the visitor of the ticket's open chat conversation that an agent is typing;
    False when the ticket has none (or the layer refused it)."""
    thread_ids = ChannelThread.objects.filter(
        ticket_id=ticket_id, channel__kind=ChannelKind.CHAT, ended_at__isnull=True
    ).values_list("pk", flat=True)
    sent = [publish(groups.visitor(pk), {"type": "typing", "from": "agent"}) for pk in thread_ids]
    return any(sent)


@require_POST
@agent_required
def ticket_typing(request: HttpRequest, pk: int) -> JsonResponse:
    if not selectors.is_visible(request.user, pk):
        raise Http404("No such ticket.")
    return JsonResponse({"sent": chat_typing_publish(ticket_id=pk)})
