"""Satisfaction surveys: one per solved ticket, sent on the ticket's channel, answered through
a signed expiring link without logging in; answering twice updates."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.tasks import sweep as outbox_sweep
from reports.rollups.refresh import rollups_refresh
from success.models import FollowUp, FollowUpState, Survey
from success.surveys import survey_token
from success.tasks import followup_sweep as _followup_sweep
from tests.factories import FollowUpRuleFactory, UserFactory
from tickets import services as tickets
from tickets.models import Direction

pytestmark = pytest.mark.django_db


def followup_sweep() -> int:
    """The follow-up sweep, then the outbox's (on_commit does not run in these tests)."""
    done = _followup_sweep()
    outbox_sweep()
    return done


@pytest.fixture
def survey_rule(db):
    return FollowUpRuleFactory(
        trigger="ticket_solved", action="survey", delay_minutes=30, subject="", body=""
    )


@pytest.fixture
def solved(customer, team):
    agent = UserFactory(teams=[team])
    ticket = tickets.ticket_create(
        requester=customer, subject="Grinder jams", body="Help", team=team
    )
    tickets.ticket_reply(ticket=ticket, author=agent, body="Fixed!", status="solved")
    ticket.refresh_from_db()
    return ticket


def _link(message) -> str:
    return re.search(r"https?://\S+/surveys/(\S+)/", message.body_text).group(0)


def _answer_path(survey) -> str:
    return f"/surveys/{survey_token(survey)}/"


def test_a_solved_ticket_gets_one_survey_on_its_channel(survey_rule, solved):
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        followup_sweep()
    survey = Survey.objects.get()
    assert survey.ticket == solved
    message = FollowUp.objects.get().result_message
    assert message.direction == Direction.OUTBOUND
    assert message.is_public
    # A web ticket cannot carry it: it goes by email, and the message records so.
    assert (solved.channel, message.channel) == ("web", "email")
    assert "/surveys/" in _link(message)
    row = OutboxMessage.objects.get(message=message)
    assert (row.state, row.recipient, row.purpose) == ("sent", "kim@example.com", "survey")
    assert survey.message == message
    survey.refresh_from_db()
    assert survey.sent_at == row.sent_at
    assert FollowUp.objects.get().state == FollowUpState.SENT

    # reopened and solved again: still one survey for the ticket
    tickets.ticket_update(ticket=solved, actor=None, status="open")
    tickets.ticket_update(ticket=solved, actor=None, status="solved")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        followup_sweep()
    assert Survey.objects.count() == 1
    assert FollowUp.objects.count() == 1


def test_a_survey_nothing_can_carry_is_skipped_and_never_counted(survey_rule, team, manager_client):
    from customers.services import IdentityInput, customer_create

    caller = customer_create(name="Caller", identities=[IdentityInput("phone", "+442079460958")])
    agent = UserFactory(teams=[team])
    ticket = tickets.ticket_create(requester=caller, subject="Call", body="x", channel="phone")
    tickets.ticket_reply(
        ticket=ticket, author=agent, body="Done", status="solved", record_unsent=True
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        followup_sweep()
    followup = FollowUp.objects.get()
    assert followup.state == FollowUpState.SKIPPED
    assert "nothing can carry" in followup.outcome
    assert not Survey.objects.exists()
    report = manager_client.get("/api/v1/reports/satisfaction/").json()
    assert report["surveys_sent"] == 0


def test_a_survey_still_in_the_outbox_is_not_counted_as_sent(survey_rule, solved, manager_client):
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        _followup_sweep()  # the outbox has not sent it yet
    survey = Survey.objects.get()
    assert survey.sent_at is None
    assert FollowUp.objects.get().state == FollowUpState.SENDING
    assert manager_client.get("/api/v1/reports/satisfaction/").json()["surveys_sent"] == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=32)):
        outbox_sweep()
    rollups_refresh()  # beat's refresh (the report reads the rollups at most 120 s stale)
    assert manager_client.get("/api/v1/reports/satisfaction/").json()["surveys_sent"] == 1


def test_a_ticket_reopened_before_the_survey_is_due_gets_none(survey_rule, solved):
    tickets.ticket_update(ticket=solved, actor=None, status="open")
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        followup_sweep()
    assert not Survey.objects.exists()
    assert FollowUp.objects.get().state == FollowUpState.SKIPPED


@pytest.fixture
def survey(survey_rule, solved):
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        followup_sweep()
    return Survey.objects.get()


def test_the_link_in_the_message_opens_the_form(survey):
    link = _link(FollowUp.objects.get().result_message)
    response = Client().get(link.split("localhost:8000", 1)[1])
    assert response.status_code == 200
    assert b"Grinder jams" in response.content
    assert b'name="csat"' in response.content
    assert b'name="ces"' in response.content


def test_answer_by_json_then_update_by_form(survey):
    client = Client()
    first = client.post(
        _answer_path(survey), {"csat": 2, "ces": 6, "nps": 3}, content_type="application/json"
    )
    assert first.status_code == 200, first.content
    survey.refresh_from_db()
    assert (survey.csat, survey.ces, survey.nps) == (2, 6, 3)

    again = client.post(_answer_path(survey), {"csat": "5", "ces": "1", "comment": "Great"})
    assert again.status_code == 200
    assert b"Thank you" in again.content
    survey.refresh_from_db()
    assert (survey.csat, survey.ces, survey.nps, survey.comment) == (5, 1, None, "Great")
    assert Survey.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"csat": 6}, "csat"), ({"ces": 0}, "ces"), ({"nps": 11}, "nps"), ({}, "csat")],
)
def test_out_of_range_answers_are_400_and_change_nothing(survey, body, field):
    response = Client().post(_answer_path(survey), body, content_type="application/json")
    assert response.status_code == 400
    assert field in {f["field"] for f in response.json()["error"]["fields"]}
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_deeply_nested_json_answer_is_a_400_too_deep_and_changes_nothing(survey):
    body = '{"csat": 5, "comment": ' + "[" * 1500 + "]" * 1500 + "}"
    response = Client().post(_answer_path(survey), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_deep"
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_forged_and_expired_links_are_404(survey, settings):
    assert Client().get(_answer_path(survey) + "x/").status_code == 404
    forged = survey_token(survey)[:-2] + "xx"
    assert Client().get(f"/surveys/{forged}/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=settings.SURVEY_TTL_DAYS + 1)):
        response = Client().post(_answer_path(survey), {"csat": 5}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_managers_list_answers_with_scores_on_0_to_100(survey, manager_client, agent_client):
    Client().post(_answer_path(survey), {"csat": 4, "ces": 2}, content_type="application/json")
    row = manager_client.get("/api/v1/surveys/", {"answered": "true"}).json()["results"][0]
    assert (row["csat_score"], row["ces_score"]) == (75.0, 16.7)
    report = manager_client.get("/api/v1/reports/satisfaction/").json()
    documented = ("surveys_sent", "answers", "csat", "ces", "nps")  # breakdowns come after
    assert {key: report[key] for key in documented} == {
        "surveys_sent": 1, "answers": 1, "csat": 75.0, "ces": 16.7, "nps": None,
    }  # fmt: skip
    assert report["response_rate"] == 100.0
    assert agent_client.get("/api/v1/surveys/").status_code == 403
