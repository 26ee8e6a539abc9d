"""A conversation message (desk/_message.html, its opening, body and files built by
desk.message_html) reads as the template that wrote it all did: internal notes, customer
messages, replies, files with names to escape, withheld parts, deliveries, merged tickets."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.template import engines
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext

from desk import message_html, selectors
from desk.dates import stamp, weekday_date_time
from desk.templatetags.desk import channel_label
from tickets import services as ticket_services
from tickets.attachments import AttachmentInput
from tickets.models import Attachment

pytestmark = pytest.mark.django_db

# desk/_message.html before its opening and files moved to desk.message_html.
REFERENCE = (
    '{% load desk_rows i18n %}<li class="msg {% if not m.is_public %}note{% elif m.direction'
    ' == \'inbound\' %}inbound{% else %}outbound{% endif %}" id="message-{{ m.pk }}">\n'
    "  <article>\n"
    "    {{ m|message_header:ticket.pk }}\n"
    '    {% if m.delivery %}{% include "desk/_delivery.html" %}{% endif %}\n'
    "    {{ m|message_body }}\n"
    "    {% if m.attachments.all %}\n"
    '    <ul class="attachments" aria-label="{% translate \'Attachments\' %}">\n'
    "      {% for a in m.attachments.all %}<li><a href=\"{% url 'attachment-download' a.pk %}\""
    ' download>{{ a.filename }}</a> <span class="muted">({{ a.size|filesizeformat }})</span>'
    "</li>{% endfor %}\n"
    "    </ul>\n"
    "    {% endif %}\n"
)


# desk.message_html's header as format_html wrote it, before it escaped by hand.
def _old_author(m) -> str:
    if m.author_user_id:
        return m.author_user.display_name
    if m.author_customer_id:
        return m.author_customer.name or gettext("Customer")
    return gettext("System")


def _old_kind(m) -> str:
    if not m.is_public:
        return gettext("Internal note")
    return gettext("Customer") if m.direction == "inbound" else gettext("Public reply")


def _old_header(m, ticket_id: int) -> str:
    when = timezone.localtime(m.created_at)
    return format_html(
        "<header>\n      <strong>{}</strong>\n"
        '      <span class="kind">{} · {}{}</span>\n'
        '      <time datetime="{}" title="{}">{}</time>\n    </header>',
        _old_author(m),
        _old_kind(m),
        channel_label(m.channel),
        message_html._merged_from(m, ticket_id),
        m.created_at.isoformat(),
        stamp(when),
        weekday_date_time(when),
    )


def _file(name: str, size: int) -> AttachmentInput:
    return AttachmentInput(
        filename=name, content_type="text/plain", content=ContentFile(b"x" * size)
    )


def test_messages_read_as_the_template_wrote_them(agent, make_ticket):
    ticket = make_ticket(attachments=[_file('<b>"log"</b>&.txt', 2), _file("big.txt", 5000)])
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="A note", public=False)
    ticket_services.ticket_reply(
        ticket=ticket,
        author=agent,
        body="<i>Reply</i>",
        public=True,
        attachments=[_file("a.txt", 1)],
    )
    ticket_services.customer_message_add(ticket=ticket, body="Thanks")
    ticket.requester.name = '<b>"Ann" & co</b>'
    ticket.requester.save()
    agent.first_name = "<i>Al</i>"
    agent.save()
    # the services clean a file's name; a stored one may still hold what HTML must escape
    Attachment.objects.filter(filename="b.txt").update(filename='<b>"log"</b>&.txt')
    messages = selectors.conversation(ticket)
    assert len(messages) == 4
    new = get_template("desk/_message.html")
    source = (
        REFERENCE
        + get_template("desk/_message.html").template.source.split(
            "{{ m|message_attachments }}\n", 1
        )[1]
    )
    old = engines["django"].from_string(source)
    for language, zone in [("en", "Europe/Riga"), ("ru", "Asia/Tehran")]:
        with translation.override(language), timezone.override(ZoneInfo(zone)):
            for m in messages:
                m.withheld_parts = (
                    [
                        {
                            "filename": "sig.p7s",
                            "content_type": "application/pkcs7",
                            "size": 900,
                            "reason": "signature",
                            "detail": '<"d">',
                        },
                        {
                            "filename": "x",
                            "content_type": "text/html",
                            "reason": "external",
                            "url": "https://e.example/x",
                        },
                    ]
                    if m.direction == "inbound"
                    else []
                )
                context = {"m": m, "ticket": ticket}
                assert new.render(context) == old.render(context)
                assert message_html.message_header(m, ticket.pk) == _old_header(m, ticket.pk)
    first = new.render({"m": messages[0], "ticket": ticket})
    assert "&lt;b&gt;&quot;log&quot;&lt;/b&gt;&amp;.txt</a>" in first
    assert "4.9\xa0KB" in first


def test_the_conversation_reads_as_its_include_loop(agent, make_ticket):
    ticket = make_ticket(attachments=[_file("a.txt", 3)])
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="note", public=False)
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="sent", public=True)
    ticket_services.customer_message_add(ticket=ticket, body="Thanks")
    messages = selectors.conversation(ticket)
    messages[-1].withheld_parts = [
        {"filename": "s.p7s", "content_type": "x", "reason": "signature"}
    ]
    assert any(message_html.has_rare_parts(m) for m in messages[:-1])  # a delivery line
    assert not all(message_html.has_rare_parts(m) for m in messages)
    engine = engines["django"]
    loop = engine.from_string(
        "{% for m in conversation %}\n"
        '        {% include "desk/_message.html" %}\n'
        "        {% endfor %}"
    )
    tag = engine.from_string("{% load desk_rows %}{% conversation_items conversation ticket %}")
    context = {"conversation": messages, "ticket": ticket, "csrf_token": "t0ken"}
    with translation.override("ru"), timezone.override(ZoneInfo("Europe/Riga")):
        assert tag.render(context) == loop.render(context)
