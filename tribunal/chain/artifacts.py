"""Load forge's compiled artifacts (ABI and bytecode) for the protocol's contracts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tribunal.paths import artifacts_dir


class ArtifactMissingError(FileNotFoundError):
    """A contract's compiled artifact is not where forge writes it."""


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: its name, ABI and creation bytecode."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


def artifact_path(name: str, root: Path | None = None) -> Path:
    return (root or artifacts_dir()) / f"{name}.sol" / f"{name}.json"


@lru_cache(maxsize=64)
def load_artifact(name: str, root: Path | None = None) -> Artifact:
    """Read ``contracts/out/<name>.sol/<name>.json`` as forge writes it."""
    path = artifact_path(name, root)
    if not path.exists():
        raise ArtifactMissingError(
            f"no compiled artifact for {name} at {path}: run `make build` "
            "(or `cd contracts && forge build`) first"
        )
    data = json.loads(path.read_text())
    bytecode = data.get("bytecode", {})
    obj = bytecode.get("object", "") if isinstance(bytecode, dict) else bytecode
    return Artifact(name=name, abi=data["abi"], bytecode=obj)


def all_artifacts(root: Path | None = None) -> list[Artifact]:
    """Every artifact compiled from ``contracts/src`` (used to decode custom errors)."""
    base = root or artifacts_dir()
    found: list[Artifact] = []
    if not base.exists():
        return found
    for path in sorted(base.glob("*.sol/*.json")):
        data = json.loads(path.read_text())
        source = data.get("metadata", {}).get("settings", {}).get("compilationTarget", {})
        if source and not any(str(k).startswith("src/") for k in source):
            continue
        found.append(Artifact(name=path.stem, abi=data.get("abi", []), bytecode=""))
    return found
