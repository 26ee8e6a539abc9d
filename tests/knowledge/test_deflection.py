"""Deflection: suggestions before a ticket (API), their outcomes and the self-service report;
suggested articles on the desk's ticket page; the Self-service tier's automatic answer naming
articles in the customer's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from knowledge import feedback
from knowledge.models import Deflection, SearchLog
from tests.conftest import assert_error, client_for
from tests.factories import (
    ArticleFactory,
    CustomerFactory,
    IntegrationFactory,
    OrganizationFactory,
    TierFactory,
)
from tickets import services as ticket_services
from tickets.models import ChannelKind, Message

pytestmark = pytest.mark.django_db

DRAFT = {
    "subject": "Где мой заказ?",
    "body": "Здравствуйте! Сроки доставки прошли, а заказ №4411 так и не пришёл. "
    "Отслеживание ничего не показывает.",
}


@pytest.fixture
def articles():
    return {
        "tracking": ArticleFactory(
            locale="ru",
            title="Отслеживание заказа",
            body_md="Ссылка для отслеживания приходит в письме после отправки заказа.",
        ),
        "delivery": ArticleFactory(
            locale="ru", title="Сроки доставки", body_md="Доставка занимает 2-3 рабочих дня."
        ),
        "returns": ArticleFactory(
            locale="ru", title="Возврат товара", body_md="Вернуть можно в течение 14 дней."
        ),
        "vip": ArticleFactory(
            locale="ru",
            title="Доставка для премиум-клиентов",
            body_md="Заказ доставляет личный курьер.",
            visibility="tiers",
            min_tier=TierFactory(name="Premium", rank=90),
        ),
    }


def test_suggest_returns_the_best_articles_with_scores_in_the_drafts_language(
    integration_client, articles
):
    response = integration_client.post("/api/v1/help/suggest/", DRAFT, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["locale"] == "ru"
    titles = [s["title"] for s in data["suggestions"]]
    assert titles[:2] == ["Отслеживание заказа", "Сроки доставки"]
    assert "Возврат товара" not in titles
    assert "Доставка для премиум-клиентов" not in titles  # anonymous: no tier articles
    scores = [s["score"] for s in data["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0
    assert Deflection.objects.get(pk=data["id"]).outcome == "pending"


def test_suggest_for_a_premium_customer_includes_the_tiers_articles(
    integration, integration_client, articles
):
    customer = CustomerFactory(tier=articles["vip"].min_tier, source_integration=integration)

    data = integration_client.post(
        "/api/v1/help/suggest/", {**DRAFT, "customer": customer.pk}, format="json"
    ).json()

    assert "Доставка для премиум-клиентов" in [s["title"] for s in data["suggestions"]]


def test_suggest_for_a_customer_the_integration_does_not_know_is_a_400(
    other_integration_client, integration, articles
):
    customer = CustomerFactory(source_integration=integration)

    response = other_integration_client.post(
        "/api/v1/help/suggest/", {**DRAFT, "customer": customer.pk}, format="json"
    )

    assert_error(response, 400, field="customer")
    assert not Deflection.objects.exists()


def test_suggest_without_text_is_a_400_and_records_nothing(integration_client):
    response = integration_client.post(
        "/api/v1/help/suggest/", {"subject": " ", "body": ""}, format="json"
    )

    assert_error(response, 400, field="subject")
    assert not Deflection.objects.exists()


def _suggest(client):
    return client.post("/api/v1/help/suggest/", DRAFT, format="json").json()


def test_outcomes_only_move_forward(integration_client, articles):
    data = _suggest(integration_client)
    url = f"/api/v1/help/suggest/{data['id']}/outcome/"
    tracking = articles["tracking"].pk

    integration_client.post(url, {"outcome": "viewed", "article": tracking}, format="json")
    solved = integration_client.post(url, {"outcome": "solved", "article": tracking}, format="json")
    late = integration_client.post(url, {"outcome": "viewed", "article": tracking}, format="json")

    assert solved.status_code == 200
    assert late.json()["outcome"] == "solved"
    assert Deflection.objects.get(pk=data["id"]).outcome_article_id == tracking


def test_outcome_ticket_names_the_created_ticket(integration, integration_client, articles):
    data = _suggest(integration_client)
    ticket = ticket_services.ticket_create(
        requester=CustomerFactory(source_integration=integration),
        subject="Где мой заказ?",
        body="Не пришёл",
        source_integration=integration,
    )

    response = integration_client.post(
        f"/api/v1/help/suggest/{data['id']}/outcome/",
        {"outcome": "ticket", "ticket": ticket.pk},
        format="json",
    )

    assert response.json()["outcome"] == "ticket"
    assert Deflection.objects.get(pk=data["id"]).ticket == ticket


def test_outcome_for_an_article_that_was_not_suggested_is_a_400(integration_client, articles):
    data = _suggest(integration_client)

    response = integration_client.post(
        f"/api/v1/help/suggest/{data['id']}/outcome/",
        {"outcome": "solved", "article": articles["returns"].pk},
        format="json",
    )

    assert_error(response, 400, field="article")
    assert Deflection.objects.get(pk=data["id"]).outcome == "pending"


def test_another_integration_cannot_report_the_outcome(integration_client, articles):
    data = _suggest(integration_client)
    stranger = client_for(IntegrationFactory())

    response = stranger.post(
        f"/api/v1/help/suggest/{data['id']}/outcome/", {"outcome": "solved"}, format="json"
    )

    assert_error(response, 404)


def test_self_service_report_measures_deflection_views_votes_and_gaps(
    manager_client, integration_client, articles
):
    basic = TierFactory(name="Basic", rank=10)
    customer = CustomerFactory(tier=basic)
    tracking = articles["tracking"]
    for outcome in ("solved", "solved", "ticket", None):
        suggestions = [type("S", (), {"article": tracking, "score": 0.5})()]
        deflection = feedback.deflection_record(
            subject="x",
            body="",
            locale="ru",
            customer=customer,
            tier=basic,
            requested_by=None,
            suggestions=suggestions,
        )
        if outcome == "solved":
            feedback.deflection_outcome(deflection=deflection, outcome="solved", article=tracking)
        elif outcome == "ticket":
            feedback.deflection_outcome(
                deflection=deflection,
                outcome="ticket",
                ticket=ticket_services.ticket_create(requester=customer, subject="x", body="y"),
            )
    _suggest(integration_client)  # anonymous, no outcome
    visitor = Client()
    url = f"/help/ru/articles/{tracking.translations.get().slug}/"
    visitor.get(url)
    visitor.post(f"{url}vote/", {"helpful": "yes"})
    Client().post(f"{url}vote/", {"helpful": "no"})
    visitor.get("/help/ru/search/", {"q": "криптовалюта"})
    visitor.get("/help/ru/search/", {"q": "Криптовалюта"})

    report = manager_client.get("/api/v1/reports/self-service/").json()

    assert report["deflection"] == {
        "suggestions": 5,
        "viewed": 0,
        "solved": 2,
        "tickets": 1,
        "no_outcome": 2,
        "deflection_rate": 0.4,
    }
    tiers = {row["name"]: row for row in report["by_tier"]}
    assert tiers["Basic"]["deflection_rate"] == 0.5
    assert tiers["(no tier / anonymous)"]["deflection_rate"] == 0.0
    row = next(r for r in report["articles"] if r["article"] == tracking.pk)
    assert (row["suggested"], row["solved"], row["views"]) == (5, 2, 1)
    assert (row["helpful_yes"], row["helpful_no"], row["helpful_rate"]) == (1, 1, 0.5)
    assert {"query": "криптовалюта", "locale": "ru", "searches": 2} in report["content_gaps"]


def test_self_service_report_period_excludes_older_suggestions(manager_client, articles):
    old = feedback.deflection_record(
        subject="x",
        body="",
        locale="en",
        customer=None,
        tier=None,
        requested_by=None,
        suggestions=[],
    )
    Deflection.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    report = manager_client.get("/api/v1/reports/self-service/").json()
    since = (timezone.now() - timedelta(days=60)).isoformat()
    wider = manager_client.get("/api/v1/reports/self-service/", {"since": since}).json()

    assert report["deflection"]["suggestions"] == 0
    assert wider["deflection"]["suggestions"] == 1


def test_self_service_report_rejects_a_bad_period(manager_client):
    response = manager_client.get("/api/v1/reports/self-service/", {"since": "last week"})

    assert_error(response, 400, field="since")


def test_desk_ticket_page_suggests_articles_with_an_insert_link_button(agent, team, articles):
    customer = CustomerFactory()
    ticket = ticket_services.ticket_create(
        requester=customer,
        subject=DRAFT["subject"],
        body=DRAFT["body"],
        team=team,
        channel=ChannelKind.EMAIL,
    )
    desk = Client()
    desk.force_login(agent)

    page = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()

    assert "Suggested articles" in page
    assert "Отслеживание заказа" in page
    assert 'class="link insert-article"' in page
    assert "Доставка для премиум-клиентов" not in page  # the customer has no such tier


def test_self_service_automatic_answer_names_articles_in_the_customers_language(articles):
    self_service = TierFactory(name="Self-service", rank=1, channels=["email"])
    customer = CustomerFactory(organization=OrganizationFactory(tier=self_service))

    ticket = ticket_services.ticket_create(
        requester=customer, subject=DRAFT["subject"], body=DRAFT["body"], channel=ChannelKind.CHAT
    )

    reply = Message.objects.get(ticket=ticket, direction="outbound").body_text
    assert "статьи нашего справочного центра" in reply
    assert "Отслеживание заказа: http" in reply
    assert "/help/ru/articles/" in reply
    assert "Возврат товара" not in reply


def test_automatic_answer_keeps_the_help_center_pointer_when_nothing_matches():
    tier = TierFactory(
        name="Self-service", rank=1, channels=["email"], self_service_url="https://help.acme.test"
    )
    customer = CustomerFactory(organization=OrganizationFactory(tier=tier))

    ticket = ticket_services.ticket_create(
        requester=customer, subject="Printer", body="Broken", channel=ChannelKind.CHAT
    )

    reply = Message.objects.get(ticket=ticket, direction="outbound").body_text
    assert "help center at https://help.acme.test" in reply


def test_every_suggest_call_is_logged_for_content_gaps(integration_client):
    integration_client.post("/api/v1/help/suggest/", {"subject": "Bitcoin refund"}, format="json")

    assert SearchLog.objects.get(source="suggest").results == 0


def test_a_failing_search_never_fails_the_ticket_and_keeps_the_pointer(monkeypatch, articles):
    from django.db import DatabaseError

    import knowledge.selectors

    def broken(**kwargs):
        raise DatabaseError("search is down")

    monkeypatch.setattr(knowledge.selectors, "suggest_articles", broken)
    tier = TierFactory(
        name="Self-service", rank=1, channels=["email"], self_service_url="https://help.acme.test"
    )
    customer = CustomerFactory(organization=OrganizationFactory(tier=tier))

    ticket = ticket_services.ticket_create(
        requester=customer, subject=DRAFT["subject"], body=DRAFT["body"], channel=ChannelKind.CHAT
    )

    reply = Message.objects.get(ticket=ticket, direction="outbound").body_text
    assert "help center at https://help.acme.test" in reply
