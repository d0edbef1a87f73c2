"""deploy/: the systemd units run commands that exist, configured by the file and the environment
only; the example config file and environment file hold every setting and are valid."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from backend.settings import BackendSettings
from deploy.config_check import cli_app
from tribunal.cli_common import config_defaults
from tribunal.config import CONFIG_ENV, CONFIG_KEYS, ENVIRONMENT_ONLY, PROGRAMS, Settings, load_config
from tribunal.paths import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
VENV_BIN = Path(sys.executable).parent
INSTALLED_BIN = "/opt/tribunal/.venv/bin/"
TRIBUNAL_PROGRAMS = ("tribunal", "tribunal-api", "worker", "verifier")


def service_entries(unit: Path) -> list[tuple[str, str]]:
    """(key, value) of the [Service] section, in order (systemd allows a key more than once)."""
    entries, section = [], ""
    for line in unit.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            entries.append((key, value))
    return entries


def test_the_four_units_the_deployment_guide_names_are_there() -> None:
    names = {unit.name for unit in UNITS}
    assert {"tribunal-backend.service", "tribunal-worker.service", "tribunal-executor@.service",
            "tribunal-verifier.service"} <= names


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_each_unit_runs_commands_that_exist_configured_by_the_file_and_environment(unit: Path) -> None:
    entries = service_entries(unit)
    assert ("Environment", f"{CONFIG_ENV}=/etc/tribunal/tribunal.toml") in entries
    commands = [(key, value.replace("%i", "0")) for key, value in entries
                if key in ("ExecStart", "ExecStartPre")]
    assert [key for key, _ in commands].count("ExecStart") == 1
    for key, command in commands:
        argv = shlex.split(command.lstrip("-+!@:"))
        assert argv[0].startswith(INSTALLED_BIN), f"{unit.name}: {key} runs {argv[0]}, not the install's venv"
        executable = VENV_BIN / argv[0].removeprefix(INSTALLED_BIN)
        assert executable.exists(), f"{unit.name}: {key} runs {argv[0]}, which `make setup` does not install"
        if key == "ExecStart" and executable.name in TRIBUNAL_PROGRAMS:
            options = [arg for arg in argv[1:] if arg.startswith("-")]
            assert options == [], f"{unit.name}: settings belong in the config file or environment: {options}"
        # --help after the real arguments: an unknown command or option fails before help is shown
        result = subprocess.run([str(executable), *argv[1:], "--help"], capture_output=True, text=True,
                                timeout=120, cwd="/", env={"PATH": f"{VENV_BIN}:/usr/bin:/bin"})
        assert result.returncode == 0, f"{unit.name}: `{command} --help` failed:\n{result.stderr[-2000:]}"


def uncommented(text: str) -> str:
    """The example with every commented setting (`# key = value`) enabled."""
    return re.sub(r"(?m)^# ?([a-z_]+ = \S.*)$", r"\1", text)


@pytest.mark.parametrize("enable_all", [False, True], ids=["as shipped", "every setting enabled"])
def test_the_example_config_is_valid_for_every_role(enable_all: bool, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DEPLOY / "tribunal.example.toml").read_text()
    path = tmp_path / "tribunal.toml"
    path.write_text(uncommented(text) if enable_all else text)
    for name in [CONFIG_ENV, *(env for key in CONFIG_KEYS for env in key.envs)]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(CONFIG_ENV, str(path))
    config = load_config()
    assert config is not None
    for program in PROGRAMS:
        config_defaults(typer.main.get_command(cli_app(program)), program, config)
    BackendSettings()
    Settings()
    if enable_all:
        assert set(config.values) == {key.name for key in CONFIG_KEYS}


def test_the_example_environment_file_names_every_variable() -> None:
    text = (DEPLOY / "tribunal.example.env").read_text()
    named = set(re.findall(r"(?m)^#? ?([A-Z_]+)=", text))
    expected = {env for key in CONFIG_KEYS for env in (key.env,)} | {CONFIG_ENV} | (
        set(ENVIRONMENT_ONLY) - {"TRIBUNAL_CHEAT"})
    assert expected - named == set()
