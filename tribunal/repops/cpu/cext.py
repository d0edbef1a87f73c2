"""The C matmul kernel (`cmatmul.c`): built with the system C compiler on first use,
cached beside the generated numba kernels, and loaded as a CPython extension.

Flags: `-O3 -ffp-contract=off -fno-fast-math` (never a fused multiply-add, never a
reordered sum; tests/repops check the assembly) and `-march=native` (the cache
key includes the CPU's flags, so a copied cache never runs on the wrong CPU).
If no compiler is found or the build fails, `load()` returns None and RepOps
uses its numba matmul kernel, which computes the same bits, only slower. Set
`TRIBUNAL_REPOPS_NO_CEXT=1` to skip the extension.
"""

import os
import sysconfig
from functools import cache
from pathlib import Path
from types import ModuleType

from tribunal.native.build import compiler, load_extension
from tribunal.repops.cpu.fused import kernel_dir

__all__ = ["SAFE_FLAGS", "SOURCE", "TUNE_FLAGS", "build_command", "compiler", "load"]

SOURCE = Path(__file__).resolve().parent / "cmatmul.c"
MODULE = "_repops_cmatmul"
SAFE_FLAGS = ("-O3", "-ffp-contract=off", "-fno-fast-math", "-fno-unsafe-math-optimizations")
"""Flags every build uses: no FMA contraction, no reassociation."""
TUNE_FLAGS = ("-march=native",)
"""Tried first; dropped when the compiler does not take them."""


def build_command(cc: list[str], output: Path, *, tune: bool, assembly: bool = False) -> list[str]:
    include = sysconfig.get_paths()["include"]
    flags = [*SAFE_FLAGS, *(TUNE_FLAGS if tune else ())]
    mode = ["-S"] if assembly else ["-shared", "-fPIC"]
    link = [] if assembly else ["-pthread"]
    return [*cc, *flags, *mode, "-I", include, str(SOURCE), "-o", str(output), *link]


@cache
def load() -> ModuleType | None:
    """The built extension module, or None (then the numba kernel is used)."""
    if os.environ.get("TRIBUNAL_REPOPS_NO_CEXT"):
        return None
    return load_extension(
        SOURCE,
        MODULE,
        lambda cc, output, tune: build_command(cc, output, tune=tune),
        kernel_dir,
        what="RepOps uses its numba matmul kernel",
    )
