"""Forced errors (docs/forced-errors.md): the draw, the forced checkpoint, and sealed catches.

The operator commits ``keccak256(secret)`` (`TaskMarket.commitDraw`); the hash of the block that
commit lands in is the seed. :func:`draw` decides, exactly as `TaskMarket.forcedDraw`, whether the
result must be a forced error and which interior committed state ``h_L`` it changes. A forced
result is the honest one with the checkpoint at ``L`` perturbed in one bit (:func:`force_checkpoint`)
and its ``h_L'`` in place of ``h_L`` in the trace and in every later checkpoint's list of state
commitments (:func:`with_commitment`). A verifier that replays the interval ending at ``L`` seals
its own ``h_L`` (:func:`seal_hash`) and reveals it once the operator reveals the forced error.

Only the result's committee may catch: `Jackpot.COMMITTEE_SIZE` members of the bonded verifier
registry, drawn from the hash of the block the result was submitted in among the registry's slots
as of its registry epoch then (:class:`SlotRegistry`, :func:`draw_committee`, exactly as
`Jackpot.drawCommittee`). Each member that caught the error is paid ``POT / size``
(:func:`committee_share`); what the committee did not catch returns to the operator's escrow.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from tribunal.checkpoints import Checkpoint
from tribunal.commitments import final_state_proof, state_commitment, tensor_root, trace_proof, trace_root
from tribunal.graph import StepGraph
from tribunal.merkle import keccak256

PPM: Final[int] = 1_000_000
"""`TaskMarket.PPM`: the unit of the forced-error probability."""

MAX_COMMITTEE_SIZE: Final[int] = 8
"""`Jackpot.MAX_COMMITTEE_SIZE`: the largest committee a deployment may ask for."""

DRAWS_PER_SEAT: Final[int] = 8
"""`Jackpot.DRAWS_PER_SEAT`: candidates drawn per seat before the draw gives up on a seat."""


@dataclass(frozen=True)
class ForcedDraw:
    """The outcome of a draw: whether the result is forced, and its forced leaf ``L`` (0 if not)."""

    forced: bool
    leaf: int


def new_secret() -> bytes:
    """32 random bytes: the operator's secret for one draw, or a verifier's salt for one seal."""
    return os.urandom(32)


def secret_hash(secret: bytes) -> bytes:
    """What `commitDraw` takes: ``keccak256(abi.encode(secret))`` (= keccak256 of the 32 bytes)."""
    _check_word(secret, "secret")
    return keccak256(secret)


def draw(secret: bytes, seed: bytes, task_id: int, steps: int, every: int, ppm: int) -> ForcedDraw:
    """`TaskMarket.forcedDraw`: ``r = keccak256(abi.encode(secret, seed, taskId))``; the result is
    forced iff some committed step lies strictly between 0 and S and ``r % 1e6 < ppm``; then
    ``L = every * (1 + (r / 1e6) % interior)``."""
    _check_word(secret, "secret")
    _check_word(seed, "seed")
    if every <= 0 or steps <= 0:
        return ForcedDraw(False, 0)
    interior = (steps - 1) // every
    r = int.from_bytes(keccak256(secret + seed + task_id.to_bytes(32, "big")), "big")
    forced = interior > 0 and r % PPM < ppm
    return ForcedDraw(forced, every * (1 + (r // PPM) % interior) if forced else 0)


def seal_hash(task_id: int, state: bytes, catcher: str, salt: bytes) -> bytes:
    """`Jackpot.sealHashOf`: ``keccak256(abi.encode(taskId, state, catcher, salt))``."""
    _check_word(state, "state")
    _check_word(salt, "salt")
    address = bytes.fromhex(catcher.removeprefix("0x"))
    if len(address) != 20:
        raise ValueError(f"catcher {catcher!r} is not a 20-byte address")
    return keccak256(task_id.to_bytes(32, "big") + state + bytes(12) + address + salt)


@dataclass(frozen=True)
class Occupant:
    """`Jackpot.Occupant`: ``account`` holds its registry slot from registry epoch ``from_epoch`` on."""

    from_epoch: int
    account: str


class SlotRegistry:
    """The verifier registry as `Jackpot` keeps it (`register`, `exit`, `occupantAt`).

    Members hold slots ``0..member_count-1``. Every join and exit is one registry epoch: a join takes
    slot ``member_count`` (``epoch += 1``, then that slot's history gets ``(epoch, account)``); an
    exit (``epoch += 1``) frees its slot and, unless it was the last slot, moves the last slot's
    member into it (the freed slot's history gets ``(epoch, moved)``; the last slot's history is
    left as it is: no draw as of a later epoch reaches it). A committee is drawn from the slots as
    of the epoch of its result's submission (:meth:`slots_at`), so later joins and exits change no
    committee. Accounts are compared case-insensitively and returned as given to :meth:`join`."""

    def __init__(self) -> None:
        self.epoch = 0
        """`Jackpot.registryEpoch`: joins and exits so far."""
        self.histories: list[list[Occupant]] = []
        """Each slot's occupants, oldest first (`Jackpot.slotHistoryOf`)."""
        self._slot_of: dict[str, int] = {}
        self._counts = [0]  # members as of each epoch

    @property
    def member_count(self) -> int:
        """`Jackpot.memberCount`: members now."""
        return self._counts[-1]

    def slot_of(self, account: str) -> int | None:
        """``account``'s slot now (None: not a member)."""
        return self._slot_of.get(account.lower())

    def join(self, account: str) -> int:
        """`register`: ``account`` takes slot ``member_count``; returns it."""
        key = account.lower()
        if key in self._slot_of:
            raise ValueError(f"{account} is already a member")
        self.epoch += 1
        slot = self.member_count
        if slot == len(self.histories):
            self.histories.append([])
        self.histories[slot].append(Occupant(self.epoch, account))
        self._slot_of[key] = slot
        self._counts.append(slot + 1)
        return slot

    def exit(self, account: str) -> tuple[int, str | None]:
        """`exit`: returns ``account``'s slot and the member moved into it from the last slot (None
        if ``account`` held the last slot)."""
        key = account.lower()
        slot = self._slot_of.pop(key, None)
        if slot is None:
            raise ValueError(f"{account} is not a member")
        self.epoch += 1
        last = self.member_count - 1
        self._counts.append(last)
        moved = None
        if slot != last:
            moved = self.histories[last][-1].account
            self.histories[slot].append(Occupant(self.epoch, moved))
            self._slot_of[moved.lower()] = slot
        return slot, moved

    def members_at(self, epoch: int) -> int:
        """How many members the registry had as of ``epoch`` (what `onSubmitted` records)."""
        self._check_epoch(epoch)
        return self._counts[epoch]

    def occupant_at(self, slot: int, epoch: int) -> str | None:
        """`Jackpot.occupantAt`: the last occupant of ``slot`` from an epoch at or before ``epoch``
        (None where the contract returns the zero address: nobody yet). Like the contract, it does
        not check that the slot was below the member count then."""
        if slot < 0 or epoch < 0:
            raise ValueError(f"slot {slot} and epoch {epoch} must not be negative")
        history = self.histories[slot] if slot < len(self.histories) else []
        found = None
        for occupant in history:
            if occupant.from_epoch > epoch:
                break
            found = occupant.account
        return found

    def slots_at(self, epoch: int) -> list[str]:
        """The members of slots ``0..count-1`` as of ``epoch`` (``count`` = :meth:`members_at`): what
        a draw as of ``epoch`` picks from (:func:`draw_committee`)."""
        slots = []
        for slot in range(self.members_at(epoch)):
            account = self.occupant_at(slot, epoch)
            assert account is not None, "slots below the member count are held"
            slots.append(account)
        return slots

    def committee(self, seed: bytes, task_id: int, epoch: int, size: int) -> list[str]:
        """`Jackpot.drawCommittee(taskId, seed, epoch, members_at(epoch))`."""
        return draw_committee(seed, task_id, self.slots_at(epoch), size)

    def _check_epoch(self, epoch: int) -> None:
        if not 0 <= epoch <= self.epoch:
            raise ValueError(f"epoch {epoch} is not 0..{self.epoch}")


def draw_committee(seed: bytes, task_id: int, slots: Sequence[str | None], size: int) -> list[str]:
    """`Jackpot.drawCommittee`: the committee of task ``task_id``'s result whose submit block's hash
    is ``seed``. ``slots`` are the occupants of registry slots ``0..count-1`` as of the epoch the
    result was submitted in (:meth:`SlotRegistry.slots_at`). Candidate ``j`` is the occupant of slot
    ``keccak256(abi.encode(seed, taskId, j)) % count``, for ``j < size * DRAWS_PER_SEAT`` while fewer
    than ``size`` are chosen; an empty slot (None or the zero address: never, for a real draw) and an
    account already chosen are skipped. A zero seed or an empty registry draws nobody."""
    _check_word(seed, "seed")
    if not 1 <= size <= MAX_COMMITTEE_SIZE:
        raise ValueError(f"committee size {size} must be 1..{MAX_COMMITTEE_SIZE}")
    count = len(slots)
    if count == 0 or seed == bytes(32):
        return []
    chosen: list[str] = []
    seen: set[str] = set()
    for j in range(size * DRAWS_PER_SEAT):
        if len(chosen) == size:
            break
        r = int.from_bytes(keccak256(seed + task_id.to_bytes(32, "big") + j.to_bytes(32, "big")), "big")
        account = slots[r % count]
        if account is None or int(account, 16) == 0:
            continue
        key = account.lower()
        if key not in seen:
            seen.add(key)
            chosen.append(account)
    return chosen


def committee_share(pot: int, size: int) -> int:
    """`Jackpot.share`: what each committee member that caught a forced error is paid, ``pot // size``
    (however many caught it; the shares of members that did not return to the operator's escrow)."""
    if not 1 <= size <= MAX_COMMITTEE_SIZE:
        raise ValueError(f"committee size {size} must be 1..{MAX_COMMITTEE_SIZE}")
    return pot // size


@dataclass(frozen=True)
class Perturbation:
    """Which element of which state slot a forced checkpoint changes (its lowest mantissa bit)."""

    slot: int
    element: int


def perturbation(secret: bytes, checkpoint: Checkpoint) -> Perturbation:
    """The element to flip, chosen from ``keccak256(secret ‖ "perturb")`` among the non-empty slots."""
    _check_word(secret, "secret")
    sizes = [int(a.size) for a in checkpoint.state]
    candidates = [i for i, n in enumerate(sizes) if n > 0]
    if not candidates:
        raise ValueError("the checkpoint holds no state element to perturb")
    r = int.from_bytes(keccak256(secret + b"perturb"), "big")
    slot = candidates[r % len(candidates)]
    return Perturbation(slot, (r >> 64) % sizes[slot])


def force_checkpoint(checkpoint: Checkpoint, graph: StepGraph, secret: bytes) -> Checkpoint:
    """The forced checkpoint at ``L``: the honest state with one element's lowest bit flipped, its
    producer's leaf and ``h_L`` recomputed, so that it is consistent (`Checkpoint.check_against`)."""
    if checkpoint.step == 0 or not checkpoint.leaves:
        raise ValueError("a forced error changes an interior committed state, not h_0")
    where = perturbation(secret, checkpoint)
    state = [np.array(a, dtype=np.float32, copy=True) for a in checkpoint.state]
    flat = state[where.slot].reshape(-1).view(np.uint32)
    flat[where.element] ^= np.uint32(1)
    leaves = list(checkpoint.leaves)
    leaves[graph.slots[where.slot].producer] = tensor_root(state[where.slot])
    h_forced = state_commitment(leaves)
    commitments = list(checkpoint.state_commitments)
    commitments[-1] = h_forced
    return replace(checkpoint, state=tuple(state), leaves=tuple(leaves), state_commitments=tuple(commitments))


def with_commitment(checkpoint: Checkpoint, step: int, commitment: bytes) -> Checkpoint:
    """A later checkpoint whose list of state commitments names ``commitment`` as ``h_step``."""
    if not 0 <= step < len(checkpoint.state_commitments):
        raise ValueError(f"checkpoint after {checkpoint.step} steps lists no h_{step}")
    commitments = list(checkpoint.state_commitments)
    commitments[step] = commitment
    return replace(checkpoint, state_commitments=tuple(commitments))


def forced_trace(trace: Sequence[bytes], leaf: int, forced_leaf: bytes) -> list[bytes]:
    """The honest trace ``h_0..h_S`` with ``h_L`` replaced."""
    if not 0 < leaf < len(trace) - 1:
        raise ValueError(f"leaf {leaf} is not an interior leaf of a {len(trace)}-leaf trace")
    forced = list(trace)
    forced[leaf] = forced_leaf
    return forced


@dataclass(frozen=True)
class ForcedResult:
    """What an operator publishes for a forced draw (:func:`forge_result`), and what it reveals."""

    leaf: int
    """The forced leaf ``L``."""
    honest_leaf: bytes
    """The honest ``h_L`` (revealed by `revealForcedError`)."""
    forced_leaf: bytes
    """``h_L'``: leaf ``L`` of the forced trace."""
    checkpoints: dict[int, Checkpoint]
    """The forced checkpoints: the perturbed one at ``L`` and every later one (the model among them)
    re-made to list ``h_L'``; the honest checkpoints before ``L`` stand as they are."""
    trace: list[bytes]
    """The forced trace ``h_0..h_S`` (the honest one with ``h_L'`` at ``L``)."""
    leaf_proof: list[bytes]
    """The siblings of leaf ``L``: the same in the honest and the forced tree."""

    @property
    def model(self) -> Checkpoint:
        """The forced model file (the checkpoint after ``S`` steps)."""
        return self.checkpoints[len(self.trace) - 1]

    @property
    def trace_root(self) -> bytes:
        return trace_root(self.trace)

    def final_state_proof(self) -> tuple[bytes, list[bytes]]:
        """``h_S`` (the honest one) and its proof under the forced root, for `submitResult`."""
        return final_state_proof(self.trace)


def forge_result(honest: Mapping[int, Checkpoint], graph: StepGraph, secret: bytes,
                 leaf: int) -> ForcedResult:
    """The forced result of a forced draw at ``leaf`` from the honest checkpoints at ``leaf`` and after
    it (the model, after S steps, among them; earlier ones are ignored): :func:`force_checkpoint` at
    ``L``, :func:`with_commitment` for each later one, :func:`forced_trace` of the model's ``h_0..h_S``."""
    if not honest:
        raise ValueError("no honest checkpoints to force")
    model = honest[max(honest)]
    trace = list(model.state_commitments)
    if model.step != len(trace) - 1:
        raise ValueError(f"the last checkpoint (step {model.step}) lists {len(trace)} state commitments")
    if leaf not in honest:
        raise ValueError(f"no honest checkpoint at the forced leaf {leaf}")
    forced_at_leaf = force_checkpoint(honest[leaf], graph, secret)
    forced_leaf = forced_at_leaf.state_commitments[-1]
    checkpoints = {leaf: forced_at_leaf}
    for step, checkpoint in sorted(honest.items()):
        if step > leaf:
            checkpoints[step] = with_commitment(checkpoint, leaf, forced_leaf)
    return ForcedResult(leaf=leaf, honest_leaf=trace[leaf], forced_leaf=forced_leaf, checkpoints=checkpoints,
                        trace=forced_trace(trace, leaf, forced_leaf), leaf_proof=trace_proof(trace, leaf))


def _check_word(value: bytes, what: str) -> None:
    if len(value) != 32:
        raise ValueError(f"{what} must be 32 bytes, not {len(value)}")
