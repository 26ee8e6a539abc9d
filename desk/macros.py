"""The reply sent with a macro the agent picked in the desk (the picker is in
desk/ticket_tools.py): its field changes apply on send, with the reply, in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from macros import services as macro_services
from macros.selectors import macros_usable_by
from tickets import services


def reply_service(request: HttpRequest) -> Callable:
    """What the reply form's send calls: tickets.services.ticket_reply, or, when the agent
    picked a macro (the form's `macro` field), macros.services.macro_apply with that macro
    (a macro the agent may not use is a 404)."""
    macro_id = request.POST.get("macro", "")
    if not macro_id:
        return services.ticket_reply
    if request.POST.get("template"):
        raise ValidationError({"template": ["A template message cannot apply a macro too."]})
    if not macro_id.isdigit():
        raise Http404("No such macro.")
    macro = macros_usable_by(request.user).filter(pk=int(macro_id)).first()
    if macro is None:
        raise Http404("No such macro.")

    def send(*, ticket, author, **kwargs):
        return macro_services.macro_apply(macro=macro, ticket=ticket, actor=author, **kwargs)

    return send
