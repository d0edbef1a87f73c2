"""Tensor roots computed where the tensors are: keccak256 Merkle trees in torch ops.

The same bits as :mod:`tribunal.merkle` and :func:`tribunal.commitments.tensor_root`
(tests/test_merkle_torch.py checks them on the CPU), on any device torch runs on,
so that a CUDA training step need not copy its node outputs to the host to commit
to them: only the 32-byte data roots come back.

A level of a tree is one batch: each row of the ``(25, B)`` int64 state is a lane
of keccak-f[1600] for ``B`` independent 64-byte messages (two nodes each). The
trees of all the tensors given together are hashed level by level in one batch,
so a step costs ``24 rounds x ~20 kernels`` per tree height, whatever the number
of tensors. torch has no uint64 shifts on every device, so lanes are int64 and a
logical right shift is an arithmetic one masked to the bits that came in.

Not wired into training: its speed on a GPU has not been measured yet, and on a
CPU it is a reference only (about 2.4 MB/s eager on a 2-CPU box, where the C trees
of :mod:`tribunal.native.keccak` do 550 MB/s; ``torch.compile`` did not help there).
Each op streams the whole ``25 x B x 8``-byte state, so a GPU would be bound by
memory traffic (~500 passes per level) unless the permutation is fused into one kernel.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tribunal.commitments import bind_shape
from tribunal.merkle import zero_hash

_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]  # fmt: skip
# rho and pi together: lane j of the result is lane _PI[j] of the input rotated by _ROT[j]
_PI = [0, 6, 12, 18, 24, 3, 9, 10, 16, 22, 1, 7, 13, 19, 20, 4, 5, 11, 17, 23, 2, 8, 14, 15, 21]
_ROT = [0, 44, 43, 21, 14, 28, 20, 3, 45, 61, 1, 6, 25, 8, 18, 27, 36, 10, 15, 56, 62, 55, 39, 41, 2]


def _signed(value: int) -> int:
    """A uint64 as the int64 of the same bits."""
    return value - (1 << 64) if value >> 63 else value


class _Constants:
    """The permutation's constants on one device."""

    def __init__(self, device: torch.device) -> None:
        self.rc = [_signed(c) for c in _RC]
        self.pi = torch.tensor(_PI, dtype=torch.long, device=device)
        rot = torch.tensor(_ROT, dtype=torch.int64, device=device)[:, None]
        self.left = rot
        self.right = (64 - rot) % 64
        # the low `rot` bits: what the arithmetic right shift brought down
        self.low = torch.tensor([(1 << r) - 1 for r in _ROT], dtype=torch.int64, device=device)[:, None]
        self.zero = [_lanes(zero_hash(height), device) for height in range(65)]


_CONSTANTS: dict[torch.device, _Constants] = {}


def _constants(device: torch.device) -> _Constants:
    if device not in _CONSTANTS:
        _CONSTANTS[device] = _Constants(device)
    return _CONSTANTS[device]


def _lanes(node: bytes, device: torch.device) -> torch.Tensor:
    """A 32-byte node as its 4 little-endian int64 lanes."""
    words = [_signed(int.from_bytes(node[i : i + 8], "little")) for i in range(0, 32, 8)]
    return torch.tensor(words, dtype=torch.int64, device=device)


def _rol1(x: torch.Tensor) -> torch.Tensor:
    return (x << 1) | ((x >> 63) & 1)


def keccak_f(state: torch.Tensor) -> torch.Tensor:
    """Keccak-f[1600] of each column of a ``(25, B)`` int64 state (lane ``x + 5y`` in row ``x + 5y``)."""
    k = _constants(state.device)
    a = state
    for round_constant in k.rc:
        # theta
        rows = a.view(5, 5, -1)  # [y, x]
        c = rows[0] ^ rows[1] ^ rows[2] ^ rows[3] ^ rows[4]  # [x]
        d = torch.roll(c, 1, 0) ^ _rol1(torch.roll(c, -1, 0))
        a = (rows ^ d).view(25, -1)
        # rho and pi
        b = a.index_select(0, k.pi)
        b = (b << k.left) | ((b >> k.right) & k.low)
        # chi
        rows = b.view(5, 5, -1)
        a = (rows ^ (~torch.roll(rows, -1, 1) & torch.roll(rows, -2, 1))).reshape(25, -1)
        # iota
        a[0] ^= round_constant
    return a


def hash_pairs(nodes: torch.Tensor) -> torch.Tensor:
    """keccak256 of each pair of consecutive nodes of an even ``(2B, 4)`` int64 level: ``(B, 4)``."""
    messages = nodes.reshape(-1, 8).T  # [lane, message]
    width = messages.shape[1]
    state = torch.zeros(25, width, dtype=torch.int64, device=nodes.device)
    state[:8] = messages
    state[8] = 1  # the first padding byte, 0x01, right after the 64 bytes
    state[16] = _signed(0x80 << 56)  # the last byte of the 136-byte block, 0x80
    return keccak_f(state)[:4].T.contiguous()


def _leaves(tensor: torch.Tensor) -> torch.Tensor:
    """A float32 tensor's 32-byte leaves (the last zero-padded) as ``(n, 4)`` int64 lanes."""
    if tensor.dtype != torch.float32:
        raise TypeError(f"commitments take float32 tensors, got {tensor.dtype}")
    flat = tensor.detach().reshape(-1)
    pad = -flat.numel() % 8
    if pad:
        flat = torch.cat([flat, flat.new_zeros(pad)])
    return flat.contiguous().view(torch.int64).view(-1, 4)


def data_roots(tensors: Sequence[torch.Tensor]) -> list[bytes]:
    """Each tensor's data root (:func:`tribunal.commitments.tensor_data_root`), all
    trees hashed together level by level on the tensors' device."""
    if not tensors:
        return []
    device = tensors[0].device
    k = _constants(device)
    levels = [_leaves(t.to(device)) for t in tensors]
    height = 0
    while any(level.shape[0] > 1 for level in levels):
        batch, widths = [], []
        for level in levels:
            if level.shape[0] > 1:
                if level.shape[0] % 2:
                    level = torch.cat([level, k.zero[height][None]])
                batch.append(level)
                widths.append(level.shape[0] // 2)
        parents = iter(hash_pairs(torch.cat(batch)).split(widths))
        levels = [next(parents) if level.shape[0] > 1 else level for level in levels]
        height += 1
    roots = torch.stack([level[0] if level.shape[0] else torch.zeros_like(k.zero[0]) for level in levels])
    raw = roots.cpu().numpy().astype("<i8").tobytes()
    return [raw[32 * i : 32 * i + 32] for i in range(len(tensors))]


def tensor_roots(tensors: Sequence[torch.Tensor]) -> list[bytes]:
    """Each tensor's root (:func:`tribunal.commitments.tensor_root`), hashed on its device."""
    roots = data_roots(tensors)
    return [bind_shape(root, tuple(t.shape)) for root, t in zip(roots, tensors, strict=True)]


def tensor_root(tensor: torch.Tensor) -> bytes:
    """One tensor's root; :func:`tensor_roots` hashes many in fewer kernels."""
    return tensor_roots([tensor])[0]
