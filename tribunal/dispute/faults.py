"""Faults a cheating (or broken) operator may commit, as ``tamper`` hooks for `PartyClaims` and
`tribunal.training.run_step`: each alters node outputs as they are made, so the fault propagates
through the rest of the run exactly as it would on the cheater's machine. `BitFlip` lives with
the claims; these are the lazier cheats the Byzantine tests and demos use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.dispute.claims import BitFlip
from tribunal.graph import StepGraph
from tribunal.repops import OpKind, execute


@dataclass
class SkipStep:
    """Skip step ``step``: its update nodes output the parameters they read (the state after the
    step equals the state before it); everything else of the step is computed as usual.

    The outputs of step ``step - 1`` are remembered as they are made, so the hook must see the
    steps in order (a replay from ``h_0``, as `PartyClaims` does); ``initial`` is the state
    ``h_0`` for ``step == 0``.
    """

    step: int
    graph: StepGraph
    initial: Sequence[NDArray[np.float32]] = ()
    _before: dict[int, torch.Tensor] = field(default_factory=dict, repr=False)

    def __call__(self, step: int, node: int, output: torch.Tensor) -> torch.Tensor:
        slots = {slot.producer: j for j, slot in enumerate(self.graph.slots)}
        if node not in slots:
            return output
        if step == self.step - 1:
            self._before[node] = output.detach().clone()
        if step != self.step:
            return output
        if self.step == 0:
            return torch.from_numpy(np.array(self.initial[slots[node]], dtype=np.float32)).to(output.device)
        return self._before[node].clone()


@dataclass
class WrongBatch:
    """Train step ``step`` on the wrong rows: its batch gather outputs the batch of step ``other``."""

    step: int
    other: int
    graph: StepGraph
    rows: torch.Tensor

    def __call__(self, step: int, node: int, output: torch.Tensor) -> torch.Tensor:
        spec = self.graph.nodes[node]
        if step != self.step or spec.op.kind != OpKind.BATCH_GATHER:
            return output
        return execute(self.graph.op_for_step(spec, self.other), [self.rows.to(output.device)])


CHEATS = {
    "flip-bit": "flip the top mantissa bit of the first parameter's first element in the middle step "
                "(the corrupted weight carries into the final model)",
    "withhold-model": "train honestly and submit, but never upload the model checkpoint to the artifact "
                      "store (availability challenges are still answered on-chain)",
    "withhold-model-silent": "withhold the model and ignore availability challenges (the clock runs out)",
}
"""Named cheats for ``worker start --cheat NAME`` (devnet demos only): name → what it does."""


WITHHOLD_CHEATS = frozenset({"withhold-model", "withhold-model-silent"})
"""Cheats that train honestly and withhold the model's bytes (issue #19's delivery cells)."""


def named_cheat(name: str, graph: StepGraph, steps: int) -> BitFlip | None:
    """The tamper hook of cheat ``name`` for a task of ``steps`` steps on ``graph`` (None for a cheat
    that trains honestly, as the withholding ones do)."""
    if name in WITHHOLD_CHEATS:
        return None
    if name == "flip-bit":
        return BitFlip(step=steps // 2, node=graph.slots[0].producer, element=0, bit=22)
    raise ValueError(f"unknown cheat {name!r}; known: {', '.join(CHEATS)}")
