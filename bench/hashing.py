"""How fast tensor roots are hashed: Python keccak per pair against the C trees, and
whether wider Merkle leaves would pay.

    python bench/hashing.py [--mib 64] [--repeat 3]

Hashes ``--mib`` MiB of float32 values into a data root (tribunal/merkle.py's rule:
raw 32-byte leaves) with the Python path (one pysha3 keccak per 64-byte pair) and with
the C extension (tribunal/native/keccak_tree.c) on one thread and on the default
thread count, in MB/s of tensor data (1 MB = 10**6 bytes).

Then the same data under leaves of ``L`` bytes hashed first (``leaf = keccak(L bytes)``,
L = 64, 128: one keccak-f permutation each, the rate being 136 bytes; 256: two),
against today's raw 32-byte leaves: hashing time (C, one thread), permutations, and
the proof that opens one element (leaf bytes + siblings x 32). The protocol keeps
its 32-byte leaves; this only reports which would win.

Figures are merged into ``bench/results.json`` under ``repops.hashing`` (other keys kept).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._results import RESULTS, environment, merge_into  # noqa: E402
from tribunal import merkle  # noqa: E402
from tribunal.commitments import tensor_root  # noqa: E402
from tribunal.native import keccak as native_keccak  # noqa: E402

MB = 1e6
LEAF_WIDTHS = (32, 64, 128, 256)
"""Bytes per leaf: 32 is today's raw leaf; wider ones are hashed into the tree."""


def _best(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return min(times)


def _python_root(data: memoryview) -> bytes:
    saved = merkle.native_keccak
    merkle.native_keccak = lambda: None  # type: ignore[assignment]
    try:
        return merkle.merkle_root_padded(data)
    finally:
        merkle.native_keccak = saved  # type: ignore[assignment]


def _inner_hashes(width: int, nbytes: int) -> int:
    """Hashes inside the tree (its real, unpadded inner nodes): what a builder computes."""
    leaves, total = -(-nbytes // width), 0
    while leaves > 1:
        leaves = -(-leaves // 2)
        total += leaves
    return total


def leaf_widths(data: memoryview, repeat: int) -> dict[str, Any]:
    native = native_keccak.load()
    assert native is not None
    nbytes, figures = len(data), {}
    for width in LEAF_WIDTHS:
        leaves = -(-nbytes // width)
        depth = merkle.tree_depth(leaves)
        if width == 32:
            seconds = _best(lambda: native.tree_root(data, 1), repeat)
            leaf_hashes = 0
        else:
            padded = bytes(data) + bytes(-nbytes % width)
            seconds = _best(lambda p=padded, w=width: native.tree_root(native.hash_many(p, w, 1), 1), repeat)
            leaf_hashes = leaves * -(-(width + 1) // 136)
        permutations = leaf_hashes + _inner_hashes(width, nbytes)
        proof = width + 32 * depth
        figures[f"leaf{width}_native_one_thread_s"] = round(seconds, 4)
        figures[f"leaf{width}_native_one_thread_mb_per_s"] = round(nbytes / MB / seconds, 1)
        figures[f"leaf{width}_permutations"] = permutations
        figures[f"leaf{width}_depth"] = depth
        figures[f"leaf{width}_proof_bytes"] = proof
        figures[f"leaf{width}_proof_permutations"] = depth + (0 if width == 32 else -(-(width + 1) // 136))
        print(
            f"leaves of {width:3d} B: {seconds * 1e3:8.1f} ms ({nbytes / MB / seconds:7.1f} MB/s), "
            f"{permutations:9d} permutations, depth {depth:2d}, proof {proof:4d} B "
            f"(leaf {width} + {depth} siblings x 32)"
        )
    base = figures["leaf32_native_one_thread_s"]
    for width in LEAF_WIDTHS[1:]:
        seconds, proof = figures[f"leaf{width}_native_one_thread_s"], figures[f"leaf{width}_proof_bytes"]
        figures[f"leaf{width}_time_vs_leaf32_ratio"] = round(seconds / base, 3)
        figures[f"leaf{width}_proof_bytes_vs_leaf32"] = proof - figures["leaf32_proof_bytes"]
    return figures


def bench(mib: int, repeat: int) -> dict[str, Any]:
    native = native_keccak.load()
    if native is None:
        raise SystemExit("the keccak extension did not build (no C compiler?); nothing to compare")
    values = np.random.default_rng(0).standard_normal(mib << 18).astype(np.float32)
    data = values.view(np.uint8).data
    nbytes = len(data)
    threads = native_keccak.threads()

    python_s = _best(lambda: _python_root(data), min(repeat, 2))
    if native.tree_root(data, threads) != _python_root(data):
        raise SystemExit("the C root differs from the Python root")
    one_s = _best(lambda: native.tree_root(data, 1), repeat)
    many_s = _best(lambda: native.tree_root(data, threads), repeat)
    tensor_s = _best(lambda: tensor_root(values), repeat)
    figures: dict[str, Any] = {
        "data_mib": mib,
        "python_backend": merkle.KECCAK_BACKEND,
        "python_s": round(python_s, 3),
        "python_mb_per_s": round(nbytes / MB / python_s, 1),
        "native_lanes": native.lanes(),
        "native_threads": threads,
        "native_one_thread_s": round(one_s, 4),
        "native_one_thread_mb_per_s": round(nbytes / MB / one_s, 1),
        "native_s": round(many_s, 4),
        "native_mb_per_s": round(nbytes / MB / many_s, 1),
        "native_speedup_ratio": round(python_s / min(one_s, many_s), 1),
        "native_one_thread_speedup_ratio": round(python_s / one_s, 1),
        "tensor_root_s": round(tensor_s, 4),
        "tensor_root_mb_per_s": round(nbytes / MB / tensor_s, 1),
        **environment(),
    }
    print(f"{mib} MiB of float32 ({nbytes / MB:.1f} MB):")
    print(f"python ({merkle.KECCAK_BACKEND}) {python_s:8.3f} s  {figures['python_mb_per_s']:8.1f} MB/s")
    print(f"C, 1 thread            {one_s:8.3f} s  {figures['native_one_thread_mb_per_s']:8.1f} MB/s")
    print(f"C, {threads} threads           {many_s:8.3f} s  {figures['native_mb_per_s']:8.1f} MB/s")
    print(f"tensor_root (C)        {tensor_s:8.3f} s  {figures['tensor_root_mb_per_s']:8.1f} MB/s")
    print(f"speedup {figures['native_speedup_ratio']}x ({native.lanes()} messages per vector permutation)")
    figures.update(leaf_widths(data, repeat))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64, help="MiB of float32 data to hash")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each C measurement (best kept)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    figures = bench(args.mib, args.repeat)
    if not args.no_write:
        merge_into("repops", "hashing", figures)
        print(f"written to {RESULTS} under repops.hashing")


if __name__ == "__main__":
    main()
