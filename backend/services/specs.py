"""Task specs for the dashboard: validate, commit (RepOps roots) and describe datasets.

The browser cannot compute the dataset root, the initial-state root or the graph root; this
service does, with the same code the worker and verifier use (`tribunal.tasks.prepare_task`).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from backend.services.errors import BadRequest
from tribunal.datasets import DATASET_NAMES, load_dataset
from tribunal.spec import TaskSpec, canonical_json, parse_spec
from tribunal.tasks import PreparedTask, prepare_task


class InvalidSpec(BadRequest):
    status_code = 422


def parse_and_prepare(body: bytes) -> tuple[TaskSpec, PreparedTask]:
    """Parse a spec and derive its commitments; `InvalidSpec` says what is wrong."""
    try:
        spec = parse_spec(body)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'spec'}: {e['msg']}"
                            for e in exc.errors())
        raise InvalidSpec(reasons) from exc
    try:
        prepared = prepare_task(spec, spec_uri="")
    except ValueError as exc:
        raise InvalidSpec(str(exc)) from exc
    return spec, prepared


def describe(prepared: PreparedTask, spec_uri: str) -> dict[str, Any]:
    def hex32(value: bytes) -> str:
        return "0x" + value.hex()

    return {
        "spec": json.loads(canonical_json(prepared.spec)),
        "specHash": hex32(prepared.spec_hash),
        "specURI": spec_uri,
        "datasetRoot": hex32(prepared.dataset_root),
        "initStateRoot": hex32(prepared.init_state_root),
        "graphRoot": hex32(prepared.graph_root),
        "steps": prepared.spec.steps,
        "checkpointEvery": prepared.spec.checkpoint_every,
    }


def datasets() -> list[dict[str, Any]]:
    out = []
    for name in DATASET_NAMES:
        ds = load_dataset(name)
        out.append({
            "name": name, "rows": ds.num_rows, "features": ds.num_features,
            "targets": ds.num_targets, "target_kind": ds.target_kind,
            "num_classes": ds.num_classes, "description": ds.description,
        })
    return out
