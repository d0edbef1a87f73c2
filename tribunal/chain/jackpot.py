"""Binding of `contracts/src/Jackpot.sol`: the operators' escrows that pay for caught forced errors
(docs/forced-errors.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tribunal.chain.bound import BoundContract
from tribunal.chain.client import Sent


@dataclass(frozen=True)
class Pot:
    """`Jackpot.Pot`: the latest forced error's pot of a task (``submitted_at == 0``: none)."""

    operator: str
    amount: int
    honest_leaf: bytes
    trace_root: bytes
    submitted_at: int
    seal_ends_at: int
    catch_ends_at: int
    catches: int
    claims: int
    round: int
    closed: bool

    @classmethod
    def from_tuple(cls, raw: tuple[Any, ...]) -> Pot:
        operator, amount, honest, root, submitted, seal_end, catch_end, catches, claims, rnd, closed = raw
        return cls(str(operator), int(amount), bytes(honest), bytes(root), int(submitted), int(seal_end),
                   int(catch_end), int(catches), int(claims), int(rnd), bool(closed))


class Jackpot(BoundContract):
    NAME = "Jackpot"

    def fund_escrow(self, operator: str, wei: int) -> Sent:
        """Add ``wei`` to ``operator``'s escrow (an operator needs a whole pot in it to claim tasks)."""
        return self._send("fundEscrow", operator, value=wei, context="fund the jackpot escrow")

    def withdraw_escrow(self, wei: int) -> Sent:
        return self._send("withdrawEscrow", wei, context="withdraw from the jackpot escrow")

    def escrow_of(self, operator: str) -> int:
        return int(self._call("escrowOf", operator))

    def total_escrow(self) -> int:
        return int(self._call("totalEscrow"))

    def pot_size(self) -> int:
        """`POT`: wei a forced error moves from its operator's escrow into its pot."""
        return int(self._call("POT"))

    def seal(self, seal_hash: bytes) -> Sent:
        return self._send("seal", seal_hash, context="seal a catch")

    def reveal_catch(self, task_id: int, state: bytes, salt: bytes) -> Sent:
        return self._send("revealCatch", task_id, state, salt, context=f"reveal our catch of task {task_id}")

    def claim_jackpot(self, task_id: int) -> Sent:
        return self._send("claimJackpot", task_id, context=f"claim the jackpot of task {task_id}")

    def close_pot(self, task_id: int) -> Sent:
        return self._send("closePot", task_id, context=f"close the pot of task {task_id}")

    def withdraw(self) -> Sent:
        return self._send("withdraw", context="withdraw jackpot credits")

    def credits(self, account: str) -> int:
        return int(self._call("credits", account))

    def pot(self, task_id: int) -> Pot:
        return Pot.from_tuple(tuple(self._call("potOf", task_id, context=f"pot of task {task_id}")))

    def catch_of(self, task_id: int, catcher: str) -> int:
        """1: ``catcher`` caught the task's latest forced error; 2: and claimed its share; 0: neither."""
        return int(self._call("catchOf", task_id, catcher))

    def seal_of(self, seal_hash: bytes, catcher: str) -> tuple[str, int]:
        """``(catcher, sealed_at)`` if ``catcher`` posted the seal (and has not revealed it), else the
        zero address and 0: seals are each catcher's own."""
        sealed_at = int(self._call("sealOf", catcher, seal_hash))
        return (catcher if sealed_at else "0x" + "00" * 20), sealed_at

    def reserved_of(self, operator: str) -> int:
        """Wei of ``operator``'s escrow its claimed tasks reserve (one pot each)."""
        return int(self._call("reservedOf", operator))

    def burned(self) -> int:
        """Wei of caught pots' unpaid rests, burned."""
        return int(self._call("burned"))

    def share_of(self, amount: int, catches: int) -> int:
        return int(self._call("shareOf", amount, catches))
