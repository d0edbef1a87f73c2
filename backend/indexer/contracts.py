"""Which contracts the indexer follows: declared once, resolved against a deployment file.

Adding a contract is one line in `INDEXED_CONTRACTS` (its artifact name and the deployment field
holding its address) plus handlers in `backend.indexer.handlers` for the events that change state;
every event of every declared contract is stored in `events` whether or not it has a handler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from backend.indexer.abi import EventSpec, event_specs
from tribunal.chain.artifacts import ArtifactMissingError, load_artifact
from tribunal.chain.deployment import Deployment


@dataclass(frozen=True)
class ContractSource:
    name: str
    deployment_field: str
    optional: bool = False


INDEXED_CONTRACTS: tuple[ContractSource, ...] = (
    ContractSource("StakeManager", "stake_manager"),
    ContractSource("TaskMarket", "task_market"),
    ContractSource("DisputeGame", "dispute_game", optional=True),
    ContractSource("Jackpot", "jackpot", optional=True),
    ContractSource("DilocoJobs", "diloco_jobs", optional=True),
)


class ContractsError(ValueError):
    """The deployment or the compiled artifacts do not describe what the indexer must follow."""


@dataclass(frozen=True)
class IndexedContracts:
    """The followed contracts by address, and their events by (address, topic0)."""

    addresses: dict[str, str]
    events: dict[tuple[str, str], EventSpec] = field(repr=False)

    def name_of(self, address: str) -> str | None:
        return self.addresses.get(address.lower())

    def address_of(self, name: str) -> str | None:
        for address, contract in self.addresses.items():
            if contract == name:
                return address
        return None

    def spec(self, contract: str, event: str) -> EventSpec | None:
        for spec in self.events.values():
            if spec.contract == contract and spec.name == event:
                return spec
        return None


def resolve_contracts(deployment: Deployment, artifact_root: Path | None = None) -> IndexedContracts:
    addresses: dict[str, str] = {}
    events: dict[tuple[str, str], EventSpec] = {}
    for source in INDEXED_CONTRACTS:
        address = getattr(deployment, source.deployment_field, None)
        if not address or int(address, 16) == 0:
            if source.optional:
                continue
            raise ContractsError(f"the deployment file has no {source.deployment_field} address")
        try:
            artifact = load_artifact(source.name, artifact_root)
        except ArtifactMissingError as exc:
            raise ContractsError(f"{source.name} is deployed at {address} but {exc}") from exc
        address = address.lower()
        addresses[address] = source.name
        for spec in event_specs(source.name, artifact.abi):
            events[(address, spec.topic0)] = spec
    return IndexedContracts(addresses=addresses, events=events)
