"""Who may do what: every endpoint and method, for six callers, in one table.

Callers: anonymous, an agent of the ticket's team, an agent of another team, a manager, the
integration that submitted the customer, and another integration. The world: one ticket in
team "Support", opened by integration "shop" for its customer, with an attachment.
A seventh caller, the world's customer signed in to the portal (a portal session), is the
anonymous caller for the API: 401 on every operation, whatever the table says of the others
(`test_portal_session_authenticates_no_api_operation`; the portal's own pages are in
tests/portal/test_pages.py).

Expected outcomes are status codes. For list endpoints, "+" means the world's object is in
the list and "-" that it is not (a 200 either way): nobody sees what is not theirs, and an
object outside the caller's reach is a 404, never a 403 that would confirm it exists.
A 403 only ever answers "your role may not call this endpoint", whatever the object.

Here "other_integration" knows nothing of the world's customer. When it does know the same
person (it opened a ticket or reported a delivery by her email or phone), it joins that one
customer but still reads only what it submitted itself: those rows (its ticket 201 and joined,
its GET of the customer shows only its identity, the other's ticket 404, lists and deliveries
only its own, staff see everything) are in tests/customers/test_integration_scope.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from automations.models import TeamRouting, TimeRule, Trigger
from desk.models import SavedView
from macros.models import Macro
from outbox.models import OutboxMessage
from slas.models import Metric
from success.models import CustomerHealth, FollowUp, FollowUpRule, Survey
from success.services import delivery_record
from tests.conftest import client_for
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    IntegrationFactory,
    ManagerFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TierFactory,
    UserFactory,
)
from tickets import services as ticket_services
from tickets.attachments import AttachmentInput
from webhooks.subscriptions import subscription_create

pytestmark = pytest.mark.django_db

CALLERS = ("anon", "agent", "other_agent", "manager", "integration", "other_integration")


@dataclass
class World:
    ticket: object
    customer: object
    organization: object
    team: object
    attachment: object
    ids: dict


@pytest.fixture
def world(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    team, other_team = TeamFactory(name="Support"), TeamFactory(name="Billing")
    users = {
        "agent": UserFactory(username="alice", teams=[team]),
        "other_agent": UserFactory(username="olga", teams=[other_team]),
        "manager": ManagerFactory(username="mona"),
        "integration": IntegrationFactory(username="shop"),
        "other_integration": IntegrationFactory(username="chat"),
    }
    calendar = CalendarFactory(name="24/7")
    policy = PolicyFactory(
        name="Standard", calendar=calendar, calendar_targets={(Metric.RESOLUTION, 2): 60}
    )
    tier = TierFactory(name="Standard", rank=10, policy=policy)
    organization = OrganizationFactory(name="Acme", tier=tier)
    customer = CustomerFactory(organization=organization, source_integration=users["integration"])
    ticket = ticket_services.ticket_create(
        requester=customer,
        subject="Damaged",
        body="Box crushed",
        team=team,
        source_integration=users["integration"],
        attachments=[
            AttachmentInput("photo.png", SimpleUploadedFile("p.png", b"\x89PNG"), "image/png")
        ],
    )
    attachment = ticket.messages.get().attachments.get()
    failed_reply = ticket_services.ticket_reply(ticket=ticket, author=users["agent"], body="Hi")
    OutboxMessage.objects.filter(message=failed_reply).update(state="failed", error="550")
    rule = FollowUpRule.objects.create(
        name="Welcome", trigger="delivery", action="email", body="Hi"
    )
    delivery, _ = delivery_record(
        customer=customer,
        source=users["integration"],
        external_ref="ORD-1",
        delivered_at=ticket.created_at,
    )
    followup = FollowUp.objects.get(delivery=delivery)
    FollowUp.objects.filter(pk=followup.pk).update(state="failed")
    survey = Survey.objects.create(
        ticket=ticket, customer=customer, sent_at=ticket.created_at, expires_at=ticket.created_at
    )
    CustomerHealth.objects.create(customer=customer, at_risk=True, at_risk_since=ticket.created_at)
    channels = _channels(team)
    clients = {name: client_for(user) for name, user in users.items()}
    clients["anon"] = client_for(None)
    ids = {
        "ticket": ticket.pk,
        "customer": customer.pk,
        "organization": organization.pk,
        "team": team.pk,
        "attachment": attachment.pk,
        "message": failed_reply.pk,
        "delivery": delivery.pk,
        "rule": rule.pk,
        "followup": followup.pk,
        "survey": survey.pk,
        "calendar": calendar.pk,
        "policy": policy.pk,
        "tier": tier.pk,
        "channel": channels[0].pk,
        "webhook": subscription_create(
            name="CRM", url="https://127.0.0.1/hooks", events=["ticket.created"]
        ).pk,
        "trigger": Trigger.objects.create(
            name="VIP", event="customer.at_risk", actions=[{"type": "add_tags", "value": ["vip"]}]
        ).pk,
        "time_rule": TimeRule.objects.create(
            name="Nudge", timer="pending", after=2, actions=[{"type": "add_tags", "value": ["x"]}]
        ).pk,
        "routing": TeamRouting.objects.create(team=other_team, active=False).pk,
        # alice's own saved view: nobody else reads, changes or lists it
        "saved_view": SavedView.objects.create(
            owner=users["agent"], name="Mine, urgent", filters={"view": "mine"}
        ).pk,
        "kind": "phone",  # the door by kind (inbound/{kind}/)
        "macro": Macro.objects.create(
            name="Thanks",
            body="Thanks {{ customer.first_name }}",
            owner=users["manager"],
            is_shared=True,
        ).pk,
    }
    ids["macro_id"] = ids["macro"]
    # An incident of the world's ticket (in the same team), for the problem endpoints.
    incident = ticket_services.ticket_create(
        requester=customer, subject="Me too", body="Same here", team=team
    )
    ticket_services.problem_incidents_link(problem=ticket, incidents=[incident], actor=None)
    ids["incident_id"] = incident.pk
    ids.update(_knowledge(users["integration"], customer))
    ids.update(_goodwill(ticket, users["agent"]))
    world = World(ticket, customer, organization, team, attachment, ids)
    world.clients = clients
    return world


def _knowledge(integration, customer):
    """A category, a published public article, a draft, an internal article and the
    suggestions integration "shop" asked for."""
    from knowledge import feedback as kb_feedback
    from knowledge import services as kb
    from tests.factories import ArticleFactory

    category = kb.category_save(translations={"en": {"name": "Delivery"}})
    article = ArticleFactory(title="Damaged box", body_md="Send a photo.", category=category)
    draft = ArticleFactory(title="Crushed parcel", status="draft")
    internal = ArticleFactory(title="Refund playbook", visibility="internal")
    deflection = kb_feedback.deflection_record(
        subject="Box crushed",
        body="",
        locale="en",
        customer=customer,
        tier=None,
        requested_by=integration,
        suggestions=[],
    )
    return {
        "category": category.pk,
        "article": article.pk,
        "draft": draft.pk,
        "internal_article": internal.pk,
        "deflection": deflection.pk,
    }


def _goodwill(ticket, agent):
    """A request above the (absent) limit that alice made, waiting for a manager, and a limit."""
    from goodwill.models import GoodwillLimit
    from goodwill.services import gesture_record

    gesture = gesture_record(
        ticket=ticket, actor=agent, kind="refund", amount="50", currency="EUR", reason="Late"
    )
    limit = GoodwillLimit.objects.create(role="agent", currency="EUR", max_amount=20)
    return {"gesture": gesture.pk, "goodwill_limit": limit.pk}


def _channels(team):
    from tickets.channels.config import channel_save
    from tickets.channels.models import Channel

    return [
        channel_save(channel=Channel(), kind=kind, name=name, settings=settings)
        for kind, name, settings in (
            ("email", "Mailbox", {"address": "support@acme.test"}),
            ("chat", "Chat", {"widget_id": "w1"}),
            ("phone", "Hotline", {"number": "+442079460000"}),
            ("social", "X", {"platform": "x", "account": "acme"}),
        )
    ]


RAW_EMAIL = (
    b"From: kim@example.com\r\nTo: support@acme.test\r\nSubject: Hi\r\n"
    b"Message-ID: <matrix@example.com>\r\n\r\nHello\r\n"
)
CHAT = {"conversation_id": "c1", "visitor": {"id": "v1"}, "text": "Hi"}
CALL = {"call_id": "c1", "from_number": "+14155550123", "started_at": "2026-11-24T10:00:00Z"}
SOCIAL = {
    "platform": "x",
    "account": "acme",
    "author": {"handle": "kim"},
    "message_id": "1",
    "conversation_id": "1",
    "text": "Hi",
}
NEW_WEBHOOK = {"name": "BI", "url": "https://127.0.0.1/bi", "events": ["sla.breached"]}
NEW_CHANNEL = {"kind": "phone", "name": "Sales line", "settings": {"number": "+442079460001"}}


# (method, path, body, {caller: expected}); paths use {ticket}, {customer}, ... placeholders.
# Expected: an int status, or "+"/"-" for a list that does / does not show the world's object.
# Columns: anon, agent (ticket's team), other_agent, manager, integration (owner), other_integration.
# fmt: off
def row(anon, agent, other_agent, manager, integration, other_integration):
    return dict(zip(CALLERS, (anon, agent, other_agent, manager, integration,
                              other_integration), strict=True))


NEW_TICKET = {"subject": "New", "body": "x", "requester": {"email": "n@example.com"}}
NEW_CUSTOMER = {"identities": [{"kind": "email", "value": "c@example.com"}]}
NEW_DELIVERY = {"customer": {"email": "d@example.com"}, "external_ref": "ORD-2"}
NEW_TRIGGER = {
    "name": "Urgent",
    "event": "ticket.created",
    "conditions": {"all": [{"field": "subject", "operator": "contains", "value": "outage"}]},
    "actions": [{"type": "set_priority", "value": "urgent"}],
}
NEW_TIME_RULE = {"name": "Wait", "timer": "solved", "after": 2, "actions": NEW_TRIGGER["actions"]}
NEW_RULE = {"name": "Call", "trigger": "delivery", "action": "outreach", "delay_minutes": 60}
NEW_CALENDAR = {"name": "Always", "always_open": True}
NEW_POLICY = {"name": "Gold", "targets": [{"priority": "high", "metric": "resolution", "minutes": 60}]}
NEW_CATEGORY = {"translations": [{"locale": "en", "name": "Billing"}]}
NEW_MACRO = {"name": "Photo please", "body": "Hi {{ customer.first_name }}, a photo?"}
NEW_GESTURE = {"kind": "fee_waived", "amount": "5", "currency": "EUR", "reason": "Late"}
NEW_LIMIT = {"role": "agent", "currency": "USD", "max_amount": "20"}
BULK = {"ids": [999999], "action": "add_tag", "value": "x"}
NEW_ARTICLE = {"translations": [{"locale": "en", "title": "Returns", "body_md": "Within 14 days."}]}
MATRIX = [
    ("GET",    "/api/v1/me/",                                None,               row(401, 200, 200, 200, 200, 200)),
    ("GET",    "/api/v1/ping/",                              None,               row(401, 200, 200, 200, 200, 200)),
    ("POST",   "/api/v1/ping/",                              {"echo": 1},        row(401, 200, 200, 200, 200, 200)),
    # tickets
    ("GET",    "/api/v1/tickets/",                           None,               row(401, "+", "-", "+", "+", "-")),
    ("GET",    "/api/v1/tickets/?search=crushed",            None,               row(401, "+", "-", "+", "+", "-")),
    ("GET",    "/api/v1/tickets/?q=%23{ticket}",             None,               row(401, "+", "-", "+", "+", "-")),
    ("POST",   "/api/v1/tickets/",                           NEW_TICKET,         row(401, 201, 201, 201, 201, 201)),
    ("GET",    "/api/v1/tickets/{ticket}/",                  None,               row(401, 200, 404, 200, 200, 404)),
    ("PATCH",  "/api/v1/tickets/{ticket}/",                  {"priority": "high"}, row(401, 200, 404, 200, 403, 403)),
    ("PUT",    "/api/v1/tickets/{ticket}/",                  {"subject": "x"},   row(401, 403, 403, 405, 403, 403)),
    ("DELETE", "/api/v1/tickets/{ticket}/",                  None,               row(401, 403, 403, 405, 403, 403)),
    ("GET",    "/api/v1/tickets/{ticket}/messages/",         None,               row(401, 200, 404, 200, 200, 404)),
    ("POST",   "/api/v1/tickets/{ticket}/messages/",         {"body": "Hello"},  row(401, 201, 404, 201, 201, 404)),
    ("POST",   "/api/v1/tickets/{ticket}/messages/{message}/retry/", None,       row(401, 200, 404, 200, 403, 403)),
    ("GET",    "/api/v1/tickets/{ticket}/events/",           None,               row(401, 200, 404, 200, 403, 403)),
    ("GET",    "/api/v1/attachments/{attachment}/",          None,               row(401, 200, 404, 200, 200, 404)),
    ("GET",    "/api/v1/attachments/{attachment}/download/", None,               row(401, 200, 404, 200, 200, 404)),
    # customers: staff see all, an integration its own
    ("GET",    "/api/v1/customers/",                         None,               row(401, "+", "+", "+", "+", "-")),
    ("POST",   "/api/v1/customers/",                         NEW_CUSTOMER,       row(401, 201, 201, 201, 201, 201)),
    ("GET",    "/api/v1/customers/{customer}/",              None,               row(401, 200, 200, 200, 200, 404)),
    ("PATCH",  "/api/v1/customers/{customer}/",              {"name": "Kim"},    row(401, 200, 200, 200, 403, 403)),
    # a customer's own SLA (tier, override policy): managers only, as on organizations
    ("PATCH",  "/api/v1/customers/{customer}/",              {"tier": None},     row(401, 403, 403, 200, 403, 403)),
    # organizations and teams: configuration, managers write
    ("GET",    "/api/v1/organizations/",                     None,               row(401, "+", "+", "+", 403, 403)),
    ("POST",   "/api/v1/organizations/",                     {"name": "Globex"}, row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/organizations/{organization}/",      None,               row(401, 200, 200, 200, 403, 403)),
    ("PATCH",  "/api/v1/organizations/{organization}/",      {"notes": "VIP"},   row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/organizations/{organization}/",      None,               row(401, 403, 403, 204, 403, 403)),
    ("GET",    "/api/v1/teams/",                             None,               row(401, "+", "+", "+", 403, 403)),
    ("POST",   "/api/v1/teams/",                             {"name": "VIP"},    row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/teams/{team}/",                      None,               row(401, 200, 200, 200, 403, 403)),
    ("PATCH",  "/api/v1/teams/{team}/",                      {"description": "x"}, row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/teams/{team}/",                      None,               row(401, 403, 403, 409, 403, 403)),
    # proactive: deliveries from integrations, rules for managers, reports for managers
    ("GET",    "/api/v1/deliveries/",                        None,               row(401, 403, 403, "+", "+", "-")),
    ("POST",   "/api/v1/deliveries/",                        NEW_DELIVERY,       row(401, 403, 403, 201, 201, 201)),
    ("GET",    "/api/v1/deliveries/{delivery}/",             None,               row(401, 403, 403, 200, 200, 404)),
    ("GET",    "/api/v1/followup-rules/",                    None,               row(401, "+", "+", "+", 403, 403)),
    ("POST",   "/api/v1/followup-rules/",                    NEW_RULE,           row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/followup-rules/{rule}/",             None,               row(401, 200, 200, 200, 403, 403)),
    ("PATCH",  "/api/v1/followup-rules/{rule}/",             {"active": False},  row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/followup-rules/{rule}/",             None,               row(401, 403, 403, 204, 403, 403)),
    ("GET",    "/api/v1/followups/",                         None,               row(401, "+", "+", "+", 403, 403)),
    ("GET",    "/api/v1/followups/{followup}/",              None,               row(401, 200, 200, 200, 403, 403)),
    ("POST",   "/api/v1/followups/{followup}/retry/",        None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/surveys/",                           None,               row(401, 403, 403, "+", 403, 403)),
    ("GET",    "/api/v1/surveys/{survey}/",                  None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/reports/at-risk/",                   None,               row(401, 403, 403, "+", 403, 403)),
    ("GET",    "/api/v1/reports/satisfaction/",              None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/reports/sla/",                       None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/reports/backlog/",                   None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/reports/success/",                   None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/reports/agents/",                    None,               row(401, 403, 403, 200, 403, 403)),
    # exports: streamed CSV / JSON lines for a period, and the incremental feed; managers only
    ("GET",    "/api/v1/exports/tickets/",                   None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/exports/clocks/",                    None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/exports/surveys/",                   None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/exports/tickets/changes/",           None,               row(401, 403, 403, 200, 403, 403)),
    # the agents' queue: their teams' tickets (the manager is in no team here)
    ("GET",    "/api/v1/queue/",                             None,               row(401, 200, 200, 200, 403, 403)),
    ("POST",   "/api/v1/queue/claim/",                       None,               row(401, 200, 204, 204, 403, 403)),
    # SLA: a ticket's clocks (staff read, managers re-apply), configuration (managers write)
    ("GET",    "/api/v1/tickets/{ticket}/sla/",              None,               row(401, 200, 404, 200, 403, 403)),
    ("POST",   "/api/v1/tickets/{ticket}/sla/",              None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/sla/calendars/",                     None,               row(401, "+", "+", "+", 403, 403)),
    ("POST",   "/api/v1/sla/calendars/",                     NEW_CALENDAR,       row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/sla/calendars/{calendar}/",          None,               row(401, 200, 200, 200, 403, 403)),
    ("PUT",    "/api/v1/sla/calendars/{calendar}/",          NEW_CALENDAR,       row(401, 403, 403, 200, 403, 403)),
    ("PATCH",  "/api/v1/sla/calendars/{calendar}/",          {"name": "Always"}, row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/sla/calendars/{calendar}/",          None,               row(401, 403, 403, 409, 403, 403)),
    ("GET",    "/api/v1/sla/policies/",                      None,               row(401, "+", "+", "+", 403, 403)),
    ("POST",   "/api/v1/sla/policies/",                      NEW_POLICY,         row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/sla/policies/{policy}/",             None,               row(401, 200, 200, 200, 403, 403)),
    ("PUT",    "/api/v1/sla/policies/{policy}/",             NEW_POLICY,         row(401, 403, 403, 200, 403, 403)),
    ("PATCH",  "/api/v1/sla/policies/{policy}/",             {"warn_at_percent": 50}, row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/sla/tiers/",                         None,               row(401, "+", "+", "+", 403, 403)),
    ("POST",   "/api/v1/sla/tiers/",                         {"name": "Gold", "rank": 50}, row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/sla/tiers/{tier}/",                  None,               row(401, 200, 200, 200, 403, 403)),
    ("PUT",    "/api/v1/sla/tiers/{tier}/",                  {"name": "Std", "rank": 11}, row(401, 403, 403, 200, 403, 403)),
    ("PATCH",  "/api/v1/sla/tiers/{tier}/",                  {"channels": ["email"]}, row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/sla/tiers/{tier}/",                  None,               row(401, 403, 403, 204, 403, 403)),
    # customer merge: managers only (the source id does not exist: 400 once allowed)
    ("POST",   "/api/v1/customers/{customer}/merge/",        {"source_id": 0},   row(401, 403, 403, 400, 403, 403)),
    # channels: configuration, managers write; inbound doors: integrations and managers
    ("GET",    "/api/v1/channels/",                          None,               row(401, 200, 200, 200, 403, 403)),
    ("POST",   "/api/v1/channels/",                          NEW_CHANNEL,        row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/channels/{channel}/",                None,               row(401, 200, 200, 200, 403, 403)),
    ("PATCH",  "/api/v1/channels/{channel}/",                {"is_active": False}, row(401, 403, 403, 200, 403, 403)),
    ("PUT",    "/api/v1/channels/{channel}/",                {"name": "x"},      row(401, 403, 403, 405, 403, 403)),
    ("POST",   "/api/v1/inbound/email/",                     RAW_EMAIL,          row(401, 403, 403, 202, 202, 202)),
    ("POST",   "/api/v1/inbound/chat/",                      CHAT,               row(401, 403, 403, 202, 202, 202)),
    ("POST",   "/api/v1/inbound/calls/",                     CALL,               row(401, 403, 403, 202, 202, 202)),
    ("POST",   "/api/v1/inbound/social/",                    SOCIAL,             row(401, 403, 403, 202, 202, 202)),
    ("POST",   "/api/v1/inbound/{kind}/",                    CALL,               row(401, 403, 403, 202, 202, 202)),
    # outbound webhook subscriptions: managers only
    ("GET",    "/api/v1/webhooks/",                          None,               row(401, 403, 403, "+", 403, 403)),
    ("POST",   "/api/v1/webhooks/",                          NEW_WEBHOOK,        row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/webhooks/{webhook}/",                None,               row(401, 403, 403, 200, 403, 403)),
    ("PATCH",  "/api/v1/webhooks/{webhook}/",                {"active": False},  row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/webhooks/{webhook}/",                None,               row(401, 403, 403, 204, 403, 403)),
    ("GET",    "/api/v1/webhooks/{webhook}/deliveries/",     None,               row(401, 403, 403, 200, 403, 403)),
    # knowledge base: staff write drafts, managers publish and configure; integrations read
    # what an anonymous visitor reads (never drafts or internal articles) and ask suggestions
    ("GET",    "/api/v1/help/categories/",                   None,               row(401, "+", "+", "+", "+", "+")),
    ("POST",   "/api/v1/help/categories/",                   NEW_CATEGORY,       row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/help/categories/{category}/",        None,               row(401, 200, 200, 200, 200, 200)),
    ("PATCH",  "/api/v1/help/categories/{category}/",        {"position": 3},    row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/help/categories/{category}/",        None,               row(401, 403, 403, 204, 403, 403)),
    ("GET",    "/api/v1/help/articles/",                     None,               row(401, "+", "+", "+", "+", "+")),
    ("POST",   "/api/v1/help/articles/",                     NEW_ARTICLE,        row(401, 201, 201, 201, 403, 403)),
    ("GET",    "/api/v1/help/articles/{article}/",           None,               row(401, 200, 200, 200, 200, 200)),
    ("GET",    "/api/v1/help/articles/{draft}/",             None,               row(401, 200, 200, 200, 404, 404)),
    ("GET",    "/api/v1/help/articles/{internal_article}/",  None,               row(401, 200, 200, 200, 404, 404)),
    ("PATCH",  "/api/v1/help/articles/{draft}/",             {"tags": ["box"]},  row(401, 200, 200, 200, 403, 403)),
    ("PATCH",  "/api/v1/help/articles/{article}/",           {"tags": ["box"]},  row(401, 409, 409, 200, 403, 403)),
    ("POST",   "/api/v1/help/articles/{draft}/publish/",     None,               row(401, 403, 403, 200, 403, 403)),
    ("POST",   "/api/v1/help/articles/{article}/archive/",   None,               row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/help/articles/{article}/versions/",  None,               row(401, 200, 200, 200, 403, 403)),
    # JSON instead of a multipart upload: 415 once the role may upload
    ("POST",   "/api/v1/help/articles/{draft}/attachments/", {"x": 1},           row(401, 415, 415, 415, 403, 403)),
    # ticket 0 does not exist: 400 once the role may call it
    ("POST",   "/api/v1/help/articles/from-ticket/",         {"ticket": 0},      row(401, 400, 400, 400, 403, 403)),
    ("GET",    "/api/v1/help/search/?q=box",                 None,               row(401, 200, 200, 200, 200, 200)),
    ("POST",   "/api/v1/help/suggest/",                      {"subject": "Box"}, row(401, 201, 201, 201, 201, 201)),
    # an outcome is reported by whoever asked for the suggestions (here "shop"), or a manager
    ("POST",   "/api/v1/help/suggest/{deflection}/outcome/", {"outcome": "solved"}, row(401, 404, 404, 200, 200, 404)),
    ("GET",    "/api/v1/reports/self-service/",              None,               row(401, 403, 403, 200, 403, 403)),
    # automations: rules and routing for managers; each agent sets their own availability
    ("GET",    "/api/v1/automations/triggers/",              None,               row(401, 403, 403, "+", 403, 403)),
    ("POST",   "/api/v1/automations/triggers/",              NEW_TRIGGER,        row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/automations/triggers/{trigger}/",    None,               row(401, 403, 403, 200, 403, 403)),
    ("PATCH",  "/api/v1/automations/triggers/{trigger}/",    {"active": False},  row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/automations/triggers/{trigger}/",    None,               row(401, 403, 403, 204, 403, 403)),
    ("POST",   "/api/v1/automations/triggers/dry-run/",      {"ticket": "{ticket}"}, row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/automations/time-rules/",            None,               row(401, 403, 403, "+", 403, 403)),
    ("POST",   "/api/v1/automations/time-rules/",            NEW_TIME_RULE,      row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/automations/time-rules/{time_rule}/", None,              row(401, 403, 403, 200, 403, 403)),
    ("PATCH",  "/api/v1/automations/time-rules/{time_rule}/", {"after": 5},      row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/automations/time-rules/{time_rule}/", None,              row(401, 403, 403, 204, 403, 403)),
    ("GET",    "/api/v1/automations/routing/",               None,               row(401, 403, 403, "+", 403, 403)),
    ("POST",   "/api/v1/automations/routing/",               {"team": "{team}"}, row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/automations/routing/{routing}/",     None,               row(401, 403, 403, 200, 403, 403)),
    ("PATCH",  "/api/v1/automations/routing/{routing}/",     {"active": True},   row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/automations/routing/{routing}/",     None,               row(401, 403, 403, 204, 403, 403)),
    # goodwill: staff record on tickets they see, managers decide requests and set limits
    ("GET",    "/api/v1/tickets/{ticket}/goodwill/",         None,               row(401, 200, 404, 200, 403, 403)),
    ("POST",   "/api/v1/tickets/{ticket}/goodwill/",         NEW_GESTURE,        row(401, 201, 404, 201, 403, 403)),
    ("GET",    "/api/v1/goodwill/",                          None,               row(401, "+", "-", "+", 403, 403)),
    ("GET",    "/api/v1/goodwill/{gesture}/",                None,               row(401, 200, 404, 200, 403, 403)),
    ("POST",   "/api/v1/goodwill/{gesture}/approve/",        {},                 row(401, 403, 403, 200, 403, 403)),
    ("POST",   "/api/v1/goodwill/{gesture}/decline/",        {"note": "No"},     row(401, 403, 403, 200, 403, 403)),
    ("GET",    "/api/v1/goodwill/limits/",                   None,               row(401, "+", "+", "+", 403, 403)),
    ("POST",   "/api/v1/goodwill/limits/",                   NEW_LIMIT,          row(401, 403, 403, 201, 403, 403)),
    ("GET",    "/api/v1/goodwill/limits/{goodwill_limit}/",  None,               row(401, 200, 200, 200, 403, 403)),
    ("PATCH",  "/api/v1/goodwill/limits/{goodwill_limit}/",  {"max_amount": "30"}, row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/goodwill/limits/{goodwill_limit}/",  None,               row(401, 403, 403, 204, 403, 403)),
    ("GET",    "/api/v1/reports/goodwill/",                  None,               row(401, 403, 403, 200, 403, 403)),
    # bulk actions: staff, each ticket as they may see it (999999 is nobody's: not_found, 200)
    ("POST",   "/api/v1/tickets/bulk/",                      BULK,               row(401, 200, 200, 200, 403, 403)),
    # timelines: agents read customers (and organizations) of tickets they see
    ("GET",    "/api/v1/customers/{customer}/timeline/",     None,               row(401, 200, 404, 200, 403, 403)),
    ("GET",    "/api/v1/organizations/{organization}/timeline/", None,           row(401, 200, 404, 200, 403, 403)),
    ("GET",    "/api/v1/automations/availability/",          None,               row(401, 200, 200, 200, 403, 403)),
    ("POST",   "/api/v1/automations/availability/",          {"available": True}, row(401, 200, 200, 200, 403, 403)),
    # desk saved views: personal to each agent (another's is a 404); no integration
    ("GET",    "/api/v1/saved-views/",                       None,               row(401, "+", "-", "-", 403, 403)),
    ("POST",   "/api/v1/saved-views/",                       {"name": "Breached", "filters": {"view": "breached"}}, row(401, 201, 201, 201, 403, 403)),
    ("GET",    "/api/v1/saved-views/{saved_view}/",          None,               row(401, 200, 404, 404, 403, 403)),
    ("PATCH",  "/api/v1/saved-views/{saved_view}/",          {"sort": "updated"}, row(401, 200, 404, 404, 403, 403)),
    ("DELETE", "/api/v1/saved-views/{saved_view}/",          None,               row(401, 204, 404, 404, 403, 403)),
    # macros: staff use shared ones and their own; only managers change a shared one
    ("GET",    "/api/v1/macros/",                            None,               row(401, "+", "+", "+", 403, 403)),
    ("POST",   "/api/v1/macros/",                            NEW_MACRO,          row(401, 201, 201, 201, 403, 403)),
    ("GET",    "/api/v1/macros/{macro}/",                    None,               row(401, 200, 200, 200, 403, 403)),
    ("PATCH",  "/api/v1/macros/{macro}/",                    {"name": "Merci"},  row(401, 403, 403, 200, 403, 403)),
    ("DELETE", "/api/v1/macros/{macro}/",                    None,               row(401, 403, 403, 204, 403, 403)),
    ("GET",    "/api/v1/tickets/{ticket}/macros/{macro_id}/preview/", None,      row(401, 200, 404, 200, 403, 403)),
    ("POST",   "/api/v1/tickets/{ticket}/macros/{macro_id}/apply/",   {},        row(401, 201, 404, 201, 403, 403)),
    # merge and problems: both ends visible to the caller (target 0: 400 once the source is)
    ("POST",   "/api/v1/tickets/{ticket}/merge/",            {"target_id": 0},   row(401, 400, 404, 400, 403, 403)),
    ("GET",    "/api/v1/tickets/{ticket}/incidents/",        None,               row(401, 200, 404, 200, 403, 403)),
    ("POST",   "/api/v1/tickets/{ticket}/incidents/",        {"incident_ids": [0]}, row(401, 400, 404, 400, 403, 403)),
    ("DELETE", "/api/v1/tickets/{ticket}/incidents/{incident_id}/", None,         row(401, 204, 404, 204, 403, 403)),
    ("GET",    "/api/v1/tickets/{ticket}/problem/",          None,               row(401, 200, 404, 200, 403, 403)),
    ("PATCH",  "/api/v1/tickets/{ticket}/problem/",          {"solve_incidents": False}, row(401, 200, 404, 200, 403, 403)),
]
# fmt: on

CASES = [
    pytest.param(method, path, body, caller, expected[caller], id=f"{method} {path} {caller}")
    for method, path, body, expected in MATRIX
    for caller in CALLERS
]


def _listed(response, world: World, path: str) -> bool:
    kind = {
        "tickets": "ticket",
        "customers": "customer",
        "organizations": "organization",
        "teams": "team",
        "deliveries": "delivery",
        "followup-rules": "rule",
        "followups": "followup",
        "surveys": "survey",
        "at-risk": "customer",
        "calendars": "calendar",
        "policies": "policy",
        "tiers": "tier",
        "webhooks": "webhook",
        "categories": "category",
        "articles": "article",
        "triggers": "trigger",
        "time-rules": "time_rule",
        "routing": "routing",
        "saved-views": "saved_view",
        "macros": "macro",
        "goodwill": "gesture",
        "limits": "goodwill_limit",
    }[path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]]
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body  # unpaginated lists
    return world.ids[kind] in {row["id"] for row in rows}


@pytest.mark.parametrize(("method", "path", "body", "caller", "expected"), CASES)
def test_authorization_matrix(world, method, path, body, caller, expected):
    client = world.clients[caller]
    raw = isinstance(body, bytes)  # the raw email door
    if isinstance(body, dict):  # "{ticket}" in a body: the world's id
        body = {k: v.format(**world.ids) if isinstance(v, str) else v for k, v in body.items()}
    response = client.generic(
        method,
        path.format(**world.ids),
        data=body if raw else None if body is None else json.dumps(body),
        content_type="message/rfc822" if raw else "application/json",
    )
    if expected in ("+", "-"):
        assert response.status_code == 200, response.content
        assert _listed(response, world, path) is (expected == "+")
    else:
        assert response.status_code == expected, response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}


def test_matrix_covers_every_documented_operation():
    """A new endpoint must join the table: every operation in the OpenAPI schema is in it."""
    from api.schema_generator import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if path.startswith("/api/v1/")
    }
    placeholders = {
        name: "{id}"
        for name in (
            "ticket",
            "customer",
            "organization",
            "team",
            "attachment",
            "delivery",
            "rule",
            "followup",
            "survey",
            "calendar",
            "policy",
            "tier",
            "channel",
            "webhook",
            "category",
            "article",
            "draft",
            "internal_article",
            "deflection",
            "trigger",
            "time_rule",
            "routing",
            "saved_view",
            "macro",
            "gesture",
            "goodwill_limit",
        )
    }
    placeholders["message"] = "{message_id}"
    placeholders["kind"] = "{kind}"
    placeholders.update(macro_id="{macro_id}", incident_id="{incident_id}")
    covered = {(method, path.split("?")[0].format(**placeholders)) for method, path, _, _ in MATRIX}
    assert documented - covered == set(), "operations missing from the authorization matrix"


PORTAL_CASES = [
    pytest.param(method, path, body, expected["anon"], id=f"{method} {path} customer (portal)")
    for method, path, body, expected in MATRIX
]


@pytest.mark.parametrize(("method", "path", "body", "anon_expected"), PORTAL_CASES)
def test_portal_session_authenticates_no_api_operation(world, method, path, body, anon_expected):
    """The customer's portal cookie (sent even though a browser would keep it to /portal/)
    is not an API credential: every operation answers 401 with the error shape, as for
    anonymous callers, and nothing is written."""
    from rest_framework.test import APIClient

    from portal.auth import COOKIE
    from tests.portal.conftest import portal_client
    from tickets.models import Message, Ticket

    client = APIClient()
    client.cookies[COOKIE] = portal_client(world.customer).cookies[COOKIE].value
    counts = (Ticket.objects.count(), Message.objects.count())
    raw = isinstance(body, bytes)
    response = client.generic(
        method,
        path.format(**world.ids),
        data=body if raw else None if body is None else json.dumps(body),
        content_type="message/rfc822" if raw else "application/json",
    )
    assert anon_expected == 401
    assert response.status_code == 401, response.content
    assert set(response.json()) == {"error"}
    assert (Ticket.objects.count(), Message.objects.count()) == counts
