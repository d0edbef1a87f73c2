"""The ONE STEP's operands: what `OneStepProver` reads to execute the instruction under dispute
(`contracts/src/OneStepProver.sol`; `docs/protocol.md`, "Levels", ONE STEP) (pure).

A constant operand carries nothing; an earlier intermediate in the same leaf as the instruction is
read from the committed leaf itself; another one carries its leaf and proof under the intermediates
root; an input element carries its leaf and proof under the input's root (a dataset element its row
proof as well).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tribunal.commitments import ELEMENTS_PER_LEAF, TensorCommitment
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.proofs import OperatorProofs, input_shapes_arg, node_descriptor_at
from tribunal.dispute.state import GameView
from tribunal.graph import RefKind
from tribunal.protocol_enums import Level
from tribunal.repops import OperandKind


def one_step_args(view: GameView, claims: PartyClaims,
                  proofs: OperatorProofs) -> tuple[bytes, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """`oneStep`'s arguments after the game id: the node's descriptor, its inputs' shapes and roots
    (`InputShape[]`), and one `OperandProof` per operand of the instruction under dispute."""
    t, n, e, i = view.step, view.node, view.element, view.instruction
    instr = claims.instruction(t, n, e, i)
    node = claims.node(n)
    operands: list[tuple[Any, ...]] = []
    intermediates = claims.intermediates_commitment(t, n, e)
    for operand in instr.operands:
        if operand.kind is OperandKind.CONST:
            operands.append((bytes(32), [], bytes(32), []))
        elif operand.kind is OperandKind.TEMP:
            j = operand.a
            if j // ELEMENTS_PER_LEAF == i // ELEMENTS_PER_LEAF:
                operands.append((bytes(32), [], bytes(32), []))
            else:
                leaf_index = j // ELEMENTS_PER_LEAF
                siblings = proofs.under_operator(intermediates.tree, Level.INSTRUCTION, leaf_index)
                operands.append((intermediates.tree.leaf(leaf_index), siblings, bytes(32), []))
        else:
            slot, index = operand.a, operand.b
            ref = node.inputs[slot]
            if ref.kind is RefKind.DATASET:
                data = claims.dataset_commitment
                row, column = divmod(index, data.width)
                proof = data.element_proof(row, column)
                operands.append((proof.element.leaf, list(proof.element.siblings), proof.row_root,
                                 list(proof.row_siblings)))
            else:
                array = claims.node_inputs(t, n)[slot]
                p = TensorCommitment(np.asarray(array, dtype=np.float32)).element_proof(index)
                operands.append((p.leaf, list(p.siblings), bytes(32), []))
    inputs = input_shapes_arg(view, claims, proofs)
    return node_descriptor_at(view, claims), inputs, operands
