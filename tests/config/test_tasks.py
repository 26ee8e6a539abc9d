"""Every task of ours is named, routed to a queue some worker consumes, and time-limited below
the broker's redelivery timeout; every beat entry names a registered task and expires."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]
# Every package of this repository that holds an installed app or shared code: a new app's
# tasks are checked too.
OUR_APPS = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()} - {
    "tests",
    "bench",
}


def _our_tasks() -> dict:
    app.loader.import_default_modules()  # autodiscovery: every <app>/tasks.py
    return {
        name: task for name, task in app.tasks.items() if task.__module__.split(".")[0] in OUR_APPS
    }


def test_every_task_has_an_app_dot_verb_name():
    tasks = _our_tasks()
    assert len(tasks) >= 16
    for name, task in tasks.items():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", name), name
        # The name starts with the app's label, not its package: a task keeps its name when
        # its app's folder is renamed (accounts' tasks are "helpdesk.*", success's "followups.*").
        assert name.split(".")[0] == apps.get_containing_app_config(task.__module__).label, name


def test_every_task_is_routed_to_a_known_queue_and_every_route_to_a_task():
    tasks = _our_tasks()
    routes = settings.CELERY_TASK_ROUTES
    assert set(routes) == set(tasks)
    for name in tasks:
        assert routes[name]["queue"] in settings.TASK_QUEUES, name
        assert app.amqp.router.route({}, name)["queue"].name == routes[name]["queue"], name


def test_every_task_has_a_soft_limit_below_its_hard_limit_below_redelivery():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    for name, task in _our_tasks().items():
        assert task.soft_time_limit is not None, name
        assert task.time_limit is not None, name
        assert task.soft_time_limit < task.time_limit < visibility, name


def test_sweeps_queue_holds_only_short_tasks():
    # The SLA sweep runs every few seconds: whatever shares its queue must be quick too.
    tasks = _our_tasks()
    on_sweeps = [n for n, r in settings.CELERY_TASK_ROUTES.items() if r["queue"] == "sweeps"]
    assert "slas.sweep" in on_sweeps
    for name in on_sweeps:
        assert tasks[name].time_limit <= 90, name


def test_every_beat_entry_names_a_registered_task_and_expires():
    tasks = _our_tasks()
    for entry_name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in tasks, entry_name
        assert entry["options"]["expire_seconds"] > 0, entry_name
    assert settings.CELERY_BEAT_SCHEDULE["sla-sweep"]["options"]["expire_seconds"] == (
        2 * settings.SLA_SWEEP_SECONDS
    )


def test_every_task_a_service_queues_by_name_is_registered():
    root = Path(__file__).resolve().parents[2]
    queued = {
        name
        for path in root.glob("*/**/*.py")
        if ".venv" not in path.parts and "tests" not in path.parts
        for name in re.findall(r"enqueue_on_commit\(\s*\"([a-z_.]+)\"", path.read_text())
    }
    assert {"tickets.process_inbound", "outbox.send"} <= queued
    assert queued <= set(_our_tasks()), queued - set(_our_tasks())
