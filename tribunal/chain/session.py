"""Open a role's view of the chain: RPC, deployment file, signer and contract wrappers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tribunal.chain.client import ChainClient, connect, with_rpc_retry
from tribunal.chain.deployment import Deployment, load_deployment
from tribunal.chain.diloco_jobs import DilocoJobs
from tribunal.chain.dispute_game import DisputeGame
from tribunal.chain.jackpot import Jackpot
from tribunal.chain.keys import load_signer
from tribunal.chain.stake_manager import StakeManager
from tribunal.chain.task_market import TaskMarket

WEI_PER_ETH = 10**18


def parse_eth(text: str | float | int) -> int:
    """'2.5' → 2.5 ETH in wei; rejects negatives and sub-wei precision with a clear message."""
    try:
        value = Decimal(str(text))
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not an amount of ETH (e.g. 2.5)") from exc
    if value < 0:
        raise ValueError(f"amount {text} ETH is negative")
    wei = value * WEI_PER_ETH
    if wei != wei.to_integral_value():
        raise ValueError(f"amount {text} ETH has more than 18 decimals")
    return int(wei)


def format_eth(wei: int) -> str:
    return f"{Decimal(wei) / WEI_PER_ETH:f} ETH"


@dataclass
class ChainSession:
    client: ChainClient
    deployment: Deployment
    stake_manager: StakeManager
    market: TaskMarket
    game: DisputeGame | None
    jackpot: Jackpot | None = None
    diloco_jobs: DilocoJobs | None = None


def open_session(
    rpc_url: str,
    deployment_file: Path | None = None,
    keystore: Path | None = None,
    private_key: str | None = None,
    read_only: bool = False,
) -> ChainSession:
    """Connect to ``rpc_url``, check the deployment matches its chain, load the key."""
    w3 = connect(rpc_url)
    chain_id = with_rpc_retry(lambda: w3.eth.chain_id)
    deployment = load_deployment(deployment_file, chain_id=chain_id)
    signer = None if read_only else load_signer(keystore, private_key)
    client = ChainClient(w3, signer)
    return ChainSession(
        client=client,
        deployment=deployment,
        stake_manager=StakeManager(client, deployment.stake_manager),
        market=TaskMarket(client, deployment.task_market),
        game=DisputeGame(client, deployment.dispute_game) if deployment.dispute_game else None,
        jackpot=Jackpot(client, deployment.jackpot) if deployment.jackpot else None,
        diloco_jobs=DilocoJobs(client, deployment.diloco_jobs) if deployment.diloco_jobs else None,
    )
