"""Layout ops: copies and sums from computed addresses, the causal mask, and the
gather of a step's batch from the dataset.

COPY and GATHER_SUM read their input through an `AffineMap`: the output element's
flat index is split over `out_view` (row-major) into o[0..), the loop index k
(GATHER_SUM only) over `loop_view` into l[0..); input coordinate j is
`t = offset[j] + sum coef[j][d] * (o ++ l)[d]`; it is valid when t is divisible by
`div[j]` and `0 <= t / div[j] < in_view[j]`; the address is the coordinates
flattened row-major over `in_view`. An invalid address reads the constant +0.0
(padding). COPY's program is one COPY; GATHER_SUM's is
`acc = ADD(acc, x or +0.0)` for each k in order (e.g. col2im).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.repops.core import tensor_primitives as tp
from tribunal.repops.core.instructions import Instr, Operand
from tribunal.repops.core.opdef import OpDef, ShapeError, Shapes, Tensor, numel
from tribunal.repops.core.opspec import OpKind, OpSpec, Shape
from tribunal.repops.core.primitives import POS_ZERO, Opcode

Index = NDArray[np.int64] | int
"""An element or loop index: one, or a numpy array of them (evaluated together)."""


def _row_major(index: Index, dims: Sequence[int]) -> list[Index]:
    coords: list[Index] = []
    for dim in reversed(dims):
        coords.append(index % dim)
        index = index // dim
    return coords[::-1]


@dataclass(frozen=True, slots=True)
class AffineMap:
    out_view: tuple[int, ...]
    loop_view: tuple[int, ...]
    in_view: tuple[int, ...]
    coef: tuple[tuple[int, ...], ...]  # [in_dim][out dims ++ loop dims]
    offset: tuple[int, ...]
    div: tuple[int, ...]
    out_shape: tuple[int, ...]

    def __post_init__(self) -> None:
        width = len(self.out_view) + len(self.loop_view)
        rank = len(self.in_view)
        if len(self.coef) != rank or any(len(row) != width for row in self.coef):
            raise ShapeError(f"affine map: coef must be {rank} rows of {width}")
        if len(self.offset) != rank or len(self.div) != rank or any(d < 1 for d in self.div):
            raise ShapeError("affine map: offset and div need one entry per input dim, div >= 1")
        if math.prod(self.out_view) != math.prod(self.out_shape):
            raise ShapeError(f"affine map: out_view {self.out_view} != out_shape {self.out_shape}")

    @property
    def trips(self) -> int:
        return math.prod(self.loop_view)

    def encode(self) -> tuple[int, ...]:
        flat_coef = tuple(c for row in self.coef for c in row)
        return (
            len(self.out_view),
            len(self.loop_view),
            len(self.in_view),
            *self.out_view,
            *self.loop_view,
            *self.in_view,
            *flat_coef,
            *self.offset,
            *self.div,
            len(self.out_shape),
            *self.out_shape,
        )

    @staticmethod
    def decode(params: Sequence[int]) -> "AffineMap":
        values = list(params)
        try:
            out_rank, loop_rank, in_rank = values[:3]
            pos = 3

            def take(count: int) -> tuple[int, ...]:
                nonlocal pos
                chunk = tuple(values[pos : pos + count])
                if len(chunk) != count:
                    raise ShapeError("affine map parameters are truncated")
                pos += count
                return chunk

            out_view, loop_view, in_view = take(out_rank), take(loop_rank), take(in_rank)
            width = out_rank + loop_rank
            flat = take(in_rank * width)
            coef = tuple(flat[j * width : (j + 1) * width] for j in range(in_rank))
            offset, div = take(in_rank), take(in_rank)
            (shape_rank,) = take(1)
            out_shape = take(shape_rank)
        except ValueError as error:
            raise ShapeError(f"malformed affine map parameters: {error}") from error
        if pos != len(values):
            raise ShapeError("affine map parameters have trailing values")
        return AffineMap(out_view, loop_view, in_view, coef, offset, div, out_shape)

    def address(self, element: Index, k: Index) -> tuple[Index, NDArray[np.bool_] | bool]:
        """(flat address, valid) for scalars or numpy int64 arrays."""
        coords = _row_major(element, self.out_view) + _row_major(k, self.loop_view)
        flat: Index = 0
        valid: NDArray[np.bool_] | bool = True
        for j, dim in enumerate(self.in_view):
            t: Index = self.offset[j]
            for c, x in zip(self.coef[j], coords, strict=True):
                if c:
                    t = t + c * x
            q = t // self.div[j]
            valid = valid & (q * self.div[j] == t) & (q >= 0) & (q < dim)
            flat = flat * dim + q
        return flat, valid


@lru_cache(maxsize=256)
def _parse(params: tuple[int, ...]) -> AffineMap:
    return AffineMap.decode(params)


@lru_cache(maxsize=64)
def _all_addresses(amap: AffineMap, k: int) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    elements = np.arange(math.prod(amap.out_shape), dtype=np.int64)
    flat, valid = amap.address(elements, k)
    valid = np.broadcast_to(np.asarray(valid, dtype=bool), elements.shape).copy()
    return np.where(valid, flat, 0).astype(np.int64), valid


@lru_cache(maxsize=64)
def address_table(amap: AffineMap) -> NDArray[np.signedinteger[Any]] | None:
    """Every k's flat input addresses as a (trips, count) int32 array, -1 where the
    address is invalid (padding reads +0.0); None when it is one identity term
    (e.g. a reshape)."""
    pairs = [_all_addresses(amap, k) for k in range(amap.trips)]
    table: NDArray[np.int64] = np.stack([np.where(valid, flat, -1) for flat, valid in pairs])
    if table.shape[0] == 1 and np.array_equal(table[0], np.arange(table.shape[1])):
        return None
    if table.size and int(table.max()) >= 2**31 - 1:  # pragma: no cover - a >= 8 GiB input
        return table.astype(np.int64)
    return table.astype(np.int32)


class AffineGatherOp(OpDef):
    """COPY (no loop) and GATHER_SUM (a sum over `loop_view`) through an AffineMap."""

    arity = 1

    def __init__(self, kind: OpKind) -> None:
        self.kind = kind

    def affine_map(self, spec: OpSpec) -> AffineMap:
        amap = _parse(spec.params)
        if (self.kind is OpKind.COPY) != (amap.trips == 1 and not amap.loop_view):
            raise ShapeError(f"{self.kind.name}: loop_view {amap.loop_view} does not fit the kind")
        return amap

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        amap = self.affine_map(spec)
        if math.prod(amap.in_view) != numel(shapes[0]):
            raise ShapeError(f"{self.kind.name}: in_view {amap.in_view} does not cover input {shapes[0]}")
        if amap.trips == 0:
            raise ShapeError("GATHER_SUM needs at least one term")
        return amap.out_shape

    def program_length(self, spec: OpSpec, shapes: Shapes, element: int) -> int:
        self.output_shape(spec, shapes)
        return self.affine_map(spec).trips

    def instruction(self, spec: OpSpec, shapes: Shapes, element: int, i: int) -> Instr:
        amap = self.affine_map(spec)
        if not 0 <= i < amap.trips:
            raise IndexError(f"instruction {i} out of range 0..{amap.trips - 1}")
        flat, valid = amap.address(element, i)
        source = Operand.input(0, int(flat)) if valid else Operand.const(POS_ZERO)
        if self.kind is OpKind.COPY:
            return Instr(Opcode.COPY, (source,))
        acc = Operand.temp(i - 1) if i > 0 else Operand.const(POS_ZERO)
        return Instr(Opcode.ADD, (acc, source))

    def execute_torch(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        (x,) = inputs
        out_shape = self.output_shape(spec, (tuple(x.shape),))
        amap = self.affine_map(spec)
        flat_x = x.reshape(-1)
        zero = tp.const_tensor(POS_ZERO, x)
        acc = zero
        for k in range(amap.trips):
            flat, valid = _all_addresses(amap, k)
            index = torch.from_numpy(flat).to(x.device)
            mask = torch.from_numpy(valid).to(x.device)
            term = torch.where(mask, flat_x[index], zero)
            acc = term if self.kind is OpKind.COPY else torch.add(acc, term)
        return tp.canonicalize(torch.broadcast_to(acc, (numel(out_shape),))).reshape(out_shape)


class CausalMaskOp(OpDef):
    """x (..., T, T): element (row, col) is x if col <= row, else the constant `fill`."""

    kind = OpKind.CAUSAL_MASK
    arity = 1

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        (shape,) = shapes
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ShapeError(f"CAUSAL_MASK needs (..., T, T), got {shape}")
        return shape

    def program_length(self, spec: OpSpec, shapes: Shapes, element: int) -> int:
        self.output_shape(spec, shapes)
        return 1

    def instruction(self, spec: OpSpec, shapes: Shapes, element: int, i: int) -> Instr:
        if i != 0:
            raise IndexError(f"instruction {i} out of range 0..0")
        t = shapes[0][-1]
        row, col = (element // t) % t, element % t
        if col <= row:
            return Instr(Opcode.COPY, (Operand.input(0, element),))
        return Instr(Opcode.COPY, (Operand.const(spec.param("fill")),))

    def execute_torch(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        (x,) = inputs
        self.output_shape(spec, (tuple(x.shape),))
        t = x.shape[-1]
        keep = torch.ones((t, t), dtype=torch.bool, device=x.device).tril()
        return tp.canonicalize(torch.where(keep, x, tp.const_tensor(spec.param("fill"), x)))


class BatchGatherOp(OpDef):
    """dataset (num_rows, ...) -> (len(rows), ...): output row r is dataset row rows[r]."""

    kind = OpKind.BATCH_GATHER
    arity = 1

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        (shape,) = shapes
        if not shape:
            raise ShapeError("BATCH_GATHER needs a dataset with a row axis")
        bad = [r for r in spec.params if not 0 <= r < shape[0]]
        if bad:
            raise ShapeError(f"BATCH_GATHER rows {bad[:4]} outside the dataset's {shape[0]} rows")
        return (len(spec.params), *shape[1:])

    def program_length(self, spec: OpSpec, shapes: Shapes, element: int) -> int:
        self.output_shape(spec, shapes)
        return 1

    def instruction(self, spec: OpSpec, shapes: Shapes, element: int, i: int) -> Instr:
        if i != 0:
            raise IndexError(f"instruction {i} out of range 0..0")
        row_len = numel(shapes[0][1:])
        r, col = divmod(element, row_len)
        return Instr(Opcode.COPY, (Operand.input(0, spec.params[r] * row_len + col),))

    def execute_torch(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        (dataset,) = inputs
        self.output_shape(spec, (tuple(dataset.shape),))
        rows = torch.tensor(spec.params, dtype=torch.int64, device=dataset.device)
        return tp.canonicalize(dataset[rows])
