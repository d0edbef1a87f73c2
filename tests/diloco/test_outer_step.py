"""The outer step as a RepOps step graph: its formulas against numpy and torch.optim, its bits
across runs, and its shape as a graph the dispute can walk."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.typing import NDArray

from tests.diloco.schedules import tiny_schedule
from tribunal.commitments import state_commitment, tensor_root
from tribunal.datasets import load_dataset
from tribunal.diloco import DilocoSchedule, outer_layout, outer_step_graph, run_outer_step
from tribunal.diloco.outer_step import NO_DATASET, OuterResult
from tribunal.graph import graph_root
from tribunal.repops import OpKind
from tribunal.spec import Sgd
from tribunal.training import held_slots

F32 = np.float32


def _inputs(
    schedule: DilocoSchedule, seed: int = 0
) -> tuple[list[NDArray[np.float32]], list[list[NDArray[np.float32]]]]:
    """Global state (parameters, then a non-zero momentum) and shards near the parameters."""
    layout = outer_layout(schedule, load_dataset("digits"))
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(p.shape).astype(F32) for p in layout.params]
    momentum = [(0.01 * rng.standard_normal(p.shape)).astype(F32) for p in layout.trainable]
    shards = [
        [(w + 0.05 * rng.standard_normal(w.shape)).astype(F32) for w in params]
        for _ in range(schedule.shards)
    ]
    return [*params, *momentum], shards


def _run(
    schedule: DilocoSchedule, state: list[NDArray[np.float32]], shards: list[list[NDArray[np.float32]]]
) -> OuterResult:
    graph = outer_step_graph(schedule, load_dataset("digits"))
    return run_outer_step(
        graph, state, [tensor_root(a) for a in state], shards, [[tensor_root(a) for a in s] for s in shards]
    )


def _numpy_outer(
    schedule: DilocoSchedule, state: list[NDArray[np.float32]], shards: list[list[NDArray[np.float32]]]
) -> list[NDArray[np.float32]]:
    """The module docstring's formulas, one float32 numpy operation at a time."""
    count = len(shards[0])
    lr, mu = F32(schedule.outer_lr), F32(schedule.outer_momentum)
    params, momentum = [], []
    for k in range(count):
        theta, v = state[k], state[count + k]
        total = theta - shards[0][k]
        for shard in shards[1:]:
            total = total + (theta - shard[k])
        grad = total / F32(schedule.shards)
        v = v * mu + grad
        step = grad + v * mu if schedule.nesterov else v
        params.append(theta - step * lr)
        momentum.append(v)
    return [*params, *momentum]


@pytest.mark.parametrize(("shards", "nesterov"), [(2, True), (3, True), (3, False), (1, True)])
def test_outer_step_is_the_numpy_formula_bit_for_bit(shards: int, nesterov: bool) -> None:
    schedule = tiny_schedule(shards=shards, nesterov=nesterov)
    state, shard_params = _inputs(schedule)
    result = _run(schedule, state, shard_params)
    expected = _numpy_outer(schedule, state, shard_params)
    assert len(result.state) == len(expected)
    for got, want in zip(result.state, expected, strict=True):
        assert got.dtype == np.float32 and got.tobytes() == want.tobytes()
    assert result.roots == [tensor_root(a) for a in expected]
    sizes = [np.mean((state[k] - expected[k]) ** 2) for k in range(len(shard_params[0]))]
    assert result.update_size == pytest.approx(float(sum(sizes)), rel=1e-5)


def test_outer_step_matches_torch_nesterov_sgd() -> None:
    """torch.optim.SGD(nesterov=True) on the mean pseudo-gradient, DiLoCo's outer optimizer."""
    schedule = tiny_schedule(shards=3)
    state, shard_params = _inputs(schedule, seed=1)
    count = len(shard_params[0])
    weights = [torch.tensor(w) for w in state[:count]]
    optimizer = torch.optim.SGD(
        weights, lr=schedule.outer_lr, momentum=schedule.outer_momentum, nesterov=True
    )
    for k, w in enumerate(weights):  # a non-zero momentum buffer, as after earlier rounds
        optimizer.state[w]["momentum_buffer"] = torch.tensor(state[count + k])
        w.grad = torch.stack([w - torch.tensor(s[k]) for s in shard_params]).mean(dim=0)
    optimizer.step()
    result = _run(schedule, state, shard_params)
    for k, w in enumerate(weights):
        np.testing.assert_allclose(result.state[k], w.numpy(), rtol=1e-5, atol=1e-6)
        buffer = optimizer.state[w]["momentum_buffer"].numpy()
        np.testing.assert_allclose(result.state[count + k], buffer, rtol=1e-5, atol=1e-6)


def test_outer_step_gives_the_same_bits_every_run() -> None:
    schedule = tiny_schedule(shards=3)
    state, shard_params = _inputs(schedule, seed=2)
    runs = [_run(schedule, state, shard_params) for _ in range(3)]
    for run in runs[1:]:
        assert [a.tobytes() for a in run.state] == [a.tobytes() for a in runs[0].state]
        first = runs[0]
        assert (run.before, run.after, run.global_root) == (first.before, first.after, first.global_root)
    assert runs[0].before == state_commitment(
        [tensor_root(a) for a in [*state, *(w for s in shard_params for w in s)]]
    )
    assert runs[0].global_root == state_commitment(runs[0].roots)


def test_outer_step_is_a_step_graph_the_dispute_can_walk() -> None:
    schedule = tiny_schedule(shards=2)
    graph = outer_step_graph(schedule, load_dataset("digits"))
    layout = outer_layout(schedule, load_dataset("digits"))
    names = [s.name for s in graph.slots]
    params = [p.name for p in layout.params]
    assert names == [
        *params,
        *(f"outer.momentum.{n}" for n in params),
        *(f"shard{i}.{n}" for i in range(2) for n in params),
    ]
    assert graph.param_slots == tuple(range(len(params)))
    assert graph.dataset_shape == NO_DATASET
    assert all(node.op.kind != OpKind.BATCH_GATHER for node in graph.nodes)
    shard_slots = {j for j, name in enumerate(names) if name.startswith("shard")}
    assert set(held_slots(graph).values()) == shard_slots  # the shards' inputs are copied through
    assert graph.nodes[graph.loss].shape == ()
    assert len(graph_root(graph)) == 32
    assert graph_root(graph) != graph_root(outer_step_graph(tiny_schedule(shards=3), load_dataset("digits")))


def test_frozen_parameters_are_held_by_the_outer_step() -> None:
    task = tiny_schedule().task.model_copy(update={"trainable": ("param.dense1",), "optimizer": Sgd()})
    schedule = DilocoSchedule(task=task, rounds=1, shards=2, inner_steps=2)
    layout = outer_layout(schedule, load_dataset("digits"))
    assert [p.name for p in layout.trainable] == ["param.dense1.weight", "param.dense1.bias"]
    state, shard_params = _inputs(schedule)
    frozen = len(layout.params) - len(layout.trainable)
    trained = [s[frozen:] for s in shard_params]
    result = _run(schedule, state[: len(layout.params)] + state[len(layout.params) :], trained)
    assert all(result.state[k].tobytes() == state[k].tobytes() for k in range(frozen))
    assert any(result.state[k].tobytes() != state[k].tobytes() for k in range(frozen, len(layout.params)))
