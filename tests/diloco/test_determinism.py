"""N operator processes give the same bits as one process running the same schedule in order:
every segment trace, every outer h_before / h_after, every round's global root, the final state."""

from __future__ import annotations

import numpy as np
import pytest

from tests.diloco.schedules import MOMENTUM, tiny_schedule
from tribunal.commitments import state_commitment, tensor_root
from tribunal.datasets import load_dataset
from tribunal.diloco import (
    Coordinator,
    DilocoResult,
    DilocoSchedule,
    OperatorError,
    OperatorPool,
    ShardTrainer,
    assign_shards,
    run_parallel,
    run_sequential,
)
from tribunal.models import initial_state
from tribunal.training import evaluate

SCHEDULES = {
    "2 shards, 3 rounds of 2 steps, Adam": tiny_schedule(rounds=3, shards=2, inner_steps=2),
    "3 shards, 2 rounds of 3 steps, momentum": tiny_schedule(
        rounds=2, shards=3, inner_steps=3, optimizer=MOMENTUM
    ),
}


def _same(a: DilocoResult, b: DilocoResult) -> None:
    assert a.schedule_hash == b.schedule_hash
    assert a.initial_global_root == b.initial_global_root
    assert [r.commitments() for r in a.rounds] == [r.commitments() for r in b.rounds]
    assert list(a.params) == list(b.params) and list(a.momentum) == list(b.momentum)
    for name in a.params:
        assert a.params[name].tobytes() == b.params[name].tobytes(), name
    for name in a.momentum:
        assert a.momentum[name].tobytes() == b.momentum[name].tobytes(), name
    assert a.final_global_root == b.final_global_root


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_parallel_operators_match_the_sequential_run_bit_for_bit(name: str) -> None:
    schedule = SCHEDULES[name]
    sequential = run_sequential(schedule)
    parallel = run_parallel(schedule)  # one operator process per shard
    assert len(parallel.rounds) == schedule.rounds
    assert all(len(r.segments) == schedule.shards for r in parallel.rounds)
    _same(sequential, parallel)
    # the rounds move the state, and the records are consistent with it
    roots = [r.global_root for r in sequential.rounds]
    assert len(set(roots)) == schedule.rounds and sequential.initial_global_root not in roots
    final = [*sequential.params.values(), *sequential.momentum.values()]
    assert sequential.final_global_root == state_commitment([tensor_root(a) for a in final])
    traces = {s.trace_root for r in sequential.rounds for s in r.segments}
    assert len(traces) == schedule.rounds * schedule.shards


def test_the_sequential_run_repeats_bit_for_bit() -> None:
    schedule = tiny_schedule(rounds=2, shards=2, inner_steps=2)
    _same(run_sequential(schedule), run_sequential(schedule))


def test_segments_start_from_the_broadcast_state_and_a_fresh_optimizer_state() -> None:
    """A segment's h_0 is (global parameters, the task's initial optimizer state) in every round:
    nothing a shard's previous segment left behind, so any operator can run any segment."""
    schedule = tiny_schedule(rounds=2, shards=2, inner_steps=2)
    digits = load_dataset("digits")
    start = initial_state(schedule.task, digits)
    trainer = ShardTrainer(schedule, digits, 0)
    count = len(trainer.param_slots)
    params = start[:count]
    first = trainer.run(0, params)
    assert first.state_commitments[0] == state_commitment([tensor_root(a) for a in start])
    assert len(first.state_commitments) == schedule.inner_steps + 1
    moved = [first.params[name] for name in first.params]
    second = trainer.run(1, moved)
    fresh = start[count:]  # Adam's zero moments and beta powers of 1.0
    assert second.state_commitments[0] == state_commitment([tensor_root(a) for a in [*moved, *fresh]])
    again = ShardTrainer(schedule, digits, 0).run(1, moved)  # another operator, round 1 first
    assert again.state_commitments == second.state_commitments
    with pytest.raises(ValueError, match="round must be 0..1, got 2"):
        trainer.run(2, params)
    assert first.wire_bytes() == sum(a.nbytes for a in first.params.values()) + 32 * (len(first.params) + 2)


def test_diloco_training_learns() -> None:
    schedule = tiny_schedule(rounds=4, shards=2, inner_steps=3)
    digits = load_dataset("digits")
    result = run_sequential(schedule, dataset=digits)
    names = list(result.params)
    before = dict(zip(names, initial_state(schedule.task, digits), strict=False))
    trained = evaluate(schedule.task, result.params, dataset=digits)
    assert trained > evaluate(schedule.task, before, dataset=digits) + 0.1


def test_shards_are_assigned_round_robin() -> None:
    assert assign_shards(3, 3) == [[0], [1], [2]]
    assert assign_shards(3, 2) == [[0, 2], [1]]
    assert assign_shards(2, 1) == [[0, 1]]
    with pytest.raises(ValueError, match="operators must be 1..2"):
        assign_shards(2, 3)


def test_an_operator_that_fails_is_reported() -> None:
    schedule: DilocoSchedule = tiny_schedule()
    with OperatorPool(schedule, load_dataset("digits"), 1) as pool, pytest.raises(
        OperatorError, match="operator 0 failed:(.|\n)*expected 4 parameter tensors, got 1"
    ):
        pool.run_round(0, [np.zeros(3, np.float32)], [b"\0" * 32])


def test_the_coordinator_refuses_parameters_that_do_not_match_their_roots() -> None:
    schedule = tiny_schedule()
    digits = load_dataset("digits")
    coordinator = Coordinator(schedule, digits)
    segments = [ShardTrainer(schedule, digits, i).run(0, coordinator.params) for i in range(2)]
    name = "param.dense1.bias"
    segments[1].params[name] = segments[1].params[name] + np.float32(1.0)
    with pytest.raises(ValueError, match="shard 1's param.dense1.bias does not have the root it claimed"):
        coordinator.outer_step(0, segments, 0.0)
    assert coordinator.result.rounds == []
