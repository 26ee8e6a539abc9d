"""The ticket page's tags, identities and files (desk.prefetch, SQL written once) are what
prefetch_related read: the same rows, fields and order, held so that reading them costs no
query, and dropped when the relation changes."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from customers.models import CustomerIdentity
from desk import prefetch, selectors
from tests.factories import CustomerFactory
from tickets import services as ticket_services
from tickets.attachments import AttachmentInput
from tickets.models import Message, Tag, Ticket

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _file(name: str) -> AttachmentInput:
    return AttachmentInput(filename=name, content_type="text/plain", content=ContentFile(b"x"))


def test_held_relations_are_prefetch_relateds(agent, make_ticket, django_assert_num_queries):
    customer = CustomerFactory(name="Many ways")
    for n in range(3):
        CustomerIdentity.objects.create(customer=customer, kind="phone", value=f"+3712000000{n}")
    ticket = make_ticket(
        requester=customer, tags=["zeta", "alpha", "mid"], attachments=[_file("b.txt")]
    )
    ticket_services.ticket_reply(
        ticket=ticket, author=agent, body="files", public=False, attachments=[_file("a.txt")]
    )
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="none", public=False)
    ours = selectors.desk_ticket(agent, ticket.pk)
    theirs = Ticket.objects.prefetch_related("tags", "requester__identities").get(pk=ticket.pk)
    messages = selectors.conversation(ours)
    orm = list(Message.objects.filter(ticket=ticket).prefetch_related("attachments"))
    with django_assert_num_queries(0):
        assert [_fields(t) for t in ours.tags.all()] == [_fields(t) for t in theirs.tags.all()]
        assert [t.name for t in ours.tags.all()] == ["alpha", "mid", "zeta"]
        assert [_fields(i) for i in ours.requester.identities.all()] == [
            _fields(i) for i in theirs.requester.identities.all()
        ]
        assert [[_fields(a) for a in m.listed_attachments] for m in messages] == [
            [_fields(a) for a in m.attachments.all()] for m in orm
        ]
        assert [len(m.listed_attachments) for m in messages] == [1, 1, 0]
        assert messages[0].listed_attachments[0].message is messages[0]
    ours.tags.add(Tag.objects.create(name="new"))  # the manager drops what was held
    assert "new" in [t.name for t in ours.tags.all()]
    with django_assert_num_queries(0):
        prefetch.list_attachments([])  # no messages, no statement
