"""Binding of `contracts/src/DisputeGame.sol`; the moves it takes come from `tribunal.dispute`."""

from __future__ import annotations

from typing import Any

from tribunal.chain.bound import BoundContract
from tribunal.chain.client import Sent


class DisputeGame(BoundContract):
    """The dispute game (`contracts/src/DisputeGame.sol`); moves come from tribunal.dispute."""

    NAME = "DisputeGame"

    def open(self, task_id: int, challenger_trace_root: bytes) -> tuple[int, Sent]:
        sent = self._send("open", task_id, challenger_trace_root, context=f"challenge task {task_id}")
        (event,) = self.events("GameOpened", sent.receipt)
        return int(event["args"]["gameId"]), sent

    def state(self, game_id: int) -> Any:
        """The raw `GameView` tuple; `tribunal.dispute.state.GameView.from_tuple` types it."""
        return self._call("gameState", game_id, context=f"game {game_id}")

    def send_move(self, game_id: int, function: str, args: tuple[Any, ...]) -> Sent:
        return self._send(function, game_id, *args, context=f"game {game_id} {function}")

    def claim_timeout(self, game_id: int) -> Sent:
        return self._send("claimTimeout", game_id, context=f"game {game_id} timeout")

    def game_count(self) -> int:
        return int(self._call("gameCount"))

    def challenger_bond(self) -> int:
        return int(self._call("CHALLENGER_BOND"))

    def max_clock(self) -> int:
        return int(self._call("MAX_CLOCK"))
