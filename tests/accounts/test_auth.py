from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role, User
from accounts.services import api_token_create, api_token_revoke
from tests.conftest import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token"])
def test_token_authenticates_with_token_or_bearer_keyword(agent, keyword):
    _, key = api_token_create(user=agent, name="laptop")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    assert client.get("/api/v1/tickets/").status_code == 200


def test_token_key_is_stored_hashed_and_never_in_clear(agent):
    token, key = api_token_create(user=agent, name="laptop")
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix)
    assert key.startswith(stored.prefix)
    assert len(stored.key_hash) == 64


def test_anonymous_request_gets_401_with_error_shape(anon_client):
    response = anon_client.get("/api/v1/tickets/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_unknown_token_is_401(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Token hd_not-a-real-key")
    assert_error(anon_client.get("/api/v1/tickets/"), 401, "authentication_failed")


def test_revoked_token_is_401(agent):
    token, key = api_token_create(user=agent, name="old")
    api_token_revoke(token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert_error(client.get("/api/v1/tickets/"), 401)


def test_token_of_deactivated_user_is_401(agent):
    _, key = api_token_create(user=agent, name="laptop")
    agent.is_active = False
    agent.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert_error(client.get("/api/v1/tickets/"), 401)


def test_malformed_authorization_header_is_401(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Token two parts")
    assert_error(anon_client.get("/api/v1/tickets/"), 401)


def test_management_command_creates_integration_and_working_token():
    out = io.StringIO()
    call_command("create_api_token", "webshop", "--integration", stdout=out)
    key = out.getvalue().strip()
    user = User.objects.get(username="webshop")
    assert user.role == Role.INTEGRATION
    assert not user.has_usable_password()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/tickets/").status_code == 200


def test_management_command_refuses_unknown_user_without_flag():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=io.StringIO())
    assert not User.objects.filter(username="nobody").exists()


def test_admin_action_creates_token_and_shows_key_once(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True, role=Role.MANAGER)
    target = UserFactory(username="target")
    client.force_login(admin)
    response = client.post(
        "/admin/helpdesk/user/",
        {"action": "create_api_token", "_selected_action": [target.pk]},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("hd_" in m and "target" in m for m in shown)
    key = next(w for m in shown for w in m.split() if w.startswith("hd_"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/tickets/").status_code == 200


def test_session_authenticated_agent_can_read_api(client, agent):
    client.force_login(agent)
    assert client.get("/api/v1/tickets/").status_code == 200
