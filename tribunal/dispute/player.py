"""Play one side of a dispute game on-chain: read the state, send our move, repeat."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from tribunal.chain.client import Sent, TransactionFailed, with_rpc_retry
from tribunal.chain.dispute_game import DisputeGame
from tribunal.chain.errors import ContractRevert
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.moves import Move, next_move
from tribunal.dispute.revealed import RevealedNodes, collect
from tribunal.dispute.state import GameView
from tribunal.protocol_enums import GameStatus, Level, Party

log = logging.getLogger(__name__)

# A proof move either party may send: if the other party sent it first, ours reverts with one
# of these, which only means the game moved on.
RACE_ERRORS = {"WrongLevel", "GameNotActive", "NotOnTurn"}


@dataclass
class MoveRecord:
    party: Party
    function: str
    level: str
    gas_used: int
    tx_hash: str


class Player:
    """One party of one game: ``me`` with its own ``claims``."""

    def __init__(self, game: DisputeGame, game_id: int, me: Party, claims: PartyClaims,
                 from_block: int = 0) -> None:
        self.game = game
        self.from_block = from_block
        """Where event queries start: the deployment's block (some RPCs refuse ranges from 0)."""
        self.game_id = game_id
        self.me = me
        self.claims = claims
        self.moves: list[MoveRecord] = []

    def view(self) -> GameView:
        return GameView.from_tuple(self.game.state(self.game_id))

    def operator_reveals(self, view: GameView) -> RevealedNodes:
        """The operator's revealed children in this game, from the chain's events."""
        if self.me is Party.OPERATOR:
            return {}
        logs = with_rpc_retry(lambda: self.game.contract.events.ChildrenRevealed.get_logs(
            from_block=self.from_block, argument_filters={"gameId": self.game_id, "party": view.operator}))
        return collect((Level(e["args"]["level"]), e["args"]["position"], e["args"]["height"],
                        bytes(e["args"]["left"]), bytes(e["args"]["right"])) for e in logs)

    def act(self) -> bool:
        """Make our move if there is one; True if a transaction was sent."""
        view = self.view()
        needs_proofs = view.level in (Level.SEGMENT, Level.STEP_START, Level.INTERMEDIATES, Level.ONE_STEP)
        revealed = self.operator_reveals(view) if needs_proofs else {}
        move = next_move(view, self.me, self.claims, revealed)
        if move is None:
            return False
        return self._send(view, move) is not None

    def settle(self) -> Sent | None:
        """Settle the game's verdict (anyone may; the winner has the reason to) if it is decided and
        not settled yet; recorded as a move. None if there was nothing to do (already settled, or
        another account settled it first)."""
        view = self.view()
        if not view.status.resolved:
            return None
        sent = self.game.settle_if_due(self.game_id)
        if sent is None:
            return None
        self.moves.append(MoveRecord(self.me, "settle", view.level.name, sent.gas_used, sent.tx_hash))
        log.info("game %d: %s settled the verdict (%s won; gas %d)", self.game_id, self.me.name.lower(),
                 view.status.name.lower(), sent.gas_used)
        return sent

    def _send(self, view: GameView, move: Move) -> Sent | None:
        try:
            sent = self.game.send_move(self.game_id, move.function, move.args[1:])
        except ContractRevert as exc:
            if exc.error_name in RACE_ERRORS:
                log.info("game %d: %s raced (%s)", self.game_id, move.function, exc.error_name)
                return None
            raise
        except TransactionFailed:
            # Estimated fine, reverted when mined: the other party's proof move landed first.
            now = self.view()
            if (now.status, now.level, now.height, now.position) != (view.status, view.level, view.height,
                                                                     view.position):
                log.info("game %d: %s raced (the game moved on before it was mined)", self.game_id,
                         move.function)
                return None
            raise
        self.moves.append(MoveRecord(self.me, move.function, view.level.name, sent.gas_used,
                                     sent.tx_hash))
        log.info("game %d: %s %s at %s (gas %d)", self.game_id, self.me.name.lower(),
                 move.function, view.level.name, sent.gas_used)
        return sent


def winner_first(players: list[Player], view: GameView) -> list[Player]:
    """The players of a decided game, its winner first (who settles it)."""
    winner = Party.OPERATOR if view.status is GameStatus.OPERATOR_WON else Party.CHALLENGER
    return sorted(players, key=lambda p: p.me is not winner)


def play_out(players: list[Player], max_moves: int = 1000, poll_s: float = 0.0) -> GameView:
    """Let the players take turns until the game is resolved, then settle its verdict, the winner
    first (both in one process: tests, demos). Returns the closed game's view."""
    for _ in range(max_moves):
        view = players[0].view()
        if view.closed:
            if view.status.resolved:
                for player in winner_first(players, view):
                    if player.settle() is not None:
                        break
            return view
        if view.queued:
            raise RuntimeError(f"game {players[0].game_id} is queued: nobody can move until it is funded")
        moved = False
        for player in players:
            moved = player.act() or moved
        if not moved:
            if poll_s:
                time.sleep(poll_s)
            else:
                raise RuntimeError(f"nobody can move at level {view.level.name}: {view}")
    raise RuntimeError(f"game not resolved after {max_moves} rounds")
