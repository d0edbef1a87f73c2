"""The C keccak256 trees (tribunal/native/keccak_tree.c) give the Python trees' bits exactly."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from tools.generate.commitment_vectors import VECTORS_PATH
from tribunal import commitments, merkle
from tribunal.native import keccak as native_keccak
from tribunal.native.keccak import NativeKeccak

NATIVE = native_keccak.load()
pytestmark = pytest.mark.skipif(NATIVE is None, reason="the keccak extension did not build here")

# 0..3, odd counts, powers of two and their neighbours, and a few large ones
LEAF_COUNTS = sorted(
    {0, 1, 2, 3, 5, 7, 9, 11, 33, 100, 255, 1000}
    | {(1 << k) + d for k in range(1, 13) for d in (-1, 0, 1)}
    | {(1 << 16) - 1, (1 << 16) + 1, 70_001}
)


@pytest.fixture
def native() -> NativeKeccak:
    assert NATIVE is not None
    return NATIVE


def _python_levels(packed: bytes) -> list[bytes]:
    """The Python path's levels above the leaves (the fallback, called directly)."""
    levels = [packed or merkle.ZERO_LEAF]
    for height in range(merkle.tree_depth(len(packed) // 32)):
        level = levels[-1]
        if len(level) % 64:
            level += merkle.zero_hash(height)
        levels.append(b"".join(merkle.keccak256(level[i : i + 64]) for i in range(0, len(level), 64)))
    return levels[1:]


def _python_root(data: bytes) -> bytes:
    return (_python_levels(data) or [data.ljust(32, b"\0")])[-1]


def test_keccak256_is_ethereum_keccak(native: NativeKeccak) -> None:
    assert native.keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    rng = random.Random(1)
    # every length around the rate (136) and two blocks
    for length in [*range(0, 300), 1000, 4096]:
        data = rng.randbytes(length)
        assert native.keccak256(data) == merkle.keccak256(data), length


@pytest.mark.parametrize("length", [1, 7, 8, 31, 32, 63, 64, 65, 100, 128, 135, 136, 137, 300])
def test_hash_many_hashes_each_message(native: NativeKeccak, length: int) -> None:
    rng = random.Random(length)
    for count in (0, 1, 3, 8, 9, 17):
        data = rng.randbytes(count * length)
        expected = b"".join(merkle.keccak256(data[i : i + length]) for i in range(0, len(data), length))
        assert native.hash_many(data, length) == expected
        assert native.hash_many(data, length, 3) == expected


def test_hash_many_rejects_partial_messages(native: NativeKeccak) -> None:
    with pytest.raises(ValueError, match="whole messages"):
        native.hash_many(bytes(65), 64)
    with pytest.raises(ValueError, match="positive"):
        native.hash_many(b"", 0)


@pytest.mark.parametrize("count", LEAF_COUNTS)
def test_levels_and_root_match_python(native: NativeKeccak, count: int) -> None:
    packed = random.Random(count).randbytes(32 * count)
    levels = _python_levels(packed)
    assert native.tree_levels(packed) == levels
    root = levels[-1] if levels else packed.ljust(32, b"\0")
    assert native.tree_root(packed) == root
    assert native.tree_root(memoryview(packed), 2) == root


def test_large_trees_split_across_threads_are_exact(native: NativeKeccak) -> None:
    # 2**18 + 5 leaves (8 MiB): each of the lower levels is split across threads
    packed = np.random.default_rng(3).integers(0, 256, 32 * ((1 << 18) + 5), dtype=np.uint8).tobytes()
    expected = native.tree_levels(packed, 1)
    assert expected == _python_levels(packed)
    for threads in (2, 3, 7, 64):
        assert native.tree_levels(packed, threads) == expected
        assert native.tree_root(packed, threads) == expected[-1]


@pytest.mark.parametrize("elements", [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 65, 1001])
def test_partial_last_leaf_is_zero_padded(native: NativeKeccak, elements: int) -> None:
    raw = random.Random(elements).randbytes(4 * elements)
    assert native.tree_root(raw) == _python_root(commitments.pack_leaves(raw))


def test_tree_levels_rejects_partial_leaves(native: NativeKeccak) -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        native.tree_levels(bytes(33))


def test_merkle_module_gives_the_same_bits_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    cases = [[rng.randbytes(32) for _ in range(count)] for count in (0, 1, 2, 3, 6, 17, 64, 129)]

    def observe() -> list[object]:
        seen: list[object] = []
        for leaves in cases:
            tree = merkle.MerkleTree(leaves)
            packed = b"".join(leaves)
            seen += [tree.root, merkle.merkle_root(leaves), merkle.merkle_root_packed(packed)]
            seen += [merkle.merkle_root_padded(packed[:-4]), tree._levels]
            seen += [tree.proof(i) for i in range(len(leaves))]
            if leaves:
                seen.append(merkle._hash_level(packed, 0))
        return seen

    native = observe()
    monkeypatch.setattr(merkle, "native_keccak", lambda: None)
    assert observe() == native


@pytest.mark.parametrize(
    "shape", [(), (0,), (1,), (3,), (8,), (9,), (2, 3), (2, 0, 3), (17, 5), (33, 2), (4, 5, 3), (1000, 33)]
)
def test_tensor_roots_match_the_python_path(shape: tuple[int, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    fast = (commitments.tensor_root(values), commitments.tensor_data_root(values))
    from_bytes = commitments.tensor_root_from_bytes(values.tobytes(), shape)
    monkeypatch.setattr(merkle, "native_keccak", lambda: None)
    assert commitments.tensor_root(values) == fast[0] == from_bytes
    assert commitments.tensor_data_root(values) == fast[1]


def test_non_contiguous_and_big_endian_tensors_are_hashed_as_their_values() -> None:
    values = np.random.default_rng(5).standard_normal((6, 10)).astype(np.float32)
    expected = commitments.tensor_root(np.ascontiguousarray(values.T))
    assert commitments.tensor_root(values.T) == expected
    assert commitments.tensor_root(values.T.astype(">f4")) == expected


def test_commitment_vectors(native: NativeKeccak) -> None:
    vectors = json.loads(VECTORS_PATH.read_text())
    for case in vectors["keccak"]:
        assert native.keccak256(bytes.fromhex(case["input"][2:])).hex() == case["hash"][2:]
    zero_hashes = [bytes.fromhex(h[2:]) for h in vectors["merkle"]["zero_hashes"]]
    # the padding subtrees: a level of 2**k zero leaves hashes to Z_k
    for height, expected in enumerate(zero_hashes[:12]):
        assert native.tree_root(bytes(32 << height)) == expected
    for tree in vectors["merkle"]["trees"]:
        packed = b"".join(bytes.fromhex(leaf[2:]) for leaf in tree["leaves"])
        assert native.tree_root(packed).hex() == tree["root"][2:]
        assert len(native.tree_levels(packed)) == tree["depth"]
    for tensor in vectors["tensors"]:
        raw = b"".join(int(bits, 16).to_bytes(4, "little") for bits in tensor["bits"])
        assert native.tree_root(raw).hex() == tensor["data_root"][2:]
        assert commitments.tensor_root_from_bytes(raw, tensor["shape"]).hex() == tensor["root"][2:]


def test_fallback_is_forced_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIBUNAL_NO_NATIVE_KECCAK", "1")
    native_keccak.load.cache_clear()
    try:
        assert native_keccak.load() is None
    finally:
        monkeypatch.delenv("TRIBUNAL_NO_NATIVE_KECCAK")
        native_keccak.load.cache_clear()
    assert native_keccak.load() is not None
