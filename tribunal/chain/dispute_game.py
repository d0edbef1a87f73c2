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


@dataclass(frozen=True)
class AvailabilityState:
    """`DisputeGame.availabilityState(gameId)`: what an availability challenge names and what was
    delivered (docs/protocol.md, "Availability challenges")."""

    step: int
    slot: int
    producer: int
    num_nodes: int
    first_chunk: int
    num_leaves: int
    mask: int
    delivered: int
    shape_word: bytes
    state_root: bytes
    data_root: bytes
    bond: int
    paid: int
    """Wei of the bond paid so far to those who delivered (their gas at the transaction's gas price)."""

    def _indices(self, mask: int) -> list[int]:
        return [self.first_chunk + i for i in range(256) if mask >> i & 1]

    @property
    def named(self) -> list[int]:
        """The chunk indices the challenge names."""
        return self._indices(self.mask)

    @property
    def missing(self) -> list[int]:
        """The named chunks not delivered yet."""
        return self._indices(self.mask & ~self.delivered)


class DisputeGame(BoundContract):
    """The dispute game (`contracts/src/DisputeGame.sol`); moves come from tribunal.dispute."""

    NAME = "DisputeGame"

    def open(self, task_id: int, challenger_trace_root: bytes) -> tuple[int, Sent]:
        """Opens a game: it runs at once if the operator's collateral for it is there (`GameFunded`
        in the receipt), else it waits in the task's queue (`GameQueued`; see `queued_in`)."""
        sent = self._send("open", task_id, challenger_trace_root, context=f"challenge task {task_id}")
        (event,) = self.events("GameOpened", sent.receipt)
        return int(event["args"]["gameId"]), sent

    def open_availability(self, task_id: int, step: int, slot_proof: tuple[Any, ...], first_chunk: int,
                          mask: int) -> tuple[int, Sent]:
        """Opens an availability challenge on chunks ``first_chunk + i`` (bit i of ``mask``) of a state
        slot of h_``step`` (``slot_proof``: `tribunal.availability.SlotProof.as_abi_tuple`); locks
        ``CHUNK_BOND`` per chunk."""
        sent = self._send("openAvailability", task_id, step, slot_proof, first_chunk, mask,
                          context=f"challenge the availability of task {task_id}'s state after step {step}")
        (event,) = self.events("GameOpened", sent.receipt)
        return int(event["args"]["gameId"]), sent

    def deliver_chunks(self, game_id: int, args: tuple[Any, ...]) -> Sent:
        """Delivers chunks of an availability challenge (``args``:
        `tribunal.availability.Delivery.as_abi_args`)."""
        return self._send("deliverChunks", game_id, *args, context=f"deliver chunks to game {game_id}")

    def availability_state(self, game_id: int) -> AvailabilityState:
        raw = self._call("availabilityState", game_id, context=f"availability game {game_id}")
        words = [bytes(v) if isinstance(v, bytes | bytearray) else int(v) for v in raw]
        return AvailabilityState(*words)  # type: ignore[arg-type]  # the struct's fields, in order

    def delivered_chunks(self, game_id: int, from_block: int = 0) -> dict[int, bytes]:
        """Chunk index -> bytes of every chunk delivered on-chain to availability challenge ``game_id``
        (its `ChunkDelivered` logs; the contract checked each against the committed roots)."""
        logs = with_rpc_retry(lambda: self.contract.events.ChunkDelivered.get_logs(
            from_block=from_block, argument_filters={"gameId": game_id}))
        return {int(log["args"]["chunk"]): bytes(log["args"]["data"]) for log in logs}

    def chunk_bond(self) -> int:
        return int(self._call("CHUNK_BOND"))

    def chunk_leaves(self) -> int:
        """Leaves per chunk (`AvailabilityProofs.CHUNK_LEAVES`; read from the proofs contract)."""
        address = self._call("AVAILABILITY_PROOFS")
        selector = self.client.w3.keccak(text="CHUNK_LEAVES()")[:4]
        raw = with_rpc_retry(lambda: self.client.w3.eth.call({"to": address, "data": selector}))
        return int.from_bytes(bytes(raw), "big")

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
