"""Forced errors, the operator's side (docs/forced-errors.md), with the real agent on a market deployed
with forced errors on: it commits its draw (the secret stored first), submits a forced result when the
draw says so (one interior committed state changed, its checkpoints uploaded and named), reveals after
the seal phase, publishes its honest checkpoints again and is paid; a draw that is not forced is
revealed as such. A crash anywhere between the commit and the reveal loses nothing: the restarted
agent reuses its stored secret and never commits twice. Chain time is the anvil's own clock (short
windows); the tests wait on the state dir and the chain, never sleep."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import OPERATOR_KEYS, RunningAgent
from tests.support.chain import ETHER, Devnet
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tests.worker.test_restart import AgentProcess
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.anvil import increase_time
from tribunal.chain.deploy import DAY, DeployParams, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.chain.jackpot import Jackpot
from tribunal.chain.session import open_session
from tribunal.checkpoint_manifest import checked_checkpoint, checked_model, find_manifest
from tribunal.checkpoints import Checkpoint, LocalCheckpointStore
from tribunal.commitments import trace_proof, trace_root
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.dispute.player import Player
from tribunal.dispute.state import GameStatus, Party, Resolution
from tribunal.forced_errors import draw, forced_trace, forge_result, new_secret, secret_hash
from tribunal.protocol_enums import TaskStatus
from tribunal.tasks import prepare_task
from tribunal.training import train
from worker.agent import OperatorAgent, OperatorConfig
from worker.celery_app import make_celery
from worker.executor import EmbeddedExecutor
from worker.policy import Policy
from worker.state import DrawRecord, Phase, StateDir, TaskRecord

AUDIT_WINDOW = 4
WINDOW = 4
STAKE = 10 * ETHER
POT = ETHER
FORCED = tiny_spec(seed=90, steps=6, checkpoint_every=2)
"""Two interior committed steps (2 and 4): with p = 1 the draw is always forced, at L = 2 or 4."""
NEVER_FORCED = tiny_spec(seed=91, steps=2, checkpoint_every=2)
"""No committed step strictly between 0 and S: never forced, whatever p."""


def deploy_forced(devnet: Devnet, audit_window: int = AUDIT_WINDOW) -> Devnet:
    """A second deployment on the devnet's anvil (rolled back with it) with every result forced."""
    params = DeployParams(forced_error_ppm=1_000_000, audit_window=audit_window, pot_wei=POT,
                          unbonding_delay=6 * DAY)
    params.validate()
    deployment = deploy_contracts(devnet.client("deployer"), devnet.anvil.rpc_url, params)
    assert deployment.jackpot is not None
    return Devnet(devnet.anvil, deployment, devnet.signers)


@pytest.fixture()
def forced_market(devnet: Devnet) -> Devnet:
    return deploy_forced(devnet)


@pytest.fixture()
def forced_file(forced_market: Devnet, tmp_path: Path) -> Path:
    return save_deployment(forced_market.deployment, tmp_path / "forced-deployment.json")


@pytest.fixture()
def forced_submitter(forced_market: Devnet, backend_url: str) -> Submitter:
    return Submitter(forced_market, backend_url)


class Crash(Exception):
    """What a patched chain call raises to stop the agent right there (as a kill -9 would)."""


def run_agent(forced_market: Devnet, deployment_file: Path, state_dir: Path, store_url: str,
              patch: Callable[[OperatorAgent, threading.Event], None] | None = None) -> RunningAgent:
    """An operator agent on a thread (`tests.support.agents.start_agent`), patched before it starts."""
    session = open_session(forced_market.anvil.rpc_url, deployment_file, private_key=OPERATOR_KEYS["alice"])
    config = OperatorConfig(state_dir=state_dir, stake=STAKE, artifact_store=store_url, poll_interval_s=0.3,
                            policy=Policy(max_concurrent=1))
    agent = OperatorAgent(session, config, EmbeddedExecutor(make_celery(None)))
    stop = threading.Event()
    if patch is not None:
        patch(agent, stop)
    thread = threading.Thread(target=agent.run, args=(stop,), name=f"agent-{state_dir.name}", daemon=True)
    thread.start()
    return RunningAgent(agent, thread, stop, session)


def record_of(state_dir: Path, task_id: int) -> TaskRecord | None:
    if not StateDir(state_dir).exists():
        return None
    return StateDir(state_dir).read().tasks.get(task_id)


def logs(market: Devnet, event: str, task_id: int) -> list[Any]:
    contract = market.market("other").contract
    return list(getattr(contract.events, event).get_logs(from_block=market.deployment.block_number,
                                                        argument_filters={"taskId": task_id}))


def wait_paid(state_dir: Path, task_id: int, timeout_s: float = 90) -> TaskRecord:
    return wait_for(lambda: (r := record_of(state_dir, task_id)) is not None and r.phase is Phase.PAID and r,
                    timeout_s, what=f"task {task_id} paid")


def assert_paid_unslashed(market: Devnet, operator: str, state_dir: Path, reward: int, forced: bool) -> None:
    cut = reward * market.market("other").jackpot_bps() // 10_000
    assert cut > 0
    state = StateDir(state_dir).read()
    assert state.earned == reward - cut  # the reward less the share that goes to our jackpot escrow
    wait_for(lambda: StateDir(state_dir).read().withdrawn == reward - cut, 30, what="the pay withdrawn")
    info = market.stake_manager("other").info(operator)
    assert (info.bonded, info.locked) == (STAKE, 0)  # not slashed, stake released
    # the agent funded its escrow with one pot to claim; a revealed forced error moved it into a pot
    assert market.anvil.w3.eth.get_balance(market.deployment.jackpot) == POT + cut
    jackpot = Jackpot(market.client("other"), market.deployment.jackpot)
    assert jackpot.escrow_of(operator) == cut + (0 if forced else POT)


def test_a_forced_draw_is_submitted_wrong_at_L_revealed_and_paid(
    forced_market: Devnet, forced_file: Path, forced_submitter: Submitter, backend_url: str, tmp_path: Path,
) -> None:
    market = forced_market.market("other")
    task_id = forced_submitter.post(FORCED, reward=ETHER, challenge_window=WINDOW)
    honest = train(FORCED)
    agent = run_agent(forced_market, forced_file, tmp_path / "alice", backend_url)
    try:
        record = wait_paid(tmp_path / "alice", task_id)
    finally:
        agent.halt()
    operator = agent.session.client.address
    task = market.task(task_id)
    assert task.status is TaskStatus.FINALIZED and task.operator == operator

    # the draw: committed once, before the submission, with the stored secret; forced (p = 1)
    drawn = record.draw
    assert drawn is not None and drawn.forced and drawn.revealed == "forced error"
    committed, = logs(forced_market, "DrawCommitted", task_id)
    submitted, = logs(forced_market, "ResultSubmitted", task_id)
    assert committed["blockNumber"] < submitted["blockNumber"]
    secret = bytes.fromhex(drawn.secret[2:])
    assert bytes(committed["args"]["secretHash"]) == secret_hash(secret)
    seed = bytes(forced_market.anvil.w3.eth.get_block(committed["blockNumber"])["hash"])
    expected = draw(secret, seed, task_id, FORCED.steps, FORCED.checkpoint_every, 1_000_000)
    assert expected.forced and drawn.leaf == expected.leaf in (2, 4)
    leaf = drawn.leaf

    # what was submitted: the honest trace with h_L changed, and a forced model file listing it
    with ArtifactClient(backend_url) as store:
        forced_model = Checkpoint.from_bytes(store.download(bytes(submitted["args"]["modelHash"])))
        prepared = prepare_task(FORCED, "")
        forced_commitments = checked_model(forced_model, prepared.spec_hash, prepared.graph, FORCED.steps,
                                           bytes(submitted["args"]["traceRoot"]),
                                           bytes(submitted["args"]["finalStateRoot"]))
        differ = [t for t, (a, b) in enumerate(zip(forced_commitments, honest.state_commitments, strict=True))
                  if a != b]
        assert differ == [leaf]
        assert bytes(submitted["args"]["traceRoot"]) != honest.trace_root
        assert bytes(submitted["args"]["finalStateRoot"]) == honest.state_commitments[-1]
        # the forced checkpoint at L is a self-consistent state of the forced trace, as a verifier checks
        forced_at_leaf = Checkpoint.from_bytes(store.download(bytes.fromhex(drawn.checkpoints[leaf][2:])))
        checked_checkpoint(forced_at_leaf, leaf, prepared.spec_hash, prepared.graph, forced_commitments)
        # the manifests: the forced one named before the submission, the honest one after the reveal
        published = market.published_checkpoints(task_id, forced_market.deployment.block_number)
        assert len(published) == 2 and published[0][2] < submitted["blockNumber"] < published[1][2]
        manifest = find_manifest(market, store, task_id, operator, task.spec_hash)
        assert {s: "0x" + h.hex() for s, h in manifest.checkpoints.items()} == record.checkpoints
        assert manifest.checkpoints[FORCED.steps] == honest.model_hash

    # the reveal put the honest root and model on-chain, and opened a pot
    revealed, = logs(forced_market, "ForcedErrorRevealed", task_id)
    assert revealed["args"]["leaf"] == leaf
    assert bytes(revealed["args"]["honestLeaf"]) == honest.state_commitments[leaf]
    assert task.trace_root == honest.trace_root and task.model_hash == honest.model_hash
    assert not logs(forced_market, "DrawRevealed", task_id)
    # the honest checkpoints are kept (and the local index is the honest run's, for resuming)
    local = LocalCheckpointStore(tmp_path / "alice" / "checkpoints").steps(prepared.spec_hash)
    assert {s: "0x" + h.hex() for s, h in local.items()} == record.checkpoints
    assert_paid_unslashed(forced_market, operator, tmp_path / "alice", ETHER, forced=True)
    # a dispute is defended with the honest run (games open only after the reveal, on the honest root)
    claims = agent.agent.claims_for(task_id, Party.OPERATOR)
    assert claims is not None and claims.trace_root == honest.trace_root


def test_after_a_forced_reveal_the_operator_defends_the_honest_run_and_wins(
    devnet: Devnet, backend_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """A challenger that disputes the honest root once the forced error is revealed loses to the desk,
    which answers from the honest checkpoints. Long windows, crossed with `evm_increaseTime`."""
    caplog.set_level(logging.INFO)
    window, audit_window = 600, 60
    market_devnet = deploy_forced(devnet, audit_window)
    deployment_file = save_deployment(market_devnet.deployment, tmp_path / "forced-deployment.json")
    submitter = Submitter(market_devnet, backend_url)
    market = market_devnet.market("other")
    task_id = submitter.post(FORCED, reward=ETHER, challenge_window=window)
    honest = train(FORCED)
    agent = run_agent(market_devnet, deployment_file, tmp_path / "alice", backend_url)
    try:
        wait_for(lambda: market.task(task_id).status is TaskStatus.SUBMITTED, 90,
                 what="the forced submission")
        assert market.task(task_id).trace_root != honest.trace_root
        increase_time(devnet.anvil.w3, window + 1)  # past the seal phase, into the reveal phase
        wait_for(lambda: market.task(task_id).trace_root == honest.trace_root, audit_window,
                 what="the forced error revealed")
        prepared = submitter.prepared[bytes(market.task(task_id).spec_hash)]
        liar = PartyClaims(prepared, tamper=BitFlip(step=1, node=8, element=3, bit=22))
        game = market_devnet.game("challenger")
        market_devnet.stake_manager("challenger").stake(game.challenger_bond())
        # not a committee member: its turn comes after the committee's (`CommitteeGoesFirst`)
        first_until = market.committee_first_until(task_id)
        now = int(devnet.anvil.w3.eth.get_block("latest")["timestamp"])
        increase_time(devnet.anvil.w3, max(0, first_until - now))
        game_id, _ = game.open(task_id, liar.trace_root)
        challenger = Player(game, game_id, Party.CHALLENGER, liar)
        wait_for(lambda: (challenger.act(), not challenger.view().active)[1], 120, every_s=0.1,
                 what="the game to end")
        view = challenger.view()
        assert view.status is GameStatus.OPERATOR_WON and view.resolution is Resolution.ONE_STEP
        increase_time(devnet.anvil.w3, window + 1)  # past the forced error's fresh window
        record = wait_paid(tmp_path / "alice", task_id)
    finally:
        agent.halt()
    assert record.draw is not None and record.draw.revealed == "forced error"
    assert StateDir(tmp_path / "alice").read().games[game_id].won is True
    said = [r.getMessage() for r in caplog.records if r.name == "worker.agent"]
    assert not [m for m in said if "full recomputation" in m or "differs from the one we submitted" in m]
    task = market.task(task_id)
    assert task.status is TaskStatus.FINALIZED and task.trace_root == honest.trace_root


def test_a_draw_that_is_not_forced_is_revealed_and_paid(
    forced_market: Devnet, forced_file: Path, forced_submitter: Submitter, backend_url: str, tmp_path: Path,
) -> None:
    task_id = forced_submitter.post(NEVER_FORCED, reward=ETHER, challenge_window=WINDOW)
    honest = train(NEVER_FORCED)
    agent = run_agent(forced_market, forced_file, tmp_path / "alice", backend_url)
    try:
        record = wait_paid(tmp_path / "alice", task_id)
    finally:
        agent.halt()
    drawn = record.draw
    assert drawn is not None and not drawn.forced and drawn.revealed == "draw" and not drawn.checkpoints
    revealed, = logs(forced_market, "DrawRevealed", task_id)
    assert bytes(revealed["args"]["secret"]) == bytes.fromhex(drawn.secret[2:])
    assert not logs(forced_market, "ForcedErrorRevealed", task_id)
    task = forced_market.market("other").task(task_id)
    assert task.trace_root == honest.trace_root and task.model_hash == honest.model_hash
    published = forced_market.market("other").published_checkpoints(task_id)
    assert len(published) == 1  # the honest manifest, once
    operator = agent.session.client.address
    assert_paid_unslashed(forced_market, operator, tmp_path / "alice", ETHER, forced=False)


def crash_on(method: str, after: bool) -> Callable[[OperatorAgent, threading.Event], None]:
    """Stop the agent at its first call of ``market.<method>``: before sending it, or once it is mined."""
    def patch(agent: OperatorAgent, stop: threading.Event) -> None:
        real = getattr(agent.session.market, method)

        def crashing(*args: Any, **kwargs: Any) -> Any:
            if after:
                real(*args, **kwargs)
            stop.set()
            raise Crash(f"crashed {'after' if after else 'before'} {method}")

        setattr(agent.session.market, method, crashing)
    return patch


@pytest.mark.parametrize(("method", "after"), [("commit_draw", False), ("commit_draw", True),
                                               ("submit_result", False), ("submit_result", True),
                                               ("reveal_forced_error", True)])
def test_a_restart_anywhere_reuses_the_stored_secret_and_never_commits_twice(
    forced_market: Devnet, forced_file: Path, forced_submitter: Submitter, backend_url: str, tmp_path: Path,
    method: str, after: bool,
) -> None:
    state_dir = tmp_path / "alice"
    task_id = forced_submitter.post(FORCED, reward=ETHER, challenge_window=WINDOW)
    first = run_agent(forced_market, forced_file, state_dir, backend_url, crash_on(method, after))
    wait_for(lambda: not first.thread.is_alive(), 90, what=f"the agent to crash at {method}")
    crashed = record_of(state_dir, task_id)
    assert crashed is not None and crashed.draw is not None
    secret = crashed.draw.secret
    committed = logs(forced_market, "DrawCommitted", task_id)
    assert len(committed) == (0 if method == "commit_draw" and not after else 1)

    second = run_agent(forced_market, forced_file, state_dir, backend_url)
    try:
        record = wait_paid(state_dir, task_id)
    finally:
        second.halt()
    assert record.draw is not None and record.draw.secret == secret and record.draw.revealed == "forced error"
    committed_event, = logs(forced_market, "DrawCommitted", task_id)
    assert bytes(committed_event["args"]["secretHash"]) == secret_hash(bytes.fromhex(secret[2:]))
    assert len(logs(forced_market, "ResultSubmitted", task_id)) == 1
    assert len(logs(forced_market, "ForcedErrorRevealed", task_id)) == 1
    task = forced_market.market("other").task(task_id)
    assert task.trace_root == train(FORCED).trace_root
    with ArtifactClient(backend_url) as store:  # the honest manifest named again after the reveal
        manifest = find_manifest(forced_market.market("other"), store, task_id, task.operator, task.spec_hash)
    assert {s: "0x" + h.hex() for s, h in manifest.checkpoints.items()} == record.checkpoints


def test_the_forced_result_differs_from_the_honest_one_only_at_L() -> None:
    prepared = prepare_task(FORCED, "")
    result = train(FORCED, dataset=prepared.dataset)
    secret = new_secret()
    honest = dict(checkpoints_of(FORCED, prepared))
    forced = forge_result(honest, prepared.graph, secret, 4)
    trace = list(result.state_commitments)
    assert forced.trace == forced_trace(trace, 4, forced.forced_leaf)
    assert forced.honest_leaf == trace[4] != forced.forced_leaf
    assert forced.leaf_proof == trace_proof(trace, 4) == trace_proof(forced.trace, 4)
    assert sorted(forced.checkpoints) == [4, 6]  # the checkpoint before L stands as it is
    assert forced.trace_root == trace_root(forced.trace) != result.trace_root
    final_state, _ = forced.final_state_proof()
    assert final_state == trace[-1]
    for step, checkpoint in forced.checkpoints.items():
        checked_checkpoint(checkpoint, step, prepared.spec_hash, prepared.graph, forced.trace)
    assert forced.model.state_commitments == tuple(forced.trace)
    assert forge_result(honest, prepared.graph, secret, 4).model.content_hash == forced.model.content_hash


def checkpoints_of(spec: Any, prepared: Any) -> Iterator[tuple[int, Checkpoint]]:
    """Every checkpoint of an honest run (step → checkpoint), the model among them."""
    store = _MemoryStore()
    train(spec, dataset=prepared.dataset, store=store)
    yield from sorted(store.items.items())


class _MemoryStore:
    def __init__(self) -> None:
        self.items: dict[int, Checkpoint] = {}

    def put(self, checkpoint: Checkpoint) -> bytes:
        self.items[checkpoint.step] = checkpoint
        return checkpoint.content_hash

    def get(self, content_hash: bytes) -> Checkpoint:
        for checkpoint in self.items.values():
            if checkpoint.content_hash == content_hash:
                return checkpoint
        raise KeyError(content_hash.hex())

    def steps(self, spec_hash: bytes) -> dict[int, bytes]:
        return {s: c.content_hash for s, c in self.items.items()}


def test_a_draw_record_round_trips_and_a_record_without_one_is_unchanged() -> None:
    record = TaskRecord(3, Phase.SUBMITTED, "0x" + "01" * 32, "http://x", 6, ETHER, 2 * ETHER, 99)
    assert "draw" not in record.to_json()  # state files of markets without forced errors are as before
    assert TaskRecord.from_json(record.to_json()) == record
    record.draw = DrawRecord(secret="0x" + "aa" * 32, committed_block=7, seed="0x" + "bb" * 32, forced=True,
                             leaf=4, checkpoints={4: "0x" + "cc" * 32, 6: "0x" + "dd" * 32})
    again = TaskRecord.from_json(record.to_json())
    assert again == record and again.draw is not None and again.draw.checkpoints[4] == "0x" + "cc" * 32


def test_kill_9_between_submit_and_reveal_then_restart_reveals_and_is_paid(
    devnet: Devnet, backend_url: str, tmp_path: Path,
) -> None:
    """`worker start` killed with SIGKILL in the seal phase of its forced result: the restarted process
    reveals the forced error with the secret it stored, and is paid."""
    market_devnet = deploy_forced(devnet, audit_window=60)  # time for the restart within the reveal phase
    deployment_file = save_deployment(market_devnet.deployment, tmp_path / "forced-deployment.json")
    task_id = Submitter(market_devnet, backend_url).post(FORCED, reward=ETHER, challenge_window=WINDOW)
    env = {**os.environ, "TRIBUNAL_PRIVATE_KEY": OPERATOR_KEYS["alice"]}
    args = ["--stake", "10", "--rpc-url", devnet.anvil.rpc_url, "--deployment", str(deployment_file),
            "--artifact-store", backend_url, "--state-dir", str(tmp_path / "state"), "--poll-interval", "0.3",
            "--log-json", "--no-live", "--device", "cpu"]
    first = AgentProcess(args, env)
    try:
        first.wait_event(lambda r: r.get("event") == "submitted" and r.get("task_id") == task_id, 120,
                         "the forced submission")
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
    killed = StateDir(tmp_path / "state").read().tasks[task_id]
    # the log line comes before the state write: killed right after it, the state may still say submitting
    assert killed.phase in (Phase.SUBMITTING, Phase.SUBMITTED)
    assert killed.draw is not None and killed.draw.forced and not killed.draw.revealed
    assert market_devnet.market("other").task(task_id).status is TaskStatus.SUBMITTED

    second = AgentProcess(args, env)
    try:
        second.wait_event(lambda r: r.get("event") == "forced_error_revealed" and r.get("task_id") == task_id,
                          120, "the forced error revealed")
        second.wait_event(lambda r: r.get("event") == "paid" and r.get("task_id") == task_id, 60, "payment")
    finally:
        second.process.send_signal(signal.SIGTERM)
        second.process.wait(timeout=60)
    record = StateDir(tmp_path / "state").read().tasks[task_id]
    assert record.draw is not None and record.draw.secret == killed.draw.secret
    assert len(logs(market_devnet, "DrawCommitted", task_id)) == 1
    assert market_devnet.market("other").task(task_id).trace_root == train(FORCED).trace_root
    assert not [line for line in first.raw + second.raw if '"event": "draw_committed"' in line][1:]
