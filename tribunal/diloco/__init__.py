"""One job, many operators: verifiable low-communication data-parallel training (DiLoCo-style).

**Schedule** (:class:`DilocoSchedule`): a :class:`~tribunal.spec.TaskSpec` (model, dataset,
inner optimizer, batch size, seed; ``task.steps`` = H) run for R rounds over N shards, each
round's segments H inner steps long, then one outer step with float32 ``outer_lr`` and
``outer_momentum`` (DiLoCo's Nesterov, lr 0.7, μ 0.9, by default). Its hash is keccak256 of its
canonical JSON (:func:`schedule_hash`).

**Data** (:func:`shard_ranges`, :func:`shard_dataset`): shard ``i`` of ``n`` training rows owns
rows ``[floor(i·n/N), floor((i+1)·n/N))``: contiguous, disjoint, covering, in order; the shard's
rows form a dataset of their own. Round ``r``'s segment of shard ``i`` runs with seed
``segment_seed(seed, r, i)`` (the top 64 bits of ``keccak256(abi.encode(seed, r, i))``), so its
inner step ``h`` draws ``batch_row_indices(segment_seed, h, batch, shard_rows)``: a batch per
(seed, round, shard, step), recomputable on-chain like any task's.

**Inner segment** (:class:`ShardTrainer`): H RepOps steps of the task's step graph on the
shard's rows, from ``h_0`` = (round ``r``'s global parameters, the task's initial inner optimizer
state), committed as a trace ``h_0 .. h_H`` like any task. The inner optimizer state (momentum
buffers, Adam's moments and ``beta^t`` powers) is **reset every round**: DiLoCo keeps it per
worker, but a segment must be re-runnable by any operator from public data alone (a dropped
operator's state is gone with it), so every segment starts from the task's initial optimizer
slots (constants). Only the trainable parameters and their roots go back
(``SegmentResult.wire_bytes``).

**Outer step** (:func:`outer_step_graph`): a RepOps :class:`~tribunal.graph.StepGraph` built
with ``GraphBuilder``, so the existing dispute levels apply to it unchanged. Slots: the global
parameters, the outer momentum, then the N shards' trainable parameters (held: copied through).
Per trainable tensor, in model order, with θ the global value and θ_i shard ``i``'s::

    g  = ((((θ − θ_0) + (θ − θ_1)) + …) + (θ − θ_{N−1})) / N     (shard order, then one division)
    v' = μ·v + g
    θ' = θ − (g + μ·v')·lr       (Nesterov; heavy-ball without it: θ' = θ − v'·lr)

every operation one float32 rounding, no FMA. Its "loss" is ``Σ_X mean((θ_X − θ'_X)²)`` (the
outer update's size, a log figure): ``GraphBuilder.finish`` asks for a scalar loss and an output
node, and this is the outer step's natural scalar. It commits like a one-step task:
``h_before`` over the input slots' roots, ``h_after`` over its node outputs' roots. A round's
**global root** is the state root over the new parameters' and momentum's tensor roots. The
coordinator hashes every received tensor and refuses one whose root is not the claimed one
(``h_before`` commits to the claimed roots).

**Traffic per round**: each operator receives the global parameters and their roots, and sends its
trainable parameters (float32), their roots, its segment's trace root and ``h_H``
(``SegmentResult.wire_bytes``); optimizer state never moves.

**A job on the market** (:mod:`tribunal.diloco.job`, ``docs/diloco-jobs.md``): a
:class:`DilocoJobSpec` (the schedule with each shard's rows uploaded as a dataset,
:func:`make_job`) is run as ordinary tasks whose specs every agent derives: segment ``(r, i)``
(:func:`segment_spec`: the inner spec on shard ``i``'s dataset with the segment's seed and the
round's global parameters as ``init``) and outer step ``r`` (:func:`outer_spec`: the spec with
``outer`` set, its ``init`` holding every outer slot). :func:`job_wiring` computes what the job
contract needs to derive each task's ``h_0`` from finalised results, and
:func:`segment_init_root` / :func:`outer_init_root` / :func:`shard_roots_from_leaves` /
:func:`global_roots_from_leaves` mirror its arithmetic.

**Runs**: :func:`run_sequential` (one process, every segment in shard order) and
:func:`run_parallel` (operator processes, one thread each, :class:`OperatorPool`) produce the same
bits: every segment trace, every outer ``h_before``/``h_after``, every global root and the final
state (``tests/diloco``).
"""

from tribunal.diloco.coordinator import Coordinator, DilocoResult, RoundRecord, SegmentRecord, run_sequential
from tribunal.diloco.job import (
    CONSTANT_SLOT,
    DilocoJobSpec,
    Wiring,
    global_from_checkpoint,
    global_roots_from_leaves,
    init_digest,
    init_file,
    initial_global,
    job_hash,
    job_json,
    job_wiring,
    make_job,
    outer_init_root,
    outer_spec,
    parse_job,
    schedule_of,
    segment_init_root,
    segment_spec,
    shard_params_from_checkpoint,
    shard_roots_from_leaves,
)
from tribunal.diloco.operators import OperatorError, OperatorPool, assign_shards, run_parallel
from tribunal.diloco.outer_step import (
    OuterResult,
    initial_global_state,
    outer_initial_state,
    outer_layout,
    outer_step_graph,
    run_outer_step,
)
from tribunal.diloco.schedule import (
    DilocoSchedule,
    schedule_hash,
    schedule_json,
    segment_seed,
    shard_dataset,
    shard_ranges,
)
from tribunal.diloco.segment import SegmentResult, ShardTrainer

__all__ = [
    "CONSTANT_SLOT",
    "Coordinator",
    "DilocoJobSpec",
    "DilocoResult",
    "DilocoSchedule",
    "OperatorError",
    "OperatorPool",
    "OuterResult",
    "RoundRecord",
    "SegmentRecord",
    "SegmentResult",
    "ShardTrainer",
    "Wiring",
    "assign_shards",
    "global_from_checkpoint",
    "global_roots_from_leaves",
    "init_digest",
    "init_file",
    "initial_global",
    "initial_global_state",
    "job_hash",
    "job_json",
    "job_wiring",
    "make_job",
    "outer_init_root",
    "outer_initial_state",
    "outer_layout",
    "outer_spec",
    "outer_step_graph",
    "parse_job",
    "run_outer_step",
    "run_parallel",
    "run_sequential",
    "schedule_hash",
    "schedule_json",
    "schedule_of",
    "segment_init_root",
    "segment_seed",
    "segment_spec",
    "shard_dataset",
    "shard_params_from_checkpoint",
    "shard_ranges",
    "shard_roots_from_leaves",
]
