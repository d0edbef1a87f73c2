"""A party's next move in a game, computed from the on-chain state and its own claims (pure).

Each move is a contract function name and its arguments, exactly as `DisputeGame` takes them
(`docs/protocol.md, "The dispute game"`). Reveal rounds are sent by the party on turn; proof moves by
either party (their data is checked against agreed roots, so both compute the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.one_step import one_step_args
from tribunal.dispute.proofs import OperatorProofs, input_shapes_arg, node_descriptor_at
from tribunal.dispute.revealed import RevealedNodes
from tribunal.dispute.state import DESCENT_LEVELS, GameView
from tribunal.graph import graph_root, node_descriptor, node_leaf
from tribunal.merkle import MerkleTree
from tribunal.protocol_enums import Level, Party


class ClaimsMismatch(RuntimeError):
    """The chain holds a root for us that our own claims do not produce (wrong claims object)."""


@dataclass(frozen=True)
class Move:
    """A contract call; ``args[0]`` is the game id, filled in by the player (None here)."""

    function: str
    args: tuple[Any, ...]


def next_move(view: GameView, me: Party, claims: PartyClaims,
              revealed: RevealedNodes | None = None) -> Move | None:
    """The move ``me`` should make now, or None when it is the other party's turn.

    ``revealed`` holds the operator's revealed nodes (from the game's events); a challenger
    needs them for proof moves, which are checked against the operator's roots.
    """
    proofs = OperatorProofs(me, revealed or {})
    if not view.active:
        return None
    level = view.level
    if level in DESCENT_LEVELS:
        return _reveal(view, me, claims) if view.on_turn is me else None
    if level is Level.OUTPUT_ROOT:
        if view.on_turn is not me:
            return None
        data_root = claims.output_commitment(view.step, view.node).data_root
        return Move("revealOutputRoot", (None, data_root))
    if level is Level.INTERMEDIATES:
        return _commit_intermediates(view, me, claims, proofs) if view.on_turn is me else None
    if level is Level.SEGMENT:
        return _commit_segment(view, claims, proofs) if view.on_turn is me else None
    if level is Level.STEP_START:
        return _start_step(view, claims, proofs)
    if level is Level.NODE_START:
        return _start_node(view, claims)
    if level is Level.ONE_STEP:
        return Move("oneStep", (None, *one_step_args(view, claims, proofs)))
    return None


def level_tree(view: GameView, claims: PartyClaims) -> MerkleTree:
    if view.level is Level.STEPS:
        return claims.trace_tree
    if view.level is Level.SEGMENT_STEPS:
        return claims.segment_tree(view.segment_start, view.segment_end)
    if view.level is Level.NODES:
        return claims.step(view.step).nodes_tree
    if view.level is Level.ELEMENT:
        return claims.output_commitment(view.step, view.node).tree
    return claims.intermediates_commitment(view.step, view.node, view.element).tree


def _reveal(view: GameView, me: Party, claims: PartyClaims) -> Move:
    tree = level_tree(view, claims)
    mine = tree.node(view.height, view.position)
    if mine != view.root_of(me):
        raise ClaimsMismatch(
            f"{view.level.name} at height {view.height}, position {view.position}: the chain holds "
            f"{view.root_of(me).hex()} for us but our claims give {mine.hex()}"
        )
    left = tree.node(view.height - 1, 2 * view.position)
    right = tree.node(view.height - 1, 2 * view.position + 1)
    return Move("reveal", (None, left, right))


def _graph_preimage(claims: PartyClaims) -> tuple[bytes, int, int]:
    graph = claims.graph
    leaves = [node_leaf(graph, node) for node in graph.nodes]
    return MerkleTree(leaves).root, len(graph.nodes), len(graph.slots)


def _commit_segment(view: GameView, claims: PartyClaims, proofs: OperatorProofs) -> Move:
    """This party's states of the open interval, bound at both ends: its first state is the agreed
    trace leaf ``a`` (proven under the operator's trace root), its last one this party's own leaf."""
    start, end = view.segment_start, view.segment_end
    tree = claims.segment_tree(start, end)
    if (tree.leaf(0), tree.leaf(view.segment_leaves - 1)) != (claims.state_commitments[start],
                                                               claims.state_commitments[end]):
        raise ClaimsMismatch(f"our states of interval {start}..{end} do not end on our trace leaves")
    state_a = claims.state_commitments[start]
    state_a_proof = proofs.under_operator(claims.trace_tree, Level.STEPS, start)
    return Move("commitSegment", (None, tree.root, state_a, state_a_proof, tree.proof(0),
                                  tree.proof(view.segment_leaves - 1)))


def _start_step(view: GameView, claims: PartyClaims, proofs: OperatorProofs) -> Move:
    t = view.step
    nodes_root, num_nodes, num_slots = _graph_preimage(claims)
    assert graph_root(claims.graph) == claims.prepared.graph_root
    if view.segment_leaves:
        # the game opened an interval: h_t is leaf t - a of the operator's states of it
        start = view.segment_start
        tree = claims.segment_tree(start, view.segment_end)
        state_root = tree.leaf(t - start)
        proof = proofs.under_operator(tree, Level.SEGMENT_STEPS, t - start) if t > 0 else []
    else:
        state_root = claims.state_commitments[t]
        proof = proofs.under_operator(claims.trace_tree, Level.STEPS, t) if t > 0 else []
    return Move("startStep", (None, state_root, proof, nodes_root, num_nodes, num_slots))


def _start_node(view: GameView, claims: PartyClaims) -> Move:
    graph = claims.graph
    leaves = [node_leaf(graph, node) for node in graph.nodes]
    descriptor = node_descriptor(graph, graph.nodes[view.node])
    return Move("startNode", (None, descriptor, MerkleTree(leaves).proof(view.node)))


def _commit_intermediates(view: GameView, me: Party, claims: PartyClaims, proofs: OperatorProofs) -> Move:
    commitment = claims.intermediates_commitment(view.step, view.node, view.element)
    last = commitment.numel - 1
    proof = commitment.element_proof(last)
    challenger = me is Party.CHALLENGER
    descriptor = node_descriptor_at(view, claims) if challenger else b""
    inputs = input_shapes_arg(view, claims, proofs) if challenger else []
    return Move("commitIntermediates",
                (None, descriptor, inputs, commitment.data_root, proof.leaf, list(proof.siblings)))
