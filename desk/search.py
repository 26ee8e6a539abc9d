"""The desk's search page (/desk/search/?q=): the tickets API's search (tickets.search), as
far as the agent may see, with the matched words highlighted. The box that leads here sits
in the header of every desk page (desk/_search_box.html; "/" focuses it)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from tickets import search
from tickets.models import Ticket

from .form_renderer import RENDERER
from .views import agent_required

RESULTS_SHOWN = 50


class SearchForm(forms.Form):
    default_renderer = RENDERER

    q = forms.CharField(
        label=_("Search tickets"), max_length=search.MAX_QUERY_LENGTH, required=False
    )


@require_GET
@agent_required
def search_results(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    text = search.clean_query(form.cleaned_data["q"]) if form.is_valid() else ""
    hits = search.search_tickets(user=request.user, text=text)
    shown = [hit.ticket_id for hit in hits[:RESULTS_SHOWN]]
    tickets = Ticket.objects.filter(pk__in=shown).select_related("requester", "team", "assignee")
    by_id = {ticket.pk: ticket for ticket in tickets} if shown else {}
    marks = search.highlights(user=request.user, ticket_ids=shown, text=text)
    results = [(by_id[pk], marks.get(pk)) for pk in shown if pk in by_id]
    context = {
        "form": form,
        "search_query": text,
        "results": results,
        "total": len(hits),
        "capped": len(hits) >= search.MAX_RESULTS,
        "shown": RESULTS_SHOWN,
    }
    return render(request, "desk/search.html", context, status=200 if form.is_valid() else 400)
