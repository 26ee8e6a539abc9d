"""The knowledge-base API: agents write drafts, managers publish and archive, integrations
read what an anonymous visitor reads; versions, attachments, drafts from solved tickets."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.models import Article, ArticleAttachment, ArticleVersion
from tests.conftest import assert_error
from tests.factories import ArticleFactory, CustomerFactory, TierFactory
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

NEW = {
    "translations": [
        {"locale": "en", "title": "Track your parcel", "body_md": "Open the **tracking** link."},
        {"locale": "fa", "title": "پیگیری مرسوله", "body_md": "پیوند پیگیری را باز کنید."},
    ],
    "tags": ["Delivery", "tracking"],
}


def test_agent_creates_a_draft_with_rendered_sanitized_translations(agent_client):
    body = {
        "translations": [
            {
                "locale": "en",
                "title": "Embed the widget",
                "body_md": "Click [here](javascript:alert(1)) <script>alert(2)</script> **now**",
            }
        ]
    }

    response = agent_client.post("/api/v1/help/articles/", body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft"
    [translation] = data["translations"]
    assert translation["slug"] == "embed-the-widget"
    assert "<strong>now</strong>" in translation["body_html"]
    assert "<script>" not in translation["body_html"]
    assert 'href="javascript' not in translation["body_html"]
    assert ArticleVersion.objects.get(article_id=data["id"]).changes == ["created"]


def test_unicode_slug_per_locale_and_tags_normalized(agent_client):
    response = agent_client.post("/api/v1/help/articles/", NEW, format="json")

    data = response.json()
    slugs = {t["locale"]: t["slug"] for t in data["translations"]}
    assert slugs == {"en": "track-your-parcel", "fa": "پیگیری-مرسوله"}
    assert data["tags"] == ["delivery", "tracking"]


def test_unknown_locale_is_a_400_and_writes_nothing(agent_client):
    body = {"translations": [{"locale": "de", "title": "Lieferung", "body_md": "x"}]}

    response = agent_client.post("/api/v1/help/articles/", body, format="json")

    assert_error(response, 400, "invalid", "translations.0.locale")
    assert not Article.objects.exists()


def test_tier_only_article_without_a_tier_is_refused(agent_client):
    response = agent_client.post(
        "/api/v1/help/articles/", {**NEW, "visibility": "tiers"}, format="json"
    )

    assert_error(response, 400, field="min_tier")
    assert not Article.objects.exists()


def test_agent_may_not_publish_manager_may(agent_client, manager_client):
    article_id = agent_client.post("/api/v1/help/articles/", NEW, format="json").json()["id"]

    refused = agent_client.post(f"/api/v1/help/articles/{article_id}/publish/")
    published = manager_client.post(f"/api/v1/help/articles/{article_id}/publish/")

    assert_error(refused, 403)
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_at"]


def test_agent_cannot_edit_a_published_article_but_a_manager_can(agent_client, manager_client):
    article = ArticleFactory(title="Old title")
    change = {"translations": [{"locale": "en", "title": "New title"}]}

    refused = agent_client.patch(f"/api/v1/help/articles/{article.pk}/", change, format="json")
    edited = manager_client.patch(f"/api/v1/help/articles/{article.pk}/", change, format="json")

    assert_error(refused, 409, "not_draft")
    assert edited.status_code == 200
    assert edited.json()["translations"][0]["title"] == "New title"
    assert edited.json()["status"] == "published"


def test_stale_version_is_a_conflict_and_changes_nothing(agent_client):
    created = agent_client.post("/api/v1/help/articles/", NEW, format="json").json()
    url = f"/api/v1/help/articles/{created['id']}/"
    first = {"version": created["version"], "translations": [{"locale": "en", "title": "A"}]}
    agent_client.patch(url, first, format="json")

    stale = agent_client.patch(
        url,
        {"version": created["version"], "translations": [{"locale": "en", "title": "B"}]},
        format="json",
    )

    assert_error(stale, 409, "stale_version")
    assert agent_client.get(url).json()["translations"][0]["title"] == "A"


def test_version_history_records_who_changed_what(agent, agent_client, manager_client):
    created = agent_client.post("/api/v1/help/articles/", NEW, format="json").json()
    url = f"/api/v1/help/articles/{created['id']}/"
    agent_client.patch(
        url, {"translations": [{"locale": "en", "body_md": "Use the app."}]}, format="json"
    )
    manager_client.post(f"{url}publish/")

    history = agent_client.get(f"{url}versions/").json()

    assert [(v["locale"], v["changes"]) for v in history] == [
        ("en", ["created"]),
        ("fa", ["created"]),
        ("en", ["body_md"]),
        ("", ["status"]),
    ]
    assert history[2]["author"] == agent.username
    assert history[2]["body_md"] == "Use the app."
    assert history[3]["status"] == "published"


def test_integration_reads_published_public_articles_only(integration_client):
    public = ArticleFactory(title="Public")
    draft = ArticleFactory(title="Draft", status="draft")
    internal = ArticleFactory(title="Internal", visibility="internal")
    tiered = ArticleFactory(title="Gold", visibility="tiers", min_tier=TierFactory(rank=50))

    listed = integration_client.get("/api/v1/help/articles/").json()["results"]

    assert [row["id"] for row in listed] == [public.pk]
    for hidden in (draft, internal, tiered):
        assert_error(integration_client.get(f"/api/v1/help/articles/{hidden.pk}/"), 404)
    assert_error(integration_client.post("/api/v1/help/articles/", NEW, format="json"), 403)


def test_attachment_within_limits_is_stored_and_oversize_is_refused(agent_client, settings):
    article_id = agent_client.post("/api/v1/help/articles/", NEW, format="json").json()["id"]
    url = f"/api/v1/help/articles/{article_id}/attachments/"
    settings.ATTACHMENT_MAX_BYTES = 1000
    png = SimpleUploadedFile("map.png", b"\x89PNG\r\n" + b"0" * 100, content_type="image/png")
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * 2000, content_type="image/png")
    exe = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/x-msdownload")

    stored = agent_client.post(url, {"file": png}, format="multipart")
    too_big = agent_client.post(url, {"file": big}, format="multipart")
    wrong_type = agent_client.post(url, {"file": exe}, format="multipart")

    assert stored.status_code == 201, stored.content
    assert stored.json()["url"].startswith(f"/help/files/{stored.json()['id']}/")
    assert_error(too_big, 400, field="file")
    assert_error(wrong_type, 400, field="file")
    assert ArticleAttachment.objects.count() == 1


def _solved_ticket(team, agent, status="solved"):
    customer = CustomerFactory()
    ticket = ticket_services.ticket_create(
        requester=customer,
        subject="Где мой заказ?",
        body="Заказ не пришёл уже неделю.",
        team=team,
    )
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="Note: VIP", public=False)
    ticket_services.ticket_reply(
        ticket=ticket, author=agent, body="Проверьте ссылку отслеживания в письме.", status=status
    )
    return ticket


def test_draft_from_a_solved_ticket_keeps_question_and_public_answer(agent, agent_client, team):
    ticket = _solved_ticket(team, agent)

    response = agent_client.post(
        "/api/v1/help/articles/from-ticket/", {"ticket": ticket.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    data = response.json()
    [translation] = data["translations"]
    assert (data["status"], data["visibility"], data["source_ticket"]) == (
        "draft",
        "internal",
        ticket.pk,
    )
    assert translation["locale"] == "ru"
    assert translation["title"] == "Где мой заказ?"
    assert "Заказ не пришёл" in translation["body_md"]
    assert "Проверьте ссылку" in translation["body_md"]
    assert "VIP" not in translation["body_md"]


def test_draft_from_an_open_ticket_is_refused(agent, agent_client, team):
    ticket = _solved_ticket(team, agent, status="pending")

    response = agent_client.post(
        "/api/v1/help/articles/from-ticket/", {"ticket": ticket.pk}, format="json"
    )

    assert_error(response, 409, "not_solved")
    assert not Article.objects.exists()


def test_draft_from_a_ticket_of_another_team_is_not_found(agent, other_agent_client, team):
    ticket = _solved_ticket(team, agent)

    response = other_agent_client.post(
        "/api/v1/help/articles/from-ticket/", {"ticket": ticket.pk}, format="json"
    )

    assert_error(response, 400, field="ticket")


def test_create_is_idempotent(agent_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "kb-1"}

    first = agent_client.post("/api/v1/help/articles/", NEW, format="json", **headers)
    again = agent_client.post("/api/v1/help/articles/", NEW, format="json", **headers)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Article.objects.count() == 1


def test_search_endpoint_answers_as_the_named_customer_sees(integration_client, integration):
    gold = TierFactory(name="Gold", rank=50)
    ArticleFactory(title="Invoice copies", body_md="Download invoices from your account.")
    ArticleFactory(title="Invoice for gold", visibility="tiers", min_tier=gold)
    customer = CustomerFactory(tier=gold, source_integration=integration)

    anonymous = integration_client.get("/api/v1/help/search/", {"q": "invoice"}).json()
    as_customer = integration_client.get(
        "/api/v1/help/search/", {"q": "invoice", "customer": customer.pk}
    ).json()

    assert [r["title"] for r in anonymous] == ["Invoice copies"]
    assert {r["title"] for r in as_customer} == {"Invoice copies", "Invoice for gold"}
    assert "<mark>" in anonymous[0]["headline"]


def test_search_without_words_is_a_400(integration_client):
    assert_error(integration_client.get("/api/v1/help/search/", {"q": " "}), 400, field="q")
