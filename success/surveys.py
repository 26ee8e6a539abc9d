"""Satisfaction surveys: sent after a solved ticket, answered through a signed link.

Scores on 0-100 so they read alike: CSAT (1-5) -> (csat-1)/4*100, higher is better;
CES (1-7) -> (ces-1)/6*100, *lower* is better (less effort); NPS per answer stays 0-10, and
the report's NPS is % promoters (9-10) - % detractors (0-6), from -100 to 100.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from core import events
from outbox.models import OutboxMessage, State
from tickets import services as tickets
from tickets.channels import routing
from tickets.status import Status

from .models import FollowUp, Survey

_SALT = "followups.survey"


def survey_token(survey: Survey) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(str(survey.pk))


def survey_from_token(token: str) -> Survey | None:
    """The survey a link points at, or None if forged, tampered with or expired."""
    try:
        pk = signing.TimestampSigner(salt=_SALT).unsign(
            token, max_age=timedelta(days=settings.SURVEY_TTL_DAYS)
        )
    except signing.BadSignature:  # includes SignatureExpired
        return None
    survey = Survey.objects.select_related("ticket", "customer").filter(pk=pk).first()
    if survey is None or survey.expires_at < timezone.now():
        return None
    return survey


def survey_url(survey: Survey) -> str:
    path = reverse("survey-answer", kwargs={"token": survey_token(survey)})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def survey_send(followup: FollowUp) -> str:
    """Create the ticket's survey and send its link as a public automatic message, on the
    route every reply takes (tickets.channels.routing: the ticket's channel, else the
    customer's email). Skipped when nothing can carry it; `sent_at` is set when the outbox
    row is sent (services.on_delivery_outcome), so an unsent survey is never counted."""
    ticket = followup.ticket
    if ticket is None:
        return "skipped: a survey needs a ticket"
    if ticket.status not in {Status.SOLVED, Status.CLOSED}:
        return "skipped: the ticket was reopened"
    if routing.reply_route(ticket) is None:
        return "skipped: nothing can carry the survey to the customer"
    now = timezone.now()
    survey, created = Survey.objects.get_or_create(
        ticket=ticket,
        defaults={
            "customer": ticket.requester,
            "expires_at": now + timedelta(days=settings.SURVEY_TTL_DAYS),
        },
    )
    if not created:
        return "skipped: this ticket already has a survey"
    with translation.override(ticket.requester.locale or settings.LANGUAGE_CODE):
        body = gettext("How did we do with “%(subject)s”? Two quick questions, no login needed:")
        body = f"{body % {'subject': ticket.subject}}\n{survey_url(survey)}"
    message = tickets.system_message_add(ticket=ticket, body=body, reason="survey")
    followup.result_message = message
    survey.message = message
    survey.save(update_fields=["message"])
    row = OutboxMessage.objects.get(message=message)
    followup.outbox_message = row
    followup.message_id = row.provider_id if row.transport == "email" else ""
    if row.state == State.UNDELIVERABLE:
        return "skipped: nothing can carry the survey to the customer"
    return f"survey {survey.pk} on {row.channel} to {row.recipient}"


def _check_range(errors: dict, name: str, value: int | None, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        errors[name] = [f"From {low} to {high}."]


@transaction.atomic
def survey_answer(
    *,
    survey: Survey,
    csat: int | None = None,
    ces: int | None = None,
    nps: int | None = None,
    comment: str = "",
) -> Survey:
    """Record (or update: answering twice replaces the first answer) a survey's scores."""
    errors: dict[str, list[str]] = {}
    _check_range(errors, "csat", csat, 1, 5)
    _check_range(errors, "ces", ces, 1, 7)
    _check_range(errors, "nps", nps, 0, 10)
    if csat is None and ces is None and nps is None:
        errors["csat"] = ["Answer at least one question."]
    if errors:
        raise ValidationError(errors)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    survey.csat, survey.ces, survey.nps = csat, ces, nps
    survey.comment = comment.strip()[:5000]
    survey.answered_at = timezone.now()
    survey.save()
    events.publish(
        events.SURVEY_ANSWERED,
        ticket=survey.ticket,
        customer=survey.customer,
        data={"survey": survey.pk, "csat": csat, "ces": ces, "nps": nps},
    )
    return survey


def csat_score(csat: float | None) -> float | None:
    return None if csat is None else round((csat - 1) / 4 * 100, 1)


def ces_score(ces: float | None) -> float | None:
    return None if ces is None else round((ces - 1) / 6 * 100, 1)


def satisfaction_report(surveys) -> dict:
    """CSAT, CES (0-100) and NPS (-100..100) over answered surveys of a queryset."""
    answered = surveys.filter(answered_at__isnull=False)
    totals = answered.aggregate(
        csat=Avg("csat"),
        ces=Avg("ces"),
        answers=Count("pk"),
        nps_answers=Count("pk", filter=Q(nps__isnull=False)),
        promoters=Count("pk", filter=Q(nps__gte=9)),
        detractors=Count("pk", filter=Q(nps__lte=6)),
    )
    nps = None
    if totals["nps_answers"]:
        nps = round((totals["promoters"] - totals["detractors"]) / totals["nps_answers"] * 100, 1)
    return {
        "surveys_sent": surveys.filter(sent_at__isnull=False).count(),
        "answers": totals["answers"],
        "csat": csat_score(totals["csat"]),
        "ces": ces_score(totals["ces"]),
        "nps": nps,
    }
