"""`tribunal`: developer, submitter and deployment commands (deploy, keys, tasks, DiLoCo jobs, config)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from web3 import Web3

from deploy.config_check import Role, config_checks
from deploy.dataset_cli import dataset_app
from deploy.diloco_cli import diloco_app
from deploy.job_file import JobFileError, load_job
from deploy.submit import (
    BackendApi,
    RichWaitView,
    SubmitError,
    WaitOutcome,
    cancel_task,
    post_job,
    wait_for_task,
)
from tribunal import cli_common as common
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.client import ChainClient, RpcUnavailable, connect
from tribunal.chain.deploy import DeployParams, DeployParamsError, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.chain.errors import ContractRevert, UnknownRevert
from tribunal.chain.keys import Signer, load_signer, write_keystore
from tribunal.chain.session import ChainSession, format_eth, parse_eth
from tribunal.chain.task_market import Task
from tribunal.config import CONFIG_ENV, DEFAULT_ARTIFACT_STORE
from tribunal.protocol_enums import TaskStatus

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from tribunal.diloco.resolve import DilocoResolver
    from tribunal.graph import StepGraph
    from tribunal.models.model_file import ModelCard

app = typer.Typer(help="Tribunal: developer and submitter commands.", no_args_is_help=True)
keys_app = typer.Typer(help="Create and inspect signing keys.", no_args_is_help=True)
task_app = typer.Typer(help="Read and act on tasks.", no_args_is_help=True)
config_app = typer.Typer(help="Check the configuration a role starts with.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(task_app, name="task")
app.add_typer(config_app, name="config")
app.add_typer(dataset_app, name="dataset")
app.add_typer(diloco_app, name="diloco")
common.use_config_file(app, "tribunal")


@app.command()
def deploy(
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    keystore: common.KeystoreOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="deployment file (default deployments/<chain>.json)")
    ] = None,
    unbonding_delay: int = DeployParams.unbonding_delay,
    slash_winner_bps: int = DeployParams.slash_winner_bps,
    max_challenge_window: int = DeployParams.max_challenge_window,
    max_dispute_duration: int = DeployParams.max_dispute_duration,
    missed_deadline_slash_bps: int = DeployParams.missed_deadline_slash_bps,
    challenger_bond: Annotated[str, typer.Option(
        help="ETH a challenger locks per dispute (should cover the operator's gas for a whole game)",
    )] = f"{DeployParams.challenger_bond / 10**18:g}",
    max_clock: Annotated[int, typer.Option(
        help="seconds each party's chess clock holds in a dispute (2 * max_clock <= max_dispute_duration)",
    )] = DeployParams.max_clock,
    min_challenge_window: Annotated[int, typer.Option(
        help="seconds: the shortest challenge window a task may ask for (at least a block; on a public "
        "chain, a verifier's replay time)",
    )] = DeployParams.min_challenge_window,
    min_task_stake: Annotated[str, typer.Option(
        help="ETH: the least stake a task may ask its operator to lock "
        "(it should pay a winning challenger's gas)",
    )] = f"{DeployParams.min_task_stake / 10**18:g}",
    claim_timeout: Annotated[int, typer.Option(
        help="seconds an operator has from its claim to submit before anyone may evict it "
        "(the task reopens)",
    )] = DeployParams.claim_timeout,
    forced_error_ppm: Annotated[int, typer.Option(
        help="parts per million of results that are forced errors, paid to verifiers that catch them "
        "from a jackpot (docs/forced-errors.md); 0 turns forced errors off",
    )] = DeployParams.forced_error_ppm,
    audit_window: Annotated[int, typer.Option(
        help="seconds of the reveal phase after a result's seal phase, and of the game phase after it "
        "(required with forced errors)",
    )] = DeployParams.audit_window,
    jackpot_bps: Annotated[int, typer.Option(
        help="basis points of every finalised reward that go to its operator's jackpot escrow",
    )] = DeployParams.jackpot_bps,
    pot: Annotated[str, typer.Option(
        help="ETH a forced error moves from its operator's escrow into its pot (and the least escrow "
        "an operator needs to claim a task)",
    )] = f"{DeployParams.pot_wei / 10**18:g}",
    verifier_bond: Annotated[str, typer.Option(
        help="ETH a verifier bonds to join the registry each result's committee is drawn from "
        "(returned when it exits)",
    )] = f"{DeployParams.verifier_bond_wei / 10**18:g}",
    committee_size: Annotated[int, typer.Option(
        help="registry members drawn per result (1..8): only they may catch its forced error, each "
        "paid pot / committee-size",
    )] = DeployParams.committee_size,
) -> None:
    """Deploy and wire StakeManager, TaskMarket, ProgramRegistry, OneStepProver and DisputeGame to
    RPC_URL (and a Jackpot, with forced errors on), then DilocoJobs over that market, and write the
    deployment file. Durations are seconds."""
    try:
        bond = parse_eth(challenger_bond)
    except ValueError as exc:
        raise common.fail(f"--challenger-bond: {exc}") from exc
    try:
        stake_floor = parse_eth(min_task_stake)
    except ValueError as exc:
        raise common.fail(f"--min-task-stake: {exc}") from exc
    try:
        pot_wei = parse_eth(pot)
    except ValueError as exc:
        raise common.fail(f"--pot: {exc}") from exc
    try:
        verifier_bond_wei = parse_eth(verifier_bond)
    except ValueError as exc:
        raise common.fail(f"--verifier-bond: {exc}") from exc
    params = DeployParams(unbonding_delay, slash_winner_bps, max_challenge_window,
                          max_dispute_duration, missed_deadline_slash_bps, bond, max_clock,
                          min_challenge_window, stake_floor, claim_timeout,
                          forced_error_ppm=forced_error_ppm, audit_window=audit_window,
                          jackpot_bps=jackpot_bps, pot_wei=pot_wei,
                          verifier_bond_wei=verifier_bond_wei, committee_size=committee_size)
    try:
        params.validate()
        signer = load_signer(keystore)
    except (DeployParamsError, ValueError) as exc:
        raise common.fail(str(exc)) from exc
    client = ChainClient(connect(rpc_url), signer)
    deployment = common.run_chain_action("deploy", lambda: deploy_contracts(client, rpc_url, params))
    path = save_deployment(deployment, out)
    common.console.print(f"deployed to chain {deployment.chain_id}: StakeManager "
                         f"{deployment.stake_manager}, TaskMarket {deployment.task_market}, DisputeGame "
                         f"{deployment.dispute_game}, DilocoJobs {deployment.diloco_jobs}; challenger bond "
                         f"{format_eth(bond)}, max clock {max_clock} s; wrote {path}")


@keys_app.command("new")
def keys_new(
    out: Annotated[Path, typer.Argument(help="where to write the encrypted keystore")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="TRIBUNAL_KEYSTORE_PASSWORD")],
) -> None:
    """Create a new key in an encrypted keystore file (mode 0600); prints only its address."""
    from eth_account import Account

    if out.exists():
        raise common.fail(f"{out} exists; choose another path")
    signer = Signer(Account.create())
    write_keystore(signer, out, password)
    common.console.print(f"new key {signer.address} in {out}")


@task_app.command("show")
def task_show(
    task_id: int,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
) -> None:
    """Print one task as the chain holds it."""
    session = common.session_or_exit(rpc_url, deployment, None, read_only=True)
    task = session.market.task(task_id)
    if task.status.name == "NONE":
        raise common.fail(f"no task {task_id} (there are {session.market.task_count()} tasks)")
    table = Table(title=f"task {task_id}")
    table.add_column("field")
    table.add_column("value")
    for name, value in vars(task).items():
        shown = Web3.to_hex(value) if isinstance(value, bytes) else (
            format_eth(value) if name in ("reward", "min_stake") else str(value))
        table.add_row(name, shown)
    common.console.print(table)


@task_app.command("evict")
def task_evict(
    task_id: int,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
) -> None:
    """Evict the operator of a claimed task that did not submit within the market's claim timeout:
    the operator is slashed as for a missed deadline and the task is open again (same reward and
    deadline). Anyone may send it, after the timeout and before the deadline."""
    session = common.session_or_exit(rpc_url, deployment, keystore)
    task = session.market.task(task_id)
    if task.status is TaskStatus.NONE:
        raise common.fail(f"no task {task_id} (there are {session.market.task_count()} tasks)")
    if task.status is not TaskStatus.CLAIMED:
        raise common.fail(f"task {task_id} is {task.status.name.lower()}, not claimed: only a claimed "
                          "task's operator can be evicted (see `tribunal task show ID`)")
    try:
        sent = session.market.evict_claim(task_id)
    except ContractRevert as exc:
        if exc.error_name == "ClaimNotTimedOut":
            timeout_at, now = int(exc.error_args["timeoutAt"]), int(exc.error_args["timestamp"])
            raise common.fail(
                f"too early: the claim on task {task_id} by {task.operator} times out at {timeout_at} "
                f"(chain time) and the operator may still submit until then; run this again in "
                f"{max(1, timeout_at + 1 - now)} s or later") from exc
        if exc.error_name == "DeadlinePassed":
            raise common.fail(
                f"task {task_id} is past its deadline ({task.deadline}): a claim is no longer evicted but "
                "expired (TaskMarket.expire, which slashes the operator and refunds the submitter)") from exc
        raise common.fail(f"evict the claim on task {task_id} failed: {exc}") from exc
    except (UnknownRevert, RpcUnavailable, ValueError) as exc:
        raise common.fail(f"evict the claim on task {task_id} failed: {exc}") from exc
    (event,) = session.market.events("ClaimEvicted", sent.receipt)
    common.console.print(
        f"evicted {event['args']['operator']} from task {task_id}: slashed "
        f"{format_eth(event['args']['slashed'])}; the task is open again (tx {sent.tx_hash})")


class ModelFormat(str, Enum):
    """What `tribunal task model` writes: the parameters as safetensors with the spec beside them, the
    final checkpoint as the artifact store holds it (every slot, optimizer state too), or the
    parameters as a PyTorch state dict (torch.save)."""

    SAFETENSORS = "safetensors"
    CHECKPOINT = "checkpoint"
    TORCH = "torch"

    @classmethod
    def for_path(cls, out: Path) -> ModelFormat:
        """The format OUT's suffix names: .safetensors, .pt or .pth (torch); else the checkpoint."""
        if out.suffix == ".safetensors":
            return cls.SAFETENSORS
        return cls.TORCH if out.suffix in (".pt", ".pth") else cls.CHECKPOINT


@task_app.command("model")
def task_model(
    task_id: int,
    out: Annotated[Path, typer.Option("--out", help="where to write the checked model")],
    model_format: Annotated[ModelFormat | None, typer.Option(
        "--format", help="safetensors (the parameters, and the spec beside them as OUT.spec.json), "
                         "checkpoint (the final checkpoint file) or torch (the parameters as a state dict); "
                         "default: from OUT's suffix (.safetensors, .pt/.pth, else checkpoint)")] = None,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    replica: Annotated[list[str] | None, typer.Option(
        "--replica", help="another store that may hold the model (a verifier's replica); repeatable")] = None,
    challenge: Annotated[bool, typer.Option(
        "--challenge", help="if no store has the model, challenge its availability on-chain (needs a key; "
                            "stakes the chunk bonds) and rebuild the parameters from what the operator "
                            "must deliver")] = False,
    keystore: common.KeystoreOpt = None,
    wait_s: Annotated[float, typer.Option(help="longest to wait for the challenges to end (wall seconds)")]
        = 3600.0,
) -> None:
    """Download the trained model of TASK's result (its final checkpoint, named by the model hash)
    from the artifact store or a replica, check that its state is the final state h_S the result
    committed on-chain (leaf S of the trace root, which the dispute game settles) and that its
    h_0..h_S hash to the trace root, then write it to OUT. A file that does not match is refused (exit
    1, naming what differs; nothing written). As safetensors (`--format`, or OUT ending .safetensors)
    only the parameters are written, named by their slots, with what the chain verified in the metadata
    and the spec beside them (model.safetensors -> model.spec.json): `tribunal.models.to_torch` loads
    them without the training data. With --challenge, a model no store serves is challenged on-chain
    (`DisputeGame.openAvailability`, every chunk of every parameter): the operator must post the chunks
    before its clock runs out or be slashed with the result voided; the parameters rebuilt from the
    delivered chunks are written to OUT (as a PyTorch state dict unless the format is safetensors)."""
    from tribunal.artifact_client import ArtifactClient
    from tribunal.model_check import ModelMismatch
    from tribunal.task_fetch import SpecUnavailable, TaskMismatch

    fmt = model_format or ModelFormat.for_path(out)
    session = common.session_or_exit(rpc_url, deployment, keystore if challenge else None,
                                     read_only=not challenge)
    task = session.market.task(task_id)
    if task.status is TaskStatus.NONE:
        raise common.fail(f"no task {task_id} (there are {session.market.task_count()} tasks)")
    if task.status not in (TaskStatus.SUBMITTED, TaskStatus.FINALIZED):
        raise common.fail(f"task {task_id} is {task.status.name.lower()}: it has no result whose model could "
                          "be downloaded (see `tribunal task show ID`)")
    uri = session.market.spec_uri(task_id, session.deployment.block_number)
    from tribunal.model_delivery import find_model

    stores = [ArtifactClient(url) for url in [artifact_store, *(replica or [])]]
    diloco = _diloco_resolver(session, stores[0])
    try:
        model, failures = find_model(task, uri, stores, diloco)
    except (ModelMismatch, TaskMismatch, SpecUnavailable) as exc:
        raise common.fail(f"cannot check the model of task {task_id}: {exc}") from exc
    if model is None:
        mismatches = [(url, exc) for url, exc in failures if isinstance(exc, ModelMismatch)]
        why = "; ".join(
            f"{url}: refused, the checkpoint 0x{task.model_hash.hex()} does not match the committed final "
            f"state 0x{task.final_state_root.hex()} ({exc.what}): {exc}" if isinstance(exc, ModelMismatch)
            else f"{url}: {exc}" for url, exc in failures)
        _recover_model(session, task, uri, stores, diloco, out, fmt, wait_s, challenge=challenge, why=why,
                       refused=bool(mismatches))
        return
    state = dict(zip(model.checkpoint.names, model.checkpoint.state, strict=True))
    wrote = _write_model(out, fmt, state, lambda: _model_card(session, task, uri, stores[0], diloco),
                         model.data)
    pending = ("; the challenge window is still open, so the result may yet be disputed"
               if task.status is TaskStatus.SUBMITTED else "")
    common.console.print(
        f"task {task_id}: the model matches the committed final state h_S 0x{task.final_state_root.hex()} "
        f"and the trace root 0x{task.trace_root.hex()}; wrote {wrote} to {out}{pending}",
        highlight=False)


def _diloco_resolver(session: ChainSession, store: ArtifactClient) -> DilocoResolver | None:
    """What derives the spec of a task the deployment's DiLoCo jobs contract posted (none stored)."""
    from tribunal.diloco.resolve import DilocoResolver

    if session.diloco_jobs is None:
        return None
    return DilocoResolver(session.diloco_jobs, session.market, store, publish=False)


def _recover_model(session: ChainSession, task: Task, uri: str, stores: list[ArtifactClient],
                   diloco: DilocoResolver | None, out: Path, fmt: ModelFormat, wait_s: float, *,
                   challenge: bool, why: str, refused: bool) -> None:
    """No store served the whole model file: put it together chunk by chunk from what they served
    (each chunk checked against the committed roots); failing that, with --challenge, make the
    operator deliver exactly the chunks still missing on-chain."""
    from tribunal.model_delivery import assemble_model, fetch_raw, model_slots, task_graph_and_state
    from tribunal.task_fetch import SpecUnavailable, TaskMismatch

    assert session.game is not None
    try:
        graph, init = task_graph_and_state(task, uri, stores[0], diloco)
    except (SpecUnavailable, TaskMismatch) as exc:
        raise common.fail(f"cannot read the task's spec to check the model chunk by chunk: {exc}") from exc
    assembled = assemble_model(task, graph, [fetch_raw(s, task.model_hash) for s in stores],
                               session.game.chunk_leaves())
    def card() -> ModelCard:
        return _model_card(session, task, uri, stores[0], diloco)

    if assembled.checkpoint is not None:
        checkpoint = assembled.checkpoint
        wrote = _write_model(out, fmt, dict(zip(checkpoint.names, checkpoint.state, strict=True)), card,
                             checkpoint.to_bytes())
        common.console.print(f"task {task.task_id}: no store served the whole model ({why}); put together "
                             f"chunk by chunk from {len(stores)} store(s), every chunk checked against the "
                             f"committed final state; wrote {wrote} to {out}", highlight=False)
        return
    params = model_slots(graph)
    wanted = {j: chunks for j, chunks in assembled.missing.items() if j in params}
    if not wanted:
        whole = {graph.slots[j].name: assembled.arrays[j] for j in params}
        wrote = _write_model(out, fmt, {name: a for name, a in whole.items() if a is not None}, card)
        common.console.print(f"task {task.task_id}: every parameter put together chunk by chunk and checked "
                             f"against the committed final state (optimizer state incomplete); wrote {wrote} "
                             f"to {out}")
        return
    named = "; ".join(f"{graph.slots[j].name} chunks {chunks}" for j, chunks in sorted(wanted.items()))
    if not challenge:
        verdict = "refused" if refused else "missing"
        raise common.fail(
            f"{verdict}: no store serves the committed model of task {task.task_id} ({why}); missing "
            f"{named or 'optimizer state only'}. Inside the challenge window run again with --challenge "
            "(and a key) to make the operator deliver exactly those chunks on-chain or be slashed")
    _challenge_availability(session, task, graph, init, wanted, assembled.versions, out, fmt, card, wait_s)


def _model_card(session: ChainSession, task: Task, uri: str, store: ArtifactClient,
                diloco: DilocoResolver | None) -> ModelCard:
    """What goes beside the parameters: the task's spec (checked against its on-chain hash), the model's
    input and output sizes (so a user needs no dataset to load it), and what the chain verified."""
    from tribunal.artifact_cache import ArtifactNotCached
    from tribunal.datasets import load_dataset
    from tribunal.models import model_dims
    from tribunal.models.model_file import ModelCard, ModelProvenance, ModelSizes
    from tribunal.task_fetch import SpecUnavailable, task_spec
    from tribunal.tasks import fetch_task_inputs

    try:
        spec = task_spec(task, uri, store, diloco)
        fetch_task_inputs(spec, store)
        sizes = ModelSizes.of(model_dims(spec, load_dataset(spec.dataset)))
    except (SpecUnavailable, ArtifactNotCached, ValueError) as exc:
        raise common.fail(f"cannot write the spec beside the model of task {task.task_id}: {exc}; "
                          "--format checkpoint writes the checked checkpoint without it") from exc
    return ModelCard(spec, sizes, ModelProvenance(task.task_id, session.deployment.chain_id, task.spec_hash,
                                                  task.final_state_root, task.trace_root, task.model_hash))


def _write_model(out: Path, fmt: ModelFormat, state: dict[str, NDArray[np.float32]],
                 card: Callable[[], ModelCard], checkpoint: bytes | None = None) -> str:
    """Writes the checked model to OUT as ``fmt`` (the checkpoint's bytes when there is one; a state dict
    of the parameters otherwise) and says what it wrote."""
    import torch

    from tribunal.models.model_file import parameters_only, safetensors_bytes, spec_json, spec_path

    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt is ModelFormat.CHECKPOINT and checkpoint is not None:
        out.write_bytes(checkpoint)
        return f"{len(checkpoint):,} bytes (the final checkpoint)"
    params = parameters_only(state)
    if fmt is ModelFormat.SAFETENSORS:
        model_card = card()
        data = safetensors_bytes(params, model_card)
        beside = spec_path(out)
        out.write_bytes(data)
        beside.write_bytes(spec_json(model_card, {name: tuple(t.shape) for name, t in params.items()}))
        return (f"{len(params)} parameter tensors as safetensors ({len(data):,} bytes; the spec beside, "
                f"{beside})")
    torch.save(params, out)
    return f"{len(params)} parameter tensors as a state dict (torch.save)"


def _challenge_availability(session: ChainSession, task: Task, graph: StepGraph,
                            init: Sequence[NDArray[np.float32]], wanted: dict[int, list[int]],
                            versions: dict[int, list[dict[int, bytes]]], out: Path, fmt: ModelFormat,
                            card: Callable[[], ModelCard], wait_s: float) -> None:
    """`task model --challenge`: open challenges on exactly the missing chunks, wait, rebuild (or
    report the slash)."""
    import time

    from tribunal.model_delivery import (
        Challenge,
        DeliveryError,
        await_challenges,
        open_challenges,
        rebuild_from_chain,
    )

    if task.status is not TaskStatus.SUBMITTED:
        raise common.fail(f"task {task.task_id} is {task.status.name.lower()}: availability can be "
                          "challenged only while its result is in the challenge window")
    began = time.monotonic()
    try:
        challenges = open_challenges(session, task, graph, init, chunks=wanted)
    except (DeliveryError, ContractRevert, UnknownRevert) as exc:
        raise common.fail(f"could not challenge the model's availability: {exc}") from exc
    chunks, bonds = sum(len(c.chunks) for c in challenges), sum(c.bond for c in challenges)
    common.console.print(
        f"opened {len(challenges)} availability challenge(s) on task {task.task_id} ({chunks} chunks, bonds "
        f"{format_eth(bonds)}) in {time.monotonic() - began:.1f} s; waiting for the operator to deliver "
        "on-chain")

    def now() -> int:
        return int(session.client.w3.eth.get_block("latest")["timestamp"])

    def progress(c: Challenge, done: int, total: int) -> None:
        common.console.print(f"  game {c.game_id}: {done}/{total} chunks delivered", highlight=False)

    try:
        outcomes = await_challenges(session, challenges, now, timeout_s=wait_s, on_progress=progress)
    except TimeoutError as exc:
        raise common.fail(f"{exc}: the games stay open on-chain; anyone may claim their timeout once the "
                          "operator's clock is out (DisputeGame.claimTimeout)") from exc
    if not all(o.delivered for o in outcomes):
        lost = [o.challenge.game_id for o in outcomes if not o.delivered]
        raise common.fail(f"the operator did not deliver (games {lost}): it was slashed and the result "
                          "voided; the escrow goes back to the market (cancel the reopened task for a "
                          "refund)",
                          code=2)
    try:
        tensors = rebuild_from_chain(session, challenges, versions)
    except DeliveryError as exc:
        raise common.fail(str(exc)) from exc
    wrote = _write_model(out, fmt, tensors, card)
    common.console.print(f"task {task.task_id}: {len(tensors)} parameter tensor(s) delivered on-chain and "
                         f"checked against h_S; wrote {wrote} to {out}")


@task_app.command("list")
def task_list(
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    last: Annotated[int, typer.Option(help="show the last N tasks")] = 20,
) -> None:
    """The last tasks, newest first."""
    session = common.session_or_exit(rpc_url, deployment, None, read_only=True)
    count = session.market.task_count()
    table = Table(title=f"{count} tasks")
    for column in ("id", "status", "reward", "min stake", "steps", "operator"):
        table.add_column(column)
    for task_id in range(count, max(0, count - last), -1):
        task = session.market.task(task_id)
        table.add_row(str(task_id), task.status.name.lower(), format_eth(task.reward),
                      format_eth(task.min_stake), str(task.steps), task.operator)
    common.console.print(table)


ApiUrlOpt = Annotated[str | None, typer.Option(
    "--api-url", envvar="TRIBUNAL_API_URL",
    help="backend API to read training progress from (default: the --artifact-store URL); when it does "
         "not answer, waiting shows the chain's status only")]
PollOpt = Annotated[float, typer.Option("--poll-interval",
                                        help="seconds between looks at the task (0.1..30)")]
TimeoutOpt = Annotated[float | None, typer.Option(
    "--timeout", help="stop waiting after this many seconds (exit 6; the task goes on)")]
WAIT_CODES = "; ".join(f"{int(o)} {o.name.lower()}" for o in WaitOutcome)


def _wait(session: ChainSession, task_id: int, api_url: str, poll_interval: float,
          timeout: float | None) -> None:
    api = BackendApi(api_url)
    try:
        with RichWaitView(common.console) as view:
            outcome, _ = wait_for_task(session, task_id, api, view, poll_s=poll_interval, timeout_s=timeout)
    except SubmitError as exc:
        raise common.fail(str(exc)) from exc
    except RpcUnavailable as exc:
        raise common.fail(f"lost the chain while waiting on task {task_id}: {exc}; run `tribunal task wait "
                          f"{task_id}` again") from exc
    finally:
        api.close()
    if outcome is not WaitOutcome.FINALIZED:
        raise typer.Exit(code=int(outcome))


@task_app.command("post")
def task_post(
    job_file: Annotated[Path, typer.Argument(help="the job file: spec and terms in TOML (docs/jobs.md)")],
    dataset: Annotated[Path | None, typer.Option(
        "--dataset", help="your own data file, instead of the file of the job's dataset table (its target "
                          "and task still come from the job file)")] = None,
    wait: Annotated[bool, typer.Option(
        "--wait", help=f"follow the task to its end (as `tribunal task wait`; exit codes: {WAIT_CODES})")]
        = False,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    api_url: ApiUrlOpt = None,
    poll_interval: PollOpt = 1.0,
    timeout: TimeoutOpt = None,
) -> None:
    """Post the job in JOB_FILE: upload its dataset (your own file, ingested) and spec to the artifact
    store, then post the task with its reward escrowed; prints the task id. Everything in the file is
    checked first; nothing is uploaded or sent if any of it is wrong."""
    try:
        job = load_job(job_file)
        if dataset is not None:
            job = job.with_dataset_file(dataset)
    except JobFileError as exc:
        raise common.fail(str(exc)) from exc
    session = common.session_or_exit(rpc_url, deployment, keystore)
    with ArtifactClient(artifact_store) as store:
        try:
            posted = post_job(session, job, store,
                              lambda line: common.console.print(line, highlight=False, soft_wrap=True))
        except SubmitError as exc:
            raise common.fail(str(exc)) from exc
    common.console.print(
        f"posted task {posted.task_id}: reward {format_eth(job.terms.reward)} escrowed, min stake "
        f"{format_eth(job.terms.min_stake)}, deadline {posted.deadline} (chain time), challenge window "
        f"{job.terms.challenge_window_s} s; spec {posted.spec_uri} (tx {posted.tx_hash})", highlight=False,
        soft_wrap=True)
    common.console.print(str(posted.task_id), highlight=False)
    if wait:
        _wait(session, posted.task_id, api_url or artifact_store, poll_interval, timeout)


@task_app.command("wait")
def task_wait(
    task_id: int,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    api_url: ApiUrlOpt = None,
    poll_interval: PollOpt = 1.0,
    timeout: TimeoutOpt = None,
) -> None:
    """Follow TASK to its end: the claim, training (step and loss from the backend's API), the
    challenge window, finalization. Exit codes: 0 finalized; 3 voided (a dispute voided the result and
    the deadline passed); 4 expired (no result by the deadline); 5 cancelled; 6 --timeout passed;
    1 error. docs/jobs.md explains each."""
    session = common.session_or_exit(rpc_url, deployment, None, read_only=True)
    _wait(session, task_id, api_url or artifact_store, poll_interval, timeout)


@task_app.command("cancel")
def task_cancel(
    task_id: int,
    withdraw: Annotated[bool, typer.Option(
        help="withdraw the refunded reward from your credit at once (else later: `worker withdraw`)")] = True,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
) -> None:
    """Cancel TASK while it is open (not yet claimed): its reward comes back to you. Only its
    submitter can; the refusal says why when it can't."""
    session = common.session_or_exit(rpc_url, deployment, keystore)
    try:
        cancelled = cancel_task(session, task_id, withdraw)
    except SubmitError as exc:
        raise common.fail(str(exc)) from exc
    back = (f"withdrew {format_eth(cancelled.withdrawn)} to {session.client.address}" if withdraw else
            "credited to you: withdraw it with `worker withdraw`")
    common.console.print(f"cancelled task {task_id}: the reward {format_eth(cancelled.refund)} is back "
                         f"({back}; tx {cancelled.tx_hash})", highlight=False, soft_wrap=True)


@config_app.command("check")
def config_check(
    role: Annotated[Role | None, typer.Option(
        "--role", help="check as this role starts: backend (python -m backend), worker (worker start), "
        "executor (worker executor), verifier (verifier start); none: the file, settings and chain")] = None,
    config: common.ConfigOpt = None,
) -> None:
    """Load the configuration (command line > environment > config file > default) as ROLE would, then
    check everything ROLE must reach: RPC and chain id, contracts, key, database, broker, artifact
    store, device. One ok/FAIL line each, with what to do; exit 1 on any FAIL. Keys are never printed."""
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)
    common.print_checks(config_checks(role))
