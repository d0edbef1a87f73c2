"""The config file: layering (command line > environment > file > default), and errors that name
the key, the file and what is expected."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from backend.settings import BackendSettings
from deploy.cli import app as tribunal_app
from tests.support.chain import Devnet
from tribunal.cli_common import config_defaults, envvars, resolve_options
from tribunal.config import (
    CONFIG_ENV,
    CONFIG_KEYS,
    ENVIRONMENT_ONLY,
    KEYS_BY_ENV,
    ConfigError,
    Settings,
    describe_settings_error,
    load_config,
)
from verifier.cli import app as verifier_app
from worker.cli import app as worker_app

WriteConfig = Callable[..., Path]
CLIS = {"tribunal": tribunal_app, "worker": worker_app, "verifier": verifier_app}


def test_an_option_comes_from_the_command_line_then_the_environment_then_the_file_then_the_default(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config({"rpc_url": "http://file:8545", "queue": "file-queue", "device": "cuda:7"},
                 {"worker.start": {"stake": "7", "confirmations": 12}})
    monkeypatch.setenv("TRIBUNAL_QUEUE", "env-queue")
    options = resolve_options(worker_app, "worker", "start", ["--device", "cpu"])
    got = {name: (options[name].value, options[name].source)
           for name in ("device", "queue", "rpc_url", "stake", "confirmations", "poll_interval")}
    assert got == {
        "device": ("cpu", "command line"),
        "queue": ("env-queue", "environment"),
        "rpc_url": ("http://file:8545", "config file"),
        "stake": ("7", "config file"),
        "confirmations": (12, "config file"),
        "poll_interval": (2.0, "default"),
    }
    monkeypatch.setenv("TRIBUNAL_RPC_URL", "http://env:8545")
    assert resolve_options(worker_app, "worker", "start")["rpc_url"].value == "http://env:8545"
    cli = resolve_options(worker_app, "worker", "start", ["--rpc-url", "http://cli:8545"])
    assert cli["rpc_url"].value == "http://cli:8545"


def test_a_command_table_wins_over_the_top_level_key_for_that_command_only(write_config: WriteConfig) -> None:
    write_config({"device": "cuda:3", "broker_url": "redis://127.0.0.1:6379/0"},
                 {"worker.executor": {"device": "cpu"}})
    assert resolve_options(worker_app, "worker", "executor")["device"].value == "cpu"
    assert resolve_options(worker_app, "worker", "start")["device"].value == "cuda:3"
    assert resolve_options(verifier_app, "verifier", "start")["device"].value == "cuda:3"


def test_settings_come_from_arguments_then_the_environment_then_the_file_then_the_default(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config({"port": 9001, "reorg_window": 9, "database_url": "postgresql://u@db-host/tribunal",
                  "rpc_url": "http://file:8545", "broker_visibility_timeout_s": 60})
    monkeypatch.setenv("TRIBUNAL_REORG_WINDOW", "7")
    settings = BackendSettings(host="0.0.0.0")
    assert (settings.host, settings.port, settings.reorg_window) == ("0.0.0.0", 9001, 7)
    assert settings.database_url == "postgresql+psycopg://u@db-host/tribunal"
    assert settings.rpc_url == "http://file:8545" and settings.stream_poll_s == 0.5
    assert Settings().broker_visibility_timeout_s == 60
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert BackendSettings().database_url == f"sqlite:///{tmp_path / 'env.db'}"


def test_a_real_command_reads_the_file_given_with_config(
    devnet: Devnet, deployment_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text(f'rpc_url = "{devnet.anvil.rpc_url}"\ndeployment = "{deployment_file}"\n'
                      "[tribunal.task.list]\nlast = 3\n")
    monkeypatch.setenv(CONFIG_ENV, "restored after the test (--config sets it for child processes)")
    result = CliRunner().invoke(tribunal_app, ["--config", str(config), "task", "list"])
    assert result.exit_code == 0, result.output  # the default RPC URL has no node: the file's was used
    assert f"{devnet.deployment.task_market}" not in result.output and " tasks" in result.output


def test_an_unknown_key_is_named_with_the_known_ones(write_config: WriteConfig) -> None:
    path = write_config({"rpc_ulr": "http://x"})
    with pytest.raises(ConfigError) as error:
        load_config()
    message = str(error.value)
    assert str(path) in message and "`rpc_ulr`" in message and "did you mean `rpc_url`?" in message
    assert all(key.name in message for key in CONFIG_KEYS) and "[worker.<command>]" in message


def test_an_unknown_command_or_option_in_a_table_is_named_with_the_known_ones(
    write_config: WriteConfig,
) -> None:
    group = typer.main.get_command(worker_app)
    write_config({}, {"worker.start": {"stak": "1"}})
    with pytest.raises(ConfigError, match=r"in \[worker.start\], unknown option of `worker start` `stak` "
                                          r"\(did you mean `stake`\?\); known: .*max_concurrent"):
        config_defaults(group, "worker", load_config())
    write_config({}, {"worker.strat": {"stake": "1"}})
    with pytest.raises(ConfigError,
                       match=r"unknown command `strat` \(did you mean `start`\?\); known: .*executor"):
        config_defaults(group, "worker", load_config())


def test_the_cli_refuses_a_broken_file_before_running_anything(write_config: WriteConfig) -> None:
    path = write_config({"rpc_url": "http://x"}, {"worker.start": {"stak": "1"}})
    result = CliRunner().invoke(worker_app, ["status"])
    assert result.exit_code == 2
    assert str(path) in " ".join(result.output.split()) and "`stak`" in result.output


def test_secrets_are_refused_without_echoing_them(write_config: WriteConfig) -> None:
    secret = "0x" + "ab" * 32
    write_config({"private_key": secret})
    with pytest.raises(ConfigError) as error:
        load_config()
    assert "TRIBUNAL_PRIVATE_KEY" in str(error.value) and "secret" in str(error.value)
    assert secret not in str(error.value)
    write_config({}, {"tribunal.keys.new": {"password": "hunter2"}})
    with pytest.raises(ConfigError, match="unknown option of `tribunal keys new` `password`"):
        config_defaults(typer.main.get_command(tribunal_app), "tribunal", load_config())


def test_a_bad_option_value_names_the_key_the_file_and_what_is_expected(write_config: WriteConfig) -> None:
    path = write_config({}, {"verifier.start": {"sample_rate": 2}})
    with pytest.raises(ConfigError) as error:
        config_defaults(typer.main.get_command(verifier_app), "verifier", load_config())
    assert str(error.value) == (f"config file {path}: [verifier.start] sample_rate = 2: expected float for "
                                "--sample-rate: Input should be less than or equal to 1")
    path = write_config({"state_dir": 5})
    expected = f"config file {path}: state_dir = 5: expected Path for --state-dir: "
    with pytest.raises(ConfigError, match=expected):
        config_defaults(typer.main.get_command(worker_app), "worker", load_config())


def test_a_bad_setting_names_its_key_and_where_it_came_from(write_config: WriteConfig,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config({"port": "http", "celery_broker_url": "redis://h:6379/0", "confirmations": -1})
    with pytest.raises(ValidationError) as error:
        BackendSettings()
    lines = describe_settings_error(error.value, load_config()).splitlines()
    assert lines == [
        f"  port = 'http' in {path} (TRIBUNAL_PORT): Input should be a valid integer, unable to parse "
        "string as an integer",
        f"  confirmations = -1 in {path} (TRIBUNAL_CONFIRMATIONS): Input should be greater than or equal "
        "to 0",
    ]
    monkeypatch.setenv("DATABASE_URL", "mysql://root:secret@db/x")
    with pytest.raises(ValidationError) as error:
        BackendSettings(port=1, confirmations=0)
    message = describe_settings_error(error.value, load_config())
    assert "DATABASE_URL='mysql://root:***@db/x' (environment)" in message
    assert "unsupported DATABASE_URL" in message and "secret" not in message.replace("***", "")


def test_the_backend_refuses_to_start_on_a_bad_file(tmp_path: Path) -> None:
    config = tmp_path / "backend.toml"
    config.write_text('port = 99999\ndatabase_url = "sqlite:///x.db"\n')
    result = subprocess.run([sys.executable, "-m", "backend", "migrate"], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "TRIBUNAL_CONFIG": str(config)}, timeout=120)
    assert result.returncode == 2
    assert f"port = 99999 in {config} (TRIBUNAL_PORT): Input should be less than or equal to 65535" in (
        " ".join(result.stderr.split()))
    config.write_text("[backend]\nport = 1\n")
    result = subprocess.run([sys.executable, "-m", "backend", "migrate"], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "TRIBUNAL_CONFIG": str(config)}, timeout=120)
    assert result.returncode == 2 and "unknown key `backend`" in result.stderr


def test_a_file_that_is_missing_or_not_toml_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nowhere.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("rpc_url = http://x\n")
    with pytest.raises(ConfigError, match=f"config file {broken} is not valid TOML"):
        load_config(broken)


def test_every_environment_variable_has_its_key_and_every_key_is_read() -> None:
    """CONFIG_KEYS, the CLIs' options and the backend's settings stay in step."""
    cli_envs = set()
    for app in CLIS.values():
        group = typer.main.get_command(app)
        stack = [group]
        while stack:
            command = stack.pop()
            stack += list(getattr(command, "commands", {}).values())
            for param in command.params:
                cli_envs |= {env for env in envvars(param) if env != "TRIBUNAL_CONFIG"} if isinstance(
                    param, typer.core.TyperOption) else set()
    assert cli_envs - set(KEYS_BY_ENV) - set(ENVIRONMENT_ONLY) == set()
    settings_keys = set(BackendSettings.model_fields)
    assert settings_keys - {key.name for key in CONFIG_KEYS} == set()
    unread = {key.name for key in CONFIG_KEYS if key.name not in settings_keys and key.env not in cli_envs}
    assert unread == set()
    for key in CONFIG_KEYS:
        assert key.env == "DATABASE_URL" or key.env == "TRIBUNAL_" + key.name.upper()
