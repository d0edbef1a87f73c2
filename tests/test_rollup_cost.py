"""The OP-stack L1 data fee of bench/rollup_cost.py against op-geth's reference vectors
(core/types/rollup_cost_test.go: TestFlzCompressLen and the Fjord minimum-size fee)."""

from __future__ import annotations

import pytest

from bench.rollup_cost import OpFeeParams, fjord_l1_fee, flz_compress_len

pytestmark = pytest.mark.unit

EMPTY_LEGACY_TX = bytes.fromhex("dd80808094095e7baea6a6c7c4c2dfeb977efac326af552d878080808080")
CONTRACT_CALL_TX = bytes.fromhex(
    "02f901550a758302df1483be21b88304743f94f8"
    "0e51afb613d764fa61751affd3313c190a86bb870151bd62fd12adb8"
    "e41ef24f3f0000000000000000000000000000000000000000000000"
    "00000000000000006e000000000000000000000000af88d065e77c8c"
    "c2239327c5edb3a432268e5831000000000000000000000000000000"
    "000000000000000000000000000003c1e50000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000a0000000"
    "00000000000000000000000000000000000000000000000000000000"
    "148c89ed219d02f1a5be012c689b4f5b731827bebe00000000000000"
    "0000000000c001a033fd89cb37c31b2cba46b6466e040c61fc9b2a36"
    "75a7f5f493ebd5ad77c497f8a07cdf65680e238392693019b4092f61"
    "0222e71b7cec06449cb922b93b6a12744e"
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", 0),
        (b"\x01" * 1000, 21),
        (b"\x00" * 1000, 21),
        (EMPTY_LEGACY_TX, 31),
        (CONTRACT_CALL_TX, 202),
    ],
    ids=["empty", "1000 ones", "1000 zeros", "empty legacy tx", "contract call tx"],
)
def test_fastlz_length_matches_op_geth(data: bytes, expected: int) -> None:
    assert flz_compress_len(data) == expected


def test_contract_call_vector_is_whole() -> None:
    assert len(EMPTY_LEGACY_TX) == 30
    assert len(CONTRACT_CALL_TX) == 345


def test_fjord_fee_floors_at_the_minimum_size() -> None:
    # op-geth: baseFee 1e9, blobBaseFee 1e7, scalars 2 and 3, FastLZ 31 -> the 100-byte floor.
    params = OpFeeParams(l1_base_fee_wei=10**9, blob_base_fee_wei=10**7, base_fee_scalar=2,
                         blob_base_fee_scalar=3)
    assert fjord_l1_fee(31, params) == 3_203_000
    assert fjord_l1_fee(170, params) == 3_203_000  # -42.5856M + 836.5k*170 < 100M: the floor
    assert fjord_l1_fee(171, params) > 3_203_000
    above = fjord_l1_fee(202, params)
    assert above == (-42_585_600 + 836_500 * 202) * (10**9 * 16 * 2 + 10**7 * 3) // 10**12
    assert above > 3_203_000
