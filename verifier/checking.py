"""Check one submitted result: recompute (all of it, or a sample of checkpoint intervals) and judge.

**full**: replay the whole run from ``h_0`` with RepOps (`PartyClaims`, the same object that
plays the dispute) and compare the trace root with the submitted one.

**spot**: the model checkpoint (its content hash is the on-chain model hash) holds the
operator's ``h_0..h_S``; once its state is the on-chain final state ``h_S`` and they hash to the
submitted trace root they are the operator's trace. The checkpoint manifest the operator named
on-chain lists a checkpoint every ``checkpointEvery`` steps. A sample of intervals ``[a, b)``
between checkpoints is re-executed from checkpoint ``a`` (verified against ``h_a``; ``a = 0``
starts from the spec's initial state) and each ``h_{s+1}`` is compared with the operator's. A
fault outside the sample goes unseen: the sample rate is the detection probability per faulty
interval (`docs/economics.md`).

Anything the operator should have published and did not (model, manifest, a checkpoint), or
published wrong, turns a spot check into a full one: missing data is never a reason to stay
silent. A mismatch anywhere ends with the full replay, whose trace root is what the verifier
challenges with.

The chain binds the model to the trace: the result names the final state ``h_S``, which
`submitResult` checked to be leaf S of the trace root, so the game that settles the trace settles
the model. The model hash only locates a checkpoint file; a file that is not ``h_S`` (another
state's checkpoint) is refused (verdict ``MODEL_MISMATCH``) and nobody uses it. The result's model
is still ``h_S``: a right trace root is honest, and the missing bytes of ``h_S`` are a delivery
problem (issue #19), not a fault the game can prove.

Once the model file is ``h_S`` its test loss and accuracy are recomputed with RepOps
(`tribunal.evaluation`), for the agent to compare with what the operator published. Evaluation is
not in the trace: a difference is reported, never disputed, and never changes the verdict.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Protocol

import numpy as np
import torch

from tribunal.chain.task_market import Task
from tribunal.checkpoint_manifest import (
    CheckpointManifest,
    ManifestError,
    ModelMismatch,
    Unpublished,
    checked_checkpoint,
    checked_model,
)
from tribunal.checkpoints import Checkpoint, CheckpointError
from tribunal.commitments import state_commitment, tensor_root
from tribunal.dispute.claims import PartyClaims
from tribunal.evaluation import Evaluation, evaluate_state
from tribunal.models import initial_state
from tribunal.tasks import PreparedTask
from tribunal.training import next_state, run_step

log = logging.getLogger(__name__)


SUBMITTED = "the submitted trace"
REPLAY = "our replay"
MODEL_MATCHES = "matches the committed final state"


class Mode(str, Enum):
    SPOT = "spot"
    FULL = "full"


class Verdict(str, Enum):
    HONEST = "honest"
    """Everything re-executed agrees with the submitted trace, and the model file is its h_S."""
    FAULTY = "faulty"
    """The submitted trace root is wrong: challenge it with our own."""
    MODEL_MISMATCH = "model_mismatch"
    """The trace root (and so the on-chain h_S) is right, but the file the model hash names is not
    the committed final state: refused. Nothing to dispute (the model is h_S); its bytes are missing."""


class Publications(Protocol):
    """What the operator published for one task; every method raises Unpublished when it is not
    there and CheckpointError/ManifestError when it is malformed."""

    def model(self) -> Checkpoint: ...

    def manifest(self) -> CheckpointManifest: ...

    def checkpoint(self, content_hash: bytes) -> Checkpoint: ...


@dataclass
class IntervalCheck:
    start: int
    end: int
    bad_step: int | None = None
    """The first step s in [start, end) whose h_{s+1} differs from the operator's (None: all agree)."""


@dataclass
class CheckResult:
    task_id: int
    mode: Mode
    """The mode asked for."""
    verdict: Verdict
    operator_root: bytes
    own_root: bytes | None = None
    """Our trace root (computed on a full replay only)."""
    first_bad_step: int | None = None
    """t with h_t agreed and h_{t+1} not (-1: h_0 itself differs); None when unknown or honest."""
    full_replay: bool = False
    escalated: list[str] = field(default_factory=list)
    """Why a spot check became a full replay."""
    intervals: list[IntervalCheck] = field(default_factory=list)
    checkpoints: dict[int, str] = field(default_factory=dict)
    """Step -> what we found of the operator's checkpoint there."""
    model: str = "not checked"
    seconds: float = 0.0
    claims: PartyClaims | None = field(default=None, repr=False)
    """Our full replay (the claims we play a dispute with)."""
    evaluation: Evaluation | None = None
    """The model's (``h_S``'s) test loss and accuracy, recomputed; None when the model file is not
    ``h_S`` or the evaluation failed (``evaluation_note`` says why)."""
    evaluated_step: int | None = None
    """The step of the state evaluated (S)."""
    evaluation_note: str = ""
    """What came of comparing ``evaluation`` with the operator's published one (set by the agent)."""
    caught_step: int | None = None
    """e: the end of the first interval whose replay gives another committed state than the
    operator's ``h_e`` (e > 0; the interval that ends there holds the fault). None when no committed
    state after ``h_0`` was found to differ."""
    caught_state: bytes | None = None
    """Our own ``h_e`` at ``caught_step``: what a forced-error catch seals (docs/forced-errors.md)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "mode": self.mode.value,
            "verdict": self.verdict.value,
            "operator_root": "0x" + self.operator_root.hex(),
            "own_root": None if self.own_root is None else "0x" + self.own_root.hex(),
            "first_bad_step": self.first_bad_step,
            "full_replay": self.full_replay,
            "escalated": list(self.escalated),
            "intervals": [{"start": i.start, "end": i.end, "bad_step": i.bad_step} for i in self.intervals],
            "checkpoints": {str(k): v for k, v in sorted(self.checkpoints.items())},
            "model": self.model,
            "seconds": round(self.seconds, 3),
            "evaluation": None if self.evaluation is None else asdict(self.evaluation),
            "evaluated_step": self.evaluated_step,
            "evaluation_note": self.evaluation_note,
            "caught_step": self.caught_step,
            "caught_state": None if self.caught_state is None else "0x" + self.caught_state.hex(),
        }


def checkpoint_boundaries(steps: int, every: int) -> list[int]:
    """0, every, 2·every, …, S: where intervals start and end, the committed steps
    (`tribunal.commitments.committed_step`; checkpoints exist at all but 0)."""
    return sorted({0, steps, *range(every, steps + 1, every)})


def sample_intervals(boundaries: list[int], rate: float, rng: random.Random) -> list[tuple[int, int]]:
    """``max(1, ceil(rate · n))`` of the ``n`` intervals, uniformly without replacement."""
    intervals = list(zip(boundaries, boundaries[1:], strict=False))
    count = min(len(intervals), max(1, math.ceil(rate * len(intervals))))
    return sorted(rng.sample(intervals, count))


def first_difference(mine: list[bytes], theirs: list[bytes]) -> int | None:
    """The step t whose committed h_{t+1} is the first to differ (-1 if h_0 does); None if none
    does. States are committed at checkpoint steps only, so the fault itself lies in the interval
    that ends at t + 1."""
    for index, (a, b) in enumerate(zip(mine, theirs, strict=False)):
        if a != b:
            return index - 1
    return None


class TaskChecker:
    """Checks submitted results of prepared tasks on one torch device."""

    def __init__(self, device: torch.device | None = None,
                 full_replay: Callable[[PreparedTask], PartyClaims] | None = None) -> None:
        self.device = device or torch.device("cpu")
        self._full_replay = full_replay or (lambda prepared: PartyClaims(prepared, device=self.device))

    def check(self, task: Task, prepared: PreparedTask, published: Publications, mode: Mode,
              sample_rate: float = 0.1, rng: random.Random | None = None) -> CheckResult:
        began = time.perf_counter()
        result = CheckResult(task.task_id, mode, Verdict.HONEST, task.trace_root)
        trace, model = self._operator_trace(task, prepared, published, result)
        manifest = self._manifest(published, result)
        if mode is Mode.SPOT and trace is not None and manifest is not None:
            self._spot(prepared, published, trace, manifest, sample_rate, rng or random.Random(), result)
        if mode is Mode.FULL or result.escalated or result.first_bad_step is not None:
            self._full(prepared, published, trace, manifest, result)
        if model is not None:
            self._evaluate(prepared, model, result)
        result.seconds = time.perf_counter() - began
        return result

    def _evaluate(self, prepared: PreparedTask, model: Checkpoint, result: CheckResult) -> None:
        """``h_S``'s test evaluation (the model file is ``h_S``: its state is the result's model)."""
        try:
            result.evaluation = evaluate_state(prepared.spec, model.state, dataset=prepared.dataset,
                                               device=self.device)
            result.evaluated_step = model.step
        except Exception as exc:  # noqa: BLE001 - evaluation is a report, never a reason to fail a check
            result.evaluation_note = f"not evaluated: {exc}"
            log.warning("task %d: cannot evaluate the model on the test rows: %s", result.task_id, exc)

    # -- what the operator published ------------------------------------------------------

    def _operator_trace(self, task: Task, prepared: PreparedTask, published: Publications,
                        result: CheckResult) -> tuple[list[bytes] | None, Checkpoint | None]:
        """The operator's h_0..h_S and the model checkpoint, once the model file is h_S."""
        try:
            model = published.model()
            trace = checked_model(model, prepared.spec_hash, prepared.graph, prepared.spec.steps,
                                  task.trace_root, task.final_state_root)
        except Unpublished as exc:
            result.model = f"unpublished: {exc}"
        except ModelMismatch as exc:
            result.model = f"does not match the committed final state ({exc.what}): {exc}"
        except CheckpointError as exc:
            result.model = f"does not match the committed final state (unreadable): {exc}"
        else:
            result.model = MODEL_MATCHES
            return trace, model
        result.escalated.append(f"model {result.model}")
        return None, None

    def _manifest(self, published: Publications, result: CheckResult) -> CheckpointManifest | None:
        try:
            return published.manifest()
        except (Unpublished, ManifestError) as exc:
            result.escalated.append(f"checkpoint manifest: {exc}")
            return None

    def _load(self, published: Publications, manifest: CheckpointManifest | None, step: int,
              prepared: PreparedTask, trace: list[bytes], against: str) -> Checkpoint | str:
        """Checkpoint ``step`` if its h_0..h_t are ``trace``'s (``against`` names it), else what is
        wrong with it."""
        digest = None if manifest is None else manifest.checkpoints.get(step)
        if digest is None:
            return "unpublished (not in the manifest)"
        try:
            checkpoint = published.checkpoint(digest)
            checkpoint.check_against(prepared.spec_hash, prepared.graph)
        except Unpublished as exc:
            return f"unpublished: {exc}"
        except CheckpointError as exc:
            return f"invalid: {exc}"
        try:
            return checked_checkpoint(checkpoint, step, prepared.spec_hash, prepared.graph, trace)
        except CheckpointError as exc:
            bad = first_difference(trace, list(checkpoint.state_commitments))
            return f"differs from {against} from h_{bad + 1}" if bad is not None else f"invalid: {exc}"

    # -- spot ------------------------------------------------------------------------------

    def _spot(self, prepared: PreparedTask, published: Publications, trace: list[bytes],
              manifest: CheckpointManifest, rate: float, rng: random.Random, result: CheckResult) -> None:
        spec = prepared.spec
        if trace[0] != prepared.init_state_root:
            result.first_bad_step = -1
            return
        rows = torch.from_numpy(np.array(prepared.dataset.rows)).to(self.device)
        boundaries = checkpoint_boundaries(spec.steps, spec.checkpoint_every)
        for start, end in sample_intervals(boundaries, rate, rng):
            if start == 0:
                arrays: list[np.ndarray] | tuple[np.ndarray, ...] = initial_state(spec, prepared.dataset)
            else:
                loaded = self._load(published, manifest, start, prepared, trace, SUBMITTED)
                matched = isinstance(loaded, Checkpoint)
                result.checkpoints[start] = f"matches {SUBMITTED}" if matched else str(loaded)
                if not isinstance(loaded, Checkpoint):
                    result.escalated.append(f"checkpoint of step {start}: {loaded}")
                    return
                arrays = loaded.state
            interval = IntervalCheck(start, end)
            result.intervals.append(interval)
            state = [torch.from_numpy(np.array(a, dtype=np.float32)).to(self.device) for a in arrays]
            for step in range(start, end):
                outputs = run_step(prepared.graph, state, rows, step)
                state = next_state(prepared.graph, outputs)
            # only the interval's end is committed: a wrong state anywhere in it shows there
            ours = state_commitment([tensor_root(o) for o in outputs])
            if ours != trace[end]:
                interval.bad_step = end - 1
                result.first_bad_step = end - 1
                result.caught_step, result.caught_state = end, ours
                return

    # -- full ------------------------------------------------------------------------------

    def _full(self, prepared: PreparedTask, published: Publications, trace: list[bytes] | None,
              manifest: CheckpointManifest | None, result: CheckResult) -> None:
        claims = self._full_replay(prepared)
        own = list(claims.state_commitments)
        result.claims, result.own_root, result.full_replay = claims, claims.trace_root, True
        if claims.trace_root == result.operator_root:
            result.first_bad_step = None
            result.verdict = Verdict.HONEST if result.model == MODEL_MATCHES else Verdict.MODEL_MISMATCH
            if result.verdict is Verdict.MODEL_MISMATCH:
                log.error("task %d: the trace root and its final state h_S are right, but the checkpoint the "
                          "model hash names %s: the file is refused (the model is h_S; its bytes are not "
                          "delivered)", result.task_id, result.model)
            result.caught_step = result.caught_state = None
        else:
            result.verdict = Verdict.FAULTY
            result.first_bad_step = first_difference(own, trace) if trace is not None else None
            if result.first_bad_step is not None and result.first_bad_step >= 0:
                # the full replay knows every committed state: the first differing one ends the
                # first wrong interval (a spot check may have sampled a later one first)
                end = result.first_bad_step + 1
                result.caught_step, result.caught_state = end, own[end]
        if manifest is not None:
            for step in sorted(manifest.checkpoints):
                loaded = self._load(published, manifest, step, prepared, own, REPLAY)
                result.checkpoints[step] = f"matches {REPLAY}" if isinstance(loaded, Checkpoint) else loaded
