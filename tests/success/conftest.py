from __future__ import annotations

import pytest

from tests.factories import CustomerFactory, IntegrationFactory


@pytest.fixture
def shop(db):
    return IntegrationFactory(username="shop")


@pytest.fixture
def customer(shop):
    return CustomerFactory(name="Kim", email="kim@example.com", source_integration=shop)
