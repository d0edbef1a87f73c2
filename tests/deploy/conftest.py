"""Deploy fixtures: a clean environment, a config file writer and the `tribunal` command as the
submitter (the real backend, Redis and databases these tests check against are the shared fixtures
of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.chain import Devnet, actor_key
from tests.support.config_files import toml_text
from tests.support.submitter_cli import Cli
from tribunal.config import CONFIG_ENV, ENVIRONMENT_ONLY, KEYS_BY_ENV


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


@pytest.fixture()
def cli(devnet: Devnet, deployment_file: Path, backend_url: str,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", actor_key("submitter"))
    yield Cli(devnet, deployment_file, backend_url, monkeypatch)
