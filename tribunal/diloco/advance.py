"""Moves DiLoCo jobs along on-chain (docs/diloco-jobs.md, "Flow"): anyone may, the worker does.

Each `JobAdvancer.tick` looks at every live job and sends at most the calls its state allows:

- a finalised segment whose roots are not recorded: `recordSegment` with the leaves of its final
  checkpoint (checked against the task's model hash and ``h_S`` first: `checked_checkpoint`);
- every segment of the round recorded: `openOuter` with the round's global roots and the shards'
  parameter roots;
- the round's outer step finalised: `recordOuter` (the contract opens the next round, or
  completes the job);
- a current task past its deadline without a result: `expire` (the market refunds its reward to
  the job); every current task final with one refunded: `abandon` (the submitter is credited
  what was not paid out);
- every current task final but the job cannot be moved on (a finalised task's model file is in no
  store we can reach, or is not the task's): `reportStall` starts the job's stall clock, and once
  the chain's time is past `stalledAt` + the job's ``taskTimeout`` (nobody moved it on meanwhile),
  `abandon` credits the submitter the escrow that would otherwise be locked for good.

Several advancers may race: a call another one already made reverts (`SegmentAlreadyRecorded`,
`JobNotTraining` and the like), which is expected and only logged; the next tick reads the chain again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from tribunal.artifact_client import ArtifactClient
from tribunal.chain.client import TransactionFailed
from tribunal.chain.diloco_jobs import DilocoJobs
from tribunal.chain.errors import ContractRevert
from tribunal.chain.task_market import Task, TaskMarket
from tribunal.commitments import tensor_root
from tribunal.diloco.resolve import DilocoResolver, NotReady, checked_checkpoint
from tribunal.protocol_enums import JobStatus, TaskStatus

__all__ = ["Action", "JobAdvancer"]

log = logging.getLogger(__name__)

_FINAL = (TaskStatus.FINALIZED, TaskStatus.REFUNDED, TaskStatus.CANCELLED)
_HELD = (TaskStatus.OPEN, TaskStatus.CLAIMED)


@dataclass(frozen=True)
class Action:
    """One call an advancer sent (for logs and tests)."""

    job_id: int
    round: int
    what: str
    tx_hash: str


@dataclass
class JobAdvancer:
    """``tick()``: the calls that move every live job along (module docstring)."""

    jobs: DilocoJobs
    market: TaskMarket
    resolver: DilocoResolver
    now: Callable[[], int]
    """The chain's time (the latest block's timestamp): deadlines are the chain's."""
    store: ArtifactClient | None = None
    _done: set[int] = field(default_factory=set)

    def tick(self) -> list[Action]:
        actions: list[Action] = []
        for job_id in range(1, self.jobs.job_count() + 1):
            if job_id in self._done:
                continue
            try:
                actions.extend(self._advance(job_id))
            except NotReady as exc:
                log.debug("DiLoCo job %d: waiting: %s", job_id, exc)
            except ContractRevert as exc:
                # another advancer got there first, or the chain moved since we read it
                log.info("DiLoCo job %d: call refused (%s); reading the chain again next tick", job_id,
                         exc.error_name, extra={"event": "diloco_race", "job_id": job_id})
            except (TransactionFailed, ValueError) as exc:
                log.warning("DiLoCo job %d: cannot advance: %s", job_id, exc,
                            extra={"event": "diloco_stuck", "job_id": job_id})
        return actions

    # -- one job --------------------------------------------------------------------------

    def _advance(self, job_id: int) -> list[Action]:
        view = self.jobs.get_job(job_id)
        if view.status in (JobStatus.COMPLETED, JobStatus.FAILED):
            self._done.add(job_id)
            return []
        r = view.round
        segments = [self.market.task(self.jobs.segment_task(job_id, r, i)) for i in range(view.shards)]
        training = view.status == JobStatus.TRAINING
        current = segments if training else [*segments, self.market.task(self.jobs.outer_task(job_id, r))]
        try:
            actions = self._move_on(job_id, view.rounds, view.shards, r, current, training)
        except (NotReady, ValueError) as exc:
            if not all(t.status in _FINAL for t in current):
                raise  # a task may still change: wait for it
            if any(t.status == TaskStatus.REFUNDED for t in current):
                return self._unstick(job_id, r, current)
            return self._stalled(job_id, r, exc)
        return actions or self._unstick(job_id, r, current)

    def _move_on(self, job_id: int, rounds: int, shards: int, r: int, current: list[Task],
                 training: bool) -> list[Action]:
        """The calls that take the job to its next step (recordSegment, openOuter, recordOuter); raises
        NotReady or ValueError when a finalised task's model file cannot be had."""
        if training:
            actions = self._record_segments(job_id, r, current)
            if actions:
                return actions
            if self.jobs.get_job(job_id).recorded == shards:
                return [self._open_outer(job_id, r, current)]
            return []
        outer = current[-1]
        if outer.status != TaskStatus.FINALIZED:
            return []
        leaves = checked_checkpoint(outer, self.store).leaves
        sent = self.jobs.record_outer(job_id, list(leaves))
        closing = "completes the job" if r + 1 == rounds else f"opens round {r + 1}"
        log.info("DiLoCo job %d: round %d's outer step (task %d) recorded; %s", job_id, r, outer.task_id,
                 closing, extra={"event": "diloco_round_closed", "job_id": job_id, "round": r})
        return [Action(job_id, r, "recordOuter", sent.tx_hash)]

    def _record_segments(self, job_id: int, r: int, segments: list[Task]) -> list[Action]:
        actions = []
        for shard, task in enumerate(segments):
            if task.status != TaskStatus.FINALIZED or self.jobs.shard_root(job_id, r, shard) != bytes(32):
                continue
            leaves = checked_checkpoint(task, self.store).leaves
            sent = self.jobs.record_segment(job_id, shard, list(leaves))
            log.info("DiLoCo job %d: round %d shard %d (task %d, operator %s) recorded", job_id, r, shard,
                     task.task_id, task.operator, extra={"event": "diloco_segment_recorded", "job_id": job_id,
                                                         "round": r, "shard": shard, "task_id": task.task_id})
            actions.append(Action(job_id, r, f"recordSegment({shard})", sent.tx_hash))
        return actions

    def _open_outer(self, job_id: int, r: int, segments: list[Task]) -> Action:
        wiring = self.jobs.wiring_of(job_id)
        global_roots = [tensor_root(a) for a in self.resolver.global_state(job_id, r)]
        shard_roots: list[bytes] = []
        for task in segments:
            leaves = checked_checkpoint(task, self.store).leaves
            shard_roots.extend(leaves[k] for k in wiring.segment_out)
        sent = self.jobs.open_outer(job_id, global_roots, shard_roots)
        log.info("DiLoCo job %d: every shard of round %d recorded; outer step posted", job_id, r,
                 extra={"event": "diloco_outer_posted", "job_id": job_id, "round": r})
        return Action(job_id, r, "openOuter", sent.tx_hash)

    def _stalled(self, job_id: int, r: int, why: NotReady | ValueError) -> list[Action]:
        """Every current task is final, none refunded, and the job cannot be moved on (``why``): start
        its stall clock, or abandon it once the chain allows (docs/diloco-jobs.md, "Stalled jobs")."""
        stalled_at = self.jobs.stalled_at(job_id)
        if stalled_at == 0:
            sent = self.jobs.report_stall(job_id)
            log.warning("DiLoCo job %d: every task of round %d is final but the job cannot move on (%s); "
                        "stall reported: it is abandoned after its task timeout unless someone records it",
                        job_id, r, why,
                        extra={"event": "diloco_stall_reported", "job_id": job_id, "round": r})
            return [Action(job_id, r, "reportStall", sent.tx_hash)]
        abandon_after = stalled_at + self.jobs.params_of(job_id).task_timeout
        if self.now() <= abandon_after:
            raise NotReady(f"{why}; the job stalled at {stalled_at}, abandonable after {abandon_after}")
        sent = self.jobs.abandon(job_id)
        log.warning("DiLoCo job %d: stalled in round %d since %d and nobody moved it on (%s); the job is "
                    "abandoned and its submitter credited", job_id, r, stalled_at, why,
                    extra={"event": "diloco_abandoned", "job_id": job_id})
        return [Action(job_id, r, "abandon", sent.tx_hash)]

    def _unstick(self, job_id: int, r: int, current: list[Task]) -> list[Action]:
        now = self.now()
        actions = []
        for task in current:
            if task.status in _HELD and now > task.deadline:
                sent = self.market.expire(task.task_id)
                log.warning("DiLoCo job %d: task %d of round %d had no result by its deadline; expired",
                            job_id, task.task_id, r, extra={"event": "diloco_task_expired", "job_id": job_id,
                                                            "task_id": task.task_id})
                actions.append(Action(job_id, r, f"expire({task.task_id})", sent.tx_hash))
        if actions:
            return actions
        if all(t.status in _FINAL for t in current) and any(t.status == TaskStatus.REFUNDED for t in current):
            sent = self.jobs.abandon(job_id)
            log.warning("DiLoCo job %d: round %d cannot finish (a task was refunded); the job is abandoned "
                        "and its submitter credited", job_id, r, extra={"event": "diloco_abandoned",
                                                                        "job_id": job_id})
            return [Action(job_id, r, "abandon", sent.tx_hash)]
        return []
