"""Test vectors for commitments, shared bit for bit with the Solidity tests.

``python -m tools.generate.commitment_vectors`` rewrites ``vectors/commitments.json``;
``--check`` exits 1 if the file differs from what the code produces now.
Byte strings are ``0x``-prefixed lowercase hex; float32 values are given as their
bit patterns (``uint32`` hex); ``uint256`` values that may pass 2**53 are decimal strings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from tools.generate import VECTORS_DIR, Outputs, generator_main
from tribunal.commitments import (
    TensorCommitment,
    final_state_proof,
    num_leaves_for,
    pack_leaves,
    shape_word,
    state_commitment,
    state_proof,
    trace_proof,
    trace_root,
)
from tribunal.datasets import (
    DATASET_NAMES,
    batch_row_index,
    dataset_content_hash,
    load_dataset,
)
from tribunal.merkle import MerkleTree, keccak256, tree_depth, zero_hash

VECTORS_PATH: Final[Path] = VECTORS_DIR / "commitments.json"

SPECIAL_BITS: Final[tuple[int, ...]] = (
    0x00000000,  # +0
    0x80000000,  # -0
    0x3F800000,  # 1
    0xBF800000,  # -1
    0x7F800000,  # +inf
    0xFF800000,  # -inf
    0x7FC00000,  # canonical NaN
    0x00000001,  # smallest subnormal
    0x807FFFFF,  # largest negative subnormal
    0x7F7FFFFF,  # largest finite
    0x3EAAAAAB,  # 1/3 rounded
)


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _hexes(items: Sequence[bytes]) -> list[str]:
    return [_hex(item) for item in items]


def _bits_hex(bits: int) -> str:
    return f"0x{bits:08x}"


def _counter_leaf(i: int) -> bytes:
    return keccak256(i.to_bytes(32, "big"))


def _merkle_vectors() -> dict[str, Any]:
    trees = []
    for count in (0, 1, 2, 3, 5, 8):
        leaves = [_counter_leaf(i) for i in range(count)]
        tree = MerkleTree(leaves)
        trees.append(
            {
                "leaves": _hexes(leaves),
                "depth": tree.depth,
                "root": _hex(tree.root),
                "proofs": [
                    {"index": index, "proof": _hexes(tree.proof(index))}
                    for index in range(count)
                ],
            }
        )
    return {
        "leaf_rule": "leaf i = keccak256(uint256 i)",
        "zero_hashes": _hexes([zero_hash(height) for height in range(6)]),
        "trees": trees,
    }


def _tensor_values(name: str, count: int) -> np.ndarray:
    if name == "specials":
        bits = np.array([SPECIAL_BITS[i % len(SPECIAL_BITS)] for i in range(count)], np.uint32)
        return bits.view(np.float32)
    # (i + 1) * 0.375, alternating in sign, all exactly representable in float32
    return np.array(
        [(i + 1) * 0.375 * (-1) ** i for i in range(count)], dtype=np.float64
    ).astype(np.float32)


TENSOR_CASES: Final[tuple[tuple[str, tuple[int, ...]], ...]] = (
    ("scalar", ()),
    ("one", (1,)),
    ("three", (3,)),
    ("one_leaf", (8,)),
    ("nine", (9,)),
    ("matrix_2x3", (2, 3)),
    ("cube_4x5x3", (4, 5, 3)),
    ("seventeen", (17,)),
    ("specials", (11,)),
    ("empty", (0,)),
    ("empty_2x0x3", (2, 0, 3)),
    ("seven_dims", (1, 2, 1, 2, 1, 2, 1)),
    ("long_33x2", (33, 2)),
)


def _tensor_vector(name: str, shape: tuple[int, ...]) -> dict[str, Any]:
    numel = int(np.prod(shape, dtype=np.int64))
    values = _tensor_values(name, numel).reshape(shape)
    commitment = TensorCommitment(values)
    raw = pack_leaves(values.tobytes())
    elements = sorted({0, numel // 2, numel - 1}) if numel else []
    proofs = []
    for element in elements:
        proof = commitment.element_proof(element)
        proofs.append(
            {
                "element": element,
                "bits": _bits_hex(proof.bits),
                "leaf_index": proof.leaf_index,
                "lane": proof.lane,
                "leaf": _hex(proof.leaf),
                "proof": _hexes(proof.siblings),
            }
        )
    return {
        "name": name,
        "shape": list(shape),
        "numel": numel,
        "bits": [_bits_hex(int(b)) for b in values.reshape(-1).view(np.uint32)],
        "num_leaves": num_leaves_for(numel),
        "depth": tree_depth(num_leaves_for(numel)),
        "leaves": _hexes([raw[i : i + 32] for i in range(0, len(raw), 32)]),
        "data_root": _hex(commitment.data_root),
        "shape_word": _hex(shape_word(shape)),
        "root": _hex(commitment.root),
        "element_proofs": proofs,
    }


def _state_and_trace(tensor_roots: list[bytes]) -> tuple[dict[str, Any], dict[str, Any]]:
    state_roots = tensor_roots[:5]
    commitment = state_commitment(state_roots)
    state = {
        "tensor_roots": _hexes(state_roots),
        "commitment": _hex(commitment),
        "proofs": [
            {"index": i, "proof": _hexes(state_proof(state_roots, i))}
            for i in range(len(state_roots))
        ],
    }
    states = [commitment] + [state_commitment(tensor_roots[i : i + 3]) for i in range(5)]
    trace = {
        "states_rule": "h_0 = state.commitment; h_k = stateCommitment(tensor roots k-1 .. k+1)",
        "states": _hexes(states),
        "root": _hex(trace_root(states)),
        "proofs": [
            {"step": step, "proof": _hexes(trace_proof(states, step))}
            for step in range(len(states))
        ],
    }
    return state, trace


FINAL_STATE_SEED: Final[bytes] = b"final state".ljust(32, b"\0")
FINAL_STATE_STEPS: Final[tuple[int, ...]] = (1, 2, 3, 4, 5, 7, 8, 100)


def _final_state_vectors() -> dict[str, Any]:
    """What `TaskMarket.submitResult` checks: h_S is leaf S of the S + 1 leaves under the trace root."""
    cases = []
    for steps in FINAL_STATE_STEPS:
        states = [keccak256(FINAL_STATE_SEED + t.to_bytes(32, "big")) for t in range(steps + 1)]
        final, proof = final_state_proof(states)
        cases.append(
            {
                "steps": steps,
                "root": _hex(trace_root(states)),
                "final_state": _hex(final),
                "final_proof": _hexes(proof),
                "previous_state": _hex(states[steps - 1]),
                "previous_proof": _hexes(trace_proof(states, steps - 1)),
            }
        )
    return {
        "states_rule": (
            "h_t = keccak256(seed ‖ uint256(t)) for t = 0..S (Solidity: keccak256(abi.encode(seed, t)))"
        ),
        "seed": _hex(FINAL_STATE_SEED),
        "cases": cases,
    }


def _dataset_vectors() -> dict[str, Any]:
    dataset = load_dataset("tiny_regression")
    commitment = dataset.commitment
    elements = []
    for row, column in ((0, 0), (5, 3), (dataset.num_rows - 1, dataset.width - 1), (17, 1)):
        proof = commitment.element_proof(row, column)
        elements.append(
            {
                "row": row,
                "column": column,
                "bits": _bits_hex(proof.bits),
                "leaf": _hex(proof.element.leaf),
                "leaf_index": proof.element.leaf_index,
                "lane": proof.element.lane,
                "element_proof": _hexes(proof.element.siblings),
                "row_root": _hex(proof.row_root),
                "row_proof": _hexes(proof.row_siblings),
            }
        )
    return {
        "name": dataset.name,
        "num_rows": dataset.num_rows,
        "width": dataset.width,
        "shape_word": _hex(shape_word((dataset.num_rows, dataset.width))),
        "row_shape_word": _hex(shape_word((dataset.width,))),
        "rows_root": _hex(commitment.tree.root),
        "root": _hex(dataset.root),
        "first_row_bits": [_bits_hex(int(b)) for b in dataset.rows[0].view(np.uint32)],
        "elements": elements,
    }


def _builtin_datasets() -> list[dict[str, Any]]:
    summaries = []
    for name in DATASET_NAMES:
        dataset = load_dataset(name)
        summaries.append(
            {
                "name": name,
                "train_shape": list(dataset.rows.shape),
                "test_shape": list(dataset.test_rows.shape),
                "root": _hex(dataset.root),
                "test_root": _hex(dataset.test_root),
                "content_hash": _hex(dataset_content_hash(dataset)),
            }
        )
    return summaries


BATCH_CASES: Final[tuple[tuple[int, int, int, int], ...]] = (
    (0, 0, 0, 1),
    (0, 0, 0, 120),
    (1, 0, 0, 120),
    (1, 1, 0, 120),
    (1, 1, 1, 120),
    (42, 7, 3, 1024),
    (42, 1000, 31, 1437),
    (2**64 + 5, 3, 2, 2048),
    (2**256 - 1, 2**256 - 1, 2**256 - 1, 7),
    (123456789, 99, 15, 2**64 + 13),
)


def _batch_vectors() -> list[dict[str, Any]]:
    return [
        {
            "seed": str(seed),
            "step": str(step),
            "row": str(row),
            "num_rows": str(num_rows),
            "index": str(batch_row_index(seed, step, row, num_rows)),
        }
        for seed, step, row, num_rows in BATCH_CASES
    ]


def build_vectors() -> dict[str, Any]:
    tensors = [_tensor_vector(name, shape) for name, shape in TENSOR_CASES]
    state, trace = _state_and_trace([bytes.fromhex(t["root"][2:]) for t in tensors])
    return {
        "description": (
            "Commitment test vectors (docs/protocol.md, 'Commitments'); "
            "regenerate with `python -m tools.generate.commitment_vectors`"
        ),
        "keccak": [
            {"input": _hex(data), "hash": _hex(keccak256(data))}
            for data in (b"", b"abc", bytes(64))
        ],
        "merkle": _merkle_vectors(),
        "tensors": tensors,
        "state": state,
        "trace": trace,
        "final_state": _final_state_vectors(),
        "dataset": _dataset_vectors(),
        "builtin_datasets": _builtin_datasets(),
        "batch_indices": _batch_vectors(),
    }


def render_vectors() -> str:
    return json.dumps(build_vectors(), indent=2) + "\n"


def outputs() -> Outputs:
    return {VECTORS_PATH: render_vectors().encode()}


main = generator_main("tools.generate.commitment_vectors", __doc__, outputs)

if __name__ == "__main__":
    sys.exit(main())
