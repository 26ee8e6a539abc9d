"""Processing one stored payload: the kind's adapter (`process`) turns the row into a ticket or a
message, in one transaction with the row's new state.

A permanent error (bad payload) fails the row with its error; a transient one (database,
network) leaves it `received` for the next retry, until INBOUND_MAX_RETRIES are spent.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as ApiValidationError

from core.errors import ConflictError

from . import registry
from .intake import Ignored
from .models import InboundMessage, InboundState

logger = logging.getLogger(__name__)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
    return f"{type(exc).__name__}: {exc}"


def _permanent(exc: Exception) -> bool:
    """Bad input fails at once; anything else (database, network...) may pass on a retry."""
    return isinstance(exc, (ValidationError, ApiValidationError, ConflictError))


def intake_process(inbound_id: int) -> InboundMessage:
    """Process one stored payload; safe to run twice (a finished row is left alone).

    Raises the error of a transient failure after recording it while attempts remain, so
    the Celery task retries; a permanent failure (or the last attempt) fails the row."""
    try:
        with transaction.atomic():
            row = (
                InboundMessage.objects.select_for_update()
                .select_related("channel")
                .get(pk=inbound_id)
            )
            if row.state != InboundState.RECEIVED:
                return row  # finished, or failed (waiting for a deliberate reprocess)
            row.attempts += 1
            try:
                with transaction.atomic():
                    # The kind's adapter: raw payload -> customer -> thread -> ticket or message.
                    outcome = registry.adapter(row.kind).process(row)
            except Ignored as ignored:
                row.state, row.error = InboundState.IGNORED, ignored.reason[:5000]
                row.classification = ignored.classification[:40]
                if ignored.effect is not None:
                    ignored.effect()
            else:
                row.state, row.error = InboundState.PROCESSED, ""
                row.ticket, row.message = outcome.ticket, outcome.message
            row.processed_at = timezone.now()
            row.save(
                update_fields=[
                    "state",
                    "error",
                    "classification",
                    "attempts",
                    "ticket",
                    "message",
                    "processed_at",
                ]
            )  # not the raw payload: it never changes
            return row
    except Exception as exc:
        row = _record_failure(inbound_id, exc, permanent=_permanent(exc))
        if row.state == InboundState.RECEIVED:
            raise  # more attempts are due: the task retries with backoff
        return row


@transaction.atomic
def _record_failure(inbound_id: int, exc: Exception, *, permanent: bool) -> InboundMessage:
    row = InboundMessage.objects.select_for_update().get(pk=inbound_id)
    row.attempts += 1
    row.error = _error_text(exc)[:5000]
    spent = row.attempts >= settings.INBOUND_MAX_RETRIES
    row.state = InboundState.FAILED if permanent or spent else InboundState.RECEIVED
    row.save(update_fields=["attempts", "error", "state"])
    logger.warning("inbound %s failed (%s): %s", inbound_id, row.state, row.error)
    return row
