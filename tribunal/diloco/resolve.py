"""From a task posted by `DilocoJobs` to its `TaskSpec` (docs/diloco-jobs.md, "The job document").

A DiLoCo task's on-chain spec hash is ``keccak256(abi.encode(jobSpecHash, round, index))``: the
chain cannot hash a spec whose ``init`` file holds parameters it never sees. Any agent derives the
spec instead, from public data only:

- the job document (the artifact whose hash is the job's spec hash) and its shard datasets;
- round ``r``'s global state: the job's initial state for round 0, else the final checkpoint of
  round ``r - 1``'s finalised outer task (its ``modelHash`` in the artifact store);
- for an outer step, each shard's trainable parameters from its finalised segment's checkpoint.

Every checkpoint read is checked against the task's on-chain model hash and final state root
(`checked_checkpoint`); the derived spec's roots are then checked against the task's like any
spec's (`tribunal.task_fetch.check_roots`), so a wrong derivation is refused, never trained.
The ``init`` files the derivation writes go to this machine's artifact cache, where
`tribunal.models.initial_state` reads them, and to the artifact store (a remote executor reads
them there).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import httpx
import numpy as np
from eth_abi import encode
from numpy.typing import NDArray

from tribunal.artifact_cache import ArtifactNotCached, fetch_artifact, publish_artifact, store_artifact
from tribunal.artifact_client import ArtifactClient, ArtifactError
from tribunal.chain.diloco_jobs import DilocoJobs, TaskRef
from tribunal.chain.task_market import Task, TaskMarket
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import state_commitment, tensor_root
from tribunal.diloco.job import (
    DilocoJobSpec,
    global_from_checkpoint,
    initial_global,
    outer_spec,
    parse_job,
    segment_spec,
    shard_params_from_checkpoint,
)
from tribunal.merkle import keccak256
from tribunal.protocol_enums import TaskStatus
from tribunal.spec import TaskSpec

__all__ = ["DilocoResolver", "NotReady", "checked_checkpoint", "describe", "task_spec_hash"]


class NotReady(RuntimeError):
    """What the derivation needs is not available yet (an artifact not uploaded, a task not
    finalised): try again later."""


def task_spec_hash(job_spec_hash: bytes, round_: int, index: int) -> bytes:
    """The spec hash `DilocoJobs` posts a task with: ``keccak256(abi.encode(job, round, index))``."""
    return keccak256(encode(["bytes32", "uint16", "uint16"], [job_spec_hash, round_, index]))


def describe(ref: TaskRef) -> str:
    """``DiLoCo job 3, round 1, shard 2`` (or ``…, outer step``)."""
    what = "outer step" if ref.is_outer else f"shard {ref.index}"
    return f"DiLoCo job {ref.job_id}, round {ref.round}, {what}"


def checked_checkpoint(task: Task, store: ArtifactClient | None) -> Checkpoint:
    """The final checkpoint of a finalised ``task``, checked against the chain: its bytes hash to
    the task's model hash and its leaves to the task's final state root ``h_S``. Raises NotReady
    when it cannot be fetched yet, ValueError when it is not the task's."""
    if task.status != TaskStatus.FINALIZED:
        raise NotReady(f"task {task.task_id} is not finalised yet ({task.status.name.lower()})")
    digest = "0x" + task.model_hash.hex()
    try:
        data = fetch_artifact(digest, store)
    except ArtifactNotCached as exc:
        raise NotReady(f"the model of task {task.task_id} is not available: {exc}") from exc
    checkpoint = Checkpoint.from_bytes(data)
    if checkpoint.step != task.steps:
        raise ValueError(f"task {task.task_id}: model file {digest} is step {checkpoint.step}, "
                         f"not {task.steps}")
    if state_commitment(list(checkpoint.leaves)) != task.final_state_root:
        raise ValueError(f"task {task.task_id}: model file {digest}'s leaves do not hash to the final "
                         "state root")
    return checkpoint


def _check_roots(task: Task, checkpoint: Checkpoint, arrays: Sequence[NDArray[np.float32]],
                 leaf_index: Sequence[int]) -> None:
    """Each tensor taken from ``task``'s model file must be the one its final state commits to
    (leaf ``leaf_index[k]`` of ``h_S``, as the job's wiring says): a model file whose leaves are
    right but whose tensors are not is refused, not trained from."""
    for k, (array, index) in enumerate(zip(arrays, leaf_index, strict=True)):
        if tensor_root(array) != checkpoint.leaves[index]:
            raise ValueError(f"task {task.task_id}: tensor {k} of its model file is not the state its result "
                             "commits to; the file must be recovered (availability challenges) first")


class DilocoResolver:
    """Derives the specs of `DilocoJobs`' tasks (module docstring); thread-safe, with caches of
    job documents and global states (both are immutable once on-chain)."""

    def __init__(self, jobs: DilocoJobs, market: TaskMarket, store: ArtifactClient | None, *,
                 publish: bool = True) -> None:
        """``store``: where the job documents and checkpoints are fetched from, and, with ``publish``,
        where the derived init files are uploaded (a remote executor of the task reads them there; a
        reader of the task's model needs them only in its own cache)."""
        self.jobs = jobs
        self.market = market
        self.store = store
        self.publish = publish
        self._lock = threading.Lock()
        self._docs: dict[int, DilocoJobSpec] = {}
        self._globals: dict[tuple[int, int], list[NDArray[np.float32]]] = {}

    def _keep(self, init: bytes, ref: TaskRef) -> str:
        """Cache the init file here and, with a store to publish to, upload it (a remote executor
        fetches it)."""
        if self.store is None or not self.publish:
            return store_artifact(init)
        try:
            return publish_artifact(init, self.store, "other")
        except (ArtifactError, httpx.HTTPError) as exc:
            raise NotReady(f"{describe(ref)}: the init file could not be uploaded: {exc}") from exc

    @property
    def address(self) -> str:
        return self.jobs.address

    def owns(self, task: Task) -> bool:
        """Whether ``task`` was posted by this `DilocoJobs`."""
        return task.submitter.lower() == self.jobs.address.lower()

    def ref(self, task_id: int) -> TaskRef:
        ref = self.jobs.task_ref(task_id)
        if ref is None:
            raise ValueError(f"task {task_id} is not a task of DiLoCo jobs contract {self.jobs.address}")
        return ref

    def job(self, job_id: int) -> DilocoJobSpec:
        """The job document, fetched by the job's spec hash and parsed (cached)."""
        with self._lock:
            cached = self._docs.get(job_id)
        if cached is not None:
            return cached
        spec_hash = self.jobs.get_job(job_id).spec_hash
        try:
            data = fetch_artifact("0x" + spec_hash.hex(), self.store)
        except ArtifactNotCached as exc:
            raise NotReady(f"the document of DiLoCo job {job_id} is not available: {exc}") from exc
        job = parse_job(data)
        with self._lock:
            self._docs[job_id] = job
        return job

    def global_state(self, job_id: int, round_: int) -> list[NDArray[np.float32]]:
        """Round ``round_``'s global state (parameters, then outer momentum)."""
        key = (job_id, round_)
        with self._lock:
            cached = self._globals.get(key)
        if cached is not None:
            return cached
        job = self.job(job_id)
        if round_ == 0:
            state = initial_global(job)
        else:
            outer = self.market.task(self.jobs.outer_task(job_id, round_ - 1))
            checkpoint = checked_checkpoint(outer, self.store)
            state = global_from_checkpoint(job, checkpoint)
            _check_roots(outer, checkpoint, state, self.jobs.wiring_of(job_id).outer_out)
        with self._lock:
            self._globals[key] = state
        return state

    def spec(self, task: Task) -> tuple[TaskSpec, TaskRef]:
        """The derived spec of ``task`` (its init file now in the local artifact cache). Raises
        NotReady (try later) or ValueError (the task cannot be derived: refuse it)."""
        ref = self.ref(task.task_id)
        job = self.job(ref.job_id)
        expected = task_spec_hash(self.jobs.get_job(ref.job_id).spec_hash, ref.round, ref.index)
        if expected != task.spec_hash:
            raise ValueError(f"task {task.task_id} ({describe(ref)}): spec hash 0x{task.spec_hash.hex()} "
                             f"is not the job's 0x{expected.hex()}")
        global_state = self.global_state(ref.job_id, ref.round)
        if ref.is_outer:
            shards = []
            for shard in range(job.shards):
                segment = self.market.task(self.jobs.segment_task(ref.job_id, ref.round, shard))
                checkpoint = checked_checkpoint(segment, self.store)
                params = shard_params_from_checkpoint(job, checkpoint)
                _check_roots(segment, checkpoint, params, self.jobs.wiring_of(ref.job_id).segment_out)
                shards.append(params)
            spec, init = outer_spec(job, ref.round, global_state, shards)
        else:
            spec, init = segment_spec(job, ref.round, ref.index, global_state)
        digest = self._keep(init, ref)
        if spec.init != digest:
            raise ValueError(f"{describe(ref)}: the init file hashes to {digest}, the spec names {spec.init}")
        return spec, ref
