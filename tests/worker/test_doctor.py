"""`worker doctor`: each check passes on a healthy setup and says what to do when it fails."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.chain import Devnet
from tribunal.chain.anvil import ANVIL_KEYS, free_port
from tribunal.chain.deployment import save_deployment
from tribunal.doctor import Check, check_artifact_store, check_broker, check_device, run_checks
from worker.cli import app

FUNDED_KEY = ANVIL_KEYS[7]
EMPTY_KEY = "0x" + "11" * 32  # not an anvil account: no ETH


@pytest.fixture(autouse=True)
def _no_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TRIBUNAL_PRIVATE_KEY", "TRIBUNAL_KEYSTORE", "TRIBUNAL_DEPLOYMENT"):
        monkeypatch.delenv(name, raising=False)


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


@pytest.fixture()
def http_server() -> Iterator[str]:
    """Answers /healthz like the backend, 404 elsewhere."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            ok = self.path == "/healthz"
            self.send_response(200 if ok else 404)
            self.end_headers()
            self.wfile.write(b"ok" if ok else b"")

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_healthy_setup_passes_every_check(devnet: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            http_server: str, redis_url: str) -> None:
    monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", FUNDED_KEY)
    path = save_deployment(devnet.deployment, tmp_path / "d.json")
    checks = run_checks(devnet.anvil.rpc_url, path, None, artifact_store=http_server, broker=redis_url,
                        check_broker_too=True)
    assert all(c.ok for c in checks), checks
    names = [c.name for c in checks]
    assert names == ["rpc", "chain id", "contracts", "key", "balance", "stake", "artifact store", "broker",
                     "torch device"]
    detail = by_name(checks)["contracts"].detail
    assert "DisputeGame" in detail and f"DilocoJobs {devnet.deployment.diloco_jobs}" in detail


def test_an_unreachable_rpc_says_to_start_the_node() -> None:
    checks = by_name(run_checks(f"http://127.0.0.1:{free_port()}", None, None))
    assert not checks["rpc"].ok and "start the node or pass --rpc-url" in checks["rpc"].detail
    assert "torch device" in checks  # the local checks still run


def test_a_deployment_for_another_chain_or_a_stale_one_is_named(devnet: Devnet, tmp_path: Path) -> None:
    other_chain = save_deployment(dataclasses.replace(devnet.deployment, chain_id=5), tmp_path / "5.json")
    check = by_name(run_checks(devnet.anvil.rpc_url, other_chain, None))["contracts"]
    assert not check.ok and "is for chain 5" in check.detail
    stale = save_deployment(dataclasses.replace(devnet.deployment, task_market="0x" + "12" * 20),
                            tmp_path / "stale.json")
    check = by_name(run_checks(devnet.anvil.rpc_url, stale, None))["contracts"]
    assert not check.ok and "deployment file is stale" in check.detail


def test_a_deployment_file_mixing_two_deployments_is_caught(devnet: Devnet, tmp_path: Path) -> None:
    # a contract that exists but is not the market's StakeManager
    wrong = dataclasses.replace(devnet.deployment, stake_manager=devnet.deployment.task_market)
    mixed = save_deployment(wrong, tmp_path / "mixed.json")
    check = by_name(run_checks(devnet.anvil.rpc_url, mixed, None))["contracts"]
    assert not check.ok and "mixes two deployments" in check.detail


def test_missing_key_and_unfunded_key(
    devnet: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_deployment(devnet.deployment, tmp_path / "d.json")
    check = by_name(run_checks(devnet.anvil.rpc_url, path, None))["key"]
    assert not check.ok and "TRIBUNAL_PRIVATE_KEY" in check.detail
    monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", EMPTY_KEY)
    checks = by_name(run_checks(devnet.anvil.rpc_url, path, None, min_stake_wei=10**18))
    assert not checks["balance"].ok and "no ETH to pay gas" in checks["balance"].detail
    assert not checks["stake"].ok and "stake with --stake" in checks["stake"].detail


def test_artifact_store_checks(http_server: str) -> None:
    assert check_artifact_store(http_server).ok
    down = check_artifact_store(f"http://127.0.0.1:{free_port()}")
    assert not down.ok and "start the backend" in down.detail
    assert "not a Tribunal backend" in check_artifact_store(http_server + "/elsewhere").detail


def test_broker_checks(redis_url: str) -> None:
    assert check_broker(None).ok and "in this process" in check_broker(None).detail
    assert check_broker(redis_url).ok
    down = check_broker(f"redis://:secret@127.0.0.1:{free_port()}/0")
    assert not down.ok and "start it" in down.detail and "secret" not in down.detail


def test_device_check_refuses_cuda_without_a_gpu() -> None:
    import torch

    assert check_device("cpu").ok
    if not torch.cuda.is_available():
        check = check_device("cuda:0")
        assert not check.ok and "CUDA is not available" in check.detail


def test_worker_doctor_exits_1_and_prints_each_failure() -> None:
    result = CliRunner().invoke(app, ["doctor", "--rpc-url", f"http://127.0.0.1:{free_port()}",
                                      "--artifact-store", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "rpc" in result.output and "artifact store" in result.output
