"""Proofs a move carries: agreed leaves under the operator's roots, and the inputs of the node under
dispute (`InputShape[]`), as `DisputeGame` and `OneStepProver` check them (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tribunal.commitments import TensorCommitment, shape_word
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.revealed import RevealedNodes, operator_proof
from tribunal.dispute.state import GameView
from tribunal.graph import RefKind, node_descriptor
from tribunal.merkle import MerkleTree
from tribunal.protocol_enums import Level, Party


@dataclass(frozen=True)
class OperatorProofs:
    """Proofs of agreed leaves under the operator's roots (see `tribunal.dispute.revealed`)."""

    me: Party
    revealed: RevealedNodes

    def under_operator(self, own: MerkleTree, level: Level, leaf: int) -> list[bytes]:
        if self.me is Party.OPERATOR:
            return own.proof(leaf)
        return operator_proof(own, self.revealed.get(level, {}), leaf)


def input_shapes_arg(view: GameView, claims: PartyClaims, proofs: OperatorProofs) -> list[tuple[Any, ...]]:
    """`InputShape[]` for node n of step t: each input's root, its proof, data root and shape."""
    t, n = view.step, view.node
    step = claims.step(t)
    out: list[tuple[Any, ...]] = []
    for ref in claims.node(n).inputs:
        if ref.kind is RefKind.DATASET:
            data = claims.dataset_commitment
            rows_shape = (data.num_rows, data.width)
            out.append((bytes(32), [], data.tree.root, shape_word(rows_shape)))
            continue
        if ref.kind is RefKind.NODE:
            commitment = claims.output_commitment(t, ref.index)
            proof = proofs.under_operator(step.nodes_tree, Level.NODES, ref.index)
        else:
            slot = ref.index
            commitment = TensorCommitment(step.state[slot])
            leaf = slot if t == 0 else claims.graph.slots[slot].producer
            proof = step.state_tree.proof(leaf)
        out.append((commitment.root, proof, commitment.data_root, commitment.shape_word))
    return out


def node_descriptor_at(view: GameView, claims: PartyClaims) -> bytes:
    return node_descriptor(claims.graph, claims.graph.nodes[view.node])
