"""DilocoJobs: each DiLoCo job, its rounds and segments, linked to their market tasks.

The segment and outer tasks themselves are TaskMarket tasks (their state is `tasks`, folded by the
market's handlers); these rows say which job, round and shard each one is and what the job recorded
of it. `CreditWithdrawn` (a failed job's submitter withdrawing the refund) changes no state here: it
is kept in `events` like every event.
"""

from __future__ import annotations

from backend.db.models import DilocoJob, DilocoRound, DilocoSegment
from backend.indexer.events import Context, on
from backend.indexer.store import Row
from tribunal.chain.events import ChainEvent
from tribunal.protocol_enums import JobStatus


def _job(ctx: Context, ev: ChainEvent) -> Row:
    row = ctx.store.edit(DilocoJob, (ev.args["jobId"],), ev.block_number)
    row["updated_block"] = ev.block_number
    return row


def _round(ctx: Context, ev: ChainEvent) -> Row:
    row = ctx.store.edit(DilocoRound, (ev.args["jobId"], ev.args["round"]), ev.block_number)
    row["updated_block"] = ev.block_number
    return row


@on("DilocoJobs", "JobPosted")
def job_posted(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    ctx.store.create(
        DilocoJob,
        (a["jobId"],),
        ev.block_number,
        {
            "job_id": a["jobId"],
            "submitter": a["submitter"],
            "spec_hash": a["specHash"],
            "spec_uri": a["specURI"],
            "rounds": a["rounds"],
            "shards": a["shards"],
            "escrow": a["escrow"],
            "status": JobStatus.TRAINING.name,
            "round": 0,
            "global_root": None,
            "refund": None,
            "posted_at": ev.timestamp,
            "posted_block": ev.block_number,
            "posted_tx": ev.tx_hash,
            "settled_at": None,
            "updated_block": ev.block_number,
        },
    )


@on("DilocoJobs", "SegmentPosted")
def segment_posted(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    job_id, round_ = a["jobId"], a["round"]
    ctx.store.edit_or_create(
        DilocoRound,
        (job_id, round_),
        ev.block_number,
        lambda: {
            "job_id": job_id,
            "round": round_,
            "segments_recorded": 0,
            "outer_task_id": None,
            "outer_init_state_root": None,
            "global_root": None,
            "opened_at": ev.timestamp,
            "outer_posted_at": None,
            "closed_at": None,
            "updated_block": ev.block_number,
        },
    )
    ctx.store.create(
        DilocoSegment,
        (job_id, round_, a["shard"]),
        ev.block_number,
        {
            "job_id": job_id,
            "round": round_,
            "shard": a["shard"],
            "task_id": a["taskId"],
            "init_state_root": a["initStateRoot"],
            "shard_root": None,
            "posted_at": ev.timestamp,
            "recorded_at": None,
            "updated_block": ev.block_number,
        },
    )
    job = _job(ctx, ev)
    job["round"] = round_
    job["status"] = JobStatus.TRAINING.name


@on("DilocoJobs", "SegmentRecorded")
def segment_recorded(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    segment = ctx.store.edit(DilocoSegment, (a["jobId"], a["round"], a["shard"]), ev.block_number)
    segment["shard_root"] = a["shardRoot"]
    segment["recorded_at"] = ev.timestamp
    segment["updated_block"] = ev.block_number
    _round(ctx, ev)["segments_recorded"] += 1


@on("DilocoJobs", "OuterPosted")
def outer_posted(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    round_ = _round(ctx, ev)
    round_["outer_task_id"] = a["taskId"]
    round_["outer_init_state_root"] = a["initStateRoot"]
    round_["outer_posted_at"] = ev.timestamp
    _job(ctx, ev)["status"] = JobStatus.AVERAGING.name


@on("DilocoJobs", "RoundClosed")
def round_closed(ev: ChainEvent, ctx: Context) -> None:
    round_ = _round(ctx, ev)
    round_["global_root"] = ev.args["globalRoot"]
    round_["closed_at"] = ev.timestamp
    _job(ctx, ev)["global_root"] = ev.args["globalRoot"]


@on("DilocoJobs", "JobCompleted")
def job_completed(ev: ChainEvent, ctx: Context) -> None:
    job = _job(ctx, ev)
    job["status"] = JobStatus.COMPLETED.name
    job["global_root"] = ev.args["finalGlobalRoot"]
    job["settled_at"] = ev.timestamp


@on("DilocoJobs", "JobFailed")
def job_failed(ev: ChainEvent, ctx: Context) -> None:
    job = _job(ctx, ev)
    job["status"] = JobStatus.FAILED.name
    job["refund"] = ev.args["refund"]
    job["settled_at"] = ev.timestamp
