"""The step graph: the ordered nodes of one training step, their encoding and the graph root.

A step reads the state committed in ``h_t`` (parameters and optimizer state, in slot
order), draws its batch from the dataset, and runs the nodes in order; their outputs
commit to ``h_{t+1}``. Every step runs the same graph: the only per-step value, the
batch's dataset rows, is derived from the step number by ``BATCH_GATHER`` (see
``docs/protocol.md ("Step graph")``).

An input reference is a ``uint256``: the top byte says where the tensor comes from,
the rest says which one.

- ``NODE``    (0): ``index`` = an earlier node of this step.
- ``STATE``   (1): ``index = producer << 64 | slot``; the tensor is state slot ``slot``,
  proven against ``h_t`` at leaf ``slot`` when ``t = 0`` and at leaf ``producer`` (the
  node of step ``t-1`` that wrote it) when ``t >= 1``.
- ``DATASET`` (2): ``index`` = 0, the training rows committed by the dataset root.

A node's descriptor is ``abi.encode(uint256 index, uint8 opKind, uint256[] params,
uint256[] inputRefs, uint256[] shape)`` (signed params as int256 two's complement);
the graph root is ``keccak256(abi.encode(bytes32 nodesRoot, uint256 numNodes, uint256
numStateSlots))`` with ``nodesRoot`` the Merkle root over ``keccak256(descriptor)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from math import prod
from typing import TypeVar

from eth_abi import encode as abi_encode

from tribunal.datasets import batch_row_indices
from tribunal.merkle import keccak256, merkle_root
from tribunal.repops import OpKind, OpSpec, input_count, ops, output_shape

Shape = tuple[int, ...]

REF_KIND_SHIFT = 248
REF_INDEX_MASK = (1 << REF_KIND_SHIFT) - 1
PRODUCER_SHIFT = 64
SLOT_MASK = (1 << PRODUCER_SHIFT) - 1
UINT256 = 1 << 256
PARAM_PREFIX = "param."
"""State slots named with this prefix are model parameters; the others optimizer state."""


class RefKind(IntEnum):
    """Where a node input comes from. Numbers are part of the protocol."""

    NODE = 0
    STATE = 1
    DATASET = 2


@dataclass(frozen=True, slots=True)
class Ref:
    """A node input: an earlier node's output, a state slot, or the dataset."""

    kind: RefKind
    index: int

    def encode(self, graph: StepGraph) -> int:
        index = self.index
        if self.kind is RefKind.STATE:
            index = graph.slots[self.index].producer << PRODUCER_SHIFT | self.index
        return int(self.kind) << REF_KIND_SHIFT | index


@dataclass(frozen=True, slots=True)
class Node:
    """One op of the step. ``name`` is for people (logs, profiles); it is not encoded."""

    index: int
    op: OpSpec
    inputs: tuple[Ref, ...]
    shape: Shape
    name: str

    @property
    def numel(self) -> int:
        return prod(self.shape)


@dataclass(frozen=True, slots=True)
class StateSlot:
    """A state tensor: parameter or optimizer state. ``producer`` writes its next value."""

    name: str
    shape: Shape
    producer: int


@dataclass(frozen=True)
class StepGraph:
    """One training step. ``loss`` is the node holding the batch's mean loss (shape ``()``);
    ``output`` the model's prediction (logits or regression outputs)."""

    nodes: tuple[Node, ...]
    slots: tuple[StateSlot, ...]
    dataset_shape: Shape
    seed: int
    loss: int
    output: int

    @property
    def num_elements(self) -> int:
        """Float32 elements a step writes (the sum of all node outputs)."""
        return sum(node.numel for node in self.nodes)

    @property
    def param_slots(self) -> tuple[int, ...]:
        return tuple(j for j, slot in enumerate(self.slots) if slot.name.startswith(PARAM_PREFIX))

    def op_for_step(self, node: Node, step: int) -> OpSpec:
        """The op ``node`` runs at ``step``: the graph's op, with the step's batch rows bound
        when it is the batch gather."""
        if node.op.kind != OpKind.BATCH_GATHER:
            return node.op
        rows = batch_row_indices(self.seed, step, node.shape[0], self.dataset_shape[0])
        return ops.batch_gather(rows)


def _uint256(value: int) -> int:
    if not -(1 << 255) <= value < UINT256:
        raise ValueError(f"param {value} does not fit 256 bits")
    return value % UINT256


def descriptor_params(graph: StepGraph, node: Node) -> tuple[int, ...]:
    """The params a node commits to: the op's, except ``BATCH_GATHER``'s per-step rows,
    which are replaced by ``(seed, numRows)`` from which the chain re-derives them."""
    if node.op.kind == OpKind.BATCH_GATHER:
        return (graph.seed, graph.dataset_shape[0])
    return tuple(_uint256(p) for p in node.op.params)


def node_descriptor(graph: StepGraph, node: Node) -> bytes:
    """``abi.encode(uint256 index, uint8 opKind, uint256[] params, uint256[] inputRefs,
    uint256[] shape)``."""
    return abi_encode(
        ["uint256", "uint8", "uint256[]", "uint256[]", "uint256[]"],
        [
            node.index,
            int(node.op.kind),
            list(descriptor_params(graph, node)),
            [ref.encode(graph) for ref in node.inputs],
            list(node.shape),
        ],
    )


def node_leaf(graph: StepGraph, node: Node) -> bytes:
    """``keccak256(descriptor)``: the node's leaf in the graph's Merkle tree."""
    return keccak256(node_descriptor(graph, node))


def nodes_root(graph: StepGraph) -> bytes:
    return merkle_root([node_leaf(graph, node) for node in graph.nodes])


def graph_root(graph: StepGraph) -> bytes:
    """``keccak256(abi.encode(bytes32 nodesRoot, uint256 numNodes, uint256 numStateSlots))``."""
    return keccak256(
        abi_encode(
            ["bytes32", "uint256", "uint256"],
            [nodes_root(graph), len(graph.nodes), len(graph.slots)],
        )
    )


def input_shapes(graph: StepGraph, node: Node) -> list[Shape]:
    """Shapes of a node's inputs, in order."""
    return [ref_shape(graph, ref) for ref in node.inputs]


T = TypeVar("T")


def node_inputs(node: Node, outputs: Sequence[T], state: Sequence[T], rows: T) -> list[T]:
    """A node's input values, in order: earlier nodes' ``outputs``, ``state`` slots, or the
    dataset ``rows`` (tensors or arrays alike)."""
    return [
        outputs[ref.index]
        if ref.kind is RefKind.NODE
        else state[ref.index]
        if ref.kind is RefKind.STATE
        else rows
        for ref in node.inputs
    ]


def ref_shape(graph: StepGraph, ref: Ref) -> Shape:
    if ref.kind is RefKind.NODE:
        return graph.nodes[ref.index].shape
    if ref.kind is RefKind.STATE:
        return graph.slots[ref.index].shape
    return graph.dataset_shape


class GraphError(ValueError):
    """A step graph breaks one of the rules the dispute relies on."""


def validate_graph(graph: StepGraph) -> None:
    """Check the rules the dispute relies on; raise :class:`GraphError` naming the node.

    Nodes are numbered in order and only read earlier nodes (topological order), every
    input exists and has the shape the op expects, the declared output shape is the op's,
    and every state slot is written by exactly one node of the same shape.
    """
    for position, node in enumerate(graph.nodes):
        where = f"node {position} ({node.name})"
        if node.index != position:
            raise GraphError(f"{where} has index {node.index}; nodes must be numbered in order")
        if len(node.inputs) != input_count(node.op):
            raise GraphError(
                f"{where} has {len(node.inputs)} inputs; its op takes " f"{input_count(node.op)}"
            )
        for ref in node.inputs:
            _check_ref(graph, position, ref, where)
        op = graph.op_for_step(node, 0)
        expected = tuple(output_shape(op, input_shapes(graph, node)))
        if expected != node.shape:
            raise GraphError(f"{where} declares shape {node.shape}; its op gives {expected}")
    producers = [slot.producer for slot in graph.slots]
    if len(set(producers)) != len(producers):
        raise GraphError("two state slots name the same producer node")
    for j, slot in enumerate(graph.slots):
        if not 0 <= slot.producer < len(graph.nodes):
            raise GraphError(f"state slot {j} ({slot.name}) names no node as producer")
        if graph.nodes[slot.producer].shape != slot.shape:
            raise GraphError(
                f"state slot {j} ({slot.name}) has shape {slot.shape}; its producer node "
                f"{slot.producer} writes {graph.nodes[slot.producer].shape}"
            )
    if graph.nodes[graph.loss].shape != ():
        raise GraphError(f"loss node {graph.loss} must be a scalar")


def _check_ref(graph: StepGraph, position: int, ref: Ref, where: str) -> None:
    if ref.kind is RefKind.NODE and not 0 <= ref.index < position:
        raise GraphError(f"{where} reads node {ref.index}; only earlier nodes may be read")
    if ref.kind is RefKind.STATE and not 0 <= ref.index < len(graph.slots):
        raise GraphError(f"{where} reads state slot {ref.index} of {len(graph.slots)}")
    if ref.kind is RefKind.DATASET and ref.index != 0:
        raise GraphError(f"{where} reads dataset {ref.index}; there is one dataset (0)")


def decode_ref(value: int) -> tuple[RefKind, int, int | None]:
    """``(kind, index, producer)`` of an encoded input reference (producer only for STATE)."""
    kind = RefKind(value >> REF_KIND_SHIFT)
    index = value & REF_INDEX_MASK
    if kind is RefKind.STATE:
        return kind, index & SLOT_MASK, index >> PRODUCER_SHIFT
    return kind, index, None
