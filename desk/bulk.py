"""Bulk actions from the queue's checkboxes: the same service as POST /api/v1/tickets/bulk/,
its per-ticket outcome told back as messages on the queue page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets import services

from .bulk_form import BulkForm
from .views import agent_required


@require_POST
@agent_required
def bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST, user=request.user)
    back = request.POST.get("next", "")
    if not back.startswith("/desk/") or back.startswith("//"):
        back = "/desk/"
    if not form.is_valid():
        messages.error(request, _("Choose at least one ticket and an action."))
        return redirect(back)
    try:
        results = services.tickets_bulk_update(
            actor=request.user,
            ticket_ids=form.cleaned_data["ids"],
            action=form.cleaned_data["action"],
            value=form.value(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    done = [r for r in results if r.ok]
    messages.success(
        request,
        _("%(done)s of %(total)s tickets updated.") % {"done": len(done), "total": len(results)},
    )
    for result in results:
        if not result.ok:
            messages.error(request, f"#{result.ticket_id}: {result.message}")
    return redirect(back)
