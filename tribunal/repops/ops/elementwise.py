"""Ops whose element program reads each input once, at one address: no loop.

Arithmetic (BINARY, BINARY_CONST, UNARY), ReLU's gradient, the gradients of the
losses, layer norm's apply and input-gradient, the optimizers and exp/log.
"""

from collections.abc import Sequence

import torch

from tribunal.repops.core.loop import LOOP_CONST, Step, const, slot, step, tmp
from tribunal.repops.core.opdef import (
    ElementwiseOp,
    Role,
    ShapeError,
    Shapes,
    Tensor,
    f32_exact_count,
    numel,
)
from tribunal.repops.core.opspec import Broadcast, OpKind, OpSpec
from tribunal.repops.core.primitives import ARITY, ONE, POS_ZERO, Opcode, f32_to_bits
from tribunal.repops.ops.transcendental import exp_steps, log_steps

BROADCAST_ROLES = {
    Broadcast.SAME: Role.FULL,
    Broadcast.COLUMN: Role.COLUMN,
    Broadcast.ROW: Role.ROW,
    Broadcast.SCALAR: Role.SCALAR,
}
TWO = f32_to_bits(2.0)


def _opcode(spec: OpSpec, allowed_arity: int) -> Opcode:
    opcode = Opcode(spec.param("opcode"))
    if ARITY[opcode] != allowed_arity:
        raise ShapeError(f"{spec.kind.name} needs an opcode of arity {allowed_arity}, got {opcode.name}")
    return opcode


class BinaryOp(ElementwiseOp):
    """out = op(x, y) with y broadcast per `Broadcast`."""

    kind = OpKind.BINARY

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, BROADCAST_ROLES[Broadcast(spec.param("broadcast"))])

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return (step(_opcode(spec, 2), slot(0), slot(1)),)


class BinaryConstOp(ElementwiseOp):
    """out = op(x, c) or op(c, x)."""

    kind = OpKind.BINARY_CONST

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL,)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        c = const(spec.param("const"))
        operands = (c, slot(0)) if spec.param("const_first") else (slot(0), c)
        return (step(_opcode(spec, 2), *operands),)


class UnaryOp(ElementwiseOp):
    kind = OpKind.UNARY

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL,)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return (step(_opcode(spec, 1), slot(0)),)


class ExpOp(ElementwiseOp):
    kind = OpKind.EXP

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL,)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return exp_steps()


class LogOp(ElementwiseOp):
    kind = OpKind.LOG

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL,)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return log_steps()


class ReluGradOp(ElementwiseOp):
    """inputs (x, dy): dy where x > 0, else +0."""

    kind = OpKind.RELU_GRAD

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, Role.FULL)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return (
            step(Opcode.LT, const(POS_ZERO), slot(0)),
            step(Opcode.SELECT, tmp(0), slot(1), const(POS_ZERO)),
        )


class MseGradOp(ElementwiseOp):
    """inputs (pred, target): 2 (pred - target) / n, n = number of elements."""

    kind = OpKind.MSE_GRAD

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, Role.FULL)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        count = f32_exact_count(numel(shapes[0]), "MSE element count")
        return (
            step(Opcode.SUB, slot(0), slot(1)),
            step(Opcode.MUL, tmp(0), const(TWO)),
            step(Opcode.DIV, tmp(1), const(f32_to_bits(count))),
        )


class XentGradOp(ElementwiseOp):
    """inputs (e, s, labels): (e / s - [label == class]) / rows."""

    kind = OpKind.XENT_GRAD
    loop_const_is_column = True

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, Role.ROW, Role.ROW)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        rows = f32_exact_count(numel(shapes[1]), "cross-entropy row count")
        return (
            step(Opcode.DIV, slot(0), slot(1)),
            step(Opcode.EQ, slot(2), LOOP_CONST),
            step(Opcode.SUB, tmp(0), tmp(1)),
            step(Opcode.DIV, tmp(2), const(f32_to_bits(rows))),
        )

    def loop_const(self, spec: OpSpec, shapes: Shapes, element: int, k: int) -> int:
        return f32_to_bits(float(element % shapes[0][-1]))

    def loop_const_view(self, spec: OpSpec, inputs: Sequence[Tensor], k: int) -> Tensor:
        classes = inputs[0].shape[-1]
        return torch.arange(classes, dtype=torch.float32, device=inputs[0].device)


class LnApplyOp(ElementwiseOp):
    """inputs (x, mean, rstd, gain, bias): (x - mean) * rstd * gain + bias."""

    kind = OpKind.LN_APPLY

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, Role.ROW, Role.ROW, Role.COLUMN, Role.COLUMN)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return (
            step(Opcode.SUB, slot(0), slot(1)),
            step(Opcode.MUL, tmp(0), slot(2)),
            step(Opcode.MUL, tmp(1), slot(3)),
            step(Opcode.ADD, tmp(2), slot(4)),
        )


class LnGradInputOp(ElementwiseOp):
    """inputs (dy, x, mean, rstd, gain, m0, m1): rstd * (dy*gain - m0 - xhat*m1)."""

    kind = OpKind.LN_GRAD_INPUT

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, Role.FULL, Role.ROW, Role.ROW, Role.COLUMN, Role.ROW, Role.ROW)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return (
            step(Opcode.SUB, slot(1), slot(2)),
            step(Opcode.MUL, tmp(0), slot(3)),
            step(Opcode.MUL, slot(0), slot(4)),
            step(Opcode.SUB, tmp(2), slot(5)),
            step(Opcode.MUL, tmp(1), slot(6)),
            step(Opcode.SUB, tmp(3), tmp(4)),
            step(Opcode.MUL, tmp(5), slot(3)),
        )


class SgdOp(ElementwiseOp):
    """inputs (w, g): w - g * lr."""

    kind = OpKind.SGD

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, Role.FULL)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return (
            step(Opcode.MUL, slot(1), const(spec.param("lr"))),
            step(Opcode.SUB, slot(0), tmp(0)),
        )


class MomentumOp(ElementwiseOp):
    """inputs (buf, g): buf * mu + g."""

    kind = OpKind.MOMENTUM

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, Role.FULL)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return (
            step(Opcode.MUL, slot(0), const(spec.param("mu"))),
            step(Opcode.ADD, tmp(0), slot(1)),
        )


class AdamMomentOp(ElementwiseOp):
    """ADAM_M, inputs (m, g): m*keep + g*new. ADAM_V, inputs (v, g): v*keep + (g*g)*new."""

    def __init__(self, kind: OpKind) -> None:
        self.kind = kind

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, Role.FULL)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        keep, new = const(spec.param("keep")), const(spec.param("new"))
        if self.kind is OpKind.ADAM_M:
            return (
                step(Opcode.MUL, slot(0), keep),
                step(Opcode.MUL, slot(1), new),
                step(Opcode.ADD, tmp(0), tmp(1)),
            )
        return (
            step(Opcode.MUL, slot(1), slot(1)),
            step(Opcode.MUL, slot(0), keep),
            step(Opcode.MUL, tmp(0), new),
            step(Opcode.ADD, tmp(1), tmp(2)),
        )


class AdamUpdateOp(ElementwiseOp):
    """inputs (w, m, v, p1, p2) with p1 = beta1^t, p2 = beta2^t (scalars):
    w - (m / (1 - p1)) / (sqrt(v / (1 - p2)) + eps) * lr."""

    kind = OpKind.ADAM_UPDATE

    def roles(self, spec: OpSpec) -> tuple[Role, ...]:
        return (Role.FULL, Role.FULL, Role.FULL, Role.SCALAR, Role.SCALAR)

    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]:
        return (
            step(Opcode.SUB, const(ONE), slot(3)),
            step(Opcode.DIV, slot(1), tmp(0)),
            step(Opcode.SUB, const(ONE), slot(4)),
            step(Opcode.DIV, slot(2), tmp(2)),
            step(Opcode.SQRT, tmp(3)),
            step(Opcode.ADD, tmp(4), const(spec.param("eps"))),
            step(Opcode.DIV, tmp(1), tmp(5)),
            step(Opcode.MUL, tmp(6), const(spec.param("lr"))),
            step(Opcode.SUB, slot(0), tmp(7)),
        )
