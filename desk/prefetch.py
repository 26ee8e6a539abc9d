"""The ticket page's one-to-many reads (the ticket's tags, its requester's identities, the
messages' files) in SQL written once per process (core.rows).

prefetch_related compiles its query and runs its machinery on every page: for three
relations of one ticket that was about a tenth of the page's time, for a handful of rows.
These read the same rows in the same order (the models' Meta ordering, as prefetch_related
orders them) and hold them where prefetch_related does (core.rows.hold_prefetched), so
`ticket.tags.all()` and `requester.identities.all()` read them without a query (a change
through the relation's manager drops them as it drops a prefetch); a message's files are a
plain list (`listed_attachments`, as Prefetch's to_attr gives). Each is tested against
prefetch_related (tests/desk/test_prefetch.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

from django.db import connection
from django.db.models import QuerySet

from core import rows
from customers.models import Customer, CustomerIdentity
from tickets.models import Attachment, Message, Tag, Ticket


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


@cache
def _tags_sql() -> str:
    through = Ticket.tags.through
    return (
        f"SELECT {rows.columns(Tag, 't')} FROM {rows.table(Tag)} t"  # noqa: S608
        f" JOIN {rows.table(through)} tt ON tt.{_column(through, 'tag')} = t.{_column(Tag, 'id')}"
        f" WHERE tt.{_column(through, 'ticket')} = %s ORDER BY t.{_column(Tag, 'name')}"
    )


@cache
def _identities_sql() -> str:
    return (
        f"SELECT {rows.columns(CustomerIdentity, 'i')} FROM {rows.table(CustomerIdentity)} i"  # noqa: S608
        f" WHERE i.{_column(CustomerIdentity, 'customer')} = %s"
        f" ORDER BY i.{_column(CustomerIdentity, 'id')}"
    )


@lru_cache(maxsize=128)
def _attachments_sql(count: int) -> str:
    return (
        f"SELECT {rows.columns(Attachment, 'a')} FROM {rows.table(Attachment)} a"  # noqa: S608
        f" WHERE a.{_column(Attachment, 'message')} IN ({', '.join(['%s'] * count)})"
        f" ORDER BY a.{_column(Attachment, 'id')}"
    )


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def hold_tags(ticket: Ticket) -> None:
    """`ticket.tags.all()`, by name, read in one statement."""
    tags = [rows.instance(Tag, row) for row in _fetch(_tags_sql(), [ticket.pk])]
    rows.hold_prefetched(ticket, "tags", tags)


def hold_identities(customer: Customer) -> None:
    """`customer.identities.all()`, oldest first, read in one statement."""
    found = [rows.instance(CustomerIdentity, r) for r in _fetch(_identities_sql(), [customer.pk])]
    for identity in found:
        rows.cache_related(identity, "customer", customer)
    rows.hold_prefetched(customer, "identities", found)


def list_attachments(messages: Sequence[Message]) -> None:
    """Each message's files, oldest first, as the list `message.listed_attachments` (what
    Prefetch("attachments", to_attr=...) gives: a plain list, since holding a queryset per
    message costs a filter compiled per message), read in one statement (none for no
    messages)."""
    if not messages:
        return
    held: dict[int, list[Attachment]] = {m.pk: [] for m in messages}
    for row in _fetch(_attachments_sql(len(held)), list(held)):
        attachment = rows.instance(Attachment, row)
        held[attachment.message_id].append(attachment)
    for message in messages:
        for attachment in held[message.pk]:
            rows.cache_related(attachment, "message", message)
        message.listed_attachments = held[message.pk]


def messages_with_files(messages: QuerySet[Message]) -> list[Message]:
    """The messages (the queryset's own prefetches dropped), each with its files listed
    (list_attachments): what desk/_message.html reads of them."""
    found = list(messages.prefetch_related(None))
    list_attachments(found)
    return found
