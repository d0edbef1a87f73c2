"""What an operator publishes about a run, and how a reader checks it against the chain.

The artifact store is content-addressed, so a checkpoint can only be found by its hash. The
model checkpoint (after step ``S``) is reachable from the chain (its content hash is the
task's model hash, a locator); the model itself is the final state commitment ``h_S`` the result
names on-chain, which `TaskMarket.submitResult` checked to be leaf ``S`` of the trace root, so a
reader accepts the file only if its state is ``h_S`` (`checked_model`). The other checkpoints are
listed in a **checkpoint manifest**, canonical JSON::

    {"checkpoints":[{"hash":"0x…","step":2},{"hash":"0x…","step":4}],"spec_hash":"0x…","version":1}

(keys sorted, no whitespace, steps ascending). The operator uploads it to the artifact store
and names its keccak256 on-chain with ``TaskMarket.publishCheckpoints(taskId, manifestHash)``;
the newest such event from the task's current operator counts.

Nothing here is trusted: a checkpoint is only used once its content hash, its task, its slots
and its ``h_0..h_t`` agree with the trace the operator committed to on-chain
(`checked_model`, `checked_checkpoint`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from tribunal.artifact_client import ArtifactClient, ArtifactError
from tribunal.chain.task_market import TaskMarket
from tribunal.checkpoints import Checkpoint, CheckpointError
from tribunal.commitments import trace_root
from tribunal.graph import StepGraph

MANIFEST_VERSION = 1


class ManifestError(ValueError):
    """Manifest bytes are malformed or not canonical, or belong to another task."""


class Unpublished(LookupError):
    """Something the operator should have published is not there (no event, not in the store)."""


class ModelMismatch(CheckpointError):
    """The checkpoint the model hash names is not the result's committed final state ``h_S`` (or
    not this task's, or its ``h_0..h_S`` are not the trace): refuse the file.

    ``what`` names what did not match: ``model_hash`` (the bytes are not the file the model hash
    names), ``step`` (not the state after step S), ``checkpoint`` (unreadable, not this spec's, or its
    state does not hash to its own ``h_S``), ``final_state`` (its ``h_S`` is not
    the on-chain final state root) or ``trace_root`` (its ``h_0..h_S`` do not hash to the on-chain
    trace root).
    """

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what


@dataclass(frozen=True)
class CheckpointManifest:
    spec_hash: bytes
    checkpoints: dict[int, bytes]
    """Step -> checkpoint content hash."""

    def to_bytes(self) -> bytes:
        data = {
            "checkpoints": [{"hash": "0x" + h.hex(), "step": s} for s, h in sorted(self.checkpoints.items())],
            "spec_hash": "0x" + self.spec_hash.hex(),
            "version": MANIFEST_VERSION,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")

    @classmethod
    def from_bytes(cls, data: bytes) -> CheckpointManifest:
        try:
            raw: Any = json.loads(data.decode("ascii"))
            if raw.get("version") != MANIFEST_VERSION:
                raise ManifestError(f"manifest version {raw.get('version')!r}, expected {MANIFEST_VERSION}")
            manifest = cls(
                spec_hash=_unhex(raw["spec_hash"]),
                checkpoints={int(e["step"]): _unhex(e["hash"]) for e in raw["checkpoints"]},
            )
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ManifestError(f"malformed checkpoint manifest: {exc}") from exc
        if manifest.to_bytes() != data:
            raise ManifestError("checkpoint manifest is not in canonical form")
        return manifest


def _unhex(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x") or len(text) != 66:
        raise ManifestError(f"expected a 0x-prefixed 32-byte hex string, got {text!r}")
    return bytes.fromhex(text[2:])


def publish_manifest(market: TaskMarket, store: ArtifactClient, task_id: int,
                     manifest: CheckpointManifest) -> bytes:
    """Upload the manifest and name it on-chain (as the task's operator); returns its hash."""
    digest = bytes.fromhex(store.upload_bytes(manifest.to_bytes(), kind="other")[2:])
    market.publish_checkpoints(task_id, digest)
    return digest


def find_manifest(market: TaskMarket, store: ArtifactClient, task_id: int, operator: str,
                  spec_hash: bytes, from_block: int = 0) -> CheckpointManifest:
    """The newest manifest the operator named for the task; raises Unpublished or ManifestError."""
    named = [digest for who, digest, _ in market.published_checkpoints(task_id, from_block)
             if who.lower() == operator.lower()]
    if not named:
        raise Unpublished(f"operator {operator} named no checkpoint manifest for task {task_id}")
    try:
        data = store.download(named[-1])
    except (ArtifactError, httpx.HTTPError) as exc:
        raise Unpublished(f"checkpoint manifest 0x{named[-1].hex()} of task {task_id} is not in the store: "
                          f"{exc}") from exc
    manifest = CheckpointManifest.from_bytes(data)
    if manifest.spec_hash != spec_hash:
        raise ManifestError(f"the manifest named for task {task_id} is for spec 0x{manifest.spec_hash.hex()}")
    return manifest


def download_checkpoint(store: ArtifactClient, content_hash: bytes) -> Checkpoint:
    """A checkpoint by content hash (verified by the client); Unpublished or CheckpointError."""
    try:
        return Checkpoint.from_bytes(store.download(content_hash))
    except (ArtifactError, httpx.HTTPError) as exc:
        raise Unpublished(f"checkpoint 0x{content_hash.hex()} is not in the artifact store: {exc}") from exc


def checked_model(checkpoint: Checkpoint, spec_hash: bytes, graph: StepGraph, steps: int,
                  task_trace_root: bytes, final_state_root: bytes) -> list[bytes]:
    """``h_0..h_S`` of a model checkpoint whose state is the result's committed final state.

    The chain binds ``final_state_root`` (h_S) to ``task_trace_root`` (`submitResult` checks h_S
    is leaf S), so the dispute game that settles the trace settles the model. The file the model
    hash names is only a locator: it is the model when it is the state after step ``S`` of this
    task, its state hashes to its ``h_S`` (through the leaves and the graph's slots) and that
    ``h_S`` is the on-chain final state root; its ``h_0..h_S`` must also hash to the trace root
    (the verifier reads the operator's trace from them). Raises `ModelMismatch` naming the first
    thing that differs.
    """
    if checkpoint.step != steps:
        raise ModelMismatch("step", f"the checkpoint is the state after step {checkpoint.step}, not after "
                            f"step {steps}: it is not the committed final state")
    try:
        checkpoint.check_against(spec_hash, graph)
    except CheckpointError as exc:
        raise ModelMismatch("checkpoint",
                            f"the checkpoint is not a consistent state of this task: {exc}") from exc
    own_final = checkpoint.state_commitments[-1]
    if own_final != final_state_root:
        raise ModelMismatch("final_state", f"the checkpoint's state is h_S = 0x{own_final.hex()}, not the "
                            f"committed final state 0x{final_state_root.hex()} (on-chain finalStateRoot)")
    root = trace_root(list(checkpoint.state_commitments))
    if root != task_trace_root:
        raise ModelMismatch("trace_root", f"the checkpoint's h_0..h_S hash to 0x{root.hex()}, not to the "
                            f"submitted trace root 0x{task_trace_root.hex()}")
    return list(checkpoint.state_commitments)


def checked_checkpoint(checkpoint: Checkpoint, step: int, spec_hash: bytes, graph: StepGraph,
                       trace: list[bytes]) -> Checkpoint:
    """A checkpoint of step ``step`` whose state and ``h_0..h_t`` agree with the operator's trace."""
    if checkpoint.step != step:
        raise CheckpointError(f"the checkpoint listed for step {step} is the state after step "
                              f"{checkpoint.step}")
    checkpoint.check_against(spec_hash, graph)
    if list(checkpoint.state_commitments) != trace[: step + 1]:
        raise CheckpointError(f"the checkpoint of step {step} disagrees with the trace's h_0..h_{step}")
    return checkpoint
