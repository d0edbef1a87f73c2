"""A DiLoCo outer step disputed on a real anvil down to one float32 instruction (issue #16: "every
inner segment and every outer step can be disputed down to one instruction with the game's
existing levels").

The outer step is posted as the ordinary one-step task a `DilocoJobs` job posts (its spec derived
with `outer_spec` from a trained round: graph, dataset and initial state roots from
`prepare_task`); an operator submits a result with one bit flipped in one node, and both parties
play the game with the dispute engine until the EVM's soft-float executes the one instruction.
Each op kind of the outer graph is the disputed instruction once: the sub of a shard's delta, the
add of the deltas, the division by N, the momentum, the Nesterov scale, the sgd update, the
mse_loss of the update's size and the add of those sizes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dispute.test_dispute_e2e import (
    assert_challenger_lost_bond,
    assert_operator_slashed_at,
    run_dispute,
)
from tests.support.chain import Devnet
from tests.support.diloco_job import OUTER_TASK, build_world
from tribunal.artifact_cache import CACHE_ENV
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.repops import OpKind
from tribunal.tasks import PreparedTask, prepare_task

PARAM = "param.dense0.bias"
DISPUTED = {
    "sub": f"outer.delta1.{PARAM}",
    "add": f"outer.delta_sum1.{PARAM}",
    "div": f"outer.grad.{PARAM}",
    "momentum": f"outer.momentum.{PARAM}",
    "scale": f"outer.nesterov_scale.{PARAM}",
    "nesterov-add": f"outer.nesterov.{PARAM}",
    "sgd": f"outer.update.{PARAM}",
    "mse_loss": f"outer.update_size.{PARAM}",
    "loss-add": "outer.update_size_sum1",
    "copy": f"hold.shard1.{PARAM}",
}
"""The node whose output is tampered, per case (all in the outer graph of a two-shard job)."""


@pytest.fixture(scope="module")
def artifact_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This module's own artifact cache: the outer spec's init file and the job's shard datasets
    are stored there, and every replay of the outer step reads its initial state from it."""
    folder = tmp_path_factory.mktemp("outer-artifacts")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(folder))
        yield folder


@pytest.fixture(scope="module")
def outer(artifact_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> PreparedTask:
    """Round 0's outer step of a two-shard job whose segments were trained honestly."""
    world = build_world(tmp_path_factory.mktemp("outer-world"))
    spec = world.specs[OUTER_TASK]
    assert spec.outer is not None and spec.init is not None
    assert (spec.steps, spec.checkpoint_every) == (1, 1)
    assert (artifact_cache / spec.init[2:4] / spec.init[2:]).is_file()  # not the session's cache
    return prepare_task(spec, spec_uri="test://diloco-outer")


@pytest.fixture(scope="module")
def honest(outer: PreparedTask) -> PartyClaims:
    return PartyClaims(outer)


def flip(outer: PreparedTask, case: str) -> BitFlip:
    node = next(n for n in outer.graph.nodes if n.name == DISPUTED[case])
    return BitFlip(step=0, node=node.index, element=node.numel // 2, bit=22)


def test_the_cases_cover_every_op_kind_of_the_outer_step(outer: PreparedTask) -> None:
    kinds = {n.op.kind for n in outer.graph.nodes}
    disputed = {outer.graph.nodes[flip(outer, case).node].op.kind for case in DISPUTED}
    assert disputed == kinds
    assert OpKind.BATCH_GATHER not in kinds


@pytest.mark.parametrize("case", sorted(DISPUTED))
def test_a_tampered_outer_step_is_pinpointed_to_one_instruction_and_slashed(
    devnet: Devnet, outer: PreparedTask, honest: PartyClaims, case: str
) -> None:
    fault = flip(outer, case)
    cheater = PartyClaims(outer, tamper=fault)
    assert cheater.trace_root != honest.trace_root
    began = time.perf_counter()
    outcome = run_dispute(devnet, outer, operator=cheater, challenger=honest)
    view = outcome.view
    node = outer.graph.nodes[view.node]
    print(f"{case}: found node {view.node} ({node.name}, {node.op.kind.name}), element {view.element}, "
          f"instruction {view.instruction} of {view.program_length}; "
          f"{len(outcome.players[0].moves) + len(outcome.players[1].moves)} moves in "
          f"{time.perf_counter() - began:.1f} s")
    assert_operator_slashed_at(devnet, outcome, (0, fault.node, fault.element))


@pytest.mark.parametrize("case", sorted(DISPUTED))
def test_a_false_challenge_of_an_honest_outer_step_loses_its_bond(
    devnet: Devnet, outer: PreparedTask, honest: PartyClaims, case: str
) -> None:
    """The mirror: the EVM's one instruction gives the honest operator's bits, for every op kind."""
    fault = flip(outer, case)
    liar = PartyClaims(outer, tamper=fault)
    bond = devnet.game("other").challenger_bond()
    outcome = run_dispute(devnet, outer, operator=honest, challenger=liar)
    view = outcome.view
    assert (view.step, view.node, view.element) == (0, fault.node, fault.element)
    assert view.instruction == view.program_length - 1
    assert_challenger_lost_bond(devnet, outcome, bond)
