"""/api/datasets: the datasets a task can train on, and uploads of a user's own data.

POST /api/datasets takes the file itself as the body (CSV, Parquet, .npy or .npz) with what to
make of it in the query, prepares it exactly as `tribunal dataset add` does, stores the prepared
dataset as an artifact and answers what a spec's `dataset` field takes (`ref`). Bad input is
refused with the row and column at fault (422), a file over the limit with 413, and nothing is
stored either way. Uploads share the per-client rate limit of spec uploads (429). With `text`, the
features are that column's token ids (`tokenizer`, `context`), as `tribunal dataset add --text` makes.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from backend.api.deps import SessionDep, StateDep, respond
from backend.api.routes.specs import limit_spec_uploads
from backend.api.schemas import DatasetOut, ErrorOut
from backend.artifacts.store import TooLarge
from backend.services import artifacts as artifact_service
from backend.services import datasets as dataset_service
from backend.services.errors import BadRequest, PayloadTooLarge
from tribunal.datasets import dataset_to_bytes
from tribunal.datasets.ingest import FORMATS, DatasetInputError, IngestOptions
from tribunal.datasets.text import (
    DEFAULT_CONTEXT,
    DEFAULT_TOKENIZER,
    MAX_CONTEXT,
    MIN_CONTEXT,
    TOKENIZERS,
    TokenizerName,
)

router = APIRouter(tags=["specs"])


@router.get("/datasets", response_model=list[DatasetOut],
            summary="The datasets a task can train on: built in, then uploaded (newest first)")
async def get_datasets(state: StateDep, session: SessionDep) -> list[DatasetOut]:
    def read() -> list[DatasetOut]:
        rows = dataset_service.builtin() + dataset_service.uploaded(session, state.store)
        return [DatasetOut.model_validate(d) for d in rows]

    return await asyncio.to_thread(read)


async def _spool(request: Request, max_bytes: int, suffix: str) -> Path:
    """The body in a temporary file, refused (413) once it is known to exceed ``max_bytes``."""
    declared = request.headers.get("content-length", "")
    too_large = (f"a dataset file is at most {max_bytes:,} bytes here (TRIBUNAL_DATASET_MAX_BYTES); "
                 "`tribunal dataset add FILE` reads larger files locally and uploads the prepared dataset")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"{too_large}; this one is {int(declared):,}")
    fd, name = tempfile.mkstemp(prefix="dataset-upload-", suffix=suffix)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(too_large)
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    if size == 0:
        os.unlink(name)
        raise BadRequest("the body is empty: send the dataset file itself as the request body")
    return Path(name)


@router.post(
    "/datasets",
    status_code=201,
    response_model=DatasetOut,
    dependencies=[Depends(limit_spec_uploads)],
    responses={
        400: {"model": ErrorOut, "description": "an empty body"},
        413: {"model": ErrorOut, "description": "larger than TRIBUNAL_DATASET_MAX_BYTES (nothing kept)"},
        422: {"model": ErrorOut, "description": "the file can't be a dataset: the message names the row and "
                                                 "column (nothing kept)"},
        429: {"model": ErrorOut, "description": "too many uploads from this client; see Retry-After"},
    },
    summary="Upload a CSV, Parquet or NumPy file as a dataset a task can train on",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "text/csv": {"schema": {"type": "string"}}}}},
)
async def post_dataset(
    request: Request,
    state: StateDep,
    session: SessionDep,
    name: Annotated[str, Query(min_length=1, max_length=100, description="the dataset's name")],
    target: Annotated[list[str] | None, Query(
        description="target column (repeat for several regression targets; a NumPy column index; none for an "
                    ".npz with X and y)")] = None,
    task: Annotated[Literal["classification", "regression"], Query()] = "classification",
    filename: Annotated[str, Query(max_length=255, description="the file's name; its suffix gives the format "
                                                              "unless `format` is set")] = "data.csv",
    format: Annotated[Literal["csv", "parquet", "npy", "npz"] | None,
                      Query(description=", ".join(FORMATS))] = None,
    feature: Annotated[list[str] | None, Query(description="keep only these feature columns")] = None,
    description: Annotated[str, Query(max_length=500)] = "",
    text: Annotated[str | None, Query(
        min_length=1, max_length=255,
        description="a column of text (CSV, Parquet) whose token ids are the features; the file's other "
                    "columns but the target are left out")] = None,
    tokenizer: Annotated[TokenizerName | None, Query(
        description=f"with `text`: {', '.join(TOKENIZERS)} (default {DEFAULT_TOKENIZER})")] = None,
    context: Annotated[int | None, Query(
        ge=MIN_CONTEXT, le=MAX_CONTEXT,
        description=f"with `text`: ids per text, [CLS] tokens [SEP] truncated and padded "
                    f"(default {DEFAULT_CONTEXT})")] = None,
) -> Response:
    try:
        options = IngestOptions(name=name, targets=tuple(target or ()), task=task, format=format,
                                features=tuple(feature) if feature else None, description=description,
                                text=text, tokenizer=tokenizer, context=context)
    except DatasetInputError as exc:
        raise dataset_service.InvalidDataset(str(exc)) from exc
    suffix = Path(filename).suffix if format is None else f".{format}"
    path = await _spool(request, state.settings.dataset_max_bytes, suffix or ".csv")
    try:
        dataset = await asyncio.to_thread(dataset_service.ingest, path, Path(filename).name, options)
    finally:
        path.unlink(missing_ok=True)
    data = await asyncio.to_thread(dataset_to_bytes, dataset)

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    try:
        stored = await state.store.put(chunks(), state.settings.max_artifact_bytes)
    except TooLarge as exc:
        raise PayloadTooLarge(f"the prepared dataset is larger than TRIBUNAL_MAX_ARTIFACT_BYTES: {exc}") \
            from exc
    row = artifact_service.record(session, stored.hash, stored.size, "dataset")
    out = DatasetOut.model_validate(dataset_service.describe(dataset, stored.hash, uploaded=True,
                                                             created_at=row.created_at))
    response = respond(out)
    response.status_code = 201
    response.headers["Location"] = str(request.base_url).rstrip("/") + f"/api/artifacts/{stored.hash}"
    return response
