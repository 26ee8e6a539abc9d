"""Desk pages of ticket views (built-in and saved) and of the agent's profile.

Thin like desk.views: parse the request, call desk.ticket_lists / desk.services, render.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.unset import UNSET

from . import selectors, services, ticket_lists
from .models import SavedView
from .profile import agent_language, team_time_zone
from .view_forms import ProfileForm, ViewFilterForm
from .views import agent_required

PAGE_FILTERS = ("status", "priority", "channel", "team", "assignee", "tag", "sla_state")


def _page_filters(request: HttpRequest) -> tuple[dict, str, dict]:
    """The GET filters and sort, cleaned; (filters, sort, errors by field)."""
    raw = {name: request.GET.get(name, "") for name in PAGE_FILTERS}
    unknown = [name for name in request.GET if name not in (*PAGE_FILTERS, "sort")]
    errors: dict = {}
    filters: dict = {}
    sort = ""
    try:
        filters = ticket_lists.clean_filters(raw)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        sort = ticket_lists.clean_sort(request.GET.get("sort"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for name in unknown:
        errors[name] = [_("Unknown filter.")]
    return filters, sort, errors


def _saved_or_404(request: HttpRequest, pk: int) -> SavedView:
    try:
        return SavedView.objects.get(pk=pk, owner=request.user)
    except SavedView.DoesNotExist:
        raise Http404(_("No such view.")) from None


def _as_params(filters: dict) -> list[tuple[str, str]]:
    return [
        (name, ",".join(map(str, value)) if isinstance(value, list) else str(value))
        for name, value in filters.items()
    ]


def _render_view(
    request: HttpRequest,
    *,
    key: str,
    title: str,
    base: dict,
    sort: str = "",
    saved: SavedView | None = None,
) -> HttpResponse:
    filters, page_sort, errors = _page_filters(request)
    now = timezone.now()
    rows = []
    if not errors:
        condition = ticket_lists.filters_q(request.user, {**base, **filters}, now)
        sort = page_sort if "sort" in request.GET else sort or page_sort
        tickets = ticket_lists.view_tickets(request.user, condition, sort)
        rows = selectors.rows_for(tickets, limit=settings.DESK_QUEUE_ROWS, now=now)
    context = {
        "title": title,
        "rows": rows,
        # A saved view shows its own filters until the agent changes them.
        "form": ViewFilterForm(
            request.GET or None, initial={**dict(_as_params(base)), "sort": sort}, user=request.user
        ),
        "errors": errors,
        "query": request.GET.urlencode(),
        "save_filters": _as_params({**base, **filters}),
        "sort": sort,
        "saved_view": saved,
        **ticket_lists.views_nav(request.user, current=key),
    }
    return render(request, "desk/view.html", context, status=400 if errors else 200)


@require_GET
@agent_required
def builtin_view(request: HttpRequest, slug: str) -> HttpResponse:
    view = ticket_lists.BUILTINS.get(slug)
    if view is None:
        raise Http404(_("No such view."))
    return _render_view(request, key=slug, title=str(view.label), base={"view": slug})


@require_GET
@agent_required
def saved_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = _saved_or_404(request, pk)
    return _render_view(
        request,
        key=f"saved-{view.pk}",
        title=view.name,
        base=view.filters,
        sort=view.sort,
        saved=view,
    )


@require_POST
@agent_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the page's filters (and its base view) under a name."""
    filters = {name: request.POST.get(name, "") for name in (*PAGE_FILTERS, "view")}
    try:
        view = services.saved_view_create(
            owner=request.user,
            name=request.POST.get("name", ""),
            filters=filters,
            sort=request.POST.get("sort") or None,
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        back = request.POST.get("next", "")
        return redirect(back if back.startswith("/desk/") else "desk:queue")
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect("desk:saved-view", pk=view.pk)


@require_POST
@agent_required
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = _saved_or_404(request, pk)
    services.saved_view_delete(view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("desk:queue")


@require_http_methods(["GET", "POST"])
@agent_required
def profile(request: HttpRequest) -> HttpResponse:
    """The agent's language and time zone."""
    default_zone = team_time_zone(request.user)
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"language": user.language or "en", "time_zone": user.time_zone},
        default_zone=default_zone,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.agent_profile_update(
                user=user,
                language=form.cleaned_data["language"],
                time_zone=form.cleaned_data.get("time_zone", UNSET),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            with translation.override(agent_language(user)):  # said in the language chosen
                messages.success(request, _("Profile saved."))
            return redirect("desk:profile")
    status = 400 if request.method == "POST" else 200
    return render(request, "desk/profile.html", {"form": form}, status=status)
