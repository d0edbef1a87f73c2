"""Binding of `contracts/src/Jackpot.sol`: the operators' escrows that pay for caught forced errors
(docs/forced-errors.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tribunal.chain.bound import BoundContract
from tribunal.chain.client import Sent

CAUGHT = 1
"""`Jackpot.catchOf`: a revealed catch that named the honest leaf (paid if the honest root stands)."""
CLAIMED = 2
"""`Jackpot.catchOf`: a catch whose share was claimed."""
MISSED = 3
"""`Jackpot.catchOf`: a revealed catch that named another state (paid only if the result is voided)."""


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
    committee_block: int
    committee_epoch: int
    committee_members: int
    committee_seed: bytes
    catches: int
    misses: int
    claims: int
    round: int
    closed: bool

    @classmethod
    def from_tuple(cls, raw: tuple[Any, ...]) -> Pot:
        (operator, amount, honest, root, submitted, seal_end, catch_end, c_block, c_epoch, c_members,
         c_seed, catches, misses, claims, rnd, closed) = raw
        return cls(str(operator), int(amount), bytes(honest), bytes(root), int(submitted), int(seal_end),
                   int(catch_end), int(c_block), int(c_epoch), int(c_members), bytes(c_seed), int(catches),
                   int(misses), int(claims), int(rnd), bool(closed))


@dataclass(frozen=True)
class CommitteeDraw:
    """`Jackpot.CommitteeDraw`: what a task's latest result's committee is drawn from: the registry
    as of ``epoch``, when it had ``members`` members (``submit_block == 0``: no result yet; ``seed``
    empty until someone called `assign`)."""

    submit_block: int
    epoch: int
    members: int
    seed: bytes

    @classmethod
    def from_tuple(cls, raw: tuple[Any, ...]) -> CommitteeDraw:
        block, epoch, members, seed = raw
        return cls(int(block), int(epoch), int(members), bytes(seed))


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
        """``catcher``'s catch of the task's latest forced error: 0 none, 1 revealed naming the honest
        leaf (`CAUGHT`), 2 claimed, 3 revealed naming another state (`MISSED`: paid only if the
        result is voided)."""
        return int(self._call("catchOf", task_id, catcher))

    def seal_of(self, seal_hash: bytes, catcher: str) -> tuple[str, int]:
        """``(catcher, sealed_at)`` if ``catcher`` posted the seal (and has not revealed it), else the
        zero address and 0: seals are each catcher's own."""
        sealed_at = int(self._call("sealOf", catcher, seal_hash))
        return (catcher if sealed_at else "0x" + "00" * 20), sealed_at

    def reserved_of(self, operator: str) -> int:
        """Wei of ``operator``'s escrow its claimed tasks reserve (one pot each)."""
        return int(self._call("reservedOf", operator))

    def share(self) -> int:
        """`POT / COMMITTEE_SIZE`: what each committee member that caught a forced error is paid."""
        return int(self._call("share"))

    # ---------------------------------------------------------------- verifier registry

    def verifier_bond(self) -> int:
        """`VERIFIER_BOND`: wei a verifier bonds to join the registry committees are drawn from."""
        return int(self._call("VERIFIER_BOND"))

    def committee_size(self) -> int:
        return int(self._call("COMMITTEE_SIZE"))

    def register(self) -> Sent:
        """Join the verifier registry, bonding `VERIFIER_BOND` (returned by `exit`)."""
        return self._send("register", value=self.verifier_bond(), context="join the verifier registry")

    def exit(self) -> Sent:
        """Leave the registry; the bond becomes a credit (`withdraw`)."""
        return self._send("exit", context="leave the verifier registry")

    def is_member(self, account: str) -> bool:
        return int(self._call("memberIndexOf", account)) != 0

    def total_bonded(self) -> int:
        return int(self._call("totalBonded"))

    def member_count(self) -> int:
        """Members now (they hold registry slots 0..count-1)."""
        return int(self._call("memberCount"))

    def registry_epoch(self) -> int:
        """Registry changes so far (each join and exit is one epoch)."""
        return int(self._call("registryEpoch"))

    def occupant_at(self, slot: int, epoch: int) -> str:
        """Who held registry slot ``slot`` as of ``epoch`` (the zero address: nobody yet)."""
        return str(self._call("occupantAt", slot, epoch))

    def draw_committee(self, task_id: int, seed: bytes, epoch: int, count: int) -> list[str]:
        """`Jackpot.drawCommittee`: the committee a seed draws from the registry as of ``epoch``."""
        return [str(a) for a in self._call("drawCommittee", task_id, seed, epoch, count)]

    def owed_to_catchers(self) -> int:
        """Wei owed to catches of earlier pots of re-forced tasks."""
        return int(self._call("owedToCatchers"))

    def claim_earlier_catch(self, task_id: int, round_: int) -> Sent:
        """Claim our share of pot ``round_`` of ``task_id``, voided and forced again before we claimed."""
        return self._send("claimEarlierCatch", task_id, round_,
                          context=f"claim our catch of round {round_} of task {task_id}")

    def assign(self, task_id: int) -> Sent:
        """Draw (store) the committee of task ``task_id``'s latest result; possible from the block
        after its submission and for 256 blocks."""
        return self._send("assign", task_id, context=f"draw the committee of task {task_id}")

    def committee_draw(self, task_id: int) -> CommitteeDraw:
        return CommitteeDraw.from_tuple(tuple(self._call("committeeDrawOf", task_id)))

    def committee_of(self, task_id: int) -> list[str]:
        """The committee of the latest result of ``task_id`` (empty before its block is mined, or
        for ever if nobody drew it within 256 blocks)."""
        return [str(a) for a in self._call("committeeOf", task_id, context=f"committee of task {task_id}")]

    def is_assigned(self, task_id: int, account: str) -> bool:
        return bool(self._call("isAssigned", task_id, account))
