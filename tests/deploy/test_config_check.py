"""`tribunal config check --role R`: loads the configuration as R starts and checks all R must reach,
against the session's anvil, a real backend, Redis and PostgreSQL."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from typer.testing import CliRunner

from deploy.cli import app
from tests.support.chain import Devnet
from tribunal.chain.anvil import ANVIL_KEYS, free_port
from tribunal.chain.deployment import save_deployment
from tribunal.chain.keys import Signer, write_keystore

WriteConfig = Callable[..., Path]
FUNDED_KEY = ANVIL_KEYS[7]
TRIBUNAL_CLI = str(Path(sys.executable).parent / "tribunal")


def check(role: str | None) -> tuple[int, dict[str, str]]:
    """Run the check in this process; its exit code and {check name: "ok …" / "FAIL …"}."""
    result = CliRunner().invoke(app, ["config", "check", *(["--role", role] if role else [])])
    lines: dict[str, str] = {}
    for line in result.output.splitlines():
        mark, _, rest = line.partition(" ")
        if mark in ("ok", "FAIL"):
            name, detail = rest.strip()[:14].strip(), rest.strip()[14:].strip()
            lines[name] = f"{mark} {detail}"
        elif lines:  # a detail continued on the next line
            last = list(lines)[-1]
            lines[last] += " " + line.strip()
    return result.exit_code, lines


def failed(lines: dict[str, str]) -> dict[str, str]:
    return {name: text for name, text in lines.items() if text.startswith("FAIL")}


@pytest.fixture()
def agent_config(devnet: Devnet, deployment_file: Path, backend_url: str, redis_url: str,
                 tmp_path: Path) -> dict[str, Any]:
    """A good configuration for every agent role, the key in the environment as a service has it."""
    return {"rpc_url": devnet.anvil.rpc_url, "deployment": str(deployment_file),
            "artifact_store": backend_url, "broker_url": redis_url, "queue": "op-test", "device": "cpu",
            "executor_dir": str(tmp_path / "executor")}


@pytest.mark.parametrize("role", ["worker", "verifier", "executor", None])
def test_a_good_configuration_passes_every_check(role: str | None, agent_config: dict[str, Any],
                                                 write_config: WriteConfig,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(agent_config, {"worker.start": {"stake": "2", "confirmations": 1}})
    monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", FUNDED_KEY)
    code, lines = check(role)
    assert code == 0 and not failed(lines), lines
    expected = {
        "worker": ["config file", "settings", "rpc", "chain id", "contracts", "key", "balance", "stake",
                   "artifact store", "broker", "torch device"],
        "verifier": ["config file", "settings", "rpc", "chain id", "contracts", "key", "balance", "stake",
                     "artifact store", "torch device"],
        "executor": ["config file", "settings", "broker", "torch device", "work dir"],
        None: ["config file", "settings", "rpc", "chain id", "contracts"],
    }[role]
    assert list(lines) == expected
    if role == "worker":
        assert "stake=2 (config file)" in lines["settings"]
        assert "confirmations=1 (config file)" in lines["settings"]
        assert Account.from_key(FUNDED_KEY).address in lines["key"]


def test_the_command_exits_0_when_all_is_well_and_1_on_a_failure(
    agent_config: dict[str, Any], write_config: WriteConfig
) -> None:
    path = write_config(agent_config)
    env = {**os.environ, "TRIBUNAL_PRIVATE_KEY": FUNDED_KEY}
    ok = subprocess.run([TRIBUNAL_CLI, "config", "check", "--role", "worker"], env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert FUNDED_KEY[2:] not in ok.stdout + ok.stderr  # the key is never printed
    path.write_text(path.read_text().replace(agent_config["broker_url"], f"redis://127.0.0.1:{free_port()}/0"))
    bad = subprocess.run([TRIBUNAL_CLI, "--config", str(path), "config", "check", "--role", "worker"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "FAIL broker" in " ".join(bad.stdout.split())


def test_a_deployment_file_of_another_chain_is_named(devnet: Devnet, agent_config: dict[str, Any],
                                                      write_config: WriteConfig, tmp_path: Path) -> None:
    other = save_deployment(dataclasses.replace(devnet.deployment, chain_id=5), tmp_path / "5.json")
    write_config({**agent_config, "deployment": str(other)})
    code, lines = check(None)
    assert code == 1 and list(failed(lines)) == ["contracts"]
    assert lines["chain id"] == "ok 31337"
    assert f"deployment file {other} is for chain 5, but the RPC is chain 31337" in lines["contracts"]


def test_an_unreachable_rpc_is_named_with_where_to_fix_it(agent_config: dict[str, Any],
                                                           write_config: WriteConfig,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    write_config({**agent_config, "rpc_url": dead})
    monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", FUNDED_KEY)
    code, lines = check("verifier")
    assert code == 1 and "rpc" in failed(lines)
    assert f"{dead} does not answer" in lines["rpc"] and "`rpc_url` in the config file" in lines["rpc"]


def test_an_unreachable_redis_is_named(agent_config: dict[str, Any], write_config: WriteConfig) -> None:
    port = free_port()
    write_config({**agent_config, "broker_url": f"redis://:hunter2@127.0.0.1:{port}/0"})
    code, lines = check("executor")
    assert code == 1 and list(failed(lines)) == ["broker"]
    assert f"Redis at redis://:**@127.0.0.1:{port}/0 does not answer" in lines["broker"]
    assert "hunter2" not in "".join(lines.values())


def test_an_executor_without_a_broker_says_which_setting_is_missing(write_config: WriteConfig) -> None:
    write_config({"device": "cpu"})
    code, lines = check("executor")
    assert code == 1 and list(lines) == ["config file", "settings"]
    assert "Missing option '--broker'" in lines["settings"]
    assert "set `broker_url` in the config file or TRIBUNAL_BROKER_URL" in lines["settings"]


def test_a_keystore_is_decrypted_with_the_password_from_the_environment_only(
    agent_config: dict[str, Any], write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keystore = tmp_path / "operator.json"
    write_keystore(Signer(Account.from_key(FUNDED_KEY)), keystore, "correct horse")
    write_config({**agent_config, "keystore": str(keystore)})
    code, lines = check("verifier")
    assert code == 1 and list(failed(lines)) == ["key"]
    assert f"keystore file {keystore} needs its password in $TRIBUNAL_KEYSTORE_PASSWORD" in lines["key"]
    monkeypatch.setenv("TRIBUNAL_KEYSTORE_PASSWORD", "wrong")
    assert "wrong password" in check("verifier")[1]["key"]
    monkeypatch.setenv("TRIBUNAL_KEYSTORE_PASSWORD", "correct horse")
    code, lines = check("verifier")
    assert code == 0, lines
    assert lines["key"] == f"ok {Account.from_key(FUNDED_KEY).address}"


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
def test_a_good_backend_configuration_passes(db_kind: str, new_database: Callable[[str], str], devnet: Devnet,
                                             deployment_file: Path, redis_url: str, write_config: WriteConfig,
                                             tmp_path: Path) -> None:
    database = new_database(db_kind)
    write_config({"rpc_url": devnet.anvil.rpc_url, "deployment": str(deployment_file),
                  "database_url": database, "artifact_dir": str(tmp_path / "artifacts"),
                  "celery_broker_url": redis_url, "port": 8100})
    code, lines = check("backend")
    assert code == 0, lines
    assert list(lines) == ["config file", "settings", "rpc", "chain id", "contracts", "database",
                           "artifact dir", "jobs broker"]
    assert "schema at no migration yet" in lines["database"]  # a check migrates nothing


def test_a_database_that_does_not_answer_or_is_not_supported_is_named(
    devnet: Devnet, deployment_file: Path, write_config: WriteConfig, tmp_path: Path
) -> None:
    port = free_port()
    path = write_config({"rpc_url": devnet.anvil.rpc_url, "deployment": str(deployment_file),
                         "database_url": f"postgresql://tribunal:hunter2@127.0.0.1:{port}/tribunal",
                         "artifact_dir": str(tmp_path / "artifacts")})
    code, lines = check("backend")
    assert code == 1 and list(failed(lines)) == ["database"]
    assert f"postgresql+psycopg://tribunal:***@127.0.0.1:{port}/tribunal does not answer" in lines["database"]
    assert "check DATABASE_URL" in lines["database"] and "hunter2" not in lines["database"]
    write_config({"database_url": "mysql://root@db/tribunal"})
    code, lines = check("backend")
    assert code == 1 and list(lines) == ["config file", "settings"]
    assert f"database_url = 'mysql://root@db/tribunal' in {path} (DATABASE_URL)" in lines["settings"]
    assert "use sqlite:///path/to/file.db or postgresql://user@host:port/dbname" in lines["settings"]


def test_a_broken_file_is_the_only_failure_reported(write_config: WriteConfig) -> None:
    path = write_config({"rpc_url": "http://x"}, {"verifier.start": {"sample_rate": "often"}})
    code, lines = check("verifier")
    assert code == 1 and list(lines) == ["config file"]
    expected = f"config file {path}: [verifier.start] sample_rate = 'often': expected float"
    assert expected in lines["config file"]
