"""Binding of `contracts/src/DisputeGame.sol`; the moves it takes come from `tribunal.dispute`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tribunal.chain.bound import BoundContract
from tribunal.chain.client import Sent, with_rpc_retry
from tribunal.chain.errors import ContractRevert
from tribunal.protocol_enums import TaskStakeState


@dataclass(frozen=True)
class TaskDisputes:
    """`DisputeGame.taskDisputes(taskId)`: the games on a task's current result, as far as
    collateral goes."""

    task_stake: TaskStakeState
    holder: int
    """The game holding the task's stake (0 unless `task_stake` is HELD)."""
    voided: bool
    open_games: int
    """Games active or queued on the result."""
    queued_games: int
    queue_head: int
    queue_tail: int


class DisputeGame(BoundContract):
    """The dispute game (`contracts/src/DisputeGame.sol`); moves come from tribunal.dispute."""

    NAME = "DisputeGame"

    def open(self, task_id: int, challenger_trace_root: bytes) -> tuple[int, Sent]:
        """Opens a game: it runs at once if the operator's collateral for it is there (`GameFunded`
        in the receipt), else it waits in the task's queue (`GameQueued`; see `queued_in`)."""
        sent = self._send("open", task_id, challenger_trace_root, context=f"challenge task {task_id}")
        (event,) = self.events("GameOpened", sent.receipt)
        return int(event["args"]["gameId"]), sent

    def queued_in(self, sent: Sent) -> int | None:
        """The queue position a transaction left a game at (`GameQueued`), or None if it ran at once."""
        queued = self.events("GameQueued", sent.receipt)
        return int(queued[0]["args"]["position"]) if queued else None

    def advance_queue(self, task_id: int) -> Sent:
        """Funds the games at the head of the task's queue that the operator's stake can back now,
        and closes those that are moot (the result was voided and nothing can back them), bond back."""
        return self._send("advanceQueue", task_id, context=f"advance the game queue of task {task_id}")

    def withdraw_queued(self, game_id: int) -> Sent:
        """The challenger takes its queued game back (bond unlocked): only while it is queued."""
        return self._send("withdrawQueued", game_id, context=f"withdraw queued game {game_id}")

    def task_disputes(self, task_id: int) -> TaskDisputes:
        stake, holder, voided, open_games, queued, head, tail = self._call(
            "taskDisputes", task_id, context=f"games of task {task_id}")
        return TaskDisputes(TaskStakeState(stake), int(holder), bool(voided), int(open_games), int(queued),
                            int(head), int(tail))

    def queued_game_at(self, task_id: int, position: int) -> int:
        return int(self._call("queuedGameAt", task_id, position))

    def withdrawal(self, game_id: int, from_block: int = 0) -> bool | None:
        """Whether the game was closed as moot (True) or withdrawn by its challenger (False), from its
        `GameWithdrawn` event; None if it has none."""
        logs = with_rpc_retry(lambda: self.contract.events.GameWithdrawn.get_logs(
            from_block=from_block, argument_filters={"gameId": game_id}))
        return bool(logs[-1]["args"]["moot"]) if logs else None

    def state(self, game_id: int) -> Any:
        """The raw `GameView` tuple; `tribunal.dispute.state.GameView.from_tuple` types it."""
        return self._call("gameState", game_id, context=f"game {game_id}")

    def send_move(self, game_id: int, function: str, args: tuple[Any, ...]) -> Sent:
        return self._send(function, game_id, *args, context=f"game {game_id} {function}")

    def claim_timeout(self, game_id: int) -> Sent:
        """Decides the game against the party whose clock ran out and settles it (one transaction)."""
        return self._send("claimTimeout", game_id, context=f"game {game_id} timeout")

    def settle(self, game_id: int) -> Sent:
        """Carries out a decided game's verdict (`GameSettled`): the slash and the winner's credit, the
        bond and collateral released, the market told, the task's queue advanced. Anyone may send it,
        once; it reverts `NotDecided` before the verdict and `AlreadySettled` after a settlement."""
        return self._send("settle", game_id, context=f"settle game {game_id}")

    def is_settled(self, game_id: int) -> bool:
        """Whether the game's verdict was settled (`settle`, or `claimTimeout`)."""
        return bool(self._call("isSettled", game_id, context=f"game {game_id} settled"))

    def settle_if_due(self, game_id: int) -> Sent | None:
        """Settles the game if it is decided and not yet settled; None if there was nothing to do
        (someone else settled it first, or it is not decided)."""
        if self.is_settled(game_id):
            return None
        try:
            return self.settle(game_id)
        except ContractRevert as exc:
            if exc.error_name in ("AlreadySettled", "NotDecided"):
                return None
            raise

    def game_count(self) -> int:
        return int(self._call("gameCount"))

    def challenger_bond(self) -> int:
        return int(self._call("CHALLENGER_BOND"))

    def max_clock(self) -> int:
        return int(self._call("MAX_CLOCK"))
