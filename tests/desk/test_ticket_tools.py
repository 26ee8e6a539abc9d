"""The ticket page's tools through the Django client: the macro picker's list, a reply with
a picked macro, merge and problem forms (errors said on the page, nothing written), and the
page's query count with merges and problems."""

from __future__ import annotations

import pytest

from macros.models import Macro
from tests.factories import CustomerFactory
from tickets import services as ticket_services
from tickets.models import Message, ProblemLink, Ticket, TicketMerge

from .conftest import desk_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def macro(manager):
    return Macro.objects.create(
        name="Thanks",
        body="Thanks {{ customer.first_name }}!",
        owner=manager,
        is_shared=True,
        set_status="pending",
    )


def test_picker_lists_usable_macros_rendered_in_constant_queries(
    desk, agent, manager, make_ticket, macro, django_assert_num_queries
):
    ticket = make_ticket()
    Macro.objects.create(name="Private", body="x", owner=manager)  # the manager's own
    url = f"/desk/tickets/{ticket.pk}/macros/"
    # session, user, the agent's time zone (team calendar), ticket (with its relations), tags,
    # identities, macros
    with django_assert_num_queries(7):
        response = desk.get(url)
    html = response.content.decode()
    assert 'data-body="Thanks Carla!"' in html
    assert "Private" not in html
    assert "status pending" in html
    for n in range(10):
        Macro.objects.create(name=f"m{n}", body="{{ ticket.number }}", owner=agent)
    with django_assert_num_queries(7):
        assert desk.get(url).content.decode().count("data-macro=") == 11


def test_reply_with_a_picked_macro_applies_it(desk, make_ticket, macro):
    ticket = make_ticket()
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {
            "body": "Thanks Carla! (edited)",
            "visibility": "public",
            "version": ticket.version,
            "macro": macro.pk,
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert (
        Message.objects.get(ticket=ticket, direction="outbound").body_text
        == "Thanks Carla! (edited)"
    )
    assert Macro.objects.get(pk=macro.pk).usage_count == 1


def test_reply_naming_a_macro_the_agent_may_not_use_is_404(desk, make_ticket, manager):
    private = Macro.objects.create(name="Private", body="x", owner=manager)
    ticket = make_ticket()
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "x", "visibility": "public", "version": ticket.version, "macro": private.pk},
    )
    assert response.status_code == 404
    assert not Message.objects.filter(ticket=ticket, direction="outbound").exists()


def test_merge_form_redirects_to_the_target(desk, make_ticket):
    target, source = make_ticket("Original"), make_ticket("Duplicate")
    response = desk.post(f"/desk/tickets/{source.pk}/merge/", {"target": f"#{target.pk}"})
    assert response.status_code == 302
    assert response["Location"] == f"/desk/tickets/{target.pk}/"
    assert TicketMerge.objects.get(source=source).target == target


def test_merge_into_a_ticket_the_agent_cannot_see_says_so_and_changes_nothing(
    desk, make_ticket, other_team
):
    source = make_ticket("Duplicate")
    hidden = make_ticket("Theirs", team_=other_team)
    response = desk.post(f"/desk/tickets/{source.pk}/merge/", {"target": hidden.pk}, follow=True)
    assert f"No such ticket: #{hidden.pk}." in response.content.decode()
    assert Ticket.objects.get(pk=source.pk).status == "new"
    assert not TicketMerge.objects.exists()


def test_other_teams_agent_gets_404_on_every_tool(other_agent, make_ticket, macro):
    client = desk_client(other_agent)
    ticket = make_ticket()
    assert client.get(f"/desk/tickets/{ticket.pk}/macros/").status_code == 404
    for path, data in (
        ("merge/", {"target": "1"}),
        ("problem/", {"problem": "1"}),
        ("incidents/", {"incidents": "1"}),
        ("problem/settings/", {"update_body": "x"}),
    ):
        assert client.post(f"/desk/tickets/{ticket.pk}/{path}", data).status_code == 404


def test_problem_forms_link_and_configure(desk, make_ticket):
    problem, kim, ana = make_ticket("Outage"), make_ticket("Kim"), make_ticket("Ana")
    desk.post(f"/desk/tickets/{problem.pk}/incidents/", {"incidents": f"#{kim.pk}, {ana.pk}"})
    desk.post(f"/desk/tickets/{ana.pk}/incidents/{ana.pk}/unlink/")  # not a problem: an error
    assert set(ProblemLink.objects.values_list("incident", flat=True)) == {kim.pk, ana.pk}
    response = desk.post(
        f"/desk/tickets/{problem.pk}/problem/settings/",
        {"update_body": "Hi {{ customer.secret }}", "solve_incidents": "1"},
        follow=True,
    )
    assert "Unknown placeholder customer.secret" in response.content.decode()
    other = make_ticket("Third")
    desk.post(f"/desk/tickets/{other.pk}/problem/", {"problem": f"#{problem.pk}"})
    assert ProblemLink.objects.get(incident=other).problem == problem
    page = desk.get(f"/desk/tickets/{problem.pk}/").content.decode()
    assert page.count("data-incident=") == 3


def test_ticket_page_queries_with_merges_and_incidents(
    agent, desk, make_ticket, customer, django_assert_max_num_queries
):
    problem = make_ticket("Outage")
    incidents = [make_ticket(f"i{n}", requester=CustomerFactory()) for n in range(8)]
    ticket_services.problem_incidents_link(problem=problem, incidents=incidents, actor=agent)
    for n in range(3):
        ticket_services.ticket_merge(source=make_ticket(f"dup {n}"), target=problem, actor=agent)
    # the page's 20 (tests/desk/test_pages.py) and the problem's incidents
    with django_assert_max_num_queries(25):  # goodwill, the agent's zone, the reply's route
        response = desk.get(f"/desk/tickets/{problem.pk}/")
    assert response.content.decode().count("merged-from") == 3
