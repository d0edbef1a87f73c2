"""Whole disputes on a real anvil: RepOps recomputation on both sides, every move on-chain,
the one step executed by the EVM's soft-float. The game must find the exact fault."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest

from tests.support.chain import ETHER, Devnet
from tribunal.chain.anvil import increase_time
from tribunal.chain.errors import ContractRevert
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.dispute.clock import ChessClock
from tribunal.dispute.player import Player, play_out
from tribunal.dispute.state import GameStatus, GameView, Party, Resolution
from tribunal.protocol_enums import TaskStatus
from tribunal.spec import CnnConfig, MlpConfig, Sgd, TaskSpec
from tribunal.tasks import PreparedTask, prepare_task

MIN_STAKE = 2 * ETHER

SPECS = {
    "mlp": TaskSpec(model=MlpConfig(hidden=(16,)), dataset="digits", optimizer=Sgd(lr=0.1),
                    batch_size=8, seed=3, steps=4, checkpoint_every=2),
    "cnn": TaskSpec(model=CnnConfig(), dataset="digits", optimizer=Sgd(lr=0.05),
                    batch_size=4, seed=5, steps=3, checkpoint_every=3),
}


@pytest.fixture(scope="module", params=sorted(SPECS))
def prepared(request: pytest.FixtureRequest) -> PreparedTask:
    return prepare_task(SPECS[request.param], spec_uri=f"test://{request.param}")


@pytest.fixture(scope="module")
def honest(prepared: PreparedTask) -> PartyClaims:
    return PartyClaims(prepared)


def random_fault(prepared: PreparedTask, seed: int) -> BitFlip:
    rng = random.Random(seed)
    step = rng.randrange(prepared.spec.steps)
    node = rng.randrange(len(prepared.graph.nodes))
    element = rng.randrange(prepared.graph.nodes[node].numel)
    return BitFlip(step=step, node=node, element=element, bit=rng.choice([3, 12, 22, 27, 31]))


@dataclass
class Outcome:
    view: GameView
    players: list[Player]
    task_id: int


def run_dispute(devnet: Devnet, prepared: PreparedTask, operator: PartyClaims,
                challenger: PartyClaims) -> Outcome:
    market = devnet.market("submitter")
    now = devnet.anvil.w3.eth.get_block("latest")["timestamp"]
    params = prepared.task_params(min_stake=MIN_STAKE, deadline=now + 7200, challenge_window=600)
    task_id, _ = market.post_task(params, reward=ETHER)
    devnet.stake_manager("operator").stake(3 * ETHER)
    devnet.market("operator").claim(task_id)
    devnet.market("operator").submit_trace(task_id, operator.state_commitments, operator.model_hash)

    game = devnet.game("challenger")
    devnet.stake_manager("challenger").stake(game.challenger_bond())
    game_id, _ = game.open(task_id, challenger.trace_root)
    players = [
        Player(game, game_id, Party.CHALLENGER, challenger),
        Player(devnet.game("operator"), game_id, Party.OPERATOR, operator),
    ]
    return Outcome(play_out(players), players, task_id)


def assert_operator_slashed_at(devnet: Devnet, outcome: Outcome, where: tuple[int, int, int]) -> None:
    """The honest challenger won at one instruction, found at (step, node, element) = ``where``, the
    last of that element's program; the operator (3 ETH staked) lost the task stake, the challenger
    got the winner's share and has nothing locked, and the task reopened."""
    view = outcome.view
    assert view.status is GameStatus.CHALLENGER_WON
    assert view.resolution is Resolution.ONE_STEP
    assert (view.step, view.node, view.element) == where
    assert view.instruction == view.program_length - 1
    sm = devnet.stake_manager("other")
    bps = devnet.deployment.params["slash_winner_bps"]
    assert sm.info(devnet.signers["operator"].address).bonded == 3 * ETHER - MIN_STAKE
    assert sm.credit_of(devnet.signers["challenger"].address) == MIN_STAKE * bps // 10_000
    assert sm.info(devnet.signers["challenger"].address).locked == 0
    assert devnet.market("other").task(outcome.task_id).status is TaskStatus.OPEN


def assert_challenger_lost_bond(devnet: Devnet, outcome: Outcome, bond: int) -> None:
    """The honest operator won at one instruction: the lying challenger's bond is gone, the operator
    got the winner's share, and the task finalises after its window."""
    assert outcome.view.status is GameStatus.OPERATOR_WON
    assert outcome.view.resolution is Resolution.ONE_STEP
    sm = devnet.stake_manager("other")
    assert sm.info(devnet.signers["challenger"].address).bonded == 0
    bps = devnet.deployment.params["slash_winner_bps"]
    assert sm.credit_of(devnet.signers["operator"].address) == bond * bps // 10_000
    increase_time(devnet.anvil.w3, 601)
    devnet.market("other").finalize(outcome.task_id)
    assert devnet.market("other").task(outcome.task_id).status is TaskStatus.FINALIZED


def test_faulty_operator_is_pinpointed_and_slashed(devnet: Devnet, prepared: PreparedTask,
                                                   honest: PartyClaims) -> None:
    fault = random_fault(prepared, seed=len(prepared.graph.nodes))
    cheater = PartyClaims(prepared, tamper=fault)
    outcome = run_dispute(devnet, prepared, operator=cheater, challenger=honest)
    view = outcome.view
    print(f"fault {fault}; found step {view.step}, node {view.node} "
          f"({prepared.graph.nodes[view.node].name}), element {view.element}, "
          f"instruction {view.instruction} of {view.program_length}")
    assert_operator_slashed_at(devnet, outcome, (fault.step, fault.node, fault.element))


def test_lying_challenger_loses_its_bond(devnet: Devnet, prepared: PreparedTask,
                                         honest: PartyClaims) -> None:
    liar = PartyClaims(prepared, tamper=random_fault(prepared, seed=99))
    bond = devnet.game("other").challenger_bond()
    outcome = run_dispute(devnet, prepared, operator=honest, challenger=liar)
    assert_challenger_lost_bond(devnet, outcome, bond)


@pytest.fixture(scope="module")
def mlp_prepared() -> PreparedTask:
    return prepare_task(SPECS["mlp"], spec_uri="test://mlp")


@pytest.mark.parametrize("silent", [Party.CHALLENGER, Party.OPERATOR])
def test_party_that_stops_moving_loses_on_its_clock(devnet: Devnet, mlp_prepared: PreparedTask,
                                                    silent: Party) -> None:
    # timeouts do not depend on the model: the MLP alone
    prepared = mlp_prepared
    honest = PartyClaims(prepared)
    liar = PartyClaims(prepared, tamper=random_fault(prepared, seed=7))
    market = devnet.market("submitter")
    now = devnet.anvil.w3.eth.get_block("latest")["timestamp"]
    task_id, _ = market.post_task(
        prepared.task_params(min_stake=MIN_STAKE, deadline=now + 7200, challenge_window=600), ETHER)
    devnet.stake_manager("operator").stake(3 * ETHER)
    devnet.market("operator").claim(task_id)
    devnet.market("operator").submit_trace(task_id, honest.state_commitments, honest.model_hash)
    game = devnet.game("challenger")
    devnet.stake_manager("challenger").stake(game.challenger_bond())
    game_id, _ = game.open(task_id, liar.trace_root)
    players = {Party.CHALLENGER: Player(game, game_id, Party.CHALLENGER, liar),
               Party.OPERATOR: Player(devnet.game("operator"), game_id, Party.OPERATOR, honest)}
    for _ in range(3):  # a few rounds, then one side goes silent
        players[Party.CHALLENGER].act()
        players[Party.OPERATOR].act()
    while players[silent].view().on_turn is not silent:
        players[Party.OPERATOR if silent is Party.CHALLENGER else Party.CHALLENGER].act()
    waiting = players[silent].view()
    clock, max_clock = ChessClock.of(waiting), game.max_clock()
    assert clock.deadline(max_clock) == waiting.deadline  # Python's clock reads the chain's
    assert clock.is_live(devnet.anvil.w3.eth.get_block("latest")["timestamp"], max_clock)
    with pytest.raises(ContractRevert) as early:
        devnet.game("other").claim_timeout(game_id)
    assert early.value.error_name == "ClockNotExpired"
    increase_time(devnet.anvil.w3, max_clock + 1)
    assert not clock.is_live(devnet.anvil.w3.eth.get_block("latest")["timestamp"], max_clock)
    devnet.game("other").claim_timeout(game_id)
    view = players[silent].view()
    assert view.resolution is Resolution.TIMEOUT
    expected = GameStatus.OPERATOR_WON if silent is Party.CHALLENGER else GameStatus.CHALLENGER_WON
    assert view.status is expected


# -- protocol v2: states committed at checkpoint steps, an interval opened in the game ------------

INTERVAL_SPEC = TaskSpec(model=MlpConfig(hidden=(16,)), dataset="digits", optimizer=Sgd(lr=0.1),
                         batch_size=8, seed=4, steps=10, checkpoint_every=4)
"""Committed steps 0, 4, 8, 10: intervals of 4, 4 and 2 steps."""


@pytest.fixture(scope="module")
def interval_prepared() -> PreparedTask:
    return prepare_task(INTERVAL_SPEC, spec_uri="test://intervals")


@pytest.mark.parametrize("step", [0, 2, 5, 9])
def test_a_fault_inside_an_interval_is_found_through_the_opened_interval(
    devnet: Devnet, interval_prepared: PreparedTask, step: int
) -> None:
    prepared = interval_prepared
    update = next(n for n in prepared.graph.nodes if n.name == "update.param.dense0.weight")
    fault = BitFlip(step=step, node=update.index, element=3, bit=22)
    honest, cheater = PartyClaims(prepared), PartyClaims(prepared, tamper=fault)
    uncommitted = [t for t, leaf in enumerate(honest.state_commitments) if leaf == bytes(32)]
    assert uncommitted == [1, 2, 3, 5, 6, 7, 9]  # only these states were never hashed in training
    view = run_dispute(devnet, prepared, operator=cheater, challenger=honest).view
    assert view.status is GameStatus.CHALLENGER_WON and view.resolution is Resolution.ONE_STEP
    assert (view.step, view.node, view.element) == (fault.step, fault.node, fault.element)
    start = step // 4 * 4
    assert (view.segment_start, view.segment_leaves) == (start, min(start + 4, 10) - start + 1)
    assert view.segment_root_operator != view.segment_root_challenger


def test_a_fault_no_committed_state_shows_is_no_fault_of_the_result(interval_prepared: PreparedTask) -> None:
    """A flip whose effect is gone before the next committed step leaves every committed state,
    and so the model, as an honest run has them: there is nothing to dispute (SameTraceRoot)."""
    prepared = interval_prepared
    relu = next(n for n in prepared.graph.nodes if n.name.endswith("relu"))
    honest = PartyClaims(prepared)
    step = honest.step(1)
    inputs = prepared.graph.nodes[relu.index].inputs
    pre = step.outputs[inputs[0].index].reshape(-1)
    element = int(np.flatnonzero(pre < -1.0)[0])  # a ReLU input well below zero: its output stays 0
    fault = BitFlip(step=1, node=inputs[0].index, element=element, bit=3)
    cheater = PartyClaims(prepared, tamper=fault)
    assert cheater.step(1).outputs[inputs[0].index].reshape(-1)[element] != pre[element]
    assert cheater.state_commitments == honest.state_commitments
    assert cheater.segment(0, 4)[2] != honest.segment(0, 4)[2]  # h_2 does differ, uncommitted
