"""Test vectors for the Solidity port of the element programs (`contracts/src/lib/Programs.sol`).

The dispute's one step re-derives instruction ``i`` of output element ``e`` of a node on-chain
from the node's op kind, its committed params, the input and output shape words and (for
``BATCH_GATHER``) the step number. This module asks `tribunal.repops.registry` for the program
length and the instruction at many random specs, shapes, elements and instruction indexes of
every op kind, and writes them where `contracts/test/programs/Programs.t.sol` checks the
library bit for bit.

`python -m tools.generate.program_vectors` writes `vectors/programs.json` (`--check`: exit 1
if it is stale). The file is deterministic (fixed seed); `tests/repops/test_program_vectors.py`
regenerates it and compares, so it cannot drift from the Python. Format:

    {"version": 1, "generator": ..., "operandKinds": {"INPUT": 0, ...},
     "cases": [{"name": "MATMUL", "modelSized": false, "opKind": 1, "params": ["…"],
                "inputShapes": [[2, 3], …],
                "inputShapeWords": ["0x…"], "outShape": [...], "outShapeWord": "0x…",
                "step": "0"}, …],
     "probes": [{"caseIndex": 0, "element": 5, "length": 6, "index": 3, "opcode": 1,
                 "operands": [kind, a, b, kind, a, b]}, …]}

`params` are what the node descriptor commits (`tribunal.graph.descriptor_params`: signed
values as uint256 two's complement; BATCH_GATHER's ``(seed, numRows)``), as decimal strings;
`step` too. `modelSized` marks the one case per kind at a small model's sizes (the others are
small random ones). A probe's `operands` are the instruction's operands flattened, three numbers each.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable, Sequence
from functools import partial

from tools.generate import VECTORS_DIR, Outputs, generator_main
from tribunal.commitments import shape_word
from tribunal.datasets.batching import UINT256_MAX
from tribunal.graph import Node, StepGraph, descriptor_params
from tribunal.repops import ops, registry
from tribunal.repops.core.instructions import Instr, OperandKind
from tribunal.repops.core.opdef import numel
from tribunal.repops.core.opspec import Broadcast, OpKind, OpSpec, Shape
from tribunal.repops.core.primitives import ARITY, NEG_INF, Opcode, f32_to_bits
from tribunal.repops.ops.layout import AffineMap

SEED = 20261122
DEFAULT_PATH = VECTORS_DIR / "programs.json"

CASES_PER_KIND = 8
"""Random small cases per op kind; one more at realistic model sizes follows them."""
RANDOM_ELEMENTS = 6
RANDOM_INDEXES = 4
FULL_PROGRAM_MAX = 12
"""Programs up to this long are probed at every instruction."""

BINARY_OPCODES = tuple(op for op in Opcode if ARITY[op] == 2)
UNARY_OPCODES = tuple(op for op in Opcode if ARITY[op] == 1)

Case = tuple[OpSpec, list[Shape], tuple[int, ...], int]
"""(the op as Python runs it, input shapes, the params the chain sees, step)."""


def _dims(rng: random.Random, rank: int, low: int = 1, high: int = 4) -> Shape:
    return tuple(rng.randint(low, high) for _ in range(rank))


def _float_bits(rng: random.Random) -> int:
    special = (0.0, -0.0, 1.0, float("inf"), float("-inf"), float("nan"))
    if rng.random() < 0.2:
        return f32_to_bits(rng.choice(special))
    return f32_to_bits(rng.uniform(-4.0, 4.0) * 2.0 ** rng.randint(-20, 20))


def _chain_params(spec: OpSpec, shapes: Sequence[Shape]) -> tuple[int, ...]:
    """What the node descriptor commits for `spec` (one-node graph, `tribunal.graph`)."""
    node = Node(0, spec, (), registry.output_shape(spec, shapes), "probe")
    return descriptor_params(_graph(node, ()), node)


def _graph(node: Node, dataset_shape: Shape, seed: int = 0) -> StepGraph:
    return StepGraph(nodes=(node,), slots=(), dataset_shape=dataset_shape, seed=seed, loss=0, output=0)


def _plain(spec: OpSpec, shapes: Sequence[Shape]) -> Case:
    shapes = [tuple(s) for s in shapes]
    return spec, shapes, _chain_params(spec, shapes), 0


# ---------------------------------------------------------------- one random case per kind


def _matmul(kind: OpKind) -> Callable[[random.Random], Case]:
    builder = {OpKind.MATMUL: ops.matmul, OpKind.MATMUL_AT: ops.matmul_at, OpKind.MATMUL_BT: ops.matmul_bt}[
        kind
    ]

    def make(rng: random.Random) -> Case:
        batch = _dims(rng, rng.randint(0, 3), 1, 3)
        m, k, n = rng.randint(1, 5), rng.randint(1, 6), rng.randint(1, 5)
        a = (k, m) if kind is OpKind.MATMUL_AT else (m, k)
        b = (n, k) if kind is OpKind.MATMUL_BT else (k, n)
        return _plain(builder(), [batch + a, batch + b])

    return make


def _binary(rng: random.Random) -> Case:
    broadcast = rng.choice(list(Broadcast))
    rank = rng.randint(0 if broadcast in (Broadcast.SAME, Broadcast.SCALAR) else 1, 4)
    x = _dims(rng, rank)
    y = {Broadcast.SAME: x, Broadcast.COLUMN: x[-1:], Broadcast.ROW: x[:-1], Broadcast.SCALAR: ()}[broadcast]
    return _plain(ops.binary(rng.choice(BINARY_OPCODES), broadcast), [x, y])


def _binary_const(rng: random.Random) -> Case:
    spec = OpSpec(OpKind.BINARY_CONST, (int(rng.choice(BINARY_OPCODES)), _float_bits(rng), rng.randint(0, 1)))
    return _plain(spec, [_dims(rng, rng.randint(0, 3))])


def _unary(rng: random.Random) -> Case:
    return _plain(ops.unary(rng.choice(UNARY_OPCODES)), [_dims(rng, rng.randint(0, 3))])


def _same_shapes(builder: Callable[[], OpSpec], count: int) -> Callable[[random.Random], Case]:
    def make(rng: random.Random) -> Case:
        x = _dims(rng, rng.randint(0, 3))
        return _plain(builder(), [x] * count)

    return make


def _reduce(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(1, 4))
    start = rng.randint(0, len(x) - 1)
    stop = rng.randint(start + 1, len(x))
    opcode = rng.choice((Opcode.ADD, Opcode.MAX, Opcode.MIN))
    mean = opcode is Opcode.ADD and rng.random() < 0.5
    return _plain(OpSpec(OpKind.REDUCE, (int(opcode), start, stop, int(mean))), [x])


def _unary_fixed(builder: Callable[[], OpSpec]) -> Callable[[random.Random], Case]:
    def make(rng: random.Random) -> Case:
        return _plain(builder(), [_dims(rng, rng.randint(0, 3), 1, 3)])

    return make


def _pick(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(1, 3))
    return _plain(ops.pick(), [x, x[:-1]])


def _xent_grad(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(1, 3))
    return _plain(ops.xent_grad(), [x, x[:-1], x[:-1]])


def _mse_loss(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(0, 3))
    return _plain(ops.mse_loss(), [x, x])


def _ln_rstd(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(1, 3), 1, 5)
    return _plain(OpSpec(OpKind.LN_RSTD, (_float_bits(rng),)), [x, x[:-1]])


def _ln_apply(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(1, 3))
    return _plain(ops.ln_apply(), [x, x[:-1], x[:-1], x[-1:], x[-1:]])


def _ln_grad_stats(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(1, 3))
    return _plain(ops.ln_grad_stats(rng.randint(0, 1)), [x, x, x[:-1], x[:-1], x[-1:]])


def _ln_grad_input(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(1, 3))
    row = x[:-1]
    return _plain(ops.ln_grad_input(), [x, x, row, row, x[-1:], row, row])


def _ln_grad_gain(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(1, 3))
    return _plain(ops.ln_grad_gain(), [x, x, x[:-1], x[:-1]])


def _with_float_params(kind: OpKind, count: int, inputs: int) -> Callable[[random.Random], Case]:
    def make(rng: random.Random) -> Case:
        x = _dims(rng, rng.randint(0, 3))
        return _plain(OpSpec(kind, tuple(_float_bits(rng) for _ in range(count))), [x] * inputs)

    return make


def _adam_update(rng: random.Random) -> Case:
    x = _dims(rng, rng.randint(0, 3))
    spec = OpSpec(OpKind.ADAM_UPDATE, (_float_bits(rng), _float_bits(rng)))
    return _plain(spec, [x, x, x, (), ()])


def _copy(rng: random.Random) -> Case:
    """Every COPY builder, and dense random affine maps (negative coefficients, divisors)."""
    choice = rng.randrange(6)
    if choice == 0:
        shape = _dims(rng, rng.randint(1, 5), 1, 3)
        perm = list(range(len(shape)))
        rng.shuffle(perm)
        return _plain(ops.transpose(shape, perm), [shape])
    if choice == 1:
        shape = _dims(rng, rng.randint(0, 3))
        count = numel(shape)
        new = (count,) if rng.random() < 0.5 else (1, count)
        return _plain(ops.reshape(shape, new), [shape])
    if choice == 2:
        b, c, h, w = 1, rng.randint(1, 2), rng.randint(2, 5), rng.randint(2, 5)
        kernel = rng.randint(1, min(h, w, 3))
        stride, pad = rng.randint(1, 2), rng.randint(0, 2)
        return _plain(ops.im2col(b, c, h, w, kernel, stride, pad), [(b, c, h, w)])
    if choice == 3:
        b, t, heads, dh = rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)
        return _plain(ops.split_heads(b, t, heads, dh), [(b, t, heads * dh)])
    if choice == 4:
        b, t, heads, dh = rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)
        return _plain(ops.merge_heads(b, t, heads, dh), [(b, heads, t, dh)])
    amap, shape = _random_map(rng, loop_rank=0)
    return _plain(ops.affine_copy(amap), [shape])


def _random_map(rng: random.Random, loop_rank: int) -> tuple[AffineMap, Shape]:
    """A dense map and an input shape it fits: out rank up to 7, input rank up to 7,
    coefficients in -2..2, offsets in -3..3, divisors 1..3, so many elements read padding."""
    out_view = _dims(rng, rng.randint(1, 7 - loop_rank), 1, 3)
    loop_view = _dims(rng, loop_rank, 1, 3)
    in_view = _dims(rng, rng.randint(1, 7), 1, 4)
    width = len(out_view) + len(loop_view)
    coef = tuple(tuple(rng.choice((-2, -1, 0, 0, 1, 1, 2)) for _ in range(width)) for _ in in_view)
    offset = tuple(rng.randint(-3, 3) for _ in in_view)
    div = tuple(rng.choice((1, 1, 2, 3)) for _ in in_view)
    out_shape = out_view if rng.random() < 0.5 else (numel(out_view),)
    in_shape = in_view if rng.random() < 0.5 else (numel(in_view),)
    return AffineMap(out_view, loop_view, in_view, coef, offset, div, out_shape), in_shape


def _gather_sum(rng: random.Random) -> Case:
    if rng.random() < 0.5:
        b, c, h, w = 1, rng.randint(1, 2), rng.randint(2, 5), rng.randint(2, 5)
        kernel = rng.randint(1, min(h, w, 3))
        stride, pad = rng.randint(1, 2), rng.randint(0, 2)
        oh = ops.conv_out_size(h, kernel, stride, pad)
        ow = ops.conv_out_size(w, kernel, stride, pad)
        return _plain(ops.col2im(b, c, h, w, kernel, stride, pad), [(b * oh * ow, c * kernel * kernel)])
    amap, shape = _random_map(rng, loop_rank=rng.randint(1, 3))
    return _plain(ops.gather_sum(amap), [shape])


def _embedding(rng: random.Random) -> Case:
    ids = _dims(rng, rng.randint(0, 3))
    return _plain(ops.embedding(), [ids, (rng.randint(1, 6), rng.randint(1, 4))])


def _embedding_grad(rng: random.Random) -> Case:
    ids = _dims(rng, rng.randint(0, 3))
    return _plain(ops.embedding_grad(rng.randint(1, 6)), [ids, ids + (rng.randint(1, 4),)])


def _causal_mask(rng: random.Random) -> Case:
    t = rng.randint(1, 5)
    fill = f32_to_bits(0.0) if rng.random() < 0.5 else NEG_INF
    return _plain(OpSpec(OpKind.CAUSAL_MASK, (fill,)), [_dims(rng, rng.randint(0, 2), 1, 3) + (t, t)])


def _batch_gather(rng: random.Random) -> Case:
    dataset = (rng.randint(1, 9),) + _dims(rng, rng.randint(0, 2), 1, 4)
    seed = rng.getrandbits(256) if rng.random() < 0.5 else rng.randint(0, 1000)
    step = rng.choice((0, 1, rng.randint(2, 10_000), rng.getrandbits(256)))
    return _gather_case(dataset, rng.randint(1, 5), seed, step)


def _gather_case(dataset: Shape, batch: int, seed: int, step: int) -> Case:
    """The graph commits (seed, numRows); the rows of `step` come from the dataset batching."""
    node = Node(0, ops.batch_gather([0] * batch), (), (batch,) + dataset[1:], "batch")
    graph = _graph(node, dataset, seed)
    return graph.op_for_step(node, step), [dataset], descriptor_params(graph, node), step


MAKERS: dict[OpKind, Callable[[random.Random], Case]] = {
    OpKind.MATMUL: _matmul(OpKind.MATMUL),
    OpKind.MATMUL_AT: _matmul(OpKind.MATMUL_AT),
    OpKind.MATMUL_BT: _matmul(OpKind.MATMUL_BT),
    OpKind.BINARY: _binary,
    OpKind.BINARY_CONST: _binary_const,
    OpKind.UNARY: _unary,
    OpKind.RELU_GRAD: _same_shapes(ops.relu_grad, 2),
    OpKind.REDUCE: _reduce,
    OpKind.EXP: _unary_fixed(ops.exp),
    OpKind.LOG: _unary_fixed(ops.log),
    OpKind.PICK: _pick,
    OpKind.XENT_GRAD: _xent_grad,
    OpKind.MSE_LOSS: _mse_loss,
    OpKind.MSE_GRAD: _same_shapes(ops.mse_grad, 2),
    OpKind.LN_RSTD: _ln_rstd,
    OpKind.LN_APPLY: _ln_apply,
    OpKind.LN_GRAD_STATS: _ln_grad_stats,
    OpKind.LN_GRAD_INPUT: _ln_grad_input,
    OpKind.LN_GRAD_GAIN: _ln_grad_gain,
    OpKind.SGD: _with_float_params(OpKind.SGD, 1, 2),
    OpKind.MOMENTUM: _with_float_params(OpKind.MOMENTUM, 1, 2),
    OpKind.ADAM_M: _with_float_params(OpKind.ADAM_M, 2, 2),
    OpKind.ADAM_V: _with_float_params(OpKind.ADAM_V, 2, 2),
    OpKind.ADAM_UPDATE: _adam_update,
    OpKind.COPY: _copy,
    OpKind.EMBEDDING: _embedding,
    OpKind.EMBEDDING_GRAD: _embedding_grad,
    OpKind.CAUSAL_MASK: _causal_mask,
    OpKind.BATCH_GATHER: _batch_gather,
    OpKind.GATHER_SUM: _gather_sum,
}


def _realistic(rng: random.Random, kind: OpKind) -> Case:
    """One case of `kind` at the sizes a small model trains with (an MLP on MNIST, a CNN on
    CIFAR, a small transformer), for large indexes and for the gas figures."""
    batch, seq, width = 8, 64, 256
    tokens = (batch, seq)
    x = (batch, seq, width)
    if kind in (OpKind.MATMUL, OpKind.MATMUL_AT, OpKind.MATMUL_BT):
        m, k, n = 64, 784, 256
        a = (k, m) if kind is OpKind.MATMUL_AT else (m, k)
        b = (n, k) if kind is OpKind.MATMUL_BT else (k, n)
        return _plain(OpSpec(kind), [a, b])
    if kind is OpKind.BINARY:
        return _plain(ops.bias_add(), [x, (width,)])
    if kind is OpKind.BINARY_CONST:
        return _plain(ops.relu(), [x])
    if kind is OpKind.UNARY:
        return _plain(ops.sqrt(), [x])
    if kind is OpKind.REDUCE:
        return _plain(ops.reduce_mean(2, 3), [x])
    if kind in (OpKind.PICK, OpKind.XENT_GRAD):
        logits = (batch * seq, 1000)
        shapes = [logits, (batch * seq,)] if kind is OpKind.PICK else [logits, (batch * seq,), (batch * seq,)]
        return _plain(OpSpec(kind), shapes)
    if kind in (OpKind.MSE_LOSS, OpKind.MSE_GRAD):
        return _plain(OpSpec(kind), [(64, 10), (64, 10)])
    if kind is OpKind.LN_RSTD:
        return _plain(ops.ln_rstd(), [x, tokens])
    if kind is OpKind.LN_APPLY:
        return _plain(ops.ln_apply(), [x, tokens, tokens, (width,), (width,)])
    if kind is OpKind.LN_GRAD_STATS:
        return _plain(ops.ln_grad_stats(1), [x, x, tokens, tokens, (width,)])
    if kind is OpKind.LN_GRAD_INPUT:
        return _plain(ops.ln_grad_input(), [x, x, tokens, tokens, (width,), tokens, tokens])
    if kind is OpKind.LN_GRAD_GAIN:
        return _plain(ops.ln_grad_gain(), [x, x, tokens, tokens])
    if kind is OpKind.SGD:
        return _plain(ops.sgd(0.01), [(784, 256)] * 2)
    if kind is OpKind.MOMENTUM:
        return _plain(ops.momentum(0.9), [(784, 256)] * 2)
    if kind is OpKind.ADAM_M:
        return _plain(ops.adam_m(0.9), [(784, 256)] * 2)
    if kind is OpKind.ADAM_V:
        return _plain(ops.adam_v(0.999), [(784, 256)] * 2)
    if kind is OpKind.ADAM_UPDATE:
        return _plain(ops.adam_update(1e-3), [(784, 256)] * 3 + [(), ()])
    if kind is OpKind.COPY:
        return _plain(ops.im2col(batch, 3, 32, 32, 3, 1, 1), [(batch, 3, 32, 32)])
    if kind is OpKind.GATHER_SUM:
        return _plain(ops.col2im(batch, 3, 32, 32, 3, 1, 1), [(batch * 32 * 32, 27)])
    if kind is OpKind.EMBEDDING:
        return _plain(ops.embedding(), [tokens, (1000, width)])
    if kind is OpKind.EMBEDDING_GRAD:
        return _plain(ops.embedding_grad(1000), [tokens, x])
    if kind is OpKind.CAUSAL_MASK:
        return _plain(ops.causal_mask(), [(batch, 4, seq, seq)])
    if kind is OpKind.BATCH_GATHER:
        return _gather_case((60_000, 785), 64, rng.getrandbits(256), rng.randint(0, 100_000))
    return MAKERS[kind](rng)  # EXP, LOG, RELU_GRAD: sizes do not change their programs


# ---------------------------------------------------------------- probes


def _reads_padding(spec: OpSpec, shapes: Sequence[Shape], element: int) -> bool:
    instr = registry.instruction(spec, shapes, element, 0)
    return instr.opcode is Opcode.COPY and instr.operands[0].kind is OperandKind.CONST


def _elements(rng: random.Random, spec: OpSpec, shapes: Sequence[Shape]) -> list[int]:
    count = numel(registry.output_shape(spec, shapes))
    chosen = {0, count - 1} | {rng.randrange(count) for _ in range(RANDOM_ELEMENTS)}
    if spec.kind in (OpKind.COPY, OpKind.CAUSAL_MASK):
        # both sides of a padding or mask boundary
        scan = range(min(count, 256))
        padded = [e for e in scan if _reads_padding(spec, shapes, e)]
        kept = [e for e in scan if not _reads_padding(spec, shapes, e)]
        chosen |= set(rng.sample(padded, min(2, len(padded)))) | set(rng.sample(kept, min(2, len(kept))))
    return sorted(chosen)


def _indexes(rng: random.Random, length: int, exhaustive: bool) -> list[int]:
    if exhaustive or length <= FULL_PROGRAM_MAX:
        return list(range(length))
    picks = {0, 1, 2, length - 2, length - 1} | {rng.randrange(length) for _ in range(RANDOM_INDEXES)}
    return sorted(picks)


def _operands(instr: Instr) -> list[int]:
    return [value for operand in instr.operands for value in (int(operand.kind), operand.a, operand.b)]


def _case_record(
    spec: OpSpec, shapes: Sequence[Shape], params: Sequence[int], step: int, model_sized: bool
) -> dict:
    out = registry.output_shape(spec, shapes)
    return {
        "name": spec.kind.name,
        "modelSized": model_sized,
        "opKind": int(spec.kind),
        "params": [str(p) for p in params],
        "inputShapes": [list(s) for s in shapes],
        "inputShapeWords": ["0x" + shape_word(s).hex() for s in shapes],
        "outShape": list(out),
        "outShapeWord": "0x" + shape_word(out).hex(),
        "step": str(step),
    }


def generate() -> dict[str, object]:
    rng = random.Random(SEED)
    cases: list[dict] = []
    probes: list[dict] = []
    for kind in OpKind:
        makers = [(MAKERS[kind], False)] * CASES_PER_KIND + [(partial(_realistic, kind=kind), True)]
        for make, model_sized in makers:
            spec, shapes, params, step = make(rng)
            if not 0 <= step <= UINT256_MAX:
                raise ValueError(f"step {step} does not fit a uint256")
            case_index = len(cases)
            cases.append(_case_record(spec, shapes, params, step, model_sized))
            for element_number, element in enumerate(_elements(rng, spec, shapes)):
                length = registry.program_length(spec, shapes, element)
                # the fixed EXP/LOG tables are checked whole on one element of each case
                exhaustive = kind in (OpKind.EXP, OpKind.LOG) and element_number == 0
                for i in _indexes(rng, length, exhaustive):
                    instr = registry.instruction(spec, shapes, element, i)
                    probes.append(
                        {
                            "caseIndex": case_index,
                            "element": element,
                            "length": length,
                            "index": i,
                            "opcode": int(instr.opcode),
                            "operands": _operands(instr),
                        }
                    )
    return {
        "version": 1,
        "generator": "python -m tools.generate.program_vectors",
        "seed": SEED,
        "operandKinds": {kind.name: int(kind) for kind in OperandKind},
        "opKinds": {kind.name: int(kind) for kind in OpKind},
        "cases": cases,
        "probes": probes,
    }


def render(document: dict[str, object]) -> str:
    """JSON with one case or probe per line, so diffs stay readable."""
    head = {k: v for k, v in document.items() if k not in ("cases", "probes")}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, separators=(', ', ': '))},")
    for key in ("cases", "probes"):
        rows = document[key]
        assert isinstance(rows, list)
        lines.append(f'  "{key}": [')
        lines.extend(
            "    " + json.dumps(row, separators=(", ", ": ")) + ("," if n + 1 < len(rows) else "")
            for n, row in enumerate(rows)
        )
        lines.append("  ]," if key == "cases" else "  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def outputs() -> Outputs:
    return {DEFAULT_PATH: render(generate()).encode()}


main = generator_main("tools.generate.program_vectors", __doc__, outputs)

if __name__ == "__main__":
    sys.exit(main())
