"""The /api/v1/ router: each app registers its viewsets here, in one visible list."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from customers.api.views import CustomerViewSet, OrganizationViewSet
from tickets.api.views import AttachmentViewSet, TeamViewSet, TicketViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("tickets", TicketViewSet, basename="ticket")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("customers", CustomerViewSet, basename="customer")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("teams", TeamViewSet, basename="team")

urlpatterns = router.urls
