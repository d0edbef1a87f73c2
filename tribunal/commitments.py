"""Commitments to tensors, to a step's state, and to a whole training trace.

Encodings (``docs/protocol.md``, section "Commitments", is the reference):

- **tensor data**: the elements in row-major order as IEEE-754 binary32,
  little-endian, 8 elements per 32-byte leaf, the last leaf zero-padded; a
  :mod:`tribunal.merkle` tree over those leaves gives the *data root*.
- **shape word**: ``bytes32``, byte 0 = ``ndim`` (at most 7), then each dimension
  as a big-endian ``uint32``, the rest zero.
- **tensor root**: ``keccak256(dataRoot ‖ shapeWord)``.
- **state commitment** ``h_t``: Merkle root over the ordered tensor roots of the
  state (the node outputs of step ``t-1``; for ``h_0`` the initial state).
- **trace root**: Merkle root over ``h_0 .. h_S``.

Pure functions over arrays and bytes: numpy arrays and torch tensors (CPU or
CUDA, copied to the CPU) are accepted; nothing here does I/O.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Final, TypeAlias

import numpy as np
from numpy.typing import NDArray

from tribunal.merkle import (
    HASH_SIZE,
    MerkleTree,
    keccak256,
    merkle_root,
    merkle_root_padded,
    process_proof,
    tree_depth,
    verify_proof,
)

if TYPE_CHECKING:
    import torch

    TensorLike: TypeAlias = NDArray[np.float32] | torch.Tensor
else:
    TensorLike: TypeAlias = object

ELEMENT_SIZE: Final[int] = 4
ELEMENTS_PER_LEAF: Final[int] = HASH_SIZE // ELEMENT_SIZE
MAX_NDIM: Final[int] = 7
MAX_DIM: Final[int] = 2**32 - 1
_LITTLE_ENDIAN_F32: Final[np.dtype[np.float32]] = np.dtype("<f4")


def as_float32_array(tensor: TensorLike) -> NDArray[np.float32]:
    """A C-contiguous little-endian float32 numpy view or copy of ``tensor``.

    Only float32 is accepted: a commitment never rounds silently, so a caller
    holding another dtype must cast on purpose.
    """
    torch_module = sys.modules.get("torch")  # a torch tensor implies torch is imported
    if isinstance(tensor, np.ndarray | np.generic):
        array = np.asarray(tensor)
    elif torch_module is not None and isinstance(tensor, torch_module.Tensor):
        if tensor.dtype != torch_module.float32:
            raise TypeError(
                f"commitments take float32 tensors, got {tensor.dtype}; "
                "cast with .to(torch.float32) first"
            )
        array = tensor.detach().cpu().contiguous().numpy()
    else:
        raise TypeError(f"expected a numpy array or a torch tensor, got {type(tensor).__name__}")
    if array.dtype.kind != "f" or array.dtype.itemsize != ELEMENT_SIZE:
        raise TypeError(
            f"commitments take float32 arrays, got {array.dtype}; "
            "cast with .astype(np.float32) first"
        )
    return np.asarray(array, dtype=_LITTLE_ENDIAN_F32, order="C")


def tensor_bytes(tensor: TensorLike) -> bytes:
    """The elements as packed little-endian float32, row-major (no padding)."""
    return as_float32_array(tensor).tobytes()


def num_leaves_for(numel: int) -> int:
    """How many 32-byte leaves hold ``numel`` elements."""
    if numel < 0:
        raise ValueError(f"element count {numel} is negative")
    return -(-numel // ELEMENTS_PER_LEAF)


def _checked_shape(shape: Sequence[int]) -> tuple[int, ...]:
    dims = tuple(int(d) for d in shape)
    if len(dims) > MAX_NDIM:
        raise ValueError(
            f"shape {dims} has {len(dims)} dimensions; at most {MAX_NDIM} are encodable"
        )
    for dim in dims:
        if not 0 <= dim <= MAX_DIM:
            raise ValueError(f"dimension {dim} of shape {dims} does not fit a uint32")
    return dims


def shape_word(shape: Sequence[int]) -> bytes:
    """``bytes32``: ``uint8 ndim ‖ uint32be d_0 ‖ … ‖ uint32be d_{ndim-1} ‖ zeros``."""
    dims = _checked_shape(shape)
    word = struct.pack(f">B{len(dims)}I", len(dims), *dims)
    return word + bytes(HASH_SIZE - len(word))


def decode_shape_word(word: bytes) -> tuple[int, ...]:
    """Inverse of :func:`shape_word`; rejects non-canonical words."""
    if len(word) != HASH_SIZE:
        raise ValueError(f"a shape word is {HASH_SIZE} bytes, got {len(word)}")
    ndim = word[0]
    if ndim > MAX_NDIM:
        raise ValueError(f"shape word declares {ndim} dimensions; at most {MAX_NDIM}")
    used = 1 + 4 * ndim
    if any(word[used:]):
        raise ValueError("shape word has non-zero bytes after its last dimension")
    return struct.unpack(f">{ndim}I", word[1:used])


def bind_shape(data_root: bytes, shape: Sequence[int]) -> bytes:
    """``keccak256(dataRoot ‖ shapeWord(shape))``: the root that names a tensor."""
    if len(data_root) != HASH_SIZE:
        raise ValueError(f"a data root is {HASH_SIZE} bytes, got {len(data_root)}")
    return keccak256(data_root + shape_word(shape))


def pack_leaves(raw: bytes) -> bytes:
    """Zero-pad packed float32 bytes to whole 32-byte leaves."""
    if len(raw) % ELEMENT_SIZE:
        raise ValueError(f"{len(raw)} bytes are not a whole number of float32 elements")
    remainder = len(raw) % HASH_SIZE
    return raw + bytes(HASH_SIZE - remainder) if remainder else raw


def _byte_view(array: NDArray[np.float32]) -> memoryview:
    """The bytes of a C-contiguous array, without a copy."""
    return array.reshape(-1).view(np.uint8).data


def tensor_root_from_bytes(raw: bytes | bytearray | memoryview, shape: Sequence[int]) -> bytes:
    """Tensor root of packed little-endian float32 ``raw`` holding a tensor of ``shape``."""
    dims = _checked_shape(shape)
    view = memoryview(raw).cast("B")
    if len(view) != ELEMENT_SIZE * prod(dims):
        raise ValueError(f"{len(view)} bytes do not hold a float32 tensor of shape {dims}")
    return bind_shape(merkle_root_padded(view), dims)


def tensor_data_root(tensor: TensorLike) -> bytes:
    """Merkle root over the tensor's leaves, before binding the shape."""
    return merkle_root_padded(_byte_view(as_float32_array(tensor)))


def tensor_root(tensor: TensorLike) -> bytes:
    """The tensor root: data root bound to the shape."""
    array = as_float32_array(tensor)
    return tensor_root_from_bytes(_byte_view(array), array.shape)


def leaf_lane_bits(leaf: bytes, lane: int) -> int:
    """The float32 bit pattern in ``lane`` (0..7) of a 32-byte leaf."""
    if len(leaf) != HASH_SIZE:
        raise ValueError(f"a leaf is {HASH_SIZE} bytes, got {len(leaf)}")
    if not 0 <= lane < ELEMENTS_PER_LEAF:
        raise ValueError(f"lane {lane} is outside 0..{ELEMENTS_PER_LEAF - 1}")
    bits: int = struct.unpack_from("<I", leaf, ELEMENT_SIZE * lane)[0]
    return bits


def bits_to_float32(bits: int) -> np.float32:
    value: np.float32 = np.array([bits], dtype=np.uint32).view(np.float32)[0]
    return value


@dataclass(frozen=True)
class ElementProof:
    """One element of a committed tensor, with what a contract needs to check it.

    The contract recomputes ``bind_shape(process_proof(leaf, leaf_index, siblings), shape)``
    and compares it with the tensor root, after requiring ``leaf_index == element // 8``,
    ``lane == element % 8``, ``element < numel(shape)`` and
    ``len(siblings) == tree_depth(num_leaves_for(numel(shape)))``.
    """

    element: int
    shape: tuple[int, ...]
    leaf: bytes
    leaf_index: int
    lane: int
    siblings: tuple[bytes, ...]

    @property
    def bits(self) -> int:
        """The element's float32 bit pattern."""
        return leaf_lane_bits(self.leaf, self.lane)

    @property
    def value(self) -> np.float32:
        return bits_to_float32(self.bits)

    def data_root(self) -> bytes:
        return process_proof(self.leaf, self.leaf_index, self.siblings)

    def tensor_root(self) -> bytes:
        return bind_shape(self.data_root(), self.shape)


def verify_element_proof(
    proof: ElementProof,
    root: bytes,
    *,
    shape: Sequence[int] | None = None,
) -> bool:
    """Whether ``proof`` shows its element under tensor ``root`` (of ``shape``, if given)."""
    try:
        dims = _checked_shape(proof.shape)
    except ValueError:
        return False
    if shape is not None and tuple(shape) != dims:
        return False
    numel = prod(dims)
    if not 0 <= proof.element < numel:
        return False
    if (proof.leaf_index, proof.lane) != divmod(proof.element, ELEMENTS_PER_LEAF):
        return False
    if len(proof.siblings) != tree_depth(num_leaves_for(numel)):
        return False
    try:
        return proof.tensor_root() == root
    except ValueError:
        return False


class TensorCommitment:
    """A tensor's tree built once, answering many element proofs (the dispute engine's use)."""

    __slots__ = ("shape", "numel", "tree", "root")

    def __init__(self, tensor: TensorLike) -> None:
        array = as_float32_array(tensor)
        self.shape: tuple[int, ...] = _checked_shape(array.shape)
        self.numel: int = int(array.size)
        self.tree = MerkleTree.from_packed(pack_leaves(array.tobytes()))
        self.root: bytes = bind_shape(self.tree.root, self.shape)

    @classmethod
    def from_bytes(cls, raw: bytes, shape: Sequence[int]) -> TensorCommitment:
        dims = _checked_shape(shape)
        array = np.frombuffer(raw, dtype=_LITTLE_ENDIAN_F32)
        if array.size != prod(dims):
            raise ValueError(f"{len(raw)} bytes do not hold a float32 tensor of shape {dims}")
        return cls(array.reshape(dims))

    @property
    def data_root(self) -> bytes:
        return self.tree.root

    @property
    def shape_word(self) -> bytes:
        return shape_word(self.shape)

    def element_bits(self, element: int) -> int:
        leaf_index, lane = self._locate(element)
        return leaf_lane_bits(self.tree.leaf(leaf_index), lane)

    def element_proof(self, element: int) -> ElementProof:
        leaf_index, lane = self._locate(element)
        return ElementProof(
            element=element,
            shape=self.shape,
            leaf=self.tree.leaf(leaf_index),
            leaf_index=leaf_index,
            lane=lane,
            siblings=tuple(self.tree.proof(leaf_index)),
        )

    def _locate(self, element: int) -> tuple[int, int]:
        if not 0 <= element < self.numel:
            raise IndexError(f"element {element} is outside a tensor of shape {self.shape}")
        leaf_index, lane = divmod(element, ELEMENTS_PER_LEAF)
        return leaf_index, lane


def element_proof(tensor: TensorLike, element: int) -> ElementProof:
    """Proof for flat (row-major) element index ``element``; see :class:`TensorCommitment`."""
    return TensorCommitment(tensor).element_proof(element)


def state_commitment(tensor_roots: Sequence[bytes]) -> bytes:
    """``h_t``: Merkle root over the state's tensor roots, in graph order."""
    return merkle_root(tensor_roots)


def state_proof(tensor_roots: Sequence[bytes], index: int) -> list[bytes]:
    """Membership proof of ``tensor_roots[index]`` in :func:`state_commitment`."""
    return MerkleTree(tensor_roots).proof(index)


def verify_state_proof(
    tensor_root: bytes,
    index: int,
    proof: Sequence[bytes],
    commitment: bytes,
    num_tensors: int,
) -> bool:
    """Whether ``tensor_root`` is tensor ``index`` of the ``num_tensors`` under ``commitment``."""
    return verify_proof(tensor_root, index, proof, commitment, num_leaves=num_tensors)


UNCOMMITTED: Final[bytes] = bytes(HASH_SIZE)
"""The trace leaf of a step whose state is not committed while training (zero)."""


def committed_step(step: int, steps: int, every: int) -> bool:
    """Whether ``h_step`` is committed in the trace (its leaf is :data:`UNCOMMITTED` otherwise): the
    initial state, the last step ``steps`` and every multiple of ``every`` (the checkpoint steps).
    The states between are hashed only when a dispute game opens their interval."""
    if not 0 <= step <= steps:
        raise ValueError(f"step {step} is outside 0..{steps}")
    if not 1 <= every <= max(steps, 1):
        raise ValueError(f"checkpoint interval {every} is outside 1..{steps}")
    return step == 0 or step == steps or step % every == 0


def interval_start(step: int, every: int) -> int:
    """The committed step before committed step ``step`` (>= 1): where its interval starts."""
    if step < 1:
        raise ValueError(f"step {step} has no interval before it")
    return (step - 1) // every * every


def trace_root(state_commitments: Sequence[bytes]) -> bytes:
    """Merkle root over the trace leaves ``h_0 .. h_S`` (:data:`UNCOMMITTED` where a state is not
    committed, :func:`committed_step`)."""
    return merkle_root(state_commitments)


def trace_proof(state_commitments: Sequence[bytes], step: int) -> list[bytes]:
    """Membership proof of ``h_step`` in :func:`trace_root`."""
    return MerkleTree(state_commitments).proof(step)


def verify_trace_proof(
    state: bytes,
    step: int,
    proof: Sequence[bytes],
    root: bytes,
    num_states: int,
) -> bool:
    """Whether ``state`` is ``h_step`` of the ``num_states`` (= S + 1) under trace ``root``."""
    return verify_proof(state, step, proof, root, num_leaves=num_states)


def final_state_proof(state_commitments: Sequence[bytes]) -> tuple[bytes, list[bytes]]:
    """``h_S`` and its membership proof (leaf ``S`` of ``S + 1``) in :func:`trace_root`: what a result
    names on-chain (`TaskMarket.submitResult` checks the proof against the trace root)."""
    if not state_commitments:
        raise ValueError("a trace has at least h_0")
    steps = len(state_commitments) - 1
    return bytes(state_commitments[steps]), trace_proof(state_commitments, steps)


def verify_final_state(final_state: bytes, proof: Sequence[bytes], root: bytes, steps: int) -> bool:
    """Whether ``final_state`` is ``h_S`` (leaf ``steps`` of ``steps + 1``) under trace ``root``, as
    `submitResult` checks it."""
    return verify_trace_proof(final_state, steps, proof, root, steps + 1)
