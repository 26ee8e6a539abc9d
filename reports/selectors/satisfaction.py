"""Satisfaction (see reports/selectors/__init__.py for the shared conventions)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Count,
    F,
    Q,
)

from success.models import Survey
from success.surveys import ces_score, csat_score

from ..db import report_database
from ..params import ReportQuery
from .common import (
    _fill_periods,
    _in_window,
    _label,
    _names,
    _period,
    _period_key,
    _rate,
    _tickets,
    _tier,
)
from .satisfaction_rollup import COLUMN as SATISFACTION_FILTER_COLUMNS
from .satisfaction_rollup import satisfaction_grouped_from_rollups
from .sla_rollup import fresh_as_of, rollups_answer

# --- 3. Satisfaction ----------------------------------------------------------------------------

SATISFACTION_DIMENSIONS = {
    "tier": _tier("ticket__"),
    "channel": F("ticket__channel"),
    "team": F("ticket__team_id"),
    "agent": F("ticket__assignee_id"),
}


def _satisfaction_aggregates() -> dict:
    answered = Q(answered_at__isnull=False)
    return {
        "sent": Count("id"),
        "answers": Count("id", filter=answered),
        "csat_answers": Count("id", filter=answered & Q(csat__isnull=False)),
        "csat_avg": Avg("csat", filter=answered),
        "ces_answers": Count("id", filter=answered & Q(ces__isnull=False)),
        "ces_avg": Avg("ces", filter=answered),
        "nps_answers": Count("id", filter=answered & Q(nps__isnull=False)),
        "promoters": Count("id", filter=answered & Q(nps__gte=9)),
        "detractors": Count("id", filter=answered & Q(nps__lte=6)),
    }


def _satisfaction_row(row: dict) -> dict:
    nps = None
    if row["nps_answers"]:
        nps = round((row["promoters"] - row["detractors"]) / row["nps_answers"] * 100, 1)
    return {
        "surveys_sent": row["sent"],
        "answers": row["answers"],
        "response_rate": _rate(row["answers"], row["sent"]),
        "csat": csat_score(row["csat_avg"]),
        "csat_answers": row["csat_answers"],
        "ces": ces_score(row["ces_avg"]),
        "ces_answers": row["ces_answers"],
        "nps": nps,
        "nps_answers": row["nps_answers"],
        "promoters": row["promoters"],
        "detractors": row["detractors"],
    }


def _period_key_of(key, query: ReportQuery) -> str | None:
    """A period's key: already one (from the rollups) or its start instant (from the ORM)."""
    return key if isinstance(key, str) else _period_key(key, query)


def _zero() -> dict:
    return _empty_counts() | {"csat_avg": None, "ces_avg": None}


def _empty_satisfaction() -> dict:
    return _satisfaction_row(_zero())


def _empty_counts() -> dict:
    return dict.fromkeys(
        (
            "sent",
            "answers",
            "csat_answers",
            "ces_answers",
            "nps_answers",
            "promoters",
            "detractors",
        ),
        0,
    )


def satisfaction_report(query: ReportQuery) -> dict:
    """CSAT and CES on 0-100, NPS from -100 to 100, with answer counts and the response rate,
    over surveys *sent* in the window (a survey row exists only once its link was sent),
    overall and by tier, channel, team, agent (the ticket's assignee) and period.
    Queries: overall (1) + 5 breakdowns + names (2) + agents (1) = 9; without a priority
    filter, in a rollup zone: the rollups' freshness (1) and one rollup query instead of the 6
    aggregates (tier, team, channel, agent filters sum the full-key rows)."""
    db = report_database()
    surveys = Survey.objects.using(db).filter(
        _in_window("sent_at", query), _tickets(query, "ticket__")
    )
    fresh = rollups_answer(query, db, SATISFACTION_FILTER_COLUMNS)
    rolled = satisfaction_grouped_from_rollups(query, db) if fresh else None
    aggregates = _satisfaction_aggregates()
    if rolled is not None:
        overall = _satisfaction_row(rolled["all"][0] if rolled["all"] else _zero())
    else:
        overall = _satisfaction_row(surveys.aggregate(**aggregates))
    names = _names(db)
    names["agent"] = _agent_names(db)
    breakdowns: dict[str, list] = {}
    for dimension, expression in {
        **SATISFACTION_DIMENSIONS,
        "period": _period("sent_at", query),
    }.items():
        if rolled is not None:
            rows = rolled[dimension]
        else:
            rows = surveys.annotate(key=expression).values("key").annotate(**aggregates)
            rows = rows.order_by()
        if dimension == "period":
            breakdowns[dimension] = _fill_periods(
                {_period_key_of(r["key"], query): _satisfaction_row(r) for r in rows},
                query,
                _empty_satisfaction,
            )
            continue
        breakdowns[dimension] = [
            {
                dimension: _label(dimension, row["key"], names),
                **({f"{dimension}_id": row["key"]} if dimension != "channel" else {}),
                **_satisfaction_row(row),
            }
            for row in sorted(rows, key=lambda r: str(_label(dimension, r["key"], names)))
        ]
    return {
        "query": query.as_dict(),
        "fresh_as_of": fresh_as_of(fresh),
        **overall,
        "by": breakdowns,
    }


def _agent_names(db: str) -> dict[int, str]:
    users = get_user_model().objects.using(db).filter(role__in=("agent", "manager"))
    return {u.pk: u.display_name for u in users.only("id", "username", "first_name", "last_name")}
