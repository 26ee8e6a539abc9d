"""/api/v1/channels/: managers configure, agents read, settings validated per kind."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tickets.channels.models import Channel

from .conftest import make_channel

pytestmark = pytest.mark.django_db


def test_manager_creates_an_email_channel(manager_client, team):
    response = manager_client.post(
        "/api/v1/channels/",
        {
            "kind": "email",
            "name": "Support",
            "settings": {
                "address": "Support@Acme.test",
                "imap": {"host": "imap.acme.test", "username": "s", "password": "hunter2"},
            },
            "default_team_id": team.pk,
            "default_priority": "high",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["settings"]["address"] == "support@acme.test"
    assert body["settings"]["imap"]["password"] == "********"
    assert body["default_priority"] == "high"
    channel = Channel.objects.get()
    assert channel.address == "support@acme.test"
    assert channel.settings["imap"]["password"] == "hunter2"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "email", "name": "A", "settings": {}}, "settings.address"),
        ({"kind": "email", "name": "A", "settings": {"address": "nope"}}, "settings.address"),
        ({"kind": "phone", "name": "A", "settings": {"number": "12"}}, "settings.number"),
        (
            {"kind": "social", "name": "A", "settings": {"platform": "myspace", "account": "a"}},
            "settings.platform",
        ),
        (
            {"kind": "chat", "name": "A", "settings": {"widget_id": "w", "colour": "red"}},
            "settings.colour",
        ),
        (
            {
                "kind": "chat",
                "name": "A",
                "settings": {"widget_id": "w", "webhook_url": "http://10.1.2.3/x"},
            },
            "settings.webhook_url",
        ),
        ({"name": "A", "settings": {}}, "kind"),
    ],
)
def test_invalid_settings_are_400_per_field(manager_client, payload, field):
    assert_error(manager_client.post("/api/v1/channels/", payload, format="json"), 400, field=field)
    assert Channel.objects.count() == 0


def test_mailbox_address_is_unique(manager_client, email_channel):
    payload = {"kind": "email", "name": "Again", "settings": {"address": "support@acme.test"}}
    response = manager_client.post("/api/v1/channels/", payload, format="json")
    assert_error(response, 400, field="settings.address")


def test_patch_keeps_a_secret_that_is_not_resent(manager_client, chat_channel):
    response = manager_client.patch(
        f"/api/v1/channels/{chat_channel.pk}/",
        {"settings": {"widget_id": "w-2", "webhook_url": "http://127.0.0.1:9/x"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    chat_channel.refresh_from_db()
    assert chat_channel.settings["widget_id"] == "w-2"
    assert chat_channel.settings["webhook_secret"] == "chat-secret"


def test_kind_cannot_change(manager_client, chat_channel):
    response = manager_client.patch(
        f"/api/v1/channels/{chat_channel.pk}/", {"kind": "email"}, format="json"
    )
    assert_error(response, 400, field="kind")


def test_agents_list_channels_in_constant_queries(
    agent_client, team, django_assert_max_num_queries
):
    for n in range(5):
        make_channel("phone", f"Line {n}", number=f"+44207946000{n}")
    with django_assert_max_num_queries(6):
        response = agent_client.get("/api/v1/channels/?kind=phone")
    assert len(response.json()["results"]) == 5


def test_sending_back_what_was_shown_keeps_the_nested_imap_password(manager_client, team):
    mailbox = make_channel(
        "email",
        "IMAP mailbox",
        address="imap@acme.test",
        imap={"host": "imap.acme.test", "username": "support", "password": "s3cret"},
    )
    shown = manager_client.get(f"/api/v1/channels/{mailbox.pk}/").json()["settings"]
    assert shown["imap"]["password"] == "********"
    response = manager_client.patch(
        f"/api/v1/channels/{mailbox.pk}/", {"settings": shown}, format="json"
    )
    assert response.status_code == 200, response.content
    mailbox.refresh_from_db()
    assert mailbox.settings["imap"]["password"] == "s3cret"
