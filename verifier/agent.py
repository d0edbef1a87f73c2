"""The verifier / whistleblower agent: follows submitted results, re-executes them, challenges the
wrong ones and plays each of its games to the end.

Each tick it reads new events (a block cursor kept in the state dir) and:

- ``TaskPosted``: remembers the spec URI (the chain keeps only the spec hash);
- ``ResultSubmitted``: queues a check of the result (`verifier.checking`, spot or full);
- ``GameOpened`` by someone else: a dispute is a signal; a result we only spot-checked (or
  have not checked yet) is replayed in full. Games are independent (each challenger has its
  own, the first one the operator loses voids the result, and finalisation waits for all), so
  we never defer to another challenger: if our replay disagrees we open our own game while the
  window is open, whatever the other game does. That covers a first challenger that gives up,
  lets its clock run out, or colludes with the operator; ``GameResolved`` of such a game
  against its challenger triggers the same full replay if we had not done one;
- ``GameOpened`` by us (after a restart): the desk takes the game up again.

A game runs only while the operator's collateral backs it: the task's stake (one game at a time)
or stake locked from the operator's free stake for that game alone. Otherwise it waits in the
task's queue (no clock runs, and it costs nothing while it waits): it is funded when the task's
stake is free again (after a game the operator wins), or the operator's free stake allows. Once the
result is voided a queued game can win nothing from the task's stake: the chain closes it as moot
with its bond back when it advances the queue; the verifier advances it itself, and withdraws its
game if the operator's free stake cannot back it (`on_queued_game`).

Our games are played by the runtime's `DisputeDesk` (`tribunal.agents.runtime`) with the claims
of our own replay. Checks run on a background thread so the desk keeps moving while a long replay
runs. Every action re-reads the chain first; only the agent loop sends transactions.

Evaluation: once a check finds the model file to be ``h_S`` the checker recomputes its test loss and
accuracy; with ``api_url`` set they are compared with the operator's published evaluation and our
own signed report is posted beside it (`verifier.evaluation`). A disagreement is logged and kept in
the check record, never disputed.

Forced errors (docs/forced-errors.md; on when the market's ``forcedErrorPpm`` is not 0, read at
start): only a result's committee may catch its forced error: ``COMMITTEE_SIZE`` members of the
Jackpot's bonded verifier registry, drawn from the hash of the block the result was submitted in,
among the members registered by then. So:

- at start the verifier joins the registry (`Jackpot.register`, bonding ``VERIFIER_BOND`` of its
  balance) unless it is a member; a balance below the bond is logged as an error saying what to
  send, and the verifier goes on checking and challenging without catching (`verifier start`
  refuses to start in that case; `verifier exit` leaves the registry, `verifier withdraw` takes the
  bond back);
- on each ``ResultSubmitted`` it draws the result's committee (`Jackpot.assign`, which stores the
  block hash while the EVM still serves it) unless someone did: another verifier drawing it first
  (``CommitteeAlreadyDrawn``) is fine, a draw too early (``CommitteeNotReady``: the hash of the
  result's own block is not known yet) is tried again on the next poll; then it reads whether it
  is in the committee (`committees`).

Every result is checked as without forced errors. A check that finds a wrong committed state opens
no game while the seal phase and the reveal phase last (the chain refuses it: `gamesOpenAt`), and
records a catch of our own ``h_e`` at the end ``e`` of the first wrong interval. In the result's
committee the catch is sealed (`Jackpot.seal`), saved with its salt before the seal is sent;
outside it nothing is sealed (``watching``). Then:

- the operator reveals a forced error (``ForcedErrorRevealed``) whose honest ``h_L`` is our state:
  a sealed catch is revealed, we check the honest result the reveal put in place like any new
  result (and challenge it if it is wrong too), and once the task is finalised with it and the
  catch window is over we claim our share of the pot (POT / COMMITTEE_SIZE) and withdraw it; what
  the committee did not catch returns to the operator's escrow;
- the draw is revealed not forced (``DrawRevealed``), or nothing is revealed by the end of the
  reveal phase: games open, and we challenge as without forced errors.

Every step re-reads the chain (`_advance_catch`); the events are hints.

Replicas (issue #19 §3; `tribunal.replica`): with ``replica_port`` set, a model whose check found it
to be the committed final state is kept in ``<state dir>/replica`` and served read-only on that port
like the artifact store (``/api/artifacts/0x<hash>``), so the submitter can still fetch it when the
operator (and its store) is gone. A finalised result's model is kept ``replica_keep_s`` after this
verifier checked it (counted from when it was stored; a later check of the same model extends it),
then pruned (at start and once an hour).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from web3.exceptions import BadFunctionCallOutput

from tribunal.agents.runtime import CHAIN_ERRORS, Agent, AgentConfig
from tribunal.agents.state import GameRecord
from tribunal.artifact_client import ArtifactClient, ArtifactError
from tribunal.chain.client import ChainClient, Sent, TransactionFailed, connect, with_rpc_retry
from tribunal.chain.errors import ContractRevert, UnknownRevert
from tribunal.chain.events import ChainEvent
from tribunal.chain.jackpot import CAUGHT as CATCH_NAMED
from tribunal.chain.jackpot import CLAIMED as CATCH_CLAIMED
from tribunal.chain.jackpot import Jackpot
from tribunal.chain.session import ChainSession, format_eth
from tribunal.chain.task_market import Task, TaskMarket
from tribunal.checkpoint_manifest import CheckpointManifest, Unpublished, download_checkpoint, find_manifest
from tribunal.checkpoints import Checkpoint
from tribunal.device import pick_device
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.desk import GameOutcome
from tribunal.dispute.state import GameView
from tribunal.forced_errors import new_secret, seal_hash
from tribunal.protocol_enums import GameStatus, Party, Resolution, TaskStatus
from tribunal.replica import ReplicaServer, ReplicaStore
from tribunal.task_fetch import SpecUnavailable, TaskMismatch, TaskPreparer
from verifier.checking import MODEL_MATCHES, CheckResult, Mode, TaskChecker, Verdict
from verifier.evaluation import EvaluationBoard, review
from verifier.state import CATCH_OPEN, CatchRecord, CheckRecord, StateDir, VerifierState

log = logging.getLogger("verifier.agent")


@dataclass
class VerifierConfig(AgentConfig):
    """``stake`` is also topped up before a challenge when a lost game took bonded stake below it."""

    mode: Mode = Mode.SPOT
    sample_rate: float = 0.1
    seed: int | None = None
    """Seeds the spot-check sample (per task); None: unpredictable."""
    challenge: bool = True
    """False: judge and report only (dry run)."""
    background_checks: bool = True
    """Run checks on a thread (the desk keeps moving meanwhile); False: inline in the tick."""
    replica_port: int | None = None
    """Keep the models found to match and serve them on this port (0: any free port); None: off."""
    replica_host: str = "127.0.0.1"
    """The address the replica server binds (0.0.0.0 to serve other machines)."""
    replica_keep_s: float = 30 * 86400
    """How long a kept model stays after the check that stored it."""
    api_url: str | None = None
    """The backend API: read the operator's published evaluation, post ours (None: only log ours)."""

    @property
    def replica_dir(self) -> Path:
        return self.state_dir / "replica"


REPLICA_PRUNE_EVERY_S = 3600.0


def keep_model(replica: ReplicaStore, data: bytes, model_hash: bytes, task_id: int, now: float,
               keep_s: float) -> str | None:
    """Put a checked model's bytes into the replica, kept until ``now + keep_s`` (a finalised
    result's model is kept ``keep_s`` after the verifier checked it). Returns the hash stored, or
    None when the bytes are not the model the task names or the disk refused them (logged: a
    replica is a courtesy, never a reason to fail a check)."""
    expected = "0x" + model_hash.hex()
    try:
        digest = replica.put(data, task_id=task_id, keep_until=now + keep_s, now=now)
    except OSError as exc:
        log.warning("task %d: could not keep the model %s in the replica: %s", task_id, expected, exc,
                    extra={"event": "replica_failed", "task_id": task_id})
        return None
    if digest != expected:  # cannot happen with bytes the artifact client verified; never serve them
        replica.remove(digest)
        log.warning("task %d: the model bytes hash to %s, not %s: not kept", task_id, digest, expected)
        return None
    log.info("task %d: keeping model %s in the replica for %.1f days", task_id, digest, keep_s / 86400,
             extra={"event": "replica_kept", "task_id": task_id, "digest": digest})
    return digest


class StorePublications:
    """`verifier.checking.Publications` from the chain's events and the artifact store."""

    def __init__(self, market: TaskMarket, store: ArtifactClient | None, task: Task, from_block: int) -> None:
        self.market = market
        self.store = store
        self.task = task
        self.from_block = from_block
        self.model_bytes: bytes | None = None
        """The bytes `model` downloaded (verified against the model hash), kept for the replica."""

    def _store(self) -> ArtifactClient:
        if self.store is None:
            raise Unpublished("no artifact store configured (--artifact-store)")
        return self.store

    def model(self) -> Checkpoint:
        """The model checkpoint (Unpublished or CheckpointError); remembers its bytes."""
        if self.model_bytes is not None:
            return Checkpoint.from_bytes(self.model_bytes)
        try:
            data = self._store().download(self.task.model_hash)
        except (ArtifactError, httpx.HTTPError) as exc:
            raise Unpublished(f"checkpoint 0x{self.task.model_hash.hex()} is not in the artifact store: "
                              f"{exc}") from exc
        checkpoint = Checkpoint.from_bytes(data)
        self.model_bytes = data
        return checkpoint

    def manifest(self) -> CheckpointManifest:
        return find_manifest(self.market, self._store(), self.task.task_id, self.task.operator,
                             self.task.spec_hash, self.from_block)

    def checkpoint(self, content_hash: bytes) -> Checkpoint:
        return download_checkpoint(self._store(), content_hash)


class VerifierAgent(Agent[VerifierState, VerifierConfig]):
    """``VerifierAgent(session, config).run(stop)``: until ``stop`` is set."""

    PARTY = Party.CHALLENGER
    EARNINGS = "winnings"
    STATE_DIR = StateDir

    def __init__(self, session: ChainSession, config: VerifierConfig) -> None:
        if session.game is None:
            raise ValueError("the deployment has no DisputeGame: a verifier cannot challenge anything")
        super().__init__(session, config)
        self.game = session.game
        self.checker = TaskChecker(self.device)
        self._claims: dict[int, PartyClaims] = {}
        self._running: dict[int, Future[CheckResult | str]] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verifier-check")
        self._retry_at: dict[int, float] = {}
        self._queue_retry_at: dict[int, float] = {}
        self._reader: TaskMarket | None = None
        self.replica: ReplicaStore | None = None
        self.replica_server: ReplicaServer | None = None
        self._prune_at = 0.0
        self.board: EvaluationBoard | None = None
        self.forced_error_ppm = 0
        """The market's forced-error probability (0: off, the verifier works as before)."""
        self.audit_window = 0
        self.jackpot: Jackpot | None = None
        self.member = False
        """Whether we are in the Jackpot's verifier registry (read, or joined, at start)."""
        self.committees: dict[int, bool] = {}
        """Per task: whether we are in the committee of its latest result (once it is drawn)."""
        self._committee_blocks: dict[int, int] = {}
        """The submit block of the result each `committees` entry is about."""
        self._to_assign: dict[int, int] = {}
        """Results whose committee we still draw: task id -> the block its ResultSubmitted is in."""
        self._assign_retry_at: dict[int, float] = {}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.replica_server is not None:
            self.replica_server.close()
            self.replica_server = None

    def on_start(self) -> None:
        assert self.state is not None
        bond = self.game.challenger_bond()
        if self.session.stake_manager.info(self.me).free < bond:
            log.warning("free stake is below one challenger bond (%s): this verifier can judge but not "
                        "challenge; run `verifier start --stake N` with more", format_eth(bond),
                        extra={"event": "stake_low"})
        log.info("verifier %s on chain %d: %s checks (sample rate %.2f), bond %s, cursor at block %d",
                 self.me, self.client.chain_id, self.config.mode.value, self.config.sample_rate,
                 format_eth(bond), self.state.cursor,
                 extra={"event": "started", "verifier": self.me, "chain_id": self.client.chain_id})
        self._start_forced_errors()
        if self.config.api_url:
            signer = self.client.signer
            assert signer is not None  # an agent signs: `self.me` is its signer's address
            self.board = EvaluationBoard(self.config.api_url, signer, self.client.chain_id,
                                         self.session.deployment.task_market)
        self._start_replica()

    def _start_forced_errors(self) -> None:
        """Read whether the market forces errors (a market from before forced errors has no such
        parameter: off) and bind its jackpot."""
        market = self.session.market
        try:
            ppm = market.forced_error_ppm()
            jackpot = self.session.jackpot or (
                Jackpot(self.client, address) if ppm and (address := market.jackpot_address()) else None)
        except CHAIN_ERRORS:
            raise
        except (ContractRevert, UnknownRevert, BadFunctionCallOutput, ValueError) as exc:  # an older market
            log.debug("the market has no forced errors (%s)", exc)
            return
        if not ppm or jackpot is None:
            return
        self.forced_error_ppm, self.jackpot, self.audit_window = ppm, jackpot, market.audit_window()
        log.info("forced errors are on (%d ppm, audit window %d s): a wrong result is sealed when we are "
                 "in its committee (jackpot %s) and challenged once its draw is revealed", ppm,
                 self.audit_window, jackpot.address,
                 extra={"event": "forced_errors", "ppm": ppm, "jackpot": jackpot.address})
        self._join_registry()

    def _join_registry(self) -> None:
        """Join the Jackpot's bonded verifier registry unless we are a member: committees are drawn
        from it. A balance that cannot pay the bond is an error the log says how to fix; the
        verifier goes on checking and challenging, in no committee."""
        assert self.jackpot is not None
        jackpot = self.jackpot
        bond, size = jackpot.verifier_bond(), jackpot.committee_size()
        if jackpot.is_member(self.me):
            self.member = True
            log.info("member of the verifier registry (bond %s): each result submitted may draw us into its "
                     "committee of %d, whose members may catch its forced error", format_eth(bond), size,
                     extra={"event": "registry_member", "verifier": self.me})
            return
        balance = self.client.balance(self.me)
        if balance <= bond:
            log.error("cannot join the verifier registry: its bond is %s and %s holds %s. Send it at least "
                      "%s more (and gas), then restart `verifier start`; until then this verifier checks and "
                      "challenges results but is in no committee and cannot catch forced errors",
                      format_eth(bond), self.me, format_eth(balance), format_eth(bond - balance),
                      extra={"event": "bond_low", "bond": str(bond), "balance": str(balance)})
            return
        sent = jackpot.register()
        self.member = True
        log.info("joined the verifier registry with a bond of %s (tx %s): results submitted from now on may "
                 "draw us into their committee of %d; `verifier exit` leaves it and returns the bond",
                 format_eth(bond), sent.tx_hash, size,
                 extra={"event": "registered", "verifier": self.me, "bond": str(bond), "tx": sent.tx_hash})

    def _start_replica(self) -> None:
        """Open the replica store and serve it (``replica_port`` set); a port that cannot be bound is
        logged and the verifier goes on without serving (the models are still kept)."""
        port = self.config.replica_port
        if port is None or self.replica_server is not None:
            return
        self.replica = ReplicaStore(self.config.replica_dir)
        self._prune_replica()
        server = ReplicaServer(self.replica, self.config.replica_host, port)
        try:
            server.start()
        except OSError as exc:
            log.error("cannot serve the replica on %s:%d (%s); models are kept but not served",
                      self.config.replica_host, port, exc, extra={"event": "replica_failed"})
            return
        self.replica_server = server
        log.info("serving checked models at %s/api/artifacts/0x<hash> (%d held, %.1f MiB; kept %.1f days)",
                 server.url, len(self.replica.entries()), self.replica.size_bytes() / 2**20,
                 self.config.replica_keep_s / 86400,
                 extra={"event": "replica_started", "url": server.url, "dir": str(self.config.replica_dir)})

    def _prune_replica(self) -> None:
        """Drop expired models: at start, then at most once an hour of ticks."""
        if self.replica is None or time.monotonic() < self._prune_at:
            return
        self._prune_at = time.monotonic() + REPLICA_PRUNE_EVERY_S
        try:
            self.replica.prune(time.time())
        except OSError as exc:
            log.warning("could not prune the replica: %s", exc, extra={"event": "replica_failed"})

    def work(self) -> None:
        assert self.state is not None
        self._prune_replica()
        self._assign_committees()  # first: a committee is drawn as soon as its result is seen
        self._harvest()
        for record in list(self.state.checks.values()):
            if record.status == "pending":
                self._start_check(record)
            elif (record.status == "done" and record.verdict == Verdict.FAULTY.value
                  and record.game_id is None and self.config.challenge):
                self._challenge_guarded(record)
        self._harvest()
        self._advance_catches()
        self._prune_claims()

    def _prune_claims(self) -> None:
        """Keeps a replay's claims (every step's states and node outputs) only while a game of ours
        may need them: a result judged faulty and not closed. An honest verdict or a closed check
        frees them, so memory does not grow with every task checked (the soak run measured 0.4 MiB
        per task); `claims_for` replays again if a game turns up after all."""
        assert self.state is not None
        for task_id in list(self._claims):
            record = self.state.checks.get(task_id)
            if record is None or record.verdict != Verdict.FAULTY.value or record.status == "closed":
                del self._claims[task_id]

    def on_game_over(self, outcome: GameOutcome, game: GameRecord | None) -> None:
        assert self.state is not None
        self._claims.pop(outcome.task_id, None)
        self._queue_retry_at.pop(outcome.game_id, None)
        if outcome.withdrawn:
            record = self.state.checks.get(outcome.task_id)
            why = ("closed as moot: the result was voided by another game and nothing could back ours"
                   if outcome.moot else "withdrawn while queued")
            if record is not None and record.game_id == outcome.game_id:
                record.status, record.note = "closed", f"game {outcome.game_id} {why}; bond returned"
            log.info("our game %d on task %d %s; bond %s returned", outcome.game_id, outcome.task_id, why,
                     format_eth(self.game.challenger_bond()),
                     extra={"event": "game_over", "game_id": outcome.game_id, "won": False,
                            "outcome": outcome.word})
            return
        log.info("our game %d on task %d %s", outcome.game_id, outcome.task_id,
                 "won" if outcome.won else "LOST",
                 extra={"event": "game_over", "game_id": outcome.game_id, "won": outcome.won,
                        "outcome": outcome.word})

    def on_queued_game(self, game_id: int, task_id: int, view: GameView) -> None:
        """Our game waits for the operator's collateral. While the result stands it is funded when
        the task's stake is free again (the chain advances the queue after every game) or when the
        operator's free stake can back it (we advance the queue then: nobody else may). Once the
        result is voided only the operator's free stake can back it: we advance the queue (which
        funds it, or closes it as moot, bond back), and withdraw it if it is still queued and
        cannot be funded."""
        if time.monotonic() < self._queue_retry_at.get(game_id, 0.0):
            return
        task = self.session.market.task(task_id)
        fundable = self.session.stake_manager.info(view.operator).free >= task.min_stake
        if task.status is TaskStatus.SUBMITTED:
            if fundable and self._queue_action(task_id, game_id, "advancing the game queue",
                                               self.game.advance_queue, task_id):
                log.info("task %d: the operator's free stake can back game %d; advanced the queue",
                         task_id, game_id,
                         extra={"event": "queue_advanced", "task_id": task_id, "game_id": game_id})
                self._pause_if_still_queued(game_id)
            return
        if task.status is not TaskStatus.VOIDED:
            return
        advanced = self._queue_action(task_id, game_id, "advancing the game queue", self.game.advance_queue,
                                      task_id)
        if fundable:  # funded now (it runs: the operator's stake backs it), or further down the queue
            if advanced:
                self._pause_if_still_queued(game_id)
            return
        if GameView.from_tuple(self.game.state(game_id)).queued and self._queue_action(
                task_id, game_id, "withdrawing our queued game", self.game.withdraw_queued, game_id):
            log.info("task %d: the result was voided and nothing can back our game %d; withdrew it "
                     "(bond returned)", task_id, game_id,
                     extra={"event": "game_withdrawn", "task_id": task_id, "game_id": game_id})

    def _pause_if_still_queued(self, game_id: int) -> None:
        """After an advance that left our game queued (others ahead of it), wait a little before the next."""
        if GameView.from_tuple(self.game.state(game_id)).queued:
            self._queue_retry_at[game_id] = time.monotonic() + 5 * max(self.config.poll_interval_s, 1.0)

    def _queue_action(self, task_id: int, game_id: int, doing: str, send: Callable[[int], Sent],
                      argument: int) -> bool:
        """One queue transaction; True if it was mined. A failure is logged and not retried for a
        while (the next ticks re-read the chain)."""
        with self.chain_action(task_id, doing, "queue_failed"):
            send(argument)
            return True
        self._queue_retry_at[game_id] = time.monotonic() + 10 * max(self.config.poll_interval_s, 1.0)
        return False

    def idle(self) -> bool:
        """Nothing pending: no check queued or running, no game of ours open, active or queued (tests,
        demos)."""
        assert self.state is not None and self.desk is not None
        return not self._running and not self.desk.games and all(
            r.status != "pending" for r in self.state.checks.values()) and not any(
            c.status in CATCH_OPEN for c in self.state.catches.values())

    # -- events ----------------------------------------------------------------------------

    def on_event(self, event: ChainEvent) -> None:
        assert self.state is not None
        if event.contract != "TaskMarket" or "taskId" not in event.args:  # wiring events (DisputeGameSet)
            return
        task_id = int(event["taskId"])
        if event.name == "TaskPosted":
            self.state.spec_uris[task_id] = str(event["specURI"])
        elif event.name == "ResultSubmitted":
            if self.jackpot is not None:  # draw its committee (`_assign_committees`)
                self._to_assign[task_id] = event.block_number
            self._on_submitted(task_id, str(event["operator"]), bytes(event["traceRoot"]))
        elif event.name == "ForcedErrorRevealed":
            # the honest root replaced the forced one: a fresh result, checked like any other
            leaf, root = int(event["leaf"]), bytes(event["traceRoot"])
            log.info("task %d: the operator revealed a forced error at h_%d; checking the honest result it "
                     "put in place (trace root 0x%s)", task_id, leaf, root.hex(),
                     extra={"event": "forced_error_revealed", "task_id": task_id, "leaf": leaf})
            self._on_submitted(task_id, str(event["operator"]), root)
        elif event.name == "DrawRevealed" and task_id in self.state.catches:
            log.info("task %d: the operator revealed its draw: not a forced error", task_id,
                     extra={"event": "draw_revealed", "task_id": task_id})

    def on_our_game(self, game: GameRecord, event: ChainEvent) -> None:
        assert self.state is not None
        record = self.state.checks.get(game.task_id)
        if record is not None and record.game_id is None:
            record.game_id = game.game_id

    def on_other_game(self, event: ChainEvent) -> None:
        assert self.state is not None
        game_id, task_id = int(event["gameId"]), int(event["taskId"])
        challenger = str(event["challenger"])
        self.state.games.setdefault(game_id, GameRecord(game_id, task_id, challenger))
        log.info("task %d: %s opened game %d; replaying the result in full", task_id, challenger,
                 game_id, extra={"event": "foreign_dispute", "task_id": task_id, "game_id": game_id})
        self._escalate(task_id, f"disputed by {challenger} (game {game_id})")

    def on_game_resolved(self, event: ChainEvent) -> None:
        assert self.state is not None
        game = self.state.games.get(int(event["gameId"]))
        if game is None or game.ours:
            return
        status, resolution = GameStatus(event["status"]), Resolution(event["resolution"])
        game.resolve(status, resolution)
        if status is GameStatus.OPERATOR_WON and resolution is Resolution.TIMEOUT:
            log.warning("task %d: challenger %s gave up game %d (its clock ran out)", game.task_id,
                        game.challenger, game.game_id,
                        extra={"event": "challenger_gave_up", "task_id": game.task_id})
            self._escalate(game.task_id, f"game {game.game_id} abandoned by its challenger")

    def _on_submitted(self, task_id: int, operator: str, trace_root: bytes) -> None:
        assert self.state is not None
        if operator.lower() == self.me.lower():
            return
        root = "0x" + trace_root.hex()
        current = self.state.checks.get(task_id)
        if current is not None and current.trace_root == root:
            return
        self.state.checks[task_id] = CheckRecord(task_id, root, operator, mode=self.config.mode.value)

    def _escalate(self, task_id: int, why: str) -> None:
        """Make sure the task's current result gets (or got) a full replay."""
        assert self.state is not None
        record = self.state.checks.get(task_id)
        if record is None:
            task = self.session.market.task(task_id)
            if task.status is not TaskStatus.SUBMITTED or task.operator.lower() == self.me.lower():
                return
            record = CheckRecord(task_id, "0x" + task.trace_root.hex(), task.operator)
            self.state.checks[task_id] = record
        if record.full_replay or record.game_id is not None:
            return
        record.mode = Mode.FULL.value
        if record.status == "done":
            record.status = "pending"
            record.note = f"re-checking in full: {why}"

    # -- checks ----------------------------------------------------------------------------

    def _start_check(self, record: CheckRecord) -> None:
        if record.task_id in self._running or time.monotonic() < self._retry_at.get(record.task_id, 0.0):
            return
        try:
            uri = self.spec_uri(record.task_id)
        except LookupError as exc:
            record.status, record.note = "skipped", str(exc)
            return
        if self.config.background_checks:
            self._running[record.task_id] = self._pool.submit(self._check, record, uri)
            return
        done: Future[CheckResult | str] = Future()
        try:
            done.set_result(self._check(record, uri))
        except Exception as exc:  # noqa: BLE001 - reported by _harvest like a background failure
            done.set_exception(exc)
        self._running[record.task_id] = done

    def _harvest(self) -> None:
        assert self.state is not None
        for task_id, future in list(self._running.items()):
            if not future.done():
                continue
            del self._running[task_id]
            record = self.state.checks.get(task_id)
            if record is None:
                continue
            try:
                result = future.result()
            except (SpecUnavailable, *CHAIN_ERRORS) as exc:
                self._retry_at[task_id] = time.monotonic() + 10 * self.config.poll_interval_s
                log.warning("task %d: cannot check yet (%s); will retry", task_id, exc)
                continue
            except TaskMismatch as exc:
                record.status, record.note = "skipped", str(exc)
                log.warning("task %d: %s", task_id, exc, extra={"event": "unjudgeable", "task_id": task_id})
                continue
            except Exception as exc:  # noqa: BLE001 - one bad task must not stop the others
                self._retry_at[task_id] = time.monotonic() + 30 * self.config.poll_interval_s
                log.exception("task %d: the check failed (%s); will retry", task_id, exc)
                continue
            if isinstance(result, str):
                record.status, record.note = "skipped", result
                log.info("task %d: not checked: %s", task_id, result, extra={"event": "check_skipped"})
                continue
            self._record_result(record, result)
            if record.status == "done" and result.verdict is Verdict.FAULTY and self.config.challenge:
                self._challenge_guarded(record)

    @staticmethod
    def _current(record: CheckRecord, market: TaskMarket) -> Task | str:
        """The task if it still holds the result this record is about and its challenge window is
        open; else why not. Reads only."""
        task = market.task(record.task_id)
        if task.status is not TaskStatus.SUBMITTED or "0x" + task.trace_root.hex() != record.trace_root:
            return f"the result is no longer on the market (task {task.status.name.lower()})"
        latest = with_rpc_retry(lambda: market.client.w3.eth.get_block("latest"))
        if int(latest["timestamp"]) > market.challenge_ends_at(record.task_id):
            return "the challenge window closed"
        return task

    def _check(self, record: CheckRecord, spec_uri: str) -> CheckResult | str:
        """Runs on the check thread, with its own RPC connection: reads the chain and the store,
        replays; sends nothing and writes no state."""
        if self._reader is None:
            endpoint = getattr(self.client.w3.provider, "endpoint_uri", None)
            w3 = connect(str(endpoint)) if endpoint else self.client.w3
            self._reader = TaskMarket(ChainClient(w3, None), self.session.market.address)
        market = self._reader
        task = self._current(record, market)
        if isinstance(task, str):
            return task
        prepared = self.preparer.prepare(task, spec_uri)
        mode = Mode(record.mode or self.config.mode.value)
        seed = None if self.config.seed is None else f"{self.config.seed}:{task.task_id}:{record.trace_root}"
        published = StorePublications(market, self.artifacts, task, self.session.deployment.block_number)
        log.info("task %d: %s check of the result of %s", task.task_id, mode.value, task.operator,
                 extra={"event": "check_started", "task_id": task.task_id, "mode": mode.value})
        result = self.checker.check(task, prepared, published, mode, self.config.sample_rate,
                                    random.Random(seed))
        if self.replica is not None and result.model == MODEL_MATCHES and published.model_bytes is not None:
            keep_model(self.replica, published.model_bytes, task.model_hash, task.task_id, time.time(),
                       self.config.replica_keep_s)
        return result

    def spec_uri(self, task_id: int) -> str:
        """The task's spec URI (from `TaskPosted`; read back from the chain if we missed it)."""
        assert self.state is not None
        uri = self.state.spec_uris.get(task_id)
        if uri is None:
            uri = self.session.market.spec_uri(task_id, self.session.deployment.block_number)
            self.state.spec_uris[task_id] = uri
        return uri

    def _record_result(self, record: CheckRecord, result: CheckResult) -> None:
        # a dispute seen while a spot check ran asks for a full replay: queue it again
        record.status = "pending" if record.mode == Mode.FULL.value and not result.full_replay else "done"
        record.verdict = result.verdict.value
        record.full_replay = record.full_replay or result.full_replay
        record.first_bad_step = result.first_bad_step
        if result.evaluation is not None and result.evaluated_step is not None:
            result.evaluation_note = review(self.board, record.task_id, result.evaluated_step,
                                            result.evaluation)
            record.evaluation = result.evaluation_note
        record.result = result.to_json()
        if result.claims is not None:
            self._claims[record.task_id] = result.claims
        level = logging.WARNING if result.verdict is not Verdict.HONEST else logging.INFO
        where = ("" if result.first_bad_step is None
                 else f"; first differing state h_{result.first_bad_step + 1}")
        log.log(level, "task %d: %s (%s%s; %.1f s%s)", record.task_id, result.verdict.value.upper(),
                "full replay" if result.full_replay else f"{len(result.intervals)} interval(s) re-executed",
                where, result.seconds,
                "; escalated: " + "; ".join(result.escalated) if result.escalated else "",
                extra={"event": "checked", "task_id": record.task_id, "verdict": result.verdict.value,
                       "first_bad_step": result.first_bad_step, "full_replay": result.full_replay})

    # -- challenging -----------------------------------------------------------------------

    def _challenge_guarded(self, record: CheckRecord) -> None:
        if self.forced_error_ppm and not self._games_open(record):
            return
        with self.chain_action(record.task_id, "opening a game", "challenge_failed"):
            self.challenge(record)

    # -- forced errors (docs/forced-errors.md) ------------------------------------------------

    def _games_open(self, record: CheckRecord) -> bool:
        """With forced errors on: seal our catch of a wrong result (once per result), and say
        whether games may open on it yet (after the operator's reveal, or once the reveal phase is
        over). A result that left the market is left to `challenge`, which says why."""
        assert self.state is not None
        with self.chain_action(record.task_id, "reading the draw", "catch_failed"):
            task = self._current(record, self.session.market)
            if isinstance(task, str):
                return True
            self._seal(record, task)
            market = self.session.market
            opens = market.games_open_at(record.task_id)
            # the result's committee goes first (`CommitteeGoesFirst`): outside it, we wait our turn
            first_until = market.committee_first_until(record.task_id)
            if first_until > opens and not self._in_committee(record.task_id):
                opens = first_until
            # judged by the newest block (a devnet's can lag the wall clock after a snapshot revert); an
            # idle chain's wall clock an hour past it lets the contract decide
            if self._block_time() >= opens or self.chain_now() >= opens + 3600:
                return True
            note = f"waiting for the operator's draw or the committee's turn: games open to us at {opens}"
            if record.note != note:
                record.note = note
                log.info("task %d: wrong, but no game opens before the operator reveals its draw (at %d at "
                         "the latest)", record.task_id, opens,
                         extra={"event": "games_not_open", "task_id": record.task_id, "opens_at": opens})
        return False

    def _assign_committees(self) -> None:
        """Draw the committee of each result seen submitted (`Jackpot.assign`) unless someone did,
        and note whether we are in it. A draw that cannot be made yet is tried again on a later poll;
        a failure is logged (by `chain_action`) and tried again a little later."""
        for task_id, block in list(self._to_assign.items()):
            if time.monotonic() < self._assign_retry_at.get(task_id, 0.0):
                continue
            failed = True
            with self.chain_action(task_id, "drawing the result's committee", "assign_failed"):
                if self._in_committee(task_id, block) is not None:
                    del self._to_assign[task_id]
                    self._assign_retry_at.pop(task_id, None)
                failed = False
            if failed:
                self._assign_retry_at[task_id] = time.monotonic() + 10 * max(self.config.poll_interval_s, 1.0)

    def _in_committee(self, task_id: int, submit_block: int | None = None) -> bool | None:
        """Whether we are in the committee of the latest result of ``task_id`` (the one submitted in
        ``submit_block``, if given), drawing it first if nobody has: None while it cannot be drawn
        yet (from the block after the result's on); False if it never can be (no draw, a later
        result replaced it, or nobody drew it within 256 blocks). Reverts other than the two a draw
        races into are raised."""
        assert self.jackpot is not None
        jackpot = self.jackpot
        draw = jackpot.committee_draw(task_id)
        if draw.submit_block == 0 or (submit_block is not None and draw.submit_block != submit_block):
            return False  # forced errors were off for it, or it was replaced (its own event draws that one)
        if self._committee_blocks.get(task_id) == draw.submit_block:
            return self.committees[task_id]
        if not any(draw.seed):
            latest = with_rpc_retry(lambda: self.client.w3.eth.block_number)
            if latest > draw.submit_block + 256:  # the EVM no longer serves the hash it is drawn from
                log.warning("task %d: nobody drew the committee of its result within 256 blocks: it has "
                            "none, and nobody can catch a forced error in it", task_id,
                            extra={"event": "committee_expired", "task_id": task_id})
                self._note_committee(task_id, draw.submit_block, False)
                return False
            if not self._assign(task_id):
                return None
        member = jackpot.is_assigned(task_id, self.me)
        committee = jackpot.committee_of(task_id)
        self._note_committee(task_id, draw.submit_block, member)
        log.info("task %d: its result's committee is %s; we are %s", task_id,
                 ", ".join(committee) or "empty (no registry member when it was submitted)",
                 "in it: we may catch a forced error in it" if member else "not in it: no catch of ours",
                 extra={"event": "committee", "task_id": task_id, "in_committee": member,
                        "committee": committee})
        return member

    def _assign(self, task_id: int) -> bool:
        """Send `Jackpot.assign`; True once the committee is drawn (by us or, in a race, by someone
        else), False if it cannot be drawn yet (the result's block is the newest)."""
        assert self.jackpot is not None
        jackpot = self.jackpot
        try:
            sent = jackpot.assign(task_id)
        except ContractRevert as exc:
            if exc.error_name == "CommitteeNotReady":
                log.debug("task %d: the committee cannot be drawn in its result's own block; next poll",
                          task_id)
                return False
            if exc.error_name != "CommitteeAlreadyDrawn":
                raise
            log.debug("task %d: another verifier drew the committee first", task_id)
            return True
        except TransactionFailed:
            if any(jackpot.committee_draw(task_id).seed):  # mined after another verifier's draw
                return True
            raise
        log.info("task %d: drew its result's committee (tx %s)", task_id, sent.tx_hash,
                 extra={"event": "committee_drawn", "task_id": task_id, "tx": sent.tx_hash})
        return True

    def _note_committee(self, task_id: int, submit_block: int, member: bool) -> None:
        self.committees[task_id] = member
        self._committee_blocks[task_id] = submit_block

    def _seal(self, record: CheckRecord, task: Task) -> None:
        """Record a catch of our own h_e of the first wrong interval, if the check found one that a
        forced error could be (an interior committed state), and seal it if we are in the result's
        committee and its seal phase lasts. The catch (with its salt) is saved before the seal is
        sent. Outside the committee nothing is sealed: the catch is followed (``watching``) so that
        the verifier knows what the reveal made of it; games open as for any result."""
        assert self.state is not None and self.jackpot is not None
        step, state = record.result.get("caught_step"), record.result.get("caught_state")
        existing = self.state.catches.get(record.task_id)
        if step is None or state is None:
            return
        if existing is not None and existing.submitted_at == task.submitted_at:  # one catch per result
            return
        if not 0 < int(step) < task.steps:  # a forced error changes an interior state, never h_S
            return
        seal_ends_at = task.submitted_at + task.challenge_window
        late = self._block_time() > seal_ends_at
        member = False if late else self._in_committee(record.task_id)
        if member is None:  # its committee is drawn from the next block on: seal then
            return
        salt = new_secret()
        state_bytes = bytes.fromhex(str(state).removeprefix("0x"))
        digest = seal_hash(record.task_id, state_bytes, self.me, salt)
        catch = CatchRecord(record.task_id, record.trace_root, task.submitted_at, seal_ends_at, int(step),
                            str(state), "0x" + salt.hex(), "0x" + digest.hex())
        self.state.catches[record.task_id] = catch
        if late:
            catch.status, catch.note = "missed", "found after the seal phase: nothing sealed"
            log.info("task %d: wrong at h_%d, found after the seal phase ended (%d): no catch to seal",
                     record.task_id, catch.step, seal_ends_at, extra={"event": "seal_too_late",
                                                                       "task_id": record.task_id})
            return
        if not member:
            catch.status, catch.salt, catch.seal_hash = "watching", "", ""
            catch.note = ("not in the result's committee: nothing sealed" if self.member else
                          "not a member of the verifier registry: nothing sealed")
            log.info("task %d: wrong committed state h_%d, but we are not in the result's committee: nothing "
                     "sealed; no game before the operator reveals its draw", record.task_id, catch.step,
                     extra={"event": "not_in_committee", "task_id": record.task_id, "step": catch.step})
            return
        self.save()  # the salt is on disk before the seal is: a crash cannot lose a sealed catch
        self._send_seal(catch)

    def _send_seal(self, catch: CatchRecord) -> None:
        assert self.jackpot is not None
        with self.chain_action(catch.task_id, "sealing our catch", "seal_failed"):
            sent = self.jackpot.seal(bytes.fromhex(catch.seal_hash.removeprefix("0x")))
            catch.status = "sealed"
            log.warning("task %d: wrong committed state h_%d: sealed our catch (our h_%d %s, seal %s, "
                        "tx %s); no game before the operator reveals its draw", catch.task_id, catch.step,
                        catch.step, catch.state, catch.seal_hash, sent.tx_hash,
                        extra={"event": "sealed", "task_id": catch.task_id, "step": catch.step})

    def _advance_catches(self) -> None:
        assert self.state is not None
        if self.jackpot is None:
            return
        for catch in list(self.state.catches.values()):
            if catch.status in CATCH_OPEN or (catch.open and self.config.auto_withdraw):
                doing = f"following our catch ({catch.status})"
                with self.chain_action(catch.task_id, doing, "catch_failed"):
                    self._advance_catch(catch)

    def _block_time(self) -> int:
        """The newest block's timestamp: what the seal phase is measured in. A seal sent while it is
        inside the phase lands in the next block, which the contract judges at the reveal; wall time
        (`chain_now` on an idle chain) can run ahead of a devnet's blocks and must not drop a seal."""
        latest = with_rpc_retry(lambda: self.client.w3.eth.get_block("latest"))
        return int(latest["timestamp"])

    def _advance_catch(self, catch: CatchRecord) -> None:
        """Move one catch along, from what the chain says now (each step may lead to the next in the
        same tick)."""
        assert self.state is not None and self.jackpot is not None
        market, jackpot, task_id = self.session.market, self.jackpot, catch.task_id
        # the phases are the chain's: judged by its newest block, never by a wall clock that may run
        # ahead of it (a catch given up too early is a pot lost; one followed a block late costs nothing)
        now = self._block_time()
        if catch.status == "sealing":  # saved, then the seal was sent (or not): the chain says which
            catcher, _ = jackpot.seal_of(bytes.fromhex(catch.seal_hash.removeprefix("0x")), self.me)
            if catcher.lower() == self.me.lower():
                catch.status = "sealed"
            elif now <= catch.seal_ends_at:
                self._send_seal(catch)
            else:
                catch.status, catch.note = "missed", "the seal phase ended before our seal was mined"
        if catch.status in ("sealed", "watching"):
            task = market.task(task_id)
            draw = market.draw(task_id)
            if task.submitted_at != catch.submitted_at:
                catch.status = "missed"
                catch.note = ("the result left the market before its draw was revealed "
                              f"(task {task.status.name.lower()})")
            elif draw.forced_at:
                pot = jackpot.pot(task_id)
                if pot.submitted_at != catch.submitted_at:
                    return
                if "0x" + pot.honest_leaf.hex() == catch.state and catch.status == "watching":
                    catch.status = "not_in_committee"
                    catch.note = f"a forced error at h_{catch.step}; only its committee could catch it"
                    log.info("task %d: the operator revealed a forced error at h_%d, the state we found "
                             "wrong; we were not in its committee: no catch", task_id, catch.step,
                             extra={"event": "forced_error_not_ours", "task_id": task_id})
                elif "0x" + pot.honest_leaf.hex() == catch.state:
                    catch.status = "catching"
                    log.info("task %d: the operator revealed a forced error at h_%d, the state we sealed: "
                             "revealing our catch", task_id, catch.step,
                             extra={"event": "forced_error_caught", "task_id": task_id})
                elif catch.status == "watching":
                    catch.status = "not_in_committee"
                    catch.note = f"forced (we found h_{catch.step}); only its committee could catch it"
                else:
                    # revealed all the same: a result voided after its reveal pays every revealed seal
                    catch.status = "catching"
                    catch.note = (f"the revealed honest state 0x{pot.honest_leaf.hex()} is not our "
                                  f"h_{catch.step}: paid only if the result is voided")
                    log.warning("task %d: the operator revealed a forced error, but its honest state is not "
                                "our h_%d: revealing our seal anyway (paid if the result is voided; its "
                                "honest result is checked again)", task_id, catch.step,
                                extra={"event": "catch_missed", "task_id": task_id})
            elif draw.revealed_at:
                catch.status, catch.note = "not_forced", "the draw was revealed: not a forced error"
                log.info("task %d: not a forced error; games are open: challenging", task_id,
                         extra={"event": "not_forced", "task_id": task_id})
            elif now > catch.seal_ends_at + self.audit_window:
                catch.status, catch.note = "unrevealed", "the operator revealed no draw in the reveal phase"
                log.info("task %d: the operator revealed no draw; games are open: challenging", task_id,
                         extra={"event": "draw_unrevealed", "task_id": task_id})
        if catch.status == "catching":
            if jackpot.catch_of(task_id, self.me) >= 1:
                catch.status = "caught"
            elif now > jackpot.pot(task_id).catch_ends_at:
                catch.status, catch.note = "missed", "the catch window closed before our catch was revealed"
            else:
                try:
                    sent = jackpot.reveal_catch(task_id, bytes.fromhex(catch.state.removeprefix("0x")),
                                                bytes.fromhex(catch.salt.removeprefix("0x")))
                except ContractRevert as exc:
                    if exc.error_name != "NotInCommittee":
                        raise
                    catch.status, catch.note = "missed", "the pot's committee does not hold us"
                    log.warning("task %d: our catch was refused: we are not in the committee of the result "
                                "that was forced", task_id,
                                extra={"event": "catch_missed", "task_id": task_id})
                    return
                catch.status = "caught"
                pot = jackpot.pot(task_id)
                log.warning("task %d: caught forced error at h_%d: catch revealed (%d catcher(s) so far, "
                            "pot %s; tx %s)", task_id, catch.step, pot.catches, format_eth(pot.amount),
                            sent.tx_hash,
                            extra={"event": "catch_revealed", "task_id": task_id, "catches": pot.catches})
        if catch.status == "caught":
            self._claim(catch, now)
        if catch.status == "claimed" and not catch.withdrawn and self.config.auto_withdraw:
            credit = jackpot.credits(self.me)
            if credit:
                sent = jackpot.withdraw()
                self.state.withdrawn += credit
                log.info("withdrew %s of jackpot to %s (tx %s)", format_eth(credit), self.me, sent.tx_hash,
                         extra={"event": "jackpot_withdrawn", "amount": str(credit), "tx": sent.tx_hash})
            catch.withdrawn = True

    def _claim(self, catch: CatchRecord, now: int) -> None:
        """Claim our share (POT / COMMITTEE_SIZE) once the catch window is over and the result is
        settled: finalised with the honest root (paid if our catch named its honest leaf), or voided
        (every revealed catch is paid). A voided task forced again before we claimed owes our share
        from an earlier round (`claimEarlierCatch`)."""
        assert self.jackpot is not None
        jackpot, task_id = self.jackpot, catch.task_id
        pot = jackpot.pot(task_id)
        if pot.submitted_at != catch.submitted_at:
            self._claim_earlier(catch, pot.round)
            return
        state = jackpot.catch_of(task_id, self.me)
        if state == CATCH_CLAIMED:  # claimed already (before a restart)
            catch.status, catch.share = "claimed", self._claimed_share(task_id)
            return
        if now <= pot.catch_ends_at:
            return
        task = self.session.market.task(task_id)
        ours = task.submitted_at == pot.submitted_at and task.trace_root == pot.trace_root
        if ours and task.status is TaskStatus.SUBMITTED:
            return  # the honest root's window (and any game against it) is not over
        stood = ours and task.status is TaskStatus.FINALIZED
        if stood and state != CATCH_NAMED:
            catch.status = "unpaid"
            catch.note = "the honest root stood and our catch named another state: nothing is owed"
            log.warning("task %d: %s", task_id, catch.note, extra={"event": "pot_unpaid", "task_id": task_id})
            return
        sent = jackpot.claim_jackpot(task_id)
        share = sum(int(e["args"]["share"]) for e in jackpot.events("JackpotClaimed", sent.receipt))
        catch.status, catch.share = "claimed", share
        why = "" if stood else f" (the result was voided: task {task.status.name.lower()})"
        log.warning("caught forced error of task %d: jackpot share %s%s (tx %s)", task_id, format_eth(share),
                    why, sent.tx_hash,
                    extra={"event": "jackpot_claimed", "task_id": task_id, "share": str(share)})

    def _claim_earlier(self, catch: CatchRecord, latest_round: int) -> None:
        """Our catch was on a voided result whose task was forced again before we claimed: what its
        pot owes us waits in `owedToCatchers`, under one of the earlier rounds."""
        assert self.jackpot is not None
        jackpot, task_id = self.jackpot, catch.task_id
        for round_ in range(latest_round - 1, 0, -1):
            try:
                sent = jackpot.claim_earlier_catch(task_id, round_)
            except ContractRevert as exc:
                if exc.error_name != "NothingToClaim":
                    raise
                continue
            share = sum(int(e["args"]["share"]) for e in jackpot.events("JackpotClaimed", sent.receipt))
            catch.status, catch.share = "claimed", share
            log.warning("caught forced error of task %d (round %d, voided): jackpot share %s (tx %s)",
                        task_id, round_, format_eth(share), sent.tx_hash,
                        extra={"event": "jackpot_claimed", "task_id": task_id, "share": str(share)})
            return
        catch.status, catch.note = "unpaid", "no earlier round of the task owes our catch"
        log.warning("task %d: %s", task_id, catch.note, extra={"event": "pot_unpaid", "task_id": task_id})

    def _claimed_share(self, task_id: int) -> int:
        assert self.jackpot is not None
        jackpot = self.jackpot
        logs = with_rpc_retry(lambda: jackpot.contract.events.JackpotClaimed.get_logs(
            from_block=self.session.deployment.block_number,
            argument_filters={"taskId": task_id, "catcher": self.me}))
        return int(logs[-1]["args"]["share"]) if logs else 0

    def challenge(self, record: CheckRecord) -> None:
        """Open our game on a result our replay disagrees with (bond locked), then play it."""
        assert self.state is not None
        task = self._current(record, self.session.market)
        if isinstance(task, str):
            record.status, record.note = "closed", f"not challenged: {task}"
            log.warning("task %d is wrong but %s", record.task_id, task,
                        extra={"event": "too_late", "task_id": record.task_id})
            return
        claims = self.claims_for(record.task_id, Party.CHALLENGER)
        assert claims is not None
        if claims.trace_root == task.trace_root:
            record.verdict, record.note = Verdict.HONEST.value, "a fresh replay agrees with the trace root"
            return
        bond = self.game.challenger_bond()
        free = self.session.stake_manager.info(self.me).free
        if free < bond and self.top_up():  # bonded had fallen below --stake (a game lost)
            free = self.session.stake_manager.info(self.me).free
        if free < bond:
            if record.note != "stake":
                log.error("task %d is wrong but our free stake %s is below the bond %s: stake more "
                          "(`verifier start --stake N`)", record.task_id, format_eth(free), format_eth(bond),
                          extra={"event": "cannot_challenge", "task_id": record.task_id})
            record.note = "stake"
            return
        game_id, sent = self.game.open(record.task_id, claims.trace_root)
        record.game_id, record.note = game_id, ""
        self.record_game(game_id, record.task_id, self.me)
        position = self.game.queued_in(sent)
        queued = "" if position is None else (
            f"; queued at position {position} until the operator's stake can back it (costs nothing "
            "if it never runs)")
        log.warning("task %d: challenged %s's result (game %d, bond %s, tx %s%s)", record.task_id,
                    task.operator, game_id, format_eth(bond), sent.tx_hash, queued,
                    extra={"event": "challenged", "task_id": record.task_id, "game_id": game_id,
                           "queued": position is not None})

    def claims_for(self, task_id: int, party: Party) -> PartyClaims | None:
        if party is not Party.CHALLENGER:
            return None
        if task_id not in self._claims:
            task = self.session.market.task(task_id)
            prepared = self.preparer.prepare(task, self.spec_uri(task_id))
            self._claims[task_id] = PartyClaims(prepared, device=self.checker.device)
        return self._claims[task_id]


def check_once(session: ChainSession, task_id: int, mode: Mode, *, artifact_store: str | None,
               sample_rate: float = 0.1, seed: int | None = None, device: str | None = None) -> CheckResult:
    """`verifier check TASK`: judge the task's current result now (reads only, sends nothing)."""
    task = session.market.task(task_id)
    if task.status not in (TaskStatus.SUBMITTED, TaskStatus.FINALIZED):
        raise ValueError(f"task {task_id} has no result to check: it is {task.status.name.lower()}")
    store = ArtifactClient(artifact_store) if artifact_store else None
    uri = session.market.spec_uri(task_id, session.deployment.block_number)
    prepared = TaskPreparer(store).prepare(task, uri)
    published = StorePublications(session.market, store, task, session.deployment.block_number)
    rng = random.Random(None if seed is None else f"{seed}:{task_id}:0x{task.trace_root.hex()}")
    return TaskChecker(pick_device(device)).check(task, prepared, published, mode, sample_rate, rng)
