"""`python -m backend serve --workers 2`: two API processes answer, and the indexer runs once, in
the supervising process."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.chain import ETHER, Devnet, sample_task_params
from tests.support.waiting import wait_for
from tribunal.chain.anvil import free_port
from tribunal.paths import REPO_ROOT


def _children(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def _workers(supervisor: int) -> list[int]:
    """uvicorn's worker processes (spawned by multiprocessing, unlike its resource tracker)."""
    return [
        pid for pid in _children(supervisor)
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def _server_socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the loopback connection from `client_port`."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9]
    return None


def _holder(workers: list[int], inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:  # closed meanwhile
                continue
    return None


def test_two_workers_answer_and_the_indexer_runs_once(
    devnet: Devnet, deployment_file: Path, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    task_id, _ = devnet.market("submitter").post_task(sample_task_params(devnet, min_stake=ETHER), ETHER)
    port = free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "backend", "serve", "--workers", "2"],
            cwd=REPO_ROOT,
            env={
                **os.environ,
                "DATABASE_URL": new_database("sqlite"),
                "TRIBUNAL_RPC_URL": devnet.anvil.rpc_url,
                "TRIBUNAL_DEPLOYMENT": str(deployment_file),
                "TRIBUNAL_ARTIFACT_DIR": str(tmp_path / "artifacts"),
                "TRIBUNAL_FRONTEND_DIR": str(tmp_path / "no-frontend"),
                "TRIBUNAL_PORT": str(port),
                "TRIBUNAL_POLL_INTERVAL_S": "0.05",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    connections: list[http.client.HTTPConnection] = []
    try:
        def task_indexed() -> bool:
            assert server.poll() is None, log_path.read_text()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request("GET", f"/api/tasks/{task_id}")
                return connection.getresponse().status == 200
            except OSError:
                return False
            finally:
                connection.close()

        wait_for(task_indexed, 180, 0.1, what="the served API to show the indexed task")
        workers = wait_for(lambda: len(_workers(server.pid)) == 2 and _workers(server.pid), 60, 0.1,
                           what="two worker processes")

        answered: set[int] = set()

        def another_worker_answers() -> bool:
            # keep each connection open, so its server end stays with the worker that accepted it
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/healthz")
            assert connection.getresponse().read()
            connections.append(connection)
            assert connection.sock is not None
            inode = _server_socket_inode(port, connection.sock.getsockname()[1])
            holder = _holder(workers, inode) if inode else None
            if holder is not None:
                answered.add(holder)
            return answered == set(workers)

        wait_for(another_worker_answers, 60, 0.0, what="both workers to answer")
        log_text = log_path.read_text()
        assert log_text.count("indexer running in process") == 1, log_text
        assert f"indexer running in process {server.pid}" in log_text
        assert "ConcurrentIndexer" not in log_text
    finally:
        for connection in connections:
            connection.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0, log_path.read_text()
