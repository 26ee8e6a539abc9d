"""Customer and organization pages: identities (with undeliverable marks), tier and SLA
override, health and at-risk reasons, and one timeline across channels (success.timeline),
an "older" link paging it. Agents see customers of tickets they see (404 otherwise)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from customers.models import Customer, CustomerIdentity
from goodwill.selectors import gestures_visible_to
from slas.selectors import customer_policy, customer_tier
from success.models import ExperienceKind
from success.timeline import (
    Cursor,
    timeline,
    timeline_customers_visible_to,
    timeline_organizations_visible_to,
)

from .selectors import customer_health
from .views import agent_required

PAGE = 25


def _page(request: HttpRequest, customers, user) -> dict:
    cursor = None
    if request.GET.get("cursor"):
        try:
            cursor = Cursor.decode(request.GET["cursor"])
        except ValueError:
            cursor = None  # a mangled link starts from the newest, rather than an error page
    page = timeline(customers, user, limit=PAGE, cursor=cursor)
    return {"entries": page.entries, "older": page.next.encode() if page.next else ""}


@require_GET
@agent_required
def customer_page(request: HttpRequest, pk: int) -> HttpResponse:
    customer = (
        timeline_customers_visible_to(request.user)
        .prefetch_related("identities")
        .filter(pk=pk)
        .first()
    )
    if customer is None:
        raise Http404(_("No such customer."))
    health = customer_health(customer)
    context = {
        "customer": customer,
        "identities": list(customer.identities.all()),
        "tier": customer_tier(customer),
        "policy": customer_policy(customer),
        "health": health,
        "reasons": _reasons(health),
        "gestures": list(gestures_visible_to(request.user).filter(customer=customer)[:10]),
        **_page(request, Customer.objects.filter(pk=customer.pk), request.user),
    }
    return render(request, "desk/customer.html", context)


@require_GET
@agent_required
def organization_page(request: HttpRequest, pk: int) -> HttpResponse:
    organization = timeline_organizations_visible_to(request.user).filter(pk=pk).first()
    if organization is None:
        raise Http404(_("No such organization."))
    customers = timeline_customers_visible_to(request.user).filter(organization=organization)
    members = list(customers.order_by("name", "id")[:100])
    emails = _emails(members)
    context = {
        "organization": organization,
        "members": [(c, emails.get(c.pk, "")) for c in members],
        **_page(request, customers, request.user),
    }
    return render(request, "desk/organization.html", context)


def _emails(members: list[Customer]) -> dict[int, str]:
    rows = CustomerIdentity.objects.filter(customer__in=members, kind="email").order_by("id")
    emails: dict[int, str] = {}
    for customer_id, value in rows.values_list("customer_id", "value"):
        emails.setdefault(customer_id, value)
    return emails


def _reasons(health) -> list[tuple[str, str]]:
    """The at-risk reasons in words, with their day (which ticket is in the timeline, as far
    as the agent may see it)."""
    labels = dict(ExperienceKind.choices)
    rows = health.reasons if health is not None else []
    return [
        (labels.get(r.get("kind"), r.get("kind", "")), r.get("occurred_at", "")[:10]) for r in rows
    ]
