"""The model a result delivers, and the check every reader makes of the file it downloads.

On-chain a result is ``(traceRoot, finalStateRoot, modelHash)``. `TaskMarket.submitResult` checked
that ``finalStateRoot`` (``h_S``) is leaf ``S`` of the trace root, and the dispute game settles the
trace root, so ``h_S`` is as verified as the trace: **the model is h_S**. ``modelHash`` is only a
locator, the content hash of the final checkpoint in the artifact store. A file found there is the
model only if its state hashes to the on-chain ``h_S`` (`checked_model`); one that does not is
refused by every client (the verifier, ``tribunal task model``, the API behind the dashboard), and
the error names what did not match. That the bytes of ``h_S`` can be had at all is a matter of
delivery (issue #19), not of the protocol's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from tribunal.artifact_cache import ArtifactNotCached
from tribunal.artifact_client import ArtifactClient, ArtifactError
from tribunal.chain.task_market import Task
from tribunal.checkpoint_manifest import ModelMismatch, Unpublished, checked_model
from tribunal.checkpoints import Checkpoint, CheckpointError
from tribunal.datasets import load_dataset
from tribunal.graph import StepGraph
from tribunal.merkle import keccak256
from tribunal.models import build_step_graph
from tribunal.spec import TaskSpec
from tribunal.task_fetch import SpecUnavailable, task_spec
from tribunal.tasks import fetch_task_inputs

if TYPE_CHECKING:
    from tribunal.diloco.resolve import DilocoResolver

__all__ = ["CheckedModel", "ModelMismatch", "Unpublished", "check_model_bytes", "fetch_checked_model",
           "task_graph"]


@dataclass(frozen=True)
class CheckedModel:
    """A model file whose state is the result's committed final state ``h_S``."""

    data: bytes
    checkpoint: Checkpoint
    state_commitments: list[bytes]
    """``h_0..h_S`` (they hash to the on-chain trace root)."""


def task_graph(spec: TaskSpec, store: ArtifactClient | None = None) -> StepGraph:
    """The step graph of ``spec`` (`tribunal.task_fetch.task_spec`): what says which node output each
    state slot is, so a checkpoint's state can be checked against its ``h_S``. Raises `Unpublished`
    when an input it names by hash (an uploaded dataset) is neither cached here nor in ``store``."""
    try:
        fetch_task_inputs(spec, store)
    except ArtifactNotCached as exc:
        raise Unpublished(str(exc)) from exc
    return build_step_graph(spec, load_dataset(spec.dataset))


def check_model_bytes(data: bytes, *, model_hash: bytes, spec_hash: bytes, graph: StepGraph, steps: int,
                      trace_root: bytes, final_state_root: bytes) -> CheckedModel:
    """The file ``data`` as the model of a result: it must be the checkpoint named by ``model_hash``,
    the state after step ``steps`` of this spec, and its state must be ``final_state_root`` (h_S, the
    on-chain commitment), its ``h_0..h_S`` hashing to ``trace_root``. `ModelMismatch` names what
    differs otherwise."""
    digest = keccak256(data)
    if digest != model_hash:
        raise ModelMismatch("model_hash", f"the file hashes to 0x{digest.hex()}, not to the model hash "
                            f"0x{model_hash.hex()} it was fetched by")
    try:
        checkpoint = Checkpoint.from_bytes(data)
    except CheckpointError as exc:
        raise ModelMismatch("checkpoint", f"the file is not a readable checkpoint: {exc}") from exc
    commitments = checked_model(checkpoint, spec_hash, graph, steps, trace_root, final_state_root)
    return CheckedModel(data, checkpoint, commitments)


def fetch_checked_model(task: Task, spec_uri: str, store: ArtifactClient,
                        diloco: DilocoResolver | None = None) -> CheckedModel:
    """Download the final checkpoint of ``task``'s result from ``store`` and check it against the
    on-chain final state root and trace root (the spec from `tribunal.task_fetch.task_spec`: derived
    for a task of ``diloco``'s jobs contract). Raises `Unpublished` (not in the store; the spec
    unavailable), `ModelMismatch` (the file is not the committed final state) or `TaskMismatch`."""
    if not any(task.final_state_root) or not any(task.model_hash):
        raise Unpublished(f"task {task.task_id} has no result on-chain ({task.status.name.lower()})")
    try:
        data = store.download(task.model_hash)
    except (ArtifactError, httpx.HTTPError) as exc:
        raise Unpublished(f"the model checkpoint 0x{task.model_hash.hex()} of task {task.task_id} is not in "
                          f"the artifact store: {exc}") from exc
    try:
        spec = task_spec(task, spec_uri, store, diloco)
    except SpecUnavailable as exc:
        raise Unpublished(str(exc)) from exc
    # a DiLoCo task's checkpoints carry the chain's spec hash, not the derived spec's
    return check_model_bytes(data, model_hash=task.model_hash, spec_hash=task.spec_hash,
                             graph=task_graph(spec, store), steps=task.steps, trace_root=task.trace_root,
                             final_state_root=task.final_state_root)
