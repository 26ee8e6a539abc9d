"""The one way the system processes rows that came due (SLA clocks, follow-ups, webhooks...).

The database is the source of truth for every timer: a row with a due time is the work, and
a sweep (run by Celery beat every few seconds) takes due rows in small batches with
SELECT ... FOR UPDATE SKIP LOCKED. So:
- two workers sweeping at once never take the same row (the second skips it);
- a worker killed mid-batch loses nothing: its transaction rolls back, the rows stay due,
  the next sweep takes them;
- the cost is what is due, not what exists, as long as `due` is served by an index.

`handle(row)` must move the row out of the due set (mark it done, or push its due time on)
and be idempotent: it runs inside the batch transaction, in a savepoint of its own, so one
failing row does not undo the others. When it raises, `on_error(row, exc)` runs instead (in
a fresh savepoint) and must also move the row out of the due set, e.g. by recording the
error and scheduling a retry; otherwise the sweep would meet the row again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import models, transaction

logger = logging.getLogger(__name__)

Row = TypeVar("Row", bound=models.Model)


def sweep_due(
    due: models.QuerySet[Row],
    *,
    handle: Callable[[Row], object],
    on_error: Callable[[Row, Exception], object] | None = None,
    batch_size: int = 100,
    max_batches: int = 50,
    lock_of: tuple[str, ...] = (),
) -> int:
    """Process due rows batch by batch; returns how many rows were handled or errored.

    `due` must be ordered (oldest due first) and filtered to what is due now. Rows that stay
    due after handle/on_error are not retried within this sweep (they are excluded by pk),
    so a misbehaving handler cannot spin forever. `lock_of` locks only those relations
    (select_for_update(of=...)), e.g. the parent row that serializes all changes to the rows.
    """
    processed, seen = 0, set()
    for _ in range(max_batches):
        with transaction.atomic():
            batch = list(
                due.exclude(pk__in=seen).select_for_update(skip_locked=True, of=lock_of)[
                    :batch_size
                ]
            )
            for row in batch:
                seen.add(row.pk)
                try:
                    with transaction.atomic():
                        handle(row)
                except Exception as exc:
                    logger.exception("sweep: %s %s failed", type(row).__name__, row.pk)
                    if on_error is not None:
                        with transaction.atomic():
                            on_error(row, exc)
            processed += len(batch)
        if len(batch) < batch_size:
            break
    return processed
