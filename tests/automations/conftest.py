from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _default_time_rules(request):
    """The shipped defaults, as migration 0002 installs them (a transactional test's flush
    removes migration data, so a reused test database may have lost them)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from automations.defaults import default_time_rules_install

    default_time_rules_install()
