"""Every op kind's definition, and the functions the rest of Tribunal calls."""

from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.repops.core.instructions import Instr
from tribunal.repops.core.opdef import (
    MAX_CACHED_PLANS,
    CpuPlan,
    ElementwiseOp,
    OpDef,
    Shapes,
    as_array,
    cpu_backend_available,
    cpu_plan_for,
)
from tribunal.repops.core.opspec import OpKind, OpSpec, Shape
from tribunal.repops.cpu import plans as cpu_plans
from tribunal.repops.ops.elementwise import (
    AdamMomentOp,
    AdamUpdateOp,
    BinaryConstOp,
    BinaryOp,
    ExpOp,
    LnApplyOp,
    LnGradInputOp,
    LogOp,
    MomentumOp,
    MseGradOp,
    ReluGradOp,
    SgdOp,
    UnaryOp,
    XentGradOp,
)
from tribunal.repops.ops.layout import AffineGatherOp, BatchGatherOp, CausalMaskOp
from tribunal.repops.ops.linear import MatmulOp
from tribunal.repops.ops.reductions import (
    EmbeddingGradOp,
    EmbeddingOp,
    LnGradGainOp,
    LnGradStatsOp,
    LnRstdOp,
    MseLossOp,
    PickOp,
    ReduceOp,
)

cpu_plans.install()

OP_DEFS: dict[OpKind, OpDef] = {
    op.kind: op
    for op in (
        MatmulOp(OpKind.MATMUL),
        MatmulOp(OpKind.MATMUL_AT),
        MatmulOp(OpKind.MATMUL_BT),
        BinaryOp(),
        BinaryConstOp(),
        UnaryOp(),
        ReluGradOp(),
        ReduceOp(),
        ExpOp(),
        LogOp(),
        PickOp(),
        XentGradOp(),
        MseLossOp(),
        MseGradOp(),
        LnRstdOp(),
        LnApplyOp(),
        LnGradStatsOp(),
        LnGradInputOp(),
        LnGradGainOp(),
        SgdOp(),
        MomentumOp(),
        AdamMomentOp(OpKind.ADAM_M),
        AdamMomentOp(OpKind.ADAM_V),
        AdamUpdateOp(),
        AffineGatherOp(OpKind.COPY),
        EmbeddingOp(),
        EmbeddingGradOp(),
        CausalMaskOp(),
        BatchGatherOp(),
        AffineGatherOp(OpKind.GATHER_SUM),
    )
}
assert set(OP_DEFS) == set(OpKind), "every op kind needs a definition"


def op_def(spec: OpSpec) -> OpDef:
    return OP_DEFS[spec.kind]


def _shapes(shapes: Sequence[Sequence[int]]) -> Shapes:
    return tuple(tuple(int(d) for d in shape) for shape in shapes)


def input_count(spec: OpSpec) -> int:
    return op_def(spec).input_count(spec)


def output_shape(spec: OpSpec, shapes: Sequence[Sequence[int]]) -> Shape:
    """The output shape; raises ShapeError when the inputs do not fit the op."""
    return op_def(spec).output_shape(spec, _shapes(shapes))


def _check_element(spec: OpSpec, shapes: Shapes, element: int) -> None:
    count = 1
    for dim in op_def(spec).output_shape(spec, shapes):
        count *= dim
    if not 0 <= element < count:
        raise IndexError(f"element {element} out of range 0..{count - 1} for {spec.kind.name}")


def program_length(spec: OpSpec, shapes: Sequence[Sequence[int]], element: int) -> int:
    """Number of instructions of output element `element`'s program."""
    shapes_ = _shapes(shapes)
    _check_element(spec, shapes_, element)
    return op_def(spec).program_length(spec, shapes_, element)


def instruction(spec: OpSpec, shapes: Sequence[Sequence[int]], element: int, i: int) -> Instr:
    """Instruction i of output element `element`'s program, operands absolute (O(1))."""
    shapes_ = _shapes(shapes)
    _check_element(spec, shapes_, element)
    return op_def(spec).instruction(spec, shapes_, element, i)


def program(spec: OpSpec, shapes: Sequence[Sequence[int]], element: int) -> list[Instr]:
    shapes_ = _shapes(shapes)
    length = program_length(spec, shapes_, element)
    return [op_def(spec).instruction(spec, shapes_, element, i) for i in range(length)]


FLOAT32 = torch.float32
_BY_IDENTITY: dict[int, tuple[OpSpec, tuple[torch.Size, ...], CpuPlan | None]] = {}


def _cpu_arrays(inputs: Sequence[torch.Tensor]) -> list[NDArray[np.float32]] | None:
    """The inputs as C-contiguous numpy arrays if all are float32 CPU tensors, else None."""
    arrays = []
    for t in inputs:
        if t.dtype is not FLOAT32 or not t.is_cpu:
            return None
        arrays.append(t.numpy() if not t.requires_grad and t.is_contiguous() else as_array(t))
    return arrays or None


_CHAINS: dict[tuple[int, ...], tuple[tuple[OpSpec, ...], tuple[Shape, ...], cpu_plans.ChainPlan | None]] = {}


def execute_chain(
    specs: Sequence[OpSpec],
    bindings: Sequence[Sequence[tuple[str, int]]],
    inputs: Sequence[torch.Tensor],
) -> list[torch.Tensor] | None:
    """Several elementwise ops in one pass over memory (e.g. Adam's moment, second moment
    and update of one parameter): op j reads, slot by slot, the chain's input i
    (``("input", i)``) or an earlier op's output (``("output", j')``). Returns every
    op's output, with the bits that `execute` gives running the ops one by one, or None
    when no fused CPU plan applies (inputs not on the CPU, no compiled kernels, an input
    read by row or column): the caller then runs the ops one by one."""
    arrays = _cpu_arrays(inputs)
    if arrays is None or not specs:
        return None
    plan = cpu_chain_plan(specs, bindings, tuple(tuple(t.shape) for t in inputs))
    if plan is None:
        return None
    return [torch.from_numpy(out) for out in plan(arrays)]


def cpu_chain_plan(
    specs: Sequence[OpSpec], bindings: Sequence[Sequence[tuple[str, int]]], shapes: tuple[Shape, ...]
) -> cpu_plans.ChainPlan | None:
    """`execute_chain`'s cached CPU plan for inputs of these shapes (numpy arrays in, the ops'
    outputs out), or None when the chain does not run as one pass."""
    key = (*(id(spec) for spec in specs), len(specs))
    entry = _CHAINS.get(key)
    if entry is not None and all(a is b for a, b in zip(entry[0], specs, strict=True)) and entry[1] == shapes:
        return entry[2]
    definitions = [OP_DEFS[spec.kind] for spec in specs]
    plan = None
    if cpu_backend_available() and all(isinstance(d, ElementwiseOp) for d in definitions):
        chain = [(d, spec) for d, spec in zip(definitions, specs, strict=True)]
        plan = cpu_plans.chain_plan(chain, bindings, shapes)  # type: ignore[arg-type]
    if len(_CHAINS) >= MAX_CACHED_PLANS:
        _CHAINS.clear()
    _CHAINS[key] = (tuple(specs), shapes, plan)
    return plan


def cpu_plan(spec: OpSpec, shapes: tuple[Shape, ...]) -> CpuPlan | None:
    """The op's cached CPU plan for inputs of these shapes (numpy arrays in, the output out),
    or None where it has none (then `execute` runs its torch path)."""
    if not cpu_backend_available():
        return None
    return cpu_plan_for(OP_DEFS[spec.kind], spec, shapes)


def execute(spec: OpSpec, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
    """The op's output with torch, bit-exact with the interpreter on every element.

    Inputs must be float32 tensors on one device; they are detached and made
    contiguous (RepOps computes gradients as ops of its own, never by autograd).
    CPU inputs go straight to the op's cached CPU plan (compiled kernels) where it
    has one: a training step runs 30-160 small ops, so the per-call Python work
    is kept to a dictionary look-up and the array conversions.
    """
    arrays = _cpu_arrays(inputs)
    if arrays is not None:
        shapes = tuple(t.shape for t in inputs)
        # A graph runs the same spec objects every step: find their plan by identity
        # (hashing an OpSpec runs Python code); the entry keeps the spec alive, so
        # its id is not reused while the entry exists.
        entry = _BY_IDENTITY.get(id(spec))
        if entry is not None and entry[0] is spec and entry[1] == shapes:
            plan = entry[2]
        else:
            plan = cpu_plan_for(OP_DEFS[spec.kind], spec, shapes)
            if len(_BY_IDENTITY) >= MAX_CACHED_PLANS:
                _BY_IDENTITY.clear()
            _BY_IDENTITY[id(spec)] = (spec, shapes, plan)
        if plan is not None:
            return torch.from_numpy(plan(arrays))
    tensors = [t.detach().contiguous() for t in inputs]
    for index, t in enumerate(tensors):
        if t.dtype != torch.float32:
            raise TypeError(f"{spec.kind.name}: input {index} is {t.dtype}, RepOps takes float32")
    if len({t.device for t in tensors}) > 1:
        raise ValueError(f"{spec.kind.name}: inputs are on different devices")
    definition = op_def(spec)
    definition.check_arity(spec, _shapes([t.shape for t in tensors]))
    with torch.no_grad():
        return definition.execute(spec, tensors)
