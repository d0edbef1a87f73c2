"""What every op defines, and the two shapes most ops take (loops, elementwise).

An op definition answers, for a spec and the input shapes: the output shape, the
length of one output element's program, its i-th instruction (O(1)), and the
whole output computed with torch in exactly the programs' order.

Compiled CPU kernels are not part of this layer: a backend (`tribunal.repops.cpu`)
hands its planners to `install_cpu_backend`, and `OpDef.cpu_plan` dispatches to
the planner registered for the op's class.
"""

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from enum import IntEnum
from functools import lru_cache

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.repops.core import tensor_primitives as tp
from tribunal.repops.core.instructions import Instr
from tribunal.repops.core.loop import LoopProgram, RefKind, Step, resolve
from tribunal.repops.core.opspec import OpKind, OpSpec, Shape

Tensor = torch.Tensor
Shapes = tuple[Shape, ...]
ViewFn = Callable[[RefKind, int, int], Tensor]
"""(SLOT or LOOP_CONST, slot, k) -> that operand for every element, broadcastable."""


class ShapeError(ValueError):
    """The input shapes do not fit the op."""


def numel(shape: Shape) -> int:
    return math.prod(shape)


def f32_exact_count(count: int, what: str) -> float:
    """A count used as a float32 divisor must be exactly representable."""
    if not 0 < count <= 1 << 24:
        raise ShapeError(f"{what} = {count} must be in 1..2**24 to be an exact float32 divisor")
    return float(count)


class OpDef(ABC):
    """The definition of one op kind."""

    kind: OpKind
    arity: int = 0

    def input_count(self, spec: OpSpec) -> int:
        return self.arity

    def check_arity(self, spec: OpSpec, shapes: Shapes) -> None:
        expected = self.input_count(spec)
        if len(shapes) != expected:
            raise ShapeError(f"{self.kind.name} takes {expected} inputs, got {len(shapes)}")

    @abstractmethod
    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape: ...

    @abstractmethod
    def program_length(self, spec: OpSpec, shapes: Shapes, element: int) -> int: ...

    @abstractmethod
    def instruction(self, spec: OpSpec, shapes: Shapes, element: int, i: int) -> Instr: ...

    def execute(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        """The output: a compiled CPU kernel where one exists, else `execute_torch`."""
        if inputs and inputs[0].device.type == "cpu" and cpu_backend_available():
            out = self.execute_cpu(spec, inputs)
            if out is not None:
                return out
        return self.execute_torch(spec, inputs)

    def cpu_plan(self, spec: OpSpec, shapes: Shapes) -> "CpuPlan | None":
        """A function from the inputs (C-contiguous float32 numpy arrays of these
        shapes) to the output (a new float32 array, NaN-canonicalised) that runs the
        op's compiled CPU kernels; None where the op has none. Built once per (spec,
        shapes) and cached by `cpu_plan_for`; it validates the shapes (ShapeError).
        Built by the planner the installed CPU backend registered for this class."""
        for cls in type(self).__mro__:
            planner = _CPU_PLANNERS.get(cls)
            if planner is not None:
                return planner(self, spec, shapes)
        return None

    def execute_cpu(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor | None:
        """A compiled CPU kernel's output, or None where the op has none."""
        plan = cpu_plan_for(self, spec, tuple(tuple(t.shape) for t in inputs))
        if plan is None:
            return None
        return torch.from_numpy(plan(as_arrays(inputs)))

    @abstractmethod
    def execute_torch(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        """The torch implementation, on any device (the only one used on CUDA)."""


class LoopOp(OpDef):
    """An op whose element programs are one `LoopProgram` with per-element addresses."""

    @abstractmethod
    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram: ...

    @abstractmethod
    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        """Flat index into input `slot` read by `element` at iteration k."""

    def loop_const(self, spec: OpSpec, shapes: Shapes, element: int, k: int) -> int:
        raise NotImplementedError(f"{self.kind.name} has no loop constant")

    @abstractmethod
    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        """Input `slot`'s operand at iteration k for every element, broadcastable
        to the output shape."""

    def loop_const_view(self, spec: OpSpec, inputs: Sequence[Tensor], k: int) -> Tensor:
        raise NotImplementedError(f"{self.kind.name} has no loop constant")

    def program_length(self, spec: OpSpec, shapes: Shapes, element: int) -> int:
        return cached_loop_program(self, spec, shapes).length

    def instruction(self, spec: OpSpec, shapes: Shapes, element: int, i: int) -> Instr:
        program = cached_loop_program(self, spec, shapes)
        return resolve(
            program,
            i,
            lambda slot, k: self.address(spec, shapes, slot, element, k),
            lambda k: self.loop_const(spec, shapes, element, k),
        )

    def execute_torch(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        return self.execute_loop(spec, inputs)

    def execute_loop(self, spec: OpSpec, inputs: Sequence[Tensor]) -> Tensor:
        """The loop program evaluated step by step, vectorised over all elements."""
        shapes = tuple(tuple(t.shape) for t in inputs)
        out_shape = self.output_shape(spec, shapes)
        program = cached_loop_program(self, spec, shapes)
        return run_loop(program, out_shape, inputs[0], self.views(spec, inputs))

    def views(self, spec: OpSpec, inputs: Sequence[Tensor]) -> ViewFn:
        def view(ref_kind: RefKind, slot: int, k: int) -> Tensor:
            if ref_kind is RefKind.SLOT:
                return self.operand_view(spec, inputs, slot, k)
            return self.loop_const_view(spec, inputs, k)

        return view


CpuPlan = Callable[[Sequence[NDArray[np.float32]]], NDArray[np.float32]]
CpuPlanner = Callable[..., CpuPlan | None]
"""(op, spec, shapes) -> the op's CPU plan for those shapes, or None (see `OpDef.cpu_plan`);
`op` is an instance of the class the planner is registered for."""
MAX_CACHED_PLANS = 8192
_PLANS: dict[tuple[OpDef, OpSpec, Shapes], CpuPlan | None] = {}
_CPU_PLANNERS: dict[type[OpDef], CpuPlanner] = {}


def _no_cpu_backend() -> bool:
    return False


_cpu_available: Callable[[], bool] = _no_cpu_backend


def install_cpu_backend(available: Callable[[], bool], planners: Mapping[type[OpDef], CpuPlanner]) -> None:
    """Register a CPU backend: `available()` says whether its kernels can run here, and
    `planners[cls]` builds the plans of ops of class `cls` (or a subclass)."""
    global _cpu_available
    _cpu_available = available
    _CPU_PLANNERS.update(planners)
    _PLANS.clear()


def cpu_backend_available() -> bool:
    return _cpu_available()


def cpu_plan_for(definition: OpDef, spec: OpSpec, shapes: Shapes) -> CpuPlan | None:
    """`definition.cpu_plan(spec, shapes)`, cached (shapes may be torch.Size tuples)."""
    key = (definition, spec, shapes)
    try:
        return _PLANS[key]
    except KeyError:
        pass
    if not cpu_backend_available():
        return None
    plan = definition.cpu_plan(spec, tuple(tuple(int(d) for d in shape) for shape in shapes))
    if len(_PLANS) >= MAX_CACHED_PLANS:
        _PLANS.clear()
    _PLANS[key] = plan
    return plan


def as_array(t: Tensor) -> NDArray[np.float32]:
    """A C-contiguous numpy view (or copy) of a float32 CPU tensor."""
    if t.requires_grad:
        t = t.detach()
    if not t.is_contiguous():
        t = t.contiguous()
    return t.numpy()


def as_arrays(tensors: Sequence[Tensor]) -> list[NDArray[np.float32]]:
    """`as_array` of each (the common case, contiguous without grad, inlined)."""
    return [t.numpy() if not t.requires_grad and t.is_contiguous() else as_array(t) for t in tensors]


@lru_cache(maxsize=4096)
def cached_loop_program(op: LoopOp, spec: OpSpec, shapes: Shapes) -> LoopProgram:
    return op.loop_program(spec, shapes)


def _run_block(block: tuple[Step, ...], acc: Tensor, like: Tensor, view: ViewFn, k: int) -> Tensor:
    temps: list[Tensor] = []
    for st in block:
        operands: list[Tensor] = []
        for ref in st.refs:
            if ref.kind is RefKind.SLOT or ref.kind is RefKind.LOOP_CONST:
                operands.append(view(ref.kind, ref.value, k))
            elif ref.kind is RefKind.TMP:
                operands.append(temps[ref.value])
            elif ref.kind is RefKind.ACC:
                operands.append(acc)
            else:
                operands.append(tp.const_tensor(ref.value, like))
        temps.append(tp.apply_tensor(st.opcode, operands))
    return temps[-1]


def run_loop(program: LoopProgram, out_shape: Shape, like: Tensor, view: ViewFn) -> Tensor:
    """Evaluate a loop program for all elements at once, instruction by instruction."""
    acc = tp.const_tensor(program.init, like)
    for k in range(program.trips):
        acc = _run_block(program.body, acc, like, view, k)
    return finish_loop(program, acc, out_shape, like, view)


def _no_inputs(ref_kind: RefKind, slot: int, k: int) -> Tensor:
    raise ValueError("this epilogue reads no inputs")


def finish_loop(
    program: LoopProgram, acc: Tensor, out_shape: Shape, like: Tensor, view: ViewFn = _no_inputs
) -> Tensor:
    """Run the epilogue on the loop's result (computed here or by a kernel), canonicalise."""
    if program.epilogue:
        acc = _run_block(program.epilogue, acc, like, view, 0)
    out = torch.broadcast_to(acc, out_shape).contiguous()
    return tp.canonicalize(out)


class Role(IntEnum):
    """How an elementwise op's input maps onto output elements (output `(..., N)`)."""

    FULL = 0  # same shape as the output: address e
    ROW = 1  # shape = output.shape[:-1]: address e // N
    COLUMN = 2  # shape (N,): address e % N
    SCALAR = 3  # shape (): address 0


class ElementwiseOp(LoopOp):
    """An op whose element program reads each input at one address: no loop."""

    @abstractmethod
    def roles(self, spec: OpSpec) -> tuple[Role, ...]: ...

    @abstractmethod
    def steps(self, spec: OpSpec, shapes: Shapes) -> tuple[Step, ...]: ...

    def input_count(self, spec: OpSpec) -> int:
        return len(self.roles(spec))

    def output_shape(self, spec: OpSpec, shapes: Shapes) -> Shape:
        self.check_arity(spec, shapes)
        roles = self.roles(spec)
        out = shapes[0]
        expected = {
            Role.FULL: out,
            Role.ROW: out[:-1],
            Role.COLUMN: out[-1:],
            Role.SCALAR: (),
        }
        for index, (role, shape) in enumerate(zip(roles, shapes, strict=True)):
            if role in (Role.ROW, Role.COLUMN) and not out:
                raise ShapeError(f"{self.kind.name}: input 0 needs a last axis, got shape ()")
            if shape != expected[role]:
                raise ShapeError(
                    f"{self.kind.name}: input {index} has shape {shape}, expected "
                    f"{expected[role]} ({role.name.lower()} of input 0 {out})"
                )
        return out

    def loop_program(self, spec: OpSpec, shapes: Shapes) -> LoopProgram:
        self.output_shape(spec, shapes)
        return LoopProgram(trips=0, init=0, body=(), epilogue=self.steps(spec, shapes))

    def address(self, spec: OpSpec, shapes: Shapes, slot: int, element: int, k: int) -> int:
        role = self.roles(spec)[slot]
        if role is Role.FULL:
            return element
        if role is Role.SCALAR:
            return 0
        last = shapes[0][-1]
        return element // last if role is Role.ROW else element % last

    def operand_view(self, spec: OpSpec, inputs: Sequence[Tensor], slot: int, k: int) -> Tensor:
        role = self.roles(spec)[slot]
        x = inputs[slot]
        return x.unsqueeze(-1) if role is Role.ROW else x

    loop_const_is_column = False
    """Whether LOOP_CONST is the element's column index (the only one the CPU kernel knows)."""
