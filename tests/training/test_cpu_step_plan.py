"""A step on the CPU runs as a prebuilt list of plans (`CpuStepPlan`), with Adam's three nodes
of a parameter as one pass over memory (`optimizer_chains`, `repops.execute_chain`): every
step's outputs are the bits of running the nodes one by one through `execute`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tribunal.training as training
from tests.repops.helpers import random_floats
from tests.support.specs import cnn_spec, mlp_spec, transformer_spec
from tribunal.datasets import load_dataset
from tribunal.models import build_step_graph, initial_state
from tribunal.repops import OpKind, execute, execute_chain, ops
from tribunal.spec import Momentum, TaskSpec
from tribunal.training import CpuStepPlan, cpu_step_plan, held_slots, next_state, optimizer_chains, run_step

ADAM_CHAIN = training._ADAM_BINDINGS


def _bits(t: torch.Tensor) -> np.ndarray:
    return t.contiguous().numpy().reshape(-1).view(np.uint32)


def _one_by_one(
    m: np.ndarray, g: np.ndarray, v: np.ndarray, w: np.ndarray, b1: np.ndarray, b2: np.ndarray
) -> list:
    t = [torch.from_numpy(x) for x in (m, g, v, w, b1, b2)]
    m2 = execute(ops.adam_m(0.9), [t[0], t[1]])
    v2 = execute(ops.adam_v(0.999), [t[2], t[1]])
    w2 = execute(ops.adam_update(1e-3, 1e-8), [t[3], m2, v2, t[4], t[5]])
    return [m2, v2, w2]


@pytest.mark.parametrize("shape", [(7,), (33, 70), (700, 384)], ids=["small", "rows", "split-over-threads"])
def test_adam_chain_equals_the_three_ops_one_by_one(shape: tuple[int, ...]) -> None:
    """Special values included (NaN, infinities, zeros of both signs, subnormals): a NaN
    moment is read by the update as the stored canonical NaN, as one by one."""
    rng = np.random.default_rng(len(shape))
    m, g, v, w = (random_floats(rng, shape, special_rate=0.05) for _ in range(4))
    v = np.abs(v)
    b1, b2 = np.array(0.9**3, np.float32), np.array(0.999**3, np.float32)
    specs = [ops.adam_m(0.9), ops.adam_v(0.999), ops.adam_update(1e-3, 1e-8)]
    made = execute_chain(specs, ADAM_CHAIN, [torch.from_numpy(x) for x in (m, g, v, w, b1, b2)])
    assert made is not None, "the CPU chain plan should apply"
    for fused, alone in zip(made, _one_by_one(m, g, v, w, b1, b2), strict=True):
        assert fused.shape == alone.shape
        np.testing.assert_array_equal(_bits(fused), _bits(alone))


def test_a_chain_that_does_not_fit_one_pass_is_refused() -> None:
    """An input read by column (a bias) or outputs of different shapes: None, and the
    caller runs the ops one by one."""
    rng = np.random.default_rng(1)
    x, b = torch.from_numpy(random_floats(rng, (4, 5))), torch.from_numpy(random_floats(rng, (5,)))
    assert execute_chain([ops.bias_add()], [(("input", 0), ("input", 1))], [x, b]) is None
    assert execute_chain([ops.add()], [(("input", 0), ("output", 0))], [x]) is None  # reads itself


@pytest.mark.parametrize(
    "spec",
    [
        mlp_spec(),
        cnn_spec(),
        transformer_spec(),
        mlp_spec(optimizer=Momentum(lr=0.1, momentum=0.9)),
        transformer_spec(trainable=["param.l0.mlp2", "param.head"]),
    ],
    ids=["mlp", "cnn", "transformer", "mlp-momentum", "transformer-frozen"],
)
def test_steps_as_plans_equal_steps_node_by_node(spec: TaskSpec) -> None:
    dataset = load_dataset(spec.dataset)
    graph = build_step_graph(spec, dataset)
    rows = torch.from_numpy(np.array(dataset.rows))
    state = [torch.from_numpy(a) for a in initial_state(spec, dataset)]
    plan = cpu_step_plan(graph, state, rows)
    kinds = [entry[0] for entry in plan.entries]
    adam_nodes = sum(1 for node in graph.nodes if node.op.kind is OpKind.ADAM_UPDATE)
    assert len(optimizer_chains(graph)) == adam_nodes  # every Adam parameter, none else
    assert kinds.count(CpuStepPlan._CHAIN) == adam_nodes  # each runs as one pass
    through_execute = [graph.nodes[e[3]].op.kind for e in plan.entries if e[0] == CpuStepPlan._EXECUTE]
    assert set(through_execute) <= {OpKind.BATCH_GATHER}  # its rows change every step
    held = held_slots(graph)
    for step in range(3):
        planned = run_step(graph, state, rows, step)
        alone = run_step(graph, state, rows, step, tamper=lambda step, node, output: output)
        assert len(planned) == len(alone) == len(graph.nodes)
        for node, a, b in zip(graph.nodes, planned, alone, strict=True):
            assert a.shape == b.shape, node.name
            np.testing.assert_array_equal(_bits(a), _bits(b), err_msg=f"node {node.index} {node.name}")
            if node.index in held:  # a held slot's output is the very tensor of the slot
                assert a is state[held[node.index]]
        state = next_state(graph, planned)
