"""`make bench`: run every benchmark, then write bench/results.md from bench/results.json.

Each benchmark runs as its own process (they measure timings; sharing a process would skew
them) and merges its figures into results.json under its key. A benchmark that fails is
reported and the others still run; the exit status says whether all succeeded.
"""

from __future__ import annotations

import json
import operator
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["repops_ops", "repops_step", "dispute", "indexer", "api", "e2e", "soak", "chaos", "economics",
              "delivery", "workloads", "decentralized", "diloco_devnet", "hashing", "fma", "large_model"]
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


HIGHER_IS_BETTER = ("per_s", "per_hour", "rps", "accuracy")
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le,
}


def is_figure(value: Any) -> bool:
    """A measured number (a flag such as ``goals_met.x = True`` is not a figure)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def goal_rows(prefix: str, value: Any, rows: list[tuple[str, Any, Any]]) -> None:
    """Every figure that has a goal, as (name, value, goal). Goals come in three shapes: a
    ``{"value", "goal"}`` pair; a ``goals`` dict whose keys name figures beside it or in the
    sibling dicts (a goal is a bound, or a comparison such as ``"> 0"``); a ``goal_ratio``
    beside ``*_step_ratio`` figures."""
    if not isinstance(value, dict):
        return
    if "value" in value and "goal" in value:
        rows.append((prefix, value["value"], value["goal"]))
        return
    goals = value.get("goals", {}) if isinstance(value.get("goals"), dict) else {}
    for figure, goal in goals.items():
        if figure in value and (value[figure] is None or is_figure(value[figure])):
            rows.append((f"{prefix}.{figure}" if prefix else figure, value[figure], goal))
    for key in sorted(value):
        child = value[key]
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(child, dict) and key != "goals":
            for figure, goal in goals.items():
                if figure in child and is_figure(child[figure]):
                    rows.append((f"{name}.{figure}", child[figure], goal))
            goal_rows(name, child, rows)
        elif key.endswith("_step_ratio") and "goal_ratio" in value:
            rows.append((name, child, value["goal_ratio"]))


def met(name: str, value: Any, goal: Any) -> str:
    if isinstance(goal, str) and len(goal.split()) == 2 and goal.split()[0] in COMPARISONS:
        sign, bound = goal.split()
        if not isinstance(value, int | float):
            return "**no**"
        return "yes" if COMPARISONS[sign](value, float(bound)) else "**no**"
    if not isinstance(value, int | float) or not isinstance(goal, int | float):
        return ""
    higher = any(tag in name for tag in HIGHER_IS_BETTER)
    return "yes" if (value >= goal if higher else value <= goal) else "**no**"


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
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {', '.join(versions)}.",
        "Figures carry their unit in their name (`_s`, `_gas`, `ratio`, `events_per_s`); goals "
        "sit beside them under `goal*` keys. Each benchmark records the machine's load when it ran.",
        "",
        "## Figures with a goal",
        "",
        "| figure | value | goal | met |",
        "|---|---|---|---|",
    ]
    targets: list[tuple[str, Any, Any]] = []
    goal_rows("", results, targets)
    lines += [f"| {name} | {value} | {goal} | {met(name, value, goal)} |" for name, value, goal in targets]
    lines.append("")
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
