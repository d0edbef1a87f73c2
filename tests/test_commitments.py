"""Tensor roots bound to shapes, element proofs, state commitments, trace roots, vectors."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tools.generate.commitment_vectors import VECTORS_PATH, render_vectors
from tribunal.commitments import (
    MAX_NDIM,
    ElementProof,
    TensorCommitment,
    bind_shape,
    decode_shape_word,
    element_proof,
    shape_word,
    state_commitment,
    state_proof,
    tensor_bytes,
    tensor_data_root,
    tensor_root,
    tensor_root_from_bytes,
    trace_proof,
    trace_root,
    verify_element_proof,
    verify_state_proof,
    verify_trace_proof,
)
from tribunal.merkle import keccak256, merkle_root_packed

float32_tensors = hnp.arrays(
    dtype=np.float32,
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=9),
    elements=st.integers(0, 2**32 - 1).map(lambda b: np.uint32(b).view(np.float32)),
)


def test_tensor_root_is_data_root_bound_to_the_shape_word() -> None:
    values = np.arange(10, dtype=np.float32)
    raw = values.tobytes() + bytes(24)
    data_root = merkle_root_packed(raw)
    assert tensor_data_root(values) == data_root
    assert tensor_root(values) == keccak256(data_root + shape_word((10,)))


def test_leaves_hold_eight_little_endian_floats() -> None:
    values = np.array([1.0, -2.0], dtype=np.float32)
    assert tensor_bytes(values) == bytes.fromhex("0000803f000000c0")
    assert tensor_data_root(values) == tensor_bytes(values) + bytes(24)


def test_shape_word_layout() -> None:
    word = shape_word((3, 70000))
    assert word == bytes([2, 0, 0, 0, 3, 0, 1, 0x11, 0x70]) + bytes(23)
    assert decode_shape_word(word) == (3, 70000)
    assert shape_word(()) == bytes(32)


def test_shape_word_rejects_unencodable_shapes() -> None:
    with pytest.raises(ValueError, match="at most 7"):
        shape_word((1,) * (MAX_NDIM + 1))
    with pytest.raises(ValueError, match="uint32"):
        shape_word((2**32,))
    with pytest.raises(ValueError, match="non-zero"):
        decode_shape_word(shape_word((5,))[:-1] + b"\x01")


def test_same_bytes_different_shape_give_different_roots() -> None:
    values = np.arange(12, dtype=np.float32)
    roots = {tensor_root(values.reshape(shape)) for shape in [(12,), (3, 4), (4, 3), (2, 2, 3)]}
    assert len(roots) == 4
    assert tensor_root(np.float32(1.0)) != tensor_root(np.ones(1, dtype=np.float32))
    assert tensor_root(np.zeros((0,), np.float32)) != tensor_root(np.zeros((2, 0), np.float32))


def test_padding_is_not_an_element() -> None:
    """Nine zeros and ten zeros share their data root; only the shape tells them apart."""
    nine, ten = np.zeros(9, np.float32), np.zeros(10, np.float32)
    assert tensor_data_root(nine) == tensor_data_root(ten)
    assert tensor_root(nine) != tensor_root(ten)
    with pytest.raises(IndexError):
        TensorCommitment(nine).element_proof(9)


def test_torch_and_numpy_commit_alike() -> None:
    values = torch.arange(30, dtype=torch.float32).reshape(5, 6).T
    expected = tensor_root(np.arange(30, dtype=np.float32).reshape(5, 6).T)
    assert tensor_root(values) == expected
    assert tensor_root(values.clone().requires_grad_()) == expected


def test_non_float32_is_refused_rather_than_rounded() -> None:
    with pytest.raises(TypeError, match="float32"):
        tensor_root(np.zeros(3, dtype=np.float64))
    with pytest.raises(TypeError, match="float32"):
        tensor_root(torch.zeros(3, dtype=torch.float16))
    with pytest.raises(TypeError, match="numpy array or a torch tensor"):
        tensor_root([1.0, 2.0])  # type: ignore[arg-type]


def test_big_endian_arrays_commit_by_value() -> None:
    values = np.array([1.5, -3.25, 7.0], dtype=np.float32)
    assert tensor_root(values.astype(">f4")) == tensor_root(values)


def test_root_from_bytes_matches_root_from_array() -> None:
    values = np.linspace(-1, 1, 21, dtype=np.float32).reshape(3, 7)
    assert tensor_root_from_bytes(values.tobytes(), (3, 7)) == tensor_root(values)
    with pytest.raises(ValueError, match="do not hold"):
        tensor_root_from_bytes(values.tobytes(), (3, 6))


@settings(max_examples=60, deadline=None)
@given(float32_tensors, st.data())
def test_every_element_proof_verifies_and_carries_the_bits(
    tensor: np.ndarray, data: st.DataObject
) -> None:
    commitment = TensorCommitment(tensor)
    element = data.draw(st.integers(0, tensor.size - 1))
    proof = commitment.element_proof(element)
    assert proof.bits == int(tensor.reshape(-1).view(np.uint32)[element])
    assert verify_element_proof(proof, commitment.root, shape=tensor.shape)
    assert commitment.root == tensor_root(tensor)


@settings(max_examples=40, deadline=None)
@given(float32_tensors.filter(lambda t: t.size >= 2), st.data())
def test_tampered_element_proofs_fail(tensor: np.ndarray, data: st.DataObject) -> None:
    commitment = TensorCommitment(tensor)
    element = data.draw(st.integers(0, tensor.size - 1))
    proof = commitment.element_proof(element)
    root = commitment.root
    lane_byte = 4 * proof.lane + data.draw(st.integers(0, 3))
    flipped_leaf = bytearray(proof.leaf)
    flipped_leaf[lane_byte] ^= 1 << data.draw(st.integers(0, 7))
    tampered = [
        dataclasses.replace(proof, leaf=bytes(flipped_leaf)),
        dataclasses.replace(proof, element=(element + 1) % tensor.size),
        dataclasses.replace(proof, shape=(tensor.size,) if tensor.ndim != 1 else (1, tensor.size)),
    ]
    if proof.siblings:
        tampered.append(dataclasses.replace(proof, siblings=proof.siblings[:-1]))
    for bad in tampered:
        assert not verify_element_proof(bad, root)


def test_element_proof_for_lane_and_leaf() -> None:
    values = np.arange(20, dtype=np.float32).reshape(4, 5)
    proof = element_proof(values, 13)
    assert (proof.leaf_index, proof.lane) == (1, 5)
    assert proof.value == np.float32(13.0)
    assert isinstance(proof, ElementProof)
    assert proof.tensor_root() == tensor_root(values)


def test_state_commitment_and_trace_membership() -> None:
    tensors = [np.full((i + 1, 2), i, dtype=np.float32) for i in range(5)]
    roots = [tensor_root(t) for t in tensors]
    h = state_commitment(roots)
    for index, root in enumerate(roots):
        assert verify_state_proof(root, index, state_proof(roots, index), h, len(roots))
    assert not verify_state_proof(roots[0], 1, state_proof(roots, 1), h, len(roots))
    states = [h, state_commitment(roots[1:]), state_commitment(roots[:2])]
    trace = trace_root(states)
    for step, state in enumerate(states):
        assert verify_trace_proof(state, step, trace_proof(states, step), trace, len(states))
    assert not verify_trace_proof(states[0], 0, trace_proof(states, 0), trace, 5)


def test_state_order_matters() -> None:
    roots = [keccak256(bytes([i])) for i in range(3)]
    assert state_commitment(roots) != state_commitment(roots[::-1])


def test_bind_shape_requires_a_32_byte_root() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        bind_shape(b"\x00", (1,))


def test_vectors_file_is_reproduced_exactly_by_the_generator() -> None:
    assert VECTORS_PATH.read_text() == render_vectors()


def test_vectors_element_proofs_verify_from_their_own_fields() -> None:
    """What the Solidity tests will do with the file, done in Python from the JSON alone."""
    vectors = json.loads(VECTORS_PATH.read_text())
    for tensor in vectors["tensors"]:
        root = bytes.fromhex(tensor["root"][2:])
        for entry in tensor["element_proofs"]:
            proof = ElementProof(
                element=entry["element"],
                shape=tuple(tensor["shape"]),
                leaf=bytes.fromhex(entry["leaf"][2:]),
                leaf_index=entry["leaf_index"],
                lane=entry["lane"],
                siblings=tuple(bytes.fromhex(s[2:]) for s in entry["proof"]),
            )
            assert verify_element_proof(proof, root)
            assert f"0x{proof.bits:08x}" == entry["bits"] == tensor["bits"][entry["element"]]
