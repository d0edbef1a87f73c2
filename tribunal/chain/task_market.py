"""Binding of `contracts/src/TaskMarket.sol` and the types of `Task.sol` (`TaskParams`, `Task`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tribunal.chain.bound import BoundContract
from tribunal.chain.client import Sent, with_rpc_retry
from tribunal.commitments import final_state_proof, trace_root
from tribunal.protocol_enums import TaskStatus


@dataclass(frozen=True)
class TaskParams:
    """What `postTask` takes (mirrors `TaskParams` in Task.sol); the reward is the tx value."""

    spec_hash: bytes
    spec_uri: str
    dataset_root: bytes
    init_state_root: bytes
    graph_root: bytes
    steps: int
    checkpoint_every: int
    min_stake: int
    deadline: int
    challenge_window: int

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.spec_hash,
            self.spec_uri,
            self.dataset_root,
            self.init_state_root,
            self.graph_root,
            self.steps,
            self.checkpoint_every,
            self.min_stake,
            self.deadline,
            self.challenge_window,
        )


@dataclass(frozen=True)
class Task:
    """A task as stored on-chain (mirrors `Task` in Task.sol)."""

    task_id: int
    submitter: str
    deadline: int
    steps: int
    operator: str
    challenge_window: int
    checkpoint_every: int
    status: TaskStatus
    claimed_at: int
    submitted_at: int
    open_disputes: int
    reward: int
    min_stake: int
    spec_hash: bytes
    dataset_root: bytes
    init_state_root: bytes
    graph_root: bytes
    trace_root: bytes
    model_hash: bytes
    """Content hash of the final checkpoint in the artifact store: a locator, not the model."""
    final_state_root: bytes
    """h_S, leaf S of the trace root (checked by `submitResult`): the model the result delivers."""

    @classmethod
    def from_tuple(cls, task_id: int, raw: tuple[Any, ...]) -> Task:
        (submitter, deadline, steps, operator, window, every, status, claimed_at, submitted_at,
         disputes, reward, min_stake, spec, dataset, init, graph, trace, model, final_state) = raw
        return cls(task_id, submitter, deadline, steps, operator, window, every,
                   TaskStatus(status), claimed_at, submitted_at, disputes, reward, min_stake,
                   bytes(spec), bytes(dataset), bytes(init), bytes(graph), bytes(trace),
                   bytes(model), bytes(final_state))


@dataclass(frozen=True)
class Draw:
    """`TaskMarket.Draw`: a result's forced-error draw (zeros where not yet set)."""

    secret_hash: bytes
    seed: bytes
    committed_block: int
    revealed_at: int
    forced_at: int

    @classmethod
    def from_tuple(cls, raw: tuple[Any, ...]) -> Draw:
        secret_hash, seed, block, revealed_at, forced_at = raw
        return cls(bytes(secret_hash), bytes(seed), int(block), int(revealed_at), int(forced_at))


class TaskMarket(BoundContract):
    NAME = "TaskMarket"

    def post_task(self, params: TaskParams, reward: int) -> tuple[int, Sent]:
        sent = self._send("postTask", params.as_tuple(), value=reward, context="post task")
        (event,) = self.events("TaskPosted", sent.receipt)
        return int(event["args"]["taskId"]), sent

    def cancel(self, task_id: int) -> Sent:
        return self._send("cancel", task_id, context=f"cancel task {task_id}")

    def claim(self, task_id: int) -> Sent:
        return self._send("claim", task_id, context=f"claim task {task_id}")

    def submit_result(self, task_id: int, trace_root: bytes, final_state_root: bytes,
                      final_state_proof: Sequence[bytes], model_hash: bytes) -> Sent:
        """Submit a result: the trace root, h_S with its proof as leaf S of the trace (the contract
        refuses anything else with `FinalStateNotInTrace`) and the final checkpoint's content hash."""
        return self._send(
            "submitResult", task_id, trace_root, final_state_root, [bytes(p) for p in final_state_proof],
            model_hash, context=f"submit task {task_id}",
        )

    def submit_trace(self, task_id: int, state_commitments: Sequence[bytes], model_hash: bytes) -> Sent:
        """Submit the run ``h_0..h_S``: its trace root, and ``h_S`` with its proof."""
        final_state, proof = final_state_proof(state_commitments)
        return self.submit_result(task_id, trace_root(state_commitments), final_state, proof, model_hash)

    def finalize(self, task_id: int) -> Sent:
        return self._send("finalize", task_id, context=f"finalize task {task_id}")

    def expire(self, task_id: int) -> Sent:
        return self._send("expire", task_id, context=f"expire task {task_id}")

    def evict_claim(self, task_id: int) -> Sent:
        """Evict an operator that did not submit within the claim timeout; the task reopens."""
        return self._send("evictClaim", task_id, context=f"evict the claim on task {task_id}")

    def task(self, task_id: int) -> Task:
        return Task.from_tuple(task_id, self._call("getTask", task_id, context=f"task {task_id}"))

    def task_count(self) -> int:
        return int(self._call("taskCount"))

    def set_dispute_game(self, game: str) -> Sent:
        return self._send("setDisputeGame", game, context="set dispute game")

    def challenge_ends_at(self, task_id: int) -> int:
        return int(self._call("challengeEndsAt", task_id))

    def challenge_window_range(self) -> tuple[int, int]:
        """The shortest and longest challenge window (seconds) a task may ask for."""
        return int(self._call("MIN_CHALLENGE_WINDOW")), int(self._call("MAX_CHALLENGE_WINDOW"))

    def claim_timeout(self) -> int:
        """Seconds an operator has from its claim to submit before anyone may evict it."""
        return int(self._call("CLAIM_TIMEOUT"))

    def min_task_stake(self) -> int:
        """The least `minStake` (wei) a task may ask for."""
        return int(self._call("MIN_TASK_STAKE"))

    def publish_checkpoints(self, task_id: int, manifest_hash: bytes) -> Sent:
        """Name the manifest of our checkpoints for a task we train or submitted (an event only)."""
        return self._send("publishCheckpoints", task_id, manifest_hash,
                          context=f"publish checkpoints of task {task_id}")

    def published_checkpoints(self, task_id: int, from_block: int = 0) -> list[tuple[str, bytes, int]]:
        """``(operator, manifest hash, block)`` of every `CheckpointsPublished` of the task, oldest first."""
        logs = self._logs("CheckpointsPublished", task_id, from_block)
        return [(str(e["args"]["operator"]), bytes(e["args"]["manifestHash"]), int(e["blockNumber"]))
                for e in logs]

    def spec_uri(self, task_id: int, from_block: int = 0) -> str:
        """The spec URI the task was posted with (emitted in `TaskPosted`, not stored)."""
        logs = self._logs("TaskPosted", task_id, from_block)
        if not logs:
            raise LookupError(f"no TaskPosted event for task {task_id} from block {from_block}")
        return str(logs[-1]["args"]["specURI"])

    # ------------------------------------------------------------ forced errors (docs/forced-errors.md)

    def forced_error_ppm(self) -> int:
        """Probability (parts per million) that a result is a forced error; 0: forced errors are off."""
        return int(self._call("forcedErrorPpm"))

    def audit_window(self) -> int:
        return int(self._call("auditWindow"))

    def jackpot_bps(self) -> int:
        return int(self._call("jackpotBps"))

    def jackpot_address(self) -> str | None:
        address = str(self._call("jackpot"))
        return None if int(address, 16) == 0 else address

    def set_jackpot(self, jackpot: str, forced_error_ppm: int, audit_window: int, jackpot_bps: int) -> Sent:
        return self._send("setJackpot", jackpot, forced_error_ppm, audit_window, jackpot_bps,
                          context="set the jackpot")

    def commit_draw(self, task_id: int, secret_hash: bytes) -> Sent:
        return self._send("commitDraw", task_id, secret_hash, context=f"commit the draw of task {task_id}")

    def reveal_draw(self, task_id: int, secret: bytes) -> Sent:
        return self._send("revealDraw", task_id, secret, context=f"reveal the draw of task {task_id}")

    def reveal_forced_error(self, task_id: int, secret: bytes, forced_leaf: bytes, honest_leaf: bytes,
                            proof: Sequence[bytes], model_hash: bytes) -> Sent:
        return self._send("revealForcedError", task_id, secret, forced_leaf, honest_leaf,
                          [bytes(p) for p in proof], model_hash,
                          context=f"reveal the forced error of task {task_id}")

    def forfeit_unrevealed(self, task_id: int) -> Sent:
        return self._send("forfeitUnrevealed", task_id,
                          context=f"forfeit the unrevealed draw of task {task_id}")

    def draw(self, task_id: int) -> Draw:
        return Draw.from_tuple(tuple(self._call("drawOf", task_id, context=f"draw of task {task_id}")))

    def games_open_at(self, task_id: int) -> int:
        """The first second dispute games may open on the task's current result (0: at once)."""
        return int(self._call("gamesOpenAt", task_id))

    def committee_first_until(self, task_id: int) -> int:
        """Until when (exclusive) only the current result's committee may open games (0: forced
        errors off, or no result)."""
        return int(self._call("committeeFirstUntil", task_id))

    def forced_draw(self, secret: bytes, seed: bytes, task_id: int, steps: int, every: int,
                    ppm: int) -> tuple[bool, int]:
        forced, leaf = self._call("forcedDraw", secret, seed, task_id, steps, every, ppm)
        return bool(forced), int(leaf)

    def _logs(self, event: str, task_id: int, from_block: int) -> list[Any]:
        found = with_rpc_retry(lambda: getattr(self.contract.events, event).get_logs(
            from_block=from_block, argument_filters={"taskId": task_id}))
        return sorted(found, key=lambda e: (e["blockNumber"], e["logIndex"]))
