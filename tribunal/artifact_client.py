"""Client of the backend's artifact store: upload bytes or a file and get its keccak256, download by
hash with verification. Used by the worker (checkpoints, models) and the verifier (re-execution).

    client = ArtifactClient("http://127.0.0.1:8000")
    digest = client.upload_bytes(spec_bytes, kind="spec")
    assert client.download(digest) == spec_bytes
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import httpx

from tribunal.merkle import keccak256, keccak256_hasher

Kind = Literal["spec", "dataset", "checkpoint", "model", "other"]
CHUNK = 1 << 20


class ArtifactError(RuntimeError):
    """The store refused an upload, lacks an artifact, or sent bytes that do not match the hash."""


def content_hash(data: bytes) -> str:
    return "0x" + keccak256(data).hex()


def file_hash(path: Path) -> str:
    hasher = keccak256_hasher()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return "0x" + hasher.hexdigest()


def _normalise(digest: str | bytes) -> str:
    text = "0x" + digest.hex() if isinstance(digest, bytes) else digest.lower()
    if len(text) != 66 or not text.startswith("0x"):
        raise ValueError(f"not a keccak256 hash: {digest!r}")
    return text


class ArtifactClient:
    """Talks to ``{base_url}/api/artifacts`` (TRIBUNAL_ARTIFACT_STORE, default http://127.0.0.1:8000)."""

    def __init__(self, base_url: str, timeout_s: float = 300.0, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ArtifactClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _url(self, digest: str) -> str:
        return f"{self.base_url}/api/artifacts/{digest}"

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ArtifactError(f"{what}: HTTP {response.status_code}: {detail}")

    # ------------------------------------------------------------ upload

    def upload_bytes(self, data: bytes, kind: Kind = "other") -> str:
        """Store `data`; returns its keccak256 (0x-hex), which the server checked."""
        digest = content_hash(data)
        response = self._http.put(
            self._url(digest),
            params={"kind": kind},
            content=data,
            headers={"content-type": "application/octet-stream"},
        )
        self._check(response, f"upload of {digest}")
        return digest

    def upload_file(self, path: Path | str, kind: Kind = "other") -> str:
        """Stream a file to the store (hashed locally first, verified by the server)."""
        path = Path(path)
        digest = file_hash(path)

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    yield chunk

        response = self._http.put(
            self._url(digest),
            params={"kind": kind},
            content=chunks(),
            headers={"content-type": "application/octet-stream", "content-length": str(path.stat().st_size)},
        )
        self._check(response, f"upload of {path} ({digest})")
        return digest

    # ------------------------------------------------------------ download

    def exists(self, digest: str | bytes) -> bool:
        response = self._http.head(self._url(_normalise(digest)))
        return response.status_code == 200

    def download(self, digest: str | bytes) -> bytes:
        """The artifact's bytes, verified against `digest`."""
        digest = _normalise(digest)
        response = self._http.get(self._url(digest))
        self._check(response, f"download of {digest}")
        if content_hash(response.content) != digest:
            raise ArtifactError(
                f"the store sent bytes for {digest} that hash to {content_hash(response.content)}"
            )
        return response.content

    def download_unverified(self, digest: str | bytes) -> bytes:
        """What the store serves under `digest`, NOT checked against it: for a caller that checks the
        content another way (`tribunal.model_delivery.assemble_model` checks a model chunk by chunk
        against its committed roots, so a file spoiled in places still yields its good chunks)."""
        digest = _normalise(digest)
        response = self._http.get(self._url(digest))
        self._check(response, f"download of {digest}")
        return response.content

    def download_to(self, digest: str | bytes, path: Path | str) -> Path:
        """Stream the artifact into `path` (atomically, only once verified)."""
        digest = _normalise(digest)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            hasher = keccak256_hasher()
            with os.fdopen(fd, "wb") as out, self._http.stream("GET", self._url(digest)) as response:
                if response.status_code >= 400:
                    response.read()
                    self._check(response, f"download of {digest}")
                for chunk in response.iter_bytes(CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
            if "0x" + hasher.hexdigest() != digest:
                raise ArtifactError(f"the store sent bytes for {digest} that hash to 0x{hasher.hexdigest()}")
            os.replace(temporary, path)
            return path
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def read_range(self, digest: str | bytes, start: int, end: int) -> bytes:
        """Bytes start..end (inclusive) of an artifact (not verifiable on its own: a slice has no hash)."""
        response = self._http.get(self._url(_normalise(digest)), headers={"range": f"bytes={start}-{end}"})
        self._check(response, f"range {start}-{end} of {digest!r}")
        return response.content
