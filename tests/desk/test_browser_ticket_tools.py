"""Macros, merge and problems in a real browser (Playwright, Chromium): the macro picker by
its shortcut, a merge from the ticket page, a problem solved and its incidents updated.
Screenshots in var/screenshots/."""

from __future__ import annotations

import pytest

from macros.models import Macro
from tests.browser import open_page, shoot
from tests.factories import CustomerFactory, TeamFactory
from tickets.models import Message, Ticket, TicketMerge

from .test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    with open_page(browser, width=1280, height=900) as page:
        yield page


def test_agent_inserts_a_macro_by_its_shortcut_and_sends_it(
    page, live_server, agent, manager, make_ticket, customer, team
):
    agent.first_name, agent.last_name = "Alice", "Smith"
    agent.save()
    refunds = TeamFactory(name="Refunds")
    refunds.members.add(agent)
    Macro.objects.create(
        name="Refund issued",
        body="Hi {{ customer.first_name }},\n\nthe refund for #{{ ticket.number }} is on its "
        "way.\n\n{{ agent.first_name }}",
        owner=manager,
        is_shared=True,
        set_status="pending",
        set_priority=3,
        set_team=refunds,
        add_tags=["refund"],
    )
    Macro.objects.create(name="Ask for a photo", body="Could you send a photo?", owner=agent)
    ticket = make_ticket("Where is my refund?")
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")

    page.keyboard.press("m")
    dialog = page.get_by_role("dialog", name="Macros")
    dialog.wait_for()
    page.locator("#macro-list [data-macro]").first.wait_for()
    page.keyboard.type("refund")
    assert page.locator("#macro-list [data-macro]:visible").count() == 1
    shoot(page, "macro-picker.png")
    page.set_viewport_size({"width": 400, "height": 800})  # a narrow window: the dialog fits
    box = dialog.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 400
    shoot(page, "macro-picker-narrow.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.keyboard.press("Enter")
    assert not dialog.is_visible()
    text = page.locator("#reply_body").input_value()
    assert text == f"Hi Carla,\n\nthe refund for #{ticket.pk} is on its way.\n\nAlice"
    assert "priority high" in page.locator("#macro-chosen").inner_text()
    assert page.evaluate("document.activeElement.id") == "reply_body"
    page.keyboard.type("\nPS: 3-5 working days.")
    shoot(page, "macro-inserted.png")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"{live_server.url}/desk/tickets/{ticket.pk}/")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.team) == ("pending", 3, refunds)
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
    reply = Message.objects.get(ticket=ticket, direction="outbound")
    assert reply.body_text.replace("\r\n", "\n").endswith("Alice\nPS: 3-5 working days.")
    assert Macro.objects.get(name="Refund issued").usage_count == 1
    assert "Macro applied" in page.locator("table.audit").inner_text()


def test_agent_merges_a_duplicate_from_the_ticket_page(page, live_server, agent, make_ticket):
    original = make_ticket("Printer on fire")
    duplicate = make_ticket("Printer on fire (sent twice)")
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/desk/tickets/{duplicate.pk}/")
    page.get_by_text("Merge into another ticket").click()
    page.get_by_label("Target ticket number").fill(f"#{original.pk}")
    shoot(page, "merge-form.png")
    page.locator("#merge-form").get_by_role("button", name="Merge").click()
    page.wait_for_url(f"{live_server.url}/desk/tickets/{original.pk}/")
    assert (
        f"#{duplicate.pk} was merged into #{original.pk}" in page.locator(".messages").inner_text()
    )
    merged = page.locator("li.msg", has=page.locator("a.merged-from"))
    assert merged.count() == 1
    assert f"from #{duplicate.pk}" in merged.inner_text()
    assert "Another ticket merged into this one" in page.locator("table.audit").inner_text()
    shoot(page, "merge-target.png")

    page.goto(f"{live_server.url}/desk/tickets/{duplicate.pk}/")
    banner = page.locator(".relation-banner")
    assert f"Merged into ticket #{original.pk}" in banner.inner_text()
    assert Ticket.objects.get(pk=duplicate.pk).status == "closed"
    assert TicketMerge.objects.get(source=duplicate).target_id == original.pk
    shoot(page, "merge-source.png")


def test_solving_a_problem_updates_every_incident(page, live_server, agent, make_ticket, team):
    problem = make_ticket("Payment provider rejects cards")
    incidents = [
        make_ticket(f"Cannot pay ({name})", requester=CustomerFactory(name=name))
        for name in ("Kim Lee", "Ana Ruiz")
    ]
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/desk/tickets/{problem.pk}/")
    page.get_by_text("Link incidents (this becomes a problem)").click()
    page.get_by_label("Ticket numbers").fill(", ".join(f"#{t.pk}" for t in incidents))
    page.get_by_role("button", name="Link incidents").click()
    page.wait_for_url(f"{live_server.url}/desk/tickets/{problem.pk}/")
    assert page.locator(".incidents [data-incident]").count() == 2

    page.get_by_text("Update for the incidents when solved").click()
    page.get_by_label("Public update").fill(
        "Hi {{ customer.first_name }}, payments work again: please retry #{{ ticket.number }}."
    )
    page.locator("#problem-settings-form").get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/desk/tickets/{problem.pk}/")
    shoot(page, "problem-before-solve.png")

    page.locator("#fields-form").get_by_label("Status").select_option("solved")
    page.locator("#fields-form").get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/desk/tickets/{problem.pk}/")
    assert page.locator(".incidents").inner_text().count("updated") == 2
    assert "Problem solved: incidents updated" in page.locator("table.audit").inner_text()
    shoot(page, "problem-solved.png")

    kim = incidents[0]
    page.goto(f"{live_server.url}/desk/tickets/{kim.pk}/")
    assert f"Incident of problem #{problem.pk}" in page.locator(".relation-banner").inner_text()
    reply = page.locator("li.msg.outbound").last
    assert f"Hi Kim, payments work again: please retry #{kim.pk}." in reply.inner_text()
    for incident in incidents:
        assert Ticket.objects.get(pk=incident.pk).status == "solved"
    shoot(page, "problem-incident.png")
