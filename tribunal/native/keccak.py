"""keccak256 and the Merkle trees of :mod:`tribunal.merkle` in C (``keccak_tree.c``).

Built with ``-O3 -march=native`` (plain ``-O3`` when the compiler refuses that) on
first use into ``$TRIBUNAL_NATIVE_DIR``, else the package's ``__pycache__/compiled``
(git-ignored), else a private per-user temp directory. :func:`load` is None when
there is no compiler, the build fails, or ``TRIBUNAL_NO_NATIVE_KECCAK=1`` is set;
:mod:`tribunal.merkle` then hashes in Python, to the same bits, 10-20 times slower.

Large levels are split across ``$TRIBUNAL_HASH_THREADS`` threads (default: the
CPUs this process may run on, at most 8); the split cannot change a bit.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Protocol, cast

from tribunal.native.build import extension_command, first_usable_dir, load_extension

SOURCE = Path(__file__).resolve().parent / "keccak_tree.c"
MODULE = "_tribunal_keccak_tree"
FLAGS = ("-O3", "-pthread")
TUNE_FLAGS = ("-march=native",)
MAX_THREADS = 8


Buffer = bytes | bytearray | memoryview


class NativeKeccak(Protocol):
    """The functions ``keccak_tree.c`` exports (every one releases the GIL)."""

    def keccak256(self, data: Buffer, /) -> bytes: ...

    def hash_many(self, data: Buffer, length: int, threads: int = 1, /) -> bytes:
        """keccak256 of each ``length``-byte message of ``data``, concatenated."""
        ...

    def tree_root(self, data: Buffer, threads: int = 1, /) -> bytes:
        """Merkle root over ``data`` read as zero-padded 32-byte leaves."""
        ...

    def tree_levels(self, packed: Buffer, threads: int = 1, /) -> list[bytes]:
        """The levels above the leaves (``len % 32 == 0``), unpadded, bottom-up."""
        ...

    def lanes(self) -> int: ...


def cache_dir() -> Path:
    configured = os.environ.get("TRIBUNAL_NATIVE_DIR")
    if configured:
        return first_usable_dir([(Path(configured), False)])
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return first_usable_dir(
        [
            (Path(__file__).resolve().parent / "__pycache__" / "compiled", False),
            (Path(tempfile.gettempdir()) / f"tribunal-native-compiled-{uid}", True),
        ]
    )


@cache
def load() -> NativeKeccak | None:
    """The built extension, or None (then :mod:`tribunal.merkle` hashes in Python)."""
    if os.environ.get("TRIBUNAL_NO_NATIVE_KECCAK"):
        return None
    module = load_extension(
        SOURCE,
        MODULE,
        extension_command(SOURCE, FLAGS, TUNE_FLAGS),
        cache_dir,
        what="Merkle trees are hashed in Python",
    )
    return cast(NativeKeccak, module) if module is not None else None


@cache
def threads() -> int:
    """Threads a large tree level is split across."""
    configured = os.environ.get("TRIBUNAL_HASH_THREADS")
    if configured:
        return max(1, int(configured))
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        available = os.cpu_count() or 1
    return max(1, min(available, MAX_THREADS))
