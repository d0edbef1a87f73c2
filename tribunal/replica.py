"""Replicas (issue #19 §3): a model outlives its operator going offline because the verifiers that
fetched it keep it and serve it, content-addressed like the backend's artifact store, so a plain
`tribunal.artifact_client.ArtifactClient` on a replica's URL downloads (and verifies) it.

    store = ReplicaStore(state_dir / "replica")
    digest = store.put(model_bytes, task_id=7, keep_until=time.time() + 30 * 86400)
    with ReplicaServer(store, host="0.0.0.0", port=8700) as server:   # GET/HEAD /api/artifacts/0x<hash>
        ...
    store.prune(time.time())                                           # drops what outlived keep_until

Layout::

    <root>/objects/0x<keccak256>   the bytes (written atomically; re-hashed on every read)
    <root>/index.json              0x<keccak256> -> {task_id, keep_until, size, stored_at}

A file whose bytes no longer hash to its name is deleted and treated as absent. The server is
read-only (no PUT, POST or DELETE): only this process's `ReplicaStore.put` adds to it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import asdict, dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tribunal.checkpoints import atomic_write
from tribunal.merkle import keccak256

log = logging.getLogger("tribunal.replica")

__all__ = ["ReplicaEntry", "ReplicaServer", "ReplicaStore", "normalise_digest"]

_HASH = re.compile(r"^0x[0-9a-f]{64}$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
ROUTE = "/api/artifacts/"


def normalise_digest(digest: str | bytes) -> str:
    """``0x`` + 64 lower-case hex digits; ValueError for anything else."""
    text = "0x" + digest.hex() if isinstance(digest, bytes) else digest.strip().lower()
    if not _HASH.match(text):
        raise ValueError(f"not a keccak256 hash (0x + 64 hex digits): {digest!r}")
    return text


@dataclass
class ReplicaEntry:
    """What the index knows of one stored file."""

    task_id: int | None
    keep_until: float | None
    """Unix time after which `ReplicaStore.prune` removes it; None: kept until removed by hand."""
    size: int
    stored_at: float


class ReplicaStore:
    """Content-addressed files under ``root/objects``; safe to use from several threads."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.index_path = self.root / "index.json"
        self.objects.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._index = self._load_index()

    # -- index -----------------------------------------------------------------------------

    def _load_index(self) -> dict[str, ReplicaEntry]:
        try:
            raw = json.loads(self.index_path.read_text())
            return {normalise_digest(k): ReplicaEntry(**v) for k, v in raw.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # files without an entry are kept readable; the next prune removes them
            log.warning("replica index %s is unreadable (%s); starting a new one", self.index_path, exc)
            return {}

    def _save_index(self) -> None:
        data = {k: asdict(v) for k, v in sorted(self._index.items())}
        atomic_write(self.index_path, json.dumps(data, indent=1, sort_keys=True).encode())

    def entries(self) -> dict[str, ReplicaEntry]:
        """A copy of the index."""
        with self._lock:
            return {k: ReplicaEntry(**asdict(v)) for k, v in self._index.items()}

    # -- files -----------------------------------------------------------------------------

    def path(self, digest: str | bytes) -> Path:
        return self.objects / normalise_digest(digest)

    def put(self, data: bytes, *, task_id: int | None = None, keep_until: float | None = None,
            now: float | None = None) -> str:
        """Store ``data``; returns its keccak256 (0x-hex). Storing it again keeps the later
        ``keep_until`` (None, kept for good, wins) and the newer ``task_id`` if one is given."""
        digest = "0x" + keccak256(data).hex()
        stored_at = time.time() if now is None else now
        with self._lock:
            path = self.objects / digest
            if not (path.is_file() and path.stat().st_size == len(data)):
                atomic_write(path, data)
            old = self._index.get(digest)
            if old is not None:
                keep_until = None if old.keep_until is None or keep_until is None else max(
                    old.keep_until, keep_until)
                task_id = old.task_id if task_id is None else task_id
            self._index[digest] = ReplicaEntry(task_id, keep_until, len(data), stored_at)
            self._save_index()
        return digest

    def has(self, digest: str | bytes) -> bool:
        """Whether a file of that name is held (not re-hashed: `get` does that)."""
        return self.path(digest).is_file()

    def get(self, digest: str | bytes) -> bytes | None:
        """The bytes, re-verified against ``digest``; None if absent. A file that no longer matches
        its hash is deleted (and dropped from the index)."""
        name = normalise_digest(digest)
        try:
            data = (self.objects / name).read_bytes()
        except FileNotFoundError:
            return None
        if "0x" + keccak256(data).hex() != name:
            log.warning("replica file %s does not match its hash: deleted", name,
                        extra={"event": "replica_corrupt", "digest": name})
            self.remove(name)
            return None
        return data

    def remove(self, digest: str | bytes) -> None:
        name = normalise_digest(digest)
        with self._lock:
            (self.objects / name).unlink(missing_ok=True)
            if self._index.pop(name, None) is not None:
                self._save_index()

    def prune(self, now: float) -> list[str]:
        """Remove what outlived its ``keep_until`` (and files the index does not know, such as those
        left by a lost index or an interrupted write); returns the hashes removed."""
        removed: list[str] = []
        with self._lock:
            for digest, entry in list(self._index.items()):
                if entry.keep_until is not None and entry.keep_until <= now:
                    (self.objects / digest).unlink(missing_ok=True)
                    del self._index[digest]
                    removed.append(digest)
            for path in self.objects.iterdir():
                if path.name not in self._index and path.is_file():
                    path.unlink(missing_ok=True)
                    if _HASH.match(path.name):
                        removed.append(path.name)
            if removed:
                self._save_index()
        if removed:
            log.info("replica: pruned %d expired file(s)", len(removed),
                     extra={"event": "replica_pruned", "count": len(removed)})
        return removed

    def size_bytes(self) -> int:
        """Bytes held in ``objects``."""
        return sum(p.stat().st_size for p in self.objects.iterdir() if p.is_file())


# -- the read-only HTTP server ------------------------------------------------------------------


def _parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """(start, end) inclusive of a single ``bytes=a-b`` range; None to ignore the header (send
    everything, as RFC 9110 allows for what it cannot parse); "unsatisfiable" for a 416."""
    match = _RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # bytes=-N: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, end


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "TribunalReplica/1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def log_error(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send_json(self, status: HTTPStatus, detail: str, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"detail": detail}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _digest(self) -> str | None:
        """The requested hash, or None once an error has been answered."""
        path = self.path.split("?", 1)[0]
        if not path.startswith(ROUTE):
            self._send_json(HTTPStatus.NOT_FOUND, f"no such route: {path}")
            return None
        try:
            return normalise_digest(path[len(ROUTE):])
        except ValueError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, str(exc))
            return None

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        digest = self._digest()
        if digest is None:
            return
        store = self.server.store
        if head:
            path = store.path(digest)
            size = path.stat().st_size if path.is_file() else None
            data = None
        else:
            data = store.get(digest)
            size = None if data is None else len(data)
        if size is None:
            self._send_json(HTTPStatus.NOT_FOUND, f"artifact {digest} is not in this replica")
            return
        status, start, end = HTTPStatus.OK, 0, size - 1
        header = self.headers.get("range")
        if header:
            wanted = _parse_range(header, size)
            if wanted == "unsatisfiable":
                self._send_json(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                                f"range {header!r} is outside the artifact's {size} bytes",
                                {"content-range": f"bytes */{size}"})
                return
            if isinstance(wanted, tuple):
                status, (start, end) = HTTPStatus.PARTIAL_CONTENT, wanted
        self.send_response(status)
        self.send_header("content-type", "application/octet-stream")
        self.send_header("content-length", str(end - start + 1))
        self.send_header("accept-ranges", "bytes")
        self.send_header("etag", f'"{digest}"')
        self.send_header("cache-control", "public, max-age=31536000, immutable")
        if status is HTTPStatus.PARTIAL_CONTENT:
            self.send_header("content-range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if data is not None:
            self.wfile.write(memoryview(data)[start:end + 1])

    def _read_only(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if 0 < length <= 1 << 20:  # drain a small body so the connection stays usable
            self.rfile.read(length)
        else:
            self.close_connection = True
        self._send_json(HTTPStatus.METHOD_NOT_ALLOWED, "this replica is read-only (GET and HEAD only)",
                        {"allow": "GET, HEAD"})

    do_PUT = do_POST = do_DELETE = do_PATCH = _read_only


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: ReplicaStore) -> None:
        self.store = store
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("replica: error serving %s", client_address, exc_info=True)


class ReplicaServer:
    """Serves a `ReplicaStore` read-only at ``{url}/api/artifacts/0x<keccak256>`` on a daemon
    thread. ``port=0`` takes a free port (see ``url`` once started)."""

    def __init__(self, store: ReplicaStore, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = store
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ReplicaServer:
        """Bind and serve (OSError if the port is taken); idempotent."""
        if self._server is None:
            server = _Server((self.host, self.port), self.store)
            self.port = int(server.server_address[1])
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                            name=f"replica-{self.port}", daemon=True)
            self._thread.start()
        return self

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()
