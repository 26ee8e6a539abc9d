"""factory-boy factories: the one way tests make rows."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from customers.models import (
    Customer,
    CustomerIdentity,
    IdentitySubmission,
    Organization,
    OrganizationDomain,
)
from desk.models import SavedView
from slas.models import BusinessCalendar, BusinessInterval, SlaPolicy, SlaTarget, SlaTier
from tickets.models import ChannelKind, Direction, Message, Team, Ticket


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.Faker("first_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@helpdesk.test")
    role = Role.AGENT
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            for team in extracted:
                team.members.add(self)
        if create:
            self.save()


class ManagerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"manager{n}")
    role = Role.MANAGER


class IntegrationFactory(UserFactory):
    username = factory.Sequence(lambda n: f"integration{n}")
    role = Role.INTEGRATION


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class TierFactory(DjangoModelFactory):
    class Meta:
        model = SlaTier
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Tier {n}")
    rank = factory.Sequence(lambda n: n + 100)


class CalendarFactory(DjangoModelFactory):
    """24/7 unless `office_hours` (Mon-Fri 09:00-17:00 in the time zone) is given."""

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "UTC"
    always_open = True

    @factory.post_generation
    def office_hours(self, create, extracted, **kwargs):
        if create and extracted:
            for weekday in range(5):
                BusinessInterval.objects.create(
                    calendar=self, weekday=weekday, start_time="09:00", end_time="17:00"
                )


class PolicyFactory(DjangoModelFactory):
    """A policy; `targets={("resolution", 2): 60, ...}` adds (metric, priority) -> minutes
    (business time; use `calendar_targets` for calendar time)."""

    class Meta:
        model = SlaPolicy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Policy {n}")
    calendar = factory.SubFactory(CalendarFactory)
    warn_at_percent = 75

    @factory.post_generation
    def targets(self, create, extracted, **kwargs):
        for (metric, priority), minutes in (extracted or {}).items():
            SlaTarget.objects.create(policy=self, metric=metric, priority=priority, minutes=minutes)

    @factory.post_generation
    def calendar_targets(self, create, extracted, **kwargs):
        for (metric, priority), minutes in (extracted or {}).items():
            SlaTarget.objects.create(
                policy=self,
                metric=metric,
                priority=priority,
                minutes=minutes,
                business_hours=False,
            )


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Org {n}")

    @factory.post_generation
    def domains(self, create, extracted, **kwargs):
        for domain in extracted or []:
            OrganizationDomain.objects.create(organization=self, domain=domain)


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Faker("name")

    @factory.post_generation
    def email(self, create, extracted, **kwargs):
        value = extracted if extracted is not None else f"customer{self.pk}@example.com"
        if create and value:
            identity = CustomerIdentity.objects.create(
                customer=self, kind="email", value=value.lower()
            )
            if self.source_integration is not None:  # as customers.services records it
                IdentitySubmission.objects.create(
                    identity=identity, integration=self.source_integration
                )


class TicketFactory(DjangoModelFactory):
    class Meta:
        model = Ticket

    subject = factory.Faker("sentence", nb_words=5)
    requester = factory.SubFactory(CustomerFactory)
    organization = factory.LazyAttribute(lambda t: t.requester.organization)
    team = factory.SubFactory(TeamFactory)
    channel = ChannelKind.EMAIL


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    direction = Direction.INBOUND
    channel = factory.LazyAttribute(lambda m: m.ticket.channel)
    author_customer = factory.LazyAttribute(lambda m: m.ticket.requester)
    body_text = factory.Faker("paragraph")


class FollowUpRuleFactory(DjangoModelFactory):
    class Meta:
        model = "followups.FollowUpRule"

    name = factory.Sequence(lambda n: f"Rule {n}")
    trigger = "delivery"
    action = "email"
    subject = "Getting started with {{ delivery.products|join:', ' }}"
    body = "Hello {{ customer.name }}, your order {{ delivery.external_ref }} arrived."
    delay_minutes = 60
    quiet_if_open_ticket = False


class ArticleFactory(factory.Factory):
    """A knowledge-base article made through knowledge.services (so its HTML is rendered and
    its search vector written), published unless `status="draft"`. `translations` maps a
    locale to {title, body_md}; `title`/`body_md`/`locale` make a one-locale article."""

    class Meta:
        model = "knowledge.Article"

    title = factory.Sequence(lambda n: f"Article {n}")
    body_md = "Some text."
    locale = "en"
    translations = None
    status = "published"
    visibility = "public"
    min_tier = None
    tags = ()
    category = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        from knowledge import services

        translations = kwargs.pop("translations") or {
            kwargs["locale"]: {"title": kwargs["title"], "body_md": kwargs["body_md"]}
        }
        article = services.article_create(
            author=None,
            translations=translations,
            category=kwargs["category"],
            visibility=kwargs["visibility"],
            min_tier=kwargs["min_tier"],
            tags=kwargs["tags"],
        )
        if kwargs["status"] == "published":
            article = services.article_publish(article=article, actor=None)
        elif kwargs["status"] == "archived":
            article = services.article_archive(article=article, actor=None)
        return article


class TriggerFactory(DjangoModelFactory):
    class Meta:
        model = "automations.Trigger"

    name = factory.Sequence(lambda n: f"Trigger {n}")
    event = "ticket.created"
    conditions = factory.LazyFunction(lambda: {"all": [], "any": []})
    actions = factory.LazyFunction(lambda: [{"type": "set_priority", "value": "high"}])


class TimeRuleFactory(DjangoModelFactory):
    class Meta:
        model = "automations.TimeRule"

    name = factory.Sequence(lambda n: f"Time rule {n}")
    timer = "pending"
    after = 3
    unit = "days"
    actions = factory.LazyFunction(lambda: [{"type": "set_status", "value": "solved"}])


class SavedViewFactory(DjangoModelFactory):
    class Meta:
        model = SavedView

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"View {n}")
    filters = factory.LazyFunction(dict)
