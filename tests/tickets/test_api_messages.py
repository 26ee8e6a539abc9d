from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import assert_error
from tests.factories import MessageFactory, TicketFactory
from tickets.models import Attachment, EventKind, Message

pytestmark = pytest.mark.django_db


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/messages/"


def test_agent_public_reply_is_outbound_sets_first_reply_and_opens(agent_client, agent, team):
    ticket = TicketFactory(team=team)
    response = agent_client.post(url(ticket), {"body": "We are on it."}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["direction"], data["public"], data["author"]["id"]) == ("outbound", True, agent.pk)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.first_replied_at is not None
    assert ticket.version == 2


def test_reply_with_pending_status_waits_on_customer(agent_client, team):
    ticket = TicketFactory(team=team, status="open")
    agent_client.post(
        url(ticket), {"body": "Can you send a photo?", "status": "pending"}, format="json"
    )
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_internal_note_is_not_a_reply_and_hidden_from_integrations(
    agent_client, integration_client, integration, team
):
    ticket = TicketFactory(team=team, source_integration=integration)
    agent_client.post(url(ticket), {"body": "Customer is a VIP.", "public": False}, format="json")
    ticket.refresh_from_db()
    assert ticket.first_replied_at is None
    assert ticket.status == "new"
    note = Message.objects.get(ticket=ticket)
    assert not note.is_public
    assert integration_client.get(url(ticket)).json()["results"] == []
    assert len(agent_client.get(url(ticket)).json()["results"]) == 1


def test_integration_adds_customer_message_which_reopens_solved_ticket(
    integration_client, integration, team
):
    ticket = TicketFactory(team=team, status="solved", source_integration=integration)
    response = integration_client.post(url(ticket), {"body": "Still broken!"}, format="json")
    assert response.status_code == 201
    assert response.json()["direction"] == "inbound"
    assert response.json()["author"] == {
        "type": "customer",
        "id": ticket.requester_id,
        "name": str(ticket.requester),
    }
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.events.filter(kind=EventKind.REOPENED).count() == 1


def test_customer_message_on_pending_ticket_makes_it_open(integration_client, integration, team):
    ticket = TicketFactory(team=team, status="pending", source_integration=integration)
    integration_client.post(url(ticket), {"body": "Here is the photo."}, format="json")
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_message_to_closed_ticket_is_409_and_stores_nothing(integration_client, integration):
    ticket = TicketFactory(status="closed", source_integration=integration)
    assert_error(
        integration_client.post(url(ticket), {"body": "Hello?"}, format="json"), 409, "closed"
    )
    assert not Message.objects.exists()


def test_integration_cannot_write_notes_or_set_status(integration_client, integration):
    ticket = TicketFactory(source_integration=integration)
    assert_error(
        integration_client.post(url(ticket), {"body": "x", "public": False}, format="json"), 403
    )
    assert_error(
        integration_client.post(url(ticket), {"body": "x", "status": "solved"}, format="json"), 403
    )
    assert not Message.objects.exists()


def test_empty_message_is_400(agent_client, team):
    ticket = TicketFactory(team=team)
    assert_error(agent_client.post(url(ticket), {"body": "  "}, format="json"), 400, field="body")


def test_stale_reply_is_409(agent_client, team):
    ticket = TicketFactory(team=team, version=5)
    assert_error(
        agent_client.post(url(ticket), {"body": "x", "version": 4}, format="json"),
        409,
        "stale_version",
    )
    assert not Message.objects.exists()


def test_conversation_is_oldest_first_with_constant_queries(
    agent_client, team, django_assert_max_num_queries
):
    ticket = TicketFactory(team=team)
    first = MessageFactory(ticket=ticket)
    for _ in range(10):
        MessageFactory(ticket=ticket)
    with django_assert_max_num_queries(6):
        results = agent_client.get(url(ticket)).json()["results"]
    assert results[0]["id"] == first.pk
    assert len(results) == 11


def test_reply_with_attachment_is_stored_and_downloadable_by_viewer_only(
    agent_client, other_agent_client, team
):
    ticket = TicketFactory(team=team)
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 fake", content_type="application/pdf")
    response = agent_client.post(
        url(ticket), {"body": "Invoice attached", "attachments": [upload]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    attachment = response.json()["attachments"][0]
    assert (attachment["filename"], attachment["size"]) == ("invoice.pdf", 13)
    download = agent_client.get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 fake"
    assert "attachment" in download["Content-Disposition"]
    assert_error(other_agent_client.get(attachment["download_url"]), 404)


def test_oversize_attachment_is_400_and_nothing_is_stored(agent_client, team, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    ticket = TicketFactory(team=team)
    upload = SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain")
    response = agent_client.post(
        url(ticket), {"body": "big", "attachments": [upload]}, format="multipart"
    )
    assert_error(response, 400, field="attachments")
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()


def test_executable_attachment_type_is_refused(agent_client, team):
    ticket = TicketFactory(team=team)
    upload = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    assert_error(
        agent_client.post(url(ticket), {"body": "x", "attachments": [upload]}, format="multipart"),
        400,
        field="attachments",
    )


def test_ticket_create_with_attachment_via_multipart(integration_client):
    upload = SimpleUploadedFile("photo.png", b"\x89PNG fake", content_type="image/png")
    response = integration_client.post(
        "/api/v1/tickets/",
        {
            "subject": "Damaged",
            "body": "See photo",
            "requester.email": "x@example.com",
            "tags": ["damage"],
            "attachments": [upload],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    message = Message.objects.get(ticket_id=response.json()["id"])
    assert [a.filename for a in message.attachments.all()] == ["photo.png"]
    assert response.json()["requester"]["email"] == "x@example.com"
