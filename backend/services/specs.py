"""Task specs for the dashboard: validate, bound, commit (RepOps roots) and describe datasets.

The browser cannot compute the dataset root, the initial-state root or the graph root; this
service does, with the same code the worker and verifier use (`tribunal.tasks.prepare_task`).
Committing costs CPU in proportion to the model (about 0.25 s per million parameters), so the API
checks a spec against `SpecLimits` in the request and leaves `prepare` to a background job.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from backend.artifacts.store import ArtifactStore
from backend.services.errors import BadRequest
from backend.services.task_inputs import cache_task_inputs
from backend.settings import BackendSettings
from tribunal.datasets import load_dataset
from tribunal.graph import PARAM_PREFIX
from tribunal.models import state_layout
from tribunal.spec import TaskSpec, canonical_json, parse_spec
from tribunal.tasks import PreparedTask, prepare_task

FLOPS_PER_PARAMETER_SAMPLE = 6
"""Training compute per parameter and batch row per step: 2 forward, 4 backward (the usual count)."""


class InvalidSpec(BadRequest):
    status_code = 422


@dataclass(frozen=True)
class SpecLimits:
    """What this backend agrees to prepare (the settings `spec_max_*`)."""

    max_parameters: int
    max_steps: int
    max_batch: int
    max_train_flops: float

    @classmethod
    def from_settings(cls, settings: BackendSettings) -> SpecLimits:
        return cls(settings.spec_max_parameters, settings.spec_max_steps, settings.spec_max_batch,
                   settings.spec_max_train_flops)


def parse(body: bytes) -> TaskSpec:
    """The spec in `body`; `InvalidSpec` lists each invalid field."""
    try:
        return parse_spec(body)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'spec'}: {e['msg']}"
                            for e in exc.errors())
        raise InvalidSpec(reasons) from exc


def parameter_count(spec: TaskSpec, store: ArtifactStore | None = None) -> int:
    """The model's parameters on its dataset (the slots' shapes only: nothing is drawn or hashed);
    `InvalidSpec` if the model and the dataset do not fit together, `MissingInput` if the spec names
    an uploaded dataset this backend does not hold."""
    cache_task_inputs(store, spec)
    try:
        slots = state_layout(spec, load_dataset(spec.dataset))
    except ValueError as exc:
        raise InvalidSpec(str(exc)) from exc
    return sum(math.prod(slot.shape) for slot in slots if slot.name.startswith(PARAM_PREFIX))


def check_limits(spec: TaskSpec, limits: SpecLimits, store: ArtifactStore | None = None) -> None:
    """`InvalidSpec` naming the first field beyond this backend's limits, the limit and its setting."""
    if spec.steps > limits.max_steps:
        raise InvalidSpec(f"steps: {spec.steps:,} exceeds this backend's limit of {limits.max_steps:,} "
                          "(TRIBUNAL_SPEC_MAX_STEPS)")
    if spec.batch_size > limits.max_batch:
        raise InvalidSpec(f"batch_size: {spec.batch_size:,} exceeds this backend's limit of "
                          f"{limits.max_batch:,} (TRIBUNAL_SPEC_MAX_BATCH)")
    parameters = parameter_count(spec, store)
    if parameters > limits.max_parameters:
        raise InvalidSpec(f"model: {parameters:,} parameters exceed this backend's limit of "
                          f"{limits.max_parameters:,} (TRIBUNAL_SPEC_MAX_PARAMETERS): use fewer or "
                          "narrower layers")
    flops = FLOPS_PER_PARAMETER_SAMPLE * parameters * spec.batch_size * spec.steps
    if flops > limits.max_train_flops:
        raise InvalidSpec(f"steps: training would take about {flops:.3g} FLOPs ({FLOPS_PER_PARAMETER_SAMPLE}"
                          f" x {parameters:,} parameters x batch_size {spec.batch_size:,} x "
                          f"{spec.steps:,} steps), beyond this backend's limit of "
                          f"{limits.max_train_flops:.3g} (TRIBUNAL_SPEC_MAX_TRAIN_FLOPS): ask fewer "
                          "steps, a smaller batch or a smaller model")


def parse_and_prepare(body: bytes, store: ArtifactStore | None = None) -> tuple[TaskSpec, PreparedTask]:
    """Parse a spec and derive its commitments (the expensive part); `InvalidSpec` says what is wrong.
    An uploaded dataset the spec names is read from ``store``."""
    spec = parse(body)
    cache_task_inputs(store, spec)
    try:
        prepared = prepare_task(spec, spec_uri="")
    except ValueError as exc:
        raise InvalidSpec(str(exc)) from exc
    return spec, prepared


def commitments(prepared: PreparedTask) -> dict[str, Any]:
    """What `postTask` needs but the spec's URI (each answer names the host it was asked at)."""
    def hex32(value: bytes) -> str:
        return "0x" + value.hex()

    return {
        "spec": json.loads(canonical_json(prepared.spec)),
        "specHash": hex32(prepared.spec_hash),
        "datasetRoot": hex32(prepared.dataset_root),
        "initStateRoot": hex32(prepared.init_state_root),
        "graphRoot": hex32(prepared.graph_root),
        "steps": prepared.spec.steps,
        "checkpointEvery": prepared.spec.checkpoint_every,
    }


def describe(committed: dict[str, Any], spec_uri: str) -> dict[str, Any]:
    """`commitments` with the URI the stored spec is served at: the answer of POST /api/specs."""
    return {**committed, "specURI": spec_uri}
