"""An honest party's claims rebuilt from its own checkpoints instead of a replay from ``h_0``.

`PartyClaims` recomputes the whole run to know ``h_0..h_S`` and replays from ``h_0`` to reach
any step. A party that trained the task itself already has both: the final checkpoint holds
``h_0..h_S`` (its content hash is the model hash), and the checkpoint at or before step ``t``
is at most ``checkpoint_every - 1`` steps away from it. The claims are the same bits either way
(tested against `PartyClaims`). An interval a dispute opens starts at a committed step, which has
a checkpoint, so its states are recomputed from there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch

from tribunal.checkpoints import Checkpoint, CheckpointError
from tribunal.commitments import state_commitment, tensor_root
from tribunal.dispute.claims import PartyClaims, StepView
from tribunal.models import initial_state
from tribunal.tasks import PreparedTask
from tribunal.training import next_state

LoadCheckpoint = Callable[[bytes], Checkpoint]


class CheckpointedClaims(PartyClaims):
    """Claims of an honest run whose checkpoints (step → content hash) can be loaded."""

    def __init__(
        self,
        prepared: PreparedTask,
        checkpoints: dict[int, bytes],
        load: LoadCheckpoint,
        device: torch.device | None = None,
    ) -> None:
        if prepared.spec.steps not in checkpoints:
            raise KeyError(f"no final checkpoint (step {prepared.spec.steps}) among {sorted(checkpoints)}")
        self._hashes = dict(checkpoints)
        self._load = load
        self._loaded: dict[int, Checkpoint] = {}
        super().__init__(prepared, tamper=None, device=device)

    def _checkpoint(self, step: int) -> Checkpoint:
        if step not in self._loaded:
            digest = self._hashes[step]
            checkpoint = self._load(digest)
            if checkpoint.content_hash != digest or checkpoint.step != step:
                raise CheckpointError(f"checkpoint 0x{digest.hex()} is not the one recorded for step {step}")
            checkpoint.check_against(self.prepared.spec_hash, self.graph)
            self._loaded[step] = checkpoint
        return self._loaded[step]

    def _run_all(self) -> list[bytes]:
        final = self._checkpoint(self.prepared.spec.steps)
        if final.state_commitments[0] != self.prepared.init_state_root:
            raise CheckpointError("the final checkpoint's h_0 is not the task's initial-state root")
        self.model_hash = final.content_hash
        return list(final.state_commitments)

    def step(self, t: int) -> StepView:
        if t in self._steps:
            return self._steps[t]
        base = max((s for s in self._hashes if s <= t), default=None)
        if base is None or base == 0:
            arrays = initial_state(self.prepared.spec, self.prepared.dataset)
            start, prev_leaves = 0, None
        else:
            checkpoint = self._checkpoint(base)
            if list(checkpoint.state_commitments) != self.state_commitments[: base + 1]:
                raise CheckpointError(f"checkpoint at step {base} disagrees with the final trace")
            arrays, start, prev_leaves = list(checkpoint.state), base, list(checkpoint.leaves)
        state = [torch.from_numpy(np.array(a, dtype=np.float32)).to(self.device) for a in arrays]
        for s in range(start, t + 1):
            outputs = self._step_outputs(state, s)
            if s == t:
                self._steps[t] = StepView(t, [x.cpu().numpy() for x in state], prev_leaves,
                                          [o.cpu().numpy() for o in outputs])
                break
            prev_leaves = [tensor_root(o) for o in outputs]
            state = next_state(self.graph, outputs)
        return self._steps[t]

    @lru_cache(maxsize=4)  # noqa: B019 - one claims object per game; the cache dies with it
    def segment(self, start: int, end: int) -> tuple[bytes, ...]:
        if start == 0 or start not in self._hashes:
            return super().segment(start, end)
        checkpoint = self._checkpoint(start)
        if list(checkpoint.state_commitments) != self.state_commitments[: start + 1]:
            raise CheckpointError(f"checkpoint at step {start} disagrees with the final trace")
        state = [torch.from_numpy(np.array(a, dtype=np.float32)).to(self.device) for a in checkpoint.state]
        states = [checkpoint.state_commitments[-1]]
        for s in range(start, end):
            outputs = self._step_outputs(state, s)
            states.append(state_commitment([tensor_root(o) for o in outputs]))
            state = next_state(self.graph, outputs)
        return tuple(states)
