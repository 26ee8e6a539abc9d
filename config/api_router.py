"""The /api/v1/ router: each app registers its viewsets here, in one visible list."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from api.views import MeView, PingView
from automations.api.views import (
    AvailabilityView,
    TeamRoutingViewSet,
    TimeRuleViewSet,
    TriggerViewSet,
)
from customers.api.views import CustomerViewSet, OrganizationViewSet
from desk.api.views import SavedViewViewSet
from goodwill.api.views import GestureViewSet, LimitViewSet, TicketGoodwillView
from knowledge.api import views as knowledge_api
from macros.api import views as macros_api
from reports.api import views as reports_api
from slas.api.views import CalendarViewSet, PolicyViewSet, TicketSlaView, TierViewSet
from success.api.timeline import CustomerTimelineView, OrganizationTimelineView
from success.api.views import (
    AtRiskReportView,
    DeliveryViewSet,
    FollowUpRuleViewSet,
    FollowUpViewSet,
    SurveyViewSet,
)
from tickets.api import relations as relations_api
from tickets.api.bulk import TicketBulkView
from tickets.api.queue import QueueClaimView, QueueView
from tickets.api.views import AttachmentViewSet, TeamViewSet, TicketViewSet
from tickets.channels import api as channels_api
from tickets.channels import hooks_api
from webhooks.api import WebhookSubscriptionViewSet


class Router(DefaultRouter):
    """Object ids are integers: anything else is a 404 at the URL, never a ValueError deep in
    a query (and the schema documents `{id}` as an integer)."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if not hasattr(viewset, "lookup_value_regex"):
            viewset.lookup_value_regex = "[0-9]+"
        return super().get_lookup_regex(viewset, lookup_prefix)


router = Router(trailing_slash=True)
router.include_root_view = False
router.register("tickets", TicketViewSet, basename="ticket")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("customers", CustomerViewSet, basename="customer")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("teams", TeamViewSet, basename="team")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("followup-rules", FollowUpRuleViewSet, basename="followup-rule")
router.register("followups", FollowUpViewSet, basename="followup")
router.register("surveys", SurveyViewSet, basename="survey")
router.register("reports/at-risk", AtRiskReportView, basename="report-at-risk")
router.register("sla/tiers", TierViewSet, basename="sla-tier")
router.register("sla/policies", PolicyViewSet, basename="sla-policy")
router.register("sla/calendars", CalendarViewSet, basename="sla-calendar")
router.register("channels", channels_api.ChannelViewSet, basename="channel")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("saved-views", SavedViewViewSet, basename="saved-view")
router.register("help/categories", knowledge_api.CategoryViewSet, basename="kb-category")
router.register("help/articles", knowledge_api.ArticleViewSet, basename="kb-article")
router.register("automations/triggers", TriggerViewSet, basename="automation-trigger")
router.register("automations/time-rules", TimeRuleViewSet, basename="automation-time-rule")
router.register("automations/routing", TeamRoutingViewSet, basename="automation-routing")
router.register("macros", macros_api.MacroViewSet, basename="macro")
router.register("goodwill/limits", LimitViewSet, basename="goodwill-limit")
router.register("goodwill", GestureViewSet, basename="goodwill")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("ping/", PingView.as_view(), name="ping"),
    path("reports/sla/", reports_api.SlaReportView.as_view(), name="report-sla"),
    path("reports/backlog/", reports_api.BacklogReportView.as_view(), name="report-backlog"),
    path(
        "reports/satisfaction/",
        reports_api.SatisfactionReportView.as_view(),
        name="report-satisfaction",
    ),
    path("reports/success/", reports_api.SuccessReportView.as_view(), name="report-success"),
    path("reports/agents/", reports_api.AgentsReportView.as_view(), name="report-agents"),
    path("reports/goodwill/", reports_api.GoodwillReportView.as_view(), name="report-goodwill"),
    path("customers/<int:pk>/timeline/", CustomerTimelineView.as_view(), name="customer-timeline"),
    path(
        "organizations/<int:pk>/timeline/",
        OrganizationTimelineView.as_view(),
        name="organization-timeline",
    ),
    path("tickets/bulk/", TicketBulkView.as_view(), name="ticket-bulk"),
    path("tickets/<int:pk>/goodwill/", TicketGoodwillView.as_view(), name="ticket-goodwill"),
    path("exports/tickets/", reports_api.TicketExportView.as_view(), name="export-tickets"),
    path("exports/clocks/", reports_api.ClockExportView.as_view(), name="export-clocks"),
    path("exports/surveys/", reports_api.SurveyExportView.as_view(), name="export-surveys"),
    path(
        "exports/tickets/changes/",
        reports_api.TicketChangesView.as_view(),
        name="export-ticket-changes",
    ),
    path("queue/", QueueView.as_view(), name="queue"),
    path("queue/claim/", QueueClaimView.as_view(), name="queue-claim"),
    path("tickets/<int:pk>/sla/", TicketSlaView.as_view(), name="ticket-sla"),
    path("inbound/email/", channels_api.InboundEmailView.as_view(), name="inbound-email"),
    path("inbound/chat/", channels_api.InboundChatView.as_view(), name="inbound-chat"),
    path("inbound/calls/", channels_api.InboundCallView.as_view(), name="inbound-calls"),
    path("inbound/social/", channels_api.InboundSocialView.as_view(), name="inbound-social"),
    # Any other registered kind with a JSON payload (after the named doors above).
    path("inbound/<str:kind>/", channels_api.InboundKindView.as_view(), name="inbound-kind"),
    # Providers posting in their own formats, signed their own way (tickets/channels/providers.py).
    path(
        "hooks/<str:kind>/<int:channel_id>/",
        hooks_api.ProviderHookView.as_view(),
        name="provider-hook",
    ),
    path("help/search/", knowledge_api.SearchView.as_view(), name="kb-search"),
    path("help/suggest/", knowledge_api.SuggestView.as_view(), name="kb-suggest"),
    path(
        "help/suggest/<int:pk>/outcome/",
        knowledge_api.SuggestOutcomeView.as_view(),
        name="kb-suggest-outcome",
    ),
    path(
        "reports/self-service/",
        knowledge_api.SelfServiceReportView.as_view(),
        name="report-self-service",
    ),
    path("automations/availability/", AvailabilityView.as_view(), name="automation-availability"),
    # merge, problems and macros on a ticket (tickets/api/relations.py, macros/api/views.py)
    path("tickets/<int:pk>/merge/", relations_api.TicketMergeView.as_view(), name="ticket-merge"),
    path(
        "tickets/<int:pk>/incidents/",
        relations_api.ProblemIncidentsView.as_view(),
        name="ticket-incidents",
    ),
    path(
        "tickets/<int:pk>/incidents/<int:incident_id>/",
        relations_api.ProblemIncidentView.as_view(),
        name="ticket-incident",
    ),
    path("tickets/<int:pk>/problem/", relations_api.ProblemView.as_view(), name="ticket-problem"),
    path(
        "tickets/<int:pk>/macros/<int:macro_id>/preview/",
        macros_api.MacroPreviewView.as_view(),
        name="ticket-macro-preview",
    ),
    path(
        "tickets/<int:pk>/macros/<int:macro_id>/apply/",
        macros_api.MacroApplyView.as_view(),
        name="ticket-macro-apply",
    ),
    *router.urls,
]
