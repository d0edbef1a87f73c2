"""Inputs with IEEE edge cases, and the check that torch matches the interpreter."""

from collections.abc import Sequence

import numpy as np
import torch

from tribunal.repops import OpSpec, execute, output_shape, run_element
from tribunal.repops.core.opdef import LoopOp
from tribunal.repops.registry import op_def

SPECIAL_BITS = np.array(
    [
        0x00000000,  # +0
        0x80000000,  # -0
        0x00000001,  # smallest subnormal
        0x80000001,
        0x007FFFFF,  # largest subnormal
        0x807FFFFF,
        0x00800000,  # smallest normal
        0x80800000,
        0x3F800000,  # 1
        0xBF800000,  # -1
        0x3F800001,  # 1 + ulp
        0x4B800001,  # 2**24 + 2 (ties when added to 1)
        0x4B000001,  # 2**23 + 1
        0x3F000000,  # 0.5
        0x7F7FFFFF,  # largest finite
        0xFF7FFFFF,
        0x7F000000,  # 2**127
        0x0C000000,  # tiny normal
        0x7F800000,  # +inf
        0xFF800000,  # -inf
        0x7FC00000,  # canonical NaN
        0xFFC00000,  # negative quiet NaN
        0x7F800001,  # signalling NaN
        0x7FFFFFFF,  # NaN, all payload bits
    ],
    dtype=np.uint32,
)
SPECIAL = SPECIAL_BITS.view(np.float32)


def random_floats(
    rng: np.random.Generator, shape: Sequence[int], special_rate: float = 0.0, scale: float = 1.0
) -> np.ndarray:
    """Normal(0, scale) float32 values, a fraction replaced by edge-case bit patterns."""
    x = np.array(rng.standard_normal(tuple(shape)) * scale, dtype=np.float32)
    if special_rate > 0 and x.size:
        mask = rng.random(x.shape) < special_rate
        x[mask] = rng.choice(SPECIAL, size=int(mask.sum()))
    return x


def random_bits(rng: np.random.Generator, shape: Sequence[int]) -> np.ndarray:
    """Uniform bit patterns: every exponent, NaNs and subnormals included."""
    return rng.integers(0, 2**32, size=tuple(shape), dtype=np.uint64).astype(np.uint32).view(np.float32)


def class_ids(rng: np.random.Generator, shape: Sequence[int], classes: int) -> np.ndarray:
    """Mostly valid ids, plus -0.0, out-of-range, fractional, inf and NaN ones."""
    ids = rng.integers(0, classes, size=tuple(shape)).astype(np.float32)
    odd = np.array([-0.0, -1.0, classes, classes + 5, 0.5, 1.5, np.inf, -np.inf, np.nan], dtype=np.float32)
    if ids.size:
        mask = rng.random(ids.shape) < 0.25
        ids[mask] = rng.choice(odd, size=int(mask.sum()))
    return ids


def assert_matches_interpreter(
    spec: OpSpec,
    inputs: Sequence[np.ndarray],
    elements: Sequence[int] | None = None,
    result: torch.Tensor | None = None,
) -> np.ndarray:
    """torch's output equals the interpreter's last intermediate, bit for bit, on
    every listed element (all by default). Returns the output bits."""
    tensors = [torch.from_numpy(np.array(x, dtype=np.float32)) for x in inputs]
    out = execute(spec, tensors) if result is None else result
    shape = output_shape(spec, [x.shape for x in inputs])
    assert tuple(out.shape) == tuple(shape)
    assert out.dtype == torch.float32
    bits = out.contiguous().numpy().reshape(-1).view(np.uint32)
    count = bits.size
    for element in range(count) if elements is None else elements:
        expected = run_element(spec, inputs, element)[-1]
        assert int(bits[element]) == expected, (
            f"{spec.kind.name} element {element}: torch {int(bits[element]):#010x} "
            f"!= interpreter {expected:#010x}"
        )
    return bits


def implementation_outputs(spec: OpSpec, inputs: Sequence[np.ndarray]) -> dict[str, torch.Tensor]:
    """The op's output by every implementation path that can run here: the default
    dispatch (compiled CPU kernel where one exists), the device-agnostic torch path
    (what CUDA runs) and, for loop ops, the generic step-by-step loop evaluation."""
    tensors = [torch.from_numpy(np.array(x, dtype=np.float32)) for x in inputs]
    definition = op_def(spec)
    outputs = {
        "execute": execute(spec, tensors),
        "torch": definition.execute_torch(spec, tensors),
    }
    if isinstance(definition, LoopOp):
        outputs["loop"] = definition.execute_loop(spec, tensors)
    return outputs


def assert_all_paths_match_interpreter(spec: OpSpec, inputs: Sequence[np.ndarray]) -> None:
    outputs = implementation_outputs(spec, inputs)
    reference = assert_matches_interpreter(spec, inputs, result=outputs.pop("execute"))
    for name, out in outputs.items():
        got = out.contiguous().numpy().reshape(-1).view(np.uint32)
        mismatch = np.nonzero(got != reference)[0]
        assert mismatch.size == 0, f"{spec.kind.name} {name} path differs at elements {mismatch[:5].tolist()}"
