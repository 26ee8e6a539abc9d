"""The desk's search page and the header box on every page."""

from __future__ import annotations

import pytest

from tests.desk.conftest import desk_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_every_desk_page_has_the_search_box(desk, make_ticket):
    ticket = make_ticket()
    for url in ("/desk/", f"/desk/tickets/{ticket.pk}/", "/desk/search/"):
        body = desk.get(url).content.decode()
        assert 'role="search"' in body, url
        assert 'id="desk-search"' in body, url


def test_results_are_highlighted_escaped_and_linked(desk, make_ticket):
    wanted = make_ticket("Заказ <b>потерян</b>")
    wanted.messages.update(body_text="Мой заказ <img src=x onerror=alert(1)> не пришёл")
    make_ticket("Printer on fire")

    response = desk.get("/desk/search/", {"q": "заказа"})

    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="/desk/tickets/{wanted.pk}/"' in body
    assert "<mark>Заказ</mark> &lt;b&gt;потерян&lt;/b&gt;" in body
    assert "Мой <mark>заказ</mark>" in body
    assert "<img" not in body
    assert "<b>потерян" not in body
    assert "Printer on fire" not in body
    assert 'value="заказа"' in body  # the box keeps the query


def test_agents_find_only_their_teams_tickets(agent, other_agent, make_ticket, other_team):
    mine = make_ticket("Broken screen")
    theirs = make_ticket("Broken screen", team_=other_team)

    body = desk_client(agent).get("/desk/search/", {"q": "screen"}).content.decode()
    assert f"#{mine.pk} " in body
    assert f"#{theirs.pk} " not in body
    body = desk_client(other_agent).get("/desk/search/", {"q": "screen"}).content.decode()
    assert f"#{theirs.pk} " in body
    assert f"#{mine.pk} " not in body


def test_no_match_empty_query_and_too_long_query(desk, make_ticket):
    make_ticket()
    assert "No ticket you can see matches" in desk.get("/desk/search/", {"q": "zebra"}).text
    assert "Press / to get there" in desk.get("/desk/search/").text
    response = desk.get("/desk/search/", {"q": "x" * 201})
    assert response.status_code == 400
    assert 'role="alert"' in response.text


def test_search_page_is_agents_only(client, integration):
    assert client.get("/desk/search/", {"q": "x"}).status_code == 302
    assert desk_client(integration).get("/desk/search/", {"q": "x"}).status_code == 403


def test_search_page_queries_are_constant(desk, make_ticket, django_assert_num_queries):
    make_ticket("Refund please", requester=CustomerFactory(name="Kim"))
    # 8 + the agent's time zone + the search of their whole teams (the walk found too few)
    with django_assert_num_queries(10) as few:
        assert desk.get("/desk/search/", {"q": "refund"}).status_code == 200
    for _ in range(12):
        make_ticket("Refund please", requester=CustomerFactory(name="Kim"))
    with django_assert_num_queries(len(few.captured_queries)):
        assert desk.get("/desk/search/", {"q": "refund"}).text.count("<mark>") >= 13
