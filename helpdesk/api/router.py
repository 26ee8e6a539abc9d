"""The /api/v1/ router: each app registers its viewsets here, in one visible list."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from customers.api.views import CustomerViewSet, OrganizationViewSet
from tickets.api.views import AttachmentViewSet, TeamViewSet, TicketViewSet
from tickets.channels import api as channels_api

from .views import MeView, PingView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("tickets", TicketViewSet, basename="ticket")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("customers", CustomerViewSet, basename="customer")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("teams", TeamViewSet, basename="team")
router.register("channels", channels_api.ChannelViewSet, basename="channel")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("ping/", PingView.as_view(), name="ping"),
    path("inbound/email/", channels_api.InboundEmailView.as_view(), name="inbound-email"),
    path("inbound/chat/", channels_api.InboundChatView.as_view(), name="inbound-chat"),
    path("inbound/calls/", channels_api.InboundCallView.as_view(), name="inbound-calls"),
    path("inbound/social/", channels_api.InboundSocialView.as_view(), name="inbound-social"),
    *router.urls,
]
