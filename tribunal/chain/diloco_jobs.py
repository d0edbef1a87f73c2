"""Binding of `contracts/src/DilocoJobs.sol`: a DiLoCo job of R rounds × N shards run as ordinary
market tasks, the links between them proven on-chain (docs/diloco-jobs.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tribunal.chain.bound import BoundContract
from tribunal.chain.client import Sent
from tribunal.protocol_enums import JobStatus

OUTER_INDEX = 0xFFFF
"""`DilocoJobs.OUTER_INDEX`: a task's index (`taskRef`) when it is its round's outer step."""
NO_SOURCE = 0xFFFF
"""`DilocoJobs.NO_SOURCE`: a `segmentInit` entry whose slot starts from `segmentConst`, not a global slot."""


@dataclass(frozen=True)
class JobParams:
    """What `postJob` takes (mirrors `DilocoJobs.JobParams`); the escrow is the tx value."""

    spec_hash: bytes
    """keccak256 of the job document (`tribunal.diloco.job.job_hash`)."""
    spec_uri: str
    rounds: int
    shards: int
    inner_steps: int
    checkpoint_every: int
    shard_reward: int
    """wei per finalised segment task"""
    outer_reward: int
    """wei per finalised outer task"""
    min_stake: int
    task_timeout: int
    """seconds from each task's posting to its deadline"""
    challenge_window: int
    outer_graph_root: bytes
    outer_dataset_root: bytes
    shard_dataset_roots: tuple[bytes, ...]
    segment_graph_roots: tuple[bytes, ...]

    @property
    def escrow(self) -> int:
        """The exact value `postJob` takes: R·(N·shardReward + outerReward)."""
        return self.rounds * (self.shards * self.shard_reward + self.outer_reward)

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.spec_hash, self.spec_uri, self.rounds, self.shards, self.inner_steps,
            self.checkpoint_every, self.shard_reward, self.outer_reward, self.min_stake,
            self.task_timeout, self.challenge_window, self.outer_graph_root, self.outer_dataset_root,
            [bytes(r) for r in self.shard_dataset_roots], [bytes(r) for r in self.segment_graph_roots],
        )

    @classmethod
    def from_tuple(cls, raw: tuple[Any, ...]) -> JobParams:
        (spec, uri, rounds, shards, inner, every, shard_reward, outer_reward, min_stake, timeout,
         window, outer_graph, outer_dataset, shard_datasets, segment_graphs) = raw
        return cls(bytes(spec), str(uri), int(rounds), int(shards), int(inner), int(every),
                   int(shard_reward), int(outer_reward), int(min_stake), int(timeout), int(window),
                   bytes(outer_graph), bytes(outer_dataset), tuple(bytes(r) for r in shard_datasets),
                   tuple(bytes(r) for r in segment_graphs))


class WiringFields(Protocol):
    """What `postJob`'s wiring argument is read from: `tribunal.diloco.job.Wiring` (computed by
    `job_wiring`) or the `JobWiring` the chain returns."""

    @property
    def global_slots(self) -> int: ...
    @property
    def shard_slots(self) -> int: ...
    @property
    def segment_nodes(self) -> int: ...
    @property
    def outer_nodes(self) -> int: ...
    @property
    def segment_init(self) -> Sequence[int]: ...
    @property
    def segment_const(self) -> Sequence[bytes]: ...
    @property
    def segment_out(self) -> Sequence[int]: ...
    @property
    def outer_out(self) -> Sequence[int]: ...


@dataclass(frozen=True)
class JobWiring:
    """`DilocoJobs.Wiring` as the chain stores it (docs/diloco-jobs.md, "Wiring")."""

    global_slots: int
    shard_slots: int
    segment_nodes: int
    outer_nodes: int
    segment_init: tuple[int, ...]
    """per segment state slot: a global slot (< global_slots), or `NO_SOURCE` for its `segment_const`"""
    segment_const: tuple[bytes, ...]
    segment_out: tuple[int, ...]
    """per trainable parameter: its node in the segment's h_H leaves"""
    outer_out: tuple[int, ...]
    """per global slot: its node in the outer step's h_1 leaves"""

    @classmethod
    def from_tuple(cls, raw: tuple[Any, ...]) -> JobWiring:
        global_slots, shard_slots, segment_nodes, outer_nodes, init, const, seg_out, out = raw
        return cls(int(global_slots), int(shard_slots), int(segment_nodes), int(outer_nodes),
                   tuple(int(j) for j in init), tuple(bytes(c) for c in const),
                   tuple(int(k) for k in seg_out), tuple(int(g) for g in out))


def wiring_tuple(wiring: WiringFields) -> tuple[Any, ...]:
    """The `Wiring` struct's ABI tuple from any object with its fields (extra attributes ignored)."""
    return (
        int(wiring.global_slots), int(wiring.shard_slots), int(wiring.segment_nodes), int(wiring.outer_nodes),
        [int(j) for j in wiring.segment_init], [bytes(c) for c in wiring.segment_const],
        [int(k) for k in wiring.segment_out], [int(g) for g in wiring.outer_out],
    )


@dataclass(frozen=True)
class DilocoJob:
    """`DilocoJobs.JobView`: a job and where it stands (``round`` is the current round; ``recorded``
    how many of its segments are recorded)."""

    job_id: int
    submitter: str
    status: JobStatus
    rounds: int
    shards: int
    round: int
    recorded: int
    escrow: int
    """wei the job still holds (rewards not yet posted into the market)"""
    spec_hash: bytes
    shard_reward: int
    outer_reward: int

    @classmethod
    def from_tuple(cls, job_id: int, raw: tuple[Any, ...]) -> DilocoJob:
        (submitter, status, rounds, shards, round_, recorded, escrow, spec, shard_reward,
         outer_reward) = raw
        return cls(job_id, str(submitter), JobStatus(status), int(rounds), int(shards), int(round_),
                   int(recorded), int(escrow), bytes(spec), int(shard_reward), int(outer_reward))


@dataclass(frozen=True)
class TaskRef:
    """`DilocoJobs.taskRef`: which job, round and shard (or outer step) a market task is."""

    job_id: int
    round: int
    index: int

    @property
    def is_outer(self) -> bool:
        return self.index == OUTER_INDEX

    @property
    def shard(self) -> int | None:
        """The shard of a segment task; None for the outer step."""
        return None if self.is_outer else self.index


class DilocoJobs(BoundContract):
    NAME = "DilocoJobs"

    def post_job(self, params: JobParams, wiring: WiringFields, initial_global: Sequence[bytes],
                 value: int | None = None) -> Sent:
        """Post a job with its whole escrow (``value``: default ``params.escrow``, the only value the
        contract takes); round 0's segment tasks go into the market at once. `job_id_of` reads the
        new job's id from the receipt."""
        return self._send("postJob", params.as_tuple(), wiring_tuple(wiring),
                          [bytes(r) for r in initial_global],
                          value=params.escrow if value is None else value, context="post DiLoCo job")

    def job_id_of(self, sent: Sent) -> int:
        """The id of the job ``sent`` (a `post_job`) posted, from its `JobPosted` event."""
        (event,) = self.events("JobPosted", sent.receipt)
        return int(event["args"]["jobId"])

    def record_segment(self, job_id: int, shard: int, leaves: Sequence[bytes]) -> Sent:
        """Record shard ``shard``'s finalised segment of the current round: ``leaves`` are the leaves of
        its final state h_H (the segment checkpoint's node-output roots)."""
        return self._send("recordSegment", job_id, shard, [bytes(x) for x in leaves],
                          context=f"record shard {shard} of job {job_id}")

    def open_outer(self, job_id: int, global_roots: Sequence[bytes],
                   shard_roots_flat: Sequence[bytes]) -> Sent:
        """Post the round's outer task: ``global_roots`` (G, hashing to the round's global root) and
        every shard's T trainable roots, shard after shard (each shard's hashing to its recorded root)."""
        return self._send("openOuter", job_id, [bytes(r) for r in global_roots],
                          [bytes(r) for r in shard_roots_flat],
                          context=f"open the outer step of job {job_id}")

    def record_outer(self, job_id: int, leaves: Sequence[bytes]) -> Sent:
        """Record the finalised outer step (``leaves``: its h_1's): the next round starts, or the job
        completes."""
        return self._send("recordOuter", job_id, [bytes(x) for x in leaves],
                          context=f"record the outer step of job {job_id}")

    def report_stall(self, job_id: int) -> Sent:
        """Start the stall clock of a job whose current tasks are all final but which nobody moved on:
        `abandon` may fail it once `stalled_at` + ``taskTimeout`` has passed."""
        return self._send("reportStall", job_id, context=f"report job {job_id} stalled")

    def abandon(self, job_id: int) -> Sent:
        """Fail a job whose current task was refunded, or whose stall clock ran out: its submitter is
        credited what was not paid out."""
        return self._send("abandon", job_id, context=f"abandon job {job_id}")

    def withdraw(self) -> Sent:
        return self._send("withdraw", context="withdraw DiLoCo job credits")

    def get_job(self, job_id: int) -> DilocoJob:
        return DilocoJob.from_tuple(job_id, tuple(self._call("getJob", job_id, context=f"job {job_id}")))

    def wiring_of(self, job_id: int) -> JobWiring:
        return JobWiring.from_tuple(tuple(self._call("wiringOf", job_id, context=f"wiring of job {job_id}")))

    def params_of(self, job_id: int) -> JobParams:
        return JobParams.from_tuple(tuple(self._call("paramsOf", job_id, context=f"params of job {job_id}")))

    def segment_task(self, job_id: int, round_: int, shard: int) -> int:
        """The market task of shard ``shard``'s segment in round ``round_`` (0: not posted yet)."""
        return int(self._call("segmentTaskOf", job_id, round_, shard))

    def outer_task(self, job_id: int, round_: int) -> int:
        """The market task of round ``round_``'s outer step (0: not opened yet)."""
        return int(self._call("outerTaskOf", job_id, round_))

    def shard_root(self, job_id: int, round_: int, shard: int) -> bytes:
        """The recorded root over shard ``shard``'s final trainable-parameter roots (zero: not recorded)."""
        return bytes(self._call("shardRootOf", job_id, round_, shard))

    def global_root(self, job_id: int, round_: int) -> bytes:
        """Round ``round_``'s global root (round 0: from `initialGlobal`; later: the outer step's)."""
        return bytes(self._call("globalRootOf", job_id, round_))

    def task_ref(self, task_id: int) -> TaskRef | None:
        """Which job, round and shard market task ``task_id`` is; None when no job posted it."""
        job_id, round_, index = self._call("taskRef", task_id)
        return None if int(job_id) == 0 else TaskRef(int(job_id), int(round_), int(index))

    def stalled_at(self, job_id: int) -> int:
        """When the job's stall clock started (`report_stall`); 0: not started for its current step. A
        live job may be abandoned once the chain's time is past this + its ``taskTimeout``."""
        return int(self._call("stalledAt", job_id))

    def credit_of(self, account: str) -> int:
        """Wei ``account`` may `withdraw` (a failed job's refund to its submitter)."""
        return int(self._call("creditOf", account))

    def max_rounds(self) -> int:
        return int(self._call("MAX_ROUNDS"))

    def max_shards(self) -> int:
        return int(self._call("MAX_SHARDS"))

    def job_count(self) -> int:
        return int(self._call("jobCount"))
