"""desk:ticket-messages, what the ticket page's live.js fetches after a socket event: the
messages after the last one shown, rendered as the page renders them, behind the ticket
page's visibility rule, in a constant number of queries."""

from __future__ import annotations

import pytest

from tests.desk.conftest import desk_client
from tickets import services

pytestmark = pytest.mark.django_db


def url(ticket, after) -> str:
    return f"/desk/tickets/{ticket.pk}/messages/?after={after}"


def test_the_messages_after_the_last_shown_as_the_page_renders_them(
    make_ticket, agent, customer, django_assert_num_queries
):
    ticket = make_ticket("Where is my parcel?")
    first = ticket.messages.get()
    reply = services.ticket_reply(ticket=ticket, author=agent, body="On its way.")
    note = services.ticket_reply(ticket=ticket, author=agent, body="DHL says Friday", public=False)
    desk = desk_client(agent)
    page = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    response = desk.get(url(ticket, first.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(f'id="message-{reply.pk}"') < html.index(f'id="message-{note.pk}"')
    assert f'id="message-{first.pk}"' not in html
    assert "On its way." in html
    assert "Internal note" in html
    # the same markup as the page's own (one partial)
    start = page.index(f'<li class="msg outbound" id="message-{reply.pk}">')
    assert page[start : page.index("</li>", start)] in html
    assert desk.get(url(ticket, note.pk)).content.decode().strip() == ""
    for _ in range(3):
        services.customer_message_add(ticket=ticket, customer=customer, body="Any news?")
    # session, user, agent locale, ticket, teams, messages, attachments, merges: constant
    with django_assert_num_queries(8):
        assert desk.get(url(ticket, first.pk)).content.decode().count('<li class="msg') == 5
    for _ in range(5):
        services.customer_message_add(ticket=ticket, customer=customer, body="Hello?")
    with django_assert_num_queries(8):
        assert desk.get(url(ticket, first.pk)).content.decode().count('<li class="msg') == 10


def test_another_teams_agent_gets_404_and_a_bad_after_is_400(make_ticket, other_agent, agent):
    ticket = make_ticket()
    assert desk_client(other_agent).get(url(ticket, 0)).status_code == 404
    assert desk_client(agent).get(url(ticket, "1 OR 1=1")).status_code == 400
    anonymous = desk_client(agent)
    anonymous.logout()
    assert anonymous.get(url(ticket, 0)).status_code == 302  # to the sign-in page


def test_one_message_again_after_its_delivery_changed(make_ticket, agent, other_agent):
    ticket = make_ticket("Where is my parcel?")
    other = make_ticket("Another ticket")
    first = ticket.messages.get()
    reply = services.ticket_reply(ticket=ticket, author=agent, body="On its way.")
    desk = desk_client(agent)
    html = desk.get(f"/desk/tickets/{ticket.pk}/messages/?message={reply.pk}").content.decode()
    assert html.count('<li class="msg') == 1
    assert f'id="message-{reply.pk}"' in html
    assert f'id="message-{first.pk}"' not in html
    # another ticket's message through this ticket's address: nothing
    foreign = other.messages.get()
    assert (
        desk.get(f"/desk/tickets/{ticket.pk}/messages/?message={foreign.pk}").content.strip() == b""
    )
    assert desk.get(f"/desk/tickets/{ticket.pk}/messages/?message=x").status_code == 400
    assert (
        desk_client(other_agent).get(f"/desk/tickets/{ticket.pk}/messages/?message={reply.pk}")
    ).status_code == 404
