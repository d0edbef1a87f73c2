"""`python -m tools.generate [--check]`: run every generator in this package.

A generator is a module of `tools.generate` with a `main(argv) -> int` that takes `--check`;
new ones are picked up without being listed here.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

import tools.generate


def generator_modules() -> list[str]:
    return sorted(
        f"{tools.generate.__name__}.{info.name}"
        for info in pkgutil.iter_modules(tools.generate.__path__)
        if not info.name.startswith("_")
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail (naming the file) if any output is stale")
    args = parser.parse_args(argv)
    failed = []
    for name in generator_modules():
        module = importlib.import_module(name)
        if not callable(getattr(module, "main", None)):
            continue
        print(f"== {name}", flush=True)
        if module.main(["--check"] if args.check else []) != 0:
            failed.append(name)
    if failed:
        print(f"stale: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
