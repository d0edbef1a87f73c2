"""`tribunal.replica`: the verifier-side content-addressed store and its read-only HTTP server, read
through the same `ArtifactClient` the submitter uses on the artifact store."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tribunal.artifact_client import ArtifactClient, ArtifactError, content_hash
from tribunal.chain.anvil import free_port
from tribunal.replica import ReplicaServer, ReplicaStore

DATA = bytes(range(256)) * 40 + b"the model"
OTHER = b"another artifact"
UNKNOWN = "0x" + "ab" * 32


@pytest.fixture()
def store(tmp_path: Path) -> ReplicaStore:
    return ReplicaStore(tmp_path / "replica")


@pytest.fixture()
def server(store: ReplicaStore) -> Iterator[ReplicaServer]:
    with ReplicaServer(store) as running:
        yield running


# -- the store --------------------------------------------------------------------------------------


def test_put_get_has(store: ReplicaStore) -> None:
    digest = store.put(DATA, task_id=7, keep_until=1000.0, now=10.0)
    assert digest == content_hash(DATA)
    assert store.has(digest) and store.has(bytes.fromhex(digest[2:]))
    assert store.has(digest.upper().replace("0X", "0x"))
    assert store.get(digest) == DATA
    assert not store.has(UNKNOWN) and store.get(UNKNOWN) is None
    assert (store.root / "objects" / digest).read_bytes() == DATA
    index = json.loads((store.root / "index.json").read_text())
    assert index[digest] == {"task_id": 7, "keep_until": 1000.0, "size": len(DATA), "stored_at": 10.0}
    assert store.size_bytes() == len(DATA)
    with pytest.raises(ValueError):
        store.get("0x1234")
    with pytest.raises(ValueError):
        store.has("../index.json")


def test_index_survives_a_restart_and_a_second_put_extends(store: ReplicaStore) -> None:
    digest = store.put(DATA, task_id=1, keep_until=100.0)
    store.put(DATA, keep_until=50.0)  # an earlier deadline never shortens what is kept
    again = ReplicaStore(store.root)
    entry = again.entries()[digest]
    assert (entry.task_id, entry.keep_until) == (1, 100.0)
    again.put(DATA, task_id=2, keep_until=200.0)
    entry = ReplicaStore(store.root).entries()[digest]
    assert (entry.task_id, entry.keep_until) == (2, 200.0)


def test_a_corrupted_file_is_refused_and_removed(store: ReplicaStore,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    digest = store.put(DATA, keep_until=None)
    path = store.root / "objects" / digest
    path.write_bytes(DATA[:-1] + b"X")
    with caplog.at_level(logging.WARNING, "tribunal.replica"):
        assert store.get(digest) is None
    assert "does not match its hash" in caplog.text
    assert not path.exists() and not store.has(digest)
    assert digest not in store.entries()
    assert digest not in json.loads((store.root / "index.json").read_text())


def test_prune_by_keep_until(store: ReplicaStore) -> None:
    old = store.put(DATA, task_id=1, keep_until=100.0)
    new = store.put(OTHER, task_id=2, keep_until=300.0)
    forever = store.put(b"kept for good", keep_until=None)
    stray = store.root / "objects" / UNKNOWN  # a file the index does not know (a lost index)
    stray.write_bytes(b"?")
    assert store.prune(99.0) == [UNKNOWN]
    assert store.prune(100.0) == [old]
    assert not store.has(old) and store.has(new) and store.has(forever)
    assert store.prune(1e12) == [new]
    assert set(ReplicaStore(store.root).entries()) == {forever}
    assert store.size_bytes() == len(b"kept for good")


def test_an_unreadable_index_starts_over(tmp_path: Path) -> None:
    store = ReplicaStore(tmp_path)
    digest = store.put(DATA, keep_until=5.0)
    (tmp_path / "index.json").write_text("{not json")
    reopened = ReplicaStore(tmp_path)
    assert reopened.entries() == {} and reopened.get(digest) == DATA  # still served
    assert reopened.prune(0.0) == [digest]  # but not kept for ever


# -- the server, through the artifact client --------------------------------------------------------


def test_server_serves_what_the_artifact_client_reads(store: ReplicaStore, server: ReplicaServer,
                                                       tmp_path: Path) -> None:
    digest = store.put(DATA)
    with ArtifactClient(server.url) as client:
        assert client.download(digest) == DATA  # verified against the hash
        assert client.exists(digest) and not client.exists(UNKNOWN)
        assert client.read_range(digest, 0, 9) == DATA[:10]
        assert client.read_range(digest, 100, 355) == DATA[100:356]
        assert client.read_range(digest, len(DATA) - 3, len(DATA) + 50) == DATA[-3:]
        assert client.download_to(digest, tmp_path / "out.bin").read_bytes() == DATA
        with pytest.raises(ArtifactError, match="404.*not in this replica"):
            client.download(UNKNOWN)


def test_server_status_codes(store: ReplicaStore, server: ReplicaServer) -> None:
    digest = store.put(DATA)
    url = f"{server.url}/api/artifacts"
    with httpx.Client(timeout=10) as http:
        got = http.get(f"{url}/{digest}")
        assert got.status_code == 200 and got.content == DATA
        assert got.headers["content-type"] == "application/octet-stream"
        assert int(got.headers["content-length"]) == len(DATA)

        head = http.head(f"{url}/{digest}")
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(DATA)
        assert http.head(f"{url}/{UNKNOWN}").status_code == 404

        missing = http.get(f"{url}/{UNKNOWN}")
        assert missing.status_code == 404 and "not in this replica" in missing.json()["detail"]
        for bad in ("0x1234", "0x" + "zz" * 32, "nothex"):
            refused = http.get(f"{url}/{bad}")
            assert refused.status_code == 400 and "keccak256" in refused.json()["detail"]
        assert http.get(f"{server.url}/api/other").status_code == 404

        partial = http.get(f"{url}/{digest}", headers={"range": "bytes=5-14"})
        assert partial.status_code == 206 and partial.content == DATA[5:15]
        assert partial.headers["content-range"] == f"bytes 5-14/{len(DATA)}"
        assert http.get(f"{url}/{digest}", headers={"range": "bytes=-4"}).content == DATA[-4:]
        assert http.get(f"{url}/{digest}", headers={"range": "bytes=10-"}).content == DATA[10:]
        beyond = http.get(f"{url}/{digest}", headers={"range": f"bytes={len(DATA)}-"})
        assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(DATA)}"
        ignored = http.get(f"{url}/{digest}", headers={"range": "lines=1-2"})
        assert ignored.status_code == 200 and ignored.content == DATA

        for method in ("PUT", "POST", "DELETE"):
            refused = http.request(method, f"{url}/{digest}", content=b"x")
            assert refused.status_code == 405 and "read-only" in refused.json()["detail"]
            assert refused.headers["allow"] == "GET, HEAD"
    assert store.get(digest) == DATA


def test_a_corrupted_file_is_not_served(store: ReplicaStore, server: ReplicaServer) -> None:
    digest = store.put(DATA)
    (store.root / "objects" / digest).write_bytes(b"tampered")
    with ArtifactClient(server.url) as client, pytest.raises(ArtifactError, match="404"):
        client.download(digest)
    assert not store.has(digest)


def test_server_logs_through_logging(store: ReplicaStore, server: ReplicaServer,
                                     capsys: pytest.CaptureFixture[str],
                                     caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, "tribunal.replica"):
        httpx.get(f"{server.url}/api/artifacts/{UNKNOWN}", timeout=10)
    assert capsys.readouterr().err == ""
    assert any("GET /api/artifacts" in r.getMessage() for r in caplog.records)


def test_server_on_a_given_port_and_close(store: ReplicaStore) -> None:
    port = free_port()
    server = ReplicaServer(store, port=port).start()
    try:
        assert server.url == f"http://127.0.0.1:{port}"
        assert server.start() is server  # idempotent
        with pytest.raises(OSError):
            ReplicaServer(store, port=port).start()  # the port is taken
    finally:
        server.close()
    server.close()  # twice is fine
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/api/artifacts/{UNKNOWN}", timeout=2)


def _first_that_serves(stores: list[ArtifactClient], digest: str) -> tuple[bytes | None, list[str]]:
    """What `tribunal.model_delivery.find_model` does with its stores, minus the model check."""
    failures: list[str] = []
    for client in stores:
        try:
            return client.download(digest), failures
        except (ArtifactError, httpx.HTTPError) as exc:
            failures.append(f"{client.base_url}: {exc}")
    return None, failures


def test_a_replica_serves_when_the_store_is_gone(tmp_path: Path) -> None:
    operator_store = ReplicaStore(tmp_path / "operator")  # stands in for the operator's artifact store
    replica = ReplicaStore(tmp_path / "verifier")
    digest = operator_store.put(DATA)
    replica.put(DATA, task_id=3, keep_until=None)
    empty = ReplicaStore(tmp_path / "empty")
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: the operator went offline
    with ReplicaServer(empty) as lacking, ReplicaServer(replica) as serving:
        clients = [ArtifactClient(dead, timeout_s=2), ArtifactClient(lacking.url),
                   ArtifactClient(serving.url)]
        data, failures = _first_that_serves(clients, digest)
        assert data == DATA
        assert len(failures) == 2 and "404" in failures[1]
        for client in clients:
            client.close()
