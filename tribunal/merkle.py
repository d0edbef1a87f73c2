"""Binary keccak256 Merkle trees over 32-byte leaves, as the contracts verify them.

The rule, chosen so that Solidity's ``Merkle`` library recomputes it in a few lines:

- Leaves are 32 bytes each and enter the tree as they are (they are not hashed
  first). A tree's depth is fixed by its leaf count, which the verifier always
  knows (from a tensor's shape, a graph's node count, a task's step count), so
  an inner node can never be passed off as a leaf: a verifier MUST require
  ``len(proof) == tree_depth(num_leaves)``.
- The leaf count ``n`` is padded up to the next power of two ``2**depth`` with
  zero leaves (``bytes32(0)``), ``depth = ceil(log2(max(n, 1)))``.
- ``parent = keccak256(left ‖ right)``.
- A proof lists the siblings bottom-up; bit ``k`` of the leaf index says on
  which side the node sits at level ``k`` (0: left, the sibling is on the right).
  The index must be below ``2**len(proof)``.
- A single leaf is its own root (depth 0, empty proof). The empty tree is a
  tree of one zero leaf: its root is ``bytes32(0)``. Commitments that must tell
  "nothing" from "one zero leaf" bind the element count next to the root.

A padded subtree of height ``k`` hashes to the constant ``zero_hash(k)``
(``Z_0 = 0``, ``Z_{k+1} = keccak256(Z_k ‖ Z_k)``), so padding costs no hashing.

Trees are hashed by the C extension of :mod:`tribunal.native.keccak` (built on first
use; vectorised, GIL released, large levels split across threads) and in Python,
one keccak per pair, where it cannot be built or ``TRIBUNAL_NO_NATIVE_KECCAK=1``
is set. Both give the same bits (tests/test_merkle_native.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Protocol

from tribunal.native.keccak import load as native_keccak
from tribunal.native.keccak import threads as hash_threads


class KeccakHasher(Protocol):
    """An incremental keccak256: ``update(chunk)`` for each piece, then ``digest()``."""

    def update(self, data: bytes | bytearray | memoryview, /) -> object: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...


try:
    from _pysha3 import keccak_256 as _pysha3_keccak_256
except ImportError:  # pragma: no cover - exercised only where safe-pysha3 is absent
    _pysha3_keccak_256 = None

KECCAK_BACKEND: Final[str] = "safe-pysha3" if _pysha3_keccak_256 is not None else "pycryptodome"
if _pysha3_keccak_256 is not None:
    _new_keccak: Callable[[bytes | bytearray | memoryview], KeccakHasher] = _pysha3_keccak_256
else:  # pragma: no cover - fallback measured at about 1/6 of safe-pysha3's speed
    from Crypto.Hash import keccak as _cryptodome_keccak

    def _new_keccak(data: bytes | bytearray | memoryview) -> KeccakHasher:
        return _cryptodome_keccak.new(digest_bits=256, data=data)


HASH_SIZE: Final[int] = 32
ZERO_LEAF: Final[bytes] = bytes(HASH_SIZE)
MAX_DEPTH: Final[int] = 64


def keccak256(data: bytes | bytearray | memoryview) -> bytes:
    """Ethereum's keccak256 (the pre-standard Keccak padding, not SHA3-256)."""
    return _new_keccak(data).digest()


def keccak256_hasher() -> KeccakHasher:
    """An incremental keccak256 (``update(chunk)`` then ``digest()``) for data read in pieces."""
    return _new_keccak(b"")


def _zero_hashes(count: int) -> tuple[bytes, ...]:
    hashes = [ZERO_LEAF]
    for _ in range(count - 1):
        hashes.append(keccak256(hashes[-1] + hashes[-1]))
    return tuple(hashes)


_ZERO_HASHES: Final[tuple[bytes, ...]] = _zero_hashes(MAX_DEPTH + 1)


def zero_hash(height: int) -> bytes:
    """Root of a subtree of ``2**height`` zero leaves."""
    if not 0 <= height <= MAX_DEPTH:
        raise ValueError(f"height {height} is outside 0..{MAX_DEPTH}")
    return _ZERO_HASHES[height]


def tree_depth(num_leaves: int) -> int:
    """Number of levels above the leaves: ``ceil(log2(max(num_leaves, 1)))``."""
    if num_leaves < 0:
        raise ValueError(f"a tree cannot have {num_leaves} leaves")
    return max(num_leaves - 1, 0).bit_length()


def hash_pair(left: bytes, right: bytes) -> bytes:
    """The parent of two nodes: ``keccak256(left ‖ right)``."""
    return keccak256(left + right)


def _check_node(node: bytes, what: str) -> None:
    if len(node) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {len(node)}")


def _hash_level(level: bytes, height: int) -> bytes:
    """Hash a level (nodes concatenated) into its parent level, padding odd widths."""
    if len(level) % (2 * HASH_SIZE):
        level += _ZERO_HASHES[height]
    native = native_keccak()
    if native is not None:
        return native.hash_many(level, 2 * HASH_SIZE, hash_threads())
    view = memoryview(level)
    new = _new_keccak
    return b"".join([new(view[i : i + 64]).digest() for i in range(0, len(level), 64)])


def _pack_leaves(leaves: Sequence[bytes]) -> bytes:
    for position, leaf in enumerate(leaves):
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf {position} must be {HASH_SIZE} bytes, got {len(leaf)}")
    return b"".join(leaves)


class MerkleTree:
    """A tree built once, answering roots, nodes and proofs without rehashing.

    Every level is kept as one ``bytes`` of concatenated nodes (unpadded), which
    is both the fastest layout to hash and a compact one to hold.
    """

    __slots__ = ("_levels", "num_leaves")

    _levels: tuple[bytes, ...]
    num_leaves: int

    def __init__(self, leaves: Sequence[bytes]) -> None:
        packed = _pack_leaves(leaves)
        self._build(packed, len(leaves))

    @classmethod
    def from_packed(cls, packed_leaves: bytes | bytearray | memoryview) -> MerkleTree:
        """Build from leaves already concatenated (``len % 32 == 0``), the fast path."""
        packed = bytes(packed_leaves)
        if len(packed) % HASH_SIZE:
            raise ValueError(f"packed leaves length {len(packed)} is not a multiple of 32")
        tree = cls.__new__(cls)
        tree._build(packed, len(packed) // HASH_SIZE)
        return tree

    def _build(self, packed: bytes, num_leaves: int) -> None:
        depth = tree_depth(num_leaves)
        if depth > MAX_DEPTH:
            raise ValueError(f"{num_leaves} leaves exceed the maximum depth {MAX_DEPTH}")
        self.num_leaves = num_leaves
        levels = [packed if num_leaves else ZERO_LEAF]
        native = native_keccak()
        if native is not None:
            levels.extend(native.tree_levels(packed, hash_threads()) if depth else ())
        else:
            for height in range(depth):
                levels.append(_hash_level(levels[-1], height))
        self._levels = tuple(levels)

    @property
    def depth(self) -> int:
        return len(self._levels) - 1

    @property
    def root(self) -> bytes:
        return self._levels[-1]

    def node(self, height: int, index: int) -> bytes:
        """Node ``index`` at ``height`` (0 = leaves); padding positions read as zero hashes."""
        if not 0 <= height <= self.depth:
            raise IndexError(f"height {height} is outside 0..{self.depth}")
        if not 0 <= index < 1 << (self.depth - height):
            width = 1 << (self.depth - height)
            raise IndexError(f"index {index} is outside level {height} of width {width}")
        level = self._levels[height]
        start = index * HASH_SIZE
        if start >= len(level):
            return _ZERO_HASHES[height]
        return level[start : start + HASH_SIZE]

    def leaf(self, index: int) -> bytes:
        return self.node(0, index)

    def proof(self, index: int) -> list[bytes]:
        """Siblings of leaf ``index``, bottom-up."""
        if not 0 <= index < max(self.num_leaves, 1):
            raise IndexError(f"leaf index {index} is outside 0..{max(self.num_leaves, 1) - 1}")
        return [self.node(height, (index >> height) ^ 1) for height in range(self.depth)]


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Root of the tree over ``leaves`` (32 bytes each)."""
    return merkle_root_padded(_pack_leaves(leaves))


def merkle_root_packed(packed_leaves: bytes | bytearray | memoryview) -> bytes:
    """Root over leaves given concatenated; skips building a list of leaves."""
    view = memoryview(packed_leaves).cast("B")
    if len(view) % HASH_SIZE:
        raise ValueError(f"packed leaves length {len(view)} is not a multiple of 32")
    return merkle_root_padded(view)


def merkle_root_padded(data: bytes | bytearray | memoryview) -> bytes:
    """Root over ``data`` cut into 32-byte leaves, the last one zero-padded (as
    ``commitments.pack_leaves`` pads a tensor's bytes), without copying ``data``
    where the native hasher runs. No data is one zero leaf: root ``bytes32(0)``."""
    view = memoryview(data).cast("B")
    native = native_keccak()
    if native is not None:
        return native.tree_root(view, hash_threads())
    remainder = len(view) % HASH_SIZE
    packed = bytes(view) + bytes(HASH_SIZE - remainder) if remainder else bytes(view)
    return MerkleTree.from_packed(packed).root


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Proof for one leaf; build a :class:`MerkleTree` instead when asking for many."""
    return MerkleTree(leaves).proof(index)


def process_proof(leaf: bytes, index: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``leaf`` at ``index`` with siblings ``proof`` leads to."""
    _check_node(leaf, "leaf")
    if index < 0 or index >> len(proof):
        raise ValueError(f"index {index} does not fit a proof of {len(proof)} siblings")
    node = leaf
    for height, sibling in enumerate(proof):
        _check_node(sibling, f"sibling {height}")
        node = hash_pair(sibling, node) if (index >> height) & 1 else hash_pair(node, sibling)
    return node


def verify_proof(
    leaf: bytes,
    index: int,
    proof: Sequence[bytes],
    root: bytes,
    *,
    num_leaves: int | None = None,
) -> bool:
    """Whether ``leaf`` sits at ``index`` under ``root``.

    Pass ``num_leaves`` when it is known, as the contracts always do: the proof
    must then have exactly ``tree_depth(num_leaves)`` siblings and the index must
    name a real leaf, which rules out inner nodes and padding posing as leaves.
    """
    if num_leaves is not None and (
        len(proof) != tree_depth(num_leaves) or not 0 <= index < max(num_leaves, 1)
    ):
        return False
    try:
        return process_proof(leaf, index, proof) == root
    except ValueError:
        return False
