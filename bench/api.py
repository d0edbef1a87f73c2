"""Benchmark: API latency (p50/p99) at a fixed request rate on loopback.

    python bench/api.py [--rate 500] [--seconds 10] [--events 20000]

Builds a database the way production does (anvil, bench emitters, the indexer: ~20k events,
~2.5k tasks), serves it with `python -m backend serve --no-index` (uvicorn, one process, SQLite),
and sends an open-loop load from this process: request i is due at start + i/rate whether or not
earlier ones have answered, over a pool of keep-alive connections, and its latency runs from that
due time to the last byte of the answer (so queueing counts; no coordinated omission). The mix:
task lists with filters, single tasks, timelines, operators, events, stats. Loopback only, bounded
in count and time. Merges `api` into bench/results.json (`p99_s` with `goal` 0.05).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._results import environment, merge  # noqa: E402
from bench.indexer import generate, index_once  # noqa: E402
from tribunal.chain.anvil import ANVIL_KEYS, free_port, start_anvil  # noqa: E402
from tribunal.chain.client import ChainClient  # noqa: E402
from tribunal.chain.keys import signer_from_private_key  # noqa: E402

GOAL_P99_S = 0.05
CONNECTIONS = 32


def build_database(path: Path, events: int) -> int:
    """Index `events` bench events into a SQLite file; returns the number of tasks."""
    node = start_anvil(extra_args=["--gas-limit", "60000000"])
    try:
        client = ChainClient(node.w3, signer_from_private_key(ANVIL_KEYS[0]))
        deployment = generate(client, events)
        index_once(f"sqlite:///{path}", deployment, node.rpc_url)
    finally:
        node.stop()
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM tasks").fetchone()[0])


def paths(tasks: int, rng: random.Random) -> list[str]:
    operator = f"0x{0x3000 + rng.randrange(32):040x}"
    task = rng.randrange(1, tasks + 1)
    return [
        "/api/tasks?limit=20",
        f"/api/tasks?status=FINALIZED&limit=20&offset={rng.randrange(0, 200)}",
        f"/api/tasks?operator={operator}&limit=20",
        f"/api/tasks/{task}",
        f"/api/tasks/{task}",
        f"/api/tasks/{task}/timeline",
        "/api/operators?limit=20",
        f"/api/operators/{operator}",
        "/api/events?limit=20",
        "/api/stats",
    ]


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def load(port: int, rate: float, seconds: float, tasks: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    outcomes: dict[str, int] = {}

    async def one(path: str, due: float, record: bool) -> None:
        reader, writer = await pool.get()
        try:
            status = str(await _request(reader, writer, path))
        except (OSError, asyncio.IncompleteReadError) as exc:
            status = type(exc).__name__
            writer.close()
            pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
        else:
            pool.put_nowait((reader, writer))
        if record:
            latencies.append(time.perf_counter() - due)
            outcomes[status] = outcomes.get(status, 0) + 1

    async def phase(duration: float, record: bool) -> float:
        count = int(duration * rate)
        started = time.perf_counter()
        running = []
        for i in range(count):
            due = started + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            running.append(asyncio.create_task(one(rng.choice(paths(tasks, rng)), due, record)))
        await asyncio.wait_for(asyncio.gather(*running), timeout=60)
        return time.perf_counter() - started

    warm_up = min(2.0, seconds / 5)
    await phase(warm_up, record=False)  # warm-up: connections, caches
    elapsed = await phase(seconds, record=True)
    while not pool.empty():
        _, writer = pool.get_nowait()
        writer.close()
    latencies.sort()

    def quantile(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return {
        "requests": len(latencies),
        "sent_with_warm_up": len(latencies) + int(warm_up * rate),
        "errors": sum(n for status, n in outcomes.items() if status != "200"),
        "outcomes": outcomes,
        "achieved_rps": round(len(latencies) / elapsed, 1),
        "p50_s": round(quantile(0.50), 5),
        "p99_s": round(quantile(0.99), 5),
        "max_s": round(latencies[-1], 5),
        "mean_s": round(statistics.fmean(latencies), 5),
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "api.db"
        tasks = build_database(database, args.events)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "backend", "serve", "--no-index"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": f"sqlite:///{database}",
                "TRIBUNAL_PORT": str(port),
                "TRIBUNAL_ARTIFACT_DIR": str(Path(tmp) / "artifacts"),
                "TRIBUNAL_INDEX": "false",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    asyncio.run(asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1))
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the API server did not start") from None
                    time.sleep(0.2)
            cpu_before = _cpu_seconds(server.pid)
            result = asyncio.run(load(port, args.rate, args.seconds, tasks))
            # CPU per request of the server process alone (warm-up requests counted too)
            result["server_cpu_ms_per_request"] = round(
                1000 * (_cpu_seconds(server.pid) - cpu_before) / result["sent_with_warm_up"], 3
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(result)
    merge(
        "api",
        {
            "rate_rps": args.rate,
            "seconds": args.seconds,
            "events_indexed": args.events,
            "tasks": tasks,
            "connections": CONNECTIONS,
            "server": "uvicorn, 1 process, SQLite",
            "env": env,
            "requests": result["requests"],
            "errors": result["errors"],
            "achieved_rps": result["achieved_rps"],
            "p50_s": {"value": result["p50_s"]},
            "p99_s": {"value": result["p99_s"], "goal": GOAL_P99_S},
            "max_s": {"value": result["max_s"]},
            "server_cpu_ms_per_request": {"value": result["server_cpu_ms_per_request"]},
            "mean_s": {"value": result["mean_s"]},
        },
    )


if __name__ == "__main__":
    main()
