"""A checkpoint store that keeps a local copy and publishes every checkpoint to the artifact store.

Training writes through it (each checkpoint is published as it is made, the final one as the
model); resuming and dispute replays read through it (local first, else downloaded by content
hash, verified, and cached locally). Machines that share an operator's queue share checkpoints
this way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx

from tribunal.artifact_client import ArtifactClient, ArtifactError, Kind
from tribunal.checkpoints import Checkpoint, CheckpointError, LocalCheckpointStore

log = logging.getLogger(__name__)

OnPut = Callable[[int, bytes], None]
"""Called with (step, content hash) once a checkpoint is stored locally."""


class SyncedCheckpointStore:
    """`CheckpointStore` over a local directory and (optionally) the artifact store."""

    def __init__(
        self,
        local: LocalCheckpointStore,
        artifacts: ArtifactClient | None,
        *,
        model_step: int | None = None,
        on_put: OnPut | None = None,
        attempts: int = 3,
        first_delay_s: float = 0.5,
        withhold_model: bool = False,
    ) -> None:
        self.local = local
        self.artifacts = artifacts
        self.model_step = model_step
        """The step whose checkpoint is the task's model (uploaded with kind ``model``)."""
        self.on_put = on_put
        self.withhold_model = withhold_model
        """Never publish the model checkpoint (a withholding operator in the delivery demos and tests)."""
        self.attempts = attempts
        self.first_delay_s = first_delay_s
        self.pending: dict[bytes, Checkpoint] = {}
        """Checkpoints not yet published (the store was unreachable when they were made)."""

    def put(self, checkpoint: Checkpoint) -> bytes:
        digest = self.local.put(checkpoint)
        if self.on_put is not None:
            self.on_put(checkpoint.step, digest)
        if self.withhold_model and checkpoint.step == self.model_step:
            return digest
        if self.artifacts is not None and not self._publish(checkpoint, digest, raise_on_failure=False):
            self.pending[digest] = checkpoint
        return digest

    def get(self, content_hash: bytes) -> Checkpoint:
        try:
            return self.local.get(content_hash)
        except (KeyError, CheckpointError):
            if self.artifacts is None:
                raise
        try:
            data = self.artifacts.download(content_hash)
        except (ArtifactError, httpx.HTTPError) as exc:
            raise KeyError(f"checkpoint 0x{content_hash.hex()} is neither local nor fetchable: {exc}") \
                from exc
        checkpoint = Checkpoint.from_bytes(data)
        self.local.put(checkpoint)
        return checkpoint

    def steps(self, spec_hash: bytes) -> dict[int, bytes]:
        return self.local.steps(spec_hash)

    def publish_pending(self) -> None:
        """Publish what failed before; raises ArtifactError if the store still refuses."""
        for digest, checkpoint in list(self.pending.items()):
            self._publish(checkpoint, digest, raise_on_failure=True)
            del self.pending[digest]

    def _publish(self, checkpoint: Checkpoint, digest: bytes, raise_on_failure: bool) -> bool:
        assert self.artifacts is not None
        kind: Kind = "model" if checkpoint.step == self.model_step else "checkpoint"
        delay = self.first_delay_s
        for attempt in range(1, self.attempts + 1):
            try:
                if self.artifacts.upload_bytes(checkpoint.to_bytes(), kind=kind) != "0x" + digest.hex():
                    raise ArtifactError("the artifact store named the checkpoint with another hash")
                return True
            except (ArtifactError, httpx.HTTPError) as exc:
                if attempt == self.attempts:
                    if raise_on_failure:
                        raise ArtifactError(
                            f"could not publish checkpoint at step {checkpoint.step}: {exc}") from exc
                    log.warning("could not publish checkpoint at step %d (%s); will retry at the end",
                                checkpoint.step, exc)
                    return False
                time.sleep(delay)
                delay *= 2
        return False
