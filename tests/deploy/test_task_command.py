"""`tribunal task evict`: a claim past the market's claim timeout is evicted, with clear refusals
before it times out and once nothing is claimed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deploy.cli import app
from tests.support.chain import ETHER, Devnet, actor_key, sample_task_params
from tribunal.chain.anvil import increase_time
from tribunal.chain.client import ChainClient
from tribunal.chain.deploy import DeployParams, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.protocol_enums import TaskStatus

CLAIM_TIMEOUT = 60


def test_task_evict_refuses_too_early_then_evicts_and_reopens(
    devnet: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A market of its own with a short claim timeout, on the shared anvil (rolled back after).
    params = DeployParams(claim_timeout=CLAIM_TIMEOUT)
    deployment = deploy_contracts(ChainClient(devnet.anvil.w3, devnet.signers["deployer"]),
                                  devnet.anvil.rpc_url, params)
    assert deployment.params["claim_timeout"] == CLAIM_TIMEOUT  # the deployment file records it
    assert deployment.params["min_task_stake"] == params.min_task_stake
    assert deployment.params["min_challenge_window"] == params.min_challenge_window
    chain = Devnet(devnet.anvil, deployment, devnet.signers)
    file = save_deployment(deployment, tmp_path / "deployment.json")
    squatter = devnet.signers["operator"].address
    chain.stake_manager("operator").stake(2 * ETHER)
    task_id, _ = chain.market("submitter").post_task(sample_task_params(chain), ETHER)
    chain.market("operator").claim(task_id)

    monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", actor_key("other"))
    runner = CliRunner()
    evict = ["task", "evict", str(task_id), "--rpc-url", devnet.anvil.rpc_url, "--deployment", str(file)]

    early = runner.invoke(app, evict)
    assert early.exit_code == 1, early.output
    assert "too early" in early.output and "may still submit" in early.output
    assert chain.market("other").task(task_id).status is TaskStatus.CLAIMED

    increase_time(devnet.anvil.w3, CLAIM_TIMEOUT + 1)
    done = runner.invoke(app, evict)
    assert done.exit_code == 0, done.output
    slashed = 2 * ETHER * params.missed_deadline_slash_bps // 10_000
    assert "evicted" in done.output and "open again" in done.output
    assert "0.4 ETH" in done.output, done.output
    task = chain.market("other").task(task_id)
    assert task.status is TaskStatus.OPEN and int(task.operator, 16) == 0
    info = chain.stake_manager("operator").info(squatter)
    assert (info.bonded, info.locked) == (2 * ETHER - slashed, 0)

    again = runner.invoke(app, evict)
    assert again.exit_code == 1
    assert f"task {task_id} is open, not claimed" in again.output
    missing = runner.invoke(app, ["task", "evict", "99", "--rpc-url", devnet.anvil.rpc_url,
                                  "--deployment", str(file)])
    assert missing.exit_code == 1 and "no task 99" in missing.output
