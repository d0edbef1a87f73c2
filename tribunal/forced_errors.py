"""Forced errors (docs/forced-errors.md): the draw, the forced checkpoint, and sealed catches.

The operator commits ``keccak256(secret)`` (`TaskMarket.commitDraw`); the hash of the block that
commit lands in is the seed. :func:`draw` decides, exactly as `TaskMarket.forcedDraw`, whether the
result must be a forced error and which interior committed state ``h_L`` it changes. A forced
result is the honest one with the checkpoint at ``L`` perturbed in one bit (:func:`force_checkpoint`)
and its ``h_L'`` in place of ``h_L`` in the trace and in every later checkpoint's list of state
commitments (:func:`with_commitment`). A verifier that replays the interval ending at ``L`` seals
its own ``h_L`` (:func:`seal_hash`) and reveals it once the operator reveals the forced error.
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


def decaying_share(pot: int, catches: int) -> int:
    """`Jackpot.shareOf`: each of ``catches`` catchers gets ``pot // (k * 2**(k-1))``."""
    if catches <= 0 or catches > 64:
        return 0
    return pot // (catches << (catches - 1))


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
