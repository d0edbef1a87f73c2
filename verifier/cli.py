"""`verifier`: the verifier's and whistleblower's command line.

    verifier start --stake 5 --mode spot --sample-rate 0.1   check results, challenge the wrong ones
    verifier start --replica-port 8700 --replica-host 0.0.0.0 also keep and serve the models checked
    verifier check TASK [--mode full]                         judge one result now, with the evidence
    verifier status | doctor | unstake | withdraw
    verifier exit                                             leave the verifier registry (forced errors)

With forced errors on, `verifier start` joins the Jackpot's bonded verifier registry (VERIFIER_BOND of
the balance) unless the key is a member: only members drawn into a result's committee may catch its
forced error. `verifier exit` leaves it; `verifier withdraw` then sends the bond back with the rest.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from web3.exceptions import BadFunctionCallOutput

from tribunal import cli_common as common
from tribunal.agents.state import AgentStateDir
from tribunal.chain.errors import ContractRevert, UnknownRevert
from tribunal.chain.session import ChainSession, format_eth, open_session
from tribunal.config import DEFAULT_ARTIFACT_STORE
from tribunal.logs import configure_logging
from verifier.checking import CheckResult, Mode, Verdict
from verifier.state import StateDir, VerifierState

app = typer.Typer(
    help="Tribunal verifier: stake, recompute published work, challenge wrong results.",
    no_args_is_help=True,
)
common.use_config_file(app, "verifier")
common.add_staking_commands(app, "verifier", skip=("status", "doctor", "withdraw"))

ModeOpt = Annotated[Mode, typer.Option("--mode", help="spot: re-execute a sample of checkpoint intervals; "
                                                       "full: replay every step")]
RateOpt = Annotated[float, typer.Option(
    "--sample-rate", min=0.0, max=1.0,
    help="spot mode: share of checkpoint intervals re-executed (at least one)")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="seed the spot sample (default: unpredictable)")]

EXIT_FAULTY = 2
EXIT_MODEL_MISMATCH = 3


@app.command()
def start(
    stake: Annotated[str, typer.Option("--stake", help="ETH to keep bonded (a game locks one bond)")] = "5",
    mode: ModeOpt = Mode.SPOT,
    sample_rate: RateOpt = 0.1,
    seed: SeedOpt = None,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    api_url: Annotated[str | None, typer.Option(
        "--api-url", envvar="TRIBUNAL_API_URL",
        help="backend API to compare the operator's published test evaluation with ours and post ours "
             "to (usually the --artifact-store URL)")] = None,
    device: common.DeviceOpt = None,
    state_dir: common.StateDirOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="judge and report, never challenge")] = False,
    poll_interval: common.PollIntervalOpt = 2.0,
    confirmations: common.ConfirmationsOpt = 0,
    auto_withdraw: common.AutoWithdrawOpt = True,
    log_json: common.LogJsonOpt = False,
    log_file: common.LogFileOpt = None,
    replica_port: Annotated[int, typer.Option(
        "--replica-port", help="keep the models found to match and serve them read-only on this port "
                               "(/api/artifacts/0x<hash>, like the artifact store); 0: off")] = 0,
    replica_host: Annotated[str, typer.Option(
        "--replica-host", help="address the replica server binds (0.0.0.0: reachable by others)"),
    ] = "127.0.0.1",
    replica_keep_days: Annotated[float, typer.Option(
        "--replica-keep-days", help="days a kept model stays after our check stored it")] = 30.0,
) -> None:
    """Stake, then check every submitted result, challenge wrong ones and play each game to the end.

    Other challengers' games are watched: a dispute makes a spot-checked result replay in full, and a
    wrong result gets our own game whatever the other challenger does. With --replica-port the
    models that check out are kept in the state dir's replica/ and served, so they outlive their
    operator going offline. With forced errors on, it first joins the verifier registry (the
    Jackpot's VERIFIER_BOND, from the balance) unless the key is a member, draws each result's
    committee, and seals catches of the results whose committee it is in."""
    from verifier.agent import VerifierAgent, VerifierConfig

    replica = replica_options(replica_port, replica_keep_days)
    console = Console(stderr=True)
    configure_logging(json_lines=log_json, console=console, log_file=log_file)
    target = common.eth_option("--stake", stake)
    session = common.session_or_exit(rpc_url, deployment, keystore)
    if session.game is None:
        raise common.fail("the deployment has no DisputeGame: redeploy with `tribunal deploy`")
    bond = session.game.challenger_bond()
    if target < bond:
        raise common.fail(f"--stake {format_eth(target)} is below one challenger bond {format_eth(bond)}: "
                          f"run `verifier start --stake {bond / 10**18:g}` or more")
    require_registry_bond(session, target)
    config = VerifierConfig(
        state_dir=common.agent_state_dir(session, state_dir, "verifier"), stake=target, mode=mode,
        sample_rate=sample_rate, seed=seed, artifact_store=artifact_store, api_url=api_url, device=device,
        poll_interval_s=poll_interval, confirmations=confirmations, challenge=not dry_run,
        auto_withdraw=auto_withdraw, replica_port=replica, replica_host=replica_host,
        replica_keep_s=replica_keep_days * 86400,
    )
    common.run_agent(VerifierAgent(session, config), console, "games resume on the next start")


def forced_errors_on(session: ChainSession) -> bool:
    """Whether the market forces errors (a market from before forced errors: no)."""
    if session.jackpot is None:
        return False
    try:
        return session.market.forced_error_ppm() != 0
    except (ContractRevert, UnknownRevert, BadFunctionCallOutput, ValueError):
        return False


def require_registry_bond(session: ChainSession, stake: int) -> None:
    """With forced errors on, `verifier start` joins the verifier registry: exit 1, saying what to
    send, if the balance cannot pay its bond besides the stake still to bond."""
    jackpot, me = session.jackpot, session.client.address
    if jackpot is None or not forced_errors_on(session) or jackpot.is_member(me):
        return
    bond = jackpot.verifier_bond()
    to_stake = max(0, stake - session.stake_manager.info(me).bonded)
    balance = session.client.balance(me)
    if balance <= bond + to_stake:
        staking = f" and {format_eth(to_stake)} to reach --stake" if to_stake else ""
        raise common.fail(
            f"forced errors are on: a verifier joins the registry committees are drawn from with a bond of "
            f"{format_eth(bond)}{staking}, but {me} holds {format_eth(balance)}. Send it at least "
            f"{format_eth(bond + to_stake - balance)} more (and gas), or lower --stake, then run "
            "`verifier start` again")


def replica_options(port: int, keep_days: float) -> int | None:
    """``--replica-port`` as the config's ``replica_port`` (None: off); exit 1 on a bad value."""
    if port != 0 and not 1 <= port <= 65535:
        raise common.fail(f"--replica-port {port}: a TCP port is 1..65535 (0 turns the replica off)")
    if not keep_days > 0 or keep_days == float("inf"):
        raise common.fail(f"--replica-keep-days {keep_days:g}: give a positive number of days")
    return port or None


@app.command()
def check(
    task_id: Annotated[int, typer.Argument(help="the task whose submitted result to judge")],
    mode: ModeOpt = Mode.FULL,
    sample_rate: RateOpt = 0.1,
    seed: SeedOpt = None,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    device: common.DeviceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Recompute TASK's result now and print the verdict with its evidence.

    The evidence: the first differing step and which published checkpoints matched. Exit code 0:
    honest; 2: faulty (challengeable); 3: the checkpoint the model hash names is not the committed
    final state h_S (refused; the trace is right)."""
    from tribunal.task_fetch import SpecUnavailable, TaskMismatch
    from verifier.agent import check_once

    session = common.session_or_exit(rpc_url, deployment, None, read_only=True)
    try:
        result = check_once(session, task_id, mode, artifact_store=artifact_store, sample_rate=sample_rate,
                            seed=seed, device=device)
    except (ValueError, LookupError, SpecUnavailable, TaskMismatch) as exc:
        raise common.fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=1))
    else:
        print_result(result)
    if result.verdict is Verdict.FAULTY:
        raise typer.Exit(code=EXIT_FAULTY)
    if result.verdict is Verdict.MODEL_MISMATCH:
        raise typer.Exit(code=EXIT_MODEL_MISMATCH)


def print_result(result: CheckResult) -> None:
    out = common.console
    colour = {"honest": "green", "faulty": "red", "model_mismatch": "yellow"}[result.verdict.value]
    out.print(f"task {result.task_id}: [bold {colour}]{result.verdict.value.upper()}[/bold {colour}] "
              f"({result.mode.value} check{', full replay' if result.full_replay else ''}, "
              f"{result.seconds:.1f} s)")
    out.print(f"  submitted trace root 0x{result.operator_root.hex()}")
    if result.own_root is not None:
        out.print(f"  our trace root       0x{result.own_root.hex()}")
    if result.first_bad_step is not None:
        t = result.first_bad_step
        where = ("h_0 (the initial state)" if t < 0 else f"h_{t + 1}, the first committed state "
                 "that differs: a step of the interval before it is wrong")
        out.print(f"  first differing state: {where}")
    elif result.verdict is Verdict.FAULTY:
        out.print("  first differing state: unknown (the operator's h_0..h_S are not published)")
    out.print(f"  model: {result.model}")
    if result.evaluation is not None:
        out.print(f"  model's {result.evaluation.describe()} (RepOps; not part of the trace)")
    for reason in result.escalated:
        out.print(f"  full replay because {reason}")
    if result.intervals:
        out.print("  re-executed: " + ", ".join(
            f"[{i.start}, {i.end})" + ("" if i.bad_step is None else f" wrong (h_{i.end} differs)")
            for i in result.intervals))
    if result.checkpoints:
        table = Table(title="published checkpoints")
        table.add_column("step", justify="right")
        table.add_column("what we found")
        for step, status in sorted(result.checkpoints.items()):
            table.add_row(str(step), status)
        out.print(table)


def print_state(session: ChainSession, directory: AgentStateDir[VerifierState], state: VerifierState) -> None:
    checks = Table(title=f"results checked ({directory.root})")
    for column in ("task", "operator", "status", "verdict", "how", "first bad step", "our game", "note"):
        checks.add_column(column)
    for record in sorted(state.checks.values(), key=lambda r: r.task_id):
        checks.add_row(str(record.task_id), record.operator[:10], record.status, record.verdict or "-",
                       "full replay" if record.full_replay else record.mode or "-",
                       "-" if record.first_bad_step is None else str(record.first_bad_step),
                       "-" if record.game_id is None else str(record.game_id), record.note[:50])
    common.console.print(checks)
    print_registry(session)
    if state.catches:
        catches = Table(title="forced-error catches")
        for column in ("task", "our state", "status", "jackpot share", "note"):
            catches.add_column(column)
        for catch in sorted(state.catches.values(), key=lambda c: c.task_id):
            share = "-" if not catch.share else format_eth(catch.share) + (" (withdrawn)" if catch.withdrawn
                                                                           else "")
            catches.add_row(str(catch.task_id), f"h_{catch.step} {catch.state[:10]}", catch.describe(), share,
                            catch.note[:50])
        common.console.print(catches)
    common.print_games(session, state.games.values(), "dispute games")
    common.console.print(f"withdrawn {format_eth(state.withdrawn)}; chain cursor at block {state.cursor}")


def print_registry(session: ChainSession) -> None:
    """Our place in the Jackpot's verifier registry, when the market forces errors."""
    jackpot, me = session.jackpot, session.client.address
    if jackpot is None or not forced_errors_on(session):
        return
    bond, share, credits = jackpot.verifier_bond(), jackpot.share(), jackpot.credits(me)
    if jackpot.is_member(me):
        common.console.print(f"verifier registry: member (bond {format_eth(bond)}); a catch in a committee "
                             f"of {jackpot.committee_size()} pays {format_eth(share)}")
    else:
        common.console.print(f"verifier registry: not a member (`verifier start` joins it with a bond of "
                             f"{format_eth(bond)}): no committee draws us, no catch of ours")
    if credits:
        common.console.print(f"jackpot credits {format_eth(credits)} (catches paid, a bond returned by "
                             "`verifier exit`): `verifier withdraw`")


common.add_agent_status(app, "verifier", "verifier", StateDir, print_state,
                        "Stake, locked bonds, winnings, the results checked and the games played.")


@app.command()
def withdraw(rpc_url: common.RpcOpt = common.DEFAULT_RPC, deployment: common.DeploymentOpt = None,
             keystore: common.KeystoreOpt = None) -> None:
    """Withdraw earned credit, unbonded stake whose delay has passed, and jackpot credits: catches
    paid and the registry bond that `verifier exit` returned."""
    session = common.session_or_exit(rpc_url, deployment, keystore)
    me = session.stake_manager.info(session.client.address)
    jackpot = session.jackpot
    credits = jackpot.credits(session.client.address) if jackpot is not None else 0
    if me.credit:
        common.run_chain_action("withdraw credit", session.stake_manager.withdraw_credit)
        common.console.print(f"withdrew credit {format_eth(me.credit)}")
    if me.unbonding:
        common.run_chain_action("withdraw unbonded stake", session.stake_manager.withdraw)
        common.console.print(f"withdrew unbonded stake {format_eth(me.unbonding)}")
    if credits and jackpot is not None:
        common.run_chain_action("withdraw jackpot credits", jackpot.withdraw)
        common.console.print(f"withdrew jackpot credits {format_eth(credits)} (catches paid, a bond returned "
                             "by `verifier exit`)")
    if not me.credit and not me.unbonding and not credits:
        raise common.fail("nothing to withdraw: no credit, no unbonding stake, no jackpot credits")


@app.command(name="exit")
def exit_registry(rpc_url: common.RpcOpt = common.DEFAULT_RPC, deployment: common.DeploymentOpt = None,
                  keystore: common.KeystoreOpt = None) -> None:
    """Leave the verifier registry: no committee of a result submitted from now on draws us, and the
    bond is credited (`verifier withdraw` sends it). Committees drawn before keep us, so their catches
    are still revealed and claimed. Stop `verifier start` first: it joins again when it starts."""
    session = common.session_or_exit(rpc_url, deployment, keystore)
    jackpot, me = session.jackpot, session.client.address
    if jackpot is None:
        raise common.fail("the deployment has no Jackpot: there is no verifier registry")
    if not jackpot.is_member(me):
        raise common.fail(f"{me} is not a member of the verifier registry: nothing to leave")
    bond = jackpot.verifier_bond()
    sent = common.run_chain_action("leave the verifier registry", jackpot.exit)
    common.console.print(f"left the verifier registry (tx {sent.tx_hash}); bond {format_eth(bond)} credited: "
                         "`verifier withdraw` sends it")


@app.command()
def doctor(
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    device: common.DeviceOpt = None,
    stake: Annotated[str | None, typer.Option(
        "--stake", help="ETH the stake should reach (default: one challenger bond)")] = None,
) -> None:
    """Check RPC, chain id, contracts, key, balance, stake (one bond at least), store and device."""
    if stake is not None:
        minimum = common.eth_option("--stake", stake)
    else:
        try:
            session = open_session(rpc_url, deployment, None, read_only=True)
            minimum = session.game.challenger_bond() if session.game else 0
        except Exception:  # noqa: BLE001 - the checks below say what is wrong
            minimum = 0
    common.print_doctor(rpc_url, deployment, keystore, minimum, artifact_store=artifact_store, device=device)
