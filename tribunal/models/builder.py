"""Recording a step graph node by node, and the state slots it reads and writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import sqrt

from tribunal.graph import PARAM_PREFIX, Node, Ref, RefKind, Shape, StateSlot, StepGraph
from tribunal.repops import OpSpec, ops, output_shape


@dataclass(frozen=True)
class Uniform:
    """Initial values uniform in ``[-bound, bound)``."""

    bound: float


@dataclass(frozen=True)
class Constant:
    """Initial values all equal to ``value``."""

    value: float


Init = Uniform | Constant


@dataclass(frozen=True)
class SlotDef:
    """A state slot before the graph is built: its name, shape and initial values."""

    name: str
    shape: Shape
    init: Init


@dataclass(frozen=True)
class ForwardGraph:
    """A model's forward pass and loss over a whole dataset (its rows are the DATASET input):
    evaluation, not a training step, so it writes no state and is in no trace."""

    nodes: tuple[Node, ...]
    dataset_shape: Shape
    loss: int
    output: int


def _train_every(_: str) -> bool:
    return True


class GraphBuilder:
    """Appends nodes in execution order; every node's inputs exist when it is added.

    ``trainable(name)`` says which parameter slots train; the builder tracks which values depend
    on a trainable parameter (:meth:`requires_grad`) so a backward records only the gradients
    someone reads.
    """

    def __init__(
        self,
        slots: Sequence[SlotDef],
        dataset_shape: Shape,
        seed: int,
        trainable: Callable[[str], bool] = _train_every,
    ) -> None:
        self._slot_defs = tuple(slots)
        self._trainable = trainable
        self._requires_grad: list[bool] = []
        self._slot_index = {slot.name: j for j, slot in enumerate(self._slot_defs)}
        if len(self._slot_index) != len(self._slot_defs):
            raise ValueError("state slot names must be unique")
        self._producers: dict[int, int] = {}
        self._nodes: list[Node] = []
        self._dataset_shape = dataset_shape
        self._seed = seed

    def state(self, name: str) -> Ref:
        """The value of state slot ``name`` as this step reads it (from ``h_t``)."""
        return Ref(RefKind.STATE, self._slot_index[name])

    def trainable(self, name: str) -> bool:
        """Whether parameter slot ``name`` trains (frozen ones get no gradient and no update)."""
        return self._trainable(name)

    def requires_grad(self, ref: Ref) -> bool:
        """Whether ``ref``'s value depends on a trainable parameter, so its gradient is needed."""
        if ref.kind is RefKind.NODE:
            return self._requires_grad[ref.index]
        if ref.kind is RefKind.STATE:
            name = self._slot_defs[ref.index].name
            return name.startswith(PARAM_PREFIX) and self._trainable(name)
        return False

    @property
    def dataset(self) -> Ref:
        return Ref(RefKind.DATASET, 0)

    def shape(self, ref: Ref) -> Shape:
        if ref.kind is RefKind.NODE:
            return self._nodes[ref.index].shape
        if ref.kind is RefKind.STATE:
            return self._slot_defs[ref.index].shape
        return self._dataset_shape

    def add(self, op: OpSpec, inputs: Sequence[Ref], name: str) -> Ref:
        """Append a node running ``op`` on ``inputs``; its shape is the op's output shape."""
        shape = tuple(output_shape(op, [self.shape(ref) for ref in inputs]))
        index = len(self._nodes)
        self._nodes.append(Node(index, op, tuple(inputs), shape, name))
        self._requires_grad.append(any(self.requires_grad(ref) for ref in inputs))
        return Ref(RefKind.NODE, index)

    def write_state(self, name: str, value: Ref) -> None:
        """Make node ``value`` the next value of state slot ``name``."""
        j = self._slot_index[name]
        if value.kind is not RefKind.NODE:
            raise ValueError(f"state slot {name} must be written by a node of this step")
        if j in self._producers:
            raise ValueError(f"state slot {name} is written twice")
        self._producers[j] = value.index

    def forward_only(self, loss: Ref, output: Ref) -> ForwardGraph:
        """The nodes recorded so far as a forward pass that writes no state (evaluation)."""
        return ForwardGraph(nodes=tuple(self._nodes), dataset_shape=self._dataset_shape,
                            loss=loss.index, output=output.index)

    def hold(self, name: str) -> None:
        """Keep state slot ``name`` as it is: its next value is an exact copy of it (a frozen
        parameter). Training passes the tensor through and reuses its root
        (``tribunal.training.held_slots``)."""
        shape = self._slot_defs[self._slot_index[name]].shape
        self.write_state(name, self.add(ops.reshape(shape, shape), [self.state(name)], f"hold.{name}"))

    def finish(self, loss: Ref, output: Ref) -> StepGraph:
        missing = [s.name for j, s in enumerate(self._slot_defs) if j not in self._producers]
        if missing:
            raise ValueError(f"state slots never written by the step: {', '.join(missing)}")
        slots = tuple(StateSlot(s.name, s.shape, self._producers[j]) for j, s in enumerate(self._slot_defs))
        return StepGraph(
            nodes=tuple(self._nodes),
            slots=slots,
            dataset_shape=self._dataset_shape,
            seed=self._seed,
            loss=loss.index,
            output=output.index,
        )


def norm_slots(prefix: str, width: int) -> list[SlotDef]:
    """A layer norm's gain (ones) and bias (zeros)."""
    return [
        SlotDef(f"{prefix}.gain", (width,), Constant(1.0)),
        SlotDef(f"{prefix}.bias", (width,), Constant(0.0)),
    ]


def dense_slots(prefix: str, fan_in: int, fan_out: int) -> list[SlotDef]:
    """A dense layer's weight (uniform in ±1/sqrt(fan_in)) and bias (zeros)."""
    return [
        SlotDef(f"{prefix}.weight", (fan_in, fan_out), Uniform(1 / sqrt(fan_in))),
        SlotDef(f"{prefix}.bias", (fan_out,), Constant(0.0)),
    ]


EMBEDDING_BOUND = 0.5


def embedding_slots(vocab: int, context: int, width: int) -> list[SlotDef]:
    """A token embedding ``(vocab, width)`` and a learned position embedding, flat ``(context *
    width,)``, both uniform in ±EMBEDDING_BOUND."""
    return [
        SlotDef("param.tok_emb", (vocab, width), Uniform(EMBEDDING_BOUND)),
        SlotDef("param.pos_emb", (context * width,), Uniform(EMBEDDING_BOUND)),
    ]
