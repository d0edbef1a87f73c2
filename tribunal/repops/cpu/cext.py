"""The C matmul kernel (`cmatmul.c`): built with the system C compiler on first use,
cached beside the generated numba kernels, and loaded as a CPython extension.

Flags: `-O3 -ffp-contract=off -fno-fast-math` (never a fused multiply-add, never a
reordered sum; tests/repops check the assembly) and `-march=native` (the cache
key includes the CPU's flags, so a copied cache never runs on the wrong CPU).
If no compiler is found or the build fails, `load()` returns None and RepOps
uses its numba matmul kernel, which computes the same bits, only slower. Set
`TRIBUNAL_REPOPS_NO_CEXT=1` to skip the extension.
"""

import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import shlex
import shutil
import subprocess
import sysconfig
import tempfile
import warnings
from functools import cache
from pathlib import Path
from types import ModuleType

from tribunal.repops.cpu.fused import kernel_dir

SOURCE = Path(__file__).resolve().parent / "cmatmul.c"
MODULE = "_repops_cmatmul"
SAFE_FLAGS = ("-O3", "-ffp-contract=off", "-fno-fast-math", "-fno-unsafe-math-optimizations")
"""Flags every build uses: no FMA contraction, no reassociation."""
TUNE_FLAGS = ("-march=native",)
"""Tried first; dropped when the compiler does not take them."""


def compiler() -> list[str] | None:
    configured = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    command = shlex.split(configured)
    if command and shutil.which(command[0]):
        return command
    for name in ("cc", "gcc", "clang"):
        if shutil.which(name):
            return [name]
    return None


def _cpu_signature() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            lines = [line for line in f if line.startswith(("flags", "model name", "Features", "CPU part"))]
        return "".join(sorted(set(lines)))
    except OSError:
        return platform.processor()


def build_command(cc: list[str], output: Path, *, tune: bool, assembly: bool = False) -> list[str]:
    include = sysconfig.get_paths()["include"]
    flags = [*SAFE_FLAGS, *(TUNE_FLAGS if tune else ())]
    mode = ["-S"] if assembly else ["-shared", "-fPIC"]
    return [*cc, *flags, *mode, "-I", include, str(SOURCE), "-o", str(output)]


def _build(cc: list[str], target: Path) -> bool:
    for tune in (True, False):
        handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".so.tmp")
        os.close(handle)
        try:
            done = subprocess.run(build_command(cc, Path(tmp), tune=tune), capture_output=True, timeout=300)
            if done.returncode == 0:
                os.replace(tmp, target)
                return True
        except (OSError, subprocess.SubprocessError):
            pass
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return False


@cache
def load() -> ModuleType | None:
    """The built extension module, or None (then the numba kernel is used)."""
    if os.environ.get("TRIBUNAL_REPOPS_NO_CEXT"):
        return None
    cc = compiler()
    if cc is None:
        return None
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    key = "\n".join(
        [SOURCE.read_text(), " ".join(cc), " ".join(SAFE_FLAGS + TUNE_FLAGS), suffix, _cpu_signature()]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    try:
        target = kernel_dir() / f"{MODULE}_{digest}{suffix}"
        if not target.exists() and not _build(cc, target):
            warnings.warn("RepOps: building the C matmul failed; using the numba kernel", stacklevel=2)
            return None
        loader = importlib.machinery.ExtensionFileLoader(MODULE, str(target))
        spec = importlib.util.spec_from_file_location(MODULE, target, loader=loader)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        return module
    except (OSError, ImportError) as error:
        warnings.warn(f"RepOps: loading the C matmul failed ({error}); using the numba kernel", stacklevel=2)
        return None
