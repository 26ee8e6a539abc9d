"""A visitor's conversation through /chat/api/: the chat intake's one pipeline (stored raw,
deduped, threaded into one ticket), the pre-chat rules, offline, history and settings."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tickets.channels.models import ChannelThread, InboundMessage
from tickets.models import Direction, Message, Ticket
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


def test_first_message_opens_a_chat_ticket_through_the_intake(visitor, online):
    started = visitor.start()
    assert started.status_code == 200
    config = started.json()["config"]
    assert (config["color"], config["greeting"], config["agents_available"]) == (
        "#0b7a53",
        "Hi! Ask us anything.",
        True,
    )
    assert started.json()["conversation"] is None

    response = visitor.say("My parcel is late", client_id="c-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"]["author"] == "visitor"
    assert body["message"]["body"] == "My parcel is late"
    row = InboundMessage.objects.get()
    assert (row.kind, row.state, row.door) == ("chat", "processed", "api")
    ticket = row.ticket
    assert (ticket.channel, ticket.subject) == ("chat", "Chat: My parcel is late")
    thread = ChannelThread.objects.get(ticket=ticket)
    assert body["conversation"] == thread.pk

    visitor.say("Order 1234")
    assert Ticket.objects.count() == 1
    assert ticket.messages.filter(direction=Direction.INBOUND).count() == 2


def test_a_resent_message_is_a_duplicate(visitor, online):
    visitor.start()
    first = visitor.say("Hello", client_id="same").json()["message"]
    again = visitor.say("Hello", client_id="same").json()["message"]
    assert first["id"] == again["id"]
    assert Message.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_history_survives_a_new_page_load(visitor, online, agent):
    visitor.start()
    visitor.say("Where is my order?")
    ticket = Ticket.objects.get()
    ticket_reply(ticket=ticket, author=agent, body="On its way.")
    ticket_reply(ticket=ticket, author=agent, body="internal only", public=False)

    visitor.start()  # the next page: the frame starts again with its stored token
    messages = visitor.get("history/").json()["messages"]
    assert [(m["author"], m["body"]) for m in messages] == [
        ("visitor", "Where is my order?"),
        ("agent", "On its way."),
    ]
    assert messages[1]["name"] == agent.display_name


def test_required_prechat_fields_are_asked_first(visitor, widget_channel, online):
    widget_channel.settings["prechat"] = {"name": "required", "email": "optional"}
    widget_channel.save()
    visitor.start()
    assert_error(visitor.say("Hi"), 400, field="name")
    assert Message.objects.count() == 0

    assert visitor.start(name="Kim", email="KIM@example.com").status_code == 200
    assert visitor.say("Hi").status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.requester.name == "Kim"
    assert ticket.requester.identities.get().value == "kim@example.com"


def test_with_nobody_available_the_chat_takes_a_message_with_an_email(visitor):
    started = visitor.start()
    assert started.json()["config"]["agents_available"] is False
    assert_error(visitor.say("Anyone there?"), 400, field="email")
    assert InboundMessage.objects.count() == 0

    assert_error(visitor.start(email="not-an-email"), 400, field="email")
    visitor.start(email="kim@example.com")
    assert visitor.say("Anyone there?").status_code == 201


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"color": "green"}, "settings.color"),
        ({"prechat": {"name": "sometimes"}}, "settings.prechat"),
        ({"prechat": {"phone": "required"}}, "settings.prechat"),
        ({"allowed_origins": ["https://shop.example/path"]}, "settings.allowed_origins"),
        ({"allowed_origins": "https://shop.example"}, "settings.allowed_origins"),
        ({"greeting": "x" * 501}, "settings.greeting"),
    ],
)
def test_widget_settings_are_validated(manager_client, values, field):
    payload = {"kind": "chat", "name": "C", "settings": {"widget_id": "w", **values}}
    assert_error(manager_client.post("/api/v1/channels/", payload, format="json"), 400, field=field)


def test_widget_settings_are_stored_normalized(manager_client):
    payload = {
        "kind": "chat",
        "name": "C",
        "settings": {
            "widget_id": "w",
            "color": "#112233",
            "prechat": {"email": "required"},
            "allowed_origins": ["https://Shop.Example", "https://shop.example/"],
            "offline_message": "Back at 9.",
        },
    }
    response = manager_client.post("/api/v1/channels/", payload, format="json")
    assert response.status_code == 201, response.content
    stored = response.json()["settings"]
    assert stored["prechat"] == {"name": "off", "email": "required"}
    assert stored["allowed_origins"] == ["https://shop.example"]


def test_frame_may_be_framed_only_by_the_allowed_sites(client, widget_channel):
    widget_channel.settings["allowed_origins"] = ["https://shop.example"]
    widget_channel.save()
    response = client.get(f"/chat/frame/{widget_channel.pk}/?lang=ru")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "frame-ancestors 'self' https://shop.example"
    assert "X-Frame-Options" not in response
    assert 'lang="ru"' in response.content.decode()
    assert client.get("/chat/frame/999999/").status_code == 404


def test_persian_frame_is_right_to_left(client, widget_channel):
    page = client.get(f"/chat/frame/{widget_channel.pk}/?lang=fa").content.decode()
    assert 'dir="rtl"' in page


def test_loader_script_is_served(client):
    response = client.get("/chat/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"/chat/frame/" in response.content


@pytest.mark.parametrize(
    ("lang", "title", "typing"),
    [
        ("en", "Chat with us", "Support is typing…"),
        ("ru", "Напишите нам", "Поддержка печатает…"),
        ("fa", "با ما گفتگو کنید", "پشتیبانی در حال نوشتن است…"),
    ],
)
def test_frame_speaks_the_sites_language(client, widget_channel, lang, title, typing):
    page = client.get(f"/chat/frame/{widget_channel.pk}/?lang={lang}").content.decode()
    assert f'<h1 id="chat-title">{title}</h1>' in page
    assert typing in page


def test_api_errors_are_in_the_frames_language(visitor):
    visitor.start()  # nobody online: an email is needed first
    response = visitor.post("messages/?lang=ru", {"text": "Привет"})
    error = assert_error(response, 400, field="email")
    assert "оставьте адрес почты" in error["fields"][0]["message"]


def test_suggestions_come_from_the_knowledge_base_once_it_has_published_articles(visitor):
    from tests.factories import ArticleFactory

    visitor.start()
    assert visitor.start().json()["config"]["suggestions"] is False
    ArticleFactory(title="Kettle warranty", body_md="Every kettle has a two year warranty.")
    ArticleFactory(title="Draft about kettles", status="draft")
    assert visitor.start().json()["config"]["suggestions"] is True

    found = visitor.get("suggest/", q="kettle warranty").json()["articles"]
    assert [a["title"] for a in found] == ["Kettle warranty"]
    assert found[0]["url"].startswith("http")
    assert visitor.get("suggest/", q="ke").json() == {"articles": []}
