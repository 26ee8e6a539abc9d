"""The admin is where managers configure SLAs, channels and follow-up rules:
every page opens, and SLA saves go through slas.config (validation, policy versions)."""

from __future__ import annotations

import pytest
from django.test import Client

from slas.models import BusinessCalendar, SlaPolicy
from tests.factories import FollowUpRuleFactory, PolicyFactory, TierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(db):
    from tests.factories import UserFactory

    user = UserFactory(username="root", is_staff=True, is_superuser=True, role="manager")
    client = Client()
    client.force_login(user)
    return client


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


@pytest.mark.parametrize(
    "url",
    [
        "/admin/slas/slatier/",
        "/admin/slas/slatier/add/",
        "/admin/slas/slapolicy/",
        "/admin/slas/slapolicy/add/",
        "/admin/slas/businesscalendar/",
        "/admin/slas/businesscalendar/add/",
        "/admin/slas/slaclock/",
        "/admin/tickets/channel/",
        "/admin/tickets/channel/add/",
        "/admin/followups/followuprule/",
        "/admin/followups/followuprule/add/",
    ],
)
def test_admin_pages_open(admin_client_, url):
    TierFactory(policy=PolicyFactory(targets={("resolution", 2): 60}))
    FollowUpRuleFactory()
    assert admin_client_.get(url).status_code == 200


def test_calendar_with_intervals_and_holidays_inline(admin_client_):
    data = {"name": "Office", "time_zone": "Europe/Berlin", "holiday_country": "de"}
    data |= inline(
        "intervals",
        [{"weekday": "0", "start_time": "09:00", "end_time": "17:00"}],
    )
    data |= inline("holidays", [{"date": "2026-12-24", "name": "Christmas Eve"}])
    response = admin_client_.post("/admin/slas/businesscalendar/add/", data)
    assert response.status_code == 302, response.content
    calendar = BusinessCalendar.objects.get(name="Office")
    assert calendar.holiday_country == "DE"  # normalised by config.calendar_save
    assert [str(i) for i in calendar.intervals.all()] == ["Monday 09:00-17:00"]
    assert calendar.holidays.get().name == "Christmas Eve"
    # overlapping intervals are refused, as in the API
    data |= inline(
        "intervals",
        [
            {"weekday": "0", "start_time": "09:00", "end_time": "17:00"},
            {"weekday": "0", "start_time": "12:00", "end_time": "18:00"},
        ],
    )
    data["name"] = "Clash"
    response = admin_client_.post("/admin/slas/businesscalendar/add/", data)
    assert response.status_code == 200
    assert b"Intervals overlap" in response.content
    assert not BusinessCalendar.objects.filter(name="Clash").exists()


def policy_form(**fields) -> dict:
    data = {"name": "Gold", "warn_at_percent": "75", "pause_on_hold": "on", **fields}
    data |= inline(
        "targets",
        [
            {"priority": "2", "metric": "first_response", "minutes": "60", "business_hours": "on"},
            {"priority": "2", "metric": "resolution", "minutes": "480", "business_hours": "on"},
        ],
    )
    data |= inline("escalations", [{"level": "1", "after_minutes": "30", "raise_priority": "on"}])
    return data


def test_policy_with_targets_inline_and_edits_make_versions(admin_client_):
    response = admin_client_.post("/admin/slas/slapolicy/add/", policy_form())
    assert response.status_code == 302, response.content
    first = SlaPolicy.objects.get(name="Gold")
    assert first.targets.count() == 2
    assert first.escalations.count() == 1
    tier = TierFactory(policy=first)
    data = policy_form(name="Gold", warn_at_percent="80")
    data |= inline(
        "targets",
        [{"priority": "2", "metric": "first_response", "minutes": "30", "business_hours": "on"}],
    )
    response = admin_client_.post(f"/admin/slas/slapolicy/{first.pk}/change/", data)
    assert response.status_code == 302, response.content
    first.refresh_from_db()
    current = SlaPolicy.objects.get(lineage=first.lineage, is_current=True)
    assert not first.is_current
    assert first.targets.count() == 2
    assert current.version == 2
    assert current.warn_at_percent == 80
    assert [t.minutes for t in current.targets.all()] == [30]
    tier.refresh_from_db()
    assert tier.policy == current
    # the old version is read-only; duplicate targets are refused
    assert (
        b'name="_save"'
        not in admin_client_.get(f"/admin/slas/slapolicy/{first.pk}/change/").content
    )
    data = policy_form(name="Twice")
    data |= inline(
        "targets",
        [
            {"priority": "2", "metric": "resolution", "minutes": "60"},
            {"priority": "2", "metric": "resolution", "minutes": "90"},
        ],
    )
    response = admin_client_.post("/admin/slas/slapolicy/add/", data)
    assert response.status_code == 200
    assert not SlaPolicy.objects.filter(name="Twice").exists()
