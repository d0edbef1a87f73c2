"""The devnet the tests run on: a deployment on the session's anvil, its named actors, and
placeholder task parameters for tests of the market (not of training)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

from tribunal.chain.anvil import ANVIL_KEYS, Anvil
from tribunal.chain.client import ChainClient
from tribunal.chain.deployment import Deployment
from tribunal.chain.dispute_game import DisputeGame
from tribunal.chain.keys import Signer
from tribunal.chain.stake_manager import StakeManager
from tribunal.chain.task_market import TaskMarket, TaskParams

ETHER = 10**18

# The devnet's actors, holding anvil's accounts 0..4 in this order.
ACTORS = ["deployer", "submitter", "operator", "challenger", "other"]


def actor_key(who: str) -> str:
    """The private key of one of the devnet's ``ACTORS``."""
    return ANVIL_KEYS[ACTORS.index(who)]


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


def placeholder_trace(steps: int, label: str = "trace") -> list[bytes]:
    """``h_0..h_S`` of a made-up run (for tests of the market, not of training). Submit it with
    `TaskMarket.submit_trace`, which names ``h_S`` with its proof under the trace root."""
    return [Web3.keccak(text=f"{label} h_{t}") for t in range(steps + 1)]


def fees_paid(w3: Web3, address: str, first_block: int, last_block: int) -> int:
    """Wei the address spent on gas in blocks first..last (every transaction it sent)."""
    total = 0
    for number in range(first_block, last_block + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"].lower() == address.lower():
                receipt = w3.eth.get_transaction_receipt(tx["hash"])
                total += receipt["gasUsed"] * receipt["effectiveGasPrice"]
    return total
