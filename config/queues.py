"""Where and when tasks run: the queues, every task's route, and the beat schedule (read by
config/settings.py, which holds the periods that come from the environment). Task names are
names (`<app label>.<verb_noun>`), not module paths."""

from __future__ import annotations

from datetime import timedelta

# Queues, and what runs on each (README "Events and tasks"). A worker consumes named queues
# (`-Q`); docker-compose.yml and bin/run start one for `sweeps` and one for the rest, so the
# SLA sweep never waits behind an SMTP send, a webhook POST or an IMAP poll.
# - sweeps: beat's sweeps that only touch the database, short and bounded (SKIP LOCKED, so
#   several sweep workers are safe).
# - intake: turning stored inbound payloads into tickets; IMAP polls.
# - outbound: everything that waits on someone else's server: reply emails, webhook POSTs,
#   SLA notifications: the outbox's attempts and its sweep, and the follow-up sweep.
# - default: housekeeping (purges, expiries, re-measuring an organization); also any task
#   without a route.
TASK_QUEUES = ("sweeps", "intake", "outbound", "default")  # "default": CELERY_TASK_DEFAULT_QUEUE
_SWEEPS, _INTAKE, _OUTBOUND, _DEFAULT = ({"queue": name} for name in TASK_QUEUES)
TASK_ROUTES = {
    "slas.sweep": _SWEEPS,
    "followups.health_sweep": _SWEEPS,
    "tickets.sweep_inbound": _SWEEPS,
    "tickets.end_idle_chats": _SWEEPS,
    "tickets.process_inbound": _INTAKE,
    "tickets.poll_imap_mailboxes": _INTAKE,
    "tickets.poll_imap_mailbox": _INTAKE,
    "outbox.send": _OUTBOUND,
    "outbox.send_many": _OUTBOUND,
    "outbox.sweep": _OUTBOUND,
    "followups.sweep": _OUTBOUND,
    "slas.notify": _OUTBOUND,
    "helpdesk.purge_idempotency_keys": _DEFAULT,
    "followups.expire_old_flags": _DEFAULT,
    "slas.reapply_organization": _DEFAULT,
    "slas.reapply_customer": _DEFAULT,
    "slas.reapply_merged_tickets": _DEFAULT,
    "automations.sweep_time_rules": _SWEEPS,
    "automations.notify": _OUTBOUND,
    "reports.at_risk_episodes_sync": _SWEEPS,  # database only, short
    "reports.rollups_refresh": _SWEEPS,  # database only, what changed since the last run
    "desk.queue_counts_compact": _SWEEPS,  # one statement over the views' kept counts
    "knowledge.lexicon_rebuild": _DEFAULT,
}
# Every task has soft and hard time limits (its decorator). The soft limit raises inside the
# task (a sweep stops between rows and commits what it finished, core/sweeps.py); the hard
# limit kills the pool process. A task stopped by its time limit is acknowledged, not
# redelivered (Celery's acks_on_failure_or_timeout): reject_on_worker_lost requeues only a
# task whose process died on its own (SIGKILL, OOM), so a task that always overruns cannot
# loop. Every hard limit stays below the broker's visibility_timeout (a test checks), so Redis
# never hands a running task to a second worker. Limits need the prefork pool (the default).


def _every(task: str, seconds: int) -> dict:
    """A beat entry whose message expires if no worker started it within two periods: the
    next run does the same work, so a stopped worker does not come back to a backlog of
    identical runs (django_celery_beat's DatabaseScheduler reads `expire_seconds`)."""
    return {
        "task": task,
        "schedule": timedelta(seconds=seconds),
        "options": {"expire_seconds": 2 * seconds},
    }


def beat_schedule(
    *,
    sla_sweep_seconds: int,
    followup_sweep_seconds: int,
    imap_poll_seconds: int,
    outbox_sweep_seconds: int,
    automation_sweep_seconds: int,
    reports_sweep_seconds: int,
    reports_refresh_seconds: int,
) -> dict[str, dict]:
    """The whole beat schedule (django_celery_beat copies it into its table at start, by entry
    name, so a task renamed here is renamed there too). Periods come from settings."""
    return {
        # SLA warnings, breaches and escalations.
        "sla-sweep": _every("slas.sweep", sla_sweep_seconds),
        "followup-sweep": _every("followups.sweep", followup_sweep_seconds),
        "followups-health-sweep": _every("followups.health_sweep", followup_sweep_seconds),
        "poll-imap-mailboxes": _every("tickets.poll_imap_mailboxes", imap_poll_seconds),
        # Safety nets: rows whose Celery message was lost are picked up from the database.
        "sweep-inbound-messages": _every("tickets.sweep_inbound", 60),
        "end-idle-chats": _every("tickets.end_idle_chats", 60),
        # The outbox: every message that leaves (first attempts whose task was lost, retries).
        "outbox-sweep": _every("outbox.sweep", outbox_sweep_seconds),
        "purge-expired-idempotency-keys": _every("helpdesk.purge_idempotency_keys", 3600),
        "followups-expire-old-at-risk-flags": _every("followups.expire_old_flags", 24 * 3600),
        "knowledge-lexicon-rebuild": _every("knowledge.lexicon_rebuild", 3600),
        # Time rules (automations): due rows applied within one interval.
        "automations-time-rules": _every("automations.sweep_time_rules", automation_sweep_seconds),
        # The at-risk history of the success report (flagged / recovered episodes).
        "reports-at-risk-episodes": _every("reports.at_risk_episodes_sync", reports_sweep_seconds),
        # The report rollups: reports read them at most REPORTS_MAX_STALENESS_SECONDS stale
        # and refresh inline only when older (beat stopped), so this keeps them fresh.
        "reports-rollups-refresh": _every("reports.rollups_refresh", reports_refresh_seconds),
        # The views' kept counts: a minute of ticket writes folded into a row per bucket.
        "desk-queue-counts-compact": _every("desk.queue_counts_compact", 60),
    }
