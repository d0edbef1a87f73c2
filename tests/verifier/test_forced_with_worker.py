"""Forced errors end to end with both real agents (docs/forced-errors.md): the operator agent on a
market where every result is forced submits a result wrong in one interior committed state, the
verifier agent (which joined the verifier registry at its start, before the operator started: so it
is the result's committee) draws the committee, finds the error, seals its own value of that state
and opens no game; the operator reveals the forced error, the verifier reveals its catch,
re-checks the honest root, and once the task is paid claims and withdraws its share of the pot
(POT / COMMITTEE_SIZE) from the operator's escrow, the rest of which returns to the escrow. A
cheating operator on the same market is sealed, then challenged after its reveal and slashed. The
phases are seconds of anvil's own time, left to run at its pace (hurried, a fresh window can close
before a replay ends); the tests wait on the agents' state and the chain, never sleep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.chain import Devnet, actor_key
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tests.worker.test_forced_errors import FORCED, POT, WINDOW, deploy_forced, run_agent
from tribunal.chain.deployment import save_deployment
from tribunal.chain.session import ChainSession, open_session
from tribunal.dispute.state import GameView
from tribunal.protocol_enums import GameStatus, TaskStatus
from verifier.agent import VerifierAgent, VerifierConfig
from verifier.checking import Mode
from verifier.state import CatchRecord, StateDir


@contextmanager
def running_verifier(market: Devnet, deployment_file: Path, state_dir: Path, store_url: str,
                     mode: Mode) -> Iterator[VerifierAgent]:
    """The verifier agent on a thread, once it is a member of the verifier registry (it joins at
    start): a result submitted from then on may draw it into its committee."""
    key = actor_key("challenger")
    config = VerifierConfig(state_dir=state_dir, stake=10**18, mode=mode, sample_rate=1.0,
                            artifact_store=store_url, device="cpu", poll_interval_s=0.2)
    session = open_session(market.anvil.rpc_url, deployment_file, private_key=key)
    agent = VerifierAgent(session, config)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        jackpot = session.jackpot
        assert jackpot is not None
        wait_for(lambda: jackpot.is_member(session.client.address), 60, what="the verifier's registration")
        yield agent
    finally:
        stop.set()
        thread.join(timeout=30)


def _catch(state_dir: Path, task_id: int) -> CatchRecord | None:
    if not StateDir(state_dir).exists():
        return None
    return StateDir(state_dir).read().catches.get(task_id)


def forced_task(devnet: Devnet, backend_url: str, tmp_path: Path) -> tuple[Devnet, Path, int, ChainSession]:
    """A market where every result is forced, its deployment file, one task posted on it, and the
    verifier's session."""
    market = deploy_forced(devnet)
    deployment_file = save_deployment(market.deployment, tmp_path / "forced.json")
    task_id = Submitter(market, backend_url).post(FORCED, challenge_window=WINDOW)
    session = open_session(market.anvil.rpc_url, deployment_file, private_key=actor_key("challenger"))
    return market, deployment_file, task_id, session


def test_a_forced_error_is_caught_by_the_verifier_agent_and_paid_from_the_operators_escrow(
        devnet: Devnet, backend_url: str, tmp_path: Path) -> None:
    market, deployment_file, task_id, session = forced_task(devnet, backend_url, tmp_path)
    assert session.jackpot is not None
    jackpot = session.jackpot
    me = session.client.address
    with running_verifier(market, deployment_file, tmp_path / "verifier", backend_url, Mode.FULL):
        worker = run_agent(market, deployment_file, tmp_path / "worker", backend_url)
        try:
            sealed = wait_for(lambda: (c := _catch(tmp_path / "verifier", task_id)) is not None
                              and c.status != "sealing" and c, 240, what="the verifier's sealed catch")
            assert sealed.status in ("sealed", "catching", "caught", "claimed"), sealed
            seal_events = jackpot.contract.events.Sealed.get_logs(
                from_block=market.deployment.block_number, argument_filters={"catcher": me})
            assert [bytes(e["args"]["sealHash"]).hex() for e in seal_events] == [
                sealed.seal_hash.removeprefix("0x")]
            view = session.market

            def revealed() -> bool:
                return view.draw(task_id).forced_at != 0

            wait_for(revealed, 240, what="the forced error's reveal")
            pot = jackpot.pot(task_id)
            assert pot.amount == POT and pot.operator == worker.session.client.address

            def claimed() -> bool:
                return jackpot.catch_of(task_id, me) == 2

            wait_for(claimed, 300, what="the verifier's jackpot claim")
            # it drew the committee of the result, and was in it
            drawn, = jackpot.contract.events.CommitteeDrawn.get_logs(
                from_block=market.deployment.block_number, argument_filters={"taskId": task_id})
            assert list(drawn["args"]["committee"]) == [me]
            assert market.anvil.w3.eth.get_transaction(drawn["transactionHash"])["from"] == me
            wait_for(lambda: jackpot.credits(me) == 0, 30, what="the share withdrawn")
        finally:
            worker.stop.set()
            worker.thread.join(timeout=30)
    task = session.market.task(task_id)
    assert task.status is TaskStatus.FINALIZED
    assert task.trace_root == pot.trace_root, "the honest root stood"
    assert jackpot.pot(task_id).catches == 1
    share = jackpot.share()
    assert share == POT // jackpot.committee_size()
    paid, = jackpot.contract.events.JackpotClaimed.get_logs(from_block=market.deployment.block_number,
                                                          argument_filters={"taskId": task_id})
    assert paid["args"]["catcher"] == me and paid["args"]["share"] == share
    closed, = jackpot.contract.events.PotClosed.get_logs(from_block=market.deployment.block_number,
                                                        argument_filters={"taskId": task_id})
    assert closed["args"]["returned"] == POT - share, "the unfilled seat's share went back to the escrow"
    assert closed["args"]["operator"] == worker.session.client.address
    game = market.game("other")
    assert game.game_count() == 0, "a forced error needs no game"
    assert session.stake_manager.info(worker.session.client.address).locked == 0, "not slashed, released"


def test_a_cheat_on_a_forced_error_market_is_sealed_then_challenged_and_slashed(
        devnet: Devnet, backend_url: str, tmp_path: Path) -> None:
    market, deployment_file, task_id, session = forced_task(devnet, backend_url, tmp_path)
    with running_verifier(market, deployment_file, tmp_path / "verifier", backend_url, Mode.FULL):
        worker = run_agent(market, deployment_file, tmp_path / "worker", backend_url,
                           patch=lambda agent, _stop: setattr(agent.config, "cheat", "flip-bit"))
        try:
            wait_for(lambda: _catch(tmp_path / "verifier", task_id) is not None, 240,
                     what="the verifier's sealed catch")
            game = market.game("other")

            def slashed() -> bool:  # decided, then settled (which voids the result) in a later transaction
                if game.game_count() == 0:
                    return False
                won = GameView.from_tuple(game.state(1)).status is GameStatus.CHALLENGER_WON
                return won and game.is_settled(1)

            wait_for(slashed, 400, what="the cheater's lost game")
        finally:
            worker.stop.set()
            worker.thread.join(timeout=30)
    assert session.market.task(task_id).status in (TaskStatus.OPEN, TaskStatus.VOIDED, TaskStatus.REFUNDED)
