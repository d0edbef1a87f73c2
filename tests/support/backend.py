"""Serving the backend for tests: uvicorn on a loopback port in a thread (real sockets: streaming,
disconnects, SSE), settings for a test database, and an indexed API's test client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.settings import BackendSettings
from tests.support.chain import Devnet, actor_key
from tests.support.waiting import wait_for
from tribunal.chain.anvil import free_port


class LiveServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a thread, from ``with`` until its end."""

    def __init__(self, app: Any, name: str = "backend") -> None:
        self.app = app
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                lifespan="on",
                timeout_graceful_shutdown=1,
            )
        )
        self.thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        try:
            wait_for(lambda: self.server.started or not self.thread.is_alive(), 30, 0.02,
                     what=f"the {self.name} to start")
            if not self.server.started:
                raise RuntimeError(f"the {self.name} did not start")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@contextmanager
def serve_backend(settings: BackendSettings, name: str = "backend") -> Iterator[str]:
    """The backend app with ``settings`` on a free port, on a thread; its URL once it is up."""
    with LiveServer(create_app(settings), name) as server:
        yield server.url


def settings_for(
    url: str, tmp_path: Path, deployment_file: Path | None = None, **extra: Any
) -> BackendSettings:
    """Settings for the database at ``url`` with its artifacts under ``tmp_path`` (no indexer)."""
    values: dict[str, Any] = {
        "database_url": url,
        "artifact_dir": tmp_path / "artifacts",
        "index": False,
        "stream_poll_s": 0.05,
        "frontend_dir": tmp_path / "no-frontend",
    }
    if deployment_file is not None:
        values["deployment"] = deployment_file
    values.update(extra)
    return BackendSettings(**values)


@dataclass
class Indexed:
    """The API over a database indexed from a scenario, and the scenario's task ids by name."""

    client: TestClient
    devnet: Devnet
    tasks: dict[str, int]
    chain_id: int
    market: str

    def address(self, who: str) -> str:
        return self.devnet.signers[who].address.lower()

    def key(self, who: str) -> str:
        return actor_key(who)
