"""`worker`: the operator's command line.

    worker start --stake 10                        stake, then claim, train, submit, defend, get paid
    worker executor --broker redis://… --device cuda:0   a training process for the operator's queue
    worker status | doctor | unstake | withdraw
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tribunal import cli_common as common
from tribunal.agents.state import AgentStateDir
from tribunal.chain.anvil import ANVIL_CHAIN_ID
from tribunal.chain.session import ChainSession, format_eth
from tribunal.config import DEFAULT_ARTIFACT_STORE
from tribunal.dispute.faults import CHEATS
from tribunal.logs import configure_logging
from worker.celery_app import BROKER_ENV, DEFAULT_QUEUE, make_celery
from worker.policy import Policy
from worker.state import StateDir, WorkerState

app = typer.Typer(help="Tribunal operator: stake, train claimed tasks, get paid.", no_args_is_help=True)
common.use_config_file(app, "worker")
common.add_staking_commands(app, "operator", skip=("status", "doctor"))

BrokerOpt = Annotated[
    str | None, typer.Option("--broker", envvar=BROKER_ENV,
                             help="Celery broker (redis://host:6379/0); none: train in this process"),
]
QueueOpt = Annotated[str, typer.Option("--queue", envvar="TRIBUNAL_QUEUE",
                                       help="Celery queue of this operator's training jobs")]


def _memory_budget(device: str | None, override_gb: float | None) -> int | None:
    if override_gb is not None:
        return int(override_gb * 2**30)
    import torch

    from tribunal.device import pick_device

    chosen = pick_device(device)
    if chosen.type == "cuda":
        return int(torch.cuda.get_device_properties(chosen).total_memory * 0.9)
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.5)
    except (ValueError, OSError):
        return None


@app.command()
def start(
    stake: Annotated[str, typer.Option("--stake", help="ETH to keep bonded (topped up at start)")] = "10",
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    api_url: Annotated[str | None, typer.Option(
        "--api-url", envvar="TRIBUNAL_API_URL",
        help="backend API to post signed training progress to (usually the --artifact-store URL)")] = None,
    broker: BrokerOpt = None,
    queue: QueueOpt = DEFAULT_QUEUE,
    device: common.DeviceOpt = None,
    min_reward: Annotated[str, typer.Option("--min-reward", help="ETH: skip tasks paying less")] = "0",
    max_steps: Annotated[int | None, typer.Option("--max-steps", help="skip tasks with more steps")] = None,
    max_stake: Annotated[str | None, typer.Option("--max-stake",
                                                  help="ETH: skip tasks locking more stake")] = None,
    max_concurrent: Annotated[int, typer.Option("--max-concurrent",
                                                help="tasks claimed and not yet submitted at once")] = 1,
    max_memory_gb: Annotated[float | None, typer.Option(
        "--max-memory-gb",
        help="memory a task's step may need (default: 90% of the GPU, half the RAM)")] = None,
    state_dir: common.StateDirOpt = None,
    poll_interval: common.PollIntervalOpt = 2.0,
    confirmations: common.ConfirmationsOpt = 0,
    auto_withdraw: common.AutoWithdrawOpt = True,
    log_json: common.LogJsonOpt = False,
    log_file: common.LogFileOpt = None,
    live: Annotated[bool, typer.Option(help="live progress bars (only on a terminal)")] = True,
    cheat: Annotated[str | None, typer.Option(
        "--cheat", envvar="TRIBUNAL_CHEAT",
        help="DEMO ONLY: submit dishonest results on purpose, to see them caught and slashed "
             f"(one of: {', '.join(CHEATS)}); refused on any chain but a local anvil (31337)")] = None,
) -> None:
    """Stake, then follow the chain: claim tasks, train them, submit, defend disputes, get paid."""
    from worker.agent import OperatorAgent, OperatorConfig
    from worker.executor import CeleryExecutor, EmbeddedExecutor
    from worker.progress import TerminalProgress

    console = Console(stderr=True)
    configure_logging(json_lines=log_json, console=console, log_file=log_file)
    target = common.eth_option("--stake", stake)
    policy = Policy(
        min_reward=common.eth_option("--min-reward", min_reward),
        max_steps=max_steps,
        max_stake=None if max_stake is None else common.eth_option("--max-stake", max_stake),
        max_concurrent=max_concurrent,
        memory_budget_bytes=_memory_budget(device, max_memory_gb),
    )
    if cheat is not None and cheat not in CHEATS:
        raise common.fail(f"--cheat {cheat}: unknown cheat; known: {', '.join(CHEATS)}")
    session = common.session_or_exit(rpc_url, deployment, keystore)
    if cheat is not None and session.deployment.chain_id != ANVIL_CHAIN_ID:
        raise common.fail(f"--cheat is for demos on a local anvil (chain {ANVIL_CHAIN_ID}); this "
                          f"deployment is on chain {session.deployment.chain_id}. Drop --cheat.")
    celery = make_celery(broker)
    executor = CeleryExecutor(celery, queue) if broker else EmbeddedExecutor(celery)
    terminal = TerminalProgress(console, enabled=live and console.is_terminal)
    config = OperatorConfig(
        state_dir=common.agent_state_dir(session, state_dir, "worker"), stake=target, policy=policy,
        artifact_store=artifact_store, api_url=api_url, device=device, poll_interval_s=poll_interval,
        confirmations=confirmations, auto_withdraw=auto_withdraw, cheat=cheat,
    )
    if cheat is not None:
        console.print(f"[bold red]cheating on purpose (--cheat {cheat}): {CHEATS[cheat]}[/]")
    agent = OperatorAgent(session, config, executor, terminal)
    terminal.start()
    try:
        common.run_agent(agent, console, "the running job resumes next start")
    finally:
        terminal.stop()


@app.command()
def executor(
    broker: Annotated[str, typer.Option("--broker", envvar=BROKER_ENV, help="Celery broker (redis://…)")],
    queue: QueueOpt = DEFAULT_QUEUE,
    device: common.DeviceOpt = None,
    work_dir: Annotated[Path | None, typer.Option(
        "--work-dir", envvar="TRIBUNAL_EXECUTOR_DIR",
        help="local checkpoints (default ~/.tribunal/executor)")] = None,
    name: Annotated[str | None, typer.Option(help="Celery node name (default train-<device>@<host>)")] = None,
    log_json: Annotated[bool, typer.Option("--log-json")] = False,
) -> None:
    """Run training jobs from the operator's queue on one device (start one per GPU)."""
    from tribunal.device import pick_device

    configure_logging(json_lines=log_json, console=Console(stderr=True))
    chosen = str(pick_device(device))
    os.environ["TRIBUNAL_DEVICE"] = chosen
    if work_dir is not None:
        os.environ["TRIBUNAL_EXECUTOR_DIR"] = str(work_dir)
    node = name or f"train-{chosen.replace(':', '')}@%h"
    make_celery(broker).worker_main(argv=[
        "worker", "--pool=solo", "--concurrency=1", "-Q", queue, "-n", node, "--loglevel=INFO",
        "--without-gossip", "--without-mingle",
    ])


def print_state(session: ChainSession, directory: AgentStateDir[WorkerState], state: WorkerState) -> None:
    tasks = Table(title=f"tasks ({directory.root})")
    for column in ("task", "phase", "on-chain", "reward", "steps", "trace root", "note"):
        tasks.add_column(column)
    for record in sorted(state.tasks.values(), key=lambda r: r.task_id):
        chain = session.market.task(record.task_id)
        note = record.note or (f"evicted squatter {record.evicted[:10]}…" if record.evicted else "")
        tasks.add_row(str(record.task_id), record.phase.value, chain.status.name.lower(),
                      format_eth(record.reward), str(record.steps),
                      (record.trace_root or "")[:18],
                      note[:40])
    common.console.print(tasks)
    common.console.print(f"earned {format_eth(state.earned)}; withdrawn {format_eth(state.withdrawn)}; "
                         f"chain cursor at block {state.cursor}")
    open_games = [g for g in state.games.values() if not g.outcome]
    if session.game is None or not open_games:
        common.console.print(f"open disputes: none ({len(state.games)} in all)")
        return
    common.print_games(session, open_games, "open disputes")


common.add_agent_status(app, "worker", "operator", StateDir, print_state,
                        "Stake, locked stake, tasks, earnings and open disputes (the chain is re-read "
                        "for each).")


@app.command()
def doctor(
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    broker: BrokerOpt = None,
    device: common.DeviceOpt = None,
    stake: Annotated[str, typer.Option("--stake", help="ETH the stake should reach")] = "0",
) -> None:
    """Check RPC, chain id, contracts, key, balance, stake, artifact store, broker and torch device."""
    common.print_doctor(rpc_url, deployment, keystore, common.eth_option("--stake", stake),
                        artifact_store=artifact_store, broker=broker, check_broker_too=True, device=device)
