"""bench/chaos.py: the fault-injecting JSON-RPC proxy against a stub upstream, and a small chaos run
of real processes (20 tasks, at least 15 faults: kills, Redis and PostgreSQL crashes, reorgs, RPC
faults) that must end with every task right, every cheat slashed, nobody honest slashed, every wei
accounted for, the indexer's database equal to a fresh re-index, and nothing left running."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.chaos import RPC_FAULTS, ChaosConfig, FaultyRpcProxy, passed, postgres_bin, run_chaos


@pytest.fixture()
def upstream() -> Iterator[tuple[str, list[Any]]]:
    """A JSON-RPC stub answering each call with its id; the calls it received."""
    received: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(body)
            calls = body if isinstance(body, list) else [body]
            answers = [{"jsonrpc": "2.0", "id": c["id"], "result": c["id"]} for c in calls]
            payload = json.dumps(answers if isinstance(body, list) else answers[0]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def call(url: str, body: Any) -> requests.Response:
    return requests.post(url, json=body, timeout=10)


def test_an_honest_proxy_forwards_everything(upstream: tuple[str, list[Any]]) -> None:
    url, received = upstream
    proxy = FaultyRpcProxy(url, seed=1, rate=0.0)
    proxy.start()
    try:
        assert call(proxy.url, {"jsonrpc": "2.0", "id": 7, "method": "x"}).json()["result"] == 7
        batch = [{"jsonrpc": "2.0", "id": i, "method": "x"} for i in range(5)]
        assert [a["id"] for a in call(proxy.url, batch).json()] == list(range(5))
    finally:
        proxy.stop()
    assert len(received) == 2 and proxy.requests == 2 and not proxy.faults


def test_each_fault_does_what_it_says(
    upstream: tuple[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, received = upstream
    proxy = FaultyRpcProxy(url, seed=1, rate=1.0)
    proxy.start()
    batch = [{"jsonrpc": "2.0", "id": i, "method": "x"} for i in range(8)]
    try:
        for fault in RPC_FAULTS:
            monkeypatch.setattr(proxy, "pick", lambda fault=fault: (fault, 0.2))
            before = len(received)
            if fault in ("drop", "drop_answer"):
                with pytest.raises(requests.ConnectionError):
                    call(proxy.url, batch)
                # a dropped request never reaches anvil; a dropped answer's request does
                assert len(received) == before + (fault == "drop_answer")
            elif fault == "http_5xx":
                assert call(proxy.url, batch).status_code in (502, 503)
                assert len(received) == before
            else:
                answers = call(proxy.url, batch).json()
                assert sorted(a["id"] for a in answers) == list(range(8))
                # a reordered batch keeps every answer, in another order
                assert ([a["id"] for a in answers] != list(range(8))) == (fault == "reorder")
    finally:
        proxy.stop()
    assert proxy.faults == dict.fromkeys(RPC_FAULTS, 1)


@pytest.mark.integration  # starts PostgreSQL, Redis, anvil, the backend, an executor and six agents
def test_small_chaos_run_ends_every_task_right(tmp_path: Path) -> None:
    if postgres_bin() is None or shutil.which("redis-server") is None:
        pytest.skip("PostgreSQL's initdb or redis-server is not installed (the chaos run starts its own)")
    config = ChaosConfig(tasks=20, faults=15, max_minutes=15, post_interval_s=2.0, seed=7,
                         state_dir=tmp_path / "chaos")
    outcome = run_chaos(config)
    f = outcome.figures
    assert f["completed"], f"{f['error']}; logs in {config.state_dir}"
    assert f["tasks"] == 20 and f["process_faults"] >= 15
    assert f["lost_tasks"] == 0, f["lost_task_ids"]
    assert f["wrong_outcomes"] == 0, f["wrong_outcome_task_ids"]
    assert f["cheats_voided"] >= 1 and f["cheats_not_voided"] == 0 and f["cheats_unslashed"] == 0
    assert f["honest_slashed"] == 0
    assert f["unaccounted_wei"] == 0, f["wei"]
    assert f["indexer_mismatched_rows"] == 0, f["indexer"]
    assert f["disputes_open_at_end"] == 0
    assert outcome.leftover_processes == []
    assert passed(f)
