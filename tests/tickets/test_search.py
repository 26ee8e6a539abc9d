"""Ticket search (tickets/search.py) and `?search=` on the tickets API, on PostgreSQL: the
documents are kept by the database's triggers, whatever writes the rows."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import assert_error, client_for
from tests.factories import CustomerFactory, MessageFactory, TicketFactory
from tickets import search
from tickets.models import Direction, Tag, Ticket, TicketSearch

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def ticket_in(team, subject="Question", body="", **kwargs):
    # A requester without a name unless the test gives one: names are searched too, and a
    # generated one ("James ...") would answer a search for "jam".
    if "requester" not in kwargs:
        kwargs["requester"] = CustomerFactory(name="")
    ticket = TicketFactory(team=team, subject=subject, **kwargs)
    if body:
        MessageFactory(ticket=ticket, body_text=body)
    return ticket


def test_russian_inflected_form_finds_the_other_form(agent_client, team):
    wanted = ticket_in(team, "Где мой заказ", "Заказ не пришёл")
    in_body = ticket_in(team, "Вопрос", "Статус заказа не меняется неделю")
    ticket_in(team, "Возврат денег", "Верните деньги")

    assert set(ids(agent_client.get("/api/v1/tickets/", {"search": "заказа"}))) == {
        wanted.pk,
        in_body.pk,
    }
    # the subject outweighs a body
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "заказом"}))[0] == wanted.pk


def test_english_stems_and_baltic_diacritics_fold(agent_client, team):
    refund = ticket_in(team, "Refunds", "I want my money back")
    latvian = ticket_in(team, "Jautājums", "Kur ir mana piegāde?")
    lithuanian = ticket_in(team, "Klausimas", "Užsakymo pristatymas vėluoja")

    assert ids(agent_client.get("/api/v1/tickets/", {"search": "refund"})) == [refund.pk]
    # typed without diacritics, found with them (and the other way round)
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "piegade"})) == [latvian.pk]
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "užsakymo"})) == [lithuanian.pk]
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "uzsakymo"})) == [lithuanian.pk]


def test_persian_letter_forms_are_unified(agent_client, team):
    # the same word with the Arabic yeh/kaf a keyboard may produce
    persian = ticket_in(team, "سوال", "کیف من کجاست")
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "كيف"})) == [persian.pk]


def test_partial_email_name_phone_and_tag(agent_client, team):
    kim = ticket_in(team, requester=CustomerFactory(name="Kim Lee", email="kim@example.com"))
    other = ticket_in(team, requester=CustomerFactory(name="Ann Berg", email="ann@other.org"))
    other.requester.identities.create(kind="phone", value="+442079460321")
    tagged = ticket_in(team, "Something")
    tagged.tags.add(Tag.objects.create(name="late-delivery"))

    assert ids(agent_client.get("/api/v1/tickets/", {"search": "kim@exa"})) == [kim.pk]
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "Berg"})) == [other.pk]
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "20 7946 0321"})) == [other.pk]
    assert ids(agent_client.get("/api/v1/tickets/", {"q": "late-delivery"})) == [tagged.pk]


def test_a_customer_matched_by_name_and_email_counts_once(agent, team, monkeypatch):
    """Names and identities are each read up to MAX_CUSTOMERS, then merged: a customer found
    both ways is one customer, and no more than MAX_CUSTOMERS customers' tickets are read."""
    both = CustomerFactory(name="Rahimi Ali", email="rahimi@example.com")
    by_name = CustomerFactory(name="Maryam Rahimi", email="m@example.com")
    by_email = CustomerFactory(name="Sara K", email="sara.rahimi@example.com")
    tickets = {c.pk: ticket_in(team, requester=c).pk for c in (both, by_name, by_email)}

    found = {hit.ticket_id for hit in search.search_tickets(user=agent, text="rahimi")}
    assert found == set(tickets.values())

    monkeypatch.setattr(search, "MAX_CUSTOMERS", 2)
    found = {hit.ticket_id for hit in search.search_tickets(user=agent, text="rahimi")}
    assert len(found) == 2
    assert found < set(tickets.values())


def test_ticket_number_comes_first(agent_client, team):
    mentions = ticket_in(team, "Question", "placeholder")
    target = ticket_in(team, "Other")
    mentions.messages.update(body_text=f"see ticket {target.pk}")

    assert ids(agent_client.get("/api/v1/tickets/", {"search": f"#{target.pk}"}))[0] == target.pk
    found = ids(agent_client.get("/api/v1/tickets/", {"search": str(target.pk)}))
    assert found == [target.pk, mentions.pk]


def test_documents_follow_edits_moves_and_deletes(agent_client, team):
    ticket = ticket_in(team, "Printer", "paper jam")
    message = ticket.messages.get()
    second = ticket_in(team, "Scanner")

    message.body_text = "toner empty"
    message.save()
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "jam"})) == []
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "toner"})) == [ticket.pk]

    message.ticket = second  # as a merge moves messages
    message.save()
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "toner"})) == [second.pk]

    second.subject = "Fax"
    second.save()
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "fax"})) == [second.pk]

    second.messages.all().delete()
    second.delete()
    assert not TicketSearch.objects.filter(ticket_id=second.pk).exists()


def _refreshes() -> int:
    """How many times this transaction rebuilt a search document."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(pg_stat_get_xact_function_calls("
            "'hd_ticket_search_refresh(bigint)'::regprocedure), 0)"
        )
        return cursor.fetchone()[0]


def test_a_new_ticket_with_its_first_message_is_indexed_once(agent_client, team):
    # The ticket, its first message and its tags are one statement: every row's trigger
    # fires at its end, and only one rebuilds the document, which holds them all.
    from core import rows
    from tickets.models import Message
    from tickets.services import ticket_create

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'pl'")
    before = _refreshes()
    ticket = ticket_create(
        requester=CustomerFactory(name=""), subject="Zeppelin", body="never arrived", team=team
    )
    assert _refreshes() - before == 1
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "zeppelin arrived"})) == [ticket.pk]
    tagged = ticket_create(
        requester=CustomerFactory(name=""),
        subject="Blimp",
        body="grounded",
        team=team,
        tags=["hangar", "weather", "delay"],
    )
    assert _refreshes() - before == 2
    for word in ("blimp", "grounded", "hangar", "weather", "delay"):
        assert ids(agent_client.get("/api/v1/tickets/", {"search": word})) == [tagged.pk], word
    # a ticket written alone (no message yet) is indexed by its own trigger, then by its
    # first message's
    alone = TicketFactory(team=team, subject="Airship", requester=CustomerFactory(name=""))
    assert _refreshes() - before == 3
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "airship"})) == [alone.pk]
    MessageFactory(ticket=alone, body_text="balloon popped")
    assert _refreshes() - before == 4
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "balloon"})) == [alone.pk]
    # several messages in one statement: one rebuild, holding all of them
    rows.insert(
        [
            Message(ticket=alone, direction=Direction.INBOUND, body_text=text)
            for text in ("propeller", "rudder", "gondola")
        ]
    )
    assert _refreshes() - before == 5
    for word in ("propeller", "rudder", "gondola", "balloon"):
        assert ids(agent_client.get("/api/v1/tickets/", {"search": word})) == [alone.pk], word
    # tags added later (their own statement) are indexed by their trigger
    ticket.tags.add(Tag.objects.create(name="hindenburg"))
    assert _refreshes() - before == 6
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "hindenburg"})) == [ticket.pk]


def test_agents_search_only_their_teams(agent_client, other_agent_client, team, other_team):
    # Requesters without digits in their addresses: "#<id>" also finds the number in text,
    # and a generated customer<pk>@ address could carry the other ticket's id.
    mine = ticket_in(
        team, "Broken screen", requester=CustomerFactory(name="", email="mine@example.com")
    )
    theirs = ticket_in(
        other_team, "Broken screen", requester=CustomerFactory(name="", email="theirs@example.com")
    )

    assert ids(agent_client.get("/api/v1/tickets/", {"search": "screen"})) == [mine.pk]
    assert ids(other_agent_client.get("/api/v1/tickets/", {"search": "screen"})) == [theirs.pk]
    assert ids(agent_client.get("/api/v1/tickets/", {"search": f"#{theirs.pk}"})) == []


def test_integrations_search_their_tickets_without_notes_or_others_identities(
    integration, other_integration, team
):
    customer = CustomerFactory(name="Kim", email="kim@example.com")
    own = ticket_in(team, "Parcel", "where is it", source_integration=integration)
    MessageFactory(
        ticket=own,
        body_text="internal: customer is a reseller",
        direction=Direction.OUTBOUND,
        is_public=False,
        author_customer=None,
    )
    own.requester = customer
    own.save()
    ticket_in(team, "Parcel", "where is it", source_integration=other_integration)
    client = client_for(integration)

    assert ids(client.get("/api/v1/tickets/", {"search": "parcel"})) == [own.pk]
    assert ids(client.get("/api/v1/tickets/", {"search": "reseller"})) == []
    # the email was not submitted by this integration: it cannot search by it
    assert ids(client.get("/api/v1/tickets/", {"search": "kim@exa"})) == []
    assert ids(client_for(other_integration).get("/api/v1/tickets/", {"search": "reseller"})) == []


def test_staff_find_internal_notes(agent_client, team):
    ticket = ticket_in(team, "Parcel")
    MessageFactory(
        ticket=ticket,
        body_text="customer is a reseller",
        direction=Direction.OUTBOUND,
        is_public=False,
        author_customer=None,
    )
    assert ids(agent_client.get("/api/v1/tickets/", {"search": "reseller"})) == [ticket.pk]


def test_search_combines_with_filters_and_pages_in_rank_order(agent_client, team):
    tickets = [ticket_in(team, "Invoice wrong", "invoice") for _ in range(3)]
    tickets[0].status = "pending"
    tickets[0].save()
    best = ticket_in(team, "Invoice invoice invoice", "invoice invoice")

    first = agent_client.get("/api/v1/tickets/", {"search": "invoice", "page_size": 2})
    assert ids(first)[0] == best.pk
    second = agent_client.get(first.json()["next"])
    everything = ids(first) + ids(second)
    assert sorted(everything) == sorted([t.pk for t in tickets] + [best.pk])
    assert len(set(everything)) == 4
    pending = agent_client.get("/api/v1/tickets/", {"search": "invoice", "status": "pending"})
    assert ids(pending) == [tickets[0].pk]


def test_result_position_is_the_order_of_the_hits(team):
    """The list's `search_position`: a ticket's place among the hits, None outside them."""
    first, second, other = (ticket_in(team, "Question") for _ in range(3))
    positions = dict(
        Ticket.objects.annotate(
            search_position=search.ResultPosition([second.pk, first.pk])
        ).values_list("pk", "search_position")
    )
    assert positions == {second.pk: 0, first.pk: 1, other.pk: None}


def test_bad_search_input_is_a_400(agent_client, team):
    assert_error(agent_client.get("/api/v1/tickets/", {"search": "x" * 201}), 400, field="search")
    assert_error(agent_client.get("/api/v1/tickets/", {"search": "a", "q": "b"}), 400, field="q")
    assert_error(
        agent_client.get("/api/v1/tickets/", {"search": "a", "ordering": "priority"}),
        400,
        field="ordering",
    )


def test_operators_and_odd_input_do_not_break(agent_client, team):
    wanted = ticket_in(team, "Card declined", "my card was declined")
    ticket_in(team, "Card stolen", "my card was stolen")
    for text in ["'", '"', "!!!", "a & b | c", "the", "-", "<script>", "%", "\\"]:
        assert agent_client.get("/api/v1/tickets/", {"search": text}).status_code == 200
    found = ids(agent_client.get("/api/v1/tickets/", {"search": "card -stolen"}))
    assert found == [wanted.pk]


def test_search_queries_are_constant(agent_client, team, django_assert_num_queries):
    def run():
        response = agent_client.get("/api/v1/tickets/", {"search": "refund"})
        assert response.status_code == 200
        return response

    for _ in range(2):
        ticket_in(team, "Refund", "refund please")
    run()  # the token's first request reads its row; later ones find it cached
    # 7 (the token is cached): ... the agent's walk of their newest rows, then (it found fewer
    # than MAX_RESULTS) the whole of their teams
    with django_assert_num_queries(7) as few:
        run()
    for _ in range(8):
        ticket_in(team, "Refund", "refund please").tags.add(Tag.objects.get_or_create(name="x")[0])
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(ids(run())) == 10


def test_highlights_escape_and_mark(agent, team):
    ticket = ticket_in(team, "Order <b>late</b>", "Fees & taxes: 5 < 7, <script>x</script> late")
    marks = search.highlights(user=agent, ticket_ids=[ticket.pk], text="late")[ticket.pk]
    assert marks.subject == "Order &lt;b&gt;<mark>late</mark>&lt;/b&gt;"
    # ts_headline drops what its parser reads as tags; the rest is escaped
    assert marks.snippet == "Fees &amp; taxes: 5 &lt; 7,  x  <mark>late</mark>"


def test_sqlite_fallback_matches_every_word(agent, team):
    """The fallback's own query (what `make run` uses); run here on PostgreSQL."""
    wanted = ticket_in(team, "Printer", "paper jam again")
    ticket_in(team, "Printer", "no toner")
    visible = search.tickets_visible_to(agent)
    assert search._fallback(visible, "printer JAM") == [(wanted.pk, 0.5)]
    assert connection.vendor == "postgresql"


def test_windows_widen_until_enough_matches(agent, team, monkeypatch):
    """The newest window first; with fewer than MAX_RESULTS there, the next one, then all."""
    old = [ticket_in(team, "Warranty claim") for _ in range(3)]
    for _ in range(4):
        ticket_in(team, "Printer")
    monkeypatch.setattr(search, "WINDOWS", (2, 5, None))
    monkeypatch.setattr(search, "MAX_RESULTS", 2)
    found = [hit.ticket_id for hit in search.search_tickets(user=agent, text="warranty")]
    assert found == [old[2].pk, old[1].pk]  # the two newest matches, from the widest window
    monkeypatch.setattr(search, "MAX_RESULTS", 200)
    found = [hit.ticket_id for hit in search.search_tickets(user=agent, text="warranty")]
    assert found == [t.pk for t in reversed(old)]


def test_agents_search_their_teams_and_assignments_as_the_tickets_move(
    agent, team, other_team, monkeypatch
):
    """The search row carries the ticket's team and assignee (the triggers copy them when
    they change): an agent finds their teams' tickets and those assigned to them, newest
    first, and a ticket leaves their results when it leaves their sight."""
    mine = [ticket_in(team, "Warranty claim") for _ in range(3)]
    theirs = ticket_in(other_team, "Warranty claim")
    assigned = ticket_in(other_team, "Warranty claim", assignee=agent)

    def found():
        return [hit.ticket_id for hit in search.search_tickets(user=agent, text="warranty")]

    assert found() == [assigned.pk, *(t.pk for t in reversed(mine))]
    monkeypatch.setattr(search, "MAX_RESULTS", 2)
    assert found() == [assigned.pk, mine[2].pk]  # the newest two of everything visible
    monkeypatch.undo()

    mine[0].team = other_team  # escalated away: gone from the agent's results
    mine[0].save(update_fields=["team"])
    theirs.assignee = agent  # assigned to the agent in another team: found
    theirs.save(update_fields=["assignee"])
    assigned.assignee = None
    assigned.save(update_fields=["assignee"])
    assert found() == [theirs.pk, mine[2].pk, mine[1].pk]
    row = TicketSearch.objects.get(ticket=mine[0])
    assert (row.team_id, row.assignee_id) == (other_team.pk, None)


def test_agents_walk_their_newest_rows_then_look_further(agent, team, monkeypatch):
    """Each of the agent's teams is first read for its newest AGENT_WALK rows; when that finds
    too few, the whole team is searched (older matches are never lost)."""
    older = [ticket_in(team, "Warranty claim") for _ in range(2)]
    ticket_in(team, "Invoice question")  # the newest: no match
    monkeypatch.setattr(search, "AGENT_WALK", 1)
    monkeypatch.setattr(search, "MAX_RESULTS", 3)
    found = [hit.ticket_id for hit in search.search_tickets(user=agent, text="warranty")]
    assert found == [older[1].pk, older[0].pk]
