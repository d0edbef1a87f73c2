"""The dispute desk: plays every game involving one address until it is resolved.

An agent (worker or verifier) feeds it the games it learns of from `GameOpened` events
(`watch`) and calls `tick` from its loop: for each active game the desk makes every move that
is ours to make now (reveals on our turn, proof moves whenever the game is at one), and claims
the win when the other party's chess clock has run out. A queued game (waiting for the operator's
collateral: no clock runs, no move is accepted) is only watched until it is funded and becomes
active, or is withdrawn (by its challenger, or closed as moot), which ends it like a resolution.
A decided game (the verdict recorded by `oneStep`, a descent's padding or h_0 leaf) moves no money
until someone calls `settle`: the winner's desk settles it at once; the loser's desk settles it one
tick later if nobody has (so a verdict is never left unsettled while either party runs). A game
ends for the desk only once it is settled (`claimTimeout` settles as it decides), so the outcome's
credits have arrived.
An availability challenge (a game at level AVAILABILITY: the challenger named chunks of a state
tensor of the result) has no descent and no claims: the operator's desk delivers the named chunks
on-chain with their proofs (``deliveries_for(task_id, state)``: the agent builds them from its own
checkpoint), the challenger's desk claims the timeout once the operator's clock has run out.
Claims come from the agent (``claims_for(task_id, party)``): a worker's own checkpointed run, a
verifier's recomputation.
Moves are pure functions of the on-chain state and the claims, so a restarted desk simply
picks up where the chain is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from tribunal.availability import Delivery
from tribunal.chain.dispute_game import AvailabilityState, DisputeGame
from tribunal.chain.errors import ContractRevert
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.clock import ChessClock
from tribunal.dispute.player import Player
from tribunal.dispute.state import GameView
from tribunal.protocol_enums import GameStatus, Level, Party
from tribunal.task_fetch import SpecUnavailable

log = logging.getLogger(__name__)

ClaimsFor = Callable[[int, Party], PartyClaims | None]
"""``claims_for(task_id, party)``: our claims for the task, or None if we have none (yet)."""

DeliveriesFor = Callable[[int, AvailabilityState], Delivery | None]
"""``deliveries_for(task_id, state)``: the chunks of an availability challenge on our result that are
still missing (``state.missing``), with their proofs, or None if we cannot build them."""

MAX_CHUNKS_PER_TX = 16
"""Chunks per `deliverChunks` transaction (16 chunks of 64 leaves are 32 KiB of calldata, ~1.3M gas)."""

OnQueued = Callable[[int, int, GameView], None]
"""``on_queued(game_id, task_id, view)``: called each tick for a game of ours that is still queued."""


@dataclass
class Watched:
    game_id: int
    task_id: int
    party: Party
    player: Player | None = None
    moves: int = 0
    decided_ticks: int = 0
    """Ticks that saw the game decided and not yet settled (the loser waits one for the winner)."""


@dataclass(frozen=True)
class GameOutcome:
    """A game of ours that ended: resolved (``won`` says for whom), or withdrawn while queued
    (``won`` is False, ``moot`` says whether the chain closed it as moot rather than its challenger)."""

    game_id: int
    task_id: int
    party: Party
    won: bool
    view: GameView
    moot: bool = False

    @property
    def withdrawn(self) -> bool:
        return self.view.status is GameStatus.WITHDRAWN

    @property
    def word(self) -> str:
        """"won", "lost", "moot" or "withdrawn"."""
        if self.withdrawn:
            return "moot" if self.moot else "withdrawn"
        return "won" if self.won else "lost"


@dataclass
class DisputeDesk:
    """Every active game of ``address`` on ``game``; ``now()`` is the chain's time."""

    game: DisputeGame
    address: str
    claims_for: ClaimsFor
    now: Callable[[], int]
    max_moves_per_tick: int = 64
    games: dict[int, Watched] = field(default_factory=dict)
    from_block: int = 0
    """No game predates this block (the deployment's): where the players' event queries start."""
    on_queued: OnQueued | None = None
    """What the agent does about a game of ours that waits in its task's queue (None: nothing)."""
    deliveries_for: DeliveriesFor | None = None
    """How the operator's desk answers availability challenges (None: it does not)."""
    _max_clock: int | None = field(default=None, init=False, repr=False)

    def max_clock(self) -> int:
        """The game's `MAX_CLOCK` (an immutable: read once)."""
        if self._max_clock is None:
            self._max_clock = self.game.max_clock()
        return self._max_clock

    def party_in(self, challenger: str, operator: str) -> Party | None:
        me = self.address.lower()
        if challenger.lower() == me:
            return Party.CHALLENGER
        if operator.lower() == me:
            return Party.OPERATOR
        return None

    def watch(self, game_id: int, task_id: int, party: Party) -> None:
        if game_id not in self.games:
            self.games[game_id] = Watched(game_id, task_id, party)
            log.info("dispute game %d on task %d: we play the %s", game_id, task_id, party.name.lower(),
                     extra={"event": "game_watched", "game_id": game_id, "task_id": task_id,
                            "party": party.name.lower()})

    def tick(self) -> list[GameOutcome]:
        """Move in every game where we can; returns the games that ended (and forgets them)."""
        ended: list[GameOutcome] = []
        for watched in list(self.games.values()):
            outcome = self._tick_one(watched)
            if outcome is not None:
                ended.append(outcome)
                del self.games[watched.game_id]
        return ended

    def _tick_one(self, watched: Watched) -> GameOutcome | None:
        view = GameView.from_tuple(self.game.state(watched.game_id))
        if view.queued:  # no clock runs and no move is accepted until the game is funded
            if self.on_queued is not None:
                self.on_queued(watched.game_id, watched.task_id, view)
            return None
        if view.level is Level.AVAILABILITY:
            if view.active:
                view = self._availability(watched, view)
        elif view.active and watched.player is None:
            try:
                claims = self.claims_for(watched.task_id, watched.party)
            except SpecUnavailable as exc:
                # the artifact store is down or slow: this game waits, the others and the rest of the
                # agent's tick go on (raised, it skipped them and backed the whole agent off up to a
                # minute: in bench/chaos.py a verifier slept through challenge windows that way)
                log.warning("game %d: cannot move yet (%s); retrying next tick", watched.game_id, exc)
                return None
            if claims is None:
                log.warning("game %d: no claims for task %d yet; cannot move", watched.game_id,
                            watched.task_id)
                return None
            watched.player = Player(self.game, watched.game_id, watched.party, claims,
                                    from_block=self.from_block)
        if view.active and watched.player is not None and view.level is not Level.AVAILABILITY:
            view = self._play(watched, view)
        if not view.closed:
            return None
        if view.status.resolved and not self._settled(watched, view):
            return None
        if view.status is GameStatus.WITHDRAWN:
            moot = bool(self.game.withdrawal(watched.game_id, self.from_block))
            log.info("dispute game %d on task %d %s while queued (bond returned)", watched.game_id,
                     watched.task_id, "closed as moot" if moot else "withdrawn",
                     extra={"event": "game_withdrawn", "game_id": watched.game_id, "task_id": watched.task_id,
                            "moot": moot})
            return GameOutcome(watched.game_id, watched.task_id, watched.party, False, view, moot)
        won = (view.status is GameStatus.OPERATOR_WON) == (watched.party is Party.OPERATOR)
        log.info("dispute game %d on task %d %s (%s at %s)", watched.game_id, watched.task_id,
                 "won" if won else "LOST", view.resolution.name.lower(), view.level.name,
                 extra={"event": "game_resolved", "game_id": watched.game_id, "task_id": watched.task_id,
                        "won": won, "resolution": view.resolution.name.lower()})
        return GameOutcome(watched.game_id, watched.task_id, watched.party, won, view)

    def _settled(self, watched: Watched, view: GameView) -> bool:
        """Whether the decided game is settled, settling it if it is ours to: at once if we won, on
        the next tick if we lost and the winner has not."""
        if self.game.is_settled(watched.game_id):
            return True
        won = (view.status is GameStatus.OPERATOR_WON) == (watched.party is Party.OPERATOR)
        watched.decided_ticks += 1
        if not won and watched.decided_ticks < 2:
            return False
        sent = self.game.settle_if_due(watched.game_id)
        if sent is not None:
            log.info("game %d: settled the verdict (%s; gas %d)", watched.game_id,
                     "we won" if won else "the winner had not", sent.gas_used,
                     extra={"event": "game_settled", "game_id": watched.game_id, "task_id": watched.task_id})
            return True
        return self.game.is_settled(watched.game_id)

    def _availability(self, watched: Watched, view: GameView) -> GameView:
        """An availability challenge: the operator delivers what is missing while its clock is live;
        whoever finds the operator's clock run out claims the timeout."""
        game_id = watched.game_id
        live = ChessClock.of(view).is_live(self.now(), self.max_clock())
        if watched.party is Party.OPERATOR and live and self.deliveries_for is not None:
            state = self.game.availability_state(game_id)
            delivery = self.deliveries_for(watched.task_id, state) if state.missing else None
            if delivery is not None:
                self._deliver(watched, state, delivery)
        elif not live:
            try:
                self.game.claim_timeout(game_id)
                log.info("availability game %d: the operator's clock ran out; claimed the timeout", game_id,
                         extra={"event": "availability_timeout", "game_id": game_id,
                                "task_id": watched.task_id})
            except ContractRevert as exc:
                if exc.error_name not in ("ClockNotExpired", "GameNotActive"):
                    raise
        return GameView.from_tuple(self.game.state(game_id))

    def _deliver(self, watched: Watched, state: AvailabilityState, delivery: Delivery) -> None:
        """Sends the delivery's chunks, MAX_CHUNKS_PER_TX per transaction (the first carries the data
        root's proofs; the contract ignores them afterwards)."""
        chunks = delivery.chunks
        for start in range(0, len(chunks), MAX_CHUNKS_PER_TX):
            part = delivery.part(chunks[start:start + MAX_CHUNKS_PER_TX])
            sent = self.game.deliver_chunks(watched.game_id, part.as_abi_args())
            watched.moves += 1
            sent_chunks = [c.chunk for c in part.chunks]
            log.info("availability game %d on task %d: delivered chunk(s) %s of slot %d after step %d "
                     "on-chain (gas %d)", watched.game_id, watched.task_id, sent_chunks, state.slot,
                     state.step, sent.gas_used,
                     extra={"event": "chunks_delivered", "game_id": watched.game_id,
                            "task_id": watched.task_id, "chunks": sent_chunks, "gas": sent.gas_used})

    def _play(self, watched: Watched, view: GameView) -> GameView:
        assert watched.player is not None
        for _ in range(self.max_moves_per_tick):
            if not watched.player.act():
                break
            watched.moves += 1
        view = watched.player.view()
        if (view.active and view.on_turn is not watched.party
                and not ChessClock.of(view).is_live(self.now(), self.max_clock())):
            try:
                self.game.claim_timeout(watched.game_id)
                log.info("game %d: the other party's clock ran out; claimed the win", watched.game_id)
            except ContractRevert as exc:
                if exc.error_name not in ("ClockNotExpired", "GameNotActive"):
                    raise
            view = watched.player.view()
        return view
