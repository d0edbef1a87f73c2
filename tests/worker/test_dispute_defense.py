"""A challenger with a faulty recomputation opens a dispute against an honest worker: the worker's
dispute desk answers every move from its own checkpoints and wins, then gets paid — no human."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.agents import OPERATOR_KEYS, start_agent
from tests.support.chain import ETHER, Devnet
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tribunal.chain.anvil import increase_time
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.dispute.player import Player
from tribunal.dispute.state import GameStatus, Party, Resolution
from tribunal.protocol_enums import TaskStatus
from worker import cli
from worker.state import Phase, StateDir, WorkerState


def test_an_honest_worker_defends_and_wins_a_dispute_unattended(
    devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    spec = tiny_spec(seed=11, steps=4, checkpoint_every=2)
    window = 600
    task_id = submitter.post(spec, reward=ETHER, challenge_window=window)
    bob = start_agent(devnet, deployment_file, tmp_path / "bob", OPERATOR_KEYS["bob"], backend_url)
    state_dir = StateDir(tmp_path / "bob")
    try:
        wait_for(lambda: devnet.market("other").task(task_id).status is TaskStatus.SUBMITTED, 90,
                 what="the worker's submission")
        prepared = submitter.prepared[bytes(devnet.market("other").task(task_id).spec_hash)]
        liar = PartyClaims(prepared, tamper=BitFlip(step=1, node=8, element=3, bit=22))
        game = devnet.game("challenger")
        devnet.stake_manager("challenger").stake(game.challenger_bond())
        game_id, _ = game.open(task_id, liar.trace_root)
        challenger = Player(game, game_id, Party.CHALLENGER, liar)
        deadline = time.monotonic() + 120
        while challenger.view().active:
            assert time.monotonic() < deadline, f"game stuck at {challenger.view().level.name}"
            challenger.act()
            time.sleep(0.1)
        view = challenger.view()
        assert view.status is GameStatus.OPERATOR_WON and view.resolution is Resolution.ONE_STEP
        assert (view.step, view.node) == (1, 8)
        resolved = wait_for(lambda: [r for r in caplog.records if getattr(r, "event", "") == "game_resolved"],
                            30, what="the worker to see the game resolved")
        assert resolved[0].won is True
        assert not [r for r in caplog.records if "full recomputation" in r.getMessage()]

        increase_time(devnet.anvil.w3, window + 1)
        wait_for(lambda: state_dir.read().tasks[task_id].phase is Phase.PAID, 60, what="payment")
        bps = devnet.deployment.params["slash_winner_bps"]
        earned = ETHER + game.challenger_bond() * bps // 10_000  # the reward and the won bond share

        def withdrawn_recorded() -> WorkerState | None:
            state = state_dir.read()
            return state if state.withdrawn >= earned else None

        # the agent records a withdrawal after it is mined: wait for the record, not for the chain
        state = wait_for(withdrawn_recorded, 30, what="both withdrawals recorded in the state")
        assert state.withdrawn == earned
        assert devnet.stake_manager("other").credit_of(bob.session.client.address) == 0
        assert state.games[game_id].won is True and state.games[game_id].outcome == "operator_won"
    finally:
        bob.halt()

    status = CliRunner().invoke(cli.app, ["status", "--rpc-url", devnet.anvil.rpc_url, "--deployment",
                                          str(deployment_file), "--state-dir", str(state_dir.root)],
                                env={"TRIBUNAL_PRIVATE_KEY": OPERATOR_KEYS["bob"], "COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    assert "paid" in status.output and "finalized" in status.output
    assert "open disputes: none (1 in all)" in status.output
