"""Generators of committed files that Python computes and other code reads.

Each module with a `main(argv) -> int` is one generator: `python -m tools.generate.<module>`
rewrites its files and `--check` exits 1, naming each stale file, when a committed file differs
from what the code computes now. `python -m tools.generate [--check]` runs them all.

Paths are relative to `REPO_ROOT`; the test vectors shared by the Python and Solidity tests
live in `VECTORS_DIR`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from tribunal.paths import REPO_ROOT

VECTORS_DIR: Final[Path] = REPO_ROOT / "vectors"

Outputs = Mapping[Path, bytes]
"""Every file a generator owns, by path, with the exact bytes it should hold."""


def shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def write_or_check(outputs: Outputs, *, check: bool, command: str) -> int:
    """Write `outputs`, or with `check` report each file that differs; the exit status."""
    stale = [path for path, data in outputs.items() if not path.is_file() or path.read_bytes() != data]
    if check:
        for path in stale:
            print(f"{shown(path)} is stale: run `{command}` and commit it", file=sys.stderr)
        if not stale:
            print(f"{len(outputs)} file(s) of `{command}` up to date")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(outputs[path])
        print(f"wrote {shown(path)}")
    print(f"{len(outputs) - len(stale)} file(s) of `{command}` unchanged")
    return 0


def generator_main(module: str, doc: str | None, outputs: Callable[[], Outputs]) -> Callable[..., int]:
    """The `main(argv)` of a generator module: `[--check]`, then `write_or_check`."""

    def main(argv: Sequence[str] | None = None) -> int:
        parser = argparse.ArgumentParser(prog=f"python -m {module}", description=(doc or "").splitlines()[0])
        parser.add_argument("--check", action="store_true", help="fail (naming the file) if one is stale")
        args = parser.parse_args(argv)
        return write_or_check(outputs(), check=args.check, command=f"python -m {module}")

    return main
