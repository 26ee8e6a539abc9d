"""What the benchmarks share to build their world: a database of their own, Django set up in
this process against it, and rows inserted by the million with one INSERT ... SELECT over
generate_series.

`insert_series` names only the columns a benchmark cares about; every other column gets the
model field's default (or now() for auto timestamps), so a column added later with a default
(customers' `is_organization_contact` broke three seeds that listed columns by hand) does
not break the seeds."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

import psycopg

from . import harness


def ensure_database(url: str) -> None:
    """Create the database at `url` if missing and bring its schema up to date."""
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    harness.manage("migrate", "--noinput", DATABASE_URL=url)


def setup_django(url: str, **extra: str) -> None:
    """The production shape (harness.environment) against `url`, in this process."""
    os.environ.update(harness.environment(DATABASE_URL=url, **extra))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _defaults(model, given: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """SQL for the columns not given: a field default as a parameter ("" for a text field
    without one), now() for auto timestamps; nullable columns without a default are left out
    (NULL)."""
    from django.db import connection

    sql, params = {}, {}
    for field in model._meta.concrete_fields:
        column = field.column
        if field.primary_key or column in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            sql[column] = "now()"
        elif field.has_default() or not field.null:
            default = field.get_default()  # "" for a text field without a default
            if default is None:
                continue  # the benchmark must give it (a foreign key) or it has a db default
            key = f"default_{column}"
            sql[column] = f"%({key})s"
            params[key] = field.get_db_prep_save(default, connection)
    return sql, params


def insert_series(
    cursor,
    model,
    *,
    count: int,
    values: dict[str, str],
    params: dict[str, Any] | None = None,
    source: str = "",
) -> None:
    """INSERT INTO the model's table one row per g in 1..count: `values` maps columns to SQL
    expressions that may use `g` and %(name)s parameters (write %% for SQL's modulo); the
    other columns get their defaults. `source` replaces the generate_series (e.g.
    "FROM tickets_ticket" with expressions over its columns)."""
    defaults, default_params = _defaults(model, values)
    columns = {**values, **defaults}
    frm = source or "FROM generate_series(1, %(count)s) AS g"
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(columns.values())} {frm}",
        {**default_params, **(params or {}), "count": count},
    )


def production_defaults() -> dict:
    """What a production install has before its first ticket, so a create does the work it
    does there: a default team (new tickets land in it) and a default 24/7 SLA policy with
    first-response and resolution targets (a create starts its clocks). Idempotent; needs
    Django set up against the benchmark database."""
    from slas.config import TargetInput, policy_create
    from slas.models import SlaPolicy
    from tickets.models import Team
    from tickets.services.update import team_save

    team = Team.objects.filter(is_default=True).first() or team_save(
        team=Team(), name="Support", is_default=True
    )
    policy = SlaPolicy.objects.filter(is_default=True, is_current=True).first()
    if policy is None:
        targets = [
            TargetInput(priority, metric, minutes * (5 - priority), business_hours=False)
            for priority in (1, 2, 3, 4)
            for metric, minutes in (("first_response", 60), ("resolution", 600))
        ]
        policy = policy_create(name="Standard", calendar=None, is_default=True, targets=targets)
    return {"team": team, "policy": policy}


def ensure_production_defaults(url: str) -> None:
    """production_defaults() against the database at `url`, in a process of its own."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "bench.seed", "defaults"],
        cwd=harness.ROOT,
        env=harness.environment(DATABASE_URL=url),
        check=True,
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    defaults = production_defaults()
    print(f"default team {defaults['team']}, default SLA policy {defaults['policy']}")
