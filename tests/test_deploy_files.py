"""The production shape (docker-compose.yml, Dockerfile) cannot be run here (no Docker engine),
so its promises are checked as files: what a deployment depends on."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = ("web", "live", "worker-sweeps", "worker-io", "beat")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _option(args: list[str], flag: str) -> str:
    assert flag in args, args
    return args[args.index(flag) + 1]


def _compose_workers() -> dict[str, list[str]]:
    return {
        name: service["command"]
        for name, service in _compose().items()
        if service.get("command", [])[:4] == ["celery", "-A", "config", "worker"]
    }


def _bin_run_workers() -> list[list[str]]:
    script = (ROOT / "bin" / "run").read_text().replace("\\\n", " ")
    return [
        shlex.split(line.rstrip(" &"))[1:]  # without "$PY"
        for line in script.splitlines()
        if re.match(r'"\$PY" -m celery -A config worker ', line)
    ]


def _routed_queues() -> set[str]:
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return routed | {settings.CELERY_TASK_DEFAULT_QUEUE}


def test_app_processes_start_only_after_migrations_completed():
    services = _compose()
    assert services["migrate"]["command"][:3] == ["python", "manage.py", "migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert "migrate" not in " ".join(services[name]["command"]), name


def test_every_long_running_service_has_a_health_check():
    services = _compose()
    for name, service in services.items():
        if name != "migrate":
            assert "healthcheck" in service, name


def test_the_media_volume_is_created_in_the_image_for_the_app_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "mkdir -p /app/var/media" in dockerfile
    assert "chown -R helpdesk /app/var" in dockerfile
    assert dockerfile.index("chown -R helpdesk /app/var") < dockerfile.index("USER helpdesk")
    assert "/app/var/media" in {volume.split(":")[1] for volume in _compose()["web"]["volumes"]}


def test_every_routed_queue_is_consumed_by_a_compose_worker_and_by_bin_run():
    routed = _routed_queues()
    assert routed == set(settings.TASK_QUEUES)
    for workers in (list(_compose_workers().values()), _bin_run_workers()):
        assert len(workers) == 2, workers
        consumed = [set(_option(args, "-Q").split(",")) for args in workers]
        assert set().union(*consumed) == routed
        assert len({_option(args, "-n") for args in workers}) == 2  # distinct node names


def test_the_sweeps_have_a_worker_that_takes_nothing_that_waits_on_the_network():
    for workers in (list(_compose_workers().values()), _bin_run_workers()):
        queues = [set(_option(args, "-Q").split(",")) for args in workers]
        assert {"sweeps"} in queues
        assert not any("sweeps" in q and q & {"intake", "outbound"} for q in queues)


def test_each_compose_worker_health_check_pings_its_own_node_name():
    services = _compose()
    for name, command in _compose_workers().items():
        node = _option(command, "-n").replace("%h", "$$HOSTNAME")
        assert f"-d {node}" in services[name]["healthcheck"]["test"][1], name
