"""TaskMarket: each task's state, its submissions, rewards and refunds, operators' records."""

from __future__ import annotations

from backend.db.models import Payout, Slash, Submission, Task
from backend.indexer.events import Context, on
from backend.indexer.handlers.common import account, is_zero
from backend.indexer.store import Row
from tribunal.chain.events import ChainEvent
from tribunal.protocol_enums import TaskStatus


def _task(ctx: Context, ev: ChainEvent) -> Row:
    row = ctx.store.edit(Task, (ev.args["taskId"],), ev.block_number)
    row["updated_block"] = ev.block_number
    return row


def _current_submission(ctx: Context, ev: ChainEvent, task: Row) -> Row | None:
    key = (task["task_id"], task["attempts"])
    if ctx.store.get(Submission, key) is None:
        return None
    return ctx.store.edit(Submission, key, ev.block_number)


def _payout(ctx: Context, ev: ChainEvent, kind: str, who: str, amount: int) -> None:
    ctx.store.append(
        Payout,
        {
            "tx_hash": ev.tx_hash,
            "log_index": ev.log_index,
            "block_number": ev.block_number,
            "timestamp": ev.timestamp,
            "kind": kind,
            "account": who,
            "amount": amount,
            "task_id": ev.task_id,
        },
    )


@on("TaskMarket", "TaskPosted")
def task_posted(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    ctx.store.create(
        Task,
        (a["taskId"],),
        ev.block_number,
        {
            "task_id": a["taskId"],
            "submitter": a["submitter"],
            "operator": None,
            "status": TaskStatus.OPEN.name,
            "reward": a["reward"],
            "min_stake": a["minStake"],
            "spec_hash": a["specHash"],
            "spec_uri": a["specURI"],
            "dataset_root": a["datasetRoot"],
            "init_state_root": a["initStateRoot"],
            "graph_root": a["graphRoot"],
            "steps": a["steps"],
            "checkpoint_every": a["checkpointEvery"],
            "deadline": a["deadline"],
            "challenge_window": a["challengeWindow"],
            "trace_root": None,
            "model_hash": None,
            "final_state_root": None,
            "challenge_ends_at": None,
            "open_disputes": 0,
            "attempts": 0,
            "claimed_at": None,
            "submitted_at": None,
            "settled_at": None,
            "posted_at": ev.timestamp,
            "posted_block": ev.block_number,
            "posted_tx": ev.tx_hash,
            "updated_block": ev.block_number,
        },
    )
    account(ctx, a["submitter"], ev)["tasks_posted"] += 1


@on("TaskMarket", "TaskCancelled")
def task_cancelled(ev: ChainEvent, ctx: Context) -> None:
    task = _task(ctx, ev)
    task["status"] = TaskStatus.CANCELLED.name
    task["settled_at"] = ev.timestamp
    _payout(ctx, ev, "refund", ev.args["submitter"], ev.args["refund"])


@on("TaskMarket", "TaskClaimed")
def task_claimed(ev: ChainEvent, ctx: Context) -> None:
    task = _task(ctx, ev)
    task["status"] = TaskStatus.CLAIMED.name
    task["operator"] = ev.args["operator"]
    task["claimed_at"] = ev.timestamp
    task["attempts"] += 1
    account(ctx, ev.args["operator"], ev)["tasks_claimed"] += 1


@on("TaskMarket", "ResultSubmitted")
def result_submitted(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    task = _task(ctx, ev)
    task["status"] = TaskStatus.SUBMITTED.name
    task["trace_root"] = a["traceRoot"]
    task["model_hash"] = a["modelHash"]
    task["final_state_root"] = a["finalStateRoot"]
    task["submitted_at"] = ev.timestamp
    task["challenge_ends_at"] = a["challengeEndsAt"]
    ctx.store.create(
        Submission,
        (task["task_id"], task["attempts"]),
        ev.block_number,
        {
            "task_id": task["task_id"],
            "attempt": task["attempts"],
            "operator": a["operator"],
            "trace_root": a["traceRoot"],
            "model_hash": a["modelHash"],
            "final_state_root": a["finalStateRoot"],
            "submitted_at": ev.timestamp,
            "challenge_ends_at": a["challengeEndsAt"],
            "outcome": "pending",
            "block_number": ev.block_number,
            "tx_hash": ev.tx_hash,
            "settled_block": None,
        },
    )


@on("TaskMarket", "DrawRevealed")
def draw_revealed(ev: ChainEvent, ctx: Context) -> None:
    """Forced errors (docs/forced-errors.md): the draw was not forced; the game phase is known now."""
    task = _task(ctx, ev)
    task["challenge_ends_at"] = ev.args["challengeEndsAt"]
    submission = _current_submission(ctx, ev, task)
    if submission is not None:
        submission["challenge_ends_at"] = ev.args["challengeEndsAt"]


@on("TaskMarket", "ForcedErrorRevealed")
def forced_error_revealed(ev: ChainEvent, ctx: Context) -> None:
    """A forced error: the honest trace root and model replace the forced ones, with a fresh window."""
    a = ev.args
    task = _task(ctx, ev)
    task["trace_root"] = a["traceRoot"]
    task["model_hash"] = a["modelHash"]
    task["challenge_ends_at"] = a["challengeEndsAt"]
    submission = _current_submission(ctx, ev, task)
    if submission is not None:
        submission["trace_root"] = a["traceRoot"]
        submission["model_hash"] = a["modelHash"]
        submission["challenge_ends_at"] = a["challengeEndsAt"]


@on("TaskMarket", "TaskDisputed")
def task_disputed(ev: ChainEvent, ctx: Context) -> None:
    _task(ctx, ev)["open_disputes"] = ev.args["openDisputes"]


@on("TaskMarket", "TaskDisputeResolved")
def task_dispute_resolved(ev: ChainEvent, ctx: Context) -> None:
    _task(ctx, ev)["open_disputes"] = ev.args["openDisputes"]


@on("TaskMarket", "TaskDisputeWithdrawn")
def task_dispute_withdrawn(ev: ChainEvent, ctx: Context) -> None:
    """A queued game closed before it ran (withdrawn, or moot): one open dispute fewer."""
    _task(ctx, ev)["open_disputes"] = ev.args["openDisputes"]


@on("TaskMarket", "TaskVoided")
def task_voided(ev: ChainEvent, ctx: Context) -> None:
    task = _task(ctx, ev)
    task["status"] = TaskStatus.VOIDED.name
    submission = _current_submission(ctx, ev, task)
    if submission is not None:
        submission["outcome"] = "voided"
        submission["settled_block"] = ev.block_number
    account(ctx, ev.args["operator"], ev)["tasks_voided"] += 1


@on("TaskMarket", "TaskReopened")
def task_reopened(ev: ChainEvent, ctx: Context) -> None:
    task = _task(ctx, ev)
    task.update(
        status=TaskStatus.OPEN.name,
        operator=None,
        claimed_at=None,
        submitted_at=None,
        trace_root=None,
        model_hash=None,
        final_state_root=None,
        challenge_ends_at=None,
    )


@on("TaskMarket", "TaskFinalized")
def task_finalized(ev: ChainEvent, ctx: Context) -> None:
    task = _task(ctx, ev)
    task["status"] = TaskStatus.FINALIZED.name
    task["settled_at"] = ev.timestamp
    submission = _current_submission(ctx, ev, task)
    if submission is not None:
        submission["outcome"] = "finalized"
        submission["settled_block"] = ev.block_number
    operator = account(ctx, ev.args["operator"], ev)
    operator["earnings"] += ev.args["reward"]
    operator["tasks_completed"] += 1
    _payout(ctx, ev, "reward", ev.args["operator"], ev.args["reward"])


@on("TaskMarket", "TaskExpired")
def task_expired(ev: ChainEvent, ctx: Context) -> None:
    operator = ev.args["operator"]
    if not is_zero(operator):
        account(ctx, operator, ev)["tasks_expired"] += 1
    for slash in ctx.store.appended(Slash, ev.tx_hash):
        if slash["account"] == operator and slash["reason"] is None:
            slash["reason"] = "missed_deadline"
            slash["task_id"] = ev.task_id


@on("TaskMarket", "ClaimEvicted")
def claim_evicted(ev: ChainEvent, ctx: Context) -> None:
    """A claim past the claim timeout, evicted: the operator's slash (StakeManager `Slashed`, earlier
    in the transaction) is labelled like a missed deadline's; `TaskReopened`, next, reopens the task."""
    operator = ev.args["operator"]
    for slash in ctx.store.appended(Slash, ev.tx_hash):
        if slash["account"] == operator and slash["reason"] is None:
            slash["reason"] = "claim_timeout"
            slash["task_id"] = ev.task_id


@on("TaskMarket", "TaskRefunded")
def task_refunded(ev: ChainEvent, ctx: Context) -> None:
    task = _task(ctx, ev)
    task["status"] = TaskStatus.REFUNDED.name
    task["settled_at"] = ev.timestamp
    _payout(ctx, ev, "refund", ev.args["submitter"], ev.args["amount"])
