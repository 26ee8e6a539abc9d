"""The admin never bypasses the rules: a change made in /admin/ has exactly
the effects of the same change through the API, an invalid one is a form error that writes
nothing, and what has no service (or is history) is read-only.

Admin forms are submitted the way a browser does: the change page is fetched, every field it
renders is sent back with its current value, and only the edited fields differ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client

from customers.models import Customer, Organization
from slas import config
from slas.models import Metric, SlaTier
from success.models import FollowUp, FollowUpRule
from tests.conftest import assert_error, client_for
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    FollowUpRuleFactory,
    ManagerFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TierFactory,
    UserFactory,
)
from tickets import services as tickets
from tickets.channels.models import Channel
from tickets.models import Message, Priority, Team, Ticket, TicketEvent
from webhooks.models import WebhookDelivery
from webhooks.subscriptions import subscription_create

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
NORMAL, URGENT = Priority.NORMAL, Priority.URGENT


# --- a browser's form submission -----------------------------------------------------------


class _FormFields(HTMLParser):
    """The values a browser would submit from the page's main form (#<model>_form)."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._option: str | None = None
        self._selected = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select:
            if "selected" in a:
                self.values.append((self._select, a.get("value") or ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.values.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None


def submitted(client: Client, url: str, **changes) -> dict:
    """What the page's form sends, with `changes` (a list value: a multiple choice)."""
    response = client.get(url)
    assert response.status_code == 200, response.content
    parser = _FormFields()
    parser.feed(response.content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.values:
        if name not in ("csrfmiddlewaretoken", "_popup", "_to_field"):
            data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return data


def errors_of(response) -> str:
    """The error list texts of a re-rendered admin form."""
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# --- the world -----------------------------------------------------------------------------


@pytest.fixture
def root(db):
    team = TeamFactory(name="Support", is_default=True)
    user = UserFactory(
        username="root", is_staff=True, is_superuser=True, role="manager", teams=[team]
    )
    user.support_team = team
    return user


@pytest.fixture
def admin(root) -> Client:
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def customer(db):
    policy = PolicyFactory(
        name="Standard",
        calendar=CalendarFactory(name="24/7"),
        calendar_targets={
            (Metric.FIRST_RESPONSE, NORMAL): 60,
            (Metric.RESOLUTION, NORMAL): 480,
            (Metric.FIRST_RESPONSE, URGENT): 15,
            (Metric.RESOLUTION, URGENT): 60,
        },
    )
    tier = TierFactory(name="Standard", rank=10, policy=policy)
    return CustomerFactory(name="Kim", organization=OrganizationFactory(name="Acme", tier=tier))


@pytest.fixture
def survey_rule(db):
    return FollowUpRuleFactory(
        trigger="ticket_solved", action="survey", delay_minutes=30, subject="", body=""
    )


@pytest.fixture
def subscribed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    return subscription_create(name="CRM", url="https://127.0.0.1/hooks", events=["ticket.updated"])


def two_equal_tickets(customer, team) -> tuple[Ticket, Ticket]:
    made = [
        tickets.ticket_create(
            requester=customer,
            subject="Espresso machine leaks",
            body="Water under the machine since Friday.\r\n\r\n-- \r\nKim",
            channel="email",
            team=team,
        )
        for _ in range(2)
    ]
    return made[0], made[1]


def effects(ticket: Ticket) -> dict:
    """Everything a user could notice about a ticket after a change, ids left out."""
    ticket.refresh_from_db()
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "solved_at": ticket.solved_at,
        "version": ticket.version,
        "next_due_at": ticket.next_due_at,
        "clocks": sorted(
            (c.metric, c.policy_id, c.target_minutes, c.due_at, c.fulfilled_at)
            for c in ticket.sla_clocks.all()
        ),
        "audit": [
            (e.kind, e.actor_user_id, e.before, e.after)
            for e in ticket.events.exclude(kind="created").order_by("id")
        ],
        "followups": [
            (f.rule_id, f.state, f.due_at) for f in FollowUp.objects.filter(ticket=ticket)
        ],
        "webhooks": [
            (d.event, d.state, d.payload["changes"], d.payload["ticket"]["status"])
            for d in WebhookDelivery.objects.filter(payload__ticket__id=ticket.pk)
        ],
    }


def change_url(ticket: Ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


# --- tickets: the admin's change is the API's change ---------------------------------------


def test_solving_in_the_admin_has_exactly_the_effects_of_solving_through_the_api(
    admin, root, customer, survey_rule, subscribed
):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        by_admin, by_api = two_equal_tickets(customer, root.support_team)
        traveller.shift(timedelta(minutes=20))
        response = admin.post(
            change_url(by_admin), submitted(admin, change_url(by_admin), status="solved")
        )
        assert response.status_code == 302, errors_of(response)
        api = client_for(root).patch(
            f"/api/v1/tickets/{by_api.pk}/", {"status": "solved"}, format="json"
        )
        assert api.status_code == 200, api.content

    solved = MONDAY_10 + timedelta(minutes=20)
    admin_effects = effects(by_admin)
    assert admin_effects == effects(by_api)
    # and those effects are the rules', not two equal no-ops
    assert admin_effects["status"] == "solved"
    assert admin_effects["solved_at"] == solved
    assert admin_effects["version"] == 2
    assert {metric: fulfilled for metric, _, _, _, fulfilled in admin_effects["clocks"]} == {
        Metric.FIRST_RESPONSE: solved,
        Metric.RESOLUTION: solved,
    }
    assert admin_effects["next_due_at"] is None
    assert admin_effects["audit"] == [
        ("status_changed", root.pk, {"status": "new"}, {"status": "solved"})
    ]
    assert admin_effects["followups"] == [
        (survey_rule.pk, "scheduled", solved + timedelta(minutes=30))
    ]
    assert admin_effects["webhooks"] == [
        ("ticket.updated", "pending", {"status": ["new", "solved"]}, "solved")
    ]


def test_urgent_in_the_admin_recomputes_the_clock_targets_like_the_api(admin, root, customer):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        by_admin, by_api = two_equal_tickets(customer, root.support_team)
        traveller.shift(timedelta(minutes=10))
        url = change_url(by_admin)
        response = admin.post(url, submitted(admin, url, priority=int(URGENT)))
        assert response.status_code == 302, errors_of(response)
        api = client_for(root).patch(
            f"/api/v1/tickets/{by_api.pk}/", {"priority": "urgent"}, format="json"
        )
        assert api.status_code == 200, api.content

    admin_effects = effects(by_admin)
    assert admin_effects == effects(by_api)
    due = {metric: (minutes, due_at) for metric, _, minutes, due_at, _ in admin_effects["clocks"]}
    assert due == {
        Metric.FIRST_RESPONSE: (15, MONDAY_10 + timedelta(minutes=15)),
        Metric.RESOLUTION: (60, MONDAY_10 + timedelta(minutes=60)),
    }
    assert admin_effects["next_due_at"] == MONDAY_10 + timedelta(minutes=15)
    assert admin_effects["audit"] == [
        ("priority_changed", root.pk, {"priority": "normal"}, {"priority": "urgent"})
    ]


def test_invalid_status_move_in_the_admin_is_a_form_error_and_changes_nothing(
    admin, root, customer, subscribed
):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    before = effects(ticket)
    url = change_url(ticket)
    # new -> closed skips solved; the subject edit in the same form must not be kept either
    data = submitted(admin, url, status="closed", subject="Leaking (closed by hand)")
    response = admin.post(url, data)
    assert "cannot go from new to closed" in errors_of(response)
    assert effects(ticket) == before
    assert ticket.subject == "Espresso machine leaks"
    assert not WebhookDelivery.objects.exists()


def test_a_valid_ticket_form_with_a_tampered_inline_keeps_nothing(admin, root, customer):
    """The service runs when the form is valid; the admin checks the inlines afterwards. An
    error page there must not leave the service's write behind."""
    ticket, _ = two_equal_tickets(customer, root.support_team)
    url = change_url(ticket)
    data = submitted(admin, url, status="solved")
    data = {k: v for k, v in data.items() if not k.startswith("messages-")}  # no management form
    response = admin.post(url, data)
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version, ticket.solved_at) == ("new", 1, None)
    assert not ticket.events.filter(kind="status_changed").exists()


def test_an_admin_form_opened_before_a_colleagues_change_is_refused(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    url = change_url(ticket)
    stale = submitted(admin, url, priority=int(Priority.HIGH))
    colleague = UserFactory(username="bob", teams=[root.support_team])
    tickets.ticket_update(ticket=ticket, actor=colleague, status="pending")

    response = admin.post(url, stale)
    assert "changed since you loaded it" in errors_of(response)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status, ticket.version) == (NORMAL, "pending", 2)


def test_assignee_outside_the_team_is_a_form_error(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    outsider = UserFactory(username="olga", teams=[TeamFactory(name="Billing")])
    url = change_url(ticket)
    response = admin.post(url, submitted(admin, url, assignee=outsider.pk))
    assert "olga" in errors_of(response).lower() or "not in team" in errors_of(response)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.version == 1


def test_tags_set_in_the_admin_are_audited_like_the_api(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    existing = tickets._tag_objects(["leak", "espresso"])
    url = change_url(ticket)
    response = admin.post(url, submitted(admin, url, tags=[t.pk for t in existing]))
    assert response.status_code == 302, errors_of(response)
    event = ticket.events.get(kind="tags_changed")
    assert (event.before, event.after) == ({"tags": []}, {"tags": ["espresso", "leak"]})
    ticket.refresh_from_db()
    assert ticket.version == 2


def test_fields_no_service_sets_are_read_only_in_the_ticket_admin(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    url = change_url(ticket)
    other = CustomerFactory(name="Mallory")
    data = submitted(admin, url)
    forged = {
        "version": "99",
        "solved_at_0": "2026-01-01",
        "next_due_at_0": "2026-01-01",
        "outside_plan": "on",
        "channel": "phone",
        "requester": str(other.pk),
    }
    for name in forged:
        assert name not in data  # not rendered as inputs at all
    response = admin.post(url, {**data, **forged})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.version, ticket.solved_at, ticket.outside_plan) == (1, None, False)
    assert (ticket.channel, ticket.requester) == ("email", customer)


def test_tickets_are_not_added_or_deleted_in_the_admin_and_history_is_read_only(
    admin, root, customer
):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    message = ticket.messages.get()
    event = ticket.events.get()
    assert admin.get("/admin/tickets/ticket/add/").status_code == 403
    assert (
        admin.post(f"/admin/tickets/ticket/{ticket.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    for model, obj in (("message", message), ("ticketevent", event)):
        assert admin.get(f"/admin/tickets/{model}/add/").status_code == 403
        page = admin.get(f"/admin/tickets/{model}/{obj.pk}/change/")
        assert page.status_code == 200  # view only
        assert b'name="_save"' not in page.content
        assert (
            admin.post(f"/admin/tickets/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
    # the ticket page shows its messages and audit trail without an "add another" row
    page = admin.get(change_url(ticket)).content.decode()
    assert "Water under the machine" in page
    assert 'name="messages-0-body_text"' not in page
    message.refresh_from_db()
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_a_closed_ticket_is_view_only_in_the_admin(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    tickets.ticket_update(ticket=ticket, actor=root, status="solved")
    tickets.ticket_update(ticket=ticket, actor=root, status="closed")
    page = admin.get(change_url(ticket))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = admin.post(change_url(ticket), {"subject": "Reopened by hand", "status": "open"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert (ticket.status, ticket.subject) == ("closed", "Espresso machine leaks")


# --- tiers: channels as checkboxes, checked by the API's rule ------------------------------


def test_tier_channels_are_checkboxes_and_refuse_fax(admin):
    page = admin.get("/admin/slas/slatier/add/").content.decode()
    assert 'type="checkbox" name="channels" value="email"' in page
    data = submitted(admin, "/admin/slas/slatier/add/", name="Gold", rank=50)

    response = admin.post("/admin/slas/slatier/add/", {**data, "channels": ["email", "fax"]})
    assert "fax" in errors_of(response)
    assert not SlaTier.objects.filter(name="Gold").exists()

    response = admin.post("/admin/slas/slatier/add/", {**data, "channels": ["chat", "email"]})
    assert response.status_code == 302, errors_of(response)
    assert SlaTier.objects.get(name="Gold").channels == ["chat", "email"]


def test_the_api_refuses_the_same_tier_channels_with_the_same_rule(admin):
    manager = client_for(ManagerFactory(username="mona"))
    response = manager.post(
        "/api/v1/sla/tiers/",
        {"name": "Gold", "rank": 50, "channels": ["email", "email"]},
        format="json",
    )
    assert_error(response, 400, field="channels")
    data = submitted(admin, "/admin/slas/slatier/add/", name="Gold", rank=50)
    response = admin.post("/admin/slas/slatier/add/", {**data, "channels": ["email", "email"]})
    assert "List each channel once" in errors_of(response)


def test_tier_changed_in_the_admin_keeps_its_checked_channels(admin):
    tier = TierFactory(name="Chat", rank=20, channels=["chat"])
    url = f"/admin/slas/slatier/{tier.pk}/change/"
    data = submitted(admin, url)
    assert data["channels"] == ["chat"]
    response = admin.post(url, submitted(admin, url, channels=["chat", "phone"]))
    assert response.status_code == 302, errors_of(response)
    tier.refresh_from_db()
    assert tier.channels == ["chat", "phone"]


# --- policies: only current versions are offered -------------------------------------------


@pytest.fixture
def superseded():
    first = PolicyFactory(name="Gold", calendar_targets={(Metric.RESOLUTION, NORMAL): 60})
    current = config.policy_revise(policy=first, warn_at_percent=80)
    first.refresh_from_db()
    assert not first.is_current
    return first, current


@pytest.mark.parametrize(
    ("url", "field", "values"),
    [
        ("/admin/slas/slatier/add/", "policy", {"name": "Gold", "rank": "50"}),
        ("/admin/customers/organization/add/", "sla_policy", {"name": "Globex"}),
        ("/admin/customers/customer/add/", "sla_policy", {"name": "Lee"}),
    ],
)
def test_superseded_policy_versions_are_not_offered_nor_accepted(
    admin, superseded, url, field, values
):
    old, current = superseded
    page = admin.get(url).content.decode()
    assert f'<option value="{current.pk}">' in page
    assert f'<option value="{old.pk}">' not in page

    forged = submitted(admin, url, **values, **{field: old.pk})
    response = admin.post(url, forged)
    assert "Select a valid choice" in errors_of(response)
    assert not SlaTier.objects.filter(name="Gold").exists()
    assert not Organization.objects.filter(name="Globex").exists()
    assert not Customer.objects.filter(name="Lee").exists()

    response = admin.post(url, submitted(admin, url, **values, **{field: current.pk}))
    assert response.status_code == 302, errors_of(response)


# --- organizations, customers, channels, rules: through their services ---------------------


def test_organization_tier_change_in_the_admin_re_measures_open_tickets(
    admin, root, customer, django_capture_on_commit_callbacks
):
    faster = PolicyFactory(calendar_targets={(Metric.RESOLUTION, NORMAL): 90})
    gold = TierFactory(name="Gold", rank=40, policy=faster)
    with time_machine.travel(MONDAY_10, tick=False):
        ticket, _ = two_equal_tickets(customer, root.support_team)
        url = f"/admin/customers/organization/{customer.organization.pk}/change/"
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(url, submitted(admin, url, tier=gold.pk))
    assert response.status_code == 302, errors_of(response)
    resolution = ticket.sla_clocks.get(metric=Metric.RESOLUTION)
    assert (resolution.policy, resolution.due_at) == (faster, MONDAY_10 + timedelta(minutes=90))
    assert ticket.events.filter(kind="sla.reapplied").exists()


def test_organization_domains_in_the_admin_are_normalized_and_unique(admin):
    OrganizationFactory(name="Globex", domains=["globex.com"])
    url = "/admin/customers/organization/add/"
    response = admin.post(url, submitted(admin, url, name="Acme", domains="Acme.COM\n globex.com"))
    assert "globex.com already belongs to another organization" in errors_of(response)
    assert not Organization.objects.filter(name="Acme").exists()
    response = admin.post(url, submitted(admin, url, name="Acme", domains="Acme.COM, acme.io"))
    assert response.status_code == 302, errors_of(response)
    assert Organization.objects.get(name="Acme").domain_names == ["acme.com", "acme.io"]


def test_customer_tier_set_in_the_admin_re_measures_their_open_tickets(
    admin, root, customer, django_capture_on_commit_callbacks
):
    faster = PolicyFactory(calendar_targets={(Metric.RESOLUTION, NORMAL): 90})
    vip = TierFactory(name="VIP", rank=60, policy=faster)
    with time_machine.travel(MONDAY_10, tick=False):
        ticket, _ = two_equal_tickets(customer, root.support_team)
        url = f"/admin/customers/customer/{customer.pk}/change/"
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(url, submitted(admin, url, tier=vip.pk))
    assert response.status_code == 302, errors_of(response)
    assert ticket.sla_clocks.get(metric=Metric.RESOLUTION).due_at == MONDAY_10 + timedelta(
        minutes=90
    )


def test_identity_added_in_the_admin_is_normalized_and_unique(admin):
    CustomerFactory(name="Other", email="kim@example.com")
    url = "/admin/customers/customer/add/"
    taken = submitted(
        admin, url, name="Kim", add_identity_kind="email", add_identity_value="Kim@Example.COM"
    )
    response = admin.post(url, taken)
    assert "already belongs to a customer" in errors_of(response)
    assert not Customer.objects.filter(name="Kim").exists()  # the create rolled back too
    response = admin.post(
        url,
        submitted(
            admin, url, name="Kim", add_identity_kind="phone", add_identity_value="+44 20 7946 0000"
        ),
    )
    assert response.status_code == 302, errors_of(response)
    assert Customer.objects.get(name="Kim").identities.get().value == "+442079460000"


def test_channel_settings_in_the_admin_are_checked_like_the_api(admin):
    url = "/admin/tickets/channel/add/"
    data = submitted(admin, url, kind="email", name="Support mailbox", default_priority="2")
    response = admin.post(url, {**data, "settings": '{"address": "not an address"}'})
    assert response.status_code == 200
    assert not Channel.objects.filter(name="Support mailbox").exists()
    response = admin.post(url, {**data, "settings": '{"address": "Support@Acme.test"}'})
    assert response.status_code == 302, errors_of(response)
    assert Channel.objects.get(name="Support mailbox").address == "support@acme.test"


def test_followup_rule_in_the_admin_is_checked_like_the_api(admin):
    url = "/admin/followups/followuprule/add/"
    data = submitted(admin, url, name="Survey", trigger="delivery", action="survey")
    response = admin.post(url, data)
    assert "A survey follows a solved ticket" in errors_of(response)
    data = submitted(
        admin,
        url,
        name="Welcome",
        trigger="delivery",
        action="email",
        body="Hi {% if customer.name %}{{ customer.name }}",
    )
    assert "Not a valid template" in errors_of(admin.post(url, data))
    assert not FollowUpRule.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/followups/followup/add/",
        "/admin/followups/delivery/add/",
        "/admin/followups/survey/add/",
        "/admin/webhooks/webhookdelivery/add/",
        "/admin/tickets/inboundmessage/add/",
        "/admin/tickets/outboundemail/add/",
        "/admin/helpdesk/idempotencyrecord/add/",
        "/admin/customers/customeridentity/add/",
        "/admin/tickets/tag/add/",
    ],
)
def test_rows_only_services_write_cannot_be_added_in_the_admin(admin, url):
    assert admin.get(url).status_code == 403


def test_api_token_cannot_be_moved_to_another_user_in_the_admin(admin, root):
    from accounts.services import api_token_create

    token, _ = api_token_create(user=UserFactory(username="alice"), name="laptop")
    url = f"/admin/helpdesk/apitoken/{token.pk}/change/"
    data = submitted(admin, url, name="old laptop")
    response = admin.post(url, {**data, "user": str(root.pk), "revoked_at_0": ""})
    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.name, token.user.username) == ("old laptop", "alice")


# --- a customer's own tier and override through the API ------------------------------------


@pytest.fixture
def manager_api(db):
    return client_for(ManagerFactory(username="mona"))


def test_manager_sets_a_customers_tier_and_override_and_open_tickets_are_re_measured(
    manager_api, root, customer, superseded, django_capture_on_commit_callbacks
):
    _, current = superseded
    vip = TierFactory(name="VIP", rank=60)
    with time_machine.travel(MONDAY_10, tick=False):
        ticket, _ = two_equal_tickets(customer, root.support_team)
        with django_capture_on_commit_callbacks(execute=True):
            response = manager_api.patch(
                f"/api/v1/customers/{customer.pk}/",
                {"tier": vip.pk, "sla_policy": current.pk},
                format="json",
            )
    assert response.status_code == 200, response.content
    assert (response.json()["tier"], response.json()["sla_policy"]) == (vip.pk, current.pk)
    customer.refresh_from_db()
    assert (customer.tier, customer.sla_policy) == (vip, current)
    resolution = ticket.sla_clocks.get(metric=Metric.RESOLUTION)
    assert (resolution.policy, resolution.due_at) == (current, MONDAY_10 + timedelta(minutes=60))
    assert ticket.events.filter(kind="sla.reapplied").count() == 1


def test_agent_cannot_set_a_customers_tier(agent_client, customer):
    vip = TierFactory(name="VIP", rank=60)
    response = agent_client.patch(
        f"/api/v1/customers/{customer.pk}/", {"name": "Kim L.", "tier": vip.pk}, format="json"
    )
    assert_error(response, 403)
    customer.refresh_from_db()
    assert (customer.name, customer.tier) == ("Kim", None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tier": 999_999}, "tier"),
        ({"tier": "gold"}, "tier"),
        ({"sla_policy": 999_999}, "sla_policy"),
        ({"sla_policy": "old"}, "sla_policy"),  # replaced below by the superseded version
    ],
)
def test_bad_customer_tier_or_override_is_a_400_and_changes_nothing(
    manager_api, customer, superseded, body, field
):
    if body.get("sla_policy") == "old":
        body = {"sla_policy": superseded[0].pk}
    response = manager_api.patch(
        f"/api/v1/customers/{customer.pk}/", {"name": "Kim L.", **body}, format="json"
    )
    assert_error(response, 400, field=field)
    customer.refresh_from_db()
    assert (customer.name, customer.tier, customer.sla_policy) == ("Kim", None, None)


def test_a_failed_followup_is_retried_from_the_read_only_admin_through_the_service(admin, root):
    from success.models import FollowUpState
    from success.services import delivery_record

    FollowUpRuleFactory(name="Welcome", trigger="delivery", action="email", body="Hi")
    customer = CustomerFactory(name="Kim")
    delivery, _ = delivery_record(
        customer=customer, source=root, external_ref="ORD-7", delivered_at=MONDAY_10
    )
    followup = FollowUp.objects.get(delivery=delivery)
    FollowUp.objects.filter(pk=followup.pk).update(state=FollowUpState.FAILED, attempts=5)
    assert admin.get(f"/admin/followups/followup/{followup.pk}/change/").status_code == 200
    response = admin.post(
        "/admin/followups/followup/",
        {"action": "retry", "_selected_action": [str(followup.pk)]},
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert (followup.state, followup.attempts) == (FollowUpState.SCHEDULED, 0)


def test_customer_added_in_the_admin_with_an_email_joins_its_domains_organization(admin):
    acme = OrganizationFactory(name="Acme", domains=["acme.com"])
    url = "/admin/customers/customer/add/"
    data = submitted(
        admin, url, name="Lee", add_identity_kind="email", add_identity_value="Lee@ACME.com"
    )
    response = admin.post(url, data)
    assert response.status_code == 302, errors_of(response)
    lee = Customer.objects.get(name="Lee")
    assert lee.organization == acme
    assert lee.primary_email == "lee@acme.com"


def test_making_a_team_the_default_in_the_admin_takes_the_flag_like_the_api(admin, root):
    url = "/admin/tickets/team/add/"
    response = admin.post(
        url, submitted(admin, url, name="Escalations", is_default="on", members=[root.pk])
    )
    assert response.status_code == 302, errors_of(response)
    escalations = Team.objects.get(name="Escalations")
    root.support_team.refresh_from_db()
    assert (escalations.is_default, root.support_team.is_default) == (True, False)
    assert list(escalations.members.all()) == [root]


def test_channel_secrets_are_masked_in_the_admin_and_kept_on_save(admin):
    chat = Channel.objects.create(
        kind="chat",
        name="Widget",
        settings={"widget_id": "w-1", "webhook_secret": "do-not-show"},
    )
    url = f"/admin/tickets/channel/{chat.pk}/change/"
    page = admin.get(url).content.decode()
    assert "do-not-show" not in page
    response = admin.post(url, submitted(admin, url, name="Website widget"))
    assert response.status_code == 302
    chat.refresh_from_db()
    assert (chat.name, chat.settings["webhook_secret"]) == ("Website widget", "do-not-show")
