"""The hot parts of a conversation message (desk/_message.html) as HTML built in Python: its
opening and header (who, what kind, on which channel, when), its body and its attachments,
rendered for each of the ticket page's messages. The rare parts (delivery state, withheld
parts) stay in the template. The markup is the template's, tag for tag; every value is
escaped by format_html (a stored HTML body is sanitized with nh3 before it is stored, as the
template assumed)."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from tickets.models import Message

from .dates import stamp, weekday_date_time
from .templatetags.desk import channel_label


@lru_cache(maxsize=64)
def _words(language: str | None, channel: str) -> dict[str, str]:
    """A header's words in `language` (the active one), escaped, translated once per process
    and language."""
    return {
        "customer": escape(gettext("Customer")),
        "system": escape(gettext("System")),
        "note": escape(gettext("Internal note")),
        "reply": escape(gettext("Public reply")),
        "channel": escape(str(channel_label(channel))),
    }


def _author(m: Message, words: dict[str, str]) -> str:
    if m.author_user_id:
        return escape(m.author_user.display_name)
    if m.author_customer_id:
        return escape(m.author_customer.name) if m.author_customer.name else words["customer"]
    return words["system"]


def _kind(m: Message, words: dict[str, str]) -> str:
    if not m.is_public:
        return words["note"]
    return words["customer"] if m.direction == "inbound" else words["reply"]


def _merged_from(m: Message, ticket_id: int) -> SafeString | str:
    """desk/_merged_from.html: a message of a ticket merged into this one links back to it."""
    if m.ticket_id == ticket_id:
        return ""
    return format_html(
        ' · <a href="{}" class="merged-from">{}</a>',
        reverse("desk:ticket", args=[m.ticket_id]),
        gettext("from #%(id)s") % {"id": m.ticket_id},
    )


def message_header(m: Message, ticket_id: int) -> SafeString:
    """Who, what kind, on which channel, when; each text escaped (an ISO time holds nothing
    to escape)."""
    when = timezone.localtime(m.created_at)
    words = _words(get_language(), m.channel)
    return mark_safe(  # noqa: S308 - every text escaped
        f"<header>\n      <strong>{_author(m, words)}</strong>\n"
        f'      <span class="kind">{_kind(m, words)} · {words["channel"]}'
        f"{_merged_from(m, ticket_id)}</span>\n"
        f'      <time datetime="{m.created_at.isoformat()}" title="{escape(stamp(when))}">'
        f"{escape(weekday_date_time(when))}</time>\n    </header>"
    )


def _css(m: Message) -> str:
    if not m.is_public:
        return "note"
    return "inbound" if m.direction == "inbound" else "outbound"


def message_start(m: Message, ticket_id: int) -> SafeString:
    """The message's <li> and <article> opened, and its header."""
    return mark_safe(  # noqa: S308 - the header is escaped, the rest constant or a number
        f'<li class="msg {_css(m)}" id="message-{m.pk}">\n  <article>\n    '
        f"{message_header(m, ticket_id)}\n    "
    )


def message_attachments(m: Message) -> SafeString | str:
    """The list of the message's stored files (desk.prefetch.list_attachments), or nothing."""
    files = m.listed_attachments
    if not files:
        return ""
    items = format_html_join(
        "",
        '<li><a href="{}" download>{}</a> <span class="muted">({})</span></li>',
        (
            (reverse("attachment-download", args=[a.pk]), a.filename, filesizeformat(a.size))
            for a in files
        ),
    )
    return format_html(
        '\n    <ul class="attachments" aria-label="{}">\n      {}\n    </ul>\n    ',
        gettext("Attachments"),
        items,
    )


def has_rare_parts(m: Message) -> bool:
    """A delivery line or withheld parts: desk/_message.html renders those."""
    return getattr(m, "delivery", None) is not None or bool(m.withheld_parts)


def message_item(m: Message, ticket_id: int) -> SafeString:
    """desk/_message.html for a message without its rare parts (has_rare_parts), as the
    template writes it."""
    return mark_safe(  # noqa: S308 - built of the escaped parts above
        f"{message_start(m, ticket_id)}\n    {message_body(m)}\n    {message_attachments(m)}"
        "\n    \n  </article>\n</li>\n"
    )


def message_body(m: Message) -> SafeString:
    if m.body_html:
        body = mark_safe(m.body_html)  # noqa: S308 - sanitized with nh3 before it is stored
    else:
        body = mark_safe(linebreaks(m.body_text, autoescape=True))  # noqa: S308 - escaped
    return format_html('<div class="body">{}</div>', body)
