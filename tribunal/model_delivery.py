"""The submitter's side of delivery (issue #19): find that a result's model is withheld, challenge
exactly the chunks that could not be had, and rebuild the model from what the chain delivers.

`find_model` tries the artifact store and any replicas (each a content-addressed store); a file is
taken only if `tribunal.model_check` accepts it (its state is the committed h_S). When none does,
`open_challenges` opens one availability challenge per slot (per 256 chunks) of the model's
parameters (or of the slots asked for), naming every chunk: without the file the client knows
nothing of the state but its commitment. The operator (or anyone holding the bytes) must deliver
them on-chain before its clock runs out; `await_challenges` claims the timeout otherwise (the
operator is slashed and the result voided). `rebuild_from_chain` puts each slot together from the
`ChunkDelivered` logs and checks it against the data root the contract proved
(`tribunal.availability.rebuild_tensor`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import numpy as np
from numpy.typing import NDArray

from tribunal.artifact_cache import ArtifactNotCached
from tribunal.artifact_client import ArtifactClient, ArtifactError
from tribunal.availability import (
    ChallengeTarget,
    challenge_targets,
    expected_slot_roots,
    num_chunks,
    rebuild_state,
    rebuild_tensor,
    slot_proof,
    tensor_chunks,
)
from tribunal.chain.dispute_game import DisputeGame
from tribunal.chain.errors import ContractRevert
from tribunal.chain.session import ChainSession
from tribunal.chain.task_market import Task
from tribunal.checkpoints import Checkpoint, CheckpointError
from tribunal.commitments import bind_shape, num_leaves_for, state_commitment, trace_root
from tribunal.datasets import load_dataset
from tribunal.dispute.clock import ChessClock
from tribunal.dispute.state import GameView
from tribunal.graph import StepGraph
from tribunal.model_check import CheckedModel, ModelMismatch, Unpublished, fetch_checked_model
from tribunal.models import build_step_graph, initial_state
from tribunal.protocol_enums import GameStatus
from tribunal.task_fetch import SpecUnavailable, task_spec
from tribunal.tasks import fetch_task_inputs

if TYPE_CHECKING:
    from tribunal.diloco.resolve import DilocoResolver

log = logging.getLogger(__name__)

__all__ = ["Challenge", "DeliveryError", "Outcome", "await_challenges", "find_model", "open_challenges",
           "rebuild_from_chain"]


class DeliveryError(RuntimeError):
    """A challenge could not be opened or a delivered slot could not be rebuilt; says what to do."""


@dataclass(frozen=True)
class Challenge:
    """One availability challenge the client opened."""

    game_id: int
    slot: int
    name: str
    shape: tuple[int, ...]
    chunks: list[int]
    bond: int


@dataclass(frozen=True)
class Outcome:
    """How one challenge ended: ``delivered`` (every chunk on-chain) or not (the operator's clock ran
    out and it was slashed)."""

    challenge: Challenge
    delivered: bool
    status: GameStatus


def find_model(task: Task, spec_uri: str, stores: Sequence[ArtifactClient],
               diloco: DilocoResolver | None = None,
               ) -> tuple[CheckedModel | None, list[tuple[str, Exception]]]:
    """The checked model of ``task`` from the first of ``stores`` (the artifact store, then replicas)
    that serves a file matching the committed final state; else None and, for each store, why not:
    `Unpublished` (it lacks the file) or `ModelMismatch` (its file is not the committed state). A task
    of ``diloco``'s jobs contract is checked against its derived spec."""
    failures: list[tuple[str, Exception]] = []
    for store in stores:
        try:
            return fetch_checked_model(task, spec_uri, store, diloco), failures
        except (Unpublished, ModelMismatch) as exc:
            failures.append((store.base_url, exc))
    return None, failures


def task_graph_and_state(task: Task, spec_uri: str, store: ArtifactClient | None,
                         diloco: DilocoResolver | None = None) -> tuple[StepGraph, list[NDArray[np.float32]]]:
    """The step graph and the initial state of ``task``'s spec (`tribunal.task_fetch.task_spec`: derived
    for a task of ``diloco``'s jobs contract): what a slot proof is built from."""
    spec = task_spec(task, spec_uri, store, diloco)
    try:
        fetch_task_inputs(spec, store)
    except ArtifactNotCached as exc:
        raise SpecUnavailable(f"task {task.task_id}: {exc}") from exc
    dataset = load_dataset(spec.dataset)
    return build_step_graph(spec, dataset), initial_state(spec, dataset)


def fetch_raw(store: ArtifactClient, digest: bytes) -> bytes | None:
    """What ``store`` serves under ``digest``, unverified (None if nothing): `assemble_model` checks
    it chunk by chunk instead of whole."""
    try:
        return store.download_unverified(digest)
    except (ArtifactError, httpx.HTTPError) as exc:
        log.info("%s serves no file 0x%s: %s", store.base_url, digest.hex(), exc)
        return None


def model_slots(graph: StepGraph) -> list[int]:
    """The slots that are the model's parameters (``param.…``), the default target of a challenge."""
    return [j for j, slot in enumerate(graph.slots) if slot.name.startswith("param.")]


@dataclass(frozen=True)
class Assembled:
    """What the client could put together of the final state from the files its stores served, each
    chunk checked against the committed roots: the model checkpoint if every slot is whole, else the
    chunks no source had right (per slot). ``header`` says whether any file's header (its node-output
    roots) hashed to the committed h_S: without one, no chunk can be checked and every chunk is missing."""

    checkpoint: Checkpoint | None
    missing: dict[int, list[int]]
    versions: dict[int, list[dict[int, bytes]]]
    arrays: list[NDArray[np.float32] | None]
    """Per slot, the tensor if it was put together whole (None where chunks are missing)."""
    """Per slot, the chunks each source offered (to merge with what the chain delivers)."""
    header: bool


def assemble_model(task: Task, graph: StepGraph, files: Sequence[bytes | None],
                   chunk_leaves: int) -> Assembled:
    """Puts the result's final state together from ``files`` (what each store served under the model
    hash, unverified: whole, truncated, corrupted or None). A file's header counts only if its
    node-output roots hash to the on-chain h_S and its h_0..h_S to the trace root; then each slot is
    rebuilt chunk by chunk from every file that has it (`tribunal.availability.rebuild_state`), so a
    chunk spoiled in one file is taken from another, and what no file has right is named."""
    parsed: list[Checkpoint] = []
    for data in files:
        if data is None:
            continue
        try:
            parsed.append(Checkpoint.from_bytes(data))
        except (CheckpointError, ValueError) as exc:
            log.info("a served model file is unreadable (%s); its chunks are not used", exc)
    header = next((c for c in parsed if _header_is_committed(c, task, graph)), None)
    shapes = [tuple(slot.shape) for slot in graph.slots]
    if header is None:
        every = {j: list(range(num_chunks(num_leaves_for(int(np.prod(shape, dtype=np.int64))), chunk_leaves)))
                 for j, shape in enumerate(shapes)}
        return Assembled(None, every, {j: [] for j in every}, [None] * len(shapes), False)
    versions = {j: [tensor_chunks(c.state[j], chunk_leaves) for c in parsed
                    if len(c.state) == len(shapes) and tuple(c.state[j].shape) == shapes[j]]
                for j in range(len(shapes))}
    rebuilt = rebuild_state(shapes, expected_slot_roots(graph, header.leaves), chunk_leaves,
                            [versions[j] for j in range(len(shapes))])
    if not rebuilt.complete:
        return Assembled(None, dict(rebuilt.missing), versions, list(rebuilt.arrays), True)
    arrays = [a for a in rebuilt.arrays if a is not None]
    checkpoint = Checkpoint.make(task.spec_hash, graph, task.steps, arrays, header.state_commitments,
                                 header.leaves)
    return Assembled(checkpoint, {}, versions, list(rebuilt.arrays), True)


def _header_is_committed(checkpoint: Checkpoint, task: Task, graph: StepGraph) -> bool:
    return (checkpoint.spec_hash == task.spec_hash and checkpoint.step == task.steps
            and len(checkpoint.leaves) == len(graph.nodes)
            and state_commitment(list(checkpoint.leaves)) == task.final_state_root
            and len(checkpoint.state_commitments) == task.steps + 1
            and trace_root(list(checkpoint.state_commitments)) == task.trace_root)


def open_challenges(session: ChainSession, task: Task, graph: StepGraph, init: Sequence[NDArray[np.float32]],
                    slots: Sequence[int] | None = None, *, chunks: dict[int, list[int]] | None = None,
                    stake_bond: bool = True) -> list[Challenge]:
    """Opens availability challenges on the result's final state h_S: on exactly ``chunks`` (slot ->
    chunk indices, what `assemble_model` found missing) or else on every chunk of ``slots`` (default:
    the parameters). With ``stake_bond`` the caller first stakes what its free stake lacks for the
    bonds (CHUNK_BOND per chunk)."""
    game = _game(session)
    chunk_leaves, chunk_bond = game.chunk_leaves(), game.chunk_bond()
    chosen = list(chunks) if chunks is not None else list(model_slots(graph) if slots is None else slots)
    for j in chosen:
        if not 0 <= j < len(graph.slots):
            raise DeliveryError(f"slot {j} is not a state slot of this task (0..{len(graph.slots) - 1})")
    plan: list[tuple[int, ChallengeTarget]] = []
    for j in chosen:
        leaves = num_leaves_for(int(np.prod(graph.slots[j].shape, dtype=np.int64)))
        named = chunks[j] if chunks is not None else range(num_chunks(leaves, chunk_leaves))
        plan.extend((j, t) for t in challenge_targets(task.steps, j, named))
    need = chunk_bond * sum(len(target.chunks) for _, target in plan)
    me = session.client.address
    free = session.stake_manager.info(me).free
    if free < need:
        if not stake_bond:
            raise DeliveryError(f"the challenges' bonds need {need} wei of free stake and {me} has {free}: "
                                "stake the difference first (`tribunal stake`) or let the client stake it")
        session.stake_manager.stake(need - free)
    opened = []
    for j, target in plan:
        proof = slot_proof(graph, init, j)
        game_id, _ = game.open_availability(task.task_id, target.step, proof.as_abi_tuple(),
                                            target.first_chunk, target.mask)
        slot = graph.slots[j]
        opened.append(Challenge(game_id, j, slot.name, tuple(slot.shape), target.chunks,
                                chunk_bond * len(target.chunks)))
        log.info("task %d: availability challenge %d on %s (slot %d), chunks %s", task.task_id, game_id,
                 slot.name, j, target.chunks,
                 extra={"event": "availability_opened", "task_id": task.task_id, "game_id": game_id})
    return opened


def await_challenges(session: ChainSession, challenges: Sequence[Challenge], now: Callable[[], int], *,
                     timeout_s: float, poll_s: float = 1.0,
                     on_progress: Callable[[Challenge, int, int], None] | None = None) -> list[Outcome]:
    """Waits until every challenge has ended: delivered in full, or the operator's clock ran out (then
    this client claims the timeout: the operator is slashed, the result voided). ``now()`` is the
    chain's time. Raises TimeoutError after ``timeout_s`` of wall time."""
    game = _game(session)
    max_clock = game.max_clock()
    pending = {c.game_id: c for c in challenges}
    outcomes: dict[int, Outcome] = {}
    deadline = time.monotonic() + timeout_s
    while pending:
        for game_id, challenge in list(pending.items()):
            view = GameView.from_tuple(game.state(game_id))
            status = view.status
            if status is GameStatus.QUEUED:
                continue
            if status is GameStatus.ACTIVE:
                state = game.availability_state(game_id)
                if on_progress is not None:
                    on_progress(challenge, len(state.named) - len(state.missing), len(state.named))
                if not ChessClock.of(view).is_live(now(), max_clock):
                    try:
                        game.claim_timeout(game_id)
                    except ContractRevert as exc:
                        if exc.error_name not in ("ClockNotExpired", "GameNotActive"):
                            raise
                continue
            if status in (GameStatus.OPERATOR_WON, GameStatus.CHALLENGER_WON, GameStatus.WITHDRAWN):
                if status is not GameStatus.WITHDRAWN and not game.is_settled(game_id):
                    game.settle_if_due(game_id)
                    continue
                outcomes[game_id] = Outcome(challenge, status is GameStatus.OPERATOR_WON, status)
                del pending[game_id]
        if pending:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"availability challenges {sorted(pending)} still open after {timeout_s:.0f} s")
            time.sleep(poll_s)
    return [outcomes[c.game_id] for c in challenges]


def rebuild_from_chain(
    session: ChainSession, challenges: Sequence[Challenge],
    versions: dict[int, list[dict[int, bytes]]] | None = None,
) -> dict[str, NDArray[np.float32]]:
    """The slots the challenges named, put together from the chunks delivered on-chain (and the
    chunks of the slot other sources offered, ``versions``: `Assembled.versions`) and checked against
    the data root each game proved. Raises DeliveryError naming the chunks still missing."""
    game = _game(session)
    chunk_leaves = game.chunk_leaves()
    by_slot: dict[int, list[Challenge]] = {}
    for c in challenges:
        by_slot.setdefault(c.slot, []).append(c)
    tensors: dict[str, NDArray[np.float32]] = {}
    for slot, parts in sorted(by_slot.items()):
        chunks: dict[int, bytes] = {}
        root = b""
        for c in parts:
            chunks.update(game.delivered_chunks(c.game_id, session.deployment.block_number))
            state = game.availability_state(c.game_id)
            root = root or (bind_shape(state.data_root, c.shape) if any(state.data_root) else b"")
        if not root:
            raise DeliveryError(f"nothing of slot {slot} ({parts[0].name}) was delivered on-chain")
        # each source's chunks with the delivered ones laid over them (those the chain checked)
        offered = [{**v, **chunks} for v in (versions or {}).get(slot, [])] or [chunks]
        tensor, missing = rebuild_tensor(parts[0].shape, root, chunk_leaves, offered)
        if tensor is None:
            raise DeliveryError(f"slot {slot} ({parts[0].name}): chunks {missing} were not delivered")
        tensors[parts[0].name] = tensor
    return tensors


def _game(session: ChainSession) -> DisputeGame:
    if session.game is None:
        raise DeliveryError("this deployment has no dispute game: availability cannot be challenged")
    return session.game

