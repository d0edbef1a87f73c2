"""The artifact store over HTTP: hash-checked uploads that leave nothing behind when refused, ranged
downloads, the Python client, and the background re-hash."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from backend import metrics
from backend.api.app import create_app
from backend.artifacts.store import LocalDiskStore
from backend.db.models import Artifact
from backend.jobs.work import JobResources, verify_artifact
from tests.support.backend import LiveServer, settings_for
from tests.support.waiting import wait_for
from tribunal.artifact_client import ArtifactClient, ArtifactError, content_hash

LIMIT = 64 * 1024


@pytest.fixture()
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    app = create_app(settings_for(db_url, tmp_path, max_artifact_bytes=LIMIT), migrate=False)
    with LiveServer(app) as live:
        yield live


def _store(server: LiveServer) -> LocalDiskStore:
    store = server.app.state.tribunal.store
    assert isinstance(store, LocalDiskStore)
    return store


def _nothing_kept(server: LiveServer, digest: str) -> None:
    store = _store(server)
    assert store.leftovers() == []
    assert store.size(digest) is None
    with server.app.state.tribunal.sessions() as session:
        assert session.scalar(select(Artifact).where(Artifact.hash == digest)) is None


def test_upload_download_and_ranges(server: LiveServer) -> None:
    data = os.urandom(10_000)
    with ArtifactClient(server.url) as client:
        digest = client.upload_bytes(data, kind="checkpoint")
        assert digest == content_hash(data) and client.exists(digest)
        assert client.download(digest) == data
        assert client.read_range(digest, 100, 199) == data[100:200]
        assert client.upload_bytes(data) == digest  # idempotent
    with httpx.Client(base_url=server.url) as http:
        url = f"/api/artifacts/{digest}"
        part = http.get(url, headers={"range": "bytes=9990-"})
        assert part.status_code == 206 and part.content == data[9990:]
        assert part.headers["content-range"] == "bytes 9990-9999/10000"
        assert http.get(url, headers={"range": "bytes=-16"}).content == data[-16:]
        assert http.get(url, headers={"range": "bytes=0-"}).status_code == 200
        assert http.get(url, headers={"range": "bytes=20000-30000"}).status_code == 416
        assert http.get(url, headers={"range": "pages=1-2"}).status_code == 416
        head = http.head(url)
        assert head.status_code == 200 and head.headers["content-length"] == "10000"
        meta = http.get(f"{url}/meta").json()
        assert (meta["size"], meta["kind"]) == (10_000, "checkpoint")
        posted = http.post("/api/artifacts", content=b"named by the server", params={"kind": "spec"})
        assert posted.status_code == 201 and posted.json()["hash"] == content_hash(b"named by the server")
        assert http.get("/api/artifacts/0x" + "00" * 32).status_code == 404


def test_wrong_hash_is_refused_and_leaves_nothing(server: LiveServer) -> None:
    data = b"the real bytes"
    claimed = content_hash(b"other bytes")
    response = httpx.put(f"{server.url}/api/artifacts/{claimed}", content=data)
    assert response.status_code == 400 and f"hash to {content_hash(data)}" in response.json()["detail"]
    _nothing_kept(server, claimed)
    _nothing_kept(server, content_hash(data))


def test_too_large_is_refused_with_or_without_a_declared_length(server: LiveServer) -> None:
    data = os.urandom(LIMIT + 1)
    digest = content_hash(data)
    declared = httpx.put(f"{server.url}/api/artifacts/{digest}", content=data)
    assert declared.status_code == 413 and str(LIMIT) in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while streaming
        for i in range(0, len(data), 4096):
            yield data[i : i + 4096]

    streamed = httpx.put(f"{server.url}/api/artifacts/{digest}", content=chunks())
    assert streamed.status_code == 413
    _nothing_kept(server, digest)


def test_truncated_upload_leaves_nothing(server: LiveServer) -> None:
    data = os.urandom(20_000)
    digest = content_hash(data)
    disconnected = metrics.ARTIFACT_UPLOADS.labels(outcome="disconnected")
    before = disconnected._value.get()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            f"PUT /api/artifacts/{digest} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data[:8_000]
        )
        wait_for(lambda: _store(server).leftovers(), 10, 0.01,
                 what="the server to stream the body to a temporary file")
    wait_for(lambda: not _store(server).leftovers(), 10, 0.05, what="the temporary file to be removed")
    _nothing_kept(server, digest)
    wait_for(lambda: disconnected._value.get() != before, 10, 0.05, what="the upload to be counted")
    assert disconnected._value.get() == before + 1  # refused as cut short, not for any other reason


def test_client_streams_files_and_refuses_corrupt_downloads(server: LiveServer, tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(50_000))
    with ArtifactClient(server.url) as client:
        digest = client.upload_file(source, kind="model")
        copy = client.download_to(digest, tmp_path / "out" / "model.bin")
        assert copy.read_bytes() == source.read_bytes()

        stored = _store(server)._path(digest)
        stored.write_bytes(b"bit rot" + stored.read_bytes()[7:])
        with pytest.raises(ArtifactError, match="hash to"):
            client.download(digest)
        with pytest.raises(ArtifactError, match="hash to"):
            client.download_to(digest, tmp_path / "out" / "again.bin")
        assert not (tmp_path / "out" / "again.bin").exists()
        with pytest.raises(ArtifactError, match="HTTP 404"):
            client.download("0x" + "ab" * 32)


def test_background_rehash_marks_good_objects_and_removes_corrupt_ones(server: LiveServer) -> None:
    state = server.app.state.tribunal
    good, bad = b"good bytes", b"bad bytes"
    with ArtifactClient(server.url) as client:
        good_hash, bad_hash = client.upload_bytes(good), client.upload_bytes(bad)
    _store(server)._path(bad_hash).write_bytes(b"tampered")
    resources = JobResources(sessions=state.sessions, store=state.store)
    assert verify_artifact(resources, good_hash) is True
    assert verify_artifact(resources, bad_hash) is False
    assert state.store.size(bad_hash) is None
    with state.sessions() as session:
        rows = {a.hash: a.verified for a in session.scalars(select(Artifact))}
    assert rows == {good_hash: True, bad_hash: False}


def test_uploads_are_verified_by_the_in_process_job_runner(server: LiveServer) -> None:
    state = server.app.state.tribunal
    assert state.jobs.embedded
    with ArtifactClient(server.url) as client:
        digest = client.upload_bytes(b"verify me in the background")

    def verdict() -> bool | None:
        with state.sessions() as session:
            return session.get(Artifact, digest).verified

    wait_for(lambda: verdict() is not None, 10, 0.05, what="the job runner's verdict")
    assert verdict() is True
