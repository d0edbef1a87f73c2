"""Availability challenges: a state tensor cut into chunks, and everything the three parties compute.

The protocol's one home for chunks (``docs/protocol.md``, "Availability challenges"; issue #19):

- **Layout.** A float32 tensor with ``L = ceil(numel / 8)`` leaves (its tensor root's leaves) has
  ``ceil(L / C)`` chunks for the deploy parameter ``C = CHUNK_LEAVES`` (a power of two, 1..4096).
  Chunk ``c`` is leaves ``[c·C, min(c·C + C, L))``, 32 bytes each exactly as they enter the data
  tree (the last leaf's unused lanes zero). Its *root* is the node at height
  ``h = min(log2 C, depth(L))``, index ``c``, of the data tree: the chunk's leaves padded with zero
  leaves to exactly ``2^h`` (not to the next power of two of its own leaf count). Its *proof* is the
  ``depth(L) - h`` siblings of that node up to the data root, bottom-up.
- **Challenger** (:func:`slot_proof`, :func:`chunk_mask`): proves the named slot's shape from
  ``h_0`` and its producer from the step graph, and names chunks as ``(firstChunk, mask)`` pairs.
- **Operator** (:func:`build_delivery`): sends the named chunks of the state tensor of ``h_t`` with
  their proofs, the tensor's data root under ``h_t`` and ``h_t`` under the trace root.
- **Reader** (:func:`rebuild_tensor`, :func:`rebuild_state`): puts a tensor back together from
  chunks offered by several sources (files of other parties, chunks delivered on-chain), keeping
  only what hashes to the committed tensor root.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from math import prod
from typing import TYPE_CHECKING, Final

import numpy as np
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from numpy.typing import NDArray

from tribunal.commitments import (
    TensorLike,
    as_float32_array,
    bind_shape,
    num_leaves_for,
    pack_leaves,
    shape_word,
    state_commitment,
    state_proof,
    tensor_bytes,
    tensor_data_root,
    tensor_root,
    trace_proof,
)
from tribunal.graph import (
    PRODUCER_SHIFT,
    REF_INDEX_MASK,
    REF_KIND_SHIFT,
    SLOT_MASK,
    RefKind,
    StepGraph,
    node_descriptor,
    node_leaf,
)
from tribunal.merkle import (
    HASH_SIZE,
    MerkleTree,
    hash_pair,
    keccak256,
    process_proof,
    tree_depth,
    verify_proof,
    zero_hash,
)

if TYPE_CHECKING:
    from tribunal.checkpoints import Checkpoint

MAX_CHUNK_LEAVES: Final[int] = 4096
DEFAULT_CHUNK_LEAVES: Final[int] = 64
"""The default deploy parameter: 64 leaves, 2 KiB, 512 float32 per chunk."""
MASK_BITS: Final[int] = 256
"""Chunks one ``(firstChunk, mask)`` pair can name: the bits of a ``uint256``."""
MAX_COMBINATIONS: Final[int] = 4096
"""Most choices :func:`rebuild_tensor` tries when sources disagree on several chunks."""

_F32: Final[np.dtype[np.float32]] = np.dtype("<f4")

ChunkMap = Mapping[int, bytes]
"""Chunk index -> chunk data, what one source offers of one tensor."""


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------


def check_chunk_leaves(chunk_leaves: int) -> int:
    """``chunk_leaves`` itself if it is a power of two in ``1..4096``; ValueError otherwise."""
    if not 1 <= chunk_leaves <= MAX_CHUNK_LEAVES or chunk_leaves & (chunk_leaves - 1):
        raise ValueError(
            f"chunk_leaves must be a power of two in 1..{MAX_CHUNK_LEAVES}, got {chunk_leaves}"
        )
    return chunk_leaves


def num_chunks(num_leaves: int, chunk_leaves: int) -> int:
    """``ceil(num_leaves / chunk_leaves)``: 0 for a tensor with no elements."""
    check_chunk_leaves(chunk_leaves)
    if num_leaves < 0:
        raise ValueError(f"a tensor cannot have {num_leaves} leaves")
    return -(-num_leaves // chunk_leaves)


def chunk_height(num_leaves: int, chunk_leaves: int) -> int:
    """``min(log2(chunk_leaves), depth(num_leaves))``: the height of chunk roots in the data tree."""
    check_chunk_leaves(chunk_leaves)
    return min(chunk_leaves.bit_length() - 1, tree_depth(num_leaves))


def chunk_length(num_leaves: int, chunk: int, chunk_leaves: int) -> int:
    """Bytes of chunk ``chunk``'s data: ``32 · min(C, L - c·C)``."""
    _check_chunk_index(chunk, num_leaves, chunk_leaves)
    return HASH_SIZE * min(chunk_leaves, num_leaves - chunk * chunk_leaves)


def _check_chunk_index(chunk: int, num_leaves: int, chunk_leaves: int) -> None:
    count = num_chunks(num_leaves, chunk_leaves)
    if not 0 <= chunk < count:
        raise ValueError(
            f"chunk {chunk} is outside 0..{count - 1} ({num_leaves} leaves, {chunk_leaves} per chunk)"
        )


def _check_packed(packed_leaves: bytes) -> int:
    if len(packed_leaves) % HASH_SIZE:
        raise ValueError(f"packed leaves length {len(packed_leaves)} is not a multiple of {HASH_SIZE}")
    return len(packed_leaves) // HASH_SIZE


def chunk_bytes(packed_leaves: bytes, chunk: int, chunk_leaves: int) -> bytes:
    """Chunk ``chunk``'s data: its leaves of ``packed_leaves`` (``pack_leaves(tensor_bytes(x))``)."""
    num_leaves = _check_packed(packed_leaves)
    _check_chunk_index(chunk, num_leaves, chunk_leaves)
    start = chunk * chunk_leaves * HASH_SIZE
    return bytes(packed_leaves[start : start + chunk_leaves * HASH_SIZE])


def chunk_root(data: bytes, height: int) -> bytes:
    """Root of a chunk's leaves padded with zero leaves to exactly ``2**height``.

    The leaves' own tree (padded to the next power of two of their count) is folded up with
    zero subtrees, so padding costs no hashing.
    """
    count = _check_packed(data)
    if not 1 <= count <= 1 << height:
        raise ValueError(f"a chunk of height {height} holds 1..{1 << height} leaves, got {count}")
    node = MerkleTree.from_packed(data).root
    for level in range(tree_depth(count), height):
        node = hash_pair(node, zero_hash(level))
    return node


class ChunkedTensor:
    """A tensor's data tree built once, answering every chunk's data, root and proof."""

    __slots__ = ("chunk_leaves", "height", "num_chunks", "num_leaves", "_packed", "_tree")

    def __init__(self, packed_leaves: bytes, chunk_leaves: int) -> None:
        self.num_leaves: int = _check_packed(packed_leaves)
        self.chunk_leaves: int = check_chunk_leaves(chunk_leaves)
        self.height: int = chunk_height(self.num_leaves, chunk_leaves)
        self.num_chunks: int = num_chunks(self.num_leaves, chunk_leaves)
        self._packed = bytes(packed_leaves)
        self._tree = MerkleTree.from_packed(self._packed)

    @classmethod
    def from_tensor(cls, tensor: TensorLike, chunk_leaves: int) -> ChunkedTensor:
        return cls(pack_leaves(tensor_bytes(tensor)), chunk_leaves)

    @property
    def data_root(self) -> bytes:
        return self._tree.root

    @property
    def proof_length(self) -> int:
        """Siblings in a chunk proof: ``depth(L) - h``."""
        return self._tree.depth - self.height

    def data(self, chunk: int) -> bytes:
        return chunk_bytes(self._packed, chunk, self.chunk_leaves)

    def root(self, chunk: int) -> bytes:
        _check_chunk_index(chunk, self.num_leaves, self.chunk_leaves)
        return self._tree.node(self.height, chunk)

    def roots(self) -> list[bytes]:
        """Every chunk root, in chunk order."""
        return [self._tree.node(self.height, c) for c in range(self.num_chunks)]

    def proof(self, chunk: int) -> list[bytes]:
        """Siblings of chunk ``chunk``'s root up to the data root, bottom-up."""
        _check_chunk_index(chunk, self.num_leaves, self.chunk_leaves)
        tree, height = self._tree, self.height
        return [tree.node(level, (chunk >> (level - height)) ^ 1) for level in range(height, tree.depth)]

    def chunks(self) -> dict[int, bytes]:
        """Every chunk's data, by index."""
        return {c: self.data(c) for c in range(self.num_chunks)}


def chunk_roots(packed_leaves: bytes, chunk_leaves: int) -> list[bytes]:
    """Every chunk root of a tensor, hashing it once."""
    return ChunkedTensor(packed_leaves, chunk_leaves).roots()


def chunk_proof(packed_leaves: bytes, chunk: int, chunk_leaves: int) -> list[bytes]:
    """Proof of one chunk; build a :class:`ChunkedTensor` when asking for several."""
    return ChunkedTensor(packed_leaves, chunk_leaves).proof(chunk)


def verify_chunk(
    data: bytes,
    chunk: int,
    num_leaves: int,
    chunk_leaves: int,
    data_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Whether ``data`` is chunk ``chunk`` of the tensor of ``num_leaves`` leaves under ``data_root``.

    The contract's checks: the index names a real chunk, the data has the chunk's exact length,
    the proof has ``depth(L) - h`` siblings, and the chunk root with the proof hashes to the root.
    A ``chunk_leaves`` that is no deploy parameter (not a power of two in 1..4096) is a ValueError.
    """
    if not 0 <= chunk < num_chunks(num_leaves, chunk_leaves):
        return False
    if len(data) != chunk_length(num_leaves, chunk, chunk_leaves):
        return False
    height = chunk_height(num_leaves, chunk_leaves)
    if len(proof) != tree_depth(num_leaves) - height:
        return False
    try:
        return process_proof(chunk_root(data, height), chunk, proof) == data_root
    except ValueError:
        return False


class ChunkTree:
    """The data tree above the chunk roots (height ``h`` up), changeable one chunk at a time.

    Level 0 holds the chunk roots; a missing right sibling at level ``k`` is the zero subtree
    ``Z_{h+k}``, as in the full data tree (so this is not ``MerkleTree(chunk_roots)``, which
    would pad with zero leaves).
    """

    __slots__ = ("height", "_levels")

    def __init__(self, roots: Sequence[bytes], num_leaves: int, chunk_leaves: int) -> None:
        count = num_chunks(num_leaves, chunk_leaves)
        if len(roots) != count or count == 0:
            raise ValueError(f"a tensor of {num_leaves} leaves has {count} chunks, got {len(roots)} roots")
        self.height: int = chunk_height(num_leaves, chunk_leaves)
        levels = [list(roots)]
        for level in range(self.height, tree_depth(num_leaves)):
            below = levels[-1]
            if len(below) % 2:
                below = [*below, zero_hash(level)]
            levels.append([hash_pair(below[i], below[i + 1]) for i in range(0, len(below), 2)])
        self._levels = levels

    @property
    def root(self) -> bytes:
        """The data root."""
        return self._levels[-1][0]

    def proof(self, chunk: int) -> list[bytes]:
        return [self._sibling(k, chunk >> k) for k in range(len(self._levels) - 1)]

    def set(self, chunk: int, root: bytes) -> None:
        """Replace chunk ``chunk``'s root and rehash its path (``depth(L) - h`` hashes)."""
        self._levels[0][chunk] = root
        for k in range(len(self._levels) - 1):
            index = chunk >> k
            node = self._levels[k][index]
            sibling = self._sibling(k, index)
            parent = hash_pair(sibling, node) if index & 1 else hash_pair(node, sibling)
            self._levels[k + 1][index >> 1] = parent

    def _sibling(self, k: int, index: int) -> bytes:
        level = self._levels[k]
        other = index ^ 1
        return level[other] if other < len(level) else zero_hash(self.height + k)


# --------------------------------------------------------------------------------------------
# Challenger: the slot proof and the named chunks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotProof:
    """The ``SlotProof`` struct of ``openAvailability``, field for field (bytes32 as bytes)."""

    slot: int
    init_data_root: bytes
    shape_word: bytes
    init_proof: list[bytes]
    nodes_root: bytes
    num_nodes: int
    num_slots: int
    consumer: bytes
    consumer_proof: list[bytes]

    def as_abi_tuple(
        self,
    ) -> tuple[int, bytes, bytes, list[bytes], bytes, int, int, bytes, list[bytes]]:
        """The struct as web3 encodes it: a tuple in field order."""
        return (
            self.slot,
            self.init_data_root,
            self.shape_word,
            list(self.init_proof),
            self.nodes_root,
            self.num_nodes,
            self.num_slots,
            self.consumer,
            list(self.consumer_proof),
        )


def _check_slot(graph: StepGraph, slot: int) -> None:
    if not 0 <= slot < len(graph.slots):
        raise ValueError(f"slot {slot} is outside 0..{len(graph.slots) - 1}")


def state_ref(producer: int, slot: int) -> int:
    """The encoded STATE input ref ``(1 << 248) | (producer << 64) | slot``."""
    return int(RefKind.STATE) << REF_KIND_SHIFT | producer << PRODUCER_SHIFT | slot


def consumer_of(graph: StepGraph, slot: int) -> int:
    """The first node (in node order) that reads state slot ``slot``; ValueError if none does."""
    _check_slot(graph, slot)
    for node in graph.nodes:
        if any(ref.kind is RefKind.STATE and ref.index == slot for ref in node.inputs):
            return node.index
    raise ValueError(f"no node reads state slot {slot} ({graph.slots[slot].name}); the graph is invalid")


def producer_of(graph: StepGraph, slot: int) -> int:
    """The node writing slot ``slot``: the graph's producer, checked against what the first
    consumer's descriptor names (its first STATE ref to the slot), which is what the contract reads."""
    _check_slot(graph, slot)
    producer = graph.slots[slot].producer
    named = ref_producer(node_descriptor(graph, graph.nodes[consumer_of(graph, slot)]), slot)
    if named != producer:
        raise ValueError(f"slot {slot}'s producer is node {producer}, but its consumer's ref names {named}")
    return producer


def decode_descriptor(descriptor: bytes) -> tuple[int, int, list[int], list[int], list[int]]:
    """``(index, opKind, params, inputRefs, shape)`` of a node descriptor."""
    index, op_kind, params, refs, shape = abi_decode(
        ["uint256", "uint8", "uint256[]", "uint256[]", "uint256[]"], descriptor
    )
    return int(index), int(op_kind), list(params), list(refs), list(shape)


def ref_producer(descriptor: bytes, slot: int) -> int | None:
    """The producer named by the descriptor's first STATE ref to ``slot`` (None if there is none)."""
    for ref in decode_descriptor(descriptor)[3]:
        if ref >> REF_KIND_SHIFT == RefKind.STATE and ref & SLOT_MASK == slot:
            return (ref & REF_INDEX_MASK) >> PRODUCER_SHIFT
    return None


def slot_proof(graph: StepGraph, initial_state: Sequence[TensorLike], slot: int) -> SlotProof:
    """What the challenger proves at open about ``slot``: its shape (from ``h_0``, over the
    initial slot tensors) and its producer (from the descriptor of the first node reading it)."""
    _check_slot(graph, slot)
    if len(initial_state) != len(graph.slots):
        raise ValueError(
            f"the initial state has {len(initial_state)} tensors; the graph {len(graph.slots)} slots"
        )
    initial = as_float32_array(initial_state[slot])
    if initial.shape != graph.slots[slot].shape:
        raise ValueError(
            f"slot {slot}'s initial tensor has shape {initial.shape}, the graph's {graph.slots[slot].shape}"
        )
    producer_of(graph, slot)
    consumer = graph.nodes[consumer_of(graph, slot)]
    nodes = MerkleTree([node_leaf(graph, node) for node in graph.nodes])
    init_roots = [tensor_root(tensor) for tensor in initial_state]
    return SlotProof(
        slot=slot,
        init_data_root=tensor_data_root(initial),
        shape_word=shape_word(graph.slots[slot].shape),
        init_proof=state_proof(init_roots, slot),
        nodes_root=nodes.root,
        num_nodes=len(graph.nodes),
        num_slots=len(graph.slots),
        consumer=node_descriptor(graph, consumer),
        consumer_proof=nodes.proof(consumer.index),
    )


def slot_proof_producer(proof: SlotProof, init_state_root: bytes, graph_root_: bytes) -> int | None:
    """The producer ``p`` a slot proof establishes, checked as the contract checks it; None if any
    check fails (the initial tensor under ``h_0``, the nodes root under the graph root, the
    consumer under the nodes root, and a STATE ref to the slot in the consumer)."""
    if not 0 <= proof.slot < proof.num_slots:
        return None
    init_leaf = keccak256(proof.init_data_root + proof.shape_word)
    if not verify_proof(init_leaf, proof.slot, proof.init_proof, init_state_root, num_leaves=proof.num_slots):
        return None
    header = [proof.nodes_root, proof.num_nodes, proof.num_slots]
    encoded = abi_encode(["bytes32", "uint256", "uint256"], header)
    if keccak256(encoded) != graph_root_:
        return None
    try:
        index = decode_descriptor(proof.consumer)[0]
        producer = ref_producer(proof.consumer, proof.slot)
    except (DecodingError, ValueError):  # malformed calldata: the contract reverts
        return None
    leaf = keccak256(proof.consumer)
    if not verify_proof(leaf, index, proof.consumer_proof, proof.nodes_root, num_leaves=proof.num_nodes):
        return None
    if producer is None or producer >= proof.num_nodes:
        return None
    return producer


@dataclass(frozen=True)
class ChallengeTarget:
    """What one availability challenge names: chunks ``first_chunk + i`` of slot ``slot`` of
    ``h_step`` for every set bit ``i`` of ``mask``."""

    step: int
    slot: int
    first_chunk: int
    mask: int

    @property
    def chunks(self) -> list[int]:
        return named_chunks(self.first_chunk, self.mask)


def chunk_mask(chunks: Iterable[int]) -> list[tuple[int, int]]:
    """``(first_chunk, mask)`` pairs naming exactly ``chunks`` (duplicates ignored), each over at
    most 256 consecutive indices: greedy from the lowest index, which needs the fewest pairs."""
    pending = sorted(set(chunks))
    if pending and pending[0] < 0:
        raise ValueError(f"chunk indices are non-negative, got {pending[0]}")
    pairs: list[tuple[int, int]] = []
    for chunk in pending:
        if pairs and chunk - pairs[-1][0] < MASK_BITS:
            first, mask = pairs[-1]
            pairs[-1] = (first, mask | 1 << (chunk - first))
        else:
            pairs.append((chunk, 1))
    return pairs


def named_chunks(first_chunk: int, mask: int) -> list[int]:
    """The chunks a ``(first_chunk, mask)`` pair names, ascending."""
    if first_chunk < 0 or not 0 <= mask < 1 << MASK_BITS:
        raise ValueError(f"({first_chunk}, {mask:#x}) is not a chunk range")
    return [first_chunk + i for i in range(MASK_BITS) if mask >> i & 1]


def challenge_targets(step: int, slot: int, chunks: Iterable[int]) -> list[ChallengeTarget]:
    """The fewest challenges naming ``chunks`` of slot ``slot`` of ``h_step``."""
    return [ChallengeTarget(step, slot, first, mask) for first, mask in chunk_mask(chunks)]


# --------------------------------------------------------------------------------------------
# Operator: the delivery
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkDelivery:
    """One ``ChunkData``: a chunk's index, its data and its proof up to the data root."""

    chunk: int
    data: bytes
    proof: list[bytes]

    def as_abi_tuple(self) -> tuple[int, bytes, list[bytes]]:
        return (self.chunk, self.data, list(self.proof))


@dataclass(frozen=True)
class Delivery:
    """The arguments of ``deliverChunks`` after the game id."""

    data_root: bytes
    tensor_proof: list[bytes]
    state_root: bytes
    state_proof: list[bytes]
    chunks: list[ChunkDelivery]

    def part(self, chunks: Sequence[ChunkDelivery]) -> Delivery:
        """The same delivery carrying only ``chunks`` (one transaction's share; the contract ignores
        the proofs of the data root once a delivery proved it)."""
        return Delivery(self.data_root, self.tensor_proof, self.state_root, self.state_proof, list(chunks))

    def as_abi_args(
        self,
    ) -> tuple[bytes, list[bytes], bytes, list[bytes], list[tuple[int, bytes, list[bytes]]]]:
        """``(dataRoot, tensorProof, stateRoot, stateProof, chunks)`` as web3 encodes them."""
        return (
            self.data_root,
            list(self.tensor_proof),
            self.state_root,
            list(self.state_proof),
            [chunk.as_abi_tuple() for chunk in self.chunks],
        )


def _check_delivery_checkpoint(
    checkpoint: Checkpoint, graph: StepGraph, steps: int, trace: Sequence[bytes]
) -> None:
    step = checkpoint.step
    if not 1 <= step <= steps:
        raise ValueError(f"a delivery answers for a state h_t with 1 <= t <= {steps}, not t = {step}")
    if len(trace) != steps + 1:
        raise ValueError(f"a trace of {steps} steps has {steps + 1} states, got {len(trace)}")
    if len(checkpoint.leaves) != len(graph.nodes):
        raise ValueError(
            f"the checkpoint holds {len(checkpoint.leaves)} leaves; the graph has {len(graph.nodes)} nodes"
        )
    if state_commitment(checkpoint.leaves) != trace[step]:
        raise ValueError(f"the checkpoint's leaves do not hash to h_{step} of the trace")


def build_delivery(
    checkpoint: Checkpoint,
    graph: StepGraph,
    steps: int,
    trace: Sequence[bytes],
    slot: int,
    chunks: Sequence[int],
    chunk_leaves: int,
) -> Delivery:
    """The operator's answer for ``chunks`` of slot ``slot`` of ``h_t``, ``t = checkpoint.step``.

    ``trace`` is ``h_0..h_S``. The tensor is leaf ``producer(slot)`` of ``h_t`` (``tensor_proof``);
    ``h_t`` is proven as leaf ``t`` of the trace root, except at ``t = S`` where the contract
    compares it with the task's final state root (``state_proof`` empty).
    """
    _check_delivery_checkpoint(checkpoint, graph, steps, trace)
    _check_slot(graph, slot)
    producer = graph.slots[slot].producer
    tensor = ChunkedTensor.from_tensor(checkpoint.state[slot], chunk_leaves)
    if bind_shape(tensor.data_root, checkpoint.state[slot].shape) != checkpoint.leaves[producer]:
        raise ValueError(f"the checkpoint's slot {slot} is not leaf {producer} of h_{checkpoint.step}")
    if len(set(chunks)) != len(chunks):
        raise ValueError(f"chunks {list(chunks)} name a chunk twice")
    for chunk in chunks:
        if not 0 <= chunk < tensor.num_chunks:
            raise ValueError(f"chunk {chunk} is outside 0..{tensor.num_chunks - 1} of slot {slot}")
    step = checkpoint.step
    return Delivery(
        data_root=tensor.data_root,
        tensor_proof=state_proof(checkpoint.leaves, producer),
        state_root=bytes(trace[step]),
        state_proof=trace_proof(trace, step) if step < steps else [],
        chunks=[ChunkDelivery(c, tensor.data(c), tensor.proof(c)) for c in chunks],
    )


# --------------------------------------------------------------------------------------------
# Reader: rebuilding tensors from several sources
# --------------------------------------------------------------------------------------------


def tensor_chunks(tensor: TensorLike, chunk_leaves: int) -> dict[int, bytes]:
    """A whole tensor as a source: every chunk's data by index."""
    packed = pack_leaves(tensor_bytes(tensor))
    num_leaves = _check_packed(packed)
    width = chunk_leaves * HASH_SIZE
    return {c: packed[c * width : (c + 1) * width] for c in range(num_chunks(num_leaves, chunk_leaves))}


@dataclass(frozen=True)
class _Offers:
    """Each chunk's distinct well-formed versions (in the order first offered), their chunk roots,
    and how many sources offered each."""

    data: list[list[bytes]]
    roots: list[list[bytes]]
    votes: list[list[int]]

    def favourite(self, chunk: int) -> int:
        """The version most sources offer (the first offered among equals)."""
        votes = self.votes[chunk]
        return votes.index(max(votes))


Choice = dict[int, int]
"""Chunk -> version index, for the chunks where a choice leaves the favourite versions."""


def _collect_offers(num_leaves: int, chunk_leaves: int, versions: Sequence[ChunkMap]) -> _Offers:
    count = num_chunks(num_leaves, chunk_leaves)
    height = chunk_height(num_leaves, chunk_leaves)
    offers = _Offers([[] for _ in range(count)], [[] for _ in range(count)], [[] for _ in range(count)])
    for version in versions:
        for chunk, offered in version.items():
            if not 0 <= chunk < count or len(offered) != chunk_length(num_leaves, chunk, chunk_leaves):
                continue
            blob = bytes(offered)
            found = offers.data[chunk]
            if blob in found:
                offers.votes[chunk][found.index(blob)] += 1
            else:
                found.append(blob)
                offers.roots[chunk].append(chunk_root(blob, height))
                offers.votes[chunk].append(1)
    return offers


def _choices(offers: _Offers, versions: Sequence[ChunkMap]) -> Iterator[Choice]:
    """Choices to try, as departures from the favourite versions: every combination of the
    chunks the sources disagree on when there are at most MAX_COMBINATIONS; else each source's
    own version, then up to MAX_COMBINATIONS choices closest to the favourites
    (:func:`_cheapest_changes`)."""
    disputed = [chunk for chunk, found in enumerate(offers.data) if len(found) > 1]
    if prod(len(offers.data[chunk]) for chunk in disputed) <= MAX_COMBINATIONS:
        for picks in itertools.product(*(range(len(offers.data[chunk])) for chunk in disputed)):
            yield {c: i for c, i in zip(disputed, picks, strict=True) if i != offers.favourite(c)}
        return
    for version in versions:
        yield _source_choice(offers, version)
    yield from itertools.islice(_cheapest_changes(offers, disputed), MAX_COMBINATIONS)


def _source_choice(offers: _Offers, version: ChunkMap) -> Choice:
    """A source's own version (the favourites where it offers nothing well-formed)."""
    choice: Choice = {}
    for chunk, offered in version.items():
        found = offers.data[chunk] if 0 <= chunk < len(offers.data) else []
        blob = bytes(offered)
        if blob in found and found.index(blob) != offers.favourite(chunk):
            choice[chunk] = found.index(blob)
    return choice


def _cheapest_changes(offers: _Offers, disputed: Sequence[int]) -> Iterator[Choice]:
    """The favourites, then choices in order of how many source votes they overrule (a change to
    a version as popular as the favourite is free), fewer changes first among equals.

    Best-first over the changes sorted by cost: a set of changes whose last is change ``i`` leads
    to itself plus change ``i + 1``, and to itself with ``i`` replaced by ``i + 1``; every set is
    reached once, in order of cost. Sets changing one chunk twice are passed over.
    """
    changes = sorted(
        (max(offers.votes[c]) - votes, c, i)
        for c in disputed
        for i, votes in enumerate(offers.votes[c])
        if i != offers.favourite(c)
    )
    yield {}
    if not changes:
        return
    heap: list[tuple[int, int, tuple[int, ...]]] = [(changes[0][0], 1, (0,))]
    for _ in range(4 * MAX_COMBINATIONS):
        if not heap:
            return
        cost, size, picked = heapq.heappop(heap)
        choice = {changes[p][1]: changes[p][2] for p in picked}
        if len(choice) == size:
            yield choice
        last = picked[-1]
        if last + 1 < len(changes):
            following = changes[last + 1][0]
            heapq.heappush(heap, (cost + following, size + 1, (*picked, last + 1)))
            heapq.heappush(heap, (cost - changes[last][0] + following, size, (*picked[:-1], last + 1)))


def _matching_choice(
    offers: _Offers,
    num_leaves: int,
    chunk_leaves: int,
    bound: tuple[bytes, tuple[int, ...]],
    choices: Iterable[Choice],
) -> list[int] | None:
    """The first choice whose data root, bound to the shape, is the expected tensor root
    (``bound`` = (tensor root, shape)), as one version index per chunk. The chunk tree is built
    once over the favourites; between choices only the changed chunks' paths are rehashed."""
    expected, dims = bound
    favourites = [offers.favourite(chunk) for chunk in range(len(offers.data))]
    tree = ChunkTree([offers.roots[c][i] for c, i in enumerate(favourites)], num_leaves, chunk_leaves)
    current: Choice = {}
    for choice in choices:
        for chunk in current.keys() - choice.keys():
            tree.set(chunk, offers.roots[chunk][favourites[chunk]])
        for chunk, index in choice.items():
            if current.get(chunk) != index:
                tree.set(chunk, offers.roots[chunk][index])
        current = choice
        if bind_shape(tree.root, dims) == expected:
            return [choice.get(chunk, index) for chunk, index in enumerate(favourites)]
    return None


def rebuild_tensor(
    shape: Sequence[int],
    tensor_root_expected: bytes,
    chunk_leaves: int,
    versions: Sequence[ChunkMap],
) -> tuple[NDArray[np.float32] | None, list[int]]:
    """The tensor of ``shape`` under ``tensor_root_expected``, put together from ``versions``.

    Each version maps chunk indices to data (a source's whole tensor from :func:`tensor_chunks`,
    or chunks delivered on-chain). Offers of the wrong length or out of range are ignored; for
    every chunk one of the distinct offers is chosen, and a choice is accepted only if its chunk
    roots hash (:class:`ChunkTree`, then the shape) to the expected root. Every combination is
    tried when there are at most :data:`MAX_COMBINATIONS`; beyond that each source's own version,
    then up to :data:`MAX_COMBINATIONS` choices nearest the versions most sources agree on (a stale
    source differing everywhere is outvoted; one bad chunk among agreeing sources is found).

    Returns ``(array, [])`` on success. On failure ``(None, chunks)``: the sorted chunks no source
    offered (well-formed) when there are any, otherwise *every* chunk index, since no single chunk
    can be blamed when all were offered but no choice matched. A tensor with no elements has no
    chunks: it is rebuilt if the expected root is its root, else ``(None, [])``.
    """
    check_chunk_leaves(chunk_leaves)
    dims = tuple(int(d) for d in shape)
    numel = prod(dims)
    num_leaves = num_leaves_for(numel)
    if numel == 0:
        empty = bind_shape(bytes(HASH_SIZE), dims) == tensor_root_expected
        return (np.zeros(dims, dtype=np.float32), []) if empty else (None, [])
    offers = _collect_offers(num_leaves, chunk_leaves, versions)
    missing = [chunk for chunk, found in enumerate(offers.data) if not found]
    if missing:
        return None, missing
    bound = (bytes(tensor_root_expected), dims)
    choice = _matching_choice(offers, num_leaves, chunk_leaves, bound, _choices(offers, versions))
    if choice is None:
        return None, list(range(len(offers.data)))
    raw = b"".join(offers.data[chunk][i] for chunk, i in enumerate(choice))
    array = np.frombuffer(raw, dtype=_F32, count=numel).reshape(dims).astype(np.float32)
    return array, []


@dataclass
class RebuiltState:
    """A state put back together: per slot the array, or (in ``missing``) the chunks lacking."""

    arrays: list[NDArray[np.float32] | None]
    missing: dict[int, list[int]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.missing


def expected_slot_roots(graph: StepGraph, leaves: Sequence[bytes]) -> list[bytes]:
    """Each slot's tensor root in ``h_t`` (``t >= 1``): leaf ``producer(j)`` of the node outputs
    (a checkpoint header's ``leaves``, which the caller has checked against ``h_t``)."""
    if len(leaves) != len(graph.nodes):
        raise ValueError(f"{len(leaves)} leaves for a graph of {len(graph.nodes)} nodes")
    return [bytes(leaves[slot.producer]) for slot in graph.slots]


def rebuild_state(
    slot_shapes: Sequence[Sequence[int]],
    slot_roots: Sequence[bytes],
    chunk_leaves: int,
    sources: Sequence[Sequence[ChunkMap] | None],
) -> RebuiltState:
    """Every slot rebuilt with :func:`rebuild_tensor` from its sources (``None``: no source, so
    every chunk of the slot is missing)."""
    if not len(slot_shapes) == len(slot_roots) == len(sources):
        raise ValueError(
            f"{len(slot_shapes)} shapes, {len(slot_roots)} roots and {len(sources)} source lists "
            "differ in number"
        )
    arrays: list[NDArray[np.float32] | None] = []
    missing: dict[int, list[int]] = {}
    for slot, (shape, root, versions) in enumerate(zip(slot_shapes, slot_roots, sources, strict=True)):
        array, lacking = rebuild_tensor(shape, root, chunk_leaves, versions or [])
        arrays.append(array)
        if array is None:
            missing[slot] = lacking
    return RebuiltState(arrays, missing)


def state_sources(states: Sequence[Sequence[TensorLike]], chunk_leaves: int) -> list[list[dict[int, bytes]]]:
    """Per slot, the versions offered by whole states (e.g. checkpoints from several parties)."""
    if not states:
        return []
    num_slots = len(states[0])
    if any(len(state) != num_slots for state in states):
        raise ValueError("the states offered have different numbers of slots")
    return [[tensor_chunks(state[slot], chunk_leaves) for state in states] for slot in range(num_slots)]
