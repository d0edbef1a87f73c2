"""Ops whose element program is a loop: reductions, losses, layer-norm statistics,
and the select-chains that index by a float32 id (pick, embedding and its gradient).
"""

from collections.abc import Sequence

import numpy as np
import torch

from tribunal.repops.core import tensor_primitives as tp
from tribunal.repops.core.loop import ACC, LOOP_CONST, LoopProgram, Step, const, slot, step, tmp
from tribunal.repops.core.opdef import (
    LoopOp,
    ShapeError,
    Shapes,
    Tensor,
    f32_exact_count,
    numel,
)
from tribunal.repops.core.opspec import OpKind, OpSpec, Shape
from tribunal.repops.core.primitives import NEG_INF, ONE, POS_INF, POS_ZERO, Opcode, f32_to_bits

REDUCE_INIT = {Opcode.ADD: POS_ZERO, Opcode.MAX: NEG_INF, Opcode.MIN: POS_INF}


def _count_const(count: int, what: str) -> int:
    return f32_to_bits(f32_exact_count(count, what))


def _last_axis(op: LoopOp, shape: Shape, index: int) -> int:
    if not shape:
        raise ShapeError(f"{op.kind.name}: input {index} needs a last axis, got shape ()")
    return shape[-1]


def _expect(op: LoopOp, index: int, shape: Shape, expected: Shape, what: str) -> None:
    if shape != expected:
        raise ShapeError(f"{op.kind.name}: input {index} has shape {shape}, expected {expected} ({what})")


class ReduceOp(LoopOp):
    """ADD/MAX/MIN over the contiguous dims [start, stop); ADD may end with a mean."""

    kind = OpKind.REDUCE
    arity = 1

    def split(self, spec: OpSpec, shape: Shape) -> tuple[int, int, int]:
        start, stop = spec.param("start"), spec.param("stop")
        if not 0 <= start < stop <= len(shape):
            raise ShapeError(f"REDUCE dims [{start}, {stop}) do not fit shape {shape}")
        n = numel(shape[start:stop])
        if n == 0:
            raise ShapeError(f"REDUCE over an empty range of shape {shape}")
        return numel(shape[:start]), n, numel(shape[stop:])

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        (shape,) = shapes
        self.split(spec, shape)
        return shape[: spec.param("start")] + shape[spec.param("stop") :]

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        opcode = Opcode(spec.param("opcode"))
        if opcode not in REDUCE_INIT:
            raise ShapeError(f"REDUCE takes ADD, MAX or MIN, got {opcode.name}")
        _, n, _ = self.split(spec, shapes[0])
        epilogue: tuple[Step, ...] = ()
        if spec.param("mean"):
            if opcode is not Opcode.ADD:
                raise ShapeError("REDUCE mean needs opcode ADD")
            epilogue = (step(Opcode.DIV, ACC, const(_count_const(n, "mean count"))),)
        return LoopProgram(
            trips=n, init=REDUCE_INIT[opcode], body=(step(opcode, ACC, slot(0)),), epilogue=epilogue
        )

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        _, n, inner = self.split(spec, shapes[0])
        outer_index, inner_index = divmod(element, inner)
        return (outer_index * n + k) * inner + inner_index

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        (x,) = inputs
        outer, n, inner = self.split(spec, tuple(x.shape))
        out_shape = self.output_shape(spec, (tuple(x.shape),))
        return x.reshape(outer, n, inner)[:, k, :].reshape(out_shape)


class MseLossOp(LoopOp):
    """inputs (pred, target): mean of squared differences, summed in flat order."""

    kind = OpKind.MSE_LOSS
    arity = 2

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        _expect(self, 1, shapes[1], shapes[0], "same as pred")
        return ()

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        self.output_shape(spec, shapes)
        n = numel(shapes[0])
        return LoopProgram(
            trips=n,
            init=POS_ZERO,
            body=(
                step(Opcode.SUB, slot(0), slot(1)),
                step(Opcode.MUL, tmp(0), tmp(0)),
                step(Opcode.ADD, ACC, tmp(1)),
            ),
            epilogue=(step(Opcode.DIV, ACC, const(_count_const(n, "MSE element count"))),),
        )

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        return k

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        return inputs[slot].reshape(-1)[k]


class LnRstdOp(LoopOp):
    """inputs (x (..., D), mean (...)): 1 / sqrt(mean((x - mean)^2) + eps)."""

    kind = OpKind.LN_RSTD
    arity = 2

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        x, mean = shapes
        _last_axis(self, x, 0)
        _expect(self, 1, mean, x[:-1], "rows of x")
        return x[:-1]

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        self.output_shape(spec, shapes)
        d = shapes[0][-1]
        return LoopProgram(
            trips=d,
            init=POS_ZERO,
            body=(
                step(Opcode.SUB, slot(0), slot(1)),
                step(Opcode.MUL, tmp(0), tmp(0)),
                step(Opcode.ADD, ACC, tmp(1)),
            ),
            epilogue=(
                step(Opcode.DIV, ACC, const(_count_const(d, "layer-norm width"))),
                step(Opcode.ADD, tmp(0), const(spec.param("eps"))),
                step(Opcode.SQRT, tmp(1)),
                step(Opcode.DIV, const(ONE), tmp(2)),
            ),
        )

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        return element * shapes[0][-1] + k if slot == 0 else element

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        return inputs[0][..., k] if slot == 0 else inputs[1]


class LnGradStatsOp(LoopOp):
    """inputs (dy, x, mean, rstd, gain): per row, moment 0: mean(dy*gain);
    moment 1: mean(dy*gain*xhat) with xhat = (x - mean)*rstd."""

    kind = OpKind.LN_GRAD_STATS
    arity = 5

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        dy, x, mean, rstd, gain = shapes
        _last_axis(self, dy, 0)
        _expect(self, 1, x, dy, "same as dy")
        _expect(self, 2, mean, dy[:-1], "rows of dy")
        _expect(self, 3, rstd, dy[:-1], "rows of dy")
        _expect(self, 4, gain, dy[-1:], "last axis of dy")
        return dy[:-1]

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        self.output_shape(spec, shapes)
        d = shapes[0][-1]
        moment = spec.param("moment")
        body: tuple[Step, ...]
        if moment == 0:
            body = (step(Opcode.MUL, slot(0), slot(4)), step(Opcode.ADD, ACC, tmp(0)))
        elif moment == 1:
            body = (
                step(Opcode.SUB, slot(1), slot(2)),
                step(Opcode.MUL, tmp(0), slot(3)),
                step(Opcode.MUL, slot(0), slot(4)),
                step(Opcode.MUL, tmp(2), tmp(1)),
                step(Opcode.ADD, ACC, tmp(3)),
            )
        else:
            raise ShapeError(f"LN_GRAD_STATS moment must be 0 or 1, got {moment}")
        return LoopProgram(
            trips=d,
            init=POS_ZERO,
            body=body,
            epilogue=(step(Opcode.DIV, ACC, const(_count_const(d, "layer-norm width"))),),
        )

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        d = shapes[0][-1]
        return (element * d + k, element * d + k, element, element, k)[slot]

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        x = inputs[slot]
        if slot in (0, 1):
            return x[..., k]
        return x[k] if slot == 4 else x


class LnGradGainOp(LoopOp):
    """inputs (dy (..., D), x, mean (...), rstd): sum over rows of dy * xhat -> (D,)."""

    kind = OpKind.LN_GRAD_GAIN
    arity = 4

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        dy, x, mean, rstd = shapes
        _last_axis(self, dy, 0)
        _expect(self, 1, x, dy, "same as dy")
        _expect(self, 2, mean, dy[:-1], "rows of dy")
        _expect(self, 3, rstd, dy[:-1], "rows of dy")
        return dy[-1:]

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        self.output_shape(spec, shapes)
        rows = numel(shapes[2])
        if rows == 0:
            raise ShapeError("LN_GRAD_GAIN needs at least one row")
        return LoopProgram(
            trips=rows,
            init=POS_ZERO,
            body=(
                step(Opcode.SUB, slot(1), slot(2)),
                step(Opcode.MUL, tmp(0), slot(3)),
                step(Opcode.MUL, slot(0), tmp(1)),
                step(Opcode.ADD, ACC, tmp(2)),
            ),
        )

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        d = shapes[0][-1]
        return k * d + element if slot in (0, 1) else k

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        x = inputs[slot]
        if slot in (0, 1):
            return x.reshape(-1, x.shape[-1])[k]
        return x.reshape(-1)[k]


def _class_ids(ids: Tensor, classes: int) -> tuple[Tensor, Tensor]:
    """(valid mask, index) of float32 ids that equal an integer in [0, classes)."""
    index = torch.nan_to_num(ids, nan=-1.0).clamp(-1.0, float(classes)).floor()
    valid = torch.eq(ids, index) & torch.ge(index, 0.0) & torch.lt(index, float(classes))
    return valid, torch.where(valid, index, torch.zeros_like(index)).to(torch.int64)


class PickOp(LoopOp):
    """inputs (x (..., C), ids (...)): x[..., id] by a select chain over the classes
    (+0.0 when the id is not an integer in [0, C))."""

    kind = OpKind.PICK
    arity = 2

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        x, ids = shapes
        if _last_axis(self, x, 0) == 0:
            raise ShapeError("PICK needs at least one class")
        _expect(self, 1, ids, x[:-1], "rows of x")
        return x[:-1]

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        self.output_shape(spec, shapes)
        return LoopProgram(
            trips=shapes[0][-1],
            init=POS_ZERO,
            body=(step(Opcode.EQ, slot(1), LOOP_CONST), step(Opcode.SELECT, tmp(0), slot(0), ACC)),
        )

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        return element * shapes[0][-1] + k if slot == 0 else element

    def loop_const(self, spec: OpSpec, shapes: Shapes, element: int, k: int) -> int:
        return f32_to_bits(float(k))

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        return inputs[0][..., k] if slot == 0 else inputs[1]

    def loop_const_view(self, spec: OpSpec, inputs: Sequence[Tensor], k: int) -> Tensor:
        return torch.tensor(float(k), dtype=torch.float32, device=inputs[0].device)

    def execute_torch(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        """The chain selects x[id] exactly once for a valid id and never otherwise."""
        x, ids = inputs
        self.output_shape(spec, (tuple(x.shape), tuple(ids.shape)))
        valid, index = _class_ids(ids, x.shape[-1])
        picked = torch.gather(x, -1, index.unsqueeze(-1)).squeeze(-1)
        return tp.canonicalize(torch.where(valid, picked, torch.zeros_like(picked)))


class EmbeddingOp(LoopOp):
    """inputs (ids (...), table (V, D)): table[id] by a select chain over the vocabulary."""

    kind = OpKind.EMBEDDING
    arity = 2

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        ids, table = shapes
        if len(table) != 2 or table[0] == 0:
            raise ShapeError(f"EMBEDDING table must be (V >= 1, D), got {table}")
        return (*ids, table[1])

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        self.output_shape(spec, shapes)
        return LoopProgram(
            trips=shapes[1][0],
            init=POS_ZERO,
            body=(step(Opcode.EQ, slot(0), LOOP_CONST), step(Opcode.SELECT, tmp(0), slot(1), ACC)),
        )

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        d = shapes[1][1]
        return element // d if slot == 0 else k * d + element % d

    def loop_const(self, spec: OpSpec, shapes: Shapes, element: int, k: int) -> int:
        return f32_to_bits(float(k))

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        return inputs[0].unsqueeze(-1) if slot == 0 else inputs[1][k]

    def loop_const_view(self, spec: OpSpec, inputs: Sequence[Tensor], k: int) -> Tensor:
        return torch.tensor(float(k), dtype=torch.float32, device=inputs[0].device)

    def execute_torch(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        """The chain selects table[id] exactly once for a valid id and never otherwise."""
        ids, table = inputs
        self.output_shape(spec, (tuple(ids.shape), tuple(table.shape)))
        valid, index = _class_ids(ids, table.shape[0])
        rows = table[index.reshape(-1)].reshape(*ids.shape, table.shape[1])
        return tp.canonicalize(torch.where(valid.unsqueeze(-1), rows, torch.zeros_like(rows)))


class EmbeddingGradOp(LoopOp):
    """inputs (ids (...), dout (..., D)): dtable (vocab, D), row v = the sum, in
    position order, of dout rows whose id equals v (a select per position)."""

    kind = OpKind.EMBEDDING_GRAD
    arity = 2

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        ids, dout = shapes
        if len(dout) != len(ids) + 1 or dout[:-1] != ids:
            raise ShapeError(f"EMBEDDING_GRAD: dout {dout} must be ids {ids} plus a width")
        if numel(ids) == 0:
            raise ShapeError("EMBEDDING_GRAD needs at least one id")
        return (spec.param("vocab"), dout[-1])

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        self.output_shape(spec, shapes)
        return LoopProgram(
            trips=numel(shapes[0]),
            init=POS_ZERO,
            body=(
                step(Opcode.EQ, slot(0), LOOP_CONST),
                step(Opcode.SELECT, tmp(0), slot(1), const(POS_ZERO)),
                step(Opcode.ADD, ACC, tmp(1)),
            ),
        )

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        d = shapes[1][-1]
        return k if slot == 0 else k * d + element % d

    def loop_const(self, spec: OpSpec, shapes: Shapes, element: int, k: int) -> int:
        return f32_to_bits(float(element // shapes[1][-1]))

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        ids, dout = inputs
        return ids.reshape(-1)[k] if slot == 0 else dout.reshape(-1, dout.shape[-1])[k]

    def loop_const_view(self, spec: OpSpec, inputs: Sequence[Tensor], k: int) -> Tensor:
        vocab = spec.param("vocab")
        return torch.arange(vocab, dtype=torch.float32, device=inputs[0].device).unsqueeze(-1)

    def execute_torch(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        """acc + (+0.0) == acc for every acc the chain can hold (it starts at +0.0 and
        a sum is -0.0 only if both terms are), so only matching positions count;
        they are added in position order, one occurrence rank at a time."""
        ids, dout = inputs
        vocab, width = self.output_shape(spec, (tuple(ids.shape), tuple(dout.shape)))
        flat_ids = ids.reshape(-1)
        rows = dout.reshape(-1, width)
        valid, index = _class_ids(flat_ids, vocab)
        positions = np.nonzero(valid.cpu().numpy())[0]
        ids_at = index.cpu().numpy()[positions]
        order = np.argsort(ids_at, kind="stable")
        sorted_ids = ids_at[order]
        group_start = np.searchsorted(sorted_ids, sorted_ids, side="left")
        rank = np.arange(len(sorted_ids)) - group_start
        acc = torch.zeros((vocab, width), dtype=torch.float32, device=dout.device)
        for r in range(int(rank.max()) + 1 if len(rank) else 0):
            chosen = order[rank == r]
            targets = torch.as_tensor(ids_at[chosen], device=dout.device)
            sources = torch.as_tensor(positions[chosen], device=dout.device)
            acc[targets] = torch.add(acc[targets], rows[sources])
        return tp.canonicalize(acc)
