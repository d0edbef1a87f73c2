"""/api/artifacts: content-addressed upload (hash verified) and download (with HTTP ranges)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect

from backend import metrics
from backend.api.deps import SessionDep, StateDep
from backend.api.schemas import ArtifactOut, ErrorOut
from backend.artifacts.store import EmptyUpload, HashMismatch, RangeError, TooLarge, Truncated, parse_range
from backend.services import artifacts as artifact_service
from backend.services.errors import BadRequest, NotFound, PayloadTooLarge, RangeNotSatisfiable

router = APIRouter(prefix="/artifacts", tags=["artifacts"])
HashPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="keccak256 of the content")]
Kind = Annotated[Literal["spec", "dataset", "checkpoint", "model", "other"], Query(description="what it is")]
BINARY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary", "minLength": 1}}
        },
    }
}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "hash mismatch, truncated or empty upload (nothing kept)"},
    413: {"model": ErrorOut, "description": "larger than TRIBUNAL_MAX_ARTIFACT_BYTES (nothing kept)"},
}


async def _store_upload(
    request: Request, state: StateDep, session: SessionDep, expected: str | None, kind: str
) -> tuple[ArtifactOut, bool]:
    length = request.headers.get("content-length")
    declared = int(length) if length and length.isdigit() else None
    try:
        stored = await state.store.put(
            request.stream(),
            state.settings.max_artifact_bytes,
            expected_hash=expected,
            declared_size=declared,
        )
    except TooLarge as exc:
        metrics.ARTIFACT_UPLOADS.labels(outcome="too_large").inc()
        raise PayloadTooLarge(str(exc)) from exc
    except (HashMismatch, Truncated, EmptyUpload) as exc:
        metrics.ARTIFACT_UPLOADS.labels(outcome=type(exc).__name__).inc()
        raise BadRequest(str(exc)) from exc
    except ClientDisconnect as exc:
        metrics.ARTIFACT_UPLOADS.labels(outcome="disconnected").inc()
        raise BadRequest("the client went away before the upload was complete (nothing kept)") from exc
    metrics.ARTIFACT_UPLOADS.labels(outcome="stored").inc()
    metrics.ARTIFACT_BYTES.labels(direction="in").inc(stored.size)
    row = artifact_service.record(session, stored.hash, stored.size, kind)
    if stored.created or row.verified is None:
        state.jobs.verify_artifact(stored.hash)
    return ArtifactOut.model_validate(row), stored.created


@router.put(
    "/{content_hash}",
    response_model=ArtifactOut,
    status_code=201,
    openapi_extra=BINARY_BODY,
    responses={**UPLOAD_ERRORS, 200: {"model": ArtifactOut, "description": "already stored"}},
    summary="Upload an artifact under its hash",
)
async def put_artifact(
    request: Request,
    response: Response,
    state: StateDep,
    session: SessionDep,
    content_hash: HashPath,
    kind: Kind = "other",
) -> ArtifactOut:
    """Stream the body to the store; it is kept only if its keccak256 equals `content_hash`."""
    out, created = await _store_upload(request, state, session, content_hash.lower(), kind)
    response.status_code = 201 if created else 200
    return out


@router.post(
    "",
    response_model=ArtifactOut,
    status_code=201,
    openapi_extra=BINARY_BODY,
    responses={**UPLOAD_ERRORS, 200: {"model": ArtifactOut, "description": "already stored"}},
    summary="Upload an artifact; the server names it",
)
async def post_artifact(
    request: Request, response: Response, state: StateDep, session: SessionDep, kind: Kind = "other"
) -> ArtifactOut:
    """Stream the body to the store and answer with its keccak256 (prefer PUT to have it checked)."""
    out, created = await _store_upload(request, state, session, None, kind)
    response.status_code = 201 if created else 200
    return out


@router.get(
    "/{content_hash}/meta",
    response_model=ArtifactOut,
    summary="An artifact's record",
    responses={404: {"model": ErrorOut, "description": "no such artifact"}},
)
async def artifact_meta(session: SessionDep, content_hash: HashPath) -> ArtifactOut:
    return ArtifactOut.model_validate(artifact_service.get(session, content_hash.lower()))


def _download(state: StateDep, content_hash: str, range_header: str | None, body: bool) -> Response:
    content_hash = content_hash.lower()
    size = state.store.size(content_hash)
    if size is None:
        raise NotFound(f"no artifact {content_hash} in the store")
    try:
        byte_range = parse_range(range_header, size)
    except RangeError as exc:
        raise RangeNotSatisfiable(str(exc)) from exc
    headers = {
        "accept-ranges": "bytes",
        "etag": f'"{content_hash}"',
        "cache-control": "public, max-age=31536000, immutable",
    }
    start, end, code = 0, size - 1, 200
    if byte_range is not None and not byte_range.whole:
        start, end, code = byte_range.start, byte_range.end, 206
        headers["content-range"] = f"bytes {start}-{end}/{size}"
    headers["content-length"] = str(end - start + 1)
    if not body or size == 0:
        return Response(status_code=code, headers=headers, media_type="application/octet-stream")

    def chunks() -> Iterator[bytes]:
        for chunk in state.store.open_range(content_hash, start, end):
            metrics.ARTIFACT_BYTES.labels(direction="out").inc(len(chunk))
            yield chunk

    return StreamingResponse(
        chunks(), status_code=code, headers=headers, media_type="application/octet-stream"
    )


DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "description": "the whole artifact",
    },
    206: {
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "description": "the requested byte range",
    },
    404: {"model": ErrorOut, "description": "no such artifact"},
    416: {"model": ErrorOut, "description": "the range is outside the artifact or malformed"},
}


@router.get(
    "/{content_hash}",
    response_class=StreamingResponse,
    responses=DOWNLOAD_RESPONSES,
    summary="Download an artifact (Range supported)",
)
def get_artifact(
    state: StateDep, content_hash: HashPath, range_: Annotated[str | None, Header(alias="range")] = None
) -> Response:
    """The bytes named by `content_hash`; a `Range: bytes=a-b` header gets 206 with that slice."""
    return _download(state, content_hash, range_, body=True)


@router.head("/{content_hash}", responses=DOWNLOAD_RESPONSES, summary="An artifact's size (no body)")
def head_artifact(
    state: StateDep, content_hash: HashPath, range_: Annotated[str | None, Header(alias="range")] = None
) -> Response:
    return _download(state, content_hash, range_, body=False)
