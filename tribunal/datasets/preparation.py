"""Deterministic randomness, splits and standardisation: the same bits on every machine.

Nothing here goes through a library whose reduction order or transcendental
functions could differ between machines or versions: random numbers come from
keccak256, sums from :func:`math.fsum` (exactly rounded), and the rest is
elementwise float64 ``+ - * /`` and ``sqrt``, which IEEE-754 rounds exactly.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from tribunal.merkle import keccak256

TEST_FRACTION_DENOMINATOR: Final[int] = 5


def stream_tag(name: str) -> bytes:
    """``keccak256("tribunal.datasets." + name)``: the key of a named random stream."""
    return keccak256(f"tribunal.datasets.{name}".encode())


def keccak_words(tag: bytes, count: int) -> list[int]:
    """``uint256(keccak256(tag ‖ uint256 i))`` for ``i`` in ``0 .. count-1``."""
    if len(tag) != 32:
        raise ValueError(f"a stream tag is 32 bytes, got {len(tag)}")
    return [int.from_bytes(keccak256(tag + i.to_bytes(32, "big")), "big") for i in range(count)]


def keccak_uniform(tag: bytes, count: int) -> NDArray[np.float64]:
    """``count`` float64 in ``[0, 1)``: the top 53 bits of each keccak word times ``2**-53``."""
    top_bits = [word >> 203 for word in keccak_words(tag, count)]
    return np.array(top_bits, dtype=np.float64) * 2.0**-53


def keccak_integers(tag: bytes, count: int, high: int) -> NDArray[np.int64]:
    """``count`` integers in ``[0, high)``: each keccak word modulo ``high``."""
    if high < 1:
        raise ValueError(f"high must be positive, got {high}")
    return np.array([word % high for word in keccak_words(tag, count)], dtype=np.int64)


def split_order(name: str, num_rows: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row indices of the (train, test) split: rows sorted by ``keccak256(tag ‖ uint256 i)``;
    the first ``num_rows // 5`` go to the test set, the rest to training, both in that order."""
    words = keccak_words(stream_tag(f"{name}.split"), num_rows)
    order = sorted(range(num_rows), key=words.__getitem__)
    num_test = num_rows // TEST_FRACTION_DENOMINATOR
    return np.array(order[num_test:], dtype=np.int64), np.array(order[:num_test], dtype=np.int64)


def column_statistics(values: NDArray[np.number[Any]]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-column mean and population standard deviation in float64 (constant columns: 1)."""
    data = np.asarray(values, dtype=np.float64)
    count = data.shape[0]
    if count == 0:
        raise ValueError("statistics need at least one row")
    means = np.array([math.fsum(column) / count for column in data.T], dtype=np.float64)
    centred = data - means
    variances = [math.fsum(column) / count for column in (centred * centred).T]
    stds = np.array([math.sqrt(v) if v > 0.0 else 1.0 for v in variances], dtype=np.float64)
    return means, stds


def standardise(
    values: NDArray[np.number[Any]], means: NDArray[np.float64], stds: NDArray[np.float64]
) -> NDArray[np.float32]:
    """``(values - mean) / std`` in float64, then rounded to float32 (nearest, ties to even)."""
    data = np.asarray(values, dtype=np.float64)
    return ((data - means) / stds).astype(np.float32)
