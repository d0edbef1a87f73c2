"""Every node output of a step equals the scalar reference interpreter, bit for bit, on a
sample of its elements: what the torch kernels computed is what the dispute would replay."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.specs import SPECS
from tribunal.datasets import load_dataset
from tribunal.graph import node_inputs
from tribunal.repops import run_element
from tribunal.training import train

STEP = 1
SAMPLES = 3


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_node_matches_the_interpreter_on_sampled_elements(kind: str) -> None:
    spec = SPECS[kind](steps=STEP + 1, checkpoint_every=STEP + 1)
    dataset = load_dataset(spec.dataset)
    before = train(spec, until=STEP)
    result = train(spec, capture_step=STEP)
    assert result.captured is not None
    state, outputs, graph = before.final_state, result.captured, result.graph
    rng = np.random.Generator(np.random.PCG64(1234))
    for node in graph.nodes:
        inputs = node_inputs(node, outputs, state, np.array(dataset.rows))
        op = graph.op_for_step(node, STEP)
        produced = np.ascontiguousarray(outputs[node.index], dtype=np.float32).reshape(-1)
        size = produced.size
        elements = {0, size - 1, *rng.integers(0, size, SAMPLES).tolist()}
        for element in sorted(elements):
            expected = run_element(op, inputs, element)[-1]
            got = int(produced[element : element + 1].view(np.uint32)[0])
            assert got == expected, (
                f"node {node.index} ({node.name}, {op.kind.name}) element {element}: "
                f"torch {got:#010x}, interpreter {expected:#010x}"
            )
