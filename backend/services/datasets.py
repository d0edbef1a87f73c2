"""Datasets a task can train on: the built-in ones and those users upload (as `TRIBDS` artifacts).

An upload is read and prepared by `tribunal.datasets.ingest` (the same code `tribunal dataset add`
runs), so its dataset root is what every worker and verifier computes from the stored artifact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.artifacts.store import ArtifactStore
from backend.db.models import Artifact
from backend.services.errors import BadRequest
from tribunal.datasets import DATASET_NAMES, Dataset, DatasetFormatError, load_dataset
from tribunal.datasets.ingest import DatasetInputError, IngestOptions, ingest_file
from tribunal.datasets.serialization import HEADER_PREFIX_BYTES, dataset_header, dataset_header_length

MAX_LISTED = 500


class InvalidDataset(BadRequest):
    status_code = 422


def describe(dataset: Dataset, ref: str, *, uploaded: bool,
             created_at: float | None = None) -> dict[str, Any]:
    return {
        "ref": ref, "name": dataset.name, "uploaded": uploaded, "rows": dataset.num_rows,
        "test_rows": dataset.num_test_rows, "features": dataset.num_features, "targets": dataset.num_targets,
        "target_kind": dataset.target_kind, "num_classes": dataset.num_classes,
        "description": dataset.description, "root": "0x" + dataset.root.hex() if uploaded else None,
        "preparation": None if dataset.preparation is None else json.loads(dataset.preparation),
        "created_at": created_at,
    }


def builtin() -> list[dict[str, Any]]:
    out = []
    for name in DATASET_NAMES:
        ds = load_dataset(name)
        out.append({
            "ref": name, "name": name, "uploaded": False, "rows": ds.num_rows, "test_rows": ds.num_test_rows,
            "features": ds.num_features, "targets": ds.num_targets, "target_kind": ds.target_kind,
            "num_classes": ds.num_classes, "description": ds.description,
        })
    return out


def _from_header(content_hash: str, header: dict[str, Any], created_at: float) -> dict[str, Any]:
    train_rows, width = header["train_shape"]
    return {
        "ref": content_hash, "name": header["name"], "uploaded": True, "rows": train_rows,
        "test_rows": header["test_shape"][0], "features": header["num_features"],
        "targets": header["num_targets"], "target_kind": header["target_kind"],
        "num_classes": header["num_classes"], "description": header["description"],
        "root": header["train_root"], "preparation": header.get("preparation"), "created_at": created_at,
    }


def uploaded(session: Session, store: ArtifactStore) -> list[dict[str, Any]]:
    """Uploaded datasets, newest first (each read from its stored header, not its rows)."""
    rows = session.scalars(select(Artifact).where(Artifact.kind == "dataset")
                           .order_by(Artifact.created_at.desc()).limit(MAX_LISTED)).all()
    out = []
    for row in rows:
        size = store.size(row.hash)
        if size is None or size < HEADER_PREFIX_BYTES:
            continue
        try:
            prefix = b"".join(store.open_range(row.hash, 0, HEADER_PREFIX_BYTES - 1))
            end = min(size, HEADER_PREFIX_BYTES + dataset_header_length(prefix)) - 1
            header = dataset_header(b"".join(store.open_range(row.hash, 0, end)))
        except DatasetFormatError:
            continue  # an artifact uploaded as "dataset" that is not one: not offered
        out.append(_from_header(row.hash, header, row.created_at))
    return out


def ingest(path: Path, filename: str, options: IngestOptions) -> Dataset:
    """The uploaded file as a dataset; `InvalidDataset` names the row and column of what is wrong."""
    try:
        return ingest_file(path, options, source_name=filename)
    except DatasetInputError as exc:
        raise InvalidDataset(f"{filename}: {exc}") from exc
