"""The Byzantine matrix, availability (issue #19): an operator that withholds its model (or a
checkpoint), and a submitter that challenges a model it could have downloaded. Each cell runs on a
real anvil with the real operator agent (`worker.agent.OperatorAgent`, its executor embedded, a cheat
of `tribunal.dispute.faults.CHEATS`) and the submitter's real client (`tribunal.model_delivery`),
and asserts every wei that moved on the StakeManager's books. The rows join the matrix printed at
the end of the session (`tests/verifier/conftest.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.support.agents import RunningAgent, start_agent
from tests.support.backend import serve_backend, settings_for
from tests.support.chain import Devnet, actor_key
from tests.support.disputes import MIN_STAKE, OPERATOR_STAKE, REWARD, WINDOW, Scenario, operator_run
from tests.support.specs import tiny_spec
from tests.support.waiting import wait_for
from tests.verifier.test_byzantine import row, slash_share
from tests.verifier.test_byzantine_challengers import assert_books, burned
from tribunal.artifact_client import ArtifactClient
from tribunal.availability import challenge_targets, num_chunks, slot_proof
from tribunal.chain.anvil import increase_time
from tribunal.chain.deployment import save_deployment
from tribunal.chain.session import ChainSession, format_eth, open_session
from tribunal.chain.task_market import Task
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import num_leaves_for
from tribunal.dispute.state import GameView
from tribunal.graph import StepGraph
from tribunal.model_check import Unpublished
from tribunal.model_delivery import (
    Challenge,
    Outcome,
    await_challenges,
    find_model,
    model_slots,
    open_challenges,
    rebuild_from_chain,
    task_graph_and_state,
)
from tribunal.protocol_enums import CollateralKind, GameStatus, Level, Resolution, TaskStatus
from tribunal.tasks import prepare_task
from worker.state import Phase

AGENT_TIMEOUT_S = 120
"""Wall time for the operator agent to claim, train and submit, or to answer a challenge."""


@dataclass
class Delivery:
    """One cell's world: the task, the operator agent, and the submitter's client."""

    s: Scenario
    agent: RunningAgent
    client: ChainSession
    """The submitter's session (`tribunal.model_delivery` runs on it)."""
    store: ArtifactClient
    deployment_file: Path

    @property
    def task(self) -> Task:
        return self.s.devnet.market("other").task(self.s.task_id)

    def spec_uri(self) -> str:
        return self.client.market.spec_uri(self.s.task_id, self.client.deployment.block_number)

    def graph_and_init(self) -> tuple[StepGraph, list[np.ndarray]]:
        return task_graph_and_state(self.task, self.spec_uri(), self.store)

    def local_checkpoint(self, step: int) -> Checkpoint:
        """The operator agent's own checkpoint of ``step`` (its state dir; the model at S)."""
        state = self.agent.agent.state
        assert state is not None
        record = state.tasks[self.s.task_id]
        digest = record.model_hash if step == self.s.prepared.spec.steps else record.checkpoints[step]
        return self.agent.agent.checkpoints.local.get(bytes.fromhex(digest[2:]))

    def await_all(self, challenges: list[Challenge]) -> list[Outcome]:
        return await_challenges(self.client, challenges, self.s.chain_now, timeout_s=AGENT_TIMEOUT_S,
                                poll_s=0.1)

    def delivery_receipts(self, game_ids: list[int]) -> list[Any]:
        """The receipts of every `deliverChunks` transaction of the games (from their ChunkDelivered logs)."""
        game = self.s.devnet.game("other")
        hashes: dict[bytes, None] = {}
        for game_id in game_ids:
            logs = game.contract.events.ChunkDelivered.get_logs(
                from_block=self.client.deployment.block_number, argument_filters={"gameId": game_id})
            hashes.update((bytes(log["transactionHash"]), None) for log in logs)
        w3 = self.s.devnet.anvil.w3
        return [w3.eth.get_transaction_receipt(h) for h in hashes]


SPEC = tiny_spec(seed=11, steps=5, batch_size=4)
"""The verifier scenarios' task (`tests/verifier/conftest.py`): checkpoints after steps 2 and 4, the
model after step 5."""


@pytest.fixture()
def own_store(tmp_path: Path) -> Iterator[str]:
    """An artifact store of the test's own. Not the session's: training is deterministic and files
    are content-addressed, so another test's honest run of the same task would have put the very
    model a withholding cell must not find there."""
    folder = tmp_path / "store"
    with serve_backend(settings_for(f"sqlite:///{folder / 'backend.db'}", folder), "artifact store") as url:
        yield url


@pytest.fixture()
def submitted(devnet: Devnet, own_store: str,
              tmp_path: Path) -> Iterator[Callable[[str | None], Delivery]]:
    """``submitted(cheat)``: the submitter posts the task (its spec in the test's own store); the
    operator agent (with ``cheat``, or honest) claims, trains and submits it. Returns once the
    result is on-chain; the agent runs on until the test ends."""
    store_url = own_store
    with ArtifactClient(store_url) as upload:
        digest = upload.upload_bytes(prepare_task(SPEC, "").spec_bytes, kind="spec")
    prepared = prepare_task(SPEC, f"{store_url}/api/artifacts/{digest}")
    s = Scenario(devnet, store_url, prepared, tmp_path)
    agents: list[RunningAgent] = []
    stores: list[ArtifactClient] = []

    def start(cheat: str | None) -> Delivery:
        params = prepared.task_params(min_stake=MIN_STAKE, deadline=s.chain_now() + 3 * 86_400,
                                      challenge_window=WINDOW)
        s.task_id, _ = s.devnet.market("submitter").post_task(params, REWARD)
        deployment_file = save_deployment(s.devnet.deployment, tmp_path / "delivery-deployment.json")
        agent = start_agent(s.devnet, deployment_file, tmp_path / "operator", actor_key("operator"),
                            store_url, stake=OPERATOR_STAKE, auto_withdraw=False, cheat=cheat)
        agents.append(agent)
        store = ArtifactClient(store_url)
        stores.append(store)
        client = open_session(s.devnet.anvil.rpc_url, deployment_file, private_key=actor_key("submitter"))
        market = s.devnet.market("other")

        def done() -> bool:
            assert agent.thread.is_alive(), "the operator agent stopped"
            state = agent.agent.state
            record = None if state is None else state.tasks.get(s.task_id)
            return (record is not None and record.phase is Phase.SUBMITTED
                    and market.task(s.task_id).status is TaskStatus.SUBMITTED)

        wait_for(done, AGENT_TIMEOUT_S, what="the operator agent to claim, train and submit")
        return Delivery(s, agent, client, store, deployment_file)

    yield start
    for agent in agents:
        agent.halt()
    for store in stores:
        store.close()


def params_of(graph: StepGraph) -> list[int]:
    slots = model_slots(graph)
    assert slots, "the tiny MLP has parameters"
    return slots


def assert_model_withheld(d: Delivery) -> None:
    model, failures = find_model(d.task, d.spec_uri(), [d.store])
    assert model is None
    ((where, why),) = failures
    assert where == d.store.base_url and isinstance(why, Unpublished)
    assert "is not in the artifact store" in str(why) and d.task.model_hash.hex() in str(why)


def assert_equal_bits(got: np.ndarray, want: np.ndarray) -> None:
    want = np.asarray(want, dtype=np.float32)
    assert got.shape == want.shape
    assert np.array_equal(got.view(np.uint32), np.ascontiguousarray(want).view(np.uint32))


def assert_slots_match(rebuilt: dict[str, np.ndarray], checkpoint: Checkpoint, graph: StepGraph,
                       slots: list[int]) -> None:
    """The slots rebuilt from the chain are bit for bit the checkpoint's."""
    assert sorted(rebuilt) == sorted(graph.slots[j].name for j in slots)
    for j in slots:
        name = graph.slots[j].name
        assert checkpoint.names[j] == name
        assert_equal_bits(rebuilt[name], checkpoint.state[j])


# -- the operator withholds ---------------------------------------------------------------------


def challenge_withheld_model(d: Delivery) -> tuple[StepGraph, list[int], int, list[Challenge], int]:
    """The model is not in the store: the submitter's client challenges every chunk of every parameter.
    Returns the graph, the parameter slots, the wei burned before, the challenges and their bonds."""
    game = d.s.devnet.game("other")
    chunk_bond = game.chunk_bond()
    assert_model_withheld(d)
    graph, init = d.graph_and_init()
    slots = params_of(graph)
    before = burned(d.s)
    challenges = open_challenges(d.client, d.task, graph, init)
    assert [c.slot for c in challenges] == slots
    bonds = sum(c.bond for c in challenges)
    assert bonds == chunk_bond * sum(len(c.chunks) for c in challenges)
    return graph, slots, before, challenges, bonds


def test_withheld_model_and_ignored_challenges_slash_the_operator(
        submitted: Callable[[str | None], Delivery]) -> None:
    """The model is not in the store; the submitter challenges every parameter slot. Only the first
    game holds the task stake (the operator has no free stake for more): the rest queue. The worker
    ticks on and declines to deliver; past MAX_CLOCK the client claims the timeout: the operator is
    slashed once, the result voided, the queued games closed as moot with their bonds back, and the
    submitter cancels the reopened task for its escrow."""
    d = submitted("withhold-model-silent")
    s = d.s
    game = s.devnet.game("other")
    graph, slots, before, challenges, bonds = challenge_withheld_model(d)
    views = [GameView.from_tuple(game.state(c.game_id)) for c in challenges]
    assert all(v.level is Level.AVAILABILITY for v in views)
    assert views[0].status is GameStatus.ACTIVE and views[0].collateral is CollateralKind.TASK_STAKE
    assert all(v.status is GameStatus.QUEUED for v in views[1:])

    # the worker sees the challenge and declines (its desk asked it for the chunks)
    declined = (s.task_id, f"task {s.task_id}: ignoring the availability challenge as asked "
                           "(--cheat withhold-model-silent)")
    wait_for(lambda: declined in d.agent.agent._said, AGENT_TIMEOUT_S, what="the worker to see the challenge")
    first = challenges[0].game_id
    assert game.availability_state(first).delivered == 0
    assert GameView.from_tuple(game.state(first)).status is GameStatus.ACTIVE

    increase_time(s.devnet.anvil.w3, game.max_clock() + 1)
    outcomes = await_challenges(d.client, challenges, s.chain_now, timeout_s=AGENT_TIMEOUT_S, poll_s=0.1)
    assert not any(o.delivered for o in outcomes)
    won = GameView.from_tuple(game.state(first))
    assert (won.status, won.resolution) == (GameStatus.CHALLENGER_WON, Resolution.TIMEOUT)
    assert outcomes[0].status is GameStatus.CHALLENGER_WON
    assert all(o.status is GameStatus.WITHDRAWN for o in outcomes[1:])  # moot once the result was voided
    assert game.delivered_chunks(first, d.client.deployment.block_number) == {}
    assert game.game_count() == len(challenges)

    w_stake = slash_share(MIN_STAKE, s)
    assert_books(s, before, burned_now=MIN_STAKE - w_stake, operator=(OPERATOR_STAKE - MIN_STAKE, 0, 0),
                 submitter=(bonds, 0, w_stake))
    market = s.devnet.market("submitter")
    assert market.task(s.task_id).status is TaskStatus.OPEN  # reopened before its deadline
    wait_for(lambda: d.agent.agent.state.tasks[s.task_id].phase is Phase.LOST, AGENT_TIMEOUT_S,
             what="the worker to record the lost result")
    market.cancel(s.task_id)
    assert market.task(s.task_id).status is TaskStatus.CANCELLED
    assert_books(s, before, burned_now=MIN_STAKE - w_stake, operator=(OPERATOR_STAKE - MIN_STAKE, 0, 0),
                 submitter=(bonds, 0, w_stake + REWARD))
    row("operator", "withholds the model, ignores the availability challenges",
        f"{len(challenges)} challenges (1 on the task stake, {len(challenges) - 1} queued, closed moot): "
        "timeout", f"{format_eth(MIN_STAKE)} stake",
        f"{format_eth(w_stake)} credit + bonds back; task reopened, escrow refunded on cancel")


def test_withheld_model_is_delivered_on_chain_when_challenged(
        submitted: Callable[[str | None], Delivery]) -> None:
    """The model is not in the store; the submitter challenges every parameter slot, and the worker's
    desk delivers each game's chunks (the queued games run one after another on the task stake).
    The client rebuilds the parameters from the logs, bit for bit the worker's checkpoint (and an
    independent replay); the operator is paid the winner's share of every bond, and the result is
    finalized after its window."""
    d = submitted("withhold-model")
    s = d.s
    game = s.devnet.game("other")
    graph, slots, before, challenges, bonds = challenge_withheld_model(d)

    outcomes = d.await_all(challenges)
    assert all(o.delivered and o.status is GameStatus.OPERATOR_WON for o in outcomes)
    for c in challenges:
        view = GameView.from_tuple(game.state(c.game_id))
        assert view.resolution is Resolution.DELIVERED and game.is_settled(c.game_id)
        # no free stake for a GameStake: the games ran one after another, each on the task stake
        assert view.collateral is CollateralKind.TASK_STAKE
        state = game.availability_state(c.game_id)
        assert state.missing == [] and state.step == s.prepared.spec.steps and state.slot == c.slot

    rebuilt = rebuild_from_chain(d.client, challenges)
    steps = s.prepared.spec.steps
    assert_slots_match(rebuilt, d.local_checkpoint(steps), graph, slots)
    assert_slots_match(rebuilt, operator_run(s.prepared).model, graph, slots)  # an independent replay

    paid = sum(game.availability_state(c.game_id).paid for c in challenges)
    assert 0 < paid < bonds
    # the deliverer is paid its gas out of the bonds, the rest is the submitter's again, nothing burned
    assert_books(s, before, burned_now=0, operator=(OPERATOR_STAKE, MIN_STAKE, paid),
                 submitter=(bonds - paid, 0, 0))
    assert d.task.status is TaskStatus.SUBMITTED and d.task.open_disputes == 0
    increase_time(s.devnet.anvil.w3, WINDOW + 1)
    wait_for(lambda: d.agent.agent.state.tasks[s.task_id].phase is Phase.PAID, AGENT_TIMEOUT_S,
             what="the worker to finalize and record its pay")
    assert d.task.status is TaskStatus.FINALIZED
    assert_books(s, before, burned_now=0, operator=(OPERATOR_STAKE, 0, paid + REWARD),
                 submitter=(bonds - paid, 0, 0))
    row("operator", "withholds the model, answers the availability challenges",
        f"{len(challenges)} challenges, every chunk delivered on-chain; model rebuilt bit for bit",
        f"submitter: the delivery's gas {format_eth(paid)} (the rest of the bonds back)",
        f"submitter: the model; operator its gas {format_eth(paid)} + reward")


def test_a_checkpoint_challenged_by_a_verifier_is_delivered_from_the_workers_copy(
        submitted: Callable[[str | None], Delivery]) -> None:
    """A verifier challenges a slot of a checkpoint (step t < S, a multiple of checkpointEvery) of a
    withholding worker (the cheat withholds the model only; the challenge names the checkpoint's
    state whether or not its file is published): the worker delivers it from its own checkpoint of
    that step, proved under leaf t of its trace root, and the verifier's bond pays for it."""
    d = submitted("withhold-model")
    s = d.s
    prepared = s.prepared
    every, steps = prepared.spec.checkpoint_every, prepared.spec.steps
    step = every * ((steps - 1) // every)
    assert 0 < step < steps
    verifier = open_session(s.devnet.anvil.rpc_url, d.deployment_file, private_key=actor_key("challenger"))
    game = verifier.game
    assert game is not None
    graph, init = d.graph_and_init()
    slot = params_of(graph)[0]
    proof = slot_proof(graph, init, slot)
    chunk_leaves, chunk_bond = game.chunk_leaves(), game.chunk_bond()
    count = num_chunks(num_leaves_for(int(np.prod(graph.slots[slot].shape))), chunk_leaves)
    (target,) = challenge_targets(step, slot, range(count))
    bond = chunk_bond * len(target.chunks)
    before = burned(s)
    verifier.stake_manager.stake(bond)
    game_id, _ = game.open_availability(s.task_id, step, proof.as_abi_tuple(), target.first_chunk,
                                        target.mask)
    challenge = Challenge(game_id, slot, graph.slots[slot].name, tuple(graph.slots[slot].shape),
                          target.chunks, bond)
    (outcome,) = await_challenges(verifier, [challenge], s.chain_now, timeout_s=AGENT_TIMEOUT_S, poll_s=0.1)
    assert outcome.delivered and outcome.status is GameStatus.OPERATOR_WON
    assert game.availability_state(game_id).step == step
    rebuilt = rebuild_from_chain(verifier, [challenge])
    assert_slots_match(rebuilt, d.local_checkpoint(step), graph, [slot])
    assert_slots_match(rebuilt, operator_run(prepared).checkpoints[step], graph, [slot])
    paid = game.availability_state(game_id).paid
    assert 0 < paid <= bond
    assert_books(s, before, burned_now=0, operator=(OPERATOR_STAKE, MIN_STAKE, paid),
                 challenger=(bond - paid, 0, 0))
    row("verifier", f"challenges a checkpoint (step {step}) the operator keeps", "the worker delivers it "
        "from its local checkpoint (proved under leaf t of its trace root)",
        f"verifier: the delivery's gas {format_eth(paid)}", f"operator its gas {format_eth(paid)}")


# -- the submitter griefs ---------------------------------------------------------------------------


def test_a_submitter_challenging_an_available_model_pays_the_delivery(
        submitted: Callable[[str | None], Delivery]) -> None:
    """The honest worker's model is in the store, and the submitter challenges it anyway: the worker
    delivers, the submitter's bonds are slashed, and the operator's credit covers the gas of every
    `deliverChunks` it sent."""
    d = submitted(None)
    s = d.s
    model, failures = find_model(d.task, d.spec_uri(), [d.store])
    assert model is not None and failures == []
    graph, init = d.graph_and_init()
    before = burned(s)
    challenges = open_challenges(d.client, d.task, graph, init)
    bonds = sum(c.bond for c in challenges)
    outcomes = d.await_all(challenges)
    assert all(o.delivered and o.status is GameStatus.OPERATOR_WON for o in outcomes)
    rebuilt = rebuild_from_chain(d.client, challenges)
    assert_slots_match(rebuilt, d.local_checkpoint(s.prepared.spec.steps), graph, params_of(graph))

    game = s.devnet.game("other")
    paid = sum(game.availability_state(c.game_id).paid for c in challenges)
    assert_books(s, before, burned_now=0, operator=(OPERATOR_STAKE, MIN_STAKE, paid),
                 submitter=(bonds - paid, 0, 0))
    receipts = d.delivery_receipts([c.game_id for c in challenges])
    assert receipts and all(r["status"] == 1 for r in receipts)
    assert {r["from"].lower() for r in receipts} == {s.address("operator").lower()}
    gas = sum(r["gasUsed"] * r["effectiveGasPrice"] for r in receipts)
    # the griefer pays the operator's gas in full (the contract's estimate of the part it cannot
    # measure errs up), and not much more
    assert gas <= paid <= gas * 13 // 10, (paid, gas)
    row("submitter", "challenges a model that is in the store", "the worker delivers every chunk",
        f"the delivery's gas {format_eth(paid)} of {format_eth(bonds)} bonds",
        f"operator {format_eth(paid)} credit >= {format_eth(gas)} gas spent")


# -- the submitter's command --------------------------------------------------------------------------


def test_tribunal_task_model_challenges_a_withheld_model_and_writes_it(
        submitted: Callable[[str | None], Delivery], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tribunal task model ID --out FILE` finds the model withheld and says so (exit 1, naming the
    missing chunks); with `--challenge` it stakes the bonds, opens the challenges on exactly those
    chunks, waits while the worker delivers them, and writes the parameters as a PyTorch state dict,
    bit for bit the worker's model."""
    import torch
    from typer.testing import CliRunner

    from deploy.cli import app as tribunal_cli

    d = submitted("withhold-model")
    s = d.s
    out = tmp_path / "model.pt"
    args = ["task", "model", str(s.task_id), "--out", str(out), "--rpc-url", s.devnet.anvil.rpc_url,
            "--deployment", str(d.deployment_file), "--artifact-store", s.store_url]
    refused = CliRunner().invoke(tribunal_cli, args)
    assert refused.exit_code == 1, refused.output
    text = " ".join(refused.output.split())
    assert "missing" in text and "param." in text and "--challenge" in text
    assert not out.exists()

    monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", actor_key("submitter"))
    done = CliRunner().invoke(tribunal_cli, [*args, "--challenge", "--wait-s", str(AGENT_TIMEOUT_S)])
    assert done.exit_code == 0, done.output
    assert "opened" in done.output and "state dict" in done.output
    graph = s.prepared.graph
    params = params_of(graph)
    state = torch.load(out)
    assert sorted(state) == sorted(graph.slots[j].name for j in params)
    model = d.local_checkpoint(s.prepared.spec.steps)
    for j in params:
        assert_equal_bits(state[graph.slots[j].name].numpy(), model.state[j])
    game = s.devnet.game("other")
    assert all(GameView.from_tuple(game.state(g)).resolution is Resolution.DELIVERED
               for g in range(1, game.game_count() + 1))
