"""Building the project's small C extensions with the system compiler, on first use.

An extension is compiled once into a cache directory, under a name keyed by its
source, compiler, flags, Python ABI and CPU (so a copied cache never runs a
``-march=native`` build on the wrong CPU), and loaded from there. Callers get
``None`` when there is no compiler or the build fails, and fall back to Python.
"""

from __future__ import annotations

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
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

BuildCommand = Callable[[list[str], Path, bool], list[str]]
"""``(compiler, output, tune) -> argv``; ``tune`` adds ``-march=native``-like flags."""


def compiler() -> list[str] | None:
    """The C compiler to use (``$CC``, Python's own, or cc/gcc/clang), or None."""
    configured = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    command = shlex.split(configured)
    if command and shutil.which(command[0]):
        return command
    for name in ("cc", "gcc", "clang"):
        if shutil.which(name):
            return [name]
    return None


def cpu_signature() -> str:
    """What a ``-march=native`` build depends on: the CPU's model and feature flags."""
    try:
        with open("/proc/cpuinfo") as f:
            lines = [line for line in f if line.startswith(("flags", "model name", "Features", "CPU part"))]
        return "".join(sorted(set(lines)))
    except OSError:
        return platform.processor()


def usable_dir(path: Path, private: bool) -> bool:
    """Whether ``path`` can be created and written, and, when it must be ``private``
    (code is imported from it), is our own, closed, real directory."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return False
    if private and hasattr(os, "getuid"):
        # Code is imported from here: in a shared temp dir, only from our own, closed dir.
        info = path.lstat()
        if path.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o022:
            return False
    return os.access(path, os.W_OK)


def first_usable_dir(candidates: Sequence[tuple[Path, bool]]) -> Path:
    """The first usable ``(path, private)`` candidate; OSError when there is none."""
    for path, private in candidates:
        if usable_dir(path, private):
            return path
    raise OSError(f"no usable directory for compiled code among {list(candidates)}")


def extension_command(
    source: Path, flags: Sequence[str], tune_flags: Sequence[str], link: Sequence[str] = ()
) -> BuildCommand:
    """The usual command: ``cc FLAGS [TUNE] -shared -fPIC -I<python> source -o output LINK``."""

    def command(cc: list[str], output: Path, tune: bool) -> list[str]:
        include = sysconfig.get_paths()["include"]
        chosen = [*flags, *(tune_flags if tune else ())]
        return [*cc, *chosen, "-shared", "-fPIC", "-I", include, str(source), "-o", str(output), *link]

    return command


def _build(cc: list[str], target: Path, command: BuildCommand) -> bool:
    for tune in (True, False):
        handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".so.tmp")
        os.close(handle)
        try:
            done = subprocess.run(command(cc, Path(tmp), tune), capture_output=True, timeout=300)
            if done.returncode == 0:
                os.replace(tmp, target)
                return True
        except (OSError, subprocess.SubprocessError):
            pass
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return False


def load_extension(
    source: Path,
    module: str,
    command: BuildCommand,
    directory: Callable[[], Path],
    *,
    what: str,
) -> ModuleType | None:
    """Build (once) and import the extension ``module`` from ``source``; None, with a
    warning naming ``what`` falls back to what, when building or loading fails."""
    cc = compiler()
    if cc is None:
        return None
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    probe = Path("OUTPUT")
    key = "\n".join([source.read_text(), " ".join(command(cc, probe, True)), suffix, cpu_signature()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    try:
        target = directory() / f"{module}_{digest}{suffix}"
        if not target.exists() and not _build(cc, target, command):
            warnings.warn(f"building {source.name} failed; {what}", stacklevel=3)
            return None
        loader = importlib.machinery.ExtensionFileLoader(module, str(target))
        spec = importlib.util.spec_from_file_location(module, target, loader=loader)
        assert spec is not None
        loaded = importlib.util.module_from_spec(spec)
        loader.exec_module(loaded)
        return loaded
    except (OSError, ImportError) as error:
        warnings.warn(f"loading {source.name} failed ({error}); {what}", stacklevel=3)
        return None
