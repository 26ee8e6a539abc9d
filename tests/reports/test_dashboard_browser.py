"""The managers' dashboard in a real browser (Playwright + Debian's Chromium, the launch
options and fixtures of tests/desk/test_browser.py): a month of SLA clocks and surveys over
three tiers; the screenshot goes to var/screenshots/dashboard.png."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import time_machine

from slas.models import Metric, SlaClock
from success.models import Survey
from tests.browser import open_page, shoot
from tests.factories import CustomerFactory, PolicyFactory
from tickets.models import Ticket

from .conftest import NOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    with open_page(browser, width=1280, height=800) as page:
        yield page


@pytest.fixture
def busy_month(world):
    """Per day of the 30 days before NOW and per tier, 3-6 tickets with a first-response
    clock (Gold meets ~95%, Basic ~80%, no tier ~60%) and a survey (Gold happiest)."""
    rng = random.Random(14)
    policy = PolicyFactory(name="Busy")
    customers = {
        "gold": CustomerFactory(name="Gia", tier=world.tiers["gold"]),
        "basic": CustomerFactory(name="Bo", tier=world.tiers["basic"]),
        "none": CustomerFactory(name="Nia"),
    }
    odds = {"gold": (0.95, (4, 5)), "basic": (0.8, (3, 5)), "none": (0.6, (1, 4))}
    teams = list(world.teams.values())
    channels = ["email", "chat", "phone", "web"]
    for day in range(30, 0, -1):
        start = NOW - timedelta(days=day)
        for key, customer in customers.items():
            meets, (low, high) = odds[key]
            for n in range(rng.randint(3, 6)):
                created = start + timedelta(hours=8 + n)
                ticket = Ticket.objects.create(
                    subject="Busy", requester=customer, organization=customer.organization,
                    team=rng.choice(teams), channel=rng.choice(channels),
                )  # fmt: skip
                Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
                met = rng.random() < meets
                due = created + timedelta(hours=1)
                SlaClock.objects.create(
                    ticket=ticket, metric=Metric.FIRST_RESPONSE, policy=policy,
                    target_minutes=60, started_at=created, segment_started_at=created,
                    due_at=due, warn_at=due, consumed_minutes=30 if met else 90,
                    fulfilled_at=created + timedelta(minutes=30 if met else 90),
                    breached_at=None if met else due,
                )  # fmt: skip
                Survey.objects.create(
                    ticket=ticket, customer=customer, sent_at=created + timedelta(hours=2),
                    expires_at=created + timedelta(days=30),
                    csat=rng.randint(low, high), answered_at=created + timedelta(hours=3),
                )  # fmt: skip
    return world


def test_manager_reads_the_dashboard(page, live_server, busy_month, settings):
    # "Now" is the constructed world's; a browser-session cookie, so the frozen clock does
    # not make the browser drop it.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    with time_machine.travel(NOW, tick=True):
        page.goto(f"{live_server.url}/desk/reports/")
        page.get_by_label("Username").fill("mona")
        page.get_by_label("Password").fill("pw")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/desk/reports/")
        assert page.get_by_role("heading", level=1).inner_text() == "Are we keeping our SLAs?"

        # Filters: the window and period are form fields a keyboard user can reach.
        page.get_by_label("Window", exact=True).select_option("30")
        page.get_by_label("Period", exact=True).select_option("day")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/desk/reports/?*")
        assert page.locator("svg.chart").count() == 4
        chart = page.get_by_role("img", name="Share of clocks met, by tier and period")
        assert chart.locator("polyline").count() == 3  # Gold, Basic, No tier
        legend = page.locator(".legend").inner_text()
        assert ("Basic" in legend, "Gold" in legend, "No tier" in legend) == (True, True, True)
        table = page.locator("#sla-table")
        assert table.locator("thead th").all_inner_texts() == ["Day", "Basic", "Gold", "No tier"]
        assert table.locator("tbody tr").count() == 30
        assert page.locator("#at-risk-table tbody th").all_inner_texts() == ["Ann"]
        shoot(page, "dashboard.png")

        # The same page narrowed to a team and a week bucket.
        page.get_by_label("Team", exact=True).select_option(label="Billing")
        page.get_by_label("Period", exact=True).select_option("week")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**team=*")
        # 12 October (a Monday) to Tuesday 10 November: five weeks
        assert page.locator("#sla-table tbody tr").count() == 5
        shoot(page, "dashboard-billing-weekly.png")


def test_an_agent_gets_a_403_in_the_browser(page, live_server, world, settings):
    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/desk/")
    response = page.goto(f"{live_server.url}/desk/reports/")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Managers only"
    assert page.get_by_role("link", name="Reports").count() == 0  # not offered to agents
    shoot(page, "dashboard-403.png")
