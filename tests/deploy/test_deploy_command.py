"""`tribunal deploy` on a fresh chain: every contract, wired, with the dispute parameters asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deploy.cli import app
from tribunal.chain.anvil import ANVIL_KEYS, start_anvil
from tribunal.chain.deploy import DeployParams
from tribunal.chain.deployment import load_deployment
from tribunal.chain.session import open_session


@pytest.mark.chain  # its own anvil, on chain id 4242
def test_deploy_writes_a_wired_deployment_with_the_given_bond_and_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = start_anvil(chain_id=4242)
    try:
        monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", ANVIL_KEYS[9])
        out = tmp_path / "4242.json"
        result = CliRunner().invoke(app, ["deploy", "--rpc-url", node.rpc_url, "--out", str(out),
                                          "--challenger-bond", "0.1", "--max-clock", "3600",
                                          "--forced-error-ppm", "1000", "--audit-window", "600",
                                          "--unbonding-delay", str(6 * 86400), "--verifier-bond", "0.25",
                                          "--committee-size", "3"])
        assert result.exit_code == 0, result.output
        assert "DisputeGame" in result.output and "challenger bond 0.1 ETH" in result.output
        deployment = load_deployment(out, chain_id=4242)
        session = open_session(node.rpc_url, out, read_only=True)
        assert session.game is not None
        assert session.game.challenger_bond() == 10**17
        assert session.game.max_clock() == 3600
        assert deployment.dispute_game and deployment.task_market and deployment.stake_manager
        # the jackpot's verifier registry and committee, as asked for
        assert session.jackpot is not None
        assert (session.jackpot.verifier_bond(), session.jackpot.committee_size()) == (25 * 10**16, 3)
        assert session.jackpot.share() == DeployParams.pot_wei // 3  # the default pot, over 3 seats
        params = deployment.params
        assert (params["verifier_bond_wei"], params["committee_size"]) == (25 * 10**16, 3)
        # the DiLoCo jobs contract, over this market
        assert session.diloco_jobs is not None and deployment.diloco_jobs is not None
        assert f"DilocoJobs {deployment.diloco_jobs}" in " ".join(result.output.split())
        assert session.diloco_jobs.job_count() == 0
    finally:
        node.stop()


def test_deploy_refuses_bad_parameters_before_sending_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", ANVIL_KEYS[9])
    runner = CliRunner()
    bad_bond = runner.invoke(app, ["deploy", "--rpc-url", "http://127.0.0.1:9", "--challenger-bond", "lots"])
    assert bad_bond.exit_code != 0 and "--challenger-bond" in bad_bond.output
    too_long = runner.invoke(app, ["deploy", "--rpc-url", "http://127.0.0.1:9",
                                   "--max-clock", str(10 * 86400)])
    assert too_long.exit_code != 0 and "max_dispute_duration" in too_long.output
    forced = ["--forced-error-ppm", "1000", "--audit-window", "600", "--unbonding-delay", str(6 * 86400)]
    bad_verifier_bond = runner.invoke(app, ["deploy", "--rpc-url", "http://127.0.0.1:9", *forced,
                                            "--verifier-bond", "lots"])
    assert bad_verifier_bond.exit_code != 0 and "--verifier-bond" in bad_verifier_bond.output
    no_verifier_bond = runner.invoke(app, ["deploy", "--rpc-url", "http://127.0.0.1:9", *forced,
                                           "--verifier-bond", "0"])
    assert no_verifier_bond.exit_code != 0 and "verifier_bond_wei" in no_verifier_bond.output
    too_big = runner.invoke(app, ["deploy", "--rpc-url", "http://127.0.0.1:9", *forced,
                                  "--committee-size", "9"])
    assert too_big.exit_code != 0 and "committee_size 9" in too_big.output
