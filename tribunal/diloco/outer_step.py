"""The outer step as a RepOps step graph: a fixed-order average of the N shards' deltas, then
outer (Nesterov) momentum.

State slots, in order: the global parameters ``param.X`` (every parameter of the model, model
order), the outer momentum ``outer.momentum.param.X`` (trainable ones), then each shard's
parameters ``shard{i}.param.X`` (shard 0 first; trainable ones). For each trainable ``X``, in
model order, the nodes are::

    d_i   = θ − θ_i                    sub          i = 0 .. N−1
    s     = (((d_0 + d_1) + d_2) … )   add          left to right, shard order
    g     = s / N                      div by the constant N (float32)
    v'    = μ·v + g                    momentum(μ)
    u     = g + μ·v'                   scale(μ), add        (Nesterov; without it u = v')
    θ'    = θ − u·lr                   sgd(lr)

then the graph's scalar "loss" ``Σ_X mean((θ_X − θ'_X)²)`` (mse_loss per tensor, added in model
order): the size of the outer update, for logs. It is also the graph's ``output``. The shards'
slots (and frozen parameters) are held: their next value is an exact copy, so ``h_after``'s
leaves for them are the roots ``h_before`` had. The graph reads no dataset (its
``dataset_shape`` is :data:`NO_DATASET`) and has no ``BATCH_GATHER``, so its seed is inert.

The graph is built from a :class:`~tribunal.diloco.schedule.DilocoSchedule` or from a
:class:`~tribunal.spec.TaskSpec` with ``outer`` set (an outer step posted as a task: its model is
the schedule's, ``tribunal.models`` dispatches here); both give the same graph. Such a task's
initial state is read whole from its ``init`` file (:func:`outer_initial_state`).

As a one-step task it commits to ``h_before`` (the state root over the slots' tensor roots) and
``h_after`` (the root over its node outputs' roots), and every node can be disputed with the
existing levels, down to one float32 instruction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.commitments import state_commitment, trace_root
from tribunal.datasets import Dataset
from tribunal.diloco.schedule import DilocoSchedule
from tribunal.graph import Ref, Shape, StepGraph, validate_graph
from tribunal.models import check_trainable, initial_state, model_dims
from tribunal.models.builder import Constant, GraphBuilder, SlotDef
from tribunal.models.layout import parameter_layout
from tribunal.models.pretrained import PretrainedStateError, initial_values_from
from tribunal.repops import Opcode, ops
from tribunal.spec import OuterStep, TaskSpec
from tribunal.training import next_state, output_roots, reused_roots, run_step, slot_roots

OUTER_MOMENTUM_PREFIX = "outer.momentum."
NO_DATASET: Shape = (0,)
"""The outer step's ``dataset_shape``: it reads no dataset."""


def momentum_slot(name: str) -> str:
    return f"{OUTER_MOMENTUM_PREFIX}{name}"


def shard_slot(shard: int, name: str) -> str:
    return f"shard{shard}.{name}"


@dataclass(frozen=True)
class OuterLayout:
    """The model's parameters (every one, model order) and which of them train."""

    params: tuple[SlotDef, ...]
    trainable: tuple[SlotDef, ...]
    shards: int

    @property
    def global_slots(self) -> int:
        """Slots of the global state: parameters, then outer momentum."""
        return len(self.params) + len(self.trainable)

    def slots(self) -> list[SlotDef]:
        zero = Constant(0.0)
        return [
            *self.params,
            *(SlotDef(momentum_slot(p.name), p.shape, zero) for p in self.trainable),
            *(
                SlotDef(shard_slot(i, p.name), p.shape, zero)
                for i in range(self.shards)
                for p in self.trainable
            ),
        ]


OuterSource = DilocoSchedule | TaskSpec
"""What an outer step is built from: a schedule, or a task spec with ``outer`` set."""


def _task_and_step(source: OuterSource) -> tuple[TaskSpec, OuterStep]:
    if isinstance(source, DilocoSchedule):
        return source.task, source.outer
    if source.outer is None:
        raise ValueError("this task spec is no outer step: its outer is not set")
    return source, source.outer


def outer_layout(source: OuterSource, dataset: Dataset) -> OuterLayout:
    task, step = _task_and_step(source)
    params = parameter_layout(model_dims(task, dataset))
    check_trainable(task, params)
    trainable = tuple(p for p in params if task.is_trainable(p.name))
    return OuterLayout(tuple(params), trainable, step.shards)


def initial_global_state(schedule: DilocoSchedule, dataset: Dataset) -> list[NDArray[np.float32]]:
    """Round 0's global state, in slot order: the task's initial parameters (``initial_state``
    with the task's seed, so ``task.init`` applies), then a zero outer momentum."""
    layout = outer_layout(schedule, dataset)
    params = initial_state(schedule.task, dataset)[: len(layout.params)]
    return [*params, *(np.zeros(p.shape, np.float32) for p in layout.trainable)]


def outer_initial_state(spec: TaskSpec, dataset: Dataset) -> list[NDArray[np.float32]]:
    """An outer task's ``h_0`` state: every slot read from ``spec.init`` by its name, in slot
    order. PretrainedStateError names a slot the file lacks, a tensor that is no slot, or a shape
    that differs."""
    if spec.init is None:
        raise ValueError("an outer step reads its initial state from init, which is not set")
    slots = outer_layout(spec, dataset).slots()
    tensors = initial_values_from(spec.init)
    unknown = sorted(set(tensors) - {s.name for s in slots})
    if unknown:
        raise PretrainedStateError(f"tensors {unknown} name no slot of this outer step")
    values: list[NDArray[np.float32]] = []
    for slot in slots:
        if slot.name not in tensors:
            raise PretrainedStateError(f"the outer step's init file has no tensor {slot.name!r}")
        tensor = tensors[slot.name]
        if tuple(tensor.shape) != slot.shape:
            raise PretrainedStateError(
                f"tensor {slot.name!r} has shape {tuple(tensor.shape)}; the slot is {slot.shape}"
            )
        values.append(tensor)
    return values


def outer_step_graph(source: OuterSource, dataset: Dataset) -> StepGraph:
    """The outer step of ``source`` (formulas in the module docstring), validated."""
    task, step = _task_and_step(source)
    layout = outer_layout(source, dataset)
    b = GraphBuilder(layout.slots(), NO_DATASET, task.seed, task.is_trainable)
    n, mu, lr = step.shards, step.momentum, step.lr
    sizes: list[Ref] = []
    for p in layout.params:
        if not task.is_trainable(p.name):
            b.hold(p.name)
            continue
        theta = b.state(p.name)
        deltas = [
            b.add(ops.sub(), [theta, b.state(shard_slot(i, p.name))], f"outer.delta{i}.{p.name}")
            for i in range(n)
        ]
        total = deltas[0]
        for i in range(1, n):
            total = b.add(ops.add(), [total, deltas[i]], f"outer.delta_sum{i}.{p.name}")
        grad = b.add(ops.const_binary(Opcode.DIV, float(n)), [total], f"outer.grad.{p.name}")
        velocity = b.add(ops.momentum(mu), [b.state(momentum_slot(p.name)), grad], momentum_slot(p.name))
        b.write_state(momentum_slot(p.name), velocity)
        update = velocity
        if step.nesterov:
            ahead = b.add(ops.scale(mu), [velocity], f"outer.nesterov_scale.{p.name}")
            update = b.add(ops.add(), [grad, ahead], f"outer.nesterov.{p.name}")
        new = b.add(ops.sgd(lr), [theta, update], f"outer.update.{p.name}")
        b.write_state(p.name, new)
        sizes.append(b.add(ops.mse_loss(), [theta, new], f"outer.update_size.{p.name}"))
    for i in range(n):
        for p in layout.trainable:
            b.hold(shard_slot(i, p.name))
    loss = sizes[0]
    for k in range(1, len(sizes)):
        loss = b.add(ops.add(), [loss, sizes[k]], f"outer.update_size_sum{k}")
    graph = b.finish(loss, loss)
    validate_graph(graph)
    return graph


@dataclass
class OuterResult:
    """The outer step's outcome: the new global state (parameters then momentum, slot order)
    with its tensor roots, and its commitments as a one-step task."""

    state: list[NDArray[np.float32]]
    roots: list[bytes]
    before: bytes
    """``h_before``: root over the input slots' tensor roots."""
    after: bytes
    """``h_after``: root over the node outputs' roots."""
    update_size: float
    seconds: float

    @property
    def trace_root(self) -> bytes:
        return trace_root([self.before, self.after])

    @property
    def global_root(self) -> bytes:
        """The new global state's root: over the parameters' and momentum's tensor roots."""
        return state_commitment(self.roots)


def run_outer_step(
    graph: StepGraph,
    global_state: Sequence[NDArray[np.float32]],
    global_roots: Sequence[bytes],
    shard_params: Sequence[Sequence[NDArray[np.float32]]],
    shard_roots: Sequence[Sequence[bytes]],
    device: torch.device | None = None,
) -> OuterResult:
    """Run ``graph`` once. ``global_state``: parameters then momentum in slot order;
    ``shard_params[i]``: shard ``i``'s trainable parameters in model order; the roots alike."""
    began = time.perf_counter()
    device = device or torch.device("cpu")
    arrays = [*global_state, *(a for shard in shard_params for a in shard)]
    roots = [*global_roots, *(r for shard in shard_roots for r in shard)]
    if len(arrays) != len(graph.slots) or len(roots) != len(graph.slots):
        raise ValueError(f"the outer step has {len(graph.slots)} slots; got {len(arrays)} tensors")
    state = [torch.from_numpy(np.array(a, dtype=np.float32)).to(device) for a in arrays]
    outputs = run_step(graph, state, torch.empty(0, device=device), 0)
    leaves = output_roots(outputs, reused_roots(graph, state, roots, outputs))
    kept = len(global_state)
    new_state = [t.cpu().numpy() for t in next_state(graph, outputs)[:kept]]
    return OuterResult(
        state=new_state,
        roots=slot_roots(graph, leaves)[:kept],
        before=state_commitment(roots),
        after=state_commitment(leaves),
        update_size=float(outputs[graph.loss]),
        seconds=time.perf_counter() - began,
    )
