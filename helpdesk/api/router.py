"""The /api/v1/ router: each app registers its viewsets here, in one visible list."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from customers.api.views import CustomerViewSet, OrganizationViewSet
from slas.api.views import CalendarViewSet, PolicyViewSet, TicketSlaView, TierViewSet
from tickets.api.queue import QueueClaimView, QueueView
from tickets.api.views import AttachmentViewSet, TeamViewSet, TicketViewSet

from .views import MeView, PingView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("tickets", TicketViewSet, basename="ticket")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("customers", CustomerViewSet, basename="customer")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("teams", TeamViewSet, basename="team")
router.register("sla/tiers", TierViewSet, basename="sla-tier")
router.register("sla/policies", PolicyViewSet, basename="sla-policy")
router.register("sla/calendars", CalendarViewSet, basename="sla-calendar")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("ping/", PingView.as_view(), name="ping"),
    path("queue/", QueueView.as_view(), name="queue"),
    path("queue/claim/", QueueClaimView.as_view(), name="queue-claim"),
    path("tickets/<int:pk>/sla/", TicketSlaView.as_view(), name="ticket-sla"),
    *router.urls,
]
