"""What a transaction costs on an OP-stack rollup: its L1 data fee (Fjord rules).

An OP-stack chain charges every transaction its L2 execution gas plus an L1 data fee for posting
the transaction's bytes to L1. Since the Fjord upgrade the fee is computed from the FastLZ-compressed
size of the signed transaction:

    estimatedSize = max(100e6, -42_585_600 + 836_500 * fastlzSize)      (bytes, scaled by 1e6)
    l1FeeScaled   = baseFeeScalar * l1BaseFee * 16 + blobBaseFeeScalar * blobBaseFee
    l1Fee         = estimatedSize * l1FeeScaled / 1e12                   (wei)

anvil's `--network optimism` mode executes OP-stack transactions but neither deploys the
GasPriceOracle nor puts `l1Fee` in receipts, so the fee is computed here from each transaction's
raw bytes (`eth_getRawTransactionByHash`), with the L1 prices stated in `OpFeeParams`.
`flz_compress_len` is the length FastLZ (level 1) would compress to, the measure op-geth's
`FlzCompressLen` takes; `tests/test_rollup_cost.py` checks it on op-geth's reference vectors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

_HASH_BITS = 13
_HASH_SIZE = 1 << _HASH_BITS
_MAX_DISTANCE = 0x1FFF
_LITERAL_RUN = 32
_MATCH_CHUNK = 262

FJORD_INTERCEPT = -42_585_600
FJORD_FASTLZ_COEF = 836_500
FJORD_MIN_SIZE_SCALED = 100 * 1_000_000
FJORD_DIVISOR = 1_000_000_000_000


def _u24(data: bytes, i: int) -> int:
    return data[i] | (data[i + 1] << 8) | (data[i + 2] << 16)


def _hash(value: int) -> int:
    return (((2654435769 * value) & 0xFFFFFFFF) >> 19) & (_HASH_SIZE - 1)


def _literal_cost(run: int) -> int:
    """Bytes FastLZ spends on `run` literal bytes: a one-byte header per run of up to 32."""
    full, rest = divmod(run, _LITERAL_RUN)
    return full * (_LITERAL_RUN + 1) + (rest + 1 if rest else 0)


def _match_cost(length: int) -> int:
    """Bytes FastLZ spends on a back-reference of `length` bytes (split into chunks of 262)."""
    length -= 1
    return 3 * (length // _MATCH_CHUNK) + (3 if length % _MATCH_CHUNK >= 6 else 2)


def _match_length(data: bytes, earlier: int, here: int, limit: int) -> int:
    """Matching bytes of data[earlier:] and data[here:], counted the way op-geth's `cmp` counts:
    the first mismatching byte is included in the count (it ends the loop after its increment)."""
    length = 0
    end = limit - here
    while length < end:
        if data[earlier + length] != data[here + length]:
            return length + 1
        length += 1
    return length


def flz_compress_len(data: bytes) -> int:
    """Length of `data` compressed with FastLZ level 1, as the OP stack measures it (no output made)."""
    size = len(data)
    table = [0] * _HASH_SIZE
    total = 0
    anchor = 0
    limit = size - 13 if size >= 13 else 0
    ip = anchor + 2
    while ip < limit:
        ref = 0
        while True:
            seq = _u24(data, ip)
            slot = _hash(seq)
            ref = table[slot]
            table[slot] = ip
            distance = ip - ref
            if ip >= limit:
                break
            ip += 1
            if distance <= _MAX_DISTANCE and seq == _u24(data, ref):
                break
        if ip >= limit:
            break
        ip -= 1
        if ip > anchor:
            total += _literal_cost(ip - anchor)
        length = _match_length(data, ref + 3, ip + 3, limit + 9)
        total += _match_cost(length)
        ip += length
        for _ in range(2):  # the two positions after the match enter the table
            table[_hash(_u24(data, ip))] = ip
            ip += 1
        anchor = ip
    return total + _literal_cost(size - anchor)


@dataclass(frozen=True)
class OpFeeParams:
    """The L1 prices an OP-stack chain charges data at (Fjord). Defaults: OP Mainnet's scalars
    (baseFeeScalar 5227, blobBaseFeeScalar 1014213) and stated L1 prices; the L2 gas price is
    only used to put the L1 data fee next to the execution fee."""

    l1_base_fee_wei: int = 20 * 10**9  # 20 gwei L1 base fee
    blob_base_fee_wei: int = 1 * 10**9  # 1 gwei per blob gas
    base_fee_scalar: int = 5227
    blob_base_fee_scalar: int = 1_014_213
    l2_gas_price_wei: int = 1_000_000  # 0.001 gwei: the L2 execution price, for the comparison

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fjord_l1_fee(fastlz_size: int, params: OpFeeParams) -> int:
    """The L1 data fee in wei of a signed transaction whose FastLZ size is `fastlz_size`."""
    estimated = max(FJORD_MIN_SIZE_SCALED, FJORD_INTERCEPT + FJORD_FASTLZ_COEF * fastlz_size)
    scaled = (
        params.base_fee_scalar * params.l1_base_fee_wei * 16
        + params.blob_base_fee_scalar * params.blob_base_fee_wei
    )
    return estimated * scaled // FJORD_DIVISOR


@dataclass(frozen=True)
class DataCost:
    """One transaction's bytes and what posting them to L1 costs."""

    calldata_bytes: int
    raw_tx_bytes: int
    fastlz_bytes: int
    l1_fee_wei: int


def data_cost(raw_tx: bytes, calldata: bytes, params: OpFeeParams) -> DataCost:
    fastlz = flz_compress_len(raw_tx)
    return DataCost(len(calldata), len(raw_tx), fastlz, fjord_l1_fee(fastlz, params))
