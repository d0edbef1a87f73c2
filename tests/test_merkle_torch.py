"""The torch keccak trees (tribunal/merkle_torch.py) give tribunal.merkle's bits, here on the CPU."""

from __future__ import annotations

import random

import pytest
import torch

from tribunal import commitments, merkle
from tribunal import merkle_torch as mt


def test_keccak_of_pairs_matches_keccak256() -> None:
    rng = random.Random(0)
    packed = rng.randbytes(64 * 11)
    nodes = torch.frombuffer(bytearray(packed), dtype=torch.int64).view(-1, 4)
    digests = mt.hash_pairs(nodes).numpy().astype("<i8").tobytes()
    assert digests == b"".join(merkle.keccak256(packed[i : i + 64]) for i in range(0, len(packed), 64))


def test_extreme_lanes_survive_the_int64_shifts() -> None:
    for word in (b"\xff" * 32, b"\x80" * 32, b"\x01" * 32, bytes(31) + b"\x80"):
        nodes = torch.frombuffer(bytearray(word * 2), dtype=torch.int64).view(-1, 4)
        assert mt.hash_pairs(nodes).numpy().astype("<i8").tobytes() == merkle.hash_pair(word, word)


@pytest.mark.parametrize(
    "shapes",
    [
        [()],
        [(0,), (2, 0, 3)],
        [(1,), (3,), (8,), (9,), (16,), (17,)],
        [(2, 3), (4, 5, 3), (33, 2), (100, 33), (1, 2, 1, 2, 1, 2, 1)],
    ],
)
def test_tensor_roots_match_commitments(shapes: list[tuple[int, ...]]) -> None:
    generator = torch.Generator().manual_seed(len(shapes))
    tensors = [torch.randn(shape, generator=generator) for shape in shapes]
    tensors.append(torch.tensor([float("nan"), float("-inf"), -0.0, 1e-45]))  # bits, not values
    assert mt.tensor_roots(tensors) == [commitments.tensor_root(t) for t in tensors]
    assert mt.data_roots(tensors) == [commitments.tensor_data_root(t) for t in tensors]
    assert mt.tensor_root(tensors[0]) == commitments.tensor_root(tensors[0])


def test_non_contiguous_tensors_are_hashed_as_their_values() -> None:
    values = torch.randn(6, 10, generator=torch.Generator().manual_seed(1))
    assert mt.tensor_roots([values.T]) == [commitments.tensor_root(values.T.contiguous())]


def test_only_float32_is_committed() -> None:
    with pytest.raises(TypeError, match="float32"):
        mt.tensor_roots([torch.zeros(3, dtype=torch.float64)])
    assert mt.tensor_roots([]) == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensor_roots_match_commitments() -> None:
    generator = torch.Generator().manual_seed(7)
    tensors = [torch.randn(shape, generator=generator) for shape in [(3,), (100, 33), (257, 129), (1 << 20,)]]
    on_cuda = mt.tensor_roots([t.cuda() for t in tensors])
    assert on_cuda == [commitments.tensor_root(t) for t in tensors]
