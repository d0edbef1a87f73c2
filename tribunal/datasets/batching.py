"""Which dataset rows make up a step's batch, recomputable on-chain for one row.

``batch_row_index(seed, step, row, n) =
uint256(keccak256(abi.encode(uint256 seed, uint256 step, uint256 row))) % n``:
three 32-byte big-endian words hashed together, the digest read as a big-endian
integer. Rows are drawn with replacement; the modulo bias is below ``n / 2**256``.
"""

from __future__ import annotations

from typing import Final

from tribunal.merkle import keccak256

UINT256_MAX: Final[int] = 2**256 - 1


def _word(value: int, what: str) -> bytes:
    if not 0 <= value <= UINT256_MAX:
        raise ValueError(f"{what} {value} does not fit a uint256")
    return value.to_bytes(32, "big")


def batch_row_index(seed: int, step: int, row: int, num_rows: int) -> int:
    """Dataset row feeding batch row ``row`` of step ``step``."""
    if not 0 < num_rows <= UINT256_MAX:
        raise ValueError(f"num_rows must be 1..2**256-1, got {num_rows}")
    digest = keccak256(_word(seed, "seed") + _word(step, "step") + _word(row, "row"))
    return int.from_bytes(digest, "big") % num_rows


def batch_row_indices(seed: int, step: int, batch_size: int, num_rows: int) -> list[int]:
    """Dataset rows feeding batch rows ``0 .. batch_size-1`` of step ``step``."""
    if batch_size < 0:
        raise ValueError(f"batch_size must be non-negative, got {batch_size}")
    if not 0 < num_rows <= UINT256_MAX:
        raise ValueError(f"num_rows must be 1..2**256-1, got {num_rows}")
    prefix = _word(seed, "seed") + _word(step, "step")
    return [
        int.from_bytes(keccak256(prefix + row.to_bytes(32, "big")), "big") % num_rows
        for row in range(batch_size)
    ]
