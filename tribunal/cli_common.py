"""Options and commands that every role's CLI shares (staking, status, doctor)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tribunal.chain.client import RpcUnavailable
from tribunal.chain.deployment import DeploymentError
from tribunal.chain.errors import ContractRevert, UnknownRevert
from tribunal.chain.keys import KeyConfigError
from tribunal.chain.session import ChainSession, format_eth, open_session, parse_eth
from tribunal.config import DEFAULT_RPC_URL

console = Console()
log = logging.getLogger("tribunal")
T = TypeVar("T")

RpcOpt = Annotated[str, typer.Option("--rpc-url", envvar="TRIBUNAL_RPC_URL", help="JSON-RPC URL")]
DeploymentOpt = Annotated[
    Path | None,
    typer.Option(
        "--deployment", envvar="TRIBUNAL_DEPLOYMENT",
        help="deployment file (default: deployments/<chain id>.json)",
    ),
]
KeystoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--keystore", envvar="TRIBUNAL_KEYSTORE",
        help="encrypted keystore (password from TRIBUNAL_KEYSTORE_PASSWORD or a prompt); "
        "else TRIBUNAL_PRIVATE_KEY",
    ),
]
DEFAULT_RPC = DEFAULT_RPC_URL


def fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def session_or_exit(rpc_url: str, deployment: Path | None, keystore: Path | None,
                    read_only: bool = False) -> ChainSession:
    try:
        return open_session(rpc_url, deployment, keystore, read_only=read_only)
    except (DeploymentError, KeyConfigError, RpcUnavailable) as exc:
        raise fail(str(exc)) from exc


def run_chain_action(action: str, fn: Callable[[], T]) -> T:
    """Run a chain action, turning named reverts into one clear line and exit code 1."""
    try:
        return fn()
    except (ContractRevert, UnknownRevert, RpcUnavailable, ValueError) as exc:
        raise fail(f"{action} failed: {exc}") from exc


def ensure_stake(session: ChainSession, target_wei: int) -> int:
    """Top the signer's bonded stake up to ``target_wei``; returns the wei added."""
    info = session.stake_manager.info(session.client.address)
    missing = target_wei - info.bonded
    if missing <= 0:
        return 0
    run_chain_action("stake", lambda: session.stake_manager.stake(missing))
    return missing


def print_stake_status(session: ChainSession, role: str) -> None:
    address = session.client.address
    info = session.stake_manager.info(address)
    table = Table(title=f"{role} {address}")
    table.add_column("what")
    table.add_column("amount", justify="right")
    table.add_row("balance", format_eth(session.client.balance(address)))
    table.add_row("bonded stake", format_eth(info.bonded))
    table.add_row("locked", format_eth(info.locked))
    table.add_row("free", format_eth(info.free))
    table.add_row("unbonding", format_eth(info.unbonding) + (
        f" (ready at {info.unbonding_ready_at})" if info.unbonding else ""))
    table.add_row("credit (withdrawable pay)", format_eth(info.credit))
    console.print(table)


def unstake(session: ChainSession, amount: str | None) -> None:
    info = session.stake_manager.info(session.client.address)
    wei = info.free if amount is None else parse_eth(amount)
    if wei == 0:
        raise fail("no free stake to unbond (locked stake stays until its task or dispute ends)")
    run_chain_action("unbond", lambda: session.stake_manager.request_unbond(wei))
    console.print(f"unbonding {format_eth(wei)}; withdraw after {session.stake_manager.unbonding_delay()} s")


def withdraw(session: ChainSession) -> None:
    info = session.stake_manager.info(session.client.address)
    if info.credit:
        run_chain_action("withdraw credit", session.stake_manager.withdraw_credit)
        console.print(f"withdrew credit {format_eth(info.credit)}")
    if info.unbonding:
        run_chain_action("withdraw unbonded stake", session.stake_manager.withdraw)
        console.print(f"withdrew unbonded stake {format_eth(info.unbonding)}")
    if not info.credit and not info.unbonding:
        raise fail("nothing to withdraw: no credit and no unbonding stake")


def print_doctor(
    rpc_url: str, deployment: Path | None, keystore: Path | None, min_stake_wei: int, **services: Any
) -> None:
    """Print every check; exit 1 if any failed. ``services``: `run_checks`'s keyword options."""
    from tribunal.doctor import run_checks

    checks = run_checks(rpc_url, deployment, keystore, min_stake_wei, **services)
    for check in checks:
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {check.name:13} {check.detail}")
    if not all(c.ok for c in checks):
        raise typer.Exit(code=1)


def add_staking_commands(app: typer.Typer, role: str, skip: tuple[str, ...] = ()) -> None:
    """Register `status`, `unstake`, `withdraw` and `doctor` on a role's CLI (except those in
    ``skip``, which the role defines itself)."""

    def command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        return (lambda fn: fn) if name in skip else app.command(name=name)

    @command("status")
    def status(rpc_url: RpcOpt = DEFAULT_RPC, deployment: DeploymentOpt = None,
               keystore: KeystoreOpt = None) -> None:
        """Stake, locked stake, unbonding stake and withdrawable pay."""
        print_stake_status(session_or_exit(rpc_url, deployment, keystore), role)

    @command("unstake")
    def unstake_cmd(
        amount: Annotated[
            str | None, typer.Option("--amount", help="ETH to unbond (default: all free)")
        ] = None,
        rpc_url: RpcOpt = DEFAULT_RPC, deployment: DeploymentOpt = None, keystore: KeystoreOpt = None,
    ) -> None:
        """Start unbonding free stake (withdrawable after the unbonding delay)."""
        unstake(session_or_exit(rpc_url, deployment, keystore), amount)

    @command("withdraw")
    def withdraw_cmd(rpc_url: RpcOpt = DEFAULT_RPC, deployment: DeploymentOpt = None,
                     keystore: KeystoreOpt = None) -> None:
        """Withdraw earned credit and any unbonded stake whose delay has passed."""
        withdraw(session_or_exit(rpc_url, deployment, keystore))

    @command("doctor")
    def doctor(rpc_url: RpcOpt = DEFAULT_RPC, deployment: DeploymentOpt = None,
               keystore: KeystoreOpt = None) -> None:
        """Check RPC, chain id, contracts, key, balance, stake and torch device."""
        print_doctor(rpc_url, deployment, keystore, 0)


def stake_to(
    stake: str, rpc_url: str, deployment: Path | None, keystore: Path | None, role: str
) -> ChainSession:
    """Parse --stake, bond up to it, print the role's status; returns the open session."""
    try:
        target = parse_eth(stake)
    except ValueError as exc:
        raise fail(f"--stake: {exc}") from exc
    session = session_or_exit(rpc_url, deployment, keystore)
    added = ensure_stake(session, target)
    console.print(f"bonded stake {format_eth(target)} (added {format_eth(added)})")
    print_stake_status(session, role)
    return session
