"""The desk header's available/away toggle."""

from __future__ import annotations

import pytest

from automations.models import AgentAvailability
from tests.desk.conftest import desk_client

pytestmark = pytest.mark.django_db


def test_agent_goes_available_then_away_from_the_header(agent):
    client = desk_client(agent)
    page = client.get("/desk/").content.decode()
    assert 'aria-pressed="false"' in page
    assert ">Away · be available</button>" in page
    response = client.post("/desk/availability/", {"available": "1", "next": "/desk/"})
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert AgentAvailability.objects.get(agent=agent).available is True
    assert ">Available · step away</button>" in client.get("/desk/").content.decode()
    client.post("/desk/availability/", {"available": "0", "next": "https://evil.example/"})
    assert AgentAvailability.objects.get(agent=agent).available is False


def test_toggle_needs_post_and_a_csrf_token(agent):
    client = desk_client(agent)
    assert client.get("/desk/availability/").status_code == 405
    strict = desk_client(agent, enforce_csrf_checks=True)
    assert strict.post("/desk/availability/", {"available": "1"}).status_code == 403
    assert not AgentAvailability.objects.filter(agent=agent).exists()
