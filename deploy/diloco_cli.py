"""`tribunal diloco`: post a DiLoCo job (R rounds × N shards, each segment and outer step a market
task; docs/diloco-jobs.md), show where it stands, withdraw a failed job's refund.

Posting does for a job what `tribunal task post` does for a task: the inner task's inputs, each
shard's rows (a dataset artifact) and the job document go to the artifact store, `job_wiring`
computes the roots and slot wiring the contract checks, and `DilocoJobs.postJob` escrows every
reward at once; round 0's segment tasks are in the market when it returns. `post_diloco_job` is the
same without the command line (the devnet calls it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import httpx
import typer
from pydantic import ValidationError
from rich.table import Table

from deploy.job_file import JobFileError, load_job
from deploy.submit import SubmitError, dataset_reference, initial_weights
from tribunal import cli_common as common
from tribunal.artifact_cache import ArtifactNotCached, publish_artifact, store_artifact
from tribunal.artifact_client import ArtifactClient, ArtifactError, content_hash
from tribunal.chain.client import RpcUnavailable
from tribunal.chain.diloco_jobs import DilocoJob, DilocoJobs, JobParams
from tribunal.chain.errors import ContractRevert, UnknownRevert
from tribunal.chain.session import ChainSession, format_eth, parse_eth
from tribunal.config import DEFAULT_ARTIFACT_STORE
from tribunal.diloco.job import job_hash, job_json, job_wiring, make_job
from tribunal.diloco.schedule import DilocoSchedule
from tribunal.protocol_enums import JobStatus
from tribunal.tasks import fetch_task_inputs

diloco_app = typer.Typer(help="Post a DiLoCo job (rounds × shards of market tasks), follow it, withdraw a "
                              "failed job's refund.", no_args_is_help=True)


@dataclass(frozen=True)
class DilocoTerms:
    """What a job pays and asks of every one of its tasks."""

    shard_reward: int
    """wei per finalised segment"""
    outer_reward: int
    """wei per finalised outer step"""
    min_stake: int
    """wei an operator locks per task"""
    task_timeout_s: int
    """seconds from each task's posting to its deadline"""
    challenge_window_s: int

    def escrow(self, schedule: DilocoSchedule) -> int:
        """Everything the job pays, escrowed at `postJob`: R·(N·shard reward + outer reward)."""
        return schedule.rounds * (schedule.shards * self.shard_reward + self.outer_reward)


@dataclass(frozen=True)
class PostedJob:
    job_id: int
    spec_uri: str
    escrow: int
    segment_tasks: tuple[int, ...]
    """Round 0's segment tasks, shard by shard."""
    tx_hash: str


def diloco_jobs(session: ChainSession) -> DilocoJobs:
    """The deployment's `DilocoJobs`, or a SubmitError saying how to get one."""
    if session.diloco_jobs is None:
        raise SubmitError(f"the deployment of chain {session.deployment.chain_id} has no DilocoJobs contract "
                          "(its file predates DiLoCo jobs): deploy again with `tribunal deploy`")
    return session.diloco_jobs


def check_job_terms(session: ChainSession, jobs: DilocoJobs, schedule: DilocoSchedule,
                    terms: DilocoTerms) -> None:
    """The market's and the job contract's limits, checked before anything is uploaded."""
    max_rounds, max_shards = jobs.max_rounds(), jobs.max_shards()
    if schedule.rounds > max_rounds or schedule.shards > max_shards:
        raise SubmitError(f"{schedule.rounds} rounds × {schedule.shards} shards: this DilocoJobs takes at "
                          f"most {max_rounds} rounds and {max_shards} shards")
    if terms.shard_reward <= 0 or terms.outer_reward <= 0:
        raise SubmitError("the shard and outer rewards must be more than 0 ETH: they pay the operators")
    low, high = session.market.challenge_window_range()
    if not low <= terms.challenge_window_s <= high:
        raise SubmitError(f"challenge window {terms.challenge_window_s} s is outside this market's "
                          f"{low}..{high} s: choose a window in that range")
    if terms.challenge_window_s >= terms.task_timeout_s:
        raise SubmitError(f"the challenge window ({terms.challenge_window_s} s) must be shorter than each "
                          f"task's timeout ({terms.task_timeout_s} s): a task trains and its window runs "
                          "before its deadline")
    floor = session.market.min_task_stake()
    if terms.min_stake < floor:
        raise SubmitError(f"min stake {format_eth(terms.min_stake)} is below this market's floor "
                          f"{format_eth(floor)}: raise it to at least that")
    escrow, balance = terms.escrow(schedule), session.client.balance(session.client.address)
    if balance <= escrow:
        raise SubmitError(
            f"the balance of {session.client.address} is {format_eth(balance)}, not enough for the job's "
            f"escrow {format_eth(escrow)} ({schedule.rounds} rounds × ({schedule.shards} × "
            f"{format_eth(terms.shard_reward)} + {format_eth(terms.outer_reward)})) and gas: fund it, or "
            "lower the rewards")


def post_diloco_job(session: ChainSession, store: ArtifactClient, schedule: DilocoSchedule,
                    terms: DilocoTerms, say: Callable[[str], None] = lambda _: None) -> PostedJob:
    """Shard the schedule's dataset, upload the shards and the job document, compute the wiring and
    post the job with its exact escrow. ``schedule.task``'s inputs (an uploaded dataset, a
    pretrained ``init``) must already be in ``store``. Raises SubmitError saying what to do."""
    jobs = diloco_jobs(session)
    check_job_terms(session, jobs, schedule, terms)
    try:
        fetch_task_inputs(schedule.task, store)
    except (ArtifactNotCached, ArtifactError, httpx.HTTPError) as exc:
        raise SubmitError(f"the inner task names an artifact {store.base_url} does not serve ({exc}): "
                          "upload it first") from exc
    try:
        job, shards = make_job(schedule)
        for data in shards.values():
            store_artifact(data)
        wiring = job_wiring(job)
    except ValueError as exc:
        raise SubmitError(f"the job cannot be built: {exc}") from exc
    document = job_json(job)
    try:
        for data in shards.values():
            publish_artifact(data, store, "dataset")
        store.upload_bytes(document, kind="spec")
    except (ArtifactError, httpx.HTTPError, RuntimeError) as exc:
        raise SubmitError(f"upload to {store.base_url} failed: {exc}: check --artifact-store (the "
                          "backend's URL) and that it runs") from exc
    say(f"{job.shards} shard datasets and the job document uploaded to {store.base_url}")
    uri = f"{store.base_url}/api/artifacts/{content_hash(document)}"
    params = JobParams(
        spec_hash=job_hash(job),
        spec_uri=uri,
        rounds=job.rounds,
        shards=job.shards,
        inner_steps=job.task.steps,
        checkpoint_every=job.task.checkpoint_every,
        shard_reward=terms.shard_reward,
        outer_reward=terms.outer_reward,
        min_stake=terms.min_stake,
        task_timeout=terms.task_timeout_s,
        challenge_window=terms.challenge_window_s,
        outer_graph_root=wiring.outer_graph_root,
        outer_dataset_root=wiring.outer_dataset_root,
        shard_dataset_roots=tuple(wiring.shard_dataset_roots),
        segment_graph_roots=tuple(wiring.segment_graph_roots),
    )
    try:
        sent = jobs.post_job(params, wiring, wiring.initial_global, params.escrow)
    except (ContractRevert, UnknownRevert, RpcUnavailable, ValueError) as exc:
        raise SubmitError(f"posting the job failed: {exc}") from exc
    segments = tuple(int(e["args"]["taskId"]) for e in jobs.events("SegmentPosted", sent.receipt))
    return PostedJob(jobs.job_id_of(sent), uri, params.escrow, segments, sent.tx_hash)


# ---------------------------------------------------------------- commands


def _eth(option: str, text: str) -> int:
    try:
        return parse_eth(text)
    except ValueError as exc:
        raise common.fail(f"{option}: {exc}") from exc


@diloco_app.command("post")
def diloco_post(
    job_file: Annotated[Path, typer.Argument(
        help="the inner task's job file (docs/jobs.md): model, dataset, optimizer, batch size, seed, "
             "steps = H, checkpoint_every; the terms table applies to every task (its deadline is each "
             "task's timeout)")],
    rounds: Annotated[int, typer.Option("--rounds", help="R: outer steps")],
    shards: Annotated[int, typer.Option("--shards", help="N: segments trained in parallel per round, each on "
                                                          "its own slice of the rows")],
    inner_steps: Annotated[int | None, typer.Option(
        "--inner-steps", help="H: training steps per segment (default: the job file's steps)")] = None,
    outer_lr: Annotated[float, typer.Option(help="the outer step's learning rate")] = 0.7,
    outer_momentum: Annotated[float, typer.Option(help="the outer step's momentum (0..1)")] = 0.9,
    nesterov: Annotated[bool, typer.Option(help="Nesterov outer momentum (else heavy-ball)")] = True,
    shard_reward: Annotated[str | None, typer.Option(
        "--shard-reward", help="ETH per finalised segment (default: the job file's terms.reward)")] = None,
    outer_reward: Annotated[str | None, typer.Option(
        "--outer-reward", help="ETH per finalised outer step (default: the job file's terms.reward)")] = None,
    dataset: Annotated[Path | None, typer.Option(
        "--dataset", help="your own data file, instead of the file of the job's dataset table")] = None,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
) -> None:
    """Post a DiLoCo job: JOB_FILE's task trained for ROUNDS rounds over SHARDS shards of its rows,
    INNER_STEPS steps per segment, then one outer step per round. Uploads the inputs, each shard's rows
    and the job document, then escrows every reward at once (rounds × (shards × shard reward + outer
    reward)); prints the job id. Nothing is uploaded or sent if the file or the terms are wrong."""
    try:
        job = load_job(job_file)
        if dataset is not None:
            job = job.with_dataset_file(dataset)
        if inner_steps is not None:
            job = replace(job, spec_fields={**job.spec_fields, "steps": inner_steps})
    except JobFileError as exc:
        raise common.fail(str(exc)) from exc
    terms = DilocoTerms(
        shard_reward=job.terms.reward if shard_reward is None else _eth("--shard-reward", shard_reward),
        outer_reward=job.terms.reward if outer_reward is None else _eth("--outer-reward", outer_reward),
        min_stake=job.terms.min_stake,
        task_timeout_s=job.terms.deadline_s,
        challenge_window_s=job.terms.challenge_window_s,
    )
    session = common.session_or_exit(rpc_url, deployment, keystore)

    def say(line: str) -> None:
        common.console.print(line, highlight=False, soft_wrap=True)

    with ArtifactClient(artifact_store) as store:
        try:
            spec = job.spec(dataset_reference(job, store, say), initial_weights(job, store, say))
            schedule = DilocoSchedule(task=spec, rounds=rounds, shards=shards, inner_steps=spec.steps,
                                      outer_lr=outer_lr, outer_momentum=outer_momentum, nesterov=nesterov)
        except ValidationError as exc:
            reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            raise common.fail(f"job file {job_file} with --rounds {rounds} --shards {shards}: "
                              f"{reasons}") from exc
        except SubmitError as exc:
            raise common.fail(str(exc)) from exc
        try:
            posted = post_diloco_job(session, store, schedule, terms, say)
        except SubmitError as exc:
            raise common.fail(str(exc)) from exc
    tasks = ", ".join(map(str, posted.segment_tasks))
    say(f"posted DiLoCo job {posted.job_id}: {rounds} rounds × {shards} shards × {spec.steps} steps, escrow "
        f"{format_eth(posted.escrow)} (per segment {format_eth(terms.shard_reward)}, per outer step "
        f"{format_eth(terms.outer_reward)}); round 0's segments are tasks {tasks}; document "
        f"{posted.spec_uri} (tx {posted.tx_hash})")
    common.console.print(str(posted.job_id), highlight=False)


def _task_cell(session: ChainSession, task_id: int) -> str:
    if task_id == 0:
        return "-"
    return f"{task_id} ({session.market.task(task_id).status.name.lower()})"


def job_grid(session: ChainSession, jobs: DilocoJobs, job: DilocoJob) -> Table:
    """Rounds × (shards, outer step): each posted task's id and market status ("-": not posted)."""
    table = Table(title=f"DiLoCo job {job.job_id}: task (status) per round")
    table.add_column("round", justify="right")
    for shard in range(job.shards):
        table.add_column(f"shard {shard}")
    table.add_column("outer")
    for round_ in range(job.rounds):
        cells = [_task_cell(session, jobs.segment_task(job.job_id, round_, s)) for s in range(job.shards)]
        table.add_row(str(round_), *cells, _task_cell(session, jobs.outer_task(job.job_id, round_)))
    return table


STATUS_MEANING = {
    JobStatus.TRAINING: "round {round}'s segments train ({recorded}/{shards} recorded)",
    JobStatus.AVERAGING: "round {round}'s outer step runs",
    JobStatus.COMPLETED: "completed: the trained state's global root is {final}",
    JobStatus.FAILED: "failed: a task was refunded; the submitter was credited what was not paid out "
                      "(`tribunal diloco withdraw`)",
}


@diloco_app.command("status")
def diloco_status(
    job_id: int,
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
) -> None:
    """Where job JOB_ID stands: its status and escrow, and every round's tasks (shards and outer step)
    with their market status."""
    session = common.session_or_exit(rpc_url, deployment, None, read_only=True)
    try:
        jobs = diloco_jobs(session)
    except SubmitError as exc:
        raise common.fail(str(exc)) from exc
    job = jobs.get_job(job_id)
    if job.status is JobStatus.NONE:
        raise common.fail(f"no DiLoCo job {job_id} (there are {jobs.job_count()} jobs)")
    final = "0x" + jobs.global_root(job_id, job.rounds).hex() if job.status is JobStatus.COMPLETED else ""
    state = STATUS_MEANING[job.status].format(round=job.round, recorded=job.recorded, shards=job.shards,
                                              final=final)
    common.console.print(
        f"job {job_id} by {job.submitter}: {job.rounds} rounds × {job.shards} shards; {state}; escrow held "
        f"{format_eth(job.escrow)} (per segment {format_eth(job.shard_reward)}, per outer step "
        f"{format_eth(job.outer_reward)}); spec hash 0x{job.spec_hash.hex()}",
        highlight=False, soft_wrap=True)
    common.console.print(job_grid(session, jobs, job))


@diloco_app.command("withdraw")
def diloco_withdraw(
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
) -> None:
    """Withdraw your credit at the DiLoCo jobs contract: the refund of each failed job you posted, and
    the slash shares of operators evicted or expired on your jobs' tasks."""
    session = common.session_or_exit(rpc_url, deployment, keystore)
    try:
        jobs = diloco_jobs(session)
    except SubmitError as exc:
        raise common.fail(str(exc)) from exc
    me = session.client.address
    credit = jobs.credit_of(me)
    if credit == 0:
        raise common.fail(f"nothing to withdraw: {me} has no credit at DilocoJobs (a job's submitter is "
                          "credited a failed job's unpaid rewards and the slash shares of its tasks' dropped "
                          "operators; a running job's rewards stay escrowed)")
    sent = common.run_chain_action("withdraw the DiLoCo job credit", jobs.withdraw)
    common.console.print(f"withdrew {format_eth(credit)} to {me} (tx {sent.tx_hash})", highlight=False)
