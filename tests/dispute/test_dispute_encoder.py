"""A dispute over an encoder task (12 heads of width 2, GELU composed from elementwise ops,
a padding mask from MIN/ABS and a broadcast copy, mean pooling by reduces and a broadcast copy):
every node is an op the EVM already proves,
so a flipped bit anywhere in them is pinpointed to its step, node and element, and the
challenger wins."""

from __future__ import annotations

import pytest

from tests.dispute.test_dispute_e2e import run_dispute
from tests.support.chain import Devnet
from tests.support.specs import SMALL_ENCODER, encoder_spec
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.dispute.state import GameStatus, Resolution
from tribunal.spec import Sgd
from tribunal.tasks import PreparedTask, prepare_task

FAULTY_NODES = [
    "param.l0.mlp.gelu",  # x · σ(2u)
    "param.l1.mlp.gelu.sigmoid",  # 1 / (1 + exp(−2u)): a constant-first DIV
    "param.l0.mlp.gelu.grad.chain",
    "param.l1.attn.k.split",  # split_heads into 12 heads
    "param.l0.attn.scores",
    "param.l1.attn.softmax.grad",
    "pool.grad.repeat",
    "pad.score_bias",  # the padding mask, copied onto every head's and query's scores
    "pool.count",  # the tokens a sequence pools over
]


@pytest.fixture(scope="module")
def prepared() -> PreparedTask:
    assert SMALL_ENCODER.heads == 12 and SMALL_ENCODER.pad_id == 0
    spec = encoder_spec(optimizer=Sgd(lr=0.1), seed=6)
    return prepare_task(spec, spec_uri="test://encoder")


@pytest.fixture(scope="module")
def honest(prepared: PreparedTask) -> PartyClaims:
    return PartyClaims(prepared)


@pytest.mark.parametrize("faulty", FAULTY_NODES)
def test_a_fault_in_an_encoder_node_is_pinpointed(
    devnet: Devnet, prepared: PreparedTask, honest: PartyClaims, faulty: str
) -> None:
    node = next(node.index for node in prepared.graph.nodes if node.name == faulty)
    # the last step of an interval: its node outputs are all committed (h_K is over them), so a
    # fault in any node shows there, even one whose effect a later step would mask
    fault = BitFlip(step=prepared.spec.checkpoint_every - 1, node=node, element=5, bit=22)
    cheater = PartyClaims(prepared, tamper=fault)
    view = run_dispute(devnet, prepared, operator=cheater, challenger=honest).view
    assert view.status is GameStatus.CHALLENGER_WON
    assert view.resolution is Resolution.ONE_STEP
    assert (view.step, view.node, view.element) == (fault.step, fault.node, fault.element)
