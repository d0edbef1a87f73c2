"""The round loop: broadcast the global state, collect the shards' segments, run the outer step.

:class:`Coordinator` holds the global state (parameters and outer momentum) and runs the outer
step on the shards' results; :func:`run_sequential` is the reference: one process runs every
shard's segment of every round in shard order, then the outer step. The parallel run
(``tribunal.diloco.operators``) uses the same coordinator with the segments run by operator
processes; both give the same bits.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.commitments import state_commitment, tensor_root
from tribunal.datasets import Dataset, load_dataset
from tribunal.diloco.outer_step import (
    OuterResult,
    initial_global_state,
    outer_layout,
    outer_step_graph,
    run_outer_step,
)
from tribunal.diloco.schedule import DilocoSchedule, schedule_hash
from tribunal.diloco.segment import SegmentResult, ShardTrainer


@dataclass(frozen=True)
class SegmentRecord:
    """A segment's commitments as the coordinator records them."""

    shard: int
    start: bytes
    """``h_0``."""
    final: bytes
    """``h_H``."""
    trace_root: bytes
    wire_bytes: int
    seconds: float
    cpu_seconds: float
    losses: tuple[float, ...]


@dataclass(frozen=True)
class RoundRecord:
    """One round: its segments (shard order), the outer step's commitments and the new global
    state's root (over the parameters' and outer momentum's tensor roots)."""

    round: int
    segments: tuple[SegmentRecord, ...]
    outer_before: bytes
    outer_after: bytes
    outer_trace_root: bytes
    global_root: bytes
    update_size: float
    outer_seconds: float
    segments_wall_seconds: float
    """From broadcasting the global state to holding every shard's result."""

    def commitments(self) -> tuple[object, ...]:
        """Every root of the round (what two runs of the same schedule must agree on)."""
        return (
            tuple((s.shard, s.start, s.final, s.trace_root) for s in self.segments),
            self.outer_before,
            self.outer_after,
            self.global_root,
        )


@dataclass
class DilocoResult:
    schedule_hash: bytes
    initial_global_root: bytes
    rounds: list[RoundRecord] = field(default_factory=list)
    params: dict[str, NDArray[np.float32]] = field(default_factory=dict)
    """The final global parameters, by slot name (model order)."""
    momentum: dict[str, NDArray[np.float32]] = field(default_factory=dict)
    """The final outer momentum, by its slot name."""

    @property
    def final_global_root(self) -> bytes:
        return self.rounds[-1].global_root if self.rounds else self.initial_global_root


class Coordinator:
    """The global state of a schedule and its outer step. The initial parameters are the task's
    (``initial_state``, so ``spec.init`` applies); the outer momentum starts at zero."""

    def __init__(
        self, schedule: DilocoSchedule, dataset: Dataset, device: torch.device | None = None
    ) -> None:
        schedule.check_dataset(dataset.num_rows)
        self.schedule = schedule
        self.device = device or torch.device("cpu")
        self.layout = outer_layout(schedule, dataset)
        self.graph = outer_step_graph(schedule, dataset)
        self.state: list[NDArray[np.float32]] = initial_global_state(schedule, dataset)
        self.roots = [tensor_root(a) for a in self.state]
        self.result = DilocoResult(schedule_hash(schedule), state_commitment(self.roots))

    @property
    def params(self) -> list[NDArray[np.float32]]:
        """The global parameters (every parameter slot, model order): what is broadcast."""
        return self.state[: len(self.layout.params)]

    @property
    def param_roots(self) -> list[bytes]:
        return self.roots[: len(self.layout.params)]

    def outer_step(
        self, round_: int, segments: Sequence[SegmentResult], wall: float, *, verify: bool = True
    ) -> RoundRecord:
        """Check the shards' results, run the outer step, record the round.

        With ``verify`` (the default) every received tensor is hashed and must have the root its
        operator claimed: ``h_before`` commits to those roots, so a coordinator that ran the outer
        step on other bits would lose a dispute over it. The check is part of ``outer_seconds``."""
        began = time.perf_counter()
        by_shard = sorted(segments, key=lambda s: s.shard)
        if [s.shard for s in by_shard] != list(range(self.schedule.shards)) or any(
            s.round != round_ for s in by_shard
        ):
            raise ValueError(f"round {round_} needs one result per shard 0..{self.schedule.shards - 1}")
        names = [p.name for p in self.layout.trainable]
        for s in by_shard:
            if list(s.params) != names or list(s.param_roots) != names:
                raise ValueError(f"shard {s.shard} sent parameters {list(s.params)}; expected {names}")
            if verify:
                for name, value in s.params.items():
                    if tensor_root(value) != s.param_roots[name]:
                        raise ValueError(f"shard {s.shard}'s {name} does not have the root it claimed")
        outer: OuterResult = run_outer_step(
            self.graph,
            self.state,
            self.roots,
            [list(s.params.values()) for s in by_shard],
            [list(s.param_roots.values()) for s in by_shard],
            self.device,
        )
        self.state, self.roots = outer.state, outer.roots
        record = RoundRecord(
            round=round_,
            segments=tuple(
                SegmentRecord(
                    s.shard, s.state_commitments[0], s.final_commitment, s.trace_root,
                    s.wire_bytes(), s.seconds, s.cpu_seconds, tuple(s.losses),
                )
                for s in by_shard
            ),
            outer_before=outer.before,
            outer_after=outer.after,
            outer_trace_root=outer.trace_root,
            global_root=outer.global_root,
            update_size=outer.update_size,
            outer_seconds=time.perf_counter() - began,
            segments_wall_seconds=wall,
        )
        self.result.rounds.append(record)
        return record

    def finish(self) -> DilocoResult:
        count = len(self.layout.params)
        self.result.params = {p.name: self.state[k] for k, p in enumerate(self.layout.params)}
        self.result.momentum = {
            f"outer.momentum.{p.name}": self.state[count + k] for k, p in enumerate(self.layout.trainable)
        }
        return self.result


def run_sequential(
    schedule: DilocoSchedule,
    *,
    dataset: Dataset | None = None,
    device: torch.device | None = None,
) -> DilocoResult:
    """The reference run: this process runs every shard's segment of every round in shard order,
    then the round's outer step."""
    dataset = dataset or load_dataset(schedule.task.dataset)
    coordinator = Coordinator(schedule, dataset, device)
    trainers = [ShardTrainer(schedule, dataset, i, device) for i in range(schedule.shards)]
    for round_ in range(schedule.rounds):
        began = time.perf_counter()
        params, roots = coordinator.params, coordinator.param_roots
        segments = [trainer.run(round_, params, roots) for trainer in trainers]
        coordinator.outer_step(round_, segments, time.perf_counter() - began)
    return coordinator.finish()
