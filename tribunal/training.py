"""Training with RepOps: run a spec's step graph step after step and commit to every state.

Step ``t`` reads the state committed in ``h_t``, runs the graph's nodes in order with the
ops' torch implementations (on CUDA when present), and ``h_{t+1}`` is the Merkle root over
the tensor roots of all its node outputs. The trace root is over ``h_0 .. h_S``; the model
hash is the content hash of the final checkpoint (``tribunal.checkpoints``).

A frozen parameter's slot is held: its producer copies it unchanged, so :func:`run_step` passes
the tensor through and its root, the same every step, is hashed once (:func:`reused_roots`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.checkpoints import Checkpoint, CheckpointStore
from tribunal.commitments import UNCOMMITTED, committed_step, state_commitment, tensor_root, trace_root
from tribunal.datasets import Dataset, batch_row_indices, load_dataset
from tribunal.device import pick_device
from tribunal.graph import PARAM_PREFIX, Ref, RefKind, StepGraph, node_inputs
from tribunal.models import build_step_graph, initial_state, model_dims, native, state_layout
from tribunal.repops import OpKind, execute, ops
from tribunal.repops.registry import cpu_chain_plan, cpu_plan
from tribunal.spec import Adam, Momentum, OptimizerConfig, TaskSpec, spec_hash


@dataclass(frozen=True)
class Progress:
    """Reported after each step: ``step`` steps are done."""

    step: int
    loss: float
    steps_per_second: float


ProgressCallback = Callable[[Progress], None]


def run_step(
    graph: StepGraph,
    state: Sequence[torch.Tensor],
    rows: torch.Tensor,
    step: int,
    tamper: Callable[[int, int, torch.Tensor], torch.Tensor] | None = None,
) -> list[torch.Tensor]:
    """Every node output of step ``step``, in node order (pure: no commitments, no I/O).

    ``state`` holds the tensors of ``h_step`` in slot order; ``rows`` the dataset's
    training rows on the same device. ``tamper(step, node, output)``, if given, may alter
    each output as it is made (fault injection for the Byzantine tests and demos).
    On the CPU (float32, contiguous) the step runs as a `CpuStepPlan` (Adam's nodes of a
    parameter as one pass); elsewhere, and with ``tamper``, node by node through `execute`.
    Both give the same bits.
    """
    if tamper is None and _on_cpu(state, rows):
        return cpu_step_plan(graph, state, rows).run(state, rows, step)
    held = held_slots(graph)
    outputs: list[torch.Tensor] = []
    for node in graph.nodes:
        if node.index in held and _copy_keeps_bits(state[held[node.index]]):
            held_output = state[held[node.index]]
            outputs.append(held_output if tamper is None else tamper(step, node.index, held_output))
            continue
        output = execute(graph.op_for_step(node, step), node_inputs(node, outputs, state, rows))
        outputs.append(output if tamper is None else tamper(step, node.index, output))
    return outputs


def _on_cpu(state: Sequence[torch.Tensor], rows: torch.Tensor) -> bool:
    """Whether a step can run as CPU plans over numpy views (float32, contiguous, no grad)."""
    return all(
        t.device.type == "cpu" and t.dtype == torch.float32 and t.is_contiguous() and not t.requires_grad
        for t in (*state, rows)
    )


class CpuStepPlan:
    """A graph's step on the CPU as a prebuilt list of compiled plans over numpy arrays.

    Each node's CPU plan (or an Adam chain's) is looked up once per graph and state shapes,
    not once per node per step: a step of the 10M transformer runs 700 nodes, and the
    per-call look-ups and tensor conversions of `execute` cost ~15 us each. The plans are
    the ones `execute` and `execute_chain` run, so the outputs are the same bits; a node
    without a CPU plan, the batch gather (its rows change every step) and a held slot
    whose tensor holds a NaN go through `execute` as in the general loop."""

    _PLAN, _CHAIN, _HELD, _EXECUTE = range(4)

    def __init__(self, graph: StepGraph, state: Sequence[torch.Tensor], rows: torch.Tensor) -> None:
        self.graph = graph
        self.signature = _signature(state, rows)
        held = held_slots(graph)
        chains = optimizer_chains(graph)
        slots = len(state)
        # values: [rows, state 0 .. S-1, node 0 .. N-1]; refs become indices into it
        shapes: list[tuple[int, ...]] = [tuple(rows.shape), *(tuple(t.shape) for t in state)]

        def index(ref: Ref) -> int:
            if ref.kind is RefKind.NODE:
                return 1 + slots + ref.index
            return 1 + ref.index if ref.kind is RefKind.STATE else 0

        entries: list[tuple[int, object, tuple[int, ...], int]] = []
        made = 0
        for node in graph.nodes:
            if node.index < made:
                continue
            chain = chains.get(node.index)
            if chain is not None and not any(i in held for i in chain.nodes):
                specs = [graph.nodes[i].op for i in chain.nodes]
                inputs = tuple(index(ref) for ref in chain.inputs)
                plan = cpu_chain_plan(specs, chain.bindings, tuple(shapes[i] for i in inputs))
                if plan is not None:
                    entries.append((self._CHAIN, plan, inputs, node.index))
                    shapes += [tuple(graph.nodes[i].shape) for i in chain.nodes]
                    made = node.index + len(chain.nodes)
                    continue
            inputs = tuple(index(ref) for ref in node.inputs)
            reads_rows = any(ref.kind is RefKind.DATASET for ref in node.inputs)
            node_plan = None if reads_rows else cpu_plan(node.op, tuple(shapes[i] for i in inputs))
            if node.index in held:
                entries.append((self._HELD, node_plan, inputs, node.index))
            elif node_plan is None:
                entries.append((self._EXECUTE, node, inputs, node.index))
            else:
                entries.append((self._PLAN, node_plan, inputs, node.index))
            shapes.append(tuple(node.shape))
            made = node.index + 1
        self.entries = entries
        self.held = held

    def run(self, state: Sequence[torch.Tensor], rows: torch.Tensor, step: int) -> list[torch.Tensor]:
        values: list[NDArray[np.float32]] = [rows.numpy(), *(t.numpy() for t in state)]
        tensors: dict[int, torch.Tensor] = {}  # node outputs that are tensors already

        def torch_inputs(inputs: tuple[int, ...]) -> list[torch.Tensor]:
            return [rows if i == 0 else torch.from_numpy(values[i]) for i in inputs]

        for kind, payload, inputs, node_index in self.entries:
            if kind == self._PLAN:
                values.append(payload([values[i] for i in inputs]))  # type: ignore[operator]
            elif kind == self._CHAIN:
                values.extend(payload([values[i] for i in inputs]))  # type: ignore[operator]
            elif kind == self._HELD and _copy_keeps_bits(state[self.held[node_index]]):
                tensors[node_index] = state[self.held[node_index]]
                values.append(values[1 + self.held[node_index]])
            else:
                node = self.graph.nodes[node_index]
                output = execute(self.graph.op_for_step(node, step), torch_inputs(inputs))
                tensors[node_index] = output
                values.append(output.numpy())
        first = 1 + len(state)
        return [
            tensors[i] if i in tensors else torch.from_numpy(values[first + i])
            for i in range(len(self.graph.nodes))
        ]


def _signature(state: Sequence[torch.Tensor], rows: torch.Tensor) -> tuple[tuple[int, ...], ...]:
    return (tuple(rows.shape), *(tuple(t.shape) for t in state))


_STEP_PLANS: dict[int, CpuStepPlan] = {}


def cpu_step_plan(graph: StepGraph, state: Sequence[torch.Tensor], rows: torch.Tensor) -> CpuStepPlan:
    """The graph's cached `CpuStepPlan` for state and rows of these shapes."""
    plan = _STEP_PLANS.get(id(graph))
    if plan is None or plan.graph is not graph or plan.signature != _signature(state, rows):
        plan = CpuStepPlan(graph, state, rows)
        if len(_STEP_PLANS) >= 16:
            _STEP_PLANS.clear()
        _STEP_PLANS[id(graph)] = plan
    return plan


@dataclass(frozen=True)
class NodeChain:
    """Consecutive nodes that one pass over memory computes (`repops.cpu_chain_plan`)."""

    nodes: tuple[int, ...]
    inputs: tuple[Ref, ...]
    bindings: tuple[tuple[tuple[str, int], ...], ...]


_ADAM = (OpKind.ADAM_M, OpKind.ADAM_V, OpKind.ADAM_UPDATE)
_ADAM_BINDINGS = (
    (("input", 0), ("input", 1)),  # m' = ADAM_M(m, g)
    (("input", 2), ("input", 1)),  # v' = ADAM_V(v, g)
    # w' = ADAM_UPDATE(w, m', v', beta1^t, beta2^t)
    (("input", 3), ("output", 0), ("output", 1), ("input", 4), ("input", 5)),
)
_CHAINS: dict[int, tuple[StepGraph, dict[int, NodeChain]]] = {}


def optimizer_chains(graph: StepGraph) -> dict[int, NodeChain]:
    """Adam's three nodes of each parameter (moment, second moment, update; consecutive in
    every graph `build_step_graph` makes), by the first one's index. Adam is bound by memory
    traffic, not arithmetic: one pass reads w, g, m, v and writes w', m', v' (7 arrays)
    where three ops read and write 10. The outputs are the same bits."""
    cached = _CHAINS.get(id(graph))
    if cached is not None and cached[0] is graph:
        return cached[1]
    chains: dict[int, NodeChain] = {}
    nodes = graph.nodes
    for first in range(len(nodes) - 2):
        m, v, u = nodes[first : first + 3]
        if (m.op.kind, v.op.kind, u.op.kind) != _ADAM or [len(n.inputs) for n in (m, v, u)] != [2, 2, 5]:
            continue
        made_here = (Ref(RefKind.NODE, m.index), Ref(RefKind.NODE, v.index))
        if m.inputs[1] != v.inputs[1] or u.inputs[1:3] != made_here:
            continue
        inputs = (m.inputs[0], m.inputs[1], v.inputs[0], u.inputs[0], u.inputs[3], u.inputs[4])
        if any(ref.kind is RefKind.NODE and ref.index >= m.index for ref in inputs):
            continue
        chains[first] = NodeChain((m.index, v.index, u.index), inputs, _ADAM_BINDINGS)
    if len(_CHAINS) >= 64:
        _CHAINS.clear()
    _CHAINS[id(graph)] = (graph, chains)
    return chains


def _copy_keeps_bits(tensor: torch.Tensor) -> bool:
    """Whether COPY's output is ``tensor`` bit for bit: it is unless a NaN (COPY writes the
    canonical NaN), which a frozen parameter never holds in an honest run."""
    return not bool(torch.isnan(tensor).any())


def next_state(graph: StepGraph, outputs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """The state of ``h_{t+1}``: each slot's producer output."""
    return [outputs[slot.producer] for slot in graph.slots]


def held_slots(graph: StepGraph) -> dict[int, int]:
    """Node index → slot index of each held slot (a frozen parameter): the slot's producer is an
    identity copy of the slot itself, so its output is the slot's ``h_0`` value at every step."""
    held: dict[int, int] = {}
    for j, slot in enumerate(graph.slots):
        node = graph.nodes[slot.producer]
        if node.inputs == (Ref(RefKind.STATE, j),) and node.op == ops.reshape(slot.shape, slot.shape):
            held[slot.producer] = j
    return held


def reused_roots(
    graph: StepGraph,
    state: Sequence[torch.Tensor],
    state_roots: Sequence[bytes | None],
    outputs: Sequence[torch.Tensor],
) -> dict[int, bytes]:
    """Node output roots known without hashing: a held node whose output is the very tensor of
    the slot it read (``run_step`` passes it through) has that slot's root in ``h_t``
    (``state_roots``, in slot order; None where not known). A tampered output is a new tensor
    and is hashed."""
    known: dict[int, bytes] = {}
    for i, j in held_slots(graph).items():
        root = state_roots[j]
        if outputs[i] is state[j] and root is not None:
            known[i] = root
    return known


def commit_step(
    graph: StepGraph,
    state: Sequence[torch.Tensor],
    state_roots: Sequence[bytes | None],
    outputs: Sequence[torch.Tensor],
    committed: bool,
) -> tuple[bytes, list[bytes] | None, list[bytes | None]]:
    """After a step (``outputs``, made from ``state`` whose slot roots are ``state_roots``): the
    trace leaf of the next state, its leaves, and its slot roots.

    A committed step (:func:`tribunal.commitments.committed_step`) hashes every node output
    (roots of held slots are reused); any other step hashes nothing: its leaf is
    ``UNCOMMITTED``, it has no leaves (None), and only held slots passed through keep a known
    root (None for the others, which the next committed step hashes)."""
    if committed:
        leaves = output_roots(outputs, reused_roots(graph, state, state_roots, outputs))
        return state_commitment(leaves), leaves, list(slot_roots(graph, leaves))
    carried: list[bytes | None] = [None] * len(graph.slots)
    for i, j in held_slots(graph).items():
        if outputs[i] is state[j]:
            carried[j] = state_roots[j]
    return UNCOMMITTED, None, carried


def slot_roots(graph: StepGraph, leaves: Sequence[bytes]) -> list[bytes]:
    """The roots of ``h_{t+1}``'s state tensors, in slot order, from step ``t``'s leaves."""
    return [leaves[slot.producer] for slot in graph.slots]


def output_roots(outputs: Sequence[torch.Tensor], known: Mapping[int, bytes] | None = None) -> list[bytes]:
    """Tensor root of each node output: the leaves of ``h_{t+1}``; ``known`` roots (by node
    index, :func:`reused_roots`) are taken as they are."""
    known = known or {}
    return [known[i] if i in known else tensor_root(t) for i, t in enumerate(outputs)]


def initial_commitment(state: Sequence[torch.Tensor | NDArray[np.float32]]) -> bytes:
    """``h_0``: Merkle root over the initial state's tensor roots, in slot order."""
    return state_commitment([tensor_root(t) for t in state])


@dataclass
class TrainResult:
    """A finished (or resumed and finished) run."""

    spec_hash: bytes
    graph: StepGraph
    state_commitments: list[bytes]
    """``h_0 .. h_S``."""
    final_state: list[NDArray[np.float32]]
    losses: dict[int, float]
    """Loss of each step run in this call (a resumed run lacks the earlier ones)."""
    checkpoints: dict[int, bytes] = field(default_factory=dict)
    """Step -> checkpoint content hash, for the checkpoints written in this call."""
    model_hash: bytes = b""
    captured: list[NDArray[np.float32]] | None = None
    """Every node output of ``capture_step``, when asked for."""

    @property
    def trace_root(self) -> bytes:
        return trace_root(self.state_commitments)


def train(
    spec: TaskSpec,
    *,
    dataset: Dataset | None = None,
    device: torch.device | None = None,
    store: CheckpointStore | None = None,
    resume: Checkpoint | None = None,
    capture_step: int | None = None,
    until: int | None = None,
    progress: ProgressCallback | None = None,
    tamper: Callable[[int, int, torch.Tensor], torch.Tensor] | None = None,
    spec_key: bytes | None = None,
) -> TrainResult:
    """Train ``spec`` with RepOps from ``h_0`` (or from ``resume``) up to step ``until``
    (default ``spec.steps``).

    ``tamper`` is `run_step`'s fault-injection hook (a cheating operator in demos and tests).

    The state is committed (hashed into the trace) at the committed steps only
    (:func:`tribunal.commitments.committed_step`: every ``spec.checkpoint_every`` steps and
    after step ``spec.steps``); the other trace leaves are ``UNCOMMITTED``. A checkpoint is
    made at every committed step; with a ``store`` each is saved there. The model hash is the
    content hash of the last checkpoint made (the final one for a whole run).

    Checkpoints name the task by ``spec_key``, by default the spec's hash (a DiLoCo task's is
    the chain's name of it: `tribunal.diloco.resolve`).
    """
    dataset = dataset or load_dataset(spec.dataset)
    device = device or pick_device()
    end = spec.steps if until is None else until
    if not 0 <= end <= spec.steps:
        raise ValueError(f"until must be 0..{spec.steps}, got {until}")
    graph = build_step_graph(spec, dataset)
    digest = spec_key if spec_key is not None else spec_hash(spec)
    roots: list[bytes | None]
    if resume is None:
        start, arrays = 0, initial_state(spec, dataset)
        roots = [tensor_root(a) for a in arrays]
        commitments = [state_commitment([r for r in roots if r is not None])]
        leaves: list[bytes] = []
    else:
        resume.check_against(digest, graph)
        start, arrays = resume.step, list(resume.state)
        commitments, leaves = list(resume.state_commitments), list(resume.leaves)
        roots = list(slot_roots(graph, leaves)) if leaves else [tensor_root(a) for a in arrays]
    if start > end:
        raise ValueError(f"the checkpoint is at step {start}, past step {end}")
    if capture_step is not None and not start <= capture_step < end:
        raise ValueError(f"capture_step must be {start}..{end - 1}, got {capture_step}")
    state = [torch.from_numpy(np.array(a, dtype=np.float32)).to(device) for a in arrays]
    rows = torch.from_numpy(np.array(dataset.rows)).to(device)
    result = TrainResult(digest, graph, commitments, [], {})
    began = time.perf_counter()
    checkpoint: Checkpoint | None = None
    for step in range(start, end):
        outputs = run_step(graph, state, rows, step, tamper=tamper)
        done = step + 1
        committed = committed_step(done, spec.steps, spec.checkpoint_every)
        leaf, new_leaves, roots = commit_step(graph, state, roots, outputs, committed)
        commitments.append(leaf)
        if new_leaves is not None:
            leaves = new_leaves
        state = next_state(graph, outputs)
        loss = float(outputs[graph.loss])
        result.losses[step] = loss
        if step == capture_step:
            result.captured = [t.cpu().numpy() for t in outputs]
        if committed:
            checkpoint = Checkpoint.make(digest, graph, done, state, commitments, leaves)
            result.checkpoints[done] = store.put(checkpoint) if store else checkpoint.content_hash
        if progress is not None:
            elapsed = time.perf_counter() - began
            progress(Progress(done, loss, (done - start) / elapsed if elapsed > 0 else 0.0))
    last_committed = committed_step(end, spec.steps, spec.checkpoint_every)
    if (checkpoint is None or checkpoint.step != end) and last_committed:
        checkpoint = Checkpoint.make(digest, graph, end, state, commitments, leaves)
    result.final_state = [t.cpu().numpy() for t in state]
    # a run stopped between committed steps has no checkpoint of its last state
    result.model_hash = checkpoint.content_hash if checkpoint is not None else b""
    return result


def replay_step(
    spec: TaskSpec,
    checkpoint: Checkpoint | None,
    step: int,
    *,
    dataset: Dataset | None = None,
    device: torch.device | None = None,
) -> list[NDArray[np.float32]]:
    """Every node output of ``step``, replayed from ``checkpoint`` (or from ``h_0``)."""
    result = train(spec, dataset=dataset, device=device, resume=checkpoint, capture_step=step, until=step + 1)
    assert result.captured is not None
    return result.captured


@dataclass
class NativeResult:
    """A native-torch run: final parameters by slot name, and each step's loss."""

    params: dict[str, NDArray[np.float32]]
    losses: dict[int, float]


def train_native(
    spec: TaskSpec,
    *,
    dataset: Dataset | None = None,
    device: torch.device | None = None,
    until: int | None = None,
    progress: ProgressCallback | None = None,
) -> NativeResult:
    """The same task with library kernels, autograd and ``torch.optim`` (no RepOps).

    Same initial state, batches and hyperparameters as :func:`train`; results agree with
    it up to rounding, which is what the accuracy comparison and the benchmark measure.
    """
    dataset = dataset or load_dataset(spec.dataset)
    device = device or pick_device()
    dims = model_dims(spec, dataset)
    layout = state_layout(spec, dataset)
    params = {
        slot.name: torch.tensor(value, device=device, requires_grad=spec.is_trainable(slot.name))
        for slot, value in zip(layout, initial_state(spec, dataset), strict=True)
        if slot.name.startswith(PARAM_PREFIX)
    }
    optimizer = native_optimizer(spec.optimizer, [p for p in params.values() if p.requires_grad])
    rows = torch.from_numpy(np.array(dataset.rows)).to(device)
    losses: dict[int, float] = {}
    began = time.perf_counter()
    end = spec.steps if until is None else until
    for step in range(end):
        index = batch_row_indices(spec.seed, step, spec.batch_size, dataset.num_rows)
        batch = rows[torch.tensor(index, device=device)]
        output = native.forward(dims, params, batch[:, : dims.num_features])
        loss = native.loss(dims, output, batch[:, dims.num_features :])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses[step] = float(loss.detach())
        if progress is not None:
            elapsed = time.perf_counter() - began
            progress(Progress(step + 1, losses[step], (step + 1) / elapsed if elapsed else 0.0))
    return NativeResult({n: p.detach().cpu().numpy() for n, p in params.items()}, losses)


def native_optimizer(config: OptimizerConfig, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    """torch.optim's SGD / heavy-ball SGD / Adam with the spec's float32 hyperparameters."""
    if isinstance(config, Momentum):
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)
    if isinstance(config, Adam):
        return torch.optim.Adam(params, lr=config.lr, betas=(config.beta1, config.beta2), eps=config.eps)
    return torch.optim.SGD(params, lr=config.lr)


def evaluate(
    spec: TaskSpec,
    params: dict[str, NDArray[np.float32]],
    *,
    dataset: Dataset | None = None,
    test: bool = True,
) -> float:
    """Accuracy (classes, tokens) or mean squared error (regression) of ``params`` on the
    dataset's test rows (or training rows), computed with the native forward."""
    dataset = dataset or load_dataset(spec.dataset)
    dims = model_dims(spec, dataset)
    rows = torch.from_numpy(np.array(dataset.test_rows if test else dataset.rows))
    weights = {name: torch.from_numpy(np.array(value)) for name, value in params.items()}
    with torch.no_grad():
        output = native.forward(dims, weights, rows[:, : dims.num_features])
        targets = rows[:, dims.num_features :]
        if dims.loss == "mse":
            return float(torch.mean((output - targets) ** 2))
        predicted = output.argmax(dim=-1)
        return float((predicted == targets.reshape(-1).long()).float().mean())


def param_arrays(graph: StepGraph, state: Sequence[NDArray[np.float32]]) -> dict[str, NDArray[np.float32]]:
    """The parameters of a state, by slot name."""
    return {graph.slots[j].name: state[j] for j in graph.param_slots}
