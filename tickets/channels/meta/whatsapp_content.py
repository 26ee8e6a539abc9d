"""What a WhatsApp Cloud API message says, as text on a ticket (one function per type as
Meta documents them: text, image, document, audio, video, sticker, interactive, button,
location, contacts, reaction; anything else is named, not dropped)."""

from __future__ import annotations

from collections.abc import Callable

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")


def _text(message: dict) -> str:
    return (message.get("text") or {}).get("body", "")


def _media(message: dict) -> str:
    kind = message.get("type", "")
    media = message.get(kind) or {}
    label = "Voice message" if kind == "audio" and media.get("voice") else kind.title()
    name = media.get("filename", "")
    head = f"[{label}{': ' + name if name else ''}] (media id {media.get('id', '?')})"
    caption = media.get("caption", "")
    return f"{caption}\n\n{head}" if caption else head


def _interactive(message: dict) -> str:
    interactive = message.get("interactive") or {}
    reply = interactive.get(interactive.get("type", "")) or {}
    text = reply.get("title", "")
    if reply.get("description"):
        text = f"{text} ({reply['description']})"
    return f"Chose: {text}" if text else "[Interactive reply]"


def _button(message: dict) -> str:
    return f"Chose: {(message.get('button') or {}).get('text', '')}"


def _location(message: dict) -> str:
    place = message.get("location") or {}
    lat, lon = place.get("latitude"), place.get("longitude")
    parts = [p for p in (place.get("name", ""), place.get("address", "")) if p]
    where = ", ".join(parts)
    link = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}" if lat is not None else ""
    return "\n".join(p for p in (f"Location: {where or f'{lat}, {lon}'}", link) if p)


def _contacts(message: dict) -> str:
    lines = []
    for card in message.get("contacts") or []:
        name = (card.get("name") or {}).get("formatted_name", "")
        phones = ", ".join(p.get("phone", "") for p in card.get("phones") or [])
        lines.append(f"Contact: {name} {phones}".strip())
    return "\n".join(lines) or "[Contact card]"


def _reaction(message: dict) -> str:
    return f"Reacted {(message.get('reaction') or {}).get('emoji', '')} to a message"


RENDERERS: dict[str, Callable[[dict], str]] = {
    "text": _text,
    **dict.fromkeys(MEDIA_TYPES, _media),
    "interactive": _interactive,
    "button": _button,
    "location": _location,
    "contacts": _contacts,
    "reaction": _reaction,
}


def message_text(message: dict) -> str:
    """The message as the ticket shows it."""
    render = RENDERERS.get(message.get("type", ""))
    if render is None:
        errors = "; ".join(e.get("title", "") for e in message.get("errors") or [])
        return f"[Unsupported WhatsApp message{': ' + errors if errors else ''}]"
    return render(message).strip() or f"[{message.get('type')}]"
