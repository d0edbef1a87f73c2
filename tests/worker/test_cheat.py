"""`worker start --cheat`: the demo's dishonest worker trains a lie it can defend consistently,
and the option is refused wherever it could cost anyone real money."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.specs import tiny_spec
from tribunal.chain.anvil import ANVIL_KEYS, start_anvil
from tribunal.chain.client import ChainClient
from tribunal.chain.deploy import DeployParams, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.chain.keys import signer_from_private_key
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.faults import CHEATS, named_cheat
from tribunal.tasks import prepare_task
from tribunal.training import train
from worker.cli import app

SPEC = tiny_spec(batch_size=4, seed=3, steps=6)


def test_the_cheat_changes_the_result_and_the_cheater_defends_the_same_lie() -> None:
    prepared = prepare_task(SPEC, "")
    fault = named_cheat("flip-bit", prepared.graph, SPEC.steps)
    assert fault.step == SPEC.steps // 2
    honest = train(SPEC, dataset=prepared.dataset)
    cheated = train(SPEC, dataset=prepared.dataset, tamper=fault)
    assert cheated.trace_root != honest.trace_root and cheated.model_hash != honest.model_hash
    # the steps before the fault agree; the state after the faulty step does not
    assert cheated.state_commitments[: fault.step + 1] == honest.state_commitments[: fault.step + 1]
    assert cheated.state_commitments[fault.step + 1] != honest.state_commitments[fault.step + 1]
    # the agent's dispute claims replay the same fault: it defends exactly what it submitted
    assert PartyClaims(prepared, tamper=fault).trace_root == cheated.trace_root
    assert PartyClaims(prepared).trace_root == honest.trace_root


def test_an_unknown_cheat_is_named_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="flip-bit"):
        named_cheat("lie-a-lot", prepare_task(SPEC, "").graph, SPEC.steps)
    result = CliRunner().invoke(app, ["start", "--cheat", "lie-a-lot"])
    assert result.exit_code != 0
    output = " ".join(result.output.split())  # the console wraps long lines
    assert "unknown cheat" in output and ", ".join(CHEATS) in output


@pytest.mark.chain  # its own anvil, on chain id 1337
def test_cheating_is_refused_on_any_chain_but_a_local_anvil(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    node = start_anvil(chain_id=1337)
    try:
        deployer = signer_from_private_key(ANVIL_KEYS[0])
        deployment = deploy_contracts(ChainClient(node.w3, deployer), node.rpc_url, DeployParams())
        path = save_deployment(deployment, tmp_path / "1337.json")
        monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", ANVIL_KEYS[5])
        result = CliRunner().invoke(app, ["start", "--cheat", "flip-bit", "--rpc-url", node.rpc_url,
                                          "--deployment", str(path), "--state-dir", str(tmp_path / "state")])
    finally:
        node.stop()
    assert result.exit_code != 0
    assert "--cheat is for demos on a local anvil (chain 31337)" in result.output
    assert "chain 1337" in result.output
    assert not (tmp_path / "state").exists()  # refused before anything was staked or written
