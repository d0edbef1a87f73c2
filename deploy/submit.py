"""The submitter's side of a task from the command line: post a job file with its escrow, follow the
task to its end, or cancel it while it is open (`tribunal task post | wait | cancel`).

Posting does what the dashboard does (docs/architecture.md, "The life of a task") without the
backend's spec job: the dataset (the user's own file ingested and uploaded, or a built-in one) and
the spec go to the artifact store, `prepare_task` computes the roots, `postTask` escrows the reward.
Waiting reads the task on-chain and, when the backend's API answers, the operator's signed training
progress (`GET /api/tasks/{id}`); it ends with one of the `WaitOutcome` exit codes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from deploy.job_file import DatasetFile, Job
from tribunal.artifact_cache import ArtifactNotCached
from tribunal.artifact_client import ArtifactClient, ArtifactError, content_hash
from tribunal.chain.client import RpcUnavailable, with_rpc_retry
from tribunal.chain.errors import ContractRevert, UnknownRevert
from tribunal.chain.session import ChainSession, format_eth
from tribunal.chain.task_market import Task
from tribunal.protocol_enums import TaskStatus
from tribunal.spec import canonical_json
from tribunal.tasks import fetch_task_inputs, prepare_task

MIN_POLL_S = 0.1
MAX_POLL_S = 30.0


class SubmitError(RuntimeError):
    """The job cannot be posted, followed or cancelled; the message says why and what to do."""


class WaitOutcome(IntEnum):
    """How `tribunal task wait` (and `post --wait`) ends: its exit code (`MEANING`). 1 is an error
    (bad input, the chain unreachable) and 2 a usage or config file error, as for every command."""

    FINALIZED = 0
    VOIDED = 3
    EXPIRED = 4
    CANCELLED = 5
    TIMED_OUT = 6


MEANING: dict[WaitOutcome, str] = {
    WaitOutcome.FINALIZED: "the result was finalized: the operator is paid, the model is yours "
                           "(`tribunal task model ID --out FILE`)",
    WaitOutcome.VOIDED: "a dispute voided the result and the deadline passed before another one: the "
                        "reward is refunded (or refundable)",
    WaitOutcome.EXPIRED: "the deadline passed with no result: the reward is refunded (or refundable once "
                         "anyone expires the task)",
    WaitOutcome.CANCELLED: "the submitter cancelled the task (the reward went back to its credit)",
    WaitOutcome.TIMED_OUT: "--timeout passed with the task still under way (it goes on without you)",
}


def chain_now(session: ChainSession) -> int:
    """The chain's time: the newest block's timestamp, or the clock if the chain is idle (a devnet
    mines only on transactions), as the agents reckon it."""
    latest = with_rpc_retry(lambda: session.client.w3.eth.get_block("latest"))
    return max(int(latest["timestamp"]), int(time.time()))


# ---------------------------------------------------------------- post


@dataclass(frozen=True)
class Posted:
    task_id: int
    spec_uri: str
    deadline: int
    tx_hash: str


def dataset_reference(job: Job, store: ArtifactClient, say: Callable[[str], None]) -> str:
    """What the spec's ``dataset`` names: a built-in dataset or an uploaded one's hash, as the job file
    says, or the user's own file, ingested and uploaded here."""
    if isinstance(job.dataset, DatasetFile):
        return _upload_own_dataset(job.dataset, store, say)
    return job.dataset


def _upload_own_dataset(dataset: DatasetFile, store: ArtifactClient, say: Callable[[str], None]) -> str:
    if dataset.file is None:
        raise SubmitError("the job's [dataset] table names no file: add file = \"data.csv\" or pass "
                          "--dataset FILE")
    from tribunal.datasets.ingest import DatasetInputError, IngestOptions, ingest_file
    from tribunal.datasets.store import upload_dataset

    try:
        options = IngestOptions(name=dataset.name or dataset.file.stem, targets=dataset.targets,
                                task=dataset.task, features=dataset.features, text=dataset.text,
                                tokenizer=dataset.tokenizer, context=dataset.context)
        data = ingest_file(dataset.file, options)
    except DatasetInputError as exc:
        raise SubmitError(f"dataset file {dataset.file}: {exc}") from exc
    try:
        reference = upload_dataset(data, store)
    except (ArtifactError, httpx.HTTPError) as exc:
        raise SubmitError(f"upload of dataset {dataset.file} to {store.base_url} failed: {exc}") from exc
    say(f"dataset {dataset.file}: {data.num_rows:,} rows uploaded as {reference}")
    return reference


def initial_weights(job: Job, store: ArtifactClient, say: Callable[[str], None]) -> str | None:
    """The job's pretrained start uploaded (``init = "FILE.safetensors"`` or ``pretrained = NAME``):
    its 0x hash, or None when the job names none or names one by hash already."""
    if job.pretrained is not None:
        return _packaged_start(job, store, say)
    if job.init_file is None:
        return None
    from tribunal.artifact_cache import publish_artifact
    from tribunal.models.pretrained import PretrainedStateError, read_safetensors_state

    data = job.init_file.read_bytes()
    try:
        tensors = read_safetensors_state(data)
    except PretrainedStateError as exc:
        raise SubmitError(f"init file {job.init_file}: {exc}") from exc
    try:
        digest = publish_artifact(data, store, "model")
    except (ArtifactError, httpx.HTTPError, RuntimeError) as exc:
        raise SubmitError(f"upload of the initial weights {job.init_file} to {store.base_url} failed: "
                          f"{exc}") from exc
    say(f"initial weights {job.init_file}: {len(tensors)} tensors uploaded as {digest}")
    return digest


def _packaged_start(job: Job, store: ArtifactClient, say: Callable[[str], None]) -> str:
    from tribunal.models.minilm import minilm_start
    from tribunal.models.pretrained import upload_initial_state

    context = job.spec_fields["model"]["context"]
    start = minilm_start(context)
    try:
        digest = upload_initial_state(start.tensors, store)
    except (ArtifactError, httpx.HTTPError, RuntimeError) as exc:
        raise SubmitError(f"upload of {job.pretrained}'s weights to {store.base_url} failed: {exc}") from exc
    count = sum(t.size for t in start.tensors.values())
    say(f"pretrained {job.pretrained}: {count:,} parameters uploaded as the initial weights {digest}")
    return digest


def check_terms(session: ChainSession, job: Job) -> None:
    """The market's own limits, checked before anything is uploaded: each refusal names its key."""
    terms, where = job.terms, f"job file {job.path}"
    low, high = session.market.challenge_window_range()
    if not low <= terms.challenge_window_s <= high:
        raise SubmitError(f"{where}: terms.challenge_window {terms.challenge_window_s} s is outside this "
                          f"market's {low}..{high} s: choose a window in that range")
    floor = session.market.min_task_stake()
    if terms.min_stake < floor:
        raise SubmitError(f"{where}: terms.min_stake {format_eth(terms.min_stake)} is below this market's "
                          f"floor {format_eth(floor)}: raise it to at least that")
    balance = session.client.balance(session.client.address)
    if balance <= terms.reward:
        raise SubmitError(f"the balance of {session.client.address} is {format_eth(balance)}, not enough for "
                          f"the reward {format_eth(terms.reward)} and gas: fund it, or lower terms.reward")


def post_job(session: ChainSession, job: Job, store: ArtifactClient, say: Callable[[str], None]) -> Posted:
    """Upload the job's dataset (if its own) and spec, and post the task with its reward."""
    check_terms(session, job)
    spec = job.spec(dataset_reference(job, store, say), initial_weights(job, store, say))
    try:
        fetch_task_inputs(spec, store)
    except (ArtifactNotCached, ArtifactError, httpx.HTTPError) as exc:
        raise SubmitError(f"job file {job.path}: the spec names an artifact {store.base_url} does not serve "
                          f"({exc}): upload it first, or give your data file with --dataset FILE") from exc
    spec_bytes = canonical_json(spec)
    uri = f"{store.base_url}/api/artifacts/{content_hash(spec_bytes)}"
    try:
        prepared = prepare_task(spec, uri)
    except ValueError as exc:
        raise SubmitError(f"job file {job.path}: {exc}") from exc
    try:
        store.upload_bytes(spec_bytes, kind="spec")
    except (ArtifactError, httpx.HTTPError) as exc:
        raise SubmitError(f"upload of the spec to {store.base_url} failed: {exc}: check --artifact-store "
                          "(the backend's URL) and that it runs") from exc
    deadline = chain_now(session) + job.terms.deadline_s
    params = prepared.task_params(min_stake=job.terms.min_stake, deadline=deadline,
                                  challenge_window=job.terms.challenge_window_s)
    try:
        task_id, sent = session.market.post_task(params, job.terms.reward)
    except (ContractRevert, UnknownRevert, RpcUnavailable, ValueError) as exc:
        raise SubmitError(f"posting the task failed: {exc}") from exc
    return Posted(task_id, uri, deadline, sent.tx_hash)


# ---------------------------------------------------------------- cancel


@dataclass(frozen=True)
class Cancelled:
    refund: int
    tx_hash: str
    withdrawn: int
    """wei withdrawn from the submitter's credit afterwards (0 with --no-withdraw)"""


def why_not_cancellable(task: Task, sender: str) -> str | None:
    """Why ``sender`` cannot cancel ``task`` now (None: it can), in the submitter's words."""
    what = f"task {task.task_id}"
    if task.status is TaskStatus.OPEN:
        if task.submitter.lower() != sender.lower():
            return (f"{what} was posted by {task.submitter}; only its submitter can cancel it (you are "
                    f"{sender}: use the key that posted it)")
        return None
    reasons = {
        TaskStatus.CLAIMED: f"operator {task.operator} claimed it and is training it; it can no longer be "
                            "cancelled. If it does not submit within the market's claim timeout, `tribunal "
                            "task evict ID` opens it again, and you can cancel it then",
        TaskStatus.SUBMITTED: "a result is in its challenge window; unless a dispute voids it, it is "
                              "finalized and the operator paid",
        TaskStatus.FINALIZED: "it is finalized: the operator was paid and the model is yours "
                              "(`tribunal task model ID --out FILE`)",
        TaskStatus.CANCELLED: "it is already cancelled (its reward went back to the submitter's credit)",
        TaskStatus.REFUNDED: "it was already refunded to the submitter",
        TaskStatus.VOIDED: "a dispute voided its result; once the games end it opens again (then cancel "
                           "it) or, past its deadline, is refunded",
    }
    return f"{what} cannot be cancelled: {reasons.get(task.status, task.status.name.lower())}"


def cancel_task(session: ChainSession, task_id: int, withdraw: bool) -> Cancelled:
    """Cancel an open task (the reward is credited back to the submitter), then withdraw the credit."""
    me = session.client.address
    task = session.market.task(task_id)
    if task.status is TaskStatus.NONE:
        raise SubmitError(f"no task {task_id} (there are {session.market.task_count()} tasks)")
    why = why_not_cancellable(task, me)
    if why is not None:
        raise SubmitError(why)
    try:
        sent = session.market.cancel(task_id)
    except ContractRevert as exc:
        if exc.error_name in ("WrongStatus", "NotSubmitter"):
            raise SubmitError(why_not_cancellable(session.market.task(task_id), me)
                              or f"cancel task {task_id}: {exc}") from exc
        raise SubmitError(f"cancel task {task_id} failed: {exc}") from exc
    except (UnknownRevert, RpcUnavailable, ValueError) as exc:
        raise SubmitError(f"cancel task {task_id} failed: {exc}") from exc
    (event,) = session.market.events("TaskCancelled", sent.receipt)
    withdrawn = 0
    if withdraw:
        credit = session.stake_manager.credit_of(me)
        try:
            session.stake_manager.withdraw_credit()
        except (ContractRevert, UnknownRevert, RpcUnavailable) as exc:
            raise SubmitError(f"task {task_id} is cancelled and its reward credited to {me}, but the "
                              f"withdrawal failed: {exc}; run it again with `worker withdraw`") from exc
        withdrawn = credit
    return Cancelled(int(event["args"]["refund"]), sent.tx_hash, withdrawn)


# ---------------------------------------------------------------- wait


@dataclass(frozen=True)
class TrainingProgress:
    """The newest progress report the task's operator signed, as the backend's API serves it."""

    operator: str
    step: int
    loss: float
    steps_per_s: float


class ApiUnavailable(RuntimeError):
    """The backend's API did not answer (or answered with a server error)."""


class BackendApi:
    """The few reads of the backend's REST API that waiting uses (docs/backend.md)."""

    def __init__(self, base_url: str, timeout_s: float = 3.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def latest_progress(self, task_id: int) -> TrainingProgress | None:
        """The task's newest progress report (None: none yet, or the task is not indexed yet)."""
        url = f"{self.base_url}/api/tasks/{task_id}"
        try:
            response = self._http.get(url)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"{url}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ApiUnavailable(f"{url}: HTTP {response.status_code}")
        try:
            latest = response.json().get("latest_progress")
            if latest is None:
                return None
            return TrainingProgress(str(latest["operator"]), int(latest["step"]), float(latest["loss"]),
                                    float(latest["steps_per_s"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ApiUnavailable(f"{url}: not the task API's answer ({exc})") from exc


class WaitView(Protocol):
    """Where waiting shows itself: one bar that changes with the task's phase, and lines of news."""

    def show(self, phase: str, completed: float, total: float | None, detail: str) -> None: ...

    def note(self, line: str) -> None: ...


class RichWaitView:
    """A rich progress bar on ``console`` (a final line when the output is not a terminal)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(), console=console, auto_refresh=False, transient=False)
        self._bar: TaskID | None = None

    def __enter__(self) -> RichWaitView:
        self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._progress.stop()

    def show(self, phase: str, completed: float, total: float | None, detail: str) -> None:
        if self._bar is None:
            self._bar = self._progress.add_task(phase, total=total, detail=detail)
            self._progress.update(self._bar, completed=completed)
        else:
            self._progress.update(self._bar, description=phase, total=total, completed=completed,
                                  detail=detail)
        self._progress.refresh()

    def note(self, line: str) -> None:
        self._progress.console.print(line, highlight=False, soft_wrap=True)


def _duration(seconds: int) -> str:
    seconds = max(0, seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _was_voided(session: ChainSession, task_id: int) -> bool:
    """Whether a dispute ever voided a result of the task (a `TaskVoided` event)."""
    logs = with_rpc_retry(lambda: session.market.contract.events.TaskVoided.get_logs(
        from_block=session.deployment.block_number, argument_filters={"taskId": task_id}))
    return bool(logs)


def settled_outcome(session: ChainSession, task: Task, now: int) -> WaitOutcome | None:
    """How the task ended, or None while it may still end finalized."""
    if task.status is TaskStatus.FINALIZED:
        return WaitOutcome.FINALIZED
    if task.status is TaskStatus.CANCELLED:
        return WaitOutcome.CANCELLED
    past_deadline = now > task.deadline
    if task.status is TaskStatus.REFUNDED or (
            past_deadline and task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.VOIDED)):
        voided = task.status is TaskStatus.VOIDED or _was_voided(session, task.task_id)
        return WaitOutcome.VOIDED if voided else WaitOutcome.EXPIRED
    return None


ENDINGS = {
    WaitOutcome.FINALIZED: "finalized: {reward} paid to operator {operator}; download the model with "
                           "`tribunal task model {id} --out FILE`",
    WaitOutcome.CANCELLED: "cancelled by its submitter; the reward went back to the submitter's credit",
    WaitOutcome.VOIDED: "a dispute voided the result and the deadline passed before another: the reward "
                        "{refund}",
    WaitOutcome.EXPIRED: "the deadline passed with no result: the reward {refund}",
    WaitOutcome.TIMED_OUT: "still {status} after --timeout; it goes on (`tribunal task wait {id}` again)",
}


def _ending(outcome: WaitOutcome, task: Task) -> str:
    refund = ("was refunded to the submitter's credit (withdraw it with `worker withdraw`)"
              if task.status is TaskStatus.REFUNDED else
              "is refunded once anyone expires the task (TaskMarket.expire) or its games end")
    return f"task {task.task_id} " + ENDINGS[outcome].format(
        reward=format_eth(task.reward), operator=task.operator, id=task.task_id, refund=refund,
        status=task.status.name.lower())


REOPENED: dict[TaskStatus | None, str] = {
    TaskStatus.VOIDED: "; open again: a dispute voided the last result",
    TaskStatus.SUBMITTED: "; open again: a dispute voided the last result",
    TaskStatus.CLAIMED: "; open again: the operator was evicted (it did not submit within the claim timeout)",
}
"""Why a task we saw held is open again, by the status we last saw."""


@dataclass
class _Seen:
    status: TaskStatus | None = None
    operator: str = ""
    disputes: int = 0
    api_down: bool = False


def wait_for_task(session: ChainSession, task_id: int, api: BackendApi | None, view: WaitView, *,
                  poll_s: float = 1.0, timeout_s: float | None = None) -> tuple[WaitOutcome, Task]:
    """Follow the task on-chain (and its training through the API, if it answers) until it ends;
    polls every ``poll_s`` (bounded to 0.1..30 s). Returns the outcome and the task as it ended."""
    poll_s = min(max(poll_s, MIN_POLL_S), MAX_POLL_S)
    stop_at = None if timeout_s is None else time.monotonic() + timeout_s
    seen = _Seen()
    while True:
        task = session.market.task(task_id)
        if task.status is TaskStatus.NONE:
            raise SubmitError(f"no task {task_id} (there are {session.market.task_count()} tasks)")
        now = chain_now(session)
        _report(session, task, now, api, view, seen)
        outcome = settled_outcome(session, task, now)
        if outcome is not None:
            view.show(outcome.name.lower(), 1, 1, "")
            view.note(_ending(outcome, task))
            return outcome, task
        if stop_at is not None and time.monotonic() >= stop_at:
            view.note(_ending(WaitOutcome.TIMED_OUT, task))
            return WaitOutcome.TIMED_OUT, task
        pause = poll_s if stop_at is None else min(poll_s, max(0.0, stop_at - time.monotonic()))
        time.sleep(pause)


def _report(session: ChainSession, task: Task, now: int, api: BackendApi | None, view: WaitView,
            seen: _Seen) -> None:
    """News lines on each change of status, operator or disputes; the bar for the current phase."""
    t = task.task_id
    if task.status is not seen.status or task.operator != seen.operator:
        news = {
            TaskStatus.OPEN: f"task {t} is open: waiting for an operator to claim it (deadline in "
                             f"{_duration(task.deadline - now)})" + REOPENED.get(seen.status, ""),
            TaskStatus.CLAIMED: f"task {t} claimed by {task.operator}: training {task.steps} steps",
            TaskStatus.SUBMITTED: f"task {t}: result submitted by {task.operator}; the challenge window "
                                  f"runs {_duration(task.challenge_window)}",
            TaskStatus.VOIDED: f"task {t}: a dispute voided the result of {task.operator}; it opens again "
                               "once its games end (before the deadline)",
        }.get(task.status)
        if news is not None:
            view.note(news)
        seen.status, seen.operator = task.status, task.operator
    if task.open_disputes != seen.disputes:
        if task.open_disputes > seen.disputes:
            view.note(f"task {t}: {task.open_disputes} dispute(s) open on the result; it is not paid until "
                      "they end")
        seen.disputes = task.open_disputes
    if task.status is TaskStatus.OPEN:
        view.show("waiting for a claim", 0, None, f"deadline in {_duration(task.deadline - now)}")
    elif task.status is TaskStatus.CLAIMED:
        progress = _progress(api, task, view, seen)
        if progress is None:
            shown = "no progress reports" if api is None or seen.api_down else "waiting for a progress report"
            view.show("training", 0, task.steps, f"step ?/{task.steps} ({shown})")
        else:
            view.show("training", progress.step, task.steps,
                      f"step {progress.step}/{task.steps}, loss {progress.loss:.4f}, "
                      f"{progress.steps_per_s:.1f} steps/s")
    elif task.status is TaskStatus.SUBMITTED:
        ends_at = task.submitted_at + task.challenge_window
        left = ends_at - now
        if task.open_disputes:
            detail = f"{task.open_disputes} dispute(s) open"
        elif left >= 0:
            detail = f"ends in {_duration(left)}"
        else:
            detail = "over: waiting for the finalize transaction (the operator's agent sends it; anyone may)"
        view.show("challenge window", min(task.challenge_window, max(0, now - task.submitted_at)),
                  task.challenge_window, detail)
    elif task.status is TaskStatus.VOIDED:
        view.show("voided", 0, None, f"{task.open_disputes} game(s) still open")


def _progress(api: BackendApi | None, task: Task, view: WaitView, seen: _Seen) -> TrainingProgress | None:
    """The current operator's newest report (an earlier operator's is not this attempt's)."""
    if api is None:
        return None
    try:
        progress = api.latest_progress(task.task_id)
    except ApiUnavailable as exc:
        if not seen.api_down:
            view.note(f"the backend's API does not answer ({exc}): showing the chain's status only")
        seen.api_down = True
        return None
    if seen.api_down:
        view.note("the backend's API answers again: showing training progress")
    seen.api_down = False
    if progress is None or progress.operator.lower() != task.operator.lower():
        return None
    return progress
