"""The managers' dashboards: SLA compliance by tier over time, backlog by age, CSAT by tier and
channel, customers at risk. Views parse the filter form and call the reports' selectors (the
API's numbers, drawn as server-rendered SVG, each chart with its table). Agents get a 403."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from reports import charts, selectors
from reports.params import PERIODS, parse_report_query
from slas.models import Metric, SlaTier
from tickets.models import Team

from . import labels
from .form_renderer import RENDERER
from .views import agent_required

AGE_LABELS = {
    "under_1d": _("< 1 day"),
    "1d_3d": _("1-3 days"),
    "3d_7d": _("3-7 days"),
    "7d_30d": _("7-30 days"),
    "over_30d": _("> 30 days"),
}
PERIOD_LABELS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
WINDOWS = [
    (7, _("Last 7 days")),
    (30, _("Last 30 days")),
    (90, _("Last 90 days")),
    (365, _("Last year")),
]


class DashboardFilterForm(forms.Form):
    """GET parameters of the dashboard; an invalid value falls back to the default."""

    default_renderer = RENDERER

    days = forms.TypedChoiceField(
        choices=WINDOWS, coerce=int, required=False, initial=30, label=_("Window")
    )
    period = forms.ChoiceField(
        choices=[(p, PERIOD_LABELS.get(p, p.title())) for p in PERIODS],
        required=False,
        initial="day",
        label=_("Period"),
    )
    tier = forms.ModelChoiceField(
        queryset=SlaTier.objects.all(), required=False, empty_label=_("All"), label=_("Tier")
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, empty_label=_("All"), label=_("Team")
    )
    metric = forms.ChoiceField(
        choices=list(labels.METRIC.items()),
        required=False,
        initial=Metric.FIRST_RESPONSE,
        label=_("SLA metric"),
    )


def manager_required(view):
    """Managers only: an agent signed in gets the 403 page."""

    @agent_required
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_manager:
            return render(request, "desk/403.html", {"managers_only": True}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    params = QueryDict(mutable=True)
    params["days"] = str(data.get("days") or 30)
    params["period"] = data.get("period") or "day"
    if data.get("tier"):
        params["tier"] = str(data["tier"].pk)
    if data.get("team"):
        params["team"] = str(data["team"].pk)
    query = parse_report_query(params, allowed=("days", "period", "tier", "team"))
    metric = data.get("metric") or Metric.FIRST_RESPONSE

    compliance = selectors.sla_compliance_by_tier_over_time(query, metric)
    backlog = selectors.backlog_report(query)
    satisfaction = selectors.satisfaction_report(query)
    by_age = [(AGE_LABELS[row["age"]], row["tickets"]) for row in backlog["open"]["by_age"]]
    csat_tier = [
        (row["tier"] or gettext("No tier"), row["csat"]) for row in satisfaction["by"]["tier"]
    ]
    csat_channel = [(row["channel"], row["csat"]) for row in satisfaction["by"]["channel"]]
    context = {
        "form": form,
        # the oldest of the three: every write committed before it is in every figure shown
        "fresh_as_of": min(
            datetime.fromisoformat(report["fresh_as_of"])
            for report in (compliance, backlog, satisfaction)
        ),
        "query": query,
        "metric_label": labels.METRIC.get(metric, metric),
        "compliance": compliance,
        # the table beside the chart: one row per period, one column per tier
        "compliance_rows": [
            (period, [series["points"][i] for series in compliance["series"]])
            for i, period in enumerate(compliance["periods"])
        ],
        "compliance_chart": charts.line_chart(
            compliance["periods"],
            [(s["tier"], [p["compliance"] for p in s["points"]]) for s in compliance["series"]],
        ),
        "backlog": backlog,
        "age_chart": charts.bar_chart(by_age),
        "satisfaction": satisfaction,
        "csat_tier_chart": charts.bar_chart(csat_tier, max_value=100),
        "csat_channel_chart": charts.bar_chart(csat_channel, max_value=100),
        "at_risk": selectors.at_risk_customers(limit=10),
    }
    return render(request, "desk/dashboard.html", context)
