"""The reports app's only writes: its at-risk episode rows."""

from __future__ import annotations

from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from success.models import CustomerHealth

from .models import AtRiskEpisode


@transaction.atomic
def at_risk_episodes_sync() -> dict[str, int]:
    """Bring the at-risk episodes in line with the customers' health rows (the beat task runs
    this every REPORTS_SWEEP_SECONDS, so episodes are at most that stale).

    Invariant: one open episode per customer flagged now, opened at the health row's
    `at_risk_since` with the kinds of poor experience that flagged them; an open episode whose
    customer is no longer flagged (or was flagged again since: a new episode) is closed now.
    Costs what is flagged: both sides read partial indexes (health_at_risk_idx, the open
    episodes' unique index). Idempotent: running it twice changes nothing the second time.
    """
    now = timezone.now()
    flagged = {
        row["customer_id"]: row
        for row in CustomerHealth.objects.filter(at_risk=True, at_risk_since__isnull=False)
        .annotate(tier_id=Coalesce("customer__tier_id", "customer__organization__tier_id"))
        .values("customer_id", "at_risk_since", "reasons", "tier_id")
    }
    open_episodes = {
        e.customer_id: e
        for e in AtRiskEpisode.objects.select_for_update().filter(recovered_at__isnull=True)
    }
    recovered = [
        e.pk
        for customer_id, e in open_episodes.items()
        if customer_id not in flagged or flagged[customer_id]["at_risk_since"] != e.flagged_at
    ]
    AtRiskEpisode.objects.filter(pk__in=recovered).update(recovered_at=now)
    still_open = {customer_id for customer_id, e in open_episodes.items() if e.pk not in recovered}
    new = [
        AtRiskEpisode(
            customer_id=customer_id,
            flagged_at=row["at_risk_since"],
            causes=sorted({reason.get("kind") for reason in row["reasons"] if reason.get("kind")}),
            tier_id=row["tier_id"],
        )
        for customer_id, row in flagged.items()
        if customer_id not in still_open
    ]
    AtRiskEpisode.objects.bulk_create(new, ignore_conflicts=True)
    return {"flagged": len(new), "recovered": len(recovered)}


__all__ = ["at_risk_episodes_sync"]
