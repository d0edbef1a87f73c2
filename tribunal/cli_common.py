"""Options and commands that every role's CLI shares (the config file, staking, status, doctor,
and for the agents' CLIs (`worker`, `verifier`): their options, state directory and `start` loop)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tribunal.chain.client import RpcUnavailable
from tribunal.chain.deployment import DeploymentError
from tribunal.chain.errors import ContractRevert, UnknownRevert
from tribunal.chain.keys import KeyConfigError
from tribunal.chain.session import ChainSession, format_eth, open_session, parse_eth
from tribunal.config import (
    CONFIG_ENV,
    DEFAULT_RPC_URL,
    ENVIRONMENT_ONLY,
    KEYS_BY_ENV,
    ConfigError,
    ConfigFile,
    load_config,
    mask_url_password,
    unknown_name,
)

if TYPE_CHECKING:
    from tribunal.agents.runtime import Agent
    from tribunal.agents.state import AgentState, AgentStateDir, GameRecord
    from tribunal.doctor import Check

console = Console()
log = logging.getLogger("tribunal")
T = TypeVar("T")
S = TypeVar("S", bound="AgentState")

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
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", envvar=CONFIG_ENV,
        help="TOML config file: its values are the defaults of every command's options "
        "(command line > environment > file > built-in default; see deploy/README.md)",
    ),
]
ArtifactStoreOpt = Annotated[
    str, typer.Option("--artifact-store", envvar="TRIBUNAL_ARTIFACT_STORE",
                      help="backend URL whose artifact store holds specs, checkpoints and models"),
]
DeviceOpt = Annotated[
    str | None, typer.Option("--device", envvar="TRIBUNAL_DEVICE",
                             help="torch device to train or re-execute on (default: cuda:0 when present, "
                                  "else cpu)"),
]
StateDirOpt = Annotated[
    Path | None, typer.Option("--state-dir", envvar="TRIBUNAL_STATE_DIR",
                              help="where the agent keeps its state (and an operator its checkpoints); "
                                   "default ~/.tribunal/<worker|verifier>/<chain>-<address>"),
]
PollIntervalOpt = Annotated[float, typer.Option("--poll-interval", help="seconds between chain polls")]
ConfirmationsOpt = Annotated[int, typer.Option(help="blocks to wait before acting on an event")]
AutoWithdrawOpt = Annotated[bool, typer.Option(help="withdraw credited pay (rewards, winnings) at once")]
LogJsonOpt = Annotated[bool, typer.Option("--log-json", help="JSON lines on stdout instead of rich logs")]
LogFileOpt = Annotated[Path | None, typer.Option(help="also write JSON lines to this file")]
DEFAULT_RPC = DEFAULT_RPC_URL
EXIT_CONFIG = 2


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(code=code)


def envvars(param: typer.core.TyperOption) -> list[str]:
    """The environment variables an option reads."""
    if not param.envvar:
        return []
    return [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)


def _file_options(command: Any) -> dict[str, typer.core.TyperOption]:
    """The options a config file may set: all but secrets (and --help, which is added later)."""
    return {p.name: p for p in command.params if isinstance(p, typer.core.TyperOption) and p.name
            and not any(env in ENVIRONMENT_ONLY for env in envvars(p))}


def _checked(param: typer.core.TyperOption, value: Any, key: str, config: ConfigFile) -> Any:
    """The file's value if the option's type accepts it; otherwise a ConfigError naming all three."""
    try:
        param.process_value(typer.Context(typer.core.TyperCommand("config")), value)
    except typer.BadParameter as exc:
        expected = getattr(param.type_descriptor.annotation, "__name__", param.type_descriptor.annotation)
        raise ConfigError(
            f"config file {config.path}: {key} = {mask_url_password(repr(value))}: expected {expected} "
            f"for {param.opts[0]}: {exc.message}"
        ) from exc
    return value


def _command_defaults(command: Any, path: tuple[str, ...], table: Any, config: ConfigFile) -> dict[str, Any]:
    where = "[" + ".".join(path) + "]"
    if not isinstance(table, dict):
        raise ConfigError(f"config file {config.path}: {where} must be a table")
    if isinstance(command, typer.core.TyperGroup):
        for name in table:
            if name not in command.commands:
                raise ConfigError(f"config file {config.path}: in {where}, "
                                  + unknown_name("command", name, sorted(command.commands)))
        return {name: _command_defaults(sub, (*path, name), table.get(name, {}), config)
                for name, sub in command.commands.items()}
    options = _file_options(command)
    for name in table:
        if name not in options:
            raise ConfigError(f"config file {config.path}: in {where}, "
                              + unknown_name(f"option of `{' '.join(path)}`", name, sorted(options)))
    defaults: dict[str, Any] = {}
    for name, param in options.items():
        if name in table:
            defaults[name] = _checked(param, table[name], f"{where} {name}", config)
            continue
        for env in envvars(param):
            key = KEYS_BY_ENV.get(env)
            if key is not None and key.name in config.values:
                defaults[name] = _checked(param, config.values[key.name], key.name, config)
                break
    return defaults


def config_defaults(group: Any, program: str, config: ConfigFile | None) -> dict[str, Any]:
    """A ``default_map`` for ``program``'s command tree (`typer.main.get_command`) from the file.

    An option takes the file's top-level key of its environment variable, or its own entry in the
    command's table (``[worker.start]`` ``stake``), which wins. Options are resolved from the
    command line, then the environment, then the default map, then the default, so the file only
    fills what the first two leave unset.
    """
    if config is None:
        return {}
    return _command_defaults(group, (program,), config.tables.get(program, {}), config)


def use_config_file(app: typer.Typer, program: str) -> None:
    """Give ``program``'s CLI its config file: ``--config FILE`` (before the command) or
    ``$TRIBUNAL_CONFIG``, read once at start-up, an error (exit 2) if anything in it is wrong."""

    @app.callback()
    def load_config_file(ctx: typer.Context, config: ConfigOpt = None) -> None:
        if config is not None:
            os.environ[CONFIG_ENV] = str(config)  # the settings objects and child processes read it too
        if ctx.invoked_subcommand == "config":
            return  # `tribunal config check` reports on the file itself
        try:
            ctx.default_map = config_defaults(ctx.command, program, load_config(config))
        except ConfigError as exc:
            raise fail(str(exc), EXIT_CONFIG) from exc


@dataclass(frozen=True)
class ResolvedOption:
    value: Any
    source: str  # "command line", "environment", "config file" or "default"


_SOURCES = {"COMMANDLINE": "command line", "ENVIRONMENT": "environment", "DEFAULT_MAP": "config file"}


def resolve_options(app: typer.Typer, program: str, command: str,
                    args: Sequence[str] = ()) -> dict[str, ResolvedOption]:
    """The options ``program command args`` would run with, and where each came from.

    Raises ConfigError for the file, typer.BadParameter for a value (or a required option unset)."""
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    root = typer.Context(group, info_name=program, default_map=config_defaults(group, program, load_config()))
    ctx = group.commands[command].make_context(command, list(args), parent=root)
    resolved = {}
    for name, value in ctx.params.items():
        source = ctx.get_parameter_source(name)
        resolved[name] = ResolvedOption(value, _SOURCES.get(source.name if source else "", "default"))
    return resolved


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
    jackpot = session.jackpot
    won = jackpot.credits(session.client.address) if jackpot is not None else 0
    if info.credit:
        run_chain_action("withdraw credit", session.stake_manager.withdraw_credit)
        console.print(f"withdrew credit {format_eth(info.credit)}")
    if info.unbonding:
        run_chain_action("withdraw unbonded stake", session.stake_manager.withdraw)
        console.print(f"withdrew unbonded stake {format_eth(info.unbonding)}")
    if won and jackpot is not None:
        run_chain_action("withdraw jackpot winnings", jackpot.withdraw)
        console.print(f"withdrew jackpot winnings {format_eth(won)}")
    if not info.credit and not info.unbonding and not won:
        raise fail("nothing to withdraw: no credit, no unbonding stake and no jackpot winnings")


def print_checks(checks: list[Check]) -> None:
    """One ``ok`` or ``FAIL`` line per check; exit 1 if any failed."""
    for check in checks:
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {check.name:14} {escape(check.detail)}", highlight=False, soft_wrap=True)
    if not all(c.ok for c in checks):
        raise typer.Exit(code=1)


def print_doctor(
    rpc_url: str, deployment: Path | None, keystore: Path | None, min_stake_wei: int, **services: Any
) -> None:
    """Print every check; exit 1 if any failed. ``services``: `run_checks`'s keyword options."""
    from tribunal.doctor import run_checks

    print_checks(run_checks(rpc_url, deployment, keystore, min_stake_wei, **services))


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


def eth_option(name: str, text: str) -> int:
    """An ETH amount given to option ``name``, in wei; exit 1 naming the option if it is not one."""
    try:
        return parse_eth(text)
    except ValueError as exc:
        raise fail(f"{name}: {exc}") from exc


def agent_state_dir(session: ChainSession, given: Path | None, role: str) -> Path:
    """``--state-dir``, or the role's default for this key and chain."""
    from tribunal.agents.state import default_state_dir

    return given or default_state_dir(role, session.deployment.chain_id, session.client.address)


def add_agent_status(app: typer.Typer, program: str, role: str, directory: Callable[[Path], AgentStateDir[S]],
                     print_state: Callable[[ChainSession, AgentStateDir[S], S], None], summary: str) -> None:
    """Register an agent's `status`: the stake (`print_stake_status`), then ``print_state`` of
    the state in ``--state-dir`` (the chain re-read where it says so)."""

    @app.command(name="status", help=summary)
    def status(rpc_url: RpcOpt = DEFAULT_RPC, deployment: DeploymentOpt = None, keystore: KeystoreOpt = None,
               state_dir: StateDirOpt = None) -> None:
        from tribunal.agents.state import StateError

        session = session_or_exit(rpc_url, deployment, keystore)
        print_stake_status(session, role)
        found = directory(agent_state_dir(session, state_dir, program))
        if not found.exists():
            console.print(f"no {found.ROLE} state in {found.root}: `{program} start` has not run with it")
            return
        try:
            state = found.read()
        except StateError as exc:
            raise fail(str(exc)) from exc
        print_state(session, found, state)


def run_agent(agent: Agent[Any, Any], console: Console, resumes: str) -> None:
    """Run the agent's loop until SIGINT or SIGTERM; what ``resumes`` on the next start is said
    when stopping. A state directory that is not the agent's is an error exit."""
    from tribunal.agents.state import StateError

    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        console.print(f"stopping ({signal.Signals(signum).name}); {resumes}")
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        agent.run(stop)
    except StateError as exc:
        raise fail(str(exc)) from exc


def print_games(session: ChainSession, games: Iterable[GameRecord], title: str) -> None:
    """A table of dispute games: an active one with its level, whose turn and the clock's
    deadline (read from the chain), a queued one (waiting for the operator's collateral, no clock),
    an ended one with its outcome (a game closed while queued: "moot" or "withdrawn")."""
    from tribunal.dispute.state import GameView

    table = Table(title=title)
    for column in ("game", "task", "challenger", "we play", "level", "on turn / outcome", "deadline"):
        table.add_column(column)
    for game in sorted(games, key=lambda g: g.game_id):
        view = GameView.from_tuple(session.game.state(game.game_id)) if session.game else None
        live = view is not None and view.active
        if view is not None and view.queued:
            turn = "queued: no clock until funded"
        else:
            turn = view.on_turn.name.lower() if live and view else (game.describe_outcome() or "-")
        table.add_row(str(game.game_id), str(game.task_id), game.challenger[:10] or "-", game.party or "-",
                      view.level.name.lower() if view else "-", turn,
                      str(view.deadline) if live and view else "-")
    console.print(table)
