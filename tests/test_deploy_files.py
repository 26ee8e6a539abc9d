"""The production shape (docker-compose.yml, Dockerfile) cannot be run here (no Docker engine),
so its promises are checked as files: what a deployment depends on."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = ("web", "worker", "beat")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


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
