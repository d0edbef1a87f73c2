"""Checks shared by `worker doctor`, `verifier doctor` and `tribunal config check`: each says
exactly what is wrong.

Every check is a function returning a `Check` (never raising), so a role composes the ones it
needs and the tests exercise each apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from web3 import Web3

from tribunal.chain.artifacts import load_artifact
from tribunal.chain.client import ChainClient, connect
from tribunal.chain.deployment import Deployment, load_deployment
from tribunal.chain.keys import Signer, load_signer
from tribunal.chain.session import format_eth
from tribunal.chain.stake_manager import StakeManager


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def attempt(name: str, fn: Callable[[], str]) -> Check:
    """Run one check: its detail on success, the exception's message on failure."""
    try:
        return Check(name, True, fn())
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reported check
        return Check(name, False, str(exc))


def check_contracts(w3: Web3, deployment: Deployment) -> str:
    """Code at every address, and the contracts wired to each other as the file says."""
    names = ["stake_manager", "task_market"] + [
        name for name in ("dispute_game", "diloco_jobs") if getattr(deployment, name)]
    for name in names:
        address = getattr(deployment, name)
        if len(w3.eth.get_code(Web3.to_checksum_address(address))) == 0:
            raise ValueError(
                f"no contract at {name} {address}: the deployment file is stale; redeploy "
                "(`tribunal deploy`) or point TRIBUNAL_DEPLOYMENT at the right file"
            )

    def bound(artifact: str, address: str) -> Any:
        return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(artifact).abi)

    market = bound("TaskMarket", deployment.task_market)
    wired = market.functions.STAKE_MANAGER().call()
    if wired.lower() != deployment.stake_manager.lower():
        raise ValueError(f"TaskMarket {deployment.task_market} uses StakeManager {wired}, not the deployment "
                         f"file's {deployment.stake_manager}: the file mixes two deployments")
    if deployment.dispute_game:
        game = market.functions.disputeGame().call()
        if game.lower() != deployment.dispute_game.lower():
            raise ValueError(f"TaskMarket {deployment.task_market} uses DisputeGame {game}, not the "
                             f"deployment file's {deployment.dispute_game}: the file mixes two deployments")
    if deployment.diloco_jobs:
        jobs_market = bound("DilocoJobs", deployment.diloco_jobs).functions.MARKET().call()
        if jobs_market.lower() != deployment.task_market.lower():
            raise ValueError(f"DilocoJobs {deployment.diloco_jobs} posts into TaskMarket {jobs_market}, "
                             f"not the deployment file's {deployment.task_market}: the file mixes two "
                             "deployments")
    delay = deployment.params.get("unbonding_delay")
    if delay is not None:
        actual = bound("StakeManager", deployment.stake_manager).functions.UNBONDING_DELAY().call()
        if actual != delay:
            raise ValueError(f"StakeManager's unbonding delay is {actual} s, the deployment file says "
                             f"{delay} s")
    return f"StakeManager {deployment.stake_manager}, TaskMarket {deployment.task_market}" + (
        f", DisputeGame {deployment.dispute_game}" if deployment.dispute_game else ", no DisputeGame") + (
        f", DilocoJobs {deployment.diloco_jobs}" if deployment.diloco_jobs else "")


def check_artifact_store(url: str, timeout_s: float = 5.0) -> Check:
    """The backend's artifact store answers (``/healthz``)."""

    def probe() -> str:
        try:
            response = httpx.get(f"{url.rstrip('/')}/healthz", timeout=timeout_s)
        except httpx.HTTPError as exc:
            raise ValueError(f"{url} does not answer ({exc}): start the backend (`python -m backend`) or "
                             "pass --artifact-store URL") from exc
        if response.status_code == 404:
            raise ValueError(f"{url} answers but is not a Tribunal backend (no /healthz): "
                             "check --artifact-store")
        if response.status_code >= 500 and response.status_code != 503:
            raise ValueError(f"{url}/healthz answered HTTP {response.status_code}")
        return f"{url} answers ({response.text.strip()[:40] or response.status_code})"

    return attempt("artifact store", probe)


def check_broker(url: str | None, timeout_s: float = 3.0, name: str = "broker",
                 fix: str = "--broker") -> Check:
    """The Celery broker answers (none configured: training runs in-process). ``fix``: the setting
    to correct, named in the failure."""
    if not url:
        return Check(name, True,
                     "none: training runs in this process (pass --broker redis://… to scale out)")

    def probe() -> str:
        from kombu.utils.url import maybe_sanitize_url

        shown = maybe_sanitize_url(url)
        if url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            try:
                redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s).ping()
            except redis.RedisError as exc:
                raise ValueError(f"Redis at {shown} does not answer ({exc}): start it (`redis-server`) or "
                                 f"fix {fix}") from exc
            return f"Redis at {shown} answers"
        from kombu import Connection

        with Connection(url, connect_timeout=timeout_s) as connection:
            try:
                connection.ensure_connection(max_retries=1)
            except Exception as exc:  # noqa: BLE001 - kombu raises per transport
                raise ValueError(f"broker {shown} does not answer ({exc})") from exc
        return f"broker {shown} answers"

    return attempt(name, probe)


def writable_dir(directory: Path, setting: str) -> str:
    """``directory`` exists (made if missing) and this process can write in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"{directory} is not writable ({exc}): fix {setting} or the folder's owner") from exc
    return f"{directory} is writable"


def check_device(device: str | None = None) -> Check:
    def probe() -> str:
        import torch

        from tribunal.device import pick_device

        chosen = pick_device(device)
        if chosen.type == "cuda":
            props = torch.cuda.get_device_properties(chosen)
            return f"{chosen} ({props.name}, {props.total_memory / 2**30:.0f} GiB)"
        hint = "" if torch.cuda.is_available() else " (no CUDA GPU visible)"
        return f"{chosen}{hint}"

    return attempt("torch device", probe)


@dataclass
class ChainChecks:
    """`chain_checks`'s results, and what later checks need: the node and the deployment."""

    checks: list[Check]
    w3: Web3 | None = None
    deployment: Deployment | None = None


def chain_checks(rpc_url: str, deployment_file: Path | None) -> ChainChecks:
    """The RPC answers; its chain id is the deployment file's; the contracts are there and wired."""
    w3 = connect(rpc_url, timeout_s=5)
    rpc = attempt("rpc", lambda: f"{rpc_url} answers, block {w3.eth.block_number}")
    if not rpc.ok:
        hint = "start the node or pass --rpc-url (TRIBUNAL_RPC_URL, `rpc_url` in the config file)"
        return ChainChecks([Check("rpc", False, f"{rpc_url} does not answer: {hint}")])
    result = ChainChecks([rpc], w3)
    chain_id = w3.eth.chain_id
    result.checks.append(Check("chain id", True, str(chain_id)))

    def deployment_check() -> str:
        result.deployment = dep = load_deployment(deployment_file, chain_id=chain_id)
        return check_contracts(w3, dep)

    result.checks.append(attempt("contracts", deployment_check))
    return result


def run_checks(
    rpc_url: str,
    deployment_file: Path | None,
    keystore: Path | None,
    min_stake_wei: int = 0,
    *,
    artifact_store: str | None = None,
    broker: str | None = None,
    check_broker_too: bool = False,
    device: str | None = None,
    prompt: bool = True,
) -> list[Check]:
    """RPC, chain id, contracts, key, balance, stake; then artifact store and broker (when asked)
    and the torch device. ``prompt=False``: a keystore without its password in the environment
    fails instead of asking."""
    chain = chain_checks(rpc_url, deployment_file)
    checks = chain.checks
    w3 = chain.w3
    if w3 is None:
        return checks + _services(artifact_store, broker, check_broker_too, device)
    found: dict[str, Any] = {}

    def key_check() -> str:
        found["signer"] = signer = load_signer(keystore, prompt=prompt)
        return signer.address

    key = attempt("key", key_check)
    checks.append(key)
    if key.ok:
        signer: Signer = found["signer"]

        def balance_check() -> str:
            balance = w3.eth.get_balance(signer.address)
            if balance == 0:
                raise ValueError(f"{signer.address} has no ETH to pay gas: fund it")
            return format_eth(balance)

        checks.append(attempt("balance", balance_check))
        if chain.deployment is not None:
            sm = StakeManager(ChainClient(w3, None), chain.deployment.stake_manager)

            def stake_check() -> str:
                info = sm.info(signer.address)
                text = (f"bonded {format_eth(info.bonded)}, locked {format_eth(info.locked)}, "
                        f"credit {format_eth(info.credit)}")
                if info.bonded < min_stake_wei:
                    raise ValueError(f"{text}: below {format_eth(min_stake_wei)}; stake with --stake")
                return text

            checks.append(attempt("stake", stake_check))
    return checks + _services(artifact_store, broker, check_broker_too, device)


def _services(artifact_store: str | None, broker: str | None, check_broker_too: bool,
              device: str | None) -> list[Check]:
    checks: list[Check] = []
    if artifact_store:
        checks.append(check_artifact_store(artifact_store))
    if check_broker_too:
        checks.append(check_broker(broker))
    checks.append(check_device(device))
    return checks
