"""Demo data: tiers with their SLA calendars, policies and channels, teams, agents, a manager,
an integration token, customers, tickets.

Safe to run again: existing rows are kept; a new integration token is printed each time
(tokens are stored hashed, so an old one cannot be shown again).
"""

from __future__ import annotations

from datetime import time

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services as auth_services
from accounts.models import Role, User
from config.demo_articles import DEMO_ARTICLES
from customers import organizations
from customers import services as customer_services
from customers.models import Organization
from customers.services import IdentityInput
from knowledge import services as knowledge_services
from knowledge.models import Article
from slas import config as sla_config
from slas.config import EscalationInput, IntervalInput, TargetInput
from slas.models import BusinessCalendar, Metric, SlaPolicy, SlaTier
from success.models import Action, FollowUpRule, Trigger
from tickets import services as ticket_services
from tickets.channels import config as channel_config
from tickets.channels.models import Channel
from tickets.models import ChannelKind, Priority, Team, Ticket

DEMO_PASSWORD = "demo"  # noqa: S105 - demo accounts on a developer's machine

TIERS = [
    ("Self-service", 0, "Knowledge base and community; email answered best-effort."),
    ("Standard", 10, "Email and chat in business hours."),
    ("Premium", 20, "Email, chat and phone with faster targets."),
    ("Enterprise", 30, "Every channel, 24/7, a named team: individual service."),
]
ALL_CHANNELS = [c.value for c in ChannelKind]
# One configured entry point of each kind, so every inbound door works on demo data (the
# README's examples use these names and addresses).
DEMO_CHANNELS = [
    ("Support mailbox", ChannelKind.EMAIL, {"address": "support@helpdesk.localhost"}),
    ("Website chat", ChannelKind.CHAT, {"widget_id": "demo-widget"}),
    ("Support line", ChannelKind.PHONE, {"number": "+49 30 901820"}),
    ("Twitter", ChannelKind.SOCIAL, {"platform": "twitter", "account": "acme_support"}),
    ("Web form", ChannelKind.WEB, {}),
]
# tier -> (channels, calendar, warn %, {metric: {priority: minutes}}, escalation steps)
# Minutes are business minutes of the calendar (an office day is 480).
LOW, NORMAL, HIGH, URGENT = Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT
SLA_PLANS = {
    "Self-service": (
        ["email"],
        "Office hours (Berlin)",
        80,
        {
            Metric.FIRST_RESPONSE: {LOW: 2400, NORMAL: 1440, HIGH: 960, URGENT: 480},
            Metric.RESOLUTION: {LOW: 7200, NORMAL: 4800, HIGH: 2400, URGENT: 1440},
        },
        [],
    ),
    "Standard": (
        ["email", "chat"],
        "Office hours (Berlin)",
        75,
        {
            Metric.FIRST_RESPONSE: {LOW: 960, NORMAL: 480, HIGH: 240, URGENT: 120},
            Metric.NEXT_RESPONSE: {LOW: 960, NORMAL: 480, HIGH: 240, URGENT: 120},
            Metric.RESOLUTION: {LOW: 4800, NORMAL: 2400, HIGH: 960, URGENT: 480},
        },
        [EscalationInput(1, 0, raise_priority=True)],
    ),
    "Premium": (
        ["email", "chat", "phone"],
        "Extended hours (Berlin)",
        75,
        {
            Metric.FIRST_RESPONSE: {LOW: 480, NORMAL: 120, HIGH: 60, URGENT: 30},
            Metric.NEXT_RESPONSE: {LOW: 480, NORMAL: 120, HIGH: 60, URGENT: 30},
            Metric.RESOLUTION: {LOW: 2400, NORMAL: 960, HIGH: 480, URGENT: 240},
        },
        [EscalationInput(1, 0), EscalationInput(2, 60, move_to_escalation_team=True)],
    ),
    "Enterprise": (
        ALL_CHANNELS,
        "24/7",
        70,
        {
            Metric.FIRST_RESPONSE: {LOW: 240, NORMAL: 60, HIGH: 30, URGENT: 15},
            Metric.NEXT_RESPONSE: {LOW: 240, NORMAL: 60, HIGH: 30, URGENT: 15},
            Metric.RESOLUTION: {LOW: 1440, NORMAL: 480, HIGH: 240, URGENT: 120},
            Metric.PERIODIC_UPDATE: {HIGH: 120, URGENT: 60},
        },
        [EscalationInput(1, 0, move_to_escalation_team=True), EscalationInput(2, 30)],
    ),
}


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print an integration token."

    @transaction.atomic
    def handle(self, *args, **options):
        tiers = {
            name: SlaTier.objects.get_or_create(
                name=name, defaults={"rank": rank, "description": text}
            )[0]
            for name, rank, text in TIERS
        }
        support, _ = Team.objects.get_or_create(name="Support", defaults={"is_default": True})
        escalations, _ = Team.objects.get_or_create(name="Escalations")
        self._sla(tiers, escalations)
        self._channels(support)
        success, _ = Team.objects.get_or_create(name="Customer Success")

        def person(username: str, role: str, first: str, last: str, *teams: Team) -> User:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "role": role,
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@helpdesk.localhost",
                    "is_staff": role == Role.MANAGER,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            for team in teams:
                team.members.add(user)
            return user

        person("alice", Role.AGENT, "Alice", "Agent", support)
        person("bob", Role.AGENT, "Bob", "Agent", support, success)
        person("carol", Role.AGENT, "Carol", "Escalation", escalations)
        person("manager", Role.MANAGER, "Mona", "Manager", support, escalations, success)
        manager = User.objects.get(username="manager")
        manager.is_superuser = True
        manager.save(update_fields=["is_superuser"])

        shop = User.objects.filter(username="shop").first() or auth_services.integration_create(
            username="shop", name="Demo shop"
        )
        _, key = auth_services.api_token_create(user=shop, name="demo")

        self._followup_rules(tiers, success)
        self._help_center(tiers)
        if not Ticket.objects.exists():
            self._tickets(tiers, shop)

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            f"  Agents: alice, bob, carol; manager: manager (password {DEMO_PASSWORD!r})"
        )
        self.stdout.write(
            "  Channels: " + ", ".join(f"{name} ({kind})" for name, kind, _ in DEMO_CHANNELS)
        )
        self.stdout.write(f"  Integration token (shop): {key}")

    def _channels(self, support: Team) -> None:
        for name, kind, settings in DEMO_CHANNELS:
            if not Channel.objects.filter(name=name).exists():
                channel_config.channel_save(
                    channel=Channel(),
                    kind=kind,
                    name=name,
                    settings=settings,
                    default_team=support,
                )

    def _help_center(self, tiers: dict[str, SlaTier]) -> None:
        """A few published articles, so /help/ and the suggestions have something to show."""
        if Article.objects.exists():
            return
        shipping = knowledge_services.category_save(
            translations={
                "en": {"name": "Orders and delivery"},
                "ru": {"name": "Заказы и доставка"},
            }
        )
        account = knowledge_services.category_save(
            translations={"en": {"name": "Your account"}, "ru": {"name": "Ваш аккаунт"}}
        )
        for category, translations, extra in DEMO_ARTICLES:
            article = knowledge_services.article_create(
                author=None,
                translations=translations,
                category=shipping if category == "shipping" else account,
                min_tier=tiers[extra["tier"]] if "tier" in extra else None,
                visibility="tiers" if "tier" in extra else "public",
                tags=extra.get("tags", ()),
            )
            knowledge_services.article_publish(article=article, actor=None)

    def _followup_rules(self, tiers: dict[str, SlaTier], success: Team) -> None:
        """The hybrid model in rules: self-service and standard customers get an email with
        getting-started material after a delivery, premium and enterprise a personal call;
        every solved ticket a survey; a customer at risk a call from Customer Success."""
        if FollowUpRule.objects.exists():
            return
        email = FollowUpRule.objects.create(
            name="Getting started email",
            trigger=Trigger.DELIVERY,
            action=Action.EMAIL,
            delay_minutes=8 * 60,  # one business day
            delay_in_business_time=True,
            subject="Getting started with your {{ delivery.products|join:', ' }}",
            body=(
                "Hello {{ customer.name }},\n\nyour order {{ delivery.external_ref }} arrived."
                " Our getting-started guide and answers to common questions:\n"
                "https://help.example/getting-started\n\nReply to this email if anything"
                " is unclear."
            ),
        )
        email.tiers.set([tiers["Self-service"], tiers["Standard"]])
        call = FollowUpRule.objects.create(
            name="Personal onboarding call",
            trigger=Trigger.DELIVERY,
            action=Action.OUTREACH,
            delay_minutes=2 * 8 * 60,
            delay_in_business_time=True,
            team=success,
            subject="Onboarding call: {{ customer.name }} ({{ delivery.external_ref }})",
            body="Call to check the setup went well and offer a walkthrough.",
        )
        call.tiers.set([tiers["Premium"], tiers["Enterprise"]])
        FollowUpRule.objects.create(
            name="Satisfaction survey",
            trigger=Trigger.TICKET_SOLVED,
            action=Action.SURVEY,
            delay_minutes=60,
            quiet_if_open_ticket=False,
        )
        FollowUpRule.objects.create(
            name="At-risk outreach",
            trigger=Trigger.CUSTOMER_AT_RISK,
            action=Action.OUTREACH,
            team=success,
            quiet_if_open_ticket=False,
            subject="{{ customer.name }} had two poor experiences: call them",
            body="Read the recent tickets, then call to make it right.",
        )

    def _sla(self, tiers: dict[str, SlaTier], escalations: Team) -> None:
        """Calendars, one policy per tier (Self-service's is the best-effort default for
        customers without a tier) and the channels each tier serves. Existing rows are kept."""
        calendars = {}
        office = [IntervalInput(d, time(9), time(17)) for d in range(5)]
        extended = [IntervalInput(d, time(7), time(21)) for d in range(6)]
        for name, intervals, always_open in (
            ("Office hours (Berlin)", office, False),
            ("Extended hours (Berlin)", extended, False),
            ("24/7", [], True),
        ):
            calendar = BusinessCalendar.objects.filter(name=name).first()
            if calendar is None:
                calendar = sla_config.calendar_save(
                    calendar=BusinessCalendar(),
                    name=name,
                    time_zone="Europe/Berlin",
                    always_open=always_open,
                    holiday_country="" if always_open else "DE",
                    holiday_subdivision="" if always_open else "BE",
                    intervals=intervals,
                )
            calendars[name] = calendar
        for tier_name, (channels, calendar, warn, targets, steps) in SLA_PLANS.items():
            tier = tiers[tier_name]
            if tier.policy_id is not None:
                continue
            policy = SlaPolicy.objects.filter(name=tier_name, is_current=True).first()
            if policy is None:
                policy = sla_config.policy_create(
                    name=tier_name,
                    calendar=calendars[calendar],
                    warn_at_percent=warn,
                    is_default=tier_name == "Self-service",
                    escalation_team=escalations,
                    targets=[
                        TargetInput(priority, metric, minutes)
                        for metric, by_priority in targets.items()
                        for priority, minutes in by_priority.items()
                    ],
                    escalations=steps,
                )
            sla_config.tier_save(
                tier=tier,
                channels=channels,
                self_service=True,
                self_service_url="https://help.example.com",
                policy=policy,
            )

    def _tickets(self, tiers: dict, shop: User) -> None:
        acme = organizations.organization_create(
            name="Acme Corp", domains=["acme.example"], tier=tiers["Enterprise"]
        )
        organizations.organization_create(
            name="Globex", domains=["globex.example"], tier=tiers["Standard"]
        )
        Organization.objects.get_or_create(name="Initech", defaults={"tier": tiers["Premium"]})

        samples = [
            (
                "wile@acme.example",
                "Wile E.",
                "Rocket skates arrived damaged",
                ChannelKind.EMAIL,
                Priority.HIGH,
                "The left skate's booster is cracked. Order #A-1001.",
            ),
            (
                "hank@globex.example",
                "Hank Scorpio",
                "CSV bulk upload fails",
                ChannelKind.API,  # the shop's integration opened it: every tier serves `api`
                Priority.URGENT,
                "Uploading users.csv fails at row 3 with 'invalid date'.",
            ),
            (
                "+44 20 7946 0958",
                "Pat Caller",
                "Call back about my invoice",
                ChannelKind.PHONE,
                Priority.NORMAL,
                "Missed call; customer asked for a call back about invoice 77.",
            ),
            (
                "lou@example.org",
                "Lou",
                "How do I reset my password?",
                ChannelKind.CHAT,
                Priority.LOW,
                "Hi! Where is the reset link?",
            ),
        ]
        for identity, name, subject, channel, priority, body in samples:
            kind = "phone" if identity.startswith("+") else "email"
            customer = customer_services.customer_resolve(
                identities=[IdentityInput(kind, identity)], name=name, source_integration=shop
            )
            ticket_services.ticket_create(
                requester=customer,
                subject=subject,
                body=body,
                channel=channel,
                priority=priority,
                source_integration=shop,
                tags=["demo"],
            )
        self.stdout.write(f"  Organizations: {acme.name} and others; 4 tickets.")
