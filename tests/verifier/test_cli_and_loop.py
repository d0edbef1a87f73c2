"""The verifier's command line (`check`, `status`, `doctor`) and its loop on a thread."""

from __future__ import annotations

import json
import threading
import time

from typer.testing import CliRunner

from tests.support.chain import actor_key
from tests.support.disputes import Scenario, operator_run
from tests.support.waiting import wait_for
from tribunal.chain.deployment import save_deployment
from tribunal.chain.session import open_session
from tribunal.dispute.claims import BitFlip
from tribunal.dispute.state import GameStatus, GameView
from tribunal.tasks import PreparedTask
from verifier.agent import VerifierAgent, VerifierConfig
from verifier.checking import Mode
from verifier.cli import EXIT_FAULTY, app
from verifier.state import StateDir

FAULT = BitFlip(step=3, node=17, element=5, bit=22)


def cli_args(s: Scenario) -> list[str]:
    deployment = save_deployment(s.devnet.deployment, s.tmp_path / "deployment.json")
    return ["--rpc-url", s.devnet.anvil.rpc_url, "--deployment", str(deployment)]


def test_check_prints_the_first_differing_step_and_the_checkpoints(scenario: Scenario,
                                                                   prepared: PreparedTask) -> None:
    s = scenario
    s.post_and_claim()
    s.submit(operator_run(prepared, lambda: FAULT))
    runner = CliRunner()
    result = runner.invoke(app, ["check", str(s.task_id), "--artifact-store", s.store_url, *cli_args(s)])
    assert result.exit_code == EXIT_FAULTY, result.output
    assert "FAULTY" in result.output
    assert "first differing state: h_4, the first committed state that differs" in result.output
    assert "matches our replay" in result.output  # checkpoint 2 (before the fault)
    assert "differs from our replay from h_4" in result.output  # checkpoint 4 (after it)
    spot = runner.invoke(app, ["check", str(s.task_id), "--mode", "spot", "--sample-rate", "1",
                               "--artifact-store", s.store_url, "--json", *cli_args(s)])
    assert spot.exit_code == EXIT_FAULTY, spot.output
    data = json.loads(spot.output)
    assert data["first_bad_step"] == 3 and data["checkpoints"]["2"] == "matches our replay"
    assert [i["bad_step"] for i in data["intervals"]] == [None, 3]  # [0,2) agreed, [2,4) wrong at 3


def test_check_of_an_honest_result_exits_zero(scenario: Scenario, prepared: PreparedTask) -> None:
    s = scenario
    s.post_and_claim()
    s.submit(operator_run(prepared))
    result = CliRunner().invoke(app, ["check", str(s.task_id), "--mode", "spot", "--seed", "1",
                                      "--artifact-store", s.store_url, *cli_args(s)])
    assert result.exit_code == 0, result.output
    assert "HONEST" in result.output and "matches the committed final state" in result.output


def test_loop_on_a_thread_challenges_plays_and_reports(scenario: Scenario, prepared: PreparedTask) -> None:
    """`verifier start` as it runs: background checks, the desk on the loop, state on disk."""
    s = scenario
    run = operator_run(prepared, lambda: FAULT)
    s.post_and_claim()
    s.submit(run)
    deployment = save_deployment(s.devnet.deployment, s.tmp_path / "d.json")
    session = open_session(s.devnet.anvil.rpc_url, deployment,
                           private_key=actor_key("challenger"))
    config = VerifierConfig(state_dir=s.tmp_path / "state", stake=2 * 10**18, mode=Mode.SPOT, sample_rate=1.0,
                            artifact_store=s.store_url, device="cpu", poll_interval_s=0.05)
    verifier = VerifierAgent(session, config)
    stop = threading.Event()
    thread = threading.Thread(target=verifier.run, args=(stop,), daemon=True)
    thread.start()
    s.defend(run.claims)
    try:
        deadline = time.monotonic() + 120
        game = s.devnet.game("other")
        while time.monotonic() < deadline:
            s._watch_new_games()
            for desk in s.desks:
                desk.tick()
            if game.game_count() and not GameView.from_tuple(game.state(1)).active:
                break
            time.sleep(0.05)
        assert GameView.from_tuple(game.state(1)).status is GameStatus.CHALLENGER_WON
        state = StateDir(s.tmp_path / "state")

        def outcome_and_withdrawal_recorded() -> bool:
            recorded = state.read()
            return recorded.games[1].outcome == "challenger_won" and recorded.withdrawn > 0

        wait_for(outcome_and_withdrawal_recorded, 30, what="the game's outcome and the winnings withdrawn")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    me = s.address("challenger")
    assert s.devnet.stake_manager("other").credit_of(me) == 0  # withdrawn by the loop
    result = CliRunner().invoke(app, ["status", "--state-dir", str(s.tmp_path / "state"), *cli_args(s)],
                                env={"TRIBUNAL_PRIVATE_KEY": actor_key("challenger")})
    assert result.exit_code == 0, result.output
    assert "faulty" in result.output and "challenger_won" in result.output


def test_doctor_checks_the_stake_against_the_bond(scenario: Scenario) -> None:
    s = scenario
    env = {"TRIBUNAL_PRIVATE_KEY": actor_key("challenger")}
    result = CliRunner().invoke(app, ["doctor", "--artifact-store", s.store_url, "--device", "cpu",
                                      *cli_args(s)], env=env)
    assert result.exit_code == 1 and "below 1 ETH" in result.output, result.output
    s.devnet.stake_manager("challenger").stake(10**18)
    result = CliRunner().invoke(app, ["doctor", "--artifact-store", s.store_url, "--device", "cpu",
                                      *cli_args(s)], env=env)
    assert result.exit_code == 0, result.output
