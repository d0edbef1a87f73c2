"""A DiLoCo schedule (R rounds × N shards × H inner steps, outer Nesterov) and how it shards the data.

The schedule wraps a :class:`~tribunal.spec.TaskSpec` that names the model, dataset, inner
optimizer, batch size and seed; ``task.steps`` must equal ``inner_steps`` (every inner segment
runs the task's step graph for H steps). Its canonical JSON and hash follow the spec's rules.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Final

from eth_abi import encode as abi_encode
from pydantic import BaseModel, ConfigDict, model_validator

from tribunal.datasets import Dataset
from tribunal.merkle import keccak256
from tribunal.spec import Float32, OuterStep, TaskSpec, canonical_json

SCHEDULE_VERSION: Final = 1
MAX_ROUNDS: Final = 1_000_000
MAX_SHARDS: Final = 1024
SEED_BITS: Final = 64
"""A segment's seed is 64 bits wide, like a spec's, so a segment can later be written as a task."""


class DilocoSchedule(BaseModel):
    """R rounds of N shards training H inner steps each, then one outer step per round.

    ``outer_lr`` and ``outer_momentum`` are float32 (rounded like a spec's hyperparameters);
    with ``nesterov`` the outer step is Nesterov momentum (DiLoCo: lr 0.7, μ 0.9), without it
    heavy-ball momentum.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    version: int = SCHEDULE_VERSION
    task: TaskSpec
    rounds: int
    shards: int
    inner_steps: int
    outer_lr: Float32 = 0.7
    outer_momentum: Float32 = 0.9
    nesterov: bool = True

    @model_validator(mode="after")
    def _ranges(self) -> DilocoSchedule:
        if self.version != SCHEDULE_VERSION:
            raise ValueError(f"version must be {SCHEDULE_VERSION}, got {self.version}")
        if not 1 <= self.rounds <= MAX_ROUNDS:
            raise ValueError(f"rounds must be 1..{MAX_ROUNDS}, got {self.rounds}")
        if not 1 <= self.shards <= MAX_SHARDS:
            raise ValueError(f"shards must be 1..{MAX_SHARDS}, got {self.shards}")
        if self.inner_steps < 1:
            raise ValueError(f"inner_steps must be >= 1, got {self.inner_steps}")
        if self.task.outer is not None:
            raise ValueError("task is the inner training task: it must not set outer")
        if self.task.steps != self.inner_steps:
            raise ValueError(
                f"task.steps ({self.task.steps}) must equal inner_steps ({self.inner_steps}): "
                "each inner segment runs the task's step graph for H steps"
            )
        if self.outer_lr <= 0.0:
            raise ValueError(f"outer_lr must be > 0, got {self.outer_lr}")
        if not 0.0 <= self.outer_momentum < 1.0:
            raise ValueError(f"outer_momentum must be in [0, 1), got {self.outer_momentum}")
        return self

    @property
    def outer(self) -> OuterStep:
        """The round's outer step, as an outer task's spec names it."""
        return OuterStep(
            shards=self.shards, lr=self.outer_lr, momentum=self.outer_momentum, nesterov=self.nesterov
        )

    def check_dataset(self, num_rows: int) -> None:
        """ValueError unless every shard of a ``num_rows``-row dataset can draw a batch."""
        if self.shards > num_rows:
            raise ValueError(f"{self.shards} shards need at least as many rows; the dataset has {num_rows}")
        smallest = min(stop - start for start, stop in shard_ranges(num_rows, self.shards))
        if self.task.batch_size > smallest:
            raise ValueError(
                f"batch_size {self.task.batch_size} exceeds the smallest shard ({smallest} of "
                f"{num_rows} rows over {self.shards} shards)"
            )


def schedule_json(schedule: DilocoSchedule) -> bytes:
    """Canonical bytes: sorted keys, no whitespace; the task as its own canonical JSON."""
    fields = schedule.model_dump(mode="json", exclude={"task"})
    fields["task"] = json.loads(canonical_json(schedule.task))
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def schedule_hash(schedule: DilocoSchedule) -> bytes:
    """keccak256 of :func:`schedule_json`."""
    return keccak256(schedule_json(schedule))


def shard_ranges(num_rows: int, shards: int) -> list[tuple[int, int]]:
    """Shard ``i``'s training rows: ``[floor(i·n/N), floor((i+1)·n/N))``, contiguous and in order,
    so the shards are disjoint, cover every row, and differ in size by at most one."""
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    if shards > num_rows:
        raise ValueError(f"{shards} shards need at least as many rows; the dataset has {num_rows}")
    return [(i * num_rows // shards, (i + 1) * num_rows // shards) for i in range(shards)]


def shard_dataset(dataset: Dataset, shards: int, shard: int) -> Dataset:
    """Shard ``shard``'s slice of ``dataset``'s training rows (test rows kept whole), a dataset of
    its own: its segments' ``BATCH_GATHER`` indexes these rows, and its root commits to them."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard must be 0..{shards - 1}, got {shard}")
    start, stop = shard_ranges(dataset.num_rows, shards)[shard]
    # the same dataset (test rows, targets, preparation) with the shard's training rows
    return replace(dataset, name=f"{dataset.name}[shard {shard} of {shards}: rows {start}..{stop - 1}]",
                   rows=dataset.rows[start:stop])


def segment_seed(seed: int, round_: int, shard: int) -> int:
    """The seed of shard ``shard``'s segment in round ``round_``: the top 64 bits of
    ``keccak256(abi.encode(uint256 seed, uint256 round, uint256 shard))``. Inner step ``h``
    of that segment draws ``batch_row_indices(segment_seed, h, batch, shard_rows)``, so every
    (seed, round, shard, step) sees its own batch."""
    digest = keccak256(abi_encode(["uint256", "uint256", "uint256"], [seed, round_, shard]))
    return int.from_bytes(digest, "big") >> (256 - SEED_BITS)
