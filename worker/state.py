"""The operator's state directory: what it claimed, where each task stands, its block cursor.

``state.json`` is a cache of the chain plus what only this operator knows (job ids, checkpoint
hashes, its speed). Every write is atomic (temporary file, fsync, rename), so a ``kill -9``
leaves the previous or the next version, never a torn one. On start the agent reconciles each
task with the chain, which wins any disagreement; a lost state directory is rebuilt from the
chain's events (the checkpoints are recomputed, bit for bit).

Layout::

    <state dir>/state.json      this file's data
    <state dir>/checkpoints/    LocalCheckpointStore (objects/, tasks/)
    <state dir>/agent.lock      held while an agent runs (one agent per state dir)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from tribunal.agents.state import AgentState, AgentStateDir, GameRecord, StateError

__all__ = ["Candidate", "DrawRecord", "GameRecord", "Phase", "StateDir", "StateError", "TaskRecord",
           "WorkerState"]


class Phase(str, Enum):
    """Where one of our tasks stands (the chain's `TaskStatus` is the truth behind it)."""

    CLAIMING = "claiming"      # claim sent or about to be: the chain says whether it landed
    TRAINING = "training"      # claimed; a training job runs (or must be resubmitted)
    TRAINED = "trained"        # result known, checkpoints published; submit next
    SUBMITTING = "submitting"  # submit sent or about to be
    SUBMITTED = "submitted"    # in the challenge window; disputes defended; finalize after it
    PAID = "paid"              # finalized: reward credited (withdrawn by the agent)
    LOST = "lost"              # our result was voided by a lost dispute
    EXPIRED = "expired"        # deadline passed without our result, or our claim evicted (stake slashed)
    ABANDONED = "abandoned"    # the chain moved on without us (someone else's claim, cancelled)

    @property
    def terminal(self) -> bool:
        return self in (Phase.PAID, Phase.LOST, Phase.EXPIRED, Phase.ABANDONED)


@dataclass
class DrawRecord:
    """Our forced-error draw for a claim (docs/forced-errors.md), on a market with forced errors on.

    The secret is written here before `commitDraw` is sent, so a restart commits (or finds
    committed) the same secret, and can reveal it. Once the seed is known the draw is fixed: if it
    is forced, the forced checkpoints are built, stored and uploaded before ``seed`` is recorded."""

    secret: str
    """0x-hex 32 bytes; ``keccak256`` of it is committed on-chain."""
    committed_block: int = 0
    """The block `commitDraw` landed in (its hash is the seed); 0 until read back from the chain."""
    seed: str | None = None
    """0x-hex hash of ``committed_block``, once the draw (and, if forced, its result) is done."""
    forced: bool = False
    leaf: int = 0
    """The forced leaf ``L`` (0 if not forced)."""
    honest_leaf: str | None = None
    """The honest ``h_L`` (forced draws)."""
    forced_leaf: str | None = None
    """``h_L'``: the submitted leaf ``L`` (forced draws)."""
    leaf_proof: list[str] = field(default_factory=list)
    """The siblings of leaf ``L`` (the same in both trees), for `revealForcedError`."""
    checkpoints: dict[int, str] = field(default_factory=dict)
    """Step → content hash of the forced checkpoints (``L`` and after; before ``L`` the honest ones stand)."""
    trace_root: str | None = None
    """The forced trace root, submitted in place of the honest one (``TaskRecord.trace_root``)."""
    model_hash: str | None = None
    """The forced model file's content hash, submitted in place of the honest one."""
    final_state_proof: list[str] = field(default_factory=list)
    """h_S's proof under the forced trace root (h_S itself is the honest one)."""
    revealed: str = ""
    """"draw" or "forced error" once the reveal is on-chain."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["checkpoints"] = {str(k): v for k, v in self.checkpoints.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DrawRecord:
        data = dict(data)
        data["checkpoints"] = {int(k): v for k, v in data.get("checkpoints", {}).items()}
        return cls(**data)

    @property
    def drawn(self) -> bool:
        """The seed is known and the result to submit is ready."""
        return self.seed is not None

    @property
    def publishes_forced(self) -> bool:
        """The result on-chain is (still) the forced one: forced and not revealed yet."""
        return self.forced and self.revealed != "forced error"


@dataclass
class TaskRecord:
    task_id: int
    phase: Phase
    spec_hash: str
    spec_uri: str
    steps: int
    reward: int
    min_stake: int
    deadline: int
    job_id: str | None = None
    attempt: int = 0
    checkpoints: dict[int, str] = field(default_factory=dict)
    """Step → content hash (0x-hex) of each checkpoint made so far."""
    trace_root: str | None = None
    model_hash: str | None = None
    final_state_root: str | None = None
    """h_S (0x-hex), submitted with its proof as leaf S of the trace root: the model on-chain."""
    final_state_proof: list[str] = field(default_factory=list)
    manifest_hash: str | None = None
    """The checkpoint manifest named on-chain (`TaskMarket.publishCheckpoints`), once it is."""
    train_seconds: float | None = None
    resumed_from: int | None = None
    txs: dict[str, str] = field(default_factory=dict)
    """Action → transaction hash (evict, claim, submit, finalize)."""
    evicted: str | None = None
    """The squatter whose timed-out claim we evicted (`TaskMarket.evictClaim`) before claiming."""
    evaluation: dict[str, Any] | None = None
    """The final model's test evaluation (`tribunal.evaluation.Evaluation` fields), once trained."""
    evaluation_reported: bool = False
    """Whether the backend has our signed evaluation (sent again each tick until it has)."""
    note: str = ""
    draw: DrawRecord | None = None
    """Our forced-error draw (markets with forced errors on); ``checkpoints``, ``trace_root`` and
    ``model_hash`` above always stay the honest run's."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["phase"] = self.phase.value
        data["checkpoints"] = {str(k): v for k, v in self.checkpoints.items()}
        if self.draw is None:
            del data["draw"]
        else:
            data["draw"] = self.draw.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskRecord:
        data = dict(data)
        data["phase"] = Phase(data["phase"])
        data["checkpoints"] = {int(k): v for k, v in data.get("checkpoints", {}).items()}
        draw = data.pop("draw", None)
        data["draw"] = DrawRecord.from_json(draw) if draw else None
        return cls(**data)


@dataclass
class Candidate:
    """An open task seen on the chain (from `TaskPosted` or `TaskReopened`)."""

    task_id: int
    spec_uri: str
    refused: str = ""
    """Why we will never claim it (spec mismatch, we lost a dispute on it); empty otherwise."""
    taken: bool = False
    """Claimed by another operator (until a `TaskReopened`): not worth a chain read each tick."""
    evictable_at: int | None = None
    """When the other operator's claim times out (its claimedAt + `CLAIM_TIMEOUT`): after it, and
    before the deadline, the agent evicts it and claims the task. None until read from the chain."""
    submitted: bool = False
    """The other operator submitted a result (until a `TaskReopened`): nothing to evict."""


@dataclass
class WorkerState(AgentState):
    OWNER_KEY: ClassVar[str] = "operator"

    tasks: dict[int, TaskRecord] = field(default_factory=dict)
    candidates: dict[int, Candidate] = field(default_factory=dict)
    elements_per_s: float | None = None
    """Measured training speed (node output elements per second), for deadline estimates."""
    earned: int = 0
    """Wei of rewards credited for our finalized tasks."""

    def _role_json(self) -> dict[str, Any]:
        return {
            "tasks": {str(k): v.to_json() for k, v in sorted(self.tasks.items())},
            "candidates": {str(k): asdict(v) for k, v in sorted(self.candidates.items())},
            "elements_per_s": self.elements_per_s,
            "earned": str(self.earned),
        }

    @classmethod
    def _role_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "tasks": {int(k): TaskRecord.from_json(v) for k, v in data.get("tasks", {}).items()},
            "candidates": {int(k): Candidate(**v) for k, v in data.get("candidates", {}).items()},
            "elements_per_s": data.get("elements_per_s"),
            "earned": int(data.get("earned", 0)),
        }

    def active_tasks(self) -> list[TaskRecord]:
        return [t for t in self.tasks.values() if not t.phase.terminal]


class StateDir(AgentStateDir[WorkerState]):
    """The agent's state directory; ``load_or_create`` checks it belongs to this chain, market and key."""

    ROLE = "agent"
    STATE = WorkerState

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.checkpoints = self.root / "checkpoints"
