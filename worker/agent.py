"""The operator agent: what the operator decides in the agent loop (`tribunal.agents.runtime`).

Each tick the runtime reads new events (a block cursor kept in the state dir); the operator
re-reads every task it works on from the chain (the chain wins every disagreement with the state
dir), submits or polls training jobs, submits results and finalizes after the challenge window;
the runtime's dispute desk defends its results; then it claims the best open task its policy and
free stake allow, and the runtime withdraws its pay. A task another operator claimed and sat on
past the market's claim timeout counts as open: the agent evicts the squatter (`evictClaim`,
which slashes it) and claims the task, if its policy would have taken the task. Only this loop
sends transactions (it owns the nonce); training runs on an executor (in-process or Celery).

Every action is preceded by a phase written to the state dir and followed by a chain read, so
a crash between the two is resolved by reading the chain on the next start: a claim or a
submission is never sent twice for the same state, never for a task the chain has moved on.

On a market with forced errors on (docs/forced-errors.md) the operator also draws: before it
submits, it stores a fresh secret in the state dir and commits its hash (`commitDraw`, once per
claim); the hash of the block the commit landed in is the seed. If the draw is forced, it submits
the honest run with one interior committed state ``h_L`` changed (`tribunal.forced_errors`), its
forced checkpoints uploaded and named in the manifest; the honest ones are kept. After the seal
phase it reveals (`revealDraw`, or `revealForcedError`, after which the honest root stands and the
honest manifest is published again); disputes are always defended with the honest run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial

import httpx
import torch
from web3.exceptions import TimeExhausted

from tribunal.agents.runtime import Agent, AgentConfig
from tribunal.agents.state import GameRecord
from tribunal.artifact_client import ArtifactError
from tribunal.availability import Delivery, build_delivery
from tribunal.chain.client import TransactionFailed
from tribunal.chain.dispute_game import AvailabilityState
from tribunal.chain.errors import ContractRevert
from tribunal.chain.events import ChainEvent
from tribunal.chain.jackpot import Jackpot
from tribunal.chain.session import ChainSession, format_eth
from tribunal.chain.task_market import Task
from tribunal.checkpoint_manifest import CheckpointManifest, publish_manifest
from tribunal.checkpoint_sync import SyncedCheckpointStore
from tribunal.checkpoints import Checkpoint, CheckpointError, LocalCheckpointStore
from tribunal.commitments import final_state_proof, trace_root
from tribunal.diloco.advance import JobAdvancer
from tribunal.dispute.checkpointed import CheckpointedClaims
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.faults import named_cheat
from tribunal.evaluation import Evaluation
from tribunal.forced_errors import draw, forge_result, new_secret, secret_hash
from tribunal.merkle import keccak256
from tribunal.protocol_enums import CollateralKind, Party, TaskStatus, enum_name
from tribunal.task_fetch import SpecUnavailable, TaskMismatch
from tribunal.tasks import PreparedTask
from worker.executor import Executor, JobState
from worker.policy import Offer, Policy, Workload, fits, rank, screen
from worker.progress import BackendProgress, TerminalProgress
from worker.state import Candidate, DrawRecord, Phase, StateDir, TaskRecord, WorkerState
from worker.tasks import JobProgress, TrainingJob

log = logging.getLogger("worker.agent")

BLOCKHASH_WINDOW = 256
"""`blockhash(b)` is known on-chain for the 256 blocks after ``b``: submit within them (`DrawExpired`)."""
BPS = 10_000


@dataclass
class OperatorConfig(AgentConfig):
    policy: Policy = field(default_factory=Policy)
    api_url: str | None = None
    """The backend API to post signed training progress to."""
    stall_timeout_s: float = 900.0
    """A job whose progress has not changed for this long is resubmitted (it resumes)."""
    retry_failed_after_s: float = 30.0
    cheat: str | None = None
    """A named cheat (`tribunal.dispute.faults.CHEATS`): train dishonestly and defend the lie
    (devnet demos of a slashing; the CLI refuses it on any chain but a local anvil)."""
    advance_diloco: bool = True
    """Move DiLoCo jobs along (record finalised segments and outer steps, open the next step:
    `tribunal.diloco.advance`); anyone may, and the first call wins."""


@dataclass
class _Watch:
    job_id: str
    changed_at: float
    step: int = -1
    checkpoints: int = 0
    logged_at: float = 0.0


class OperatorAgent(Agent[WorkerState, OperatorConfig]):
    """``OperatorAgent(session, config, executor).run(stop)``: until ``stop`` is set."""

    PARTY = Party.OPERATOR
    EARNINGS = "pay"
    STATE_DIR = StateDir

    def __init__(
        self,
        session: ChainSession,
        config: OperatorConfig,
        executor: Executor,
        terminal: TerminalProgress | None = None,
    ) -> None:
        super().__init__(session, config)
        self.executor = executor
        self.terminal = terminal
        assert isinstance(self.state_dir, StateDir)
        self.checkpoints = SyncedCheckpointStore(LocalCheckpointStore(self.state_dir.checkpoints),
                                                 self.artifacts)
        self._chunk_leaves: int | None = None
        """The dispute game's chunk size (an immutable: read once, at the first availability challenge)."""
        self.backend: BackendProgress | None = None
        self._watches: dict[int, _Watch] = {}
        self._retry_at: dict[int, float] = {}
        self._said: set[tuple[int, str]] = set()
        self.claim_timeout: int | None = None
        """`TaskMarket.CLAIM_TIMEOUT` (seconds), read at start; None for a market without one."""
        self.forced_error_ppm = 0
        """`TaskMarket.forcedErrorPpm`, read at start (and again before a submission while it is 0)."""
        self.jackpot_bps = 0
        """`TaskMarket.jackpotBps`: the share of a finalised reward that goes to our jackpot escrow."""
        self.advancer: JobAdvancer | None = None
        if config.advance_diloco and session.diloco_jobs is not None and self.diloco is not None:
            self.advancer = JobAdvancer(session.diloco_jobs, session.market, self.diloco, self.chain_now,
                                        self.artifacts)

    def close(self) -> None:
        self.executor.shutdown()

    def on_start(self) -> None:
        assert self.state is not None
        chain_id = self.client.chain_id
        if self.config.api_url:
            signer = self.client.signer
            assert signer is not None  # an agent signs: `self.me` is its signer's address
            self.backend = BackendProgress(self.config.api_url, signer, chain_id,
                                           self.session.deployment.task_market)
        self.claim_timeout = self._read_claim_timeout()
        if self._read_forced_errors():
            self._ensure_escrow()
        log.info("operator %s on chain %d: %d task(s) in progress, cursor at block %d, executor %s, "
                 "device %s", self.me, chain_id, len(self.state.active_tasks()), self.state.cursor,
                 self.executor.describe(), self.device,
                 extra={"event": "started", "operator": self.me, "chain_id": chain_id})

    def _read_claim_timeout(self) -> int | None:
        market = self.session.market
        if not any(e.get("name") == "CLAIM_TIMEOUT" for e in market.contract.abi):
            log.warning("this TaskMarket has no CLAIM_TIMEOUT: squatted tasks are not evicted",
                        extra={"event": "no_claim_timeout"})
            return None
        timeout = market.claim_timeout()
        log.info("claim timeout %d s: we claim only what we can submit within it, and evict claims that "
                 "outlast it", timeout, extra={"event": "claim_timeout", "claim_timeout": timeout})
        return timeout

    def _read_forced_errors(self) -> int:
        """The market's forced-error probability (0: off; fixed once set, before any task exists)."""
        market = self.session.market
        if self.forced_error_ppm or not any(e.get("name") == "forcedErrorPpm" for e in market.contract.abi):
            return self.forced_error_ppm
        ppm = market.forced_error_ppm()
        if ppm:
            self.forced_error_ppm, self.jackpot_bps = ppm, market.jackpot_bps()
            log.info("forced errors on: %d ppm of results are forced errors, audit window %d s, %d bps "
                     "of each reward to the jackpot", ppm, market.audit_window(), self.jackpot_bps,
                     extra={"event": "forced_errors_on", "forced_error_ppm": ppm})
        return self.forced_error_ppm

    def _jackpot(self) -> Jackpot | None:
        if self.session.jackpot is not None:
            return self.session.jackpot
        address = self.session.market.jackpot_address()
        if address is not None:
            self.session.jackpot = Jackpot(self.client, address)
        return self.session.jackpot

    def _ensure_escrow(self) -> bool:
        """Top our jackpot escrow up to one pot (`Jackpot.POT`) beyond what our claimed tasks reserve:
        each claim reserves a pot, so that each forced error of ours can pay its catchers a whole one.
        False if we cannot."""
        jackpot = self._jackpot()
        if jackpot is None:
            return True
        escrow, reserved, pot = jackpot.escrow_of(self.me), jackpot.reserved_of(self.me), jackpot.pot_size()
        if escrow >= reserved + pot:
            return True
        missing = reserved + pot - escrow
        balance = self.client.balance(self.me)
        if balance <= missing:
            if (-1, "escrow_low") not in self._said:
                self._said.add((-1, "escrow_low"))
                log.warning("our jackpot escrow %s is below one pot (%s) beyond the %s our claims "
                            "reserve, and the balance is only %s: fund %s (no claims until then)",
                            format_eth(escrow), format_eth(pot), format_eth(reserved), format_eth(balance),
                            self.me,
                            extra={"event": "escrow_low"})
            return False
        sent = jackpot.fund_escrow(self.me, missing)
        log.info("funded our jackpot escrow with %s (a claim reserves one pot, %s, of it)",
                 format_eth(missing), format_eth(pot),
                 extra={"event": "escrow_funded", "amount": str(missing), "tx": sent.tx_hash})
        return True

    def work(self) -> None:
        assert self.state is not None
        for record in list(self.state.active_tasks()):
            self._advance_guarded(record)
        if self.advancer is not None:
            self.advancer.tick()

    def find_work(self) -> None:
        self.maybe_claim()

    def say_once(self, task_id: int, message: str, level: int = logging.INFO, **extra: object) -> None:
        if (task_id, message) not in self._said:
            self._said.add((task_id, message))
            log.log(level, message, extra={"task_id": task_id, **extra})

    # -- events ----------------------------------------------------------------------------

    def on_event(self, event: ChainEvent) -> None:
        """Remember what the event hints at; every decision re-reads the chain."""
        assert self.state is not None
        state = self.state
        if event.contract != "TaskMarket" or "taskId" not in event.args:
            return
        task_id = int(event["taskId"])
        if event.name == "TaskPosted":
            state.candidates.setdefault(task_id, Candidate(task_id, str(event["specURI"])))
        elif event.name == "TaskClaimed":
            if event["operator"].lower() != self.me.lower():
                if task_id in state.candidates:
                    candidate = state.candidates[task_id]
                    candidate.taken, candidate.submitted, candidate.evictable_at = True, False, None
            elif task_id not in state.tasks:
                self._adopt(task_id)
        elif event.name == "ResultSubmitted" and task_id in state.candidates:
            state.candidates[task_id].submitted = True
        elif event.name == "TaskReopened" and task_id in state.candidates:
            candidate = state.candidates[task_id]
            candidate.taken, candidate.submitted, candidate.evictable_at = False, False, None
        elif event.name in ("TaskFinalized", "TaskCancelled", "TaskRefunded"):
            state.candidates.pop(task_id, None)

    def on_our_game(self, game: GameRecord, event: ChainEvent) -> None:
        log.warning("task %d: challenged by %s (game %d); defending", game.task_id, game.challenger,
                    game.game_id,
                    extra={"event": "challenged", "task_id": game.task_id, "game_id": game.game_id})

    def on_game_queued(self, event: ChainEvent, game: GameRecord | None) -> None:
        """A game against us waits for collateral: the task's stake backs another game and our free
        stake is below the task's minStake. It runs after the game ahead of it (finalisation waits)."""
        if game is None or game.party != Party.OPERATOR.name.lower():
            return
        free = self.session.stake_manager.info(self.me).free
        log.warning("task %d: game %d is queued at position %d (our free stake %s cannot back it): it runs "
                    "when the task's stake is free again, and the task finalizes only after it; keep free "
                    "stake of minStake per extra game to let challengers' games run at once", game.task_id,
                    game.game_id, int(event["position"]), format_eth(free),
                    extra={"event": "game_queued", "task_id": game.task_id, "game_id": game.game_id})

    def on_game_funded(self, event: ChainEvent, game: GameRecord | None) -> None:
        if game is None or game.party != Party.OPERATOR.name.lower():
            return
        kind = enum_name(CollateralKind, int(event["kind"])).lower()
        log.info("task %d: game %d runs, backed by %s of our stake (%s)", game.task_id, game.game_id,
                 format_eth(int(event["amount"])), kind.replace("_", " "),
                 extra={"event": "game_funded", "task_id": game.task_id, "game_id": game.game_id,
                        "collateral": kind})

    def _adopt(self, task_id: int) -> None:
        """A claim of ours that the state dir does not know (state lost): take it up again."""
        assert self.state is not None
        task = self.session.market.task(task_id)
        candidate = self.state.candidates.get(task_id)
        record = self._record(task, candidate.spec_uri if candidate else "", Phase.TRAINING)
        self.state.tasks[task_id] = record
        log.warning("task %d: claimed by us on-chain but unknown to the state dir; resuming it", task_id,
                    extra={"event": "adopted", "task_id": task_id})

    @staticmethod
    def _record(task: Task, spec_uri: str, phase: Phase) -> TaskRecord:
        return TaskRecord(task_id=task.task_id, phase=phase, spec_hash="0x" + task.spec_hash.hex(),
                          spec_uri=spec_uri, steps=task.steps, reward=task.reward,
                          min_stake=task.min_stake, deadline=task.deadline)

    # -- our tasks -------------------------------------------------------------------------

    def _advance_guarded(self, record: TaskRecord) -> None:
        try:
            doing = f"moving it on from {record.phase.value}"
            with self.chain_action(record.task_id, doing, "action_failed"):
                self.advance(record)
        finally:
            self.save()

    def advance(self, record: TaskRecord) -> None:
        """Move one task along from what the chain says now."""
        task = self.session.market.task(record.task_id)
        mine = task.operator.lower() == self.me.lower()
        if record.phase is Phase.CLAIMING:
            if mine and task.status in (TaskStatus.CLAIMED, TaskStatus.SUBMITTED):
                self._set(record, Phase.TRAINING, f"claimed task {record.task_id}", event="claimed")
            elif task.status is TaskStatus.OPEN:
                self._drop_claim(record, "the claim did not land; the task is still open")
                return
            else:
                self._set(record, Phase.ABANDONED, f"task {record.task_id} went to someone else")
                return
        if not self._follow_chain(record, task, mine):
            return
        if record.phase is Phase.TRAINING:
            self._train(record, task)
        if record.phase is Phase.TRAINED:
            self._report_to_backend(record)
            if self._draw_ready(record, task):
                self._publish_checkpoints(record)
                self._submit(record, task)
        if record.phase is Phase.SUBMITTING:
            task = self.session.market.task(record.task_id)
            if task.status is TaskStatus.SUBMITTED:
                self._set(record, Phase.SUBMITTED, f"task {record.task_id} submitted", event="submitted")
            elif task.status is TaskStatus.CLAIMED and self._draw_ready(record, task):
                self._submit(record, task)
        if record.phase is Phase.SUBMITTED:
            self._report_to_backend(record)
            if record.draw is not None:
                self._reveal(record, self.session.market.task(record.task_id))
            self._publish_checkpoints(record)
            self._finalize(record, self.session.market.task(record.task_id))

    def _follow_chain(self, record: TaskRecord, task: Task, mine: bool) -> bool:
        """Phases the chain imposes (paid, lost, expired, submitted elsewhere); False if done."""
        assert self.state is not None
        status = task.status
        if status is TaskStatus.FINALIZED and mine:
            paid = task.reward - task.reward * self.jackpot_bps // BPS  # the rest: to our jackpot escrow
            self.state.earned += paid
            self.credit_arrived()
            self._set(record, Phase.PAID,
                      f"task {record.task_id} finalized: {format_eth(paid)} credited",
                      event="paid", reward=str(paid))
            self._stop_job(record)
            return False
        if status is TaskStatus.REFUNDED:
            phase = Phase.LOST if record.phase is Phase.SUBMITTED else Phase.EXPIRED
            self._set(record, phase, f"task {record.task_id} refunded to its submitter ({phase.value})",
                      level=logging.WARNING)
            self._stop_job(record)
            return False
        taken = status in (TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.SUBMITTED) and not mine
        if taken and record.phase in (Phase.TRAINING, Phase.TRAINED, Phase.SUBMITTING):
            self._set(record, Phase.EXPIRED, f"task {record.task_id}: our claim was evicted (no result "
                      "within the market's claim timeout); part of its stake was slashed",
                      level=logging.ERROR, event="evicted_us")
            candidate = self.state.candidates.get(record.task_id)
            if candidate is not None:
                candidate.refused = "we were evicted from it"
            self._stop_job(record)
            return False
        if status is TaskStatus.VOIDED or taken:
            self._set(record, Phase.LOST, f"task {record.task_id}: our result was voided by a lost dispute",
                      level=logging.ERROR)
            candidate = self.state.candidates.get(record.task_id)
            if candidate is not None:
                candidate.refused = "we lost a dispute on it"
            self._stop_job(record)
            return False
        if status is TaskStatus.SUBMITTED and record.phase in (Phase.TRAINING, Phase.TRAINED):
            record.trace_root = record.trace_root or "0x" + task.trace_root.hex()
            self._set(record, Phase.SUBMITTED, f"task {record.task_id} is already submitted on-chain")
            self._stop_job(record)
        return True

    def _set(self, record: TaskRecord, phase: Phase, message: str, level: int = logging.INFO,
             event: str | None = None, **extra: object) -> None:
        if record.phase is not phase:
            record.phase = phase
            log.log(level, message, extra={"event": event or phase.value, "task_id": record.task_id, **extra})
        self.save()

    def _drop_claim(self, record: TaskRecord, why: str) -> None:
        assert self.state is not None
        del self.state.tasks[record.task_id]
        log.info("task %d: %s", record.task_id, why,
                 extra={"event": "claim_dropped", "task_id": record.task_id})

    # -- training --------------------------------------------------------------------------

    def _train(self, record: TaskRecord, task: Task) -> None:
        watch = self._watches.get(record.task_id)
        if watch is None:
            if record.job_id and self.executor.remote:
                watch = self._watches[record.task_id] = _Watch(record.job_id, time.monotonic())
            elif time.monotonic() >= self._retry_at.get(record.task_id, 0.0):
                try:
                    watch = self._submit_job(record, task)
                except Exception as exc:  # noqa: BLE001 - spec store or broker down: retry later
                    self._retry_at[record.task_id] = time.monotonic() + self.config.retry_failed_after_s
                    log.warning("task %d: cannot start training (%s); retrying in %.0f s", record.task_id,
                                exc, self.config.retry_failed_after_s,
                                extra={"event": "job_not_started", "task_id": record.task_id})
                    return
            else:
                return
        try:
            status = self.executor.poll(watch.job_id)
        except Exception as exc:  # noqa: BLE001 - a broker outage must not stop the chain work
            self.say_once(record.task_id, f"task {record.task_id}: cannot reach the executor ({exc}); "
                          "will retry", logging.WARNING, event="executor_unreachable")
            return
        if status.progress is not None:
            self._on_progress(record, watch, status.progress)
        if status.state is JobState.DONE and status.outcome is not None:
            outcome = status.outcome
            record.trace_root, record.model_hash = outcome.trace_root, outcome.model_hash
            record.final_state_root = outcome.final_state_root or None
            record.final_state_proof = list(outcome.final_state_proof)
            record.checkpoints.update(outcome.checkpoints)
            record.train_seconds, record.resumed_from = outcome.seconds, outcome.resumed_from
            if outcome.evaluation is not None:
                record.evaluation = asdict(outcome.evaluation)
            if self.backend is not None and outcome.losses:
                speed = outcome.steps_run / outcome.seconds if outcome.seconds > 0 else 0.0
                self.backend.report(record.task_id, outcome.losses, speed, final=True)
            if outcome.elements_per_s:
                assert self.state is not None
                self.state.elements_per_s = outcome.elements_per_s
            self._finish_watch(record)
            self._set(record, Phase.TRAINED,
                      f"task {record.task_id} trained on {outcome.device} in {outcome.seconds:.1f} s "
                      f"(resumed from step {outcome.resumed_from}): trace root {outcome.trace_root}",
                      event="trained", trace_root=outcome.trace_root, model_hash=outcome.model_hash,
                      resumed_from=outcome.resumed_from)
        elif status.state is JobState.FAILED:
            self._drop_job(record)
            self._retry_at[record.task_id] = time.monotonic() + self.config.retry_failed_after_s
            record.note = status.error
            log.error("task %d: training job %s failed: %s; retrying in %.0f s", record.task_id, watch.job_id,
                      status.error, self.config.retry_failed_after_s,
                      extra={"event": "job_failed", "task_id": record.task_id})
        elif status.state is JobState.UNKNOWN:
            self._watches.pop(record.task_id, None)
        elif time.monotonic() - watch.changed_at > self.config.stall_timeout_s:
            why = "no executor has started it" if status.state is JobState.QUEUED else \
                "its executor may have died"
            log.warning("task %d: job %s has shown no progress for %.0f s (%s: %s on %s); resubmitting "
                        "(it resumes from its last checkpoint)", record.task_id, watch.job_id,
                        self.config.stall_timeout_s, status.state.value, why, self.executor.describe(),
                        extra={"event": "job_stalled", "task_id": record.task_id, "job_id": watch.job_id,
                               "state": status.state.value})
            self._drop_job(record)

    def _submit_job(self, record: TaskRecord, task: Task) -> _Watch:
        prepared = self.preparer.prepare(task, record.spec_uri)
        record.attempt += 1
        assert self.state is not None
        chain = self.state.chain_id
        record.job_id = f"train-{chain}-{self.session.deployment.task_market[2:10].lower()}-" \
                        f"{record.task_id}-{record.attempt}"
        job = TrainingJob(
            job_id=record.job_id,
            task_id=record.task_id,
            spec_json=prepared.spec_bytes.decode("ascii"),
            spec_hash=record.spec_hash,
            checkpoints=dict(record.checkpoints),
            artifact_store=self.config.artifact_store,
            device=self.config.device if not self.executor.remote else None,
            work_dir=str(self.state_dir.root) if not self.executor.remote else None,
            cheat=self.config.cheat,
            derived_spec=prepared.derived,
        )
        self.save()
        try:
            self.executor.submit(job)
        except Exception:
            # never sent (broker down): forget it, or the next tick (or a restart) would wait on a
            # job no executor will ever see until the stall timeout, instead of submitting again
            record.job_id = None
            self.save()
            raise
        log.info("task %d: training job %s submitted (%d steps, %d checkpoint(s) known)", record.task_id,
                 record.job_id, record.steps, len(record.checkpoints),
                 extra={"event": "job_submitted", "task_id": record.task_id, "job_id": record.job_id})
        watch = self._watches[record.task_id] = _Watch(record.job_id, time.monotonic())
        return watch

    def _on_progress(self, record: TaskRecord, watch: _Watch, progress: JobProgress) -> None:
        new = {s: h for s, h in progress.checkpoints.items() if record.checkpoints.get(s) != h}
        if progress.step != watch.step or new:
            watch.changed_at = time.monotonic()
        record.checkpoints.update(new)
        if new:
            self.save()
        for step in sorted(new):
            log.info("task %d: checkpoint at step %d: %s", record.task_id, step, new[step],
                     extra={"event": "checkpoint", "task_id": record.task_id, "step": step,
                            "hash": new[step]})
        if progress.step != watch.step:
            watch.step = progress.step
            if self.terminal is not None:
                self.terminal.update(record.task_id, progress.step, progress.steps, progress.loss,
                                     progress.steps_per_s)
            if self.backend is not None:
                losses = progress.losses or ({} if progress.loss is None else {progress.step: progress.loss})
                self.backend.report(record.task_id, losses, progress.steps_per_s,
                                    final=progress.step == progress.steps)
            now = time.monotonic()
            if now - watch.logged_at >= 1.0 or progress.step == progress.steps:
                watch.logged_at = now
                log.debug("task %d: step %d/%d loss %s", record.task_id, progress.step, progress.steps,
                          progress.loss, extra={"event": "progress", "task_id": record.task_id,
                                                "step": progress.step, "steps": progress.steps,
                                                "loss": progress.loss, "steps_per_s": progress.steps_per_s})

    def _report_to_backend(self, record: TaskRecord) -> None:
        """Send the progress reports still pending and the final model's signed evaluation, until the
        backend takes them (it refuses a task it has not indexed as claimed yet)."""
        if self.backend is None:
            return
        self.backend.flush(record.task_id)
        if record.evaluation is None or record.evaluation_reported:
            return
        evaluation = Evaluation(**record.evaluation)
        if self.backend.report_evaluation(record.task_id, record.steps, evaluation):
            record.evaluation_reported = True
            log.info("task %d: evaluation reported: %s", record.task_id, evaluation.describe(),
                     extra={"event": "evaluation_reported", "task_id": record.task_id})

    def _finish_watch(self, record: TaskRecord) -> None:
        watch = self._watches.pop(record.task_id, None)
        if watch is not None:
            self.executor.forget(watch.job_id)
        if self.terminal is not None:
            self.terminal.finish(record.task_id)

    def _drop_job(self, record: TaskRecord) -> None:
        """Give up on a failed or stalled job: the next tick submits a new one (it resumes from
        the checkpoints). A remote job still named in ``record.job_id`` would be re-attached to
        instead, and a stalled one would then never be resubmitted."""
        self._finish_watch(record)
        record.job_id = None

    def _stop_job(self, record: TaskRecord) -> None:
        self._finish_watch(record)

    # -- chain actions ---------------------------------------------------------------------

    def _submit(self, record: TaskRecord, task: Task) -> None:
        if task.status is not TaskStatus.CLAIMED:
            return
        if self.chain_now() > task.deadline:
            self.say_once(record.task_id, f"task {record.task_id}: trained after its deadline; cannot submit",
                          logging.ERROR)
            return
        assert record.trace_root and record.model_hash
        final_state, proof = self._final_state(record)
        root, model_hash = record.trace_root, record.model_hash
        forced = record.draw is not None and record.draw.forced
        if forced:
            assert record.draw is not None and record.draw.trace_root and record.draw.model_hash
            root, model_hash = record.draw.trace_root, record.draw.model_hash  # h_S stays the honest one
            proof = [bytes.fromhex(p[2:]) for p in record.draw.final_state_proof]
        self._set(record, Phase.SUBMITTING, f"task {record.task_id}: submitting")
        sent = self.session.market.submit_result(record.task_id, bytes.fromhex(root[2:]),
                                                 final_state, proof, bytes.fromhex(model_hash[2:]))
        record.txs["submit"] = sent.tx_hash
        what = "forced result" if forced else "trace root"
        self._set(record, Phase.SUBMITTED, f"task {record.task_id} submitted: {what} {root}",
                  event="submitted", trace_root=root, tx=sent.tx_hash)

    def _publish_checkpoints(self, record: TaskRecord) -> None:
        """Name our checkpoint manifest on-chain so verifiers can spot-check intervals instead of
        replaying the whole run. Best effort: a failure never holds up the submission."""
        named = record.checkpoints
        if record.draw is not None:
            # forced errors on: name nothing before the draw is known, the forced checkpoints while the
            # forced result stands, and the honest ones again once the forced error is revealed
            if not record.draw.drawn:
                return
            if record.draw.publishes_forced:
                named = {**record.checkpoints, **record.draw.checkpoints}
            wanted = CheckpointManifest(bytes.fromhex(record.spec_hash[2:]),
                                        {s: bytes.fromhex(h[2:]) for s, h in named.items()})
            if record.manifest_hash == "0x" + keccak256(wanted.to_bytes()).hex():
                return
        elif record.manifest_hash:
            return
        if not named or self.artifacts is None:
            return
        if not any(e.get("name") == "publishCheckpoints" for e in self.session.market.contract.abi):
            self.say_once(record.task_id, "this TaskMarket has no publishCheckpoints: checkpoints are in the "
                          "artifact store but not named on-chain", logging.DEBUG)
            return
        manifest = CheckpointManifest(bytes.fromhex(record.spec_hash[2:]),
                                      {s: bytes.fromhex(h[2:]) for s, h in named.items()})
        try:
            digest = publish_manifest(self.session.market, self.artifacts, record.task_id, manifest)
        except (ArtifactError, httpx.HTTPError, ContractRevert, TransactionFailed) as exc:
            self.say_once(record.task_id, f"task {record.task_id}: checkpoint manifest not published yet "
                          f"({exc}); will retry", logging.WARNING, event="manifest_failed")
            return
        record.manifest_hash = "0x" + digest.hex()
        which = ""
        if record.draw is not None and record.draw.forced:
            which = (" (forced)" if record.draw.publishes_forced
                     else " (honest, after the forced error's reveal)")
        log.info("task %d: %d checkpoint(s) published in manifest %s%s", record.task_id,
                 len(named), record.manifest_hash, which,
                 extra={"event": "manifest_published", "task_id": record.task_id,
                        "manifest_hash": record.manifest_hash})

    def _finalize(self, record: TaskRecord, task: Task) -> None:
        if task.status is not TaskStatus.SUBMITTED or task.open_disputes:
            return
        if record.draw is not None and not record.draw.revealed:
            return  # `DrawNotRevealed` until we reveal
        if self.forced_error_ppm:
            # the seal phase, the reveal phase and the game phase (or a forced error's fresh window)
            if self.chain_now() <= self.session.market.challenge_ends_at(record.task_id):
                return
        elif self.chain_now() <= task.submitted_at + task.challenge_window:
            return
        try:
            sent = self.session.market.finalize(record.task_id)
            record.txs["finalize"] = sent.tx_hash
        except ContractRevert as exc:
            if exc.error_name not in ("ChallengeWindowOpen", "WrongStatus", "DisputesOpen",
                                      "DrawNotRevealed"):
                raise
            return
        self._follow_chain(record, self.session.market.task(record.task_id), True)

    # -- forced errors (docs/forced-errors.md) ------------------------------------------------

    def _draw_ready(self, record: TaskRecord, task: Task) -> bool:
        """Whether the result to submit is known: at once with forced errors off; else once our draw is
        committed (the secret stored first), its seed known, and, if forced, the forced result built and
        uploaded. Each step is recorded, so a restart (or the next tick) goes on where this one stopped."""
        draw_record = record.draw
        if draw_record is None:
            if task.status is not TaskStatus.CLAIMED or not self._read_forced_errors():
                return True
            draw_record = record.draw = DrawRecord(secret="0x" + new_secret().hex())
            self.save()  # the secret is on disk before its hash can be on-chain
        if draw_record.drawn:
            return True
        if task.status is not TaskStatus.CLAIMED:
            return False
        secret = bytes.fromhex(draw_record.secret[2:])
        market = self.session.market
        on_chain = market.draw(record.task_id)
        if on_chain.committed_block == 0:
            sent = market.commit_draw(record.task_id, secret_hash(secret))
            record.txs["commit_draw"] = sent.tx_hash
            on_chain = market.draw(record.task_id)
            log.info("task %d: draw committed in block %d", record.task_id, on_chain.committed_block,
                     extra={"event": "draw_committed", "task_id": record.task_id,
                            "block": on_chain.committed_block, "tx": sent.tx_hash})
        if on_chain.secret_hash != secret_hash(secret):
            self.say_once(record.task_id, f"task {record.task_id}: the draw committed on-chain is not our "
                          "stored secret's (state dir lost or replaced?): we cannot reveal it, so we do not "
                          "submit",
                          logging.ERROR, event="draw_unknown")
            return False
        if draw_record.committed_block != on_chain.committed_block:
            draw_record.committed_block = on_chain.committed_block
            self.save()
        w3 = self.client.w3
        head = int(w3.eth.block_number)
        if head < on_chain.committed_block + self.config.confirmations:
            # the seed is the commit block's hash: wait until that block is sealed (and confirmed); a
            # transaction sent after that lands in a later block, as `submitResult` requires
            self.say_once(record.task_id, f"task {record.task_id}: waiting for block "
                          f"{on_chain.committed_block} (the draw's seed)", logging.DEBUG)
            return False
        if head + 1 - on_chain.committed_block > BLOCKHASH_WINDOW:
            self.say_once(record.task_id, f"task {record.task_id}: the draw was committed in block "
                          f"{on_chain.committed_block}, more than {BLOCKHASH_WINDOW} blocks ago: its seed is "
                          "gone on-chain and the result cannot be submitted (DrawExpired)", logging.ERROR,
                          event="draw_expired")
            return False
        seed = bytes(w3.eth.get_block(on_chain.committed_block)["hash"])
        ppm = self._read_forced_errors()
        drawn = draw(secret, seed, record.task_id, task.steps, task.checkpoint_every, ppm)
        if market.forced_draw(secret, seed, record.task_id, task.steps, task.checkpoint_every, ppm) != \
                (drawn.forced, drawn.leaf):
            raise RuntimeError(f"task {record.task_id}: our draw disagrees with TaskMarket.forcedDraw")
        if drawn.forced:
            log.info("task %d: forced error: changing h_%d at step %d", record.task_id, drawn.leaf,
                     drawn.leaf,
                     extra={"event": "forced_error", "task_id": record.task_id, "leaf": drawn.leaf})
            self._forge(record, task, secret, drawn.leaf)
        else:
            log.info("task %d: draw made: not a forced error; submitting the honest result", record.task_id,
                     extra={"event": "draw_made", "task_id": record.task_id, "forced": False})
        draw_record.forced, draw_record.leaf = drawn.forced, drawn.leaf
        draw_record.seed = "0x" + seed.hex()
        self.save()
        return True

    def _forge(self, record: TaskRecord, task: Task, secret: bytes, leaf: int) -> None:
        """Build, store and upload the forced result at ``leaf`` from our honest checkpoints (kept as they
        are); record it in ``record.draw``. Deterministic: a restart rebuilds the same bytes."""
        assert record.draw is not None and record.model_hash and record.trace_root
        hashes = {s: h for s, h in record.checkpoints.items() if s >= leaf}
        hashes[task.steps] = record.model_hash
        honest = {s: self.checkpoints.get(bytes.fromhex(h[2:])) for s, h in hashes.items()}
        if trace_root(list(honest[task.steps].state_commitments)) != bytes.fromhex(record.trace_root[2:]):
            raise CheckpointError(f"task {record.task_id}: our model checkpoint's h_0..h_S do not hash to "
                                  f"our trace root {record.trace_root}")
        graph = self.preparer.prepare(task, record.spec_uri).graph
        forced = forge_result(honest, graph, secret, leaf)
        store = self._forced_store(task.steps)
        digests = {step: store.put(checkpoint) for step, checkpoint in forced.checkpoints.items()}
        store.publish_pending()  # raises if the artifact store refuses: retried next tick
        final_state, proof = forced.final_state_proof()
        if record.final_state_root and final_state != bytes.fromhex(record.final_state_root[2:]):
            raise CheckpointError(f"task {record.task_id}: the forced trace's h_S is not our final state")
        draw_record = record.draw
        draw_record.honest_leaf = "0x" + forced.honest_leaf.hex()
        draw_record.forced_leaf = "0x" + forced.forced_leaf.hex()
        draw_record.leaf_proof = ["0x" + p.hex() for p in forced.leaf_proof]
        draw_record.checkpoints = {s: "0x" + d.hex() for s, d in sorted(digests.items())}
        draw_record.trace_root = "0x" + forced.trace_root.hex()
        draw_record.model_hash = "0x" + digests[task.steps].hex()
        draw_record.final_state_proof = ["0x" + p.hex() for p in proof]
        log.info("task %d: forced result built: h_%d %s instead of %s, trace root %s (honest %s), model %s",
                 record.task_id, leaf, draw_record.forced_leaf, draw_record.honest_leaf,
                 draw_record.trace_root, record.trace_root, draw_record.model_hash,
                 extra={"event": "forced_result", "task_id": record.task_id, "leaf": leaf,
                        "trace_root": draw_record.trace_root, "model_hash": draw_record.model_hash})

    def _forced_store(self, steps: int) -> SyncedCheckpointStore:
        """Where forced checkpoints go: their own local directory (the honest index stays the honest
        run's, for resuming) and the artifact store, where verifiers fetch them."""
        return SyncedCheckpointStore(LocalCheckpointStore(self.state_dir.root / "forced-checkpoints"),
                                     self.artifacts, model_step=steps)

    def _checkpoint(self, content_hash: bytes, steps: int) -> Checkpoint:
        """One of our checkpoints, honest or forced."""
        try:
            return self.checkpoints.get(content_hash)
        except (KeyError, CheckpointError):
            return self._forced_store(steps).get(content_hash)

    def _reveal(self, record: TaskRecord, task: Task) -> None:
        """After the seal phase and within the reveal phase: reveal our draw (`revealDraw`), or our forced
        error (`revealForcedError`: the honest leaf and model replace the forced ones on-chain)."""
        draw_record = record.draw
        if draw_record is None or draw_record.revealed or task.status is not TaskStatus.SUBMITTED:
            return
        market = self.session.market
        on_chain = market.draw(record.task_id)
        if on_chain.revealed_at:
            draw_record.revealed = "forced error" if on_chain.forced_at else "draw"
            self.save()
            return
        if not draw_record.drawn:
            self.say_once(record.task_id, f"task {record.task_id}: submitted, but we never drew (state "
                          "lost?): nothing to reveal", logging.ERROR, event="reveal_impossible")
            return
        seal_ends = task.submitted_at + task.challenge_window
        if self.chain_now() <= seal_ends:
            self.say_once(record.task_id, f"task {record.task_id}: seal phase until {seal_ends}; revealing "
                          "the draw after it", logging.DEBUG)
            return
        if on_chain.seed != bytes.fromhex((draw_record.seed or "0x")[2:]):
            self.say_once(record.task_id, f"task {record.task_id}: the seed on-chain 0x{on_chain.seed.hex()} "
                          f"is not the one we drew with ({draw_record.seed})", logging.ERROR,
                          event="seed_mismatch")
        try:
            self._send_reveal(record, draw_record)
        except ContractRevert as exc:
            # the chain's clock decides (the agent's clock may run ahead of a devnet's): refused when
            # estimated, nothing was sent
            if exc.error_name == "RevealTooEarly":
                self.say_once(record.task_id, f"task {record.task_id}: the chain's clock is not past the "
                              "seal phase yet; revealing next tick", logging.DEBUG)
                return
            if exc.error_name == "RevealTooLate":
                self.say_once(record.task_id, f"task {record.task_id}: the reveal phase ended before we "
                              "revealed our draw: the result can be forfeited", logging.ERROR,
                              event="reveal_missed")
                return
            raise

    def _send_reveal(self, record: TaskRecord, draw_record: DrawRecord) -> None:
        market = self.session.market
        secret = bytes.fromhex(draw_record.secret[2:])
        if not draw_record.forced:
            sent = market.reveal_draw(record.task_id, secret)
            record.txs["reveal"] = sent.tx_hash
            draw_record.revealed = "draw"
            self.save()
            log.info("task %d: revealed draw (not a forced error)", record.task_id,
                     extra={"event": "draw_revealed", "task_id": record.task_id, "tx": sent.tx_hash})
            return
        assert draw_record.forced_leaf and draw_record.honest_leaf and record.model_hash
        proof = [bytes.fromhex(p[2:]) for p in draw_record.leaf_proof]
        sent = market.reveal_forced_error(
            record.task_id, secret, bytes.fromhex(draw_record.forced_leaf[2:]),
            bytes.fromhex(draw_record.honest_leaf[2:]), proof, bytes.fromhex(record.model_hash[2:]))
        record.txs["reveal"] = sent.tx_hash
        draw_record.revealed = "forced error"
        self.save()
        log.info("task %d: revealed forced error at step %d: trace root back to the honest %s, model %s",
                 record.task_id, draw_record.leaf, record.trace_root, record.model_hash,
                 extra={"event": "forced_error_revealed", "task_id": record.task_id, "leaf": draw_record.leaf,
                        "trace_root": record.trace_root, "tx": sent.tx_hash})

    # -- claiming --------------------------------------------------------------------------

    def maybe_claim(self) -> None:
        """Claim the best open task the policy and our free stake allow (at most one per tick). A
        task whose claim timed out (`_squatted`) competes with the open ones: taking it costs an
        eviction first."""
        assert self.state is not None
        state = self.state
        open_ids = [c.task_id for c in state.candidates.values()
                    if not c.refused and not c.taken and c.task_id not in state.tasks]
        unsubmitted = (Phase.CLAIMING, Phase.TRAINING, Phase.TRAINED, Phase.SUBMITTING)
        busy = sum(1 for t in state.tasks.values() if t.phase in unsubmitted)
        policy = self.config.policy
        if busy >= policy.max_concurrent:
            return
        now = self.chain_now()
        squatted_ids = self._squat_suspects(now)
        if not open_ids and not squatted_ids:
            return
        tasks: dict[int, Task] = {}
        for task_id in open_ids:
            task = self.session.market.task(task_id)
            if task.status is TaskStatus.OPEN:
                tasks[task_id] = task
            elif task.status in (TaskStatus.FINALIZED, TaskStatus.CANCELLED, TaskStatus.REFUNDED):
                del state.candidates[task_id]
            else:
                state.candidates[task_id].taken = True
                self._note_claim(state.candidates[task_id], task)
        squatted = self._squatted(squatted_ids, now)
        tasks.update(squatted)
        if not tasks:
            return
        free = self.session.stake_manager.info(self.me).free
        offers = [Offer(t.task_id, t.reward, t.min_stake, t.steps, t.deadline, t.submitter)
                  for t in tasks.values()]
        for offer in rank(offers):
            candidate = state.candidates[offer.task_id]
            decision = screen(offer, policy, me=self.me, free_stake=free, active=busy, now=now)
            if decision.ok:
                prepared = self._prepare_offer(candidate, tasks[offer.task_id])
                if prepared is None:
                    continue
                decision = fits(Workload.of(prepared.graph, offer.steps), offer, policy,
                                elements_per_s=state.elements_per_s, now=now,
                                claim_timeout_s=self.claim_timeout)
            if not decision.ok:
                self.say_once(offer.task_id, f"not claiming task {offer.task_id}: {decision.reason}",
                              event="skipped", reason=decision.reason)
                if not decision.transient:
                    candidate.refused = decision.reason
                continue
            if self.forced_error_ppm and not self._ensure_escrow():
                return
            evicted: tuple[str, str] | None = None
            if offer.task_id in squatted:
                evicted = self.evict(squatted[offer.task_id], candidate, now)
                if evicted is None:
                    continue
            self.claim(tasks[offer.task_id], candidate, evicted)
            return

    # -- squatters -------------------------------------------------------------------------

    def _note_claim(self, candidate: Candidate, task: Task) -> None:
        """Remember when another operator's claim on the task times out (one chain read per claim)."""
        if task.status is TaskStatus.CLAIMED and self.claim_timeout is not None:
            candidate.evictable_at = task.claimed_at + self.claim_timeout
        elif task.status is TaskStatus.SUBMITTED:
            candidate.submitted = True

    def _squat_suspects(self, now: int) -> list[int]:
        """Tasks another operator claimed and has not submitted, whose claim may have timed out (or
        whose claim time we have not read yet)."""
        assert self.state is not None
        if self.claim_timeout is None:
            return []
        return [c.task_id for c in self.state.candidates.values()
                if c.taken and not c.submitted and not c.refused and c.task_id not in self.state.tasks
                and (c.evictable_at is None or now > c.evictable_at)]

    def _squatted(self, task_ids: list[int], now: int) -> dict[int, Task]:
        """Of ``task_ids``, those the chain says are Claimed by another operator that did not submit
        within the claim timeout, before their deadline: `evictClaim` would succeed now."""
        assert self.state is not None
        state = self.state
        squatted: dict[int, Task] = {}
        for task_id in task_ids:
            candidate = state.candidates[task_id]
            task = self.session.market.task(task_id)
            if task.status in (TaskStatus.FINALIZED, TaskStatus.CANCELLED, TaskStatus.REFUNDED):
                del state.candidates[task_id]
                continue
            if task.status is TaskStatus.OPEN:  # reopened; its event is on its way
                candidate.taken, candidate.evictable_at = False, None
                continue
            self._note_claim(candidate, task)
            if task.status is TaskStatus.CLAIMED and now > task.deadline:
                candidate.refused = "its deadline passed while another operator held it"
                continue
            if (task.status is TaskStatus.CLAIMED and task.operator.lower() != self.me.lower()
                    and candidate.evictable_at is not None
                    and candidate.evictable_at < now <= task.deadline):
                squatted[task_id] = task
                self.say_once(task_id, f"task {task_id}: {task.operator} claimed it at {task.claimed_at} "
                              f"and has not submitted within the claim timeout ({self.claim_timeout} s): it "
                              "may be evicted", event="squatter_seen", squatter=task.operator)
        return squatted

    def evict(self, task: Task, candidate: Candidate, now: int) -> tuple[str, str] | None:
        """Evict the operator sitting on ``task`` past its claim timeout (one transaction), so that we
        can claim it next. ``(squatter, tx hash)`` if we evicted it, ``("", "")`` if someone else did
        first (the task is open: claim it), None if the task is not ours to take (log and move on)."""
        squatter = task.operator
        assert self.claim_timeout is not None
        try:
            sent = self.session.market.evict_claim(task.task_id)
        except (ContractRevert, TransactionFailed) as exc:
            # lost a race (refused at estimation, or reverted when mined): another worker evicted it
            # (and perhaps claimed it), or the squatter submitted at last
            after = self.session.market.task(task.task_id)
            candidate.evictable_at = None
            if after.status is TaskStatus.OPEN:
                log.info("task %d: eviction of %s failed (%s): someone evicted it first; the task is open, "
                         "claiming it", task.task_id, squatter, exc,
                         extra={"event": "evict_lost", "task_id": task.task_id, "squatter": squatter})
                return ("", "")
            log.info("task %d: eviction of %s failed (%s); the task is %s now (operator %s): moving on",
                     task.task_id, squatter, exc, after.status.name.lower(), after.operator,
                     extra={"event": "evict_lost", "task_id": task.task_id, "squatter": squatter})
            return None
        except TimeExhausted as exc:
            self.client.reset_nonce()
            log.warning("task %d: eviction not confirmed (%s); the chain decides next tick", task.task_id,
                        exc, extra={"event": "tx_dropped", "task_id": task.task_id})
            return None
        events = self.session.market.events("ClaimEvicted", sent.receipt)
        slashed = int(events[0]["args"]["slashed"]) if events else 0
        candidate.taken, candidate.submitted, candidate.evictable_at = False, False, None
        late = now - task.claimed_at
        log.warning("task %d: evicted %s, which claimed it %d s ago and did not submit within the claim "
                    "timeout (%d s): slashed %s; the task is open again, claiming it", task.task_id, squatter,
                    late, self.claim_timeout, format_eth(slashed),
                    extra={"event": "evicted", "task_id": task.task_id, "squatter": squatter,
                           "slashed": str(slashed), "tx": sent.tx_hash})
        return squatter, sent.tx_hash

    def _prepare_offer(self, candidate: Candidate, task: Task) -> PreparedTask | None:
        try:
            return self.preparer.prepare(task, candidate.spec_uri)
        except SpecUnavailable as exc:
            self.say_once(task.task_id, f"task {task.task_id}: spec not available yet ({exc}); will retry",
                          logging.WARNING, event="spec_unavailable")
        except TaskMismatch as exc:
            candidate.refused = str(exc)
            log.warning("refusing task %d: %s", task.task_id, exc,
                        extra={"event": "refused", "task_id": task.task_id, "reason": str(exc)})
        return None

    def claim(self, task: Task, candidate: Candidate, evicted: tuple[str, str] | None = None) -> None:
        """Claim ``task`` (after evicting ``evicted = (squatter, tx)`` from it, if we did). A claim that
        reverts (another operator was faster) is logged and dropped."""
        assert self.state is not None
        record = self._record(task, candidate.spec_uri, Phase.CLAIMING)
        if evicted and evicted[0]:
            record.evicted, record.txs["evict"] = evicted
        self.state.tasks[task.task_id] = record
        self.save()
        try:
            sent = self.session.market.claim(task.task_id)
        except ContractRevert as exc:
            self._drop_claim(record, f"claim refused: {exc}")
            return
        except (TransactionFailed, TimeExhausted) as exc:
            if isinstance(exc, TimeExhausted):
                self.client.reset_nonce()
            log.warning("task %d: claim not confirmed (%s); the chain decides next tick", task.task_id, exc,
                        extra={"event": "tx_dropped", "task_id": task.task_id})
            return
        record.txs["claim"] = sent.tx_hash
        log.info("claimed task %d: reward %s, %d steps, %s locked", task.task_id, format_eth(task.reward),
                 task.steps, format_eth(task.min_stake),
                 extra={"event": "claim_sent", "task_id": task.task_id, "tx": sent.tx_hash})
        self._advance_guarded(record)

    def _final_state(self, record: TaskRecord) -> tuple[bytes, list[bytes]]:
        """h_S and its proof under our trace root, as `submitResult` checks them: from the training
        outcome, else (a record from before the model was bound) from the model checkpoint's h_0..h_S."""
        assert record.trace_root and record.model_hash
        if record.final_state_root:
            return (bytes.fromhex(record.final_state_root[2:]),
                    [bytes.fromhex(p[2:]) for p in record.final_state_proof])
        model = self.checkpoints.get(bytes.fromhex(record.model_hash[2:]))
        commitments = list(model.state_commitments)
        if "0x" + trace_root(commitments).hex() != record.trace_root.lower():
            raise CheckpointError(f"task {record.task_id}: the model checkpoint's h_0..h_S do not hash to "
                                  f"our trace root {record.trace_root}")
        final_state, proof = final_state_proof(commitments)
        record.final_state_root = "0x" + final_state.hex()
        record.final_state_proof = ["0x" + p.hex() for p in proof]
        return final_state, proof

    # -- disputes --------------------------------------------------------------------------

    def deliveries_for(self, task_id: int, state: AvailabilityState) -> Delivery | None:
        """The chunks an availability challenge on our result still misses, from our own checkpoint
        of the challenged step (the model, or a checkpoint), with their proofs."""
        assert self.state is not None
        record = self.state.tasks.get(task_id)
        if record is None or not record.model_hash:
            return None
        if self.config.cheat == "withhold-model-silent":
            self.say_once(task_id, f"task {task_id}: ignoring the availability challenge as asked "
                                   f"(--cheat {self.config.cheat})")
            return None
        model_hash, named = record.model_hash, record.checkpoints
        load: Callable[[bytes], Checkpoint] = self.checkpoints.get
        task: Task | None = None
        forced = record.draw
        if forced is not None and forced.forced and forced.model_hash:
            task = self.session.market.task(task_id)
            if "0x" + task.model_hash.hex() == forced.model_hash.lower():
                # the forced result still stands (unrevealed): its files are what the chain names
                model_hash, named = forced.model_hash, {**record.checkpoints, **forced.checkpoints}
                load = partial(self._checkpoint, steps=task.steps)
        try:
            model = load(bytes.fromhex(model_hash[2:]))
            digest = named.get(state.step) if state.step != model.step else model_hash
            if digest is None:
                log.error("task %d: an availability challenge names step %d, of which we keep no checkpoint",
                          task_id, state.step)
                return None
            checkpoint = (model if state.step == model.step
                          else load(bytes.fromhex(digest[2:])))
        except (KeyError, CheckpointError) as exc:
            log.error("task %d: cannot answer the availability challenge: %s", task_id, exc)
            return None
        task = task or self.session.market.task(task_id)
        graph = self.preparer.prepare(task, record.spec_uri).graph
        if self._chunk_leaves is None:
            self._chunk_leaves = self.session.game.chunk_leaves() if self.session.game is not None else 64
        return build_delivery(checkpoint, graph, task.steps, list(model.state_commitments), state.slot,
                              state.missing, self._chunk_leaves)

    def claims_for(self, task_id: int, party: Party) -> PartyClaims | None:
        """Our own run of a task we submitted: from our checkpoints, else recomputed."""
        assert self.state is not None
        record = self.state.tasks.get(task_id)
        if party is not Party.OPERATOR or record is None:
            return None
        task = self.session.market.task(task_id)
        prepared = self.preparer.prepare(task, record.spec_uri)
        claims: PartyClaims
        cheat = self.config.cheat
        fault = named_cheat(cheat, prepared.graph, prepared.spec.steps) if cheat else None
        if fault is not None:
            # defend the lie consistently: replay with the same fault the training job injected
            return PartyClaims(prepared, tamper=fault, device=self.device)
        try:
            hashes = {s: bytes.fromhex(h[2:]) for s, h in record.checkpoints.items()}
            claims = CheckpointedClaims(prepared, hashes, self.checkpoints.get, device=self.device)
        except (KeyError, CheckpointError) as exc:
            log.warning("task %d: defending from a full recomputation (checkpoints unusable: %s)",
                        task_id, exc)
            claims = PartyClaims(prepared, device=self.device)
        if claims.trace_root != task.trace_root:
            log.error("task %d: our recomputed trace root 0x%s differs from the one we submitted 0x%s",
                      task_id, claims.trace_root.hex(), task.trace_root.hex())
        return claims


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"{device} ({props.name}, {props.total_memory / 2**30:.0f} GiB)"
    return str(device)
