"""Every environment variable that settings reads is documented in the README's configuration
table (a newcomer should not have to read settings.py to configure the service)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _variables_read_by_settings() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    reader = r"(?:env_bool|env_int|env_list|os\.environ\.get|os\.environ\[)"
    pattern = reader + r'\(?\s*"([A-Z][A-Z0-9_]+)"'
    return set(re.findall(pattern, source))


def _configuration_table() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]


def test_settings_reads_variables():
    expected = {"SECRET_KEY", "REDIS_URL", "LOG_LEVEL", "DB_CONNECT_TIMEOUT"}
    assert expected <= _variables_read_by_settings()


def test_every_variable_settings_reads_is_in_the_readme_configuration_table():
    table = _configuration_table()
    missing = sorted(v for v in _variables_read_by_settings() if f"`{v}`" not in table)
    assert not missing, f"document these in the README's Configuration table: {missing}"
