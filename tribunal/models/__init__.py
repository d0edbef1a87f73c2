"""Models as step graphs: MLP, a small CNN, a small decoder-only transformer and a BERT-style
encoder that classifies token sequences.

``state_layout`` lists the state slots (parameters, then the trainable ones' optimizer state),
``step_graph`` records one training step's nodes (``build_step_graph`` validates them), and
``initial_state`` draws the initial values (or reads a pretrained start, ``pretrained``).
A spec with ``outer`` set is a DiLoCo outer step of its model instead: the three dispatch to
``tribunal.diloco.outer_step`` (imported where used: that package builds on this one).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tribunal.datasets import Dataset
from tribunal.graph import PARAM_PREFIX, StepGraph, validate_graph
from tribunal.models.builder import GraphBuilder, SlotDef
from tribunal.models.dims import ModelDims, model_dims
from tribunal.models.init import initial_values
from tribunal.models.layers import Grads, columns
from tribunal.models.layout import MODELS, parameter_layout
from tribunal.models.losses import loss_nodes
from tribunal.models.optimizers import optimizer_slots, update_nodes
from tribunal.models.pretrained import apply_pretrained, initial_values_from
from tribunal.models.torch_module import TribunalModel, WeightsMismatch, to_torch
from tribunal.repops import ops
from tribunal.spec import TaskSpec, covers

__all__ = [
    "ModelDims", "SlotDef", "TribunalModel", "WeightsMismatch", "build_step_graph", "initial_state",
    "model_dims", "state_layout", "step_graph", "to_torch",
]


def state_layout(spec: TaskSpec, dataset: Dataset) -> list[SlotDef]:
    """Parameters in model order, then the optimizer's state of the trainable ones (an outer step:
    ``tribunal.diloco.outer_step.OuterLayout.slots``)."""
    if spec.outer is not None:
        from tribunal.diloco.outer_step import outer_layout

        return outer_layout(spec, dataset).slots()
    params = parameter_layout(model_dims(spec, dataset))
    check_trainable(spec, params)
    trainable = [p for p in params if spec.is_trainable(p.name)]
    return [*params, *optimizer_slots(spec.optimizer, trainable)]


def check_trainable(spec: TaskSpec, params: list[SlotDef]) -> None:
    """ValueError naming a ``trainable`` entry that matches none of the model's parameters."""
    for prefix in spec.trainable or ():
        if not any(covers(prefix, p.name) for p in params):
            names = ", ".join(p.name for p in params)
            raise ValueError(
                f"trainable entry {prefix!r} matches no parameter of this model; its parameters are {names}"
            )


def step_graph(spec: TaskSpec, dataset: Dataset) -> StepGraph:
    """Gather the batch, split features and targets, forward, loss, backward, update (an outer
    step: ``tribunal.diloco.outer_step.outer_step_graph``)."""
    if spec.outer is not None:
        from tribunal.diloco.outer_step import outer_step_graph

        return outer_step_graph(spec, dataset)
    dims = model_dims(spec, dataset)
    model = MODELS[spec.model.kind]
    slots = state_layout(spec, dataset)
    params = [slot for slot in slots if slot.name.startswith(PARAM_PREFIX)]
    b = GraphBuilder(slots, tuple(dataset.rows.shape), spec.seed, spec.is_trainable)
    # Placeholder rows: StepGraph.op_for_step binds each step's rows; the descriptor holds
    # (seed, numRows) instead.
    batch = b.add(ops.batch_gather(range(spec.batch_size)), [b.dataset], "batch")
    features = columns(b, batch, 0, dims.num_features, "batch.features", feature_shape(dims))
    targets = columns(b, batch, dims.num_features, dims.num_targets, "batch.targets", target_shape(dims))
    grads: Grads = {}
    output, backward = model.forward(b, dims, grads, features)
    loss, doutput = loss_nodes(b, dims, output, targets)
    backward(doutput)
    update_nodes(b, spec.optimizer, params, grads)
    return b.finish(loss, output)


def build_step_graph(spec: TaskSpec, dataset: Dataset) -> StepGraph:
    """The step graph of ``spec`` on ``dataset``, validated."""
    graph = step_graph(spec, dataset)
    validate_graph(graph)
    return graph


def feature_shape(dims: ModelDims) -> tuple[int, ...]:
    """Token models (transformer, encoder) read ids flat, ``(batch * context,)``; the others
    ``(batch, F)``."""
    if dims.config.kind in ("transformer", "encoder"):
        return (dims.batch * dims.num_features,)
    return (dims.batch, dims.num_features)


def target_shape(dims: ModelDims) -> tuple[int, ...]:
    """Cross-entropy reads class ids flat, ``(batch * targets,)``; MSE ``(batch, targets)``."""
    if dims.loss == "cross_entropy":
        return (dims.batch * dims.num_targets,)
    return (dims.batch, dims.num_targets)


def initial_state(spec: TaskSpec, dataset: Dataset) -> list[NDArray[np.float32]]:
    """The state ``h_0`` commits to: one float32 array per slot, in slot order. With ``spec.init``
    the parameters its safetensors file names take its values, read from this machine's artifact
    cache (ArtifactNotCached if it was never fetched: ``tribunal.tasks.fetch_task_inputs``). An outer
    step reads every slot from ``spec.init`` (``tribunal.diloco.outer_step.outer_initial_state``)."""
    if spec.outer is not None:
        from tribunal.diloco.outer_step import outer_initial_state

        return outer_initial_state(spec, dataset)
    slots = state_layout(spec, dataset)
    values = initial_values(slots, spec.seed)
    if spec.init is None:
        return values
    return apply_pretrained(slots, values, initial_values_from(spec.init))
