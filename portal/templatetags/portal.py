"""Template helpers of the portal: how a ticket's status and a message's author read to the
customer (in their language)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, gettext_lazy

from tickets.models import Direction
from tickets.status import Status

register = template.Library()

# What the customer needs to know, not our workflow: "pending" means "we wait for you".
_STATUS = {
    Status.NEW: (gettext_lazy("Received"), "open"),
    Status.OPEN: (gettext_lazy("In progress"), "open"),
    Status.PENDING: (gettext_lazy("Waiting for your reply"), "waiting"),
    Status.ON_HOLD: (gettext_lazy("In progress"), "open"),
    Status.SOLVED: (gettext_lazy("Solved"), "solved"),
    Status.CLOSED: (gettext_lazy("Closed"), "closed"),
}


@register.simple_tag
def status_label(status: str) -> str:
    return str(_STATUS.get(status, (status, ""))[0])


@register.simple_tag
def status_class(status: str) -> str:
    return _STATUS.get(status, ("", "open"))[1]


@register.simple_tag
def author_of(message, customer) -> str:
    if message.direction == Direction.INBOUND:
        if message.author_customer_id == customer.pk:
            return gettext("You")
        author = message.author_customer
        return author.name if author and author.name else gettext("Your colleague")
    if message.author_user_id is None:
        return gettext("Automatic message")
    user = message.author_user
    return gettext("%(name)s (support)") % {"name": user.first_name or user.username}
