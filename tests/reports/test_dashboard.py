"""The managers' dashboard page (/desk/reports/): the reports' numbers in tables beside SVG
charts; managers only."""

from __future__ import annotations

import html as html_module
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table class="numbers" id="{table_id}">(.*?)</table>', html, re.S)
    assert table, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    return [
        [
            html_module.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


def test_manager_sees_each_chart_with_its_numbers(world, frozen):
    response = _client(world.users["mona"]).get("/desk/reports/", {"days": 30, "period": "week"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 4  # compliance, backlog age, CSAT by tier, CSAT by channel
    # first response by week (rows) and tier (columns): Gold T1 met + T2 breached
    header, *weeks = _cells(html, "sla-table")
    assert header == ["Week", "Basic", "Gold", "No tier"]
    sla = {row[0]: row[1:] for row in weeks}
    assert list(sla) == ["2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09"]
    assert sla["2026-11-02"] == ["100.0%", "50.0%", "100.0%"]  # T3; T1, T2; T4
    assert sla["2026-10-26"] == ["\u2013", "\u2013", "0.0%"]  # T5's breach
    ages = dict(row for row in _cells(html, "age-table")[1:])
    assert ages == {
        "< 1 day": "0", "1-3 days": "0", "3-7 days": "1", "7-30 days": "2", "> 30 days": "0",
    }  # fmt: skip
    csat = {row[0]: row[1] for row in _cells(html, "csat-tier-table")[1:]}
    # T5's survey (CSAT 1 of 5 = 0) is inside these 30 days, on the no-tier customer
    assert csat == {"Basic": "\u2013", "Gold": "100.0", "No tier": "12.5"}  # no answer
    at_risk = _cells(html, "at-risk-table")[1:]
    assert [row[0] for row in at_risk] == ["Ann"]


def test_filters_narrow_every_panel(world, frozen):
    params = {"days": 30, "period": "week", "team": world.teams["billing"].pk}
    html = _client(world.users["mona"]).get("/desk/reports/", params).content.decode()
    assert _cells(html, "sla-table")[0] == ["Week", "Basic", "No tier"]
    ages = dict(row for row in _cells(html, "age-table")[1:])
    assert (ages["3-7 days"], ages["7-30 days"]) == ("1", "0")


def test_an_invalid_filter_falls_back_to_the_default(world, frozen):
    response = _client(world.users["mona"]).get("/desk/reports/", {"days": "banana"})
    assert response.status_code == 200


def test_agents_get_a_403_and_strangers_the_sign_in_page(world, frozen):
    response = _client(world.users["alice"]).get("/desk/reports/")
    assert response.status_code == 403
    assert b"Managers only" in response.content
    assert Client().get("/desk/reports/").status_code == 302


def test_dashboard_query_count_is_constant(world, frozen, django_assert_num_queries):
    client = _client(world.users["mona"])
    client.get("/desk/reports/")
    # session, user, the default time zone; the SLA series, the backlog and satisfaction
    # each from their rollups (each: their freshness, 1 as the first request's refresh is
    # younger than REPORTS_MAX_STALENESS_SECONDS, then its reads: SLA
    # series rollup read and running clocks, backlog open now (2), flow read and pending,
    # satisfaction read, with the names they label by); at risk (1); the form's tier and team
    # choices (2); the header's available/away toggle (1); the agent's time zone (1)
    with django_assert_num_queries(35):
        client.get("/desk/reports/", {"days": 30})
