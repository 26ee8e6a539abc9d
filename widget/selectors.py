"""Reads of the widget: the channel a frame belongs to, its configuration as the frame shows
it, whether an agent can answer now, and the visitor's conversation."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from automations.models import AgentAvailability
from knowledge.models import Article, Status, Visibility
from tickets.channels.models import Channel, ChannelThread
from tickets.models import ChannelKind, Direction, Message
from tickets.selectors import merge_target_of, ticket_messages

from .files import file_url
from .tokens import BadToken, Visitor

DEFAULT_COLOR = "#1f6feb"
DEFAULT_TEXT_COLOR = "#ffffff"


def chat_channel(channel_id: object) -> Channel | None:
    """The active chat channel of that id, else None (the frame and the API answer 404)."""
    text = str(channel_id)
    if not text.isdigit():
        return None
    return Channel.objects.filter(pk=int(text), kind=ChannelKind.CHAT, is_active=True).first()


def agents_available(channel: Channel) -> bool:
    """An agent of the channel's team (any team when it has none) is marked available on the
    desk (the header's available/away toggle, which routing reads too)."""
    online = AgentAvailability.objects.filter(available=True, agent__is_active=True)
    if channel.default_team_id is not None:
        online = online.filter(agent__teams=channel.default_team_id)
    return online.exists()


def knowledge_base_open() -> bool:
    """Suggestions are offered only when the knowledge base has something published for
    everyone."""
    return Article.objects.filter(status=Status.PUBLISHED, visibility=Visibility.PUBLIC).exists()


def widget_config(channel: Channel) -> dict:
    """What the frame needs to draw itself (no secret: webhook settings stay out)."""
    values = channel.settings
    prechat = {"name": "off", "email": "off", **values.get("prechat", {})}
    return {
        "channel": channel.pk,
        "name": channel.name,
        "color": values.get("color", DEFAULT_COLOR),
        "text_color": values.get("text_color", DEFAULT_TEXT_COLOR),
        "greeting": values.get("greeting", ""),
        "offline_message": values.get("offline_message", ""),
        "prechat": prechat,
        "agents_available": agents_available(channel),
        "suggestions": knowledge_base_open(),
    }


def visitor_thread(visitor: Visitor) -> ChannelThread | None:
    """The conversation the token names, checked against the channel and the visitor (a
    token with another visitor's thread would have needed our signature anyway)."""
    if visitor.thread_id is None:
        return None
    thread = (
        ChannelThread.objects.select_related("ticket", "channel")
        .filter(pk=visitor.thread_id, channel_id=visitor.channel_id)
        .first()
    )
    if thread is None or thread.key != visitor.conversation_id:
        raise BadToken("The visitor token names another conversation.")
    return thread


def open_thread_of(visitor: Visitor) -> ChannelThread | None:
    """The visitor's conversation that is still open on the channel, if any."""
    return (
        ChannelThread.objects.filter(
            channel_id=visitor.channel_id, key=visitor.conversation_id, ended_at__isnull=True
        )
        .order_by("-id")
        .first()
    )


def conversation(thread: ChannelThread | None) -> QuerySet[Message]:
    """The public messages of the conversation's ticket (the one it was merged into)."""
    if thread is None:
        return Message.objects.none()
    ticket = merge_target_of(thread.ticket)
    return ticket_messages(ticket, include_internal=False).filter(
        Q(direction=Direction.INBOUND) | Q(direction=Direction.OUTBOUND)
    )


def message_json(message: Message) -> dict:
    """One message as the widget shows it (history and the socket's "message" event)."""
    inbound = message.direction == Direction.INBOUND
    if inbound:
        name = message.author_customer.name if message.author_customer_id else ""
    else:
        name = message.author_user.display_name if message.author_user_id else ""
    return {
        "id": message.pk,
        "author": "visitor" if inbound else "agent",
        "name": name,
        "body": message.body_text,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            {"filename": a.filename, "size": a.size, "url": file_url(a)}
            for a in message.attachments.all()
        ],
    }
