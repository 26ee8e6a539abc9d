"""Customer health and the early warning.

Poor experiences are recorded per customer (an SLA breach on one of their tickets, CSAT <= 2,
CES >= 6, an NPS detractor, a reopened ticket) and counted by cause: a ticket's breaches are
one, a survey answer is one however many of its scores are poor, each reopening is one. With
settings.AT_RISK_THRESHOLD (2) of them inside the rolling window (AT_RISK_WINDOW_DAYS, 90) the
customer is flagged at risk (by the health sweep, seconds later), once per episode, and the
`customer_at_risk` follow-up rules fire: after three poor experiences most customers stop
buying, so we act at two.

Health score, 0-100 (100 = healthy), recomputed whenever something about the customer changes:
    score = 100
            - 20 x poor experiences (causes) in the window (at most -60)
            - 10 if the customer has 3 or more unresolved tickets
    then, if they answered surveys in the window, blended with satisfaction:
    score = 0.6 x score + 0.4 x average CSAT on 0-100
An organization's score is the average of its customers' scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Avg
from django.utils import timezone

from core import events
from customers.models import Customer
from tickets.models import Ticket
from tickets.status import UNRESOLVED

from .models import CustomerHealth, ExperienceKind, PoorExperience, Survey, Trigger
from .services import followups_schedule
from .surveys import csat_score


def _window_start():
    return timezone.now() - timedelta(days=settings.AT_RISK_WINDOW_DAYS)


def _count(poor: list[PoorExperience]) -> int:
    """Poor experiences count by cause: one survey answer that is both low CSAT and high
    effort is one bad experience, described twice."""
    return len({p.source_key for p in poor})


def health_score(customer: Customer) -> tuple[int, list[dict]]:
    since = _window_start()
    poor = list(
        PoorExperience.objects.filter(customer=customer, occurred_at__gte=since).order_by(
            "occurred_at"
        )
    )
    score = 100 - min(20 * _count(poor), 60)
    if Ticket.objects.filter(requester=customer, status__in=UNRESOLVED).count() >= 3:
        score -= 10
    csat = Survey.objects.filter(
        customer=customer, answered_at__gte=since, csat__isnull=False
    ).aggregate(avg=Avg("csat"))["avg"]
    if csat is not None:
        score = 0.6 * score + 0.4 * csat_score(csat)
    reasons = [
        {
            "kind": p.kind,
            "source": p.source_key,
            "ticket": p.ticket_id,
            "occurred_at": p.occurred_at.isoformat(),
        }
        for p in poor
    ]
    return max(0, min(100, round(score))), reasons


@transaction.atomic
def health_refresh(customer: Customer) -> CustomerHealth:
    """Recompute the score; flag (once per episode) or clear the at-risk state."""
    health, _ = CustomerHealth.objects.select_for_update().get_or_create(customer=customer)
    health.score, health.reasons = health_score(customer)
    at_risk = len({r["source"] for r in health.reasons}) >= settings.AT_RISK_THRESHOLD
    flagged = at_risk and not health.at_risk
    if flagged:
        health.at_risk_since = timezone.now()
    elif not at_risk:
        health.at_risk_since = None
    health.at_risk = at_risk
    health.save()
    if flagged:
        events.publish(
            events.CUSTOMER_AT_RISK,
            customer=customer,
            data={"score": health.score, "reasons": health.reasons},
        )
        followups_schedule(
            trigger=Trigger.CUSTOMER_AT_RISK,
            customer=customer,
            subject_key=f"at_risk:{customer.pk}:{health.at_risk_since:%Y%m%d%H%M%S}",
        )
    return health


@dataclass(frozen=True)
class Experience:
    customer_id: int
    kind: str
    source_key: str
    ticket_id: int | None = None


def experiences_record(experiences: list[Experience]) -> None:
    """Record poor experiences, each cause once (a repeat is ignored), in one INSERT: the SLA
    sweep that breaches a thousand clocks pays one statement for all of them. Customers'
    health is recomputed by the health sweep within seconds (health_sweep_handle)."""
    now = timezone.now()
    PoorExperience.objects.bulk_create(
        [
            PoorExperience(
                customer_id=e.customer_id,
                kind=e.kind,
                source_key=e.source_key,
                ticket_id=e.ticket_id,
                occurred_at=now,
            )
            for e in experiences
        ],
        ignore_conflicts=True,
    )


def experience_record(
    *, customer: Customer, kind: str, source_key: str, ticket: Ticket | None = None
) -> None:
    experiences_record(
        [Experience(customer.pk, kind, source_key, ticket.pk if ticket is not None else None)]
    )


def uncounted_experiences():
    return PoorExperience.objects.filter(counted_at__isnull=True).order_by("id")


def experiences_count(customer: Customer) -> None:
    """Count a customer's new poor experiences: refresh health (flag at risk, fire the at-risk
    rules once) and mark all of that customer's uncounted rows counted."""
    health_refresh(customer)
    PoorExperience.objects.filter(customer=customer, counted_at__isnull=True).update(
        counted_at=timezone.now()
    )


def health_sweep_handle(experience: PoorExperience) -> None:
    uncounted = PoorExperience.objects.filter(pk=experience.pk, counted_at__isnull=True)
    if uncounted.exists():  # else counted with an earlier row of the same customer
        experiences_count(experience.customer)


def experiences_from_survey(survey: Survey) -> None:
    """An answer (or a changed answer) decides which survey-born poor experiences stand."""
    key = f"survey:{survey.pk}"
    poor = {
        ExperienceKind.LOW_CSAT: survey.csat is not None and survey.csat <= 2,
        ExperienceKind.HIGH_EFFORT: survey.ces is not None and survey.ces >= 6,
        ExperienceKind.DETRACTOR: survey.nps is not None and survey.nps <= 6,
    }
    PoorExperience.objects.filter(
        customer=survey.customer,
        source_key=key,
        kind__in=[kind for kind, is_poor in poor.items() if not is_poor],
    ).delete()
    for kind, is_poor in poor.items():
        if is_poor:
            experience_record(
                customer=survey.customer, kind=kind, source_key=key, ticket=survey.ticket
            )
    # The customer is waiting on this page: count it now rather than at the next sweep.
    experiences_count(survey.customer)


def expire_old_flags() -> int:
    """Daily: customers whose poor experiences left the window are no longer at risk."""
    cleared = 0
    for health in CustomerHealth.objects.filter(at_risk=True).select_related("customer"):
        if not health_refresh(health.customer).at_risk:
            cleared += 1
    return cleared
