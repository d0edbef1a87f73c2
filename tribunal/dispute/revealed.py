"""The operator's trees as far as the chain has seen them.

Proof moves are checked against the operator's roots. A leaf left of the found position is
agreed, but its Merkle path can pass next to subtrees that hold the found (differing) leaf;
those siblings are the operator's, and the operator revealed each of them during the
descent. Every other sibling lies wholly left of the found leaf and is agreed, so the
challenger takes it from its own tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tribunal.merkle import MerkleTree
from tribunal.protocol_enums import Level

# (height, position) -> node hash, per level
RevealedNodes = Mapping[Level, Mapping[tuple[int, int], bytes]]


def collect(
    reveals: Iterable[tuple[Level, int, int, bytes, bytes]],
) -> dict[Level, dict[tuple[int, int], bytes]]:
    """From the operator's (level, position, height, left, right) reveals to a node map."""
    nodes: dict[Level, dict[tuple[int, int], bytes]] = {}
    for level, position, height, left, right in reveals:
        by_position = nodes.setdefault(level, {})
        by_position[(height - 1, 2 * position)] = left
        by_position[(height - 1, 2 * position + 1)] = right
    return nodes


def operator_proof(
    own: MerkleTree, revealed: Mapping[tuple[int, int], bytes], leaf: int
) -> list[bytes]:
    """A proof of ``leaf`` under the operator's root, for a leaf left of the found one."""
    proof: list[bytes] = []
    index = leaf
    for height in range(own.depth):
        sibling = index ^ 1
        proof.append(revealed.get((height, sibling), own.node(height, sibling)))
        index >>= 1
    return proof
