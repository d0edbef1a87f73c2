"""An inner segment: one shard's H RepOps steps of one round, from the round's global parameters
and a fresh inner optimizer state.

A segment is a training run like any task's: ``h_0`` commits to its starting state (the global
parameters, then the task's initial optimizer state, in the task's slot order), step ``t`` runs the
task's step graph (on the shard's rows, with the segment's seed) and ``h_{t+1}`` is the Merkle
root over its node outputs' roots; the segment's trace root is over ``h_0 .. h_H``. So a dispute
over a segment is the existing game on that trace, unchanged.

:class:`ShardTrainer` is the operator's side of one shard. Every segment starts from the task's
initial optimizer state (zeros; Adam's ``beta^t`` powers 1.0), not the one the shard's previous
segment ended with: DiLoCo keeps it per worker, but a segment must be re-runnable by any operator
from public data alone (``docs/diloco-jobs.md``), and a dropped operator's optimizer state is gone
with it. Only the trainable parameters and their roots are sent back (:class:`SegmentResult`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.commitments import committed_step, state_commitment, tensor_root, trace_root
from tribunal.datasets import Dataset
from tribunal.diloco.schedule import DilocoSchedule, segment_seed, shard_dataset
from tribunal.graph import StepGraph
from tribunal.models import build_step_graph, initial_state
from tribunal.training import commit_step, next_state, run_step

ROOT_BYTES = 32


@dataclass
class SegmentResult:
    """What a shard's operator returns after a segment: the trainable parameters it ended with
    (by slot name, model order) and their roots, and the segment's commitments."""

    round: int
    shard: int
    params: dict[str, NDArray[np.float32]]
    param_roots: dict[str, bytes]
    state_commitments: list[bytes]
    """``h_0 .. h_H`` of the segment."""
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    """Wall time of the segment on its operator (steps and commitments)."""
    cpu_seconds: float = 0.0
    """CPU time the operator's process spent on it (below ``seconds`` when the core is shared)."""

    @property
    def trace_root(self) -> bytes:
        return trace_root(self.state_commitments)

    @property
    def final_commitment(self) -> bytes:
        """``h_H``: the leaves of the parameters the outer step reads are proven against it."""
        return self.state_commitments[-1]

    def wire_bytes(self) -> int:
        """Bytes of the protocol payload an operator sends per segment: the parameter tensors,
        their roots, the trace root and ``h_H`` (losses and timings are diagnostics)."""
        tensors = sum(int(a.nbytes) for a in self.params.values())
        return tensors + ROOT_BYTES * (len(self.param_roots) + 2)


class ShardTrainer:
    """Shard ``shard``'s rows and step graph; its segments, in any round order.

    Each segment starts from the given global parameters and the task's initial optimizer state
    (the optimizer slots of ``initial_state(task, dataset)``: constants, the same for every seed).
    """

    def __init__(
        self,
        schedule: DilocoSchedule,
        dataset: Dataset,
        shard: int,
        device: torch.device | None = None,
    ) -> None:
        schedule.check_dataset(dataset.num_rows)
        self.schedule = schedule
        self.shard = shard
        self.device = device or torch.device("cpu")
        self.data = shard_dataset(dataset, schedule.shards, shard)
        self.graph = build_step_graph(schedule.task, self.data)
        self.param_slots = self.graph.param_slots
        self.trainable = [
            j for j in self.param_slots if schedule.task.is_trainable(self.graph.slots[j].name)
        ]
        params = set(self.param_slots)
        self.opt_slots = [j for j in range(len(self.graph.slots)) if j not in params]
        start = initial_state(schedule.task, dataset)
        self.initial_opt_state = [start[j] for j in self.opt_slots]
        self.initial_opt_roots = [tensor_root(a) for a in self.initial_opt_state]
        self.rows = torch.from_numpy(np.array(self.data.rows)).to(self.device)

    def graph_for(self, round_: int) -> StepGraph:
        """The segment's step graph: the task's graph on this shard's rows, with the segment's
        seed (only ``BATCH_GATHER``'s descriptor depends on it)."""
        seed = segment_seed(self.schedule.task.seed, round_, self.shard)
        return dataclasses.replace(self.graph, seed=seed)

    def run(
        self,
        round_: int,
        params: Sequence[NDArray[np.float32]],
        param_roots: Sequence[bytes] | None = None,
    ) -> SegmentResult:
        """Run round ``round_``'s segment from the global ``params`` (every parameter slot, model
        order; ``param_roots`` their tensor roots when known) and the initial optimizer state."""
        if not 0 <= round_ < self.schedule.rounds:
            raise ValueError(f"round must be 0..{self.schedule.rounds - 1}, got {round_}")
        if len(params) != len(self.param_slots):
            raise ValueError(f"expected {len(self.param_slots)} parameter tensors, got {len(params)}")
        began, began_cpu = time.perf_counter(), time.process_time()
        graph = self.graph_for(round_)
        arrays: list[NDArray[np.float32]] = [np.zeros(0, np.float32)] * len(graph.slots)
        roots: list[bytes] = [b""] * len(graph.slots)
        given_roots = param_roots if param_roots is not None else [tensor_root(p) for p in params]
        for j, value, root in zip(self.param_slots, params, given_roots, strict=True):
            if tuple(value.shape) != graph.slots[j].shape:
                slot = graph.slots[j]
                raise ValueError(f"{slot.name}: shape {tuple(value.shape)}, expected {slot.shape}")
            arrays[j], roots[j] = value, root
        fresh = zip(self.opt_slots, self.initial_opt_state, self.initial_opt_roots, strict=True)
        for j, value, root in fresh:
            arrays[j], roots[j] = value, root
        state = [torch.from_numpy(np.array(a, dtype=np.float32)).to(self.device) for a in arrays]
        commitments = [state_commitment(roots)]
        losses: list[float] = []
        known: list[bytes | None] = list(roots)
        steps, every = self.schedule.inner_steps, self.schedule.task.checkpoint_every
        for step in range(steps):
            outputs = run_step(graph, state, self.rows, step)
            # committed as a task's trace is (protocol v2): at checkpoint steps and the last one
            leaf, _, known = commit_step(graph, state, known, outputs, committed_step(step + 1, steps, every))
            commitments.append(leaf)
            state = next_state(graph, outputs)
            losses.append(float(outputs[graph.loss]))
        roots = [root for root in known if root is not None]
        assert len(roots) == len(known), "the last inner step is committed, so every root is known"
        final = [t.cpu().numpy() for t in state]
        return SegmentResult(
            round=round_,
            shard=self.shard,
            params={graph.slots[j].name: final[j] for j in self.trainable},
            param_roots={graph.slots[j].name: roots[j] for j in self.trainable},
            state_commitments=commitments,
            losses=losses,
            seconds=time.perf_counter() - began,
            cpu_seconds=time.process_time() - began_cpu,
        )
