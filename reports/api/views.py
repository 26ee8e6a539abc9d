"""Thin report views: parse the parameters strictly (400 on anything unknown or malformed),
call one selector, answer JSON. Managers only."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import MANAGERS
from tickets.models import ChannelKind, Priority

from .. import exports, selectors
from ..params import FILTERS, MAX_DAYS, PERIODS, WINDOW, parse_report_query

_DATE = {"type": "string", "format": "date"}
_ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
PARAMETERS = {
    "since": OpenApiParameter(
        "since",
        _DATE,
        description="First day (local, inclusive), 2000-01-01 to 2100-12-31. Default: the "
        "report's default window ending at until.",
    ),
    "until": OpenApiParameter(
        "until",
        _DATE,
        description=f"Last day (local, inclusive), default today; at most {MAX_DAYS} days.",
    ),
    "days": OpenApiParameter(
        "days",
        {"type": "integer", "minimum": 1, "maximum": 730},
        description="The window ending today, in days (instead of since/until). Default 90.",
    ),
    "period": OpenApiParameter(
        "period", str, enum=list(PERIODS), description="Bucket of the series (weeks from Monday)."
    ),
    "tz": OpenApiParameter(
        "tz",
        str,
        description="IANA time zone of days and periods; default the default SLA calendar's.",
    ),
    "tier": OpenApiParameter("tier", _ID, description="SLA tier id (an unknown id is a 400)."),
    "team": OpenApiParameter("team", _ID, description="Team id (an unknown id is a 400)."),
    "channel": OpenApiParameter("channel", str, enum=list(ChannelKind.values)),
    "priority": OpenApiParameter("priority", str, enum=[p.label for p in Priority]),
    "agent": OpenApiParameter("agent", _ID, description="The ticket's assignee (user id)."),
}


def _parameters(names: tuple[str, ...]) -> list[OpenApiParameter]:
    return [PARAMETERS[name] for name in names]


class ReportView(APIView):
    roles = {"read": MANAGERS}
    parameters: tuple[str, ...] = WINDOW + FILTERS
    default_days = 30
    default_period = "day"

    def query(self, request):
        return parse_report_query(
            request.query_params,
            allowed=self.parameters,
            default_days=self.default_days,
            default_period=self.default_period,
        )


def _report_schema(view: type[ReportView], description: str):
    return extend_schema(
        parameters=_parameters(view.parameters),
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=f"{description} `fresh_as_of` (ISO time): every write committed "
                "before it is counted (rollups: at most REPORTS_MAX_STALENESS_SECONDS old).",
            )
        },
    )


class SlaReportView(ReportView):
    """SLA compliance per metric (met / breached / running) by tier, channel, team, priority
    and period, p50/p90 business and calendar minutes, breaches by tier and escalation level.
    Clocks count in the period their ticket was created in."""

    def get(self, request):
        return Response(selectors.sla_report(self.query(request)))


class BacklogReportView(ReportView):
    """Open tickets now by status, team, tier and age; created vs solved per period; reopen
    rate, one-touch resolution and pending time of tickets created in the window."""

    def get(self, request):
        return Response(selectors.backlog_report(self.query(request)))


class SatisfactionReportView(ReportView):
    """CSAT and CES on 0-100 and NPS over surveys sent in a period (default: 90 days), with
    counts and the response rate, by tier, channel, team, agent and period."""

    parameters = ("days", *WINDOW, *FILTERS, "agent")
    default_days = 90

    def get(self, request):
        return Response(selectors.satisfaction_report(self.query(request)))


class SuccessReportView(ReportView):
    """At-risk customers flagged and recovered per period with causes, follow-ups by action
    and state (with answers), outreach outcomes, and a retention proxy by tier."""

    parameters = (*WINDOW, "tier")
    default_period = "week"
    default_days = 84

    def get(self, request):
        return Response(selectors.success_report(self.query(request)))


class AgentsReportView(ReportView):
    """Per agent: solved, public replies, median first response, CSAT (managers only)."""

    parameters = (*WINDOW, *FILTERS, "agent")

    def get(self, request):
        return Response(selectors.agents_report(self.query(request)))


class GoodwillReportView(ReportView):
    """Goodwill granted per currency (no conversion) by tier, agent and kind, and the
    requests above the limits: pending, approved, declined. Gestures count in the window they
    were recorded in (default: 30 days)."""

    parameters = ("since", "until", "tz", "tier", "agent")

    def get(self, request):
        return Response(selectors.goodwill_report(self.query(request)))


for _view, _text in (
    (SlaReportView, "Compliance, times and breaches; see the README's Reports section."),
    (BacklogReportView, "Open tickets, flow, reopen rate, one-touch, pending time."),
    (SatisfactionReportView, "surveys_sent, answers, response_rate, csat, ces, nps, by."),
    (SuccessReportView, "at_risk, followups, retention."),
    (AgentsReportView, "agents: one row per agent."),
    (GoodwillReportView, "totals, by_tier, by_agent, by_kind (per currency), requests."),
):
    _view.get = _report_schema(_view, _text)(_view.get)


# --- exports ------------------------------------------------------------------------------------

OUTPUT = OpenApiParameter(
    "output", str, enum=list(exports.OUTPUTS), description="csv (default) or jsonl."
)
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


class ExportView(APIView):
    """A streamed export for a period (CSV or JSON lines), managers only."""

    roles = {"read": MANAGERS}
    kind = "tickets"

    def get(self, request):
        params = request.query_params.copy()
        output = params.pop("output", ["csv"])
        if len(output) != 1 or output[0] not in exports.OUTPUTS:
            raise ValidationError({"output": [f"One of: {', '.join(exports.OUTPUTS)}."]})
        query = parse_report_query(params, allowed=("since", "until", "tz"))
        response = StreamingHttpResponse(
            exports.export_stream(self.kind, query, output[0]),
            content_type=CONTENT_TYPES[output[0]],
        )
        name = f"{self.kind}-{query.since}-{query.until}.{output[0]}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _export_schema(kind: str):
    return extend_schema(
        operation_id=f"exports_{kind}",
        parameters=[PARAMETERS["since"], PARAMETERS["until"], PARAMETERS["tz"], OUTPUT],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=f"{kind} as CSV"),
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description=f"{kind}, one JSON object a line"
            ),
        },
    )


class TicketExportView(ExportView):
    """Tickets created in the period, in id order."""

    kind = "tickets"


class ClockExportView(ExportView):
    """SLA clocks of the tickets created in the period, in id order."""

    kind = "clocks"


class SurveyExportView(ExportView):
    """Surveys sent in the period, in id order."""

    kind = "surveys"


def _documented_get(kind: str):
    # A function of its own per view: extend_schema annotates the function it decorates.
    def get(self, request):
        return ExportView.get(self, request)

    return _export_schema(kind)(get)


for _view in (TicketExportView, ClockExportView, SurveyExportView):
    _view.get = _documented_get(_view.kind)


class TicketChangesView(APIView):
    """Incremental ticket feed for BI tools: tickets in (updated_at, id) order after `cursor`,
    only those stamped more than REPORTS_EXPORT_SETTLE_SECONDS ago (so a late commit is never
    skipped). Store `next` and pass it back as `cursor`; an empty page keeps the cursor."""

    roles = {"read": MANAGERS}

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, description="`next` of the previous page."),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 1000},
                description="Rows per page, default 500.",
            ),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="results, next")},
    )
    def get(self, request):
        params = request.query_params
        errors = {
            name: ["Unknown parameter; this feed takes: cursor, limit."]
            for name in params
            if name not in ("cursor", "limit")
        }
        after, limit = None, 500
        if params.get("cursor"):
            try:
                after = exports.decode_cursor(params["cursor"])
            except exports.BadCursor as exc:
                errors["cursor"] = [str(exc)]
        raw = params.get("limit", "500")
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            errors["limit"] = ["A whole number from 1 to 1000."]
        else:
            limit = int(raw)
        if errors:
            raise ValidationError(errors)
        until = exports.settled_before()
        results, cursor = exports.ticket_changes(after=after, limit=limit, until=until)
        return Response({"results": results, "next": cursor, "settled_until": until})
