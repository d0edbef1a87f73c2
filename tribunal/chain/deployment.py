"""The deployment file: where the contracts live on a chain; every role reads it."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tribunal.paths import deployments_dir

DEPLOYMENT_ENV = "TRIBUNAL_DEPLOYMENT"


class DeploymentError(ValueError):
    """The deployment file is missing or does not describe the chain we talk to."""


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    rpc_url: str
    block_number: int
    stake_manager: str
    task_market: str
    dispute_game: str | None = None
    one_step_prover: str | None = None
    jackpot: str | None = None
    diloco_jobs: str | None = None
    """`DilocoJobs`; None in a deployment file written before it existed."""
    params: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Deployment:
        try:
            data = json.loads(text)
            return cls(**data)
        except (json.JSONDecodeError, TypeError) as exc:
            raise DeploymentError(f"malformed deployment file: {exc}") from exc


def default_path(chain_id: int) -> Path:
    return deployments_dir() / f"{chain_id}.json"


def save_deployment(deployment: Deployment, path: Path | None = None) -> Path:
    target = path or default_path(deployment.chain_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(deployment.to_json())
    tmp.replace(target)
    return target


def load_deployment(path: Path | None = None, chain_id: int | None = None) -> Deployment:
    """Read ``$TRIBUNAL_DEPLOYMENT``, an explicit path, or ``deployments/<chain_id>.json``."""
    if path is None and (env := os.environ.get(DEPLOYMENT_ENV)):
        path = Path(env)
    if path is None:
        if chain_id is None:
            raise DeploymentError("no deployment file given and no chain id to look one up")
        path = default_path(chain_id)
    if not path.exists():
        raise DeploymentError(
            f"no deployment file at {path}: deploy first with `tribunal deploy --rpc-url URL` "
            f"(or `make dev` for a local devnet), or point ${DEPLOYMENT_ENV} at the file"
        )
    deployment = Deployment.from_json(path.read_text())
    if chain_id is not None and deployment.chain_id != chain_id:
        raise DeploymentError(
            f"deployment file {path} is for chain {deployment.chain_id}, but the RPC is chain "
            f"{chain_id}: use the deployment file of that chain"
        )
    return deployment
