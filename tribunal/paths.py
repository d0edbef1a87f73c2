"""Where the repository's build outputs live, overridable by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def artifacts_dir() -> Path:
    """Forge's output folder (``contracts/out``) or ``$TRIBUNAL_ARTIFACTS``."""
    return Path(os.environ.get("TRIBUNAL_ARTIFACTS", REPO_ROOT / "contracts" / "out"))


def deployments_dir() -> Path:
    """Folder of deployment files (one JSON per network) or ``$TRIBUNAL_DEPLOYMENTS``."""
    return Path(os.environ.get("TRIBUNAL_DEPLOYMENTS", REPO_ROOT / "deployments"))


def node_bin(tool: str) -> str:
    """Path of an npm-installed tool (anvil, forge) or the bare name to find it on PATH. `tools/bin`
    comes first: its forge runs the platform binary, whose exit status npm's wrapper drops."""
    for local in (REPO_ROOT / "tools" / "bin" / tool, REPO_ROOT / "node_modules" / ".bin" / tool):
        if local.exists():
            return str(local)
    return tool
