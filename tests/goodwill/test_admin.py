"""Managers may set limits in the admin too: saved through goodwill.services."""

from __future__ import annotations

import pytest
from django.test import Client

from goodwill.models import GoodwillLimit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True, role="manager")
    client = Client()
    client.force_login(user)
    return client


def test_limit_saved_through_the_service_and_checked(admin_client_, tiers):
    body = {"role": "agent", "tier": "", "currency": "eur", "max_amount": "20"}
    response = admin_client_.post("/admin/goodwill/goodwilllimit/add/", body)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert GoodwillLimit.objects.get().currency == "EUR"  # normalized by the service
    again = admin_client_.post("/admin/goodwill/goodwilllimit/add/", {**body, "max_amount": "30"})
    assert again.status_code == 200
    assert "exists" in again.content.decode()
    bad = admin_client_.post("/admin/goodwill/goodwilllimit/add/", {**body, "currency": "QQQ"})
    assert "ISO 4217" in bad.content.decode()
    assert GoodwillLimit.objects.count() == 1
    assert admin_client_.get("/admin/goodwill/gesture/").status_code == 200
