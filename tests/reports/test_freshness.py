"""Bounded staleness: reports read the rollups as the last refresh left them while that refresh
is younger than REPORTS_MAX_STALENESS_SECONDS (beat refreshes every REPORTS_REFRESH_SECONDS),
refresh inline only when older, and say how fresh they are (`fresh_as_of`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from reports.models import RollupDirtyDay, RollupFreshness
from slas.models import Metric
from tests.conftest import client_for
from tests.factories import PolicyFactory, TicketFactory

from .conftest import NOW, _clock

pytestmark = pytest.mark.django_db

TODAY = {"since": "2026-11-09", "until": "2026-11-10", "tz": "UTC"}


def _sla(client) -> dict:
    response = client.get("/api/v1/reports/sla/", TODAY)
    assert response.status_code == 200, response.content
    return response.json()


def _new_met_clock() -> None:
    ticket = TicketFactory()  # created now: a marked day inside TODAY
    _clock(ticket, Metric.FIRST_RESPONSE, PolicyFactory(), due=NOW, fulfilled=NOW)


def test_a_fresh_report_reads_the_rollups_without_refreshing_a_stale_one_refreshes(world, frozen):
    client = client_for(world.users["mona"])
    first = _sla(client)  # never refreshed yet: refreshes inline
    assert datetime.fromisoformat(first["fresh_as_of"]) == NOW
    met = first["metrics"]["first_response"]["met"]
    _new_met_clock()
    assert RollupDirtyDay.objects.exists()

    young = timedelta(seconds=settings.REPORTS_MAX_STALENESS_SECONDS - 1)
    with time_machine.travel(NOW + young, tick=False):
        answer = _sla(client)
    # what the last refresh left: the new clock is not counted yet, and the answer says so
    assert answer["metrics"]["first_response"]["met"] == met
    assert datetime.fromisoformat(answer["fresh_as_of"]) == NOW
    assert RollupDirtyDay.objects.exists()  # still marked: beat's to take

    old = NOW + timedelta(seconds=settings.REPORTS_MAX_STALENESS_SECONDS)
    with time_machine.travel(old, tick=False):
        answer = _sla(client)
    assert answer["metrics"]["first_response"]["met"] == met + 1
    assert datetime.fromisoformat(answer["fresh_as_of"]) == old
    assert not RollupDirtyDay.objects.exists()
    assert RollupFreshness.objects.get().refreshed_at == old


def test_zero_staleness_refreshes_before_every_report(world, frozen, settings):
    settings.REPORTS_MAX_STALENESS_SECONDS = 0
    client = client_for(world.users["mona"])
    met = _sla(client)["metrics"]["first_response"]["met"]
    _new_met_clock()
    assert _sla(client)["metrics"]["first_response"]["met"] == met + 1


@pytest.mark.parametrize("report", ["sla", "backlog", "satisfaction", "agents"])
def test_rollup_reports_answer_the_last_refresh_as_fresh_as_of(world, frozen, report):
    with time_machine.travel(NOW - timedelta(seconds=30), tick=False):
        from reports.rollups.refresh import rollups_refresh

        rollups_refresh()
    response = client_for(world.users["mona"]).get(f"/api/v1/reports/{report}/", TODAY)
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["fresh_as_of"]) == NOW - timedelta(seconds=30)


@pytest.mark.parametrize("report", ["success", "goodwill"])
def test_live_reports_are_fresh_as_of_their_read(world, frozen, report):
    response = client_for(world.users["mona"]).get(f"/api/v1/reports/{report}/")
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["fresh_as_of"]) == NOW


def test_a_report_on_the_base_tables_is_live_a_filtered_rollup_one_is_not(world, frozen):
    with time_machine.travel(NOW - timedelta(seconds=30), tick=False):
        from reports.rollups.refresh import rollups_refresh

        rollups_refresh()
    client = client_for(world.users["mona"])
    # an agent filter (not in the SLA rollups' key) reads the base tables: live
    params = {**TODAY, "agent": world.users["bob"].pk}
    answer = client.get("/api/v1/reports/agents/", {**params, "team": world.teams["support"].pk})
    assert datetime.fromisoformat(answer.json()["fresh_as_of"]) == NOW
    # a team filter reads the rollups' full-key rows: as fresh as the last refresh
    answer = client.get("/api/v1/reports/sla/", {**TODAY, "team": world.teams["support"].pk})
    assert datetime.fromisoformat(answer.json()["fresh_as_of"]) == NOW - timedelta(seconds=30)


def test_the_refresh_task_stamps_and_reports_when_it_began(world, frozen):
    from reports.tasks import rollups_refresh as task

    _new_met_clock()
    result = task.apply().get()
    assert result["fresh_as_of"] == NOW.isoformat()
    assert result["days"] >= 1
    assert RollupFreshness.objects.get().refreshed_at == NOW
    assert not RollupDirtyDay.objects.exists()


def test_beat_refreshes_every_reports_refresh_seconds_on_the_sweeps_queue():
    entry = settings.CELERY_BEAT_SCHEDULE["reports-rollups-refresh"]
    assert entry["schedule"] == timedelta(seconds=settings.REPORTS_REFRESH_SECONDS)
    # a run no worker started within two periods expires (the next one does the same work)
    assert entry["options"]["expire_seconds"] == 2 * settings.REPORTS_REFRESH_SECONDS
    assert settings.CELERY_TASK_ROUTES[entry["task"]] == {"queue": "sweeps"}
    assert settings.REPORTS_REFRESH_SECONDS < settings.REPORTS_MAX_STALENESS_SECONDS


def test_the_dashboard_says_how_fresh_its_figures_are(world, frozen):
    client = Client()
    client.force_login(world.users["mona"])
    html = client.get("/desk/reports/").content.decode()
    assert f'<time datetime="{NOW.isoformat()}">2026-11-10 12:00:00</time>' in html
