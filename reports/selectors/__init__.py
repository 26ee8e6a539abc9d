"""The reports' aggregate queries. Each report is a fixed, small number of GROUP BY queries over
the window (never one query per row), read from `report_database()` (the replica when set).

Conventions shared by every report:
- The window is [local midnight of `since`, local midnight after `until`) in `?tz=`; periods
  (day/week/month, weeks from Monday) are truncated in that zone, so a ticket solved at 23:30
  Berlin time counts on that Berlin day.
- A ticket's tier is its requester's own tier, else its organization's (as SLA measures it).
- SLA clocks are attributed to the period their ticket was *created* in (a cohort: "of the
  tickets we received that week, how many got a first response in time").
"""

from __future__ import annotations

from .agents import agents_report
from .backlog import backlog_report
from .dashboard import at_risk_customers, sla_compliance_by_tier_over_time
from .goodwill import goodwill_report
from .satisfaction import satisfaction_report
from .sla import sla_report
from .success import success_report

__all__ = [
    "agents_report",
    "at_risk_customers",
    "backlog_report",
    "goodwill_report",
    "satisfaction_report",
    "sla_compliance_by_tier_over_time",
    "sla_report",
    "success_report",
]
