"""A local, content-addressed cache of the artifacts a task's spec names by hash.

A spec may name a user's dataset or a pretrained initial state by the keccak256 of its bytes
in the artifact store. Every machine that prepares the task (the backend, a worker, an
executor, a verifier, a submitter's CLI) needs those bytes locally before it can rebuild
the task's roots: :func:`fetch_artifact` downloads one once (verified against its hash)
into ``$TRIBUNAL_ARTIFACT_CACHE`` (default ``~/.tribunal/artifacts``) and
:func:`cached_artifact` reads it back without a network. A file in the cache is trusted
only after its hash is checked again on every read, so a spoiled cache is noticed (and
the file dropped), never used.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Final

import httpx

from tribunal.artifact_client import ArtifactClient, ArtifactError, Kind, content_hash

CACHE_ENV: Final = "TRIBUNAL_ARTIFACT_CACHE"


class ArtifactNotCached(LookupError):
    """The artifact is not in this machine's cache: fetch it from a store first."""


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV, Path.home() / ".tribunal" / "artifacts"))


def is_digest(text: str) -> bool:
    """Whether ``text`` is a ``0x``-prefixed keccak256 hash (64 hex digits)."""
    if len(text) != 66 or not text.startswith("0x"):
        return False
    try:
        int(text[2:], 16)
    except ValueError:
        return False
    return True


def _normalise(digest: str | bytes) -> str:
    text = "0x" + digest.hex() if isinstance(digest, bytes) else digest.lower()
    if not is_digest(text):
        raise ValueError(f"not a keccak256 hash: {digest!r}")
    return text


def _path(digest: str) -> Path:
    return cache_dir() / digest[2:4] / digest[2:]


def cached_artifact(digest: str | bytes) -> bytes:
    """The cached bytes of ``digest``, re-checked against it; ArtifactNotCached if absent or spoiled."""
    digest = _normalise(digest)
    path = _path(digest)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArtifactNotCached(
            f"artifact {digest} is not in the local cache {cache_dir()}: fetch it from the artifact "
            "store first (tribunal.artifact_cache.fetch_artifact)"
        ) from None
    if content_hash(data) != digest:
        path.unlink(missing_ok=True)
        raise ArtifactNotCached(
            f"the cached copy of {digest} at {path} was spoiled and has been dropped; " "fetch it again"
        )
    return data


def store_artifact(data: bytes) -> str:
    """Put ``data`` in the cache (atomically) and return its hash."""
    digest = content_hash(data)
    path = _path(digest)
    if path.exists():
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return digest


def fetch_artifact(digest: str | bytes, store: ArtifactClient | None) -> bytes:
    """The bytes of ``digest`` from the cache, else from ``store`` (verified, then cached)."""
    digest = _normalise(digest)
    try:
        return cached_artifact(digest)
    except ArtifactNotCached:
        if store is None:
            raise
    try:
        store.download_to(digest, _path(digest))
    except (ArtifactError, httpx.HTTPError) as exc:
        raise ArtifactNotCached(
            f"artifact {digest} could not be fetched from {store.base_url}: {exc}"
        ) from exc
    return cached_artifact(digest)


def publish_artifact(data: bytes, store: ArtifactClient | None, kind: Kind) -> str:
    """Keep ``data`` in the local cache and upload it to ``store`` (when given); its hash. Raises
    ArtifactError (or httpx's errors) when the upload fails, RuntimeError if the store files it
    under another hash."""
    digest = store_artifact(data)
    if store is not None:
        uploaded = store.upload_bytes(data, kind=kind)
        if uploaded != digest:
            raise RuntimeError(f"the artifact store filed the {kind} under {uploaded}, not {digest}")
    return digest
