"""The agent runtime: one loop per key that follows the chain, and what every role does in it.

``Agent.run(stop)`` holds the state directory's lock, then ticks until ``stop`` is set. A tick
reads new events (the block cursor is kept in the state dir), lets the role move its own work
along (`work`), plays every dispute game the agent is a party to (`tribunal.dispute.desk`), lets
the role take on new work (`find_work`), withdraws credited pay, and saves the state if it
changed. Only this loop sends transactions (it owns the nonce).

An unreachable or slow chain backs off exponentially up to ``max_backoff_s``; any other error in a
tick is logged and retried the same way, so one bad tick never stops the agent. A `StateError`
(the state dir is another key's or deployment's, or unreadable) stops it: retrying cannot fix it.

Roles (`worker.agent.OperatorAgent`, `verifier.agent.VerifierAgent`) subclass `Agent` and decide
what each event means, what work to do, and which side of the games they play (``PARTY``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import requests
from web3.exceptions import TimeExhausted, Web3RPCError

from tribunal.agents.state import AgentState, AgentStateDir, GameRecord, StateError
from tribunal.artifact_client import ArtifactClient
from tribunal.availability import Delivery
from tribunal.chain.client import RpcUnavailable, TransactionFailed, with_rpc_retry
from tribunal.chain.dispute_game import AvailabilityState
from tribunal.chain.errors import ContractRevert, UnknownRevert
from tribunal.chain.events import ChainEvent, EventFollower
from tribunal.chain.session import ChainSession, format_eth
from tribunal.device import pick_device
from tribunal.diloco.resolve import DilocoResolver
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.desk import DisputeDesk, GameOutcome
from tribunal.dispute.state import GameView
from tribunal.protocol_enums import GameStatus, Party, Resolution
from tribunal.task_fetch import TaskPreparer

log = logging.getLogger("tribunal.agents")

CHAIN_ERRORS = (RpcUnavailable, requests.ConnectionError, requests.Timeout, ConnectionError, Web3RPCError,
                TimeExhausted)
"""What an unreachable or slow chain raises: the loop backs off and retries."""


@dataclass
class AgentConfig:
    """What every role's agent is configured with; roles add their own fields."""

    state_dir: Path
    stake: int = 0
    """Bonded stake (wei) to keep: topped up at start."""
    artifact_store: str | None = None
    device: str | None = None
    poll_interval_s: float = 2.0
    max_backoff_s: float = 60.0
    confirmations: int = 0
    auto_withdraw: bool = True


S = TypeVar("S", bound=AgentState)
C = TypeVar("C", bound=AgentConfig)


class Agent(Generic[S, C]):
    """``Agent(session, config).run(stop)``: until ``stop`` is set. Subclasses set ``PARTY`` (the
    side of the dispute games they play), ``EARNINGS`` (what their credit is, for the log) and
    ``STATE_DIR``, and implement `claims_for`, `on_event` and `work`."""

    PARTY: ClassVar[Party]
    EARNINGS: ClassVar[str] = "pay"
    STATE_DIR: ClassVar[type[AgentStateDir[Any]]]

    def __init__(self, session: ChainSession, config: C) -> None:
        self.session = session
        self.client = session.client
        self.me = session.client.address
        self.config = config
        self.state_dir: AgentStateDir[S] = self.STATE_DIR(config.state_dir)
        self.artifacts = ArtifactClient(config.artifact_store) if config.artifact_store else None
        self.diloco = (DilocoResolver(session.diloco_jobs, session.market, self.artifacts)
                       if session.diloco_jobs is not None else None)
        self.preparer = TaskPreparer(self.artifacts, diloco=self.diloco)
        self.device = pick_device(config.device)
        self.desk = (DisputeDesk(session.game, self.me, self.claims_for, self.chain_now,
                                 from_block=session.deployment.block_number, on_queued=self.on_queued_game,
                                 deliveries_for=self.deliveries_for)
                     if session.game is not None else None)
        self.state: S | None = None
        self.follower: EventFollower | None = None
        self._credit_pending = True
        self._saved = ""

    # -- what a role decides ---------------------------------------------------------------

    def deliveries_for(self, task_id: int, state: AvailabilityState) -> Delivery | None:
        """The missing chunks of an availability challenge on our result, with their proofs
        (`tribunal.dispute.desk.DeliveriesFor`); None: we do not answer (only an operator can)."""
        return None

    def claims_for(self, task_id: int, party: Party) -> PartyClaims | None:
        """Our claims in a game on ``task_id`` (`tribunal.dispute.desk.ClaimsFor`)."""
        raise NotImplementedError

    def on_event(self, event: ChainEvent) -> None:
        """Remember what the event hints at (the dispute game events are handled before)."""
        raise NotImplementedError

    def work(self) -> None:
        """Move the role's own work along, before the games are played."""
        raise NotImplementedError

    def find_work(self) -> None:
        """Take on new work, after the games are played."""

    def on_start(self) -> None:
        """Role checks and the start-up log line, once the state is loaded and the stake topped up."""

    def on_our_game(self, game: GameRecord, event: ChainEvent) -> None:
        """A game opened with us as ``PARTY`` (the desk already plays it)."""

    def on_other_game(self, event: ChainEvent) -> None:
        """A game opened that we are not a party to."""

    def on_game_resolved(self, event: ChainEvent) -> None:
        """A `GameResolved` event (our own games' outcomes come from the desk: `on_game_over`)."""

    def on_game_over(self, outcome: GameOutcome, game: GameRecord | None) -> None:
        """One of our games ended: resolved, or withdrawn while queued (its record, if we have one,
        holds the outcome already)."""

    def on_game_queued(self, event: ChainEvent, game: GameRecord | None) -> None:
        """A `GameQueued` event: a game waits for the operator's collateral (``game``: our record of
        it, if we have one)."""

    def on_game_funded(self, event: ChainEvent, game: GameRecord | None) -> None:
        """A `GameFunded` event: a game runs now (at its open, or from its task's queue)."""

    def on_queued_game(self, game_id: int, task_id: int, view: GameView) -> None:
        """Each tick, for each game of ours still queued (`tribunal.dispute.desk.OnQueued`)."""

    def close(self) -> None:
        """Release what the role holds (executors, threads) when the loop ends."""

    # -- the loop --------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        self.state_dir.lock()
        try:
            self._run(stop)
        finally:
            self.close()
            if self.state is not None:
                self.save()
            self.state_dir.unlock()

    def _run(self, stop: threading.Event) -> None:
        delay = self.config.poll_interval_s
        started = False
        while not stop.is_set():
            try:
                if not started:
                    self.start()
                    started = True
                self.tick()
                delay = self.config.poll_interval_s
            except StateError:
                raise
            except CHAIN_ERRORS as exc:
                delay = self._backoff(delay)
                log.warning("chain unreachable or slow (%s); retrying in %.0f s", exc, delay,
                            extra={"event": "rpc_error"})
                if isinstance(exc, TimeExhausted):
                    self.client.reset_nonce()
            except Exception:  # noqa: BLE001 - the agent must outlive any one bad tick
                delay = self._backoff(delay)
                log.exception("unexpected error in the agent loop; retrying in %.0f s", delay)
            stop.wait(delay)

    def _backoff(self, delay: float) -> float:
        return min(self.config.max_backoff_s, max(delay * 2, self.config.poll_interval_s))

    def start(self) -> None:
        """Load (or create) the state, top up the stake, attach the follower, resume our games."""
        session = self.session
        deployment = session.deployment
        self.state = self.state_dir.load_or_create(self.client.chain_id, deployment.task_market, self.me,
                                                   deployment.block_number)
        self.top_up()
        contracts = {"TaskMarket": session.market.contract}
        if session.game is not None:
            contracts["DisputeGame"] = session.game.contract
        self.follower = EventFollower(self.client.w3, contracts, cursor=self.state.cursor,
                                      confirmations=self.config.confirmations)
        if self.desk is not None:
            for game in self.state.games.values():
                if game.ours and not game.outcome:
                    self.desk.watch(game.game_id, game.task_id, Party[game.party.upper()])
        self.on_start()
        self.save()

    def tick(self) -> None:
        assert self.state is not None and self.follower is not None
        for event in self.follower.poll():
            if event.contract == "DisputeGame":
                self._on_game_event(event)
            else:
                self.on_event(event)
        self.state.cursor = self.follower.cursor
        self.save()
        self.work()
        self._play_games()
        self.find_work()
        self.maybe_withdraw()
        self.save()

    def save(self) -> None:
        assert self.state is not None
        text = repr(self.state.to_json())
        if text != self._saved:
            self.state_dir.save(self.state)
            self._saved = text

    def chain_now(self) -> int:
        """The chain's time: the newest block's timestamp, or the clock if the chain is idle
        (a devnet mines only on transactions)."""
        latest = with_rpc_retry(lambda: self.client.w3.eth.get_block("latest"))
        return max(int(latest["timestamp"]), int(time.time()))

    # -- stake and pay ---------------------------------------------------------------------

    def top_up(self) -> bool:
        """Bond back up to ``config.stake`` (a lost game takes the bond out of it); True if staked.
        A balance too small to do it is logged, and the agent goes on with the stake it has."""
        info = self.session.stake_manager.info(self.me)
        if info.bonded >= self.config.stake:
            return False
        missing = self.config.stake - info.bonded
        balance = self.client.balance(self.me)
        if balance <= missing:
            log.warning("bonded stake %s is below --stake %s but the balance is only %s: fund %s",
                        format_eth(info.bonded), format_eth(self.config.stake), format_eth(balance), self.me,
                        extra={"event": "stake_low"})
            return False
        self.session.stake_manager.stake(missing)
        log.info("staked %s (bonded now %s)", format_eth(missing), format_eth(self.config.stake),
                 extra={"event": "staked", "amount": str(missing)})
        return True

    def credit_arrived(self) -> None:
        """Pay was (or may have been) credited to us: withdraw it at the end of the tick."""
        self._credit_pending = True

    def maybe_withdraw(self) -> None:
        """Withdraw our credit once some arrived. The pending mark is dropped only once the
        withdrawal is mined and saved, so a failed or dropped one is tried again next tick."""
        assert self.state is not None
        if not (self.config.auto_withdraw and self._credit_pending):
            return
        credit = self.session.stake_manager.credit_of(self.me)
        if credit:
            sent = self.session.stake_manager.withdraw_credit()
            self.state.withdrawn += credit
            self.save()
            log.info("withdrew %s of %s to %s", format_eth(credit), self.EARNINGS, self.me,
                     extra={"event": "withdrawn", "amount": str(credit), "tx": sent.tx_hash})
        self._credit_pending = False

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def chain_action(self, task_id: int, doing: str, event: str) -> Iterator[None]:
        """Run one of the role's transactions: a revert or a dropped transaction is logged and
        left to the next tick, which re-reads the chain first."""
        try:
            yield
        except (ContractRevert, UnknownRevert, TransactionFailed) as exc:
            log.warning("task %d: %s failed (%s); will re-read the chain", task_id, doing, exc,
                        extra={"event": event, "task_id": task_id})
        except TimeExhausted as exc:
            self.client.reset_nonce()
            log.warning("task %d: %s: no receipt (%s); nonce resynchronised, the chain decides next tick",
                        task_id, doing, exc, extra={"event": "tx_dropped", "task_id": task_id})

    # -- dispute games ---------------------------------------------------------------------

    def _on_game_event(self, event: ChainEvent) -> None:
        assert self.state is not None
        if event.name == "GameOpened" and self.desk is not None:
            game_id, task_id = int(event["gameId"]), int(event["taskId"])
            challenger = str(event["challenger"])
            if self.desk.party_in(challenger, str(event["operator"])) is not self.PARTY:
                self.on_other_game(event)
                return
            game = self.state.games.setdefault(
                game_id, GameRecord(game_id, task_id, challenger, self.PARTY.name.lower()))
            self.desk.watch(game_id, task_id, self.PARTY)
            self.on_our_game(game, event)
        elif event.name == "GameResolved":
            self.on_game_resolved(event)
        elif event.name == "GameWithdrawn":
            closed = self.state.games.get(int(event["gameId"]))
            if closed is not None:
                closed.withdraw(bool(event["moot"]))
        elif event.name == "GameQueued":
            self.on_game_queued(event, self.state.games.get(int(event["gameId"])))
        elif event.name == "GameFunded":
            self.on_game_funded(event, self.state.games.get(int(event["gameId"])))

    def record_game(self, game_id: int, task_id: int, challenger: str) -> GameRecord:
        """A game we opened ourselves (before its event arrives): record it and play it."""
        assert self.state is not None and self.desk is not None
        game = self.state.games.setdefault(
            game_id, GameRecord(game_id, task_id, challenger, self.PARTY.name.lower()))
        self.desk.watch(game_id, task_id, self.PARTY)
        return game

    def _play_games(self) -> None:
        assert self.state is not None
        if self.desk is None:
            return
        for outcome in self.desk.tick():
            game = self.state.games.get(outcome.game_id)
            if game is not None:
                if outcome.withdrawn:
                    game.withdraw(outcome.moot)
                else:
                    game.resolve(GameStatus(outcome.view.status), Resolution(outcome.view.resolution))
            if not outcome.withdrawn:  # a withdrawn game credits nothing (its bond is unlocked)
                self.credit_arrived()
            self.on_game_over(outcome, game)
