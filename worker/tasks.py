"""Training as a Celery task: one job trains one claimed task with RepOps, resuming from the
newest checkpoint it can find, and publishes every checkpoint (the last one is the model).

A job carries everything an executor on another machine needs (the spec's canonical bytes,
the checkpoints already known, the artifact store); it holds no key and sends no transaction.
Progress goes back as the Celery task's state (``PROGRESS`` with a `JobProgress` as meta) or,
in the embedded mode, straight to a listener in the same process. It carries the loss history, not
only the latest loss, so an agent that polls less often than the job steps still reports every
point; when training ends the job evaluates the final state on the test rows (`tribunal.evaluation`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from tribunal.artifact_client import ArtifactClient
from tribunal.checkpoint_sync import SyncedCheckpointStore
from tribunal.checkpoints import Checkpoint, CheckpointError, LocalCheckpointStore
from tribunal.commitments import final_state_proof
from tribunal.datasets import Dataset, load_dataset
from tribunal.device import pick_device
from tribunal.dispute.faults import WITHHOLD_CHEATS, named_cheat
from tribunal.evaluation import Evaluation, evaluate_state
from tribunal.models import build_step_graph
from tribunal.spec import TaskSpec, parse_spec, spec_hash
from tribunal.tasks import fetch_task_inputs
from tribunal.training import Progress, train

log = logging.getLogger(__name__)

TRAIN_TASK = "tribunal.worker.train"
EXECUTOR_DIR_ENV = "TRIBUNAL_EXECUTOR_DIR"
PUBLISH_EVERY_S = 0.5
MAX_LOSS_POINTS = 500
"""Most points a job's loss history keeps (the dashboard reads one page of 500 reports)."""


class JobCancelled(RuntimeError):
    """The agent asked the job to stop (it resumes from its last checkpoint next time)."""


@dataclass(frozen=True)
class TrainingJob:
    job_id: str
    task_id: int
    spec_json: str
    """The spec's canonical JSON (its keccak256 is the on-chain spec hash)."""
    spec_hash: str
    checkpoints: dict[int, str] = field(default_factory=dict)
    """Checkpoints the agent already knows of (step → 0x content hash), e.g. from another machine."""
    artifact_store: str | None = None
    device: str | None = None
    """None: the executor's own device (``TRIBUNAL_DEVICE``, else CUDA when present, else CPU)."""
    work_dir: str | None = None
    """None: the executor's own directory (``TRIBUNAL_EXECUTOR_DIR``)."""
    cheat: str | None = None
    """A named cheat (`tribunal.dispute.faults.CHEATS`) of a deliberately dishonest demo worker."""
    derived_spec: bool = False
    """The spec was derived from a DiLoCo job (`tribunal.diloco.resolve`): ``spec_hash`` is the
    chain's name of the task, not the spec's hash, and names its checkpoints."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["checkpoints"] = {str(k): v for k, v in self.checkpoints.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainingJob:
        data = dict(data)
        data["checkpoints"] = {int(k): v for k, v in data.get("checkpoints", {}).items()}
        return cls(**data)


@dataclass
class JobProgress:
    """What a running job has done so far (cumulative, so the latest report says it all)."""

    step: int = 0
    steps: int = 0
    loss: float | None = None
    steps_per_s: float = 0.0
    resumed_from: int = 0
    checkpoints: dict[int, str] = field(default_factory=dict)
    device: str = ""
    updated_at: float = 0.0
    losses: dict[int, float] = field(default_factory=dict)
    """Loss by step (the number of steps done, as progress reports count) of the steps run by this
    job, bounded by `MAX_LOSS_POINTS`: every step until the history is full, then every second, every
    fourth, … step (the stride doubles each time it fills, so the points stay evenly spread), plus
    the newest step."""
    loss_stride: int = 1

    def record_loss(self, step: int, loss: float, limit: int = MAX_LOSS_POINTS) -> None:
        """Add ``step``'s loss, thinning the history to at most ``limit`` points (and the newest)."""
        newest = max(self.losses, default=None)
        if newest is not None and newest % self.loss_stride != 0:
            del self.losses[newest]
        self.losses[step] = loss
        while len(self.losses) > limit:
            self.loss_stride *= 2
            self.losses = {s: v for s, v in self.losses.items() if s % self.loss_stride == 0 or s == step}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["checkpoints"] = {str(k): v for k, v in self.checkpoints.items()}
        data["losses"] = {str(k): v for k, v in self.losses.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobProgress:
        data = dict(data)
        data["checkpoints"] = {int(k): v for k, v in data.get("checkpoints", {}).items()}
        data["losses"] = {int(k): float(v) for k, v in data.get("losses", {}).items()}
        return cls(**data)


@dataclass(frozen=True)
class TrainingOutcome:
    trace_root: str
    model_hash: str
    checkpoints: dict[int, str]
    resumed_from: int
    steps_run: int
    seconds: float
    elements_per_s: float | None
    device: str
    final_state_root: str = ""
    """h_S (0x-hex): what the result names on-chain as the model (leaf S of the trace root)."""
    final_state_proof: list[str] = field(default_factory=list)
    """h_S's Merkle proof under the trace root (0x-hex siblings, bottom-up), for `submitResult`."""
    losses: dict[int, float] = field(default_factory=dict)
    """The job's loss history (`JobProgress.losses`): a Celery job's last progress is not polled."""
    evaluation: Evaluation | None = None
    """The final state's test loss and accuracy (RepOps); None if the evaluation failed."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["checkpoints"] = {str(k): v for k, v in self.checkpoints.items()}
        data["losses"] = {str(k): v for k, v in self.losses.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainingOutcome:
        data = dict(data)
        data["checkpoints"] = {int(k): v for k, v in data.get("checkpoints", {}).items()}
        data["losses"] = {int(k): float(v) for k, v in data.get("losses", {}).items()}
        evaluation = data.get("evaluation")
        data["evaluation"] = Evaluation(**evaluation) if evaluation else None
        return cls(**data)


Publish = Callable[[JobProgress], None]


def executor_dir() -> Path:
    return Path(os.environ.get(EXECUTOR_DIR_ENV, Path.home() / ".tribunal" / "executor"))


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def run_training(job: TrainingJob, publish: Publish | None = None,
                 cancel: threading.Event | None = None) -> TrainingOutcome:
    """Train ``job``'s task to the end from the newest usable checkpoint; publish checkpoints."""
    spec = parse_spec(job.spec_json)
    digest = bytes.fromhex(job.spec_hash[2:]) if job.derived_spec else spec_hash(spec)
    if _hex(digest) != job.spec_hash.lower():
        raise ValueError(f"job {job.job_id}: the spec hashes to {_hex(digest)}, not {job.spec_hash}")
    device = pick_device(job.device)
    work_dir = Path(job.work_dir) if job.work_dir else executor_dir()
    artifacts = ArtifactClient(job.artifact_store) if job.artifact_store else None
    fetch_task_inputs(spec, artifacts)  # an uploaded dataset, once, into this machine's cache
    dataset = load_dataset(spec.dataset)
    progress = JobProgress(steps=spec.steps, device=str(device))
    last_publish = 0.0

    def send(force: bool = False) -> None:
        nonlocal last_publish
        now = time.monotonic()
        if publish is not None and (force or now - last_publish >= PUBLISH_EVERY_S):
            progress.updated_at = time.time()
            publish(progress)
            last_publish = now

    def on_checkpoint(step: int, content_hash: bytes) -> None:
        progress.checkpoints[step] = _hex(content_hash)
        send(force=True)

    def on_step(p: Progress) -> None:
        progress.step, progress.loss, progress.steps_per_s = p.step, p.loss, p.steps_per_second
        progress.record_loss(p.step, p.loss)
        send()
        if cancel is not None and cancel.is_set() and p.step < spec.steps:
            raise JobCancelled(f"job {job.job_id} cancelled at step {p.step}")

    withhold = job.cheat in WITHHOLD_CHEATS
    if withhold:
        log.warning("task %d: CHEATING as asked (--cheat %s): the model checkpoint is not uploaded",
                    job.task_id, job.cheat, extra={"event": "cheating", "task_id": job.task_id})
    store = SyncedCheckpointStore(LocalCheckpointStore(work_dir / "checkpoints"), artifacts,
                                  model_step=spec.steps, on_put=on_checkpoint, withhold_model=withhold)
    graph = build_step_graph(spec, dataset)
    resume = newest_checkpoint(store, digest, graph, job.checkpoints)
    progress.resumed_from = progress.step = resume.step if resume else 0
    progress.checkpoints.update({s: _hex(h) for s, h in store.steps(digest).items()})
    if resume is not None:
        log.info("task %d: resuming from the checkpoint at step %d", job.task_id, resume.step,
                 extra={"event": "resume", "task_id": job.task_id, "step": resume.step})
    send(force=True)
    began = time.perf_counter()
    tamper = named_cheat(job.cheat, graph, spec.steps) if job.cheat else None
    if tamper is not None:
        log.warning("task %d: CHEATING as asked (--cheat %s): %s", job.task_id, job.cheat, tamper,
                    extra={"event": "cheating", "task_id": job.task_id})
    result = train(spec, dataset=dataset, device=device, store=store, resume=resume, progress=on_step,
                   tamper=tamper, spec_key=digest)
    seconds = time.perf_counter() - began
    store.publish_pending()
    checkpoints = {**job.checkpoints, **{s: _hex(h) for s, h in store.steps(digest).items()}}
    if artifacts is not None and not withhold:
        final = store.get(result.model_hash)
        if not artifacts.exists(result.model_hash):
            artifacts.upload_bytes(final.to_bytes(), kind="model")
    steps_run = spec.steps - progress.resumed_from
    progress.step, progress.checkpoints = spec.steps, checkpoints
    send(force=True)
    evaluation = evaluate_final(job, spec, result.final_state, dataset, device)
    final_state, proof = final_state_proof(result.state_commitments)
    return TrainingOutcome(
        trace_root=_hex(result.trace_root),
        model_hash=_hex(result.model_hash),
        checkpoints=checkpoints,
        resumed_from=progress.resumed_from,
        steps_run=steps_run,
        seconds=seconds,
        elements_per_s=graph.num_elements * steps_run / seconds if steps_run and seconds > 0 else None,
        device=str(device),
        final_state_root=_hex(final_state),
        final_state_proof=[_hex(p) for p in proof],
        losses=dict(progress.losses),
        evaluation=evaluation,
    )


def evaluate_final(job: TrainingJob, spec: TaskSpec, final_state: list[Any], dataset: Dataset,
                   device: torch.device) -> Evaluation | None:
    """The final state's test loss and accuracy; None (logged) if it cannot be computed, since the
    result stands without it."""
    try:
        evaluation = evaluate_state(spec, final_state, dataset=dataset, device=device)
    except Exception as exc:  # noqa: BLE001 - a failed evaluation must not lose the trained result
        log.warning("task %d: cannot evaluate the final model on the test rows: %s", job.task_id, exc,
                    extra={"event": "evaluation_failed", "task_id": job.task_id})
        return None
    log.info("task %d: final model: %s", job.task_id, evaluation.describe(),
             extra={"event": "evaluated", "task_id": job.task_id, "test_loss": evaluation.loss,
                    "test_accuracy": evaluation.accuracy, "test_rows": evaluation.rows})
    return evaluation


def newest_checkpoint(store: SyncedCheckpointStore, digest: bytes, graph: Any,
                      known: dict[int, str]) -> Checkpoint | None:
    """The checkpoint with the most steps among the local ones and ``known``, that loads and
    belongs to this task (a corrupt or foreign one is skipped with a warning)."""
    candidates = {step: _hex(h) for step, h in store.steps(digest).items()}
    for step, h in known.items():
        candidates.setdefault(step, h)
    for step in sorted(candidates, reverse=True):
        try:
            checkpoint = store.get(bytes.fromhex(candidates[step][2:]))
            checkpoint.check_against(digest, graph)
            return checkpoint
        except (KeyError, CheckpointError) as exc:
            log.warning("checkpoint at step %d unusable (%s); trying an older one", step, exc)
    return None


# -- the Celery task -------------------------------------------------------------------------

_listeners: dict[str, Publish] = {}
_cancels: dict[str, threading.Event] = {}
_registry_lock = threading.Lock()


def listen(job_id: str, publish: Publish, cancel: threading.Event) -> None:
    """Embedded mode: route a job's progress to ``publish`` and let ``cancel`` stop it."""
    with _registry_lock:
        _listeners[job_id] = publish
        _cancels[job_id] = cancel


def unlisten(job_id: str) -> None:
    with _registry_lock:
        _listeners.pop(job_id, None)
        _cancels.pop(job_id, None)


def train_task(self: Any, job_data: dict[str, Any]) -> dict[str, Any]:
    """Body of the ``tribunal.worker.train`` Celery task (bound: ``self`` is the task)."""
    job = TrainingJob.from_json(job_data)
    if self.request.is_eager:
        with _registry_lock:
            publish, cancel = _listeners.get(job.job_id), _cancels.get(job.job_id)
    else:
        def publish(progress: JobProgress) -> None:
            self.update_state(state="PROGRESS", meta=progress.to_json())

        cancel = None
    log.info("job %s: training task %d", job.job_id, job.task_id,
             extra={"event": "job_started", "task_id": job.task_id, "job_id": job.job_id})
    return run_training(job, publish, cancel).to_json()
