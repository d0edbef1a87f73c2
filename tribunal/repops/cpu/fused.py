"""Fused CPU kernels for loop-free ("elementwise") programs, generated from the steps.

An elementwise op's program is a fixed list of steps (`ElementwiseOp.steps`). This
module turns that list into the source of one numba function that evaluates the
whole program for every element in one pass: each step becomes one Python
statement on float32 scalars (`t3 = t1 * t2`), in the program's order, so the
compiled loop performs exactly the program's primitives, each rounded to
float32, with no fused multiply-add (numba compiles without fast-math; the tests
check the assembly) and no reordering. LLVM vectorises the loop across elements,
which changes nothing per element.

Semantics of each statement, matching `primitives.apply_bits` bit for bit:

- ADD SUB MUL DIV on two float32 values give a float32 (IEEE, round to nearest
  even; float32 division is correctly rounded like float64-then-float32);
  SQRT is `np.sqrt` of a float32 (correctly rounded); NEG flips the sign, ABS
  clears it, COPY copies;
- MAX `a if (a > b or a != a) else b`, MIN likewise with `<` (NaN if either is NaN);
- SELECT `a if c != 0 else b` (NaN counts as true); LT LE EQ give 1.0 or 0.0.

NaNs are replaced by the canonical NaN once, when the output is stored: whether a
primitive's result is NaN never depends on a NaN operand's payload or sign, and a
non-NaN result never depends on it either, so this equals canonicalising after
every step (the same argument the torch path uses).

Constants are not compiled in: they are read from an array argument, so one
compiled kernel serves every spec with the same program structure (e.g. Adam
with any learning rate). The generated source is written once to a file (named
by its hash) so that numba's `cache=True` can keep the machine code on disk.
"""

import hashlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import numpy as np
from numpy.typing import NDArray

from tribunal.native.build import first_usable_dir
from tribunal.repops.core.loop import RefKind, Step
from tribunal.repops.core.primitives import Opcode

GENERATOR_VERSION = 2
"""Bump when the generated source changes meaning (it is part of the file hash)."""

ROLE_FULL, ROLE_ROW, ROLE_COLUMN, ROLE_SCALAR = 0, 1, 2, 3
"""The values of `opdef.Role` (kept numeric here so this module has no torch import)."""

# A step with its operands made structural: ("slot", s), ("tmp", j), ("const", index
# into the constants array) or ("column", 0) (the element's column index as float32).
Operand = tuple[str, int]
StructStep = tuple[int, tuple[Operand, ...]]
Structure = tuple[tuple[StructStep, ...], tuple[int, ...]]

_BINARY_EXPR = {
    Opcode.ADD: "{0} + {1}",
    Opcode.SUB: "{0} - {1}",
    Opcode.MUL: "{0} * {1}",
    Opcode.DIV: "{0} / {1}",
    Opcode.MAX: "{0} if ({0} > {1} or {0} != {0}) else {1}",
    Opcode.MIN: "{0} if ({0} < {1} or {0} != {0}) else {1}",
    Opcode.LT: "ONE if {0} < {1} else ZERO",
    Opcode.LE: "ONE if {0} <= {1} else ZERO",
    Opcode.EQ: "ONE if {0} == {1} else ZERO",
}
_UNARY_EXPR = {
    Opcode.SQRT: "np.sqrt({0})",
    Opcode.NEG: "-{0}",
    Opcode.ABS: "abs({0})",
    Opcode.COPY: "{0}",
}


def structure(
    steps: Sequence[Step], roles: Sequence[int], column_const: bool
) -> tuple[Structure, NDArray[np.float32]] | None:
    """(structure, float32 constants) of a loop-free program, or None when it reads
    something a fused kernel cannot (ACC, or a LOOP_CONST that is not the column)."""
    const_bits: list[int] = []
    out_steps: list[StructStep] = []
    for st in steps:
        operands: list[Operand] = []
        for ref in st.refs:
            if ref.kind is RefKind.SLOT:
                operands.append(("slot", ref.value))
            elif ref.kind is RefKind.TMP:
                operands.append(("tmp", ref.value))
            elif ref.kind is RefKind.CONST:
                if ref.value not in const_bits:
                    const_bits.append(ref.value)
                operands.append(("const", const_bits.index(ref.value)))
            elif ref.kind is RefKind.LOOP_CONST and column_const:
                operands.append(("column", 0))
            else:
                return None
        out_steps.append((int(st.opcode), tuple(operands)))
    consts = np.array(const_bits, dtype=np.uint32).view(np.float32)
    if consts.size == 0:
        consts = np.zeros(1, dtype=np.float32)
    return (tuple(out_steps), tuple(int(r) for r in roles)), consts


def source(struct: Structure) -> str:
    """The Python source of the kernel `kernel(x0, ..., x{S-1}, consts, out)`.

    Slot arrays: FULL (rows, width), ROW (rows,), COLUMN (width,), SCALAR ();
    out (rows, width). Every statement is one primitive of the program, in order.
    """
    steps, roles = struct
    slots = [f"x{s}" for s in range(len(roles))]
    used_consts = sorted({v for _, ops in steps for kind, v in ops if kind == "const"})
    uses_column = any(kind == "column" for _, ops in steps for kind, _ in ops)

    def name(operand: Operand) -> str:
        kind, value = operand
        if kind == "slot":
            return f"v{value}"
        if kind == "tmp":
            return f"t{value}"
        if kind == "const":
            return f"k{value}"
        return "col"

    lines = [
        f'"""Generated by tribunal.repops.cpu.fused (version {GENERATOR_VERSION}); do not edit."""',
        "import numpy as np",
        "",
        "ONE = np.float32(1.0)",
        "ZERO = np.float32(0.0)",
        "CANONICAL_NAN = np.array([0x7FC00000], dtype=np.uint32).view(np.float32)[0]",
        "",
        "",
        f"def kernel({', '.join([*slots, 'consts', 'out'])}):",
        "    rows = out.shape[0]",
        "    width = out.shape[1]",
    ]
    lines += [f"    k{i} = consts[{i}]" for i in used_consts]
    lines += [f"    v{s} = x{s}[()]" for s, role in enumerate(roles) if role == ROLE_SCALAR]
    lines.append("    for r in range(rows):")
    lines += [f"        v{s} = x{s}[r]" for s, role in enumerate(roles) if role == ROLE_ROW]
    lines.append("        for c in range(width):")
    body = "            "
    for s, role in enumerate(roles):
        if role == ROLE_FULL:
            lines.append(f"{body}v{s} = x{s}[r, c]")
        elif role == ROLE_COLUMN:
            lines.append(f"{body}v{s} = x{s}[c]")
    if uses_column:
        lines.append(f"{body}col = np.float32(c)")
    for index, (opcode, operands) in enumerate(steps):
        args = [name(o) for o in operands]
        op = Opcode(opcode)
        if op is Opcode.SELECT:
            expr = f"{args[1]} if {args[0]} != ZERO else {args[2]}"
        elif op in _UNARY_EXPR:
            expr = _UNARY_EXPR[op].format(*args)
        else:
            expr = _BINARY_EXPR[op].format(*args)
        lines.append(f"{body}t{index} = {expr}")
    last = f"t{len(steps) - 1}"
    lines.append(f"{body}out[r, c] = {last} if {last} == {last} else CANONICAL_NAN")
    return "\n".join(lines) + "\n"


Binding = tuple[str, int]
"""Where a chained program's slot comes from: ("input", i) the chain's i-th input, or
("output", j) the output of the chain's j-th program (an earlier one)."""
ChainStructure = tuple[
    tuple[Structure, ...], tuple[tuple[Binding, ...], ...], tuple[int, ...], tuple[int, ...]
]
"""(each program's structure, each program's slot bindings, each chain input's role, each
program's offset into the concatenated constants)."""


def chain_source(chain: ChainStructure) -> str:
    """The Python source of `kernel(x0, ..., x{I-1}, consts, out0, ..., out{P-1})`, which
    evaluates several loop-free programs per element in one pass: program j's statements
    are exactly those `source` writes for it alone, in order, and a slot bound to an
    earlier program's output reads that output as it is stored (NaN canonicalised), so
    every output has the bits of running the programs one after another. Inputs are FULL
    (rows, width) or SCALAR (); outputs (rows, width)."""
    structs, bindings, input_roles, offsets = chain
    if any(role not in (ROLE_FULL, ROLE_SCALAR) for role in input_roles):
        raise ValueError("a chain reads its inputs whole or as scalars")
    inputs = [f"x{i}" for i in range(len(input_roles))]
    outputs = [f"out{j}" for j in range(len(structs))]
    lines = [
        f'"""Generated by tribunal.repops.cpu.fused (chain, version {GENERATOR_VERSION}); do not edit."""',
        "import numpy as np",
        "",
        "ONE = np.float32(1.0)",
        "ZERO = np.float32(0.0)",
        "CANONICAL_NAN = np.array([0x7FC00000], dtype=np.uint32).view(np.float32)[0]",
        "",
        "",
        f"def kernel({', '.join([*inputs, 'consts', *outputs])}):",
        "    rows = out0.shape[0]",
        "    width = out0.shape[1]",
    ]
    used = sorted(
        {
            offsets[j] + v
            for j, (steps, _) in enumerate(structs)
            for _, ops in steps
            for kind, v in ops
            if kind == "const"
        }
    )
    lines += [f"    k{i} = consts[{i}]" for i in used]
    lines += [f"    v{i} = x{i}[()]" for i, role in enumerate(input_roles) if role == ROLE_SCALAR]
    lines.append("    for r in range(rows):")
    lines.append("        for c in range(width):")
    body = "            "
    lines += [f"{body}v{i} = x{i}[r, c]" for i, role in enumerate(input_roles) if role == ROLE_FULL]
    for j, (steps, roles) in enumerate(structs):
        if len(bindings[j]) != len(roles):
            raise ValueError(f"program {j} has {len(roles)} slots, {len(bindings[j])} bindings")

        def name(operand: Operand, j: int = j) -> str:
            kind, value = operand
            if kind == "slot":
                source_kind, index = bindings[j][value]
                if source_kind == "input":
                    return f"v{index}"
                if source_kind == "output" and index < j:
                    return f"o{index}"
                raise ValueError(f"program {j} slot {value}: bad binding {bindings[j][value]}")
            if kind == "tmp":
                return f"p{j}t{value}"
            if kind == "const":
                return f"k{offsets[j] + value}"
            raise ValueError("a chained program may not read the column index")

        for index, (opcode, operands) in enumerate(steps):
            args = [name(o) for o in operands]
            op = Opcode(opcode)
            if op is Opcode.SELECT:
                expr = f"{args[1]} if {args[0]} != ZERO else {args[2]}"
            elif op in _UNARY_EXPR:
                expr = _UNARY_EXPR[op].format(*args)
            else:
                expr = _BINARY_EXPR[op].format(*args)
            lines.append(f"{body}p{j}t{index} = {expr}")
        last = f"p{j}t{len(steps) - 1}"
        lines.append(f"{body}o{j} = {last} if {last} == {last} else CANONICAL_NAN")
        lines.append(f"{body}out{j}[r, c] = o{j}")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=64)
def chain_kernel(chain: ChainStructure) -> Callable[..., None]:
    """The njit-compiled kernel of `chain_source` (lazily compiled on first call)."""
    import numba

    module = _module_for(chain_source(chain))
    compiled: Callable[..., None] = numba.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")(
        module.kernel
    )
    return compiled


def _kernel_dirs() -> list[tuple[Path, bool]]:
    """Candidate directories, each with whether it must be private to this user."""
    configured = os.environ.get("TRIBUNAL_REPOPS_KERNEL_DIR")
    if configured:
        return [(Path(configured), False)]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return [
        (Path(__file__).resolve().parent / "__pycache__" / "compiled", False),
        (Path(tempfile.gettempdir()) / f"tribunal-repops-compiled-{uid}", True),
    ]


@lru_cache(maxsize=1)
def kernel_dir() -> Path:
    """Where generated kernel sources, numba's cache of them and the built C
    extension go: `$TRIBUNAL_REPOPS_KERNEL_DIR` if set, else the package's
    `__pycache__/compiled` (git-ignored) if writable, else a private per-user
    directory in the temp dir. Raises OSError when none is usable (RepOps then
    runs its torch implementations)."""
    return first_usable_dir(_kernel_dirs())


def _module_for(text: str) -> ModuleType:
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    name = f"tribunal_repops_fused_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    path = kernel_dir() / f"{name}.py"
    if not path.exists() or path.read_text() != text:
        # Written once, atomically; never rewritten (numba's cache keys on the mtime).
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def compile_fused(struct: Structure, *, cache: bool = True) -> Callable[..., None]:
    """The njit-compiled kernel for a structure (lazily compiled on first call)."""
    import numba

    module = _module_for(source(struct))
    compiled: Callable[..., None] = numba.njit(cache=cache, fastmath=False, nogil=True, error_model="numpy")(
        module.kernel
    )
    return compiled


@lru_cache(maxsize=512)
def fused_kernel(struct: Structure) -> Callable[..., None]:
    return compile_fused(struct)


def sample_arguments(struct: Structure, rows: int = 3, width: int = 8) -> tuple[NDArray[np.float32], ...]:
    """Small arguments of the right types (to compile a kernel and inspect it)."""
    _, roles = struct
    shapes = {ROLE_FULL: (rows, width), ROLE_ROW: (rows,), ROLE_COLUMN: (width,), ROLE_SCALAR: ()}
    arrays = [np.ones(shapes[role], dtype=np.float32) for role in roles]
    consts = np.ones(max(1, len(struct[0]) * 3), dtype=np.float32)
    return (*arrays, consts, np.empty((rows, width), dtype=np.float32))
