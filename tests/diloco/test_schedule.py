"""The schedule's validation, its data sharding and segment seeds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.diloco.schedules import tiny_schedule
from tribunal.datasets import load_dataset
from tribunal.diloco import (
    Coordinator,
    DilocoSchedule,
    ShardTrainer,
    schedule_hash,
    schedule_json,
    segment_seed,
    shard_dataset,
    shard_ranges,
)
from tribunal.spec import TaskSpec


@pytest.mark.parametrize(("rows", "shards"), [(1438, 2), (1438, 3), (10, 10), (7, 3), (1, 1)])
def test_shards_are_disjoint_cover_every_row_and_are_balanced(rows: int, shards: int) -> None:
    ranges = shard_ranges(rows, shards)
    assert ranges[0][0] == 0 and ranges[-1][1] == rows
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))  # contiguous, in order
    owned = [row for start, stop in ranges for row in range(start, stop)]
    assert owned == list(range(rows))  # every row exactly once
    sizes = [stop - start for start, stop in ranges]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_shard_datasets_hold_their_slice_of_the_rows() -> None:
    digits = load_dataset("digits")
    parts = [shard_dataset(digits, 3, i) for i in range(3)]
    assert sum(p.num_rows for p in parts) == digits.num_rows
    start = 0
    for part in parts:
        assert (part.rows == digits.rows[start : start + part.num_rows]).all()
        assert part.num_classes == digits.num_classes and part.num_features == digits.num_features
        start += part.num_rows
    assert len({p.root for p in parts}) == 3
    with pytest.raises(ValueError, match="shard must be 0..2"):
        shard_dataset(digits, 3, 3)


def test_every_round_and_shard_gets_its_own_seed() -> None:
    seeds = {segment_seed(3, r, i) for r in range(4) for i in range(4)}
    assert len(seeds) == 16
    assert all(0 <= s < 2**64 for s in seeds)
    assert segment_seed(3, 1, 2) == segment_seed(3, 1, 2)
    assert segment_seed(3, 1, 2) != segment_seed(4, 1, 2)


def test_segment_graphs_differ_only_in_their_seed() -> None:
    schedule = tiny_schedule()
    trainer = ShardTrainer(schedule, load_dataset("digits"), 1)
    first, second = trainer.graph_for(0), trainer.graph_for(1)
    assert first.nodes == second.nodes and first.slots == second.slots
    assert first.seed == segment_seed(3, 0, 1) and second.seed == segment_seed(3, 1, 1)
    assert first.dataset_shape == (1438 - 719, 65)


def _task(steps: int = 2, batch_size: int = 8) -> TaskSpec:
    return tiny_schedule(inner_steps=steps).task.model_copy(update={"batch_size": batch_size})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"shards": 0}, "shards must be 1..1024"),
        ({"rounds": 0}, "rounds must be 1.."),
        ({"inner_steps": 0}, "inner_steps must be >= 1"),
        ({"inner_steps": 3}, r"task.steps \(2\) must equal inner_steps \(3\)"),
        ({"outer_lr": 0.0}, "outer_lr must be > 0"),
        ({"outer_momentum": 1.0}, r"outer_momentum must be in \[0, 1\)"),
        ({"outer_momentum": -0.1}, r"outer_momentum must be in \[0, 1\)"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_schedules_are_refused_with_the_reason(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"task": _task(), "rounds": 2, "shards": 2, "inner_steps": 2, **changes}
    with pytest.raises(ValidationError, match=message):
        DilocoSchedule.model_validate(fields)


def test_schedules_that_do_not_fit_the_dataset_are_refused() -> None:
    digits = load_dataset("digits")
    too_many = DilocoSchedule(task=_task(batch_size=1), rounds=1, shards=1024, inner_steps=2)
    too_many.check_dataset(1438)
    with pytest.raises(ValueError, match="1024 shards need at least as many rows; the dataset has 10"):
        too_many.check_dataset(10)
    big_batch = DilocoSchedule(task=_task(batch_size=720), rounds=1, shards=2, inner_steps=2)
    with pytest.raises(ValueError, match=r"batch_size 720 exceeds the smallest shard \(719 of 1438"):
        Coordinator(big_batch, digits)
    with pytest.raises(ValueError, match="batch_size 720 exceeds"):
        ShardTrainer(big_batch, digits, 0)
    with pytest.raises(ValueError, match="shards must be >= 1"):
        shard_ranges(10, 0)


def test_schedule_bytes_are_canonical_and_hashed() -> None:
    schedule = tiny_schedule()
    encoded = schedule_json(schedule)
    assert b" " not in encoded
    assert encoded.startswith(b'{"inner_steps":2,"nesterov":true,"outer_lr":0.699999988079071,')
    assert DilocoSchedule.model_validate_json(encoded) == schedule
    assert schedule_hash(schedule) != schedule_hash(tiny_schedule(rounds=3))
    assert schedule.outer_momentum == 0.8999999761581421  # float32, like a spec's hyperparameters
