"""Deploy fixtures: the real backend, Redis and PostgreSQL of the worker and backend suites, and a
config file writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.backend.conftest import new_database  # noqa: F401 - a fixture, used by name
from tests.worker.conftest import backend_url, deployment_file, redis_url  # noqa: F401 - fixtures
from tribunal.config import CONFIG_ENV, ENVIRONMENT_ONLY, KEYS_BY_ENV


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_text(values: dict[str, Any], tables: dict[str, dict[str, Any]] | None = None) -> str:
    """A config file: top-level keys, then ``{"worker.start": {...}}`` tables."""
    lines = [f"{key} = {toml_value(value)}" for key, value in values.items()]
    for name, table in (tables or {}).items():
        lines.append(f"\n[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting leaks in from the shell: each test sets what it means."""
    for name in [CONFIG_ENV, *KEYS_BY_ENV, *ENVIRONMENT_ONLY]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write a config file and point ``TRIBUNAL_CONFIG`` at it (restored after the test)."""

    def write(values: dict[str, Any], tables: dict[str, dict[str, Any]] | None = None,
              name: str = "tribunal.toml") -> Path:
        path = tmp_path / name
        path.write_text(toml_text(values, tables))
        monkeypatch.setenv(CONFIG_ENV, str(path))
        return path

    return write
