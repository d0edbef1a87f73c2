"""Matrix products: A B, A^T B and A B^T, with optional equal leading batch dims.

Output element (b, i, j) is `acc = +0.0; for k in 0..K-1: acc = acc + A[b,i,k]*B[b,k,j]`
(a rounded MUL, then a rounded ADD): program length 2K.
"""

from collections.abc import Sequence

import torch

from tribunal.repops.core import tensor_primitives as tp
from tribunal.repops.core.loop import ACC, LoopProgram, slot, step, tmp
from tribunal.repops.core.opdef import LoopOp, ShapeError, Shapes, Tensor
from tribunal.repops.core.opspec import OpKind, OpSpec, Shape
from tribunal.repops.core.primitives import POS_ZERO, Opcode

MATMUL_BODY = (step(Opcode.MUL, slot(0), slot(1)), step(Opcode.ADD, ACC, tmp(0)))


class MatmulOp(LoopOp):
    arity = 2

    def __init__(self, kind: OpKind) -> None:
        self.kind = kind
        self.transpose_a = kind is OpKind.MATMUL_AT
        self.transpose_b = kind is OpKind.MATMUL_BT

    def dims(self, shapes: Shapes) -> tuple[Shape, int, int, int]:
        """(batch shape, M, K, N) after checking the shapes."""
        a, b = shapes
        if len(a) < 2 or len(b) < 2 or a[:-2] != b[:-2]:
            raise ShapeError(
                f"{self.kind.name} needs A and B of rank >= 2 with equal leading dims, " f"got {a} and {b}"
            )
        m, ka = (a[-1], a[-2]) if self.transpose_a else (a[-2], a[-1])
        n, kb = (b[-2], b[-1]) if self.transpose_b else (b[-1], b[-2])
        if ka != kb:
            raise ShapeError(f"{self.kind.name}: contraction sizes differ ({ka} vs {kb}) in {a} {b}")
        if ka == 0:
            raise ShapeError(f"{self.kind.name}: contraction size must be >= 1")
        return a[:-2], m, ka, n

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        batch, m, _, n = self.dims(shapes)
        return (*batch, m, n)

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        _, _, k, _ = self.dims(shapes)
        return LoopProgram(trips=k, init=POS_ZERO, body=MATMUL_BODY)

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        _, m, kk, n = self.dims(shapes)
        batch, rest = divmod(element, m * n)
        i, j = divmod(rest, n)
        if slot == 0:
            inner = k * m + i if self.transpose_a else i * kk + k
            return batch * m * kk + inner
        inner = j * kk + k if self.transpose_b else k * n + j
        return batch * kk * n + inner

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        a, b = inputs
        if slot == 0:
            return a[..., k, :].unsqueeze(-1) if self.transpose_a else a[..., :, k : k + 1]
        return b[..., :, k].unsqueeze(-2) if self.transpose_b else b[..., k : k + 1, :]

    def execute_torch(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        """The pure-torch path (any device): one MUL and one ADD per k over all elements."""
        a, b = inputs
        self.output_shape(spec, (tuple(a.shape), tuple(b.shape)))
        a = a.transpose(-1, -2) if self.transpose_a else a
        b = b.transpose(-1, -2) if self.transpose_b else b
        a_columns = a.movedim(-1, 0).unsqueeze(-1).contiguous()
        b_rows = b.movedim(-2, 0).unsqueeze(-2).contiguous()
        acc = torch.zeros((*a.shape[:-2], a.shape[-2], b.shape[-1]), dtype=torch.float32, device=a.device)
        for k in range(a_columns.shape[0]):
            acc = torch.add(acc, torch.mul(a_columns[k], b_rows[k]))
        return tp.canonicalize(acc)
