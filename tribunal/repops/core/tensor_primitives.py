"""The float32 primitives over torch tensors, one torch call per rounding.

Results are not NaN-canonicalised here: whether a primitive's result is NaN never
depends on a NaN operand's payload or sign, so an op canonicalises once, at its
end, and still matches the scalar reference bit for bit.

div and sqrt go through float64: torch's CPU float32 sqrt is not correctly rounded,
and the double-rounding theorem (53 >= 2*24 + 2) makes float64-then-float32 exact
for both, on every device. Divisors are always full tensors, never CPU scalars,
because CUDA divides by a CPU scalar through its reciprocal.
"""

from collections.abc import Sequence
from functools import lru_cache

import torch

from tribunal.repops.core.primitives import CANONICAL_NAN, Opcode, bits_to_f32

Tensor = torch.Tensor


def const_tensor(bits: int, like: Tensor) -> Tensor:
    """A float32 constant (given by bits) on `like`'s device, 0-dim; shared, never
    written to."""
    return _const(bits, like.device)


@lru_cache(maxsize=1024)
def _const(bits: int, device: torch.device) -> Tensor:
    return torch.tensor(float(bits_to_f32(bits)), dtype=torch.float32, device=device)


def canonicalize(x: Tensor) -> Tensor:
    nan = const_tensor(CANONICAL_NAN, x)
    return torch.where(torch.isnan(x), nan, x)


def add(a: Tensor, b: Tensor) -> Tensor:
    return torch.add(a, b)


def sub(a: Tensor, b: Tensor) -> Tensor:
    return torch.sub(a, b)


def mul(a: Tensor, b: Tensor) -> Tensor:
    return torch.mul(a, b)


def div(a: Tensor, b: Tensor) -> Tensor:
    a64, b64 = torch.broadcast_tensors(a.to(torch.float64), b.to(torch.float64))
    return torch.div(a64, b64.contiguous()).to(torch.float32)


def sqrt(a: Tensor) -> Tensor:
    return torch.sqrt(a.to(torch.float64)).to(torch.float32)


def maximum(a: Tensor, b: Tensor) -> Tensor:
    """NaN if either is NaN, else a > b ? a : b (deliberately not torch.maximum)."""
    return torch.where(torch.gt(a, b) | torch.isnan(a), a, b)


def minimum(a: Tensor, b: Tensor) -> Tensor:
    return torch.where(torch.lt(a, b) | torch.isnan(a), a, b)


def select(cond: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """a where cond is not +-0 (NaN counts as true), else b."""
    return torch.where(torch.ne(cond, 0.0), a, b)


def less(a: Tensor, b: Tensor) -> Tensor:
    return torch.lt(a, b).to(torch.float32)


def less_equal(a: Tensor, b: Tensor) -> Tensor:
    return torch.le(a, b).to(torch.float32)


def equal(a: Tensor, b: Tensor) -> Tensor:
    return torch.eq(a, b).to(torch.float32)


def neg(a: Tensor) -> Tensor:
    return torch.neg(a)


def absolute(a: Tensor) -> Tensor:
    return torch.abs(a)


def copy(a: Tensor) -> Tensor:
    return a.clone()


_BINARY = {
    Opcode.ADD: add,
    Opcode.SUB: sub,
    Opcode.MUL: mul,
    Opcode.DIV: div,
    Opcode.MAX: maximum,
    Opcode.MIN: minimum,
    Opcode.LT: less,
    Opcode.LE: less_equal,
    Opcode.EQ: equal,
}
_UNARY = {Opcode.SQRT: sqrt, Opcode.NEG: neg, Opcode.ABS: absolute, Opcode.COPY: copy}


def apply_tensor(opcode: Opcode, operands: Sequence[Tensor]) -> Tensor:
    """One primitive over broadcastable float32 tensors (not canonicalised)."""
    if opcode is Opcode.SELECT:
        cond, a, b = operands
        return select(cond, a, b)
    if opcode in _UNARY:
        (a,) = operands
        return _UNARY[opcode](a)
    a, b = operands
    return _BINARY[opcode](a, b)
