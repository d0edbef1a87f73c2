"""Initial values identical on every machine.

Slot ``j``'s uniform values come from numpy's PCG64 seeded with ``SeedSequence([seed, j])``:
``random()`` is integer arithmetic turned into float64 exactly, and ``(2u - 1) * bound`` is
two correctly rounded float64 operations, then one rounding to float32. Nothing depends on
the platform's libm or on torch's generator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tribunal.models.builder import Constant, SlotDef


def initial_values(slots: Sequence[SlotDef], seed: int) -> list[NDArray[np.float32]]:
    values = []
    for j, slot in enumerate(slots):
        if isinstance(slot.init, Constant):
            values.append(np.full(slot.shape, slot.init.value, dtype=np.float32))
            continue
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, j])))
        uniform = rng.random(slot.shape, dtype=np.float64)
        values.append(((2.0 * uniform - 1.0) * slot.init.bound).astype(np.float32))
    return values
