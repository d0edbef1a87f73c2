"""Recording a step graph node by node, and the state slots it reads and writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tribunal.graph import Node, Ref, RefKind, Shape, StateSlot, StepGraph
from tribunal.repops import OpSpec, output_shape


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


class GraphBuilder:
    """Appends nodes in execution order; every node's inputs exist when it is added."""

    def __init__(self, slots: Sequence[SlotDef], dataset_shape: Shape, seed: int) -> None:
        self._slot_defs = tuple(slots)
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
        return Ref(RefKind.NODE, index)

    def write_state(self, name: str, value: Ref) -> None:
        """Make node ``value`` the next value of state slot ``name``."""
        j = self._slot_index[name]
        if value.kind is not RefKind.NODE:
            raise ValueError(f"state slot {name} must be written by a node of this step")
        if j in self._producers:
            raise ValueError(f"state slot {name} is written twice")
        self._producers[j] = value.index

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
