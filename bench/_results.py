"""Merge one benchmark's figures into bench/results.json without touching other keys."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

RESULTS = Path(os.environ.get("TRIBUNAL_BENCH_RESULTS") or Path(__file__).resolve().parent / "results.json")
"""bench/results.json, or ``$TRIBUNAL_BENCH_RESULTS`` (a GPU run writes its own copy: bench/gpu_check.sh)."""


def merge(key: str, figures: dict[str, Any], path: Path = RESULTS) -> None:
    """Replace `key` in the results file (locked against concurrent benchmarks)."""
    with open(path, "a+") as lock:  # the file itself is the lock; it is replaced atomically below
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
        data[key] = figures
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)


def merge_into(key: str, sub: str, figures: dict[str, Any], path: Path = RESULTS) -> None:
    """Replace `key`.`sub` in the results file, keeping `key`'s other entries (locked likewise)."""
    with open(path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
        entry = data.get(key)
        data[key] = {**(entry if isinstance(entry, dict) else {}), sub: figures}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)


def recorded(key: str, path: Path = RESULTS) -> dict[str, Any]:
    """The figures last recorded under `key` (empty when there are none)."""
    if not path.exists() or not path.stat().st_size:
        return {}
    value = json.loads(path.read_text()).get(key, {})
    return dict(value) if isinstance(value, dict) else {}


def environment() -> dict[str, Any]:
    return {"cpu_count": os.cpu_count(), "load_average_1m_at_start": round(os.getloadavg()[0], 2)}
