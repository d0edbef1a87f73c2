"""A dispute over a fine-tuning task (``spec.trainable``): frozen layers are held by copy nodes
whose roots the parties reuse, and the game still pinpoints a fault in the middle step — in a
held copy, in a trainable layer's weight gradient, or in the input gradient a frozen layer
passes down to a trainable one."""

from __future__ import annotations

import pytest

from tests.dispute.test_dispute_e2e import run_dispute
from tests.support.chain import Devnet
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.dispute.state import GameStatus, Resolution
from tribunal.spec import MlpConfig, Momentum, TaskSpec
from tribunal.tasks import PreparedTask, prepare_task
from tribunal.training import held_slots

FROZEN = TaskSpec(model=MlpConfig(hidden=(16, 16)), dataset="digits", optimizer=Momentum(lr=0.05),
                  batch_size=8, seed=4, steps=4, checkpoint_every=2, trainable=("param.dense1",))


@pytest.fixture(scope="module")
def prepared() -> PreparedTask:
    return prepare_task(FROZEN, spec_uri="test://frozen")


@pytest.fixture(scope="module")
def honest(prepared: PreparedTask) -> PartyClaims:
    return PartyClaims(prepared)


def node_named(prepared: PreparedTask, name: str) -> int:
    return next(node.index for node in prepared.graph.nodes if node.name == name)


@pytest.mark.parametrize("faulty", ["hold.param.dense2.weight", "param.dense1.dW", "param.dense2.dx"])
def test_a_fault_in_the_middle_step_of_a_frozen_run_is_pinpointed(
    devnet: Devnet, prepared: PreparedTask, honest: PartyClaims, faulty: str
) -> None:
    node = node_named(prepared, faulty)
    if faulty.startswith("hold."):
        assert node in held_slots(prepared.graph)
    fault = BitFlip(step=FROZEN.steps // 2, node=node, element=3, bit=22)
    cheater = PartyClaims(prepared, tamper=fault)
    outcome = run_dispute(devnet, prepared, operator=cheater, challenger=honest)
    view = outcome.view
    assert view.status is GameStatus.CHALLENGER_WON
    assert view.resolution is Resolution.ONE_STEP
    assert (view.step, view.node, view.element) == (fault.step, fault.node, fault.element)
