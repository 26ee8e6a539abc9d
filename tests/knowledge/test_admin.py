"""Managers keep the knowledge base in the admin; saves go through knowledge.services."""

from __future__ import annotations

import pytest
from django.test import Client

from knowledge.models import Article, ArticleVersion
from knowledge.search import Audience
from knowledge.selectors import search_articles
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_():
    user = UserFactory(username="root", is_staff=True, is_superuser=True, role="manager")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/knowledge/article/",
        "/admin/knowledge/article/add/",
        "/admin/knowledge/category/",
        "/admin/knowledge/category/add/",
        "/admin/knowledge/articlefeedback/",
        "/admin/knowledge/searchlog/",
        "/admin/knowledge/deflection/",
    ],
)
def test_admin_pages_open(admin_client_, url):
    assert admin_client_.get(url).status_code == 200


def test_article_added_in_the_admin_is_rendered_indexed_and_versioned(admin_client_):
    response = admin_client_.post(
        "/admin/knowledge/article/add/",
        {
            "locale": "ru",
            "title": "Оплата картой",
            "body_md": "Принимаем **банковские карты**.",
            "tags_text": "оплата, карта",
            "visibility": "public",
            **_empty_inlines(),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    translation = article.translations.get()
    assert "<strong>банковские карты</strong>" in translation.body_html
    assert article.tags == ["оплата", "карта"]
    assert ArticleVersion.objects.filter(article=article).count() == 1
    assert search_articles(query="карта", locale="ru", audience=Audience(staff=True)) == []
    admin_client_.post(
        "/admin/knowledge/article/",
        {"action": "publish", "_selected_action": [article.pk]},
    )
    assert [
        r.article for r in search_articles(query="карта", locale="ru", audience=Audience())
    ] == [article]


def test_tier_only_article_without_a_tier_is_refused_in_the_admin(admin_client_):
    response = admin_client_.post(
        "/admin/knowledge/article/add/",
        {"locale": "en", "title": "Gold", "visibility": "tiers", **_empty_inlines()},
    )

    assert response.status_code == 200  # the form again, with the error
    assert not Article.objects.exists()


def test_archive_action_takes_an_article_out_of_search(admin_client_):
    article = ArticleFactory(title="Old pricing")

    admin_client_.post(
        "/admin/knowledge/article/", {"action": "archive", "_selected_action": [article.pk]}
    )

    article.refresh_from_db()
    assert article.status == "archived"
    assert search_articles(query="pricing", locale="en", audience=Audience()) == []


def _empty_inlines() -> dict:
    data = {}
    for prefix in ("translations", "versions"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data
