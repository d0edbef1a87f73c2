"""Fixtures shared by the whole suite: a real anvil on a free port and deployed contracts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from web3 import Web3

from tribunal.chain.anvil import ANVIL_KEYS, Anvil, revert, snapshot, start_anvil
from tribunal.chain.artifacts import artifact_path
from tribunal.chain.client import ChainClient
from tribunal.chain.contracts import DisputeGame, StakeManager, TaskMarket, TaskParams
from tribunal.chain.deploy import DeployParams, deploy_contracts
from tribunal.chain.deployment import Deployment
from tribunal.chain.keys import Signer, signer_from_private_key


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    if not artifact_path("TaskMarket").exists():
        pytest.fail("contracts are not compiled: run `make build` before the Python tests")
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    node = start_anvil(log_path=log)
    yield node
    node.stop()


@dataclass
class Devnet:
    """A deployment on the session's anvil plus one client per named actor."""

    anvil: Anvil
    deployment: Deployment
    signers: dict[str, Signer]

    def client(self, who: str) -> ChainClient:
        return ChainClient(self.anvil.w3, self.signers[who])

    def stake_manager(self, who: str) -> StakeManager:
        return StakeManager(self.client(who), self.deployment.stake_manager)

    def market(self, who: str) -> TaskMarket:
        return TaskMarket(self.client(who), self.deployment.task_market)

    def game(self, who: str) -> DisputeGame:
        assert self.deployment.dispute_game is not None
        return DisputeGame(self.client(who), self.deployment.dispute_game)


ACTORS = ["deployer", "submitter", "operator", "challenger", "other"]
ETHER = 10**18


def sample_task_params(devnet: Devnet, **overrides: Any) -> TaskParams:
    """Valid `postTask` fields with placeholder roots (for tests of the market, not of training)."""
    now = devnet.anvil.w3.eth.get_block("latest")["timestamp"]
    fields: dict[str, Any] = dict(
        spec_hash=Web3.keccak(text="spec"),
        spec_uri="artifact://spec",
        dataset_root=Web3.keccak(text="dataset"),
        init_state_root=Web3.keccak(text="h0"),
        graph_root=Web3.keccak(text="graph"),
        steps=100,
        checkpoint_every=10,
        min_stake=2 * ETHER,
        deadline=now + 3600,
        challenge_window=600,
    )
    fields.update(overrides)
    return TaskParams(**fields)


@pytest.fixture(scope="session")
def deployed(anvil: Anvil) -> Devnet:
    signers = {name: signer_from_private_key(ANVIL_KEYS[i]) for i, name in enumerate(ACTORS)}
    deployment = deploy_contracts(ChainClient(anvil.w3, signers["deployer"]), anvil.rpc_url, DeployParams())
    return Devnet(anvil, deployment, signers)


@pytest.fixture()
def devnet(deployed: Devnet) -> Iterator[Devnet]:
    """The deployed devnet, rolled back to a snapshot after each test."""
    snap = snapshot(deployed.anvil.w3)
    yield deployed
    revert(deployed.anvil.w3, snap)
