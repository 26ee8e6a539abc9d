"""The admin never bypasses the rules, for what configures the service: tiers, policies,
organizations, customers, channels, follow-up rules and tokens are saved through their
services, and a customer's own SLA fields are a manager's, in the admin as through the API.

Admin forms are submitted the way a browser does (tests/core/admin_pages.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from customers.models import Customer, Organization
from slas import config
from slas.models import Metric, SlaTier
from success.models import FollowUp, FollowUpRule
from tests.conftest import assert_error, client_for
from tests.core.admin_pages import (
    MONDAY_10,
    NORMAL,
    errors_of,
    submitted,
    two_equal_tickets,
)
from tests.factories import (
    CustomerFactory,
    FollowUpRuleFactory,
    ManagerFactory,
    OrganizationFactory,
    PolicyFactory,
    TierFactory,
    UserFactory,
)
from tickets.channels.models import Channel
from tickets.models import Team

pytestmark = pytest.mark.django_db


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
        "/admin/outbox/outboxmessage/add/",
        "/admin/tickets/inboundmessage/add/",
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
