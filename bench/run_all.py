"""`make bench`: run every benchmark, then write bench/results.md from bench/results.json.

Each benchmark runs as its own process (they measure timings; sharing a process would skew
them) and merges its figures into results.json under its key. A benchmark that fails is
reported and the others still run; the exit status says whether all succeeded.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["repops_ops", "repops_step", "dispute", "indexer", "api", "e2e", "economics"]
VERSIONS = ["torch", "numpy", "numba", "web3", "fastapi", "SQLAlchemy"]


def run(name: str) -> bool:
    if not (HERE / f"{name}.py").exists():
        print(f"-- {name}: no bench/{name}.py, skipped")
        return True
    print(f"== {name}", flush=True)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent, check=False)
    print(f"-- {name}: exit {done.returncode} after {time.perf_counter() - began:.0f} s", flush=True)
    return done.returncode == 0


def flatten(prefix: str, value: Any, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key in sorted(value):
            flatten(f"{prefix}.{key}" if prefix else key, value[key], rows)
    else:
        rows.append((prefix, json.dumps(value) if not isinstance(value, str) else value))


def write_markdown(results: dict[str, Any], path: Path) -> None:
    versions = []
    for package in VERSIONS:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}; {', '.join(versions)}.",
        "Figures carry their unit in their name (`_s`, `_gas`, `ratio`, `events_per_s`); goals "
        "sit beside them under `goal*` keys.",
        "",
    ]
    for key in sorted(results):
        rows: list[tuple[str, str]] = []
        flatten("", results[key], rows)
        lines += [f"## {key}", "", "| figure | value |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in rows]
        lines.append("")
    path.write_text("\n".join(lines))


def main() -> int:
    only = sys.argv[1:] or BENCHMARKS
    ok = all([run(name) for name in only])
    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    write_markdown(results, HERE / "results.md")
    print(f"wrote {HERE / 'results.md'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
