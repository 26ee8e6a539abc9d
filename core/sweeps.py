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

A task's soft time limit (SoftTimeLimitExceeded, raised wherever the task is) is not a row's
error: the row's savepoint rolls back, on_error is not called, the rows finished so far
commit and the sweep returns; the next sweep goes on from there. (Caught per row like any
exception, it would instead count against each row until the hard limit killed the process
and rolled back the whole batch, sent emails and all.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.db import connections, models, transaction
from django.db.models.expressions import RawSQL

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
    handle_batch: Callable[[list[Row]], object] | None = None,
) -> int:
    """Process due rows batch by batch; returns how many rows were handled or errored.

    `due` must be ordered (oldest due first) and filtered to what is due now. Rows that stay
    due after handle/on_error are not retried within this sweep (they are excluded by pk),
    so a misbehaving handler cannot spin forever. `lock_of` locks only those relations
    (select_for_update(of=...)), e.g. the parent row that serializes all changes to the rows.

    `handle_batch(rows)`, when given, does a whole batch at once (set-based statements instead
    of a few per row: a thousand due rows then cost tens of queries, not thousands), in one
    savepoint; if it raises, that savepoint rolls back and the batch is done row by row with
    `handle`, so one bad row still cannot hold the others back.
    """
    processed, seen = 0, set()
    out_of_time = False
    for _ in range(max_batches):
        with transaction.atomic():
            batch = list(
                _not_in(due, seen).select_for_update(skip_locked=True, of=lock_of)[:batch_size]
            )
            seen.update(row.pk for row in batch)
            if handle_batch is not None and batch:
                try:
                    with transaction.atomic():
                        handle_batch(batch)
                except SoftTimeLimitExceeded:
                    logger.warning("sweep: out of time; the next sweep takes this batch")
                    break
                except Exception:
                    logger.exception("sweep: batch of %s failed; row by row", len(batch))
                    # Fresh rows: the failed attempt may have changed the objects in memory.
                    batch = list(due.filter(pk__in=[row.pk for row in batch]))
                else:
                    processed += len(batch)
                    if len(batch) < batch_size:
                        break
                    continue
            done, out_of_time = _one_by_one(batch, handle, on_error, processed)
            processed += done
        if out_of_time or len(batch) < batch_size:
            break
    return processed


_INTEGER_KEYS = {"AutoField", "BigAutoField", "IntegerField", "BigIntegerField"}


def _not_in(due: models.QuerySet[Row], seen: set) -> models.QuerySet[Row]:
    """`due` without the rows already met in this sweep. On PostgreSQL, an integer key list
    goes as one array parameter: thousands of `%s` placeholders (a sweep of 50 batches of
    100 excludes up to 4,900) cost more to build and parse than the batch's own work."""
    if not seen:
        return due
    pk = due.model._meta.pk
    if connections[due.db].vendor == "postgresql" and pk.get_internal_type() in _INTEGER_KEYS:
        # The array as its text literal: psycopg would build it element by element in Python.
        ids = "{" + ",".join(map(str, sorted(seen))) + "}"
        return due.exclude(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [ids]))
    return due.exclude(pk__in=seen)


def _one_by_one(
    batch: list[Row],
    handle: Callable[[Row], object],
    on_error: Callable[[Row, Exception], object] | None,
    processed: int,
) -> tuple[int, bool]:
    """Each row in its own savepoint: returns how many were handled or errored, and whether
    the task ran out of time (then the rest wait for the next sweep)."""
    done = 0
    for row in batch:
        try:
            with transaction.atomic():
                handle(row)
        except SoftTimeLimitExceeded:
            logger.warning("sweep: out of time after %s rows", processed + done)
            return done, True
        except Exception as exc:
            logger.exception("sweep: %s %s failed", type(row).__name__, row.pk)
            if on_error is not None:
                with transaction.atomic():
                    on_error(row, exc)
        done += 1
    return done, False
