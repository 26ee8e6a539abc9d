"""The one retry policy: how long to wait before attempt n+1, and what is never worth retrying.

Every retry in the system asks here: outbox sends (emails, webhooks, any transport), the
processing of stored inbound payloads, and the follow-up sweep's failed rows. One formula and
one error type, so a 410 from a webhook receiver and a 550 from a mail server are treated
alike: not retried.
"""

from __future__ import annotations

from datetime import timedelta

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600


class PermanentError(Exception):
    """Trying again cannot help (a refused recipient, an invalid address, a gone endpoint).
    Raised by transports; everything else they raise counts as transient."""


def backoff(attempts: int, *, base: int = BACKOFF_BASE_SECONDS) -> timedelta:
    """The wait after `attempts` failed attempts: base, 2 base, 4 base, ... at most an hour
    (30 s, 1 min, 2 min, ... for the outbox)."""
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS))
