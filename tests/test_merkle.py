"""The Merkle tree rule the contracts reproduce: padding, proofs, and their rejection."""

from __future__ import annotations

import pytest
from eth_hash.backends.pycryptodome import CryptodomeBackend
from hypothesis import given, settings
from hypothesis import strategies as st

from tribunal.merkle import (
    ZERO_LEAF,
    MerkleTree,
    hash_pair,
    keccak256,
    merkle_proof,
    merkle_root,
    merkle_root_packed,
    process_proof,
    tree_depth,
    verify_proof,
    zero_hash,
)

leaf_lists = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40)


def naive_root(leaves: list[bytes]) -> bytes:
    """The rule as written in the docs: pad to a power of two with zero leaves, hash pairs."""
    level = list(leaves) or [ZERO_LEAF]
    while len(level) & (len(level) - 1):
        level.append(ZERO_LEAF)
    while len(level) > 1:
        level = [keccak256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def test_keccak256_is_ethereum_keccak_not_sha3() -> None:
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert keccak256(b"abc") == CryptodomeBackend().keccak256(b"abc")


def test_empty_tree_root_is_zero_and_single_leaf_is_its_own_root() -> None:
    assert merkle_root([]) == ZERO_LEAF
    assert MerkleTree([]).depth == 0
    leaf = keccak256(b"x")
    assert merkle_root([leaf]) == leaf
    assert merkle_proof([leaf], 0) == []


def test_zero_hashes_chain() -> None:
    assert zero_hash(0) == ZERO_LEAF
    assert zero_hash(3) == hash_pair(zero_hash(2), zero_hash(2))


@pytest.mark.parametrize(("count", "depth"), [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (5, 3)])
def test_tree_depth_rounds_up_to_a_power_of_two(count: int, depth: int) -> None:
    assert tree_depth(count) == depth


@given(leaf_lists)
def test_root_matches_the_padded_reference_rule(leaves: list[bytes]) -> None:
    assert merkle_root(leaves) == naive_root(leaves)
    assert merkle_root_packed(b"".join(leaves)) == naive_root(leaves)


@given(leaf_lists, st.data())
def test_every_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = tree.proof(index)
    assert len(proof) == tree_depth(len(leaves))
    assert verify_proof(leaves[index], index, proof, tree.root, num_leaves=len(leaves))


@settings(max_examples=50)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=2, max_size=20), st.data())
def test_tampered_proofs_fail(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = tree.proof(index)
    leaf = leaves[index]
    root = tree.root
    flipped = bytes([leaf[0] ^ 1]) + leaf[1:]
    assert not verify_proof(flipped, index, proof, root)
    other = data.draw(st.integers(0, len(leaves) - 1).filter(lambda i: leaves[i] != leaf))
    assert not verify_proof(leaf, other, proof, root)
    position = data.draw(st.integers(0, len(proof) - 1))
    bad = list(proof)
    bad[position] = keccak256(bad[position])
    assert not verify_proof(leaf, index, bad, root)


def test_inner_node_cannot_pose_as_a_leaf_when_the_count_is_checked() -> None:
    leaves = [keccak256(bytes([i])) for i in range(4)]
    tree = MerkleTree(leaves)
    inner = tree.node(1, 0)
    short_proof = [tree.node(1, 1)]
    assert process_proof(inner, 0, short_proof) == tree.root
    assert not verify_proof(inner, 0, short_proof, tree.root, num_leaves=4)


def test_index_beyond_the_proof_is_rejected() -> None:
    leaves = [keccak256(bytes([i])) for i in range(2)]
    tree = MerkleTree(leaves)
    assert verify_proof(leaves[1], 1, tree.proof(1), tree.root)
    assert not verify_proof(leaves[1], 3, tree.proof(1), tree.root)


def test_padding_leaves_are_not_provable_when_the_count_is_checked() -> None:
    leaves = [keccak256(bytes([i])) for i in range(3)]
    tree = MerkleTree(leaves)
    assert tree.node(0, 3) == ZERO_LEAF
    padding_proof = [tree.node(0, 2), tree.node(1, 0)]
    assert verify_proof(ZERO_LEAF, 3, padding_proof, tree.root)
    assert not verify_proof(ZERO_LEAF, 3, padding_proof, tree.root, num_leaves=3)
    with pytest.raises(IndexError):
        tree.proof(3)


def test_nodes_expose_the_levels_for_descents() -> None:
    leaves = [keccak256(bytes([i])) for i in range(5)]
    tree = MerkleTree(leaves)
    assert tree.node(tree.depth, 0) == tree.root
    assert tree.node(1, 2) == hash_pair(leaves[4], ZERO_LEAF)
    assert tree.node(2, 1) == hash_pair(tree.node(1, 2), zero_hash(1))
    with pytest.raises(IndexError):
        tree.node(1, 4)


def test_leaves_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        merkle_root([b"short"])
    with pytest.raises(ValueError, match="multiple of 32"):
        merkle_root_packed(bytes(33))
