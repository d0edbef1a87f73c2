"""Benchmark: API latency at a fixed 500 req/s, measured by wrk, on SQLite and on PostgreSQL.

    python bench/api.py [--rate 500] [--seconds 30] [--saturation-seconds 15] [--workers N]
                        [--cache-max-age-s 0] [--events 20000] [--postgres-url URL]

Builds the data the way production does (anvil, bench emitters, the indexer: ~20k events, ~2k
tasks) into a SQLite file and a scratch PostgreSQL database (dropped afterwards), and serves each
with `python -m backend serve --no-index --workers N` (by default the response cache is exact, as
in production; `--cache-max-age-s` measures it reusing its version read, answers up to that much
staler). The load comes from Debian's `wrk` (`make bench` installs it), in its own process on
loopback, pinned with taskset to the last CPU:

- paced: `--connections` keep-alive connections, each waiting connections/rate*1000 ms before its
  next request (wrk's Lua `delay()` hook), so the total is the rate; for `--seconds` after a
  warm-up. wrk times each request from its send, so a slow answer also delays that connection's
  next one: past saturation the rate drops (recorded as `achieved_rps`) instead of a queue growing.
- saturation: the same mix unpaced, for `--saturation-seconds`: the most requests per second.

The mix cycles through list pages (tasks with and without filters, operators, events), single
tasks and operators, and the stats. As the physical-limit reference the same run measures a trivial
FastAPI endpoint (bench/trivial_app.py) served by the same uvicorn workers. wrk's `done()` hook
prints its latency percentiles as JSON. Merges `api` into bench/results.json: `p99_s` (the
PostgreSQL figure, goal 0.05), per database `sqlite.*` and `postgresql.*`, `reference_p99_s`,
`saturation_rps`, the load average before the run and the CPU layout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
HEADLINE = "postgresql"  # the production database; SQLite's figures sit beside it
WARM_UP_S = 5

LUA = """
local paths = {%(paths)s}
local threads = 0
function setup(thread)
  thread:set("first", threads * 7919)
  threads = threads + 1
end
function init(args)
  counter = first or 0
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
%(delay)s
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%%d,"duration_us":%%d,"errors":%%d,"status_errors":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"p999_us":%%d,"max_us":%%d,"mean_us":%%.1f}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"""


def build_databases(sqlite_path: Path, postgres_url: str | None, events: int) -> int:
    """Index `events` bench events into the SQLite file (and PostgreSQL); returns the tasks."""
    node = start_anvil(extra_args=["--gas-limit", "60000000"])
    try:
        client = ChainClient(node.w3, signer_from_private_key(ANVIL_KEYS[0]))
        deployment = generate(client, events)
        index_once(f"sqlite:///{sqlite_path}", deployment, node.rpc_url)
        if postgres_url is not None:
            index_once(postgres_url, deployment, node.rpc_url)
    finally:
        node.stop()
    with sqlite3.connect(sqlite_path) as db:
        return int(db.execute("SELECT count(*) FROM tasks").fetchone()[0])


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A new database on the server of `admin_url`, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    from backend.settings import normalise_database_url

    url = make_url(normalise_database_url(admin_url))
    name = f"tribunal_bench_api_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        dbname=url.database or "postgres", autocommit=True,
    ) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def api_paths(tasks: int, count: int = 400, seed: int = 1) -> list[str]:
    """The request mix: lists, single tasks and operators, the stats."""
    rng = random.Random(seed)
    mix = []
    for _ in range(count):
        operator = f"0x{0x3000 + rng.randrange(32):040x}"
        task = rng.randrange(1, tasks + 1)
        mix.append(rng.choice([
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
        ]))
    return mix


def wrk_script(path: Path, paths: list[str], delay_ms: float | None) -> Path:
    delay = "" if delay_ms is None else f"function delay()\n  return {delay_ms:.3f}\nend"
    path.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths), "delay": delay})
    return path


def run_wrk(script: Path, url: str, connections: int, seconds: float, cpu: int) -> dict[str, Any]:
    """One wrk run in its own process (one thread, pinned to `cpu`); its done() figures."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s", "-s", str(script)]
    command.append(url)
    if shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return {
        "requests": raw["requests"],
        "errors": raw["errors"] + raw["status_errors"],
        "achieved_rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        **{f"{q}_s": round(raw[f"{q}_us"] / 1e6, 5) for q in ("p50", "p90", "p99", "p999", "max", "mean")},
    }


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (Linux /proc)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _tree_cpu_seconds(int(child))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return total + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, ready_path: str) -> Iterator[int]:
    """Run a server until the block ends; its pid once `ready_path` answers 200."""
    server = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"{command} did not start")
            time.sleep(0.2)
        yield server.pid
    finally:
        server.terminate()
        server.wait(timeout=60)


def measure(
    pid: int, url: str, paths: list[str], args: argparse.Namespace, tmp: Path, cpu: int
) -> dict[str, Any]:
    """Warm-up, the paced run and the saturation run against one server."""
    paced = wrk_script(tmp / "paced.lua", paths, args.connections / args.rate * 1000)
    unpaced = wrk_script(tmp / "unpaced.lua", paths, None)
    run_wrk(paced, url, args.connections, WARM_UP_S, cpu)
    cpu_before = _tree_cpu_seconds(pid)
    result = run_wrk(paced, url, args.connections, args.seconds, cpu)
    result["server_cpu_ms_per_request"] = round(
        1000 * (_tree_cpu_seconds(pid) - cpu_before) / max(1, result["requests"]), 3
    )
    saturation = run_wrk(unpaced, url, args.connections, args.saturation_seconds, cpu)
    result["saturation_rps"] = saturation["achieved_rps"]
    result["saturation_p99_s"] = saturation["p99_s"]
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--saturation-seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="API processes")
    parser.add_argument(
        "--cache-max-age-s", type=float, default=0.0,
        help="TRIBUNAL_CACHE_MAX_AGE_S of the served API (0: the version is read per request)",
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/api.py needs wrk: `sudo apt-get install -y wrk` (make bench installs it)")
    env = environment()
    wrk_cpu = (os.cpu_count() or 1) - 1
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as scratch:
        tmp = Path(tmp_name)
        databases = {"sqlite": f"sqlite:///{tmp / 'api.db'}"}
        if not args.skip_postgres:
            databases["postgresql"] = scratch.enter_context(scratch_postgres(args.postgres_url))
        tasks = build_databases(tmp / "api.db", databases.get("postgresql"), args.events)
        paths = api_paths(tasks)
        for name, database_url in databases.items():
            port = free_port()
            backend = [sys.executable, "-m", "backend", "serve", "--no-index", f"--workers={args.workers}"]
            server_env = {
                "DATABASE_URL": database_url,
                "TRIBUNAL_PORT": str(port),
                "TRIBUNAL_ARTIFACT_DIR": str(tmp / "artifacts"),
                "TRIBUNAL_INDEX": "false",
                "TRIBUNAL_CACHE_MAX_AGE_S": str(args.cache_max_age_s),
            }
            with serving(backend, server_env, port, "/api/stats") as pid:
                figures[name] = measure(pid, f"http://127.0.0.1:{port}", paths, args, tmp, wrk_cpu)
        port = free_port()
        reference = [
            sys.executable, "-m", "uvicorn", "bench.trivial_app:app", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(args.workers), "--no-access-log", "--log-level", "warning",
        ]
        with serving(reference, {}, port, "/ok") as pid:
            figures["reference"] = measure(pid, f"http://127.0.0.1:{port}", ["/ok"], args, tmp, wrk_cpu)
    headline = HEADLINE if HEADLINE in figures else "sqlite"
    merge(
        "api",
        {
            "tool": "wrk",
            "rate_rps": args.rate,
            "seconds": args.seconds,
            "saturation_seconds": args.saturation_seconds,
            "connections": args.connections,
            "workers": args.workers,
            "cache_max_age_s": args.cache_max_age_s,
            "events_indexed": args.events,
            "tasks": tasks,
            "env": env,
            "load_average_1m_at_start": env["load_average_1m_at_start"],
            "layout": (
                f"loopback; wrk -t1 in its own process pinned to CPU {wrk_cpu} (taskset); "
                f"server: `TRIBUNAL_CACHE_MAX_AGE_S={args.cache_max_age_s} "
                f"python -m backend serve --no-index --workers {args.workers}` "
                f"(uvicorn, uvloop, httptools), unpinned; {env['cpu_count']} CPUs"
            ),
            "p99_s": {"value": figures[headline]["p99_s"], "goal": GOAL_P99_S, "database": headline},
            "reference_p99_s": {"value": figures["reference"]["p99_s"]},
            "saturation_rps": {name: figures[name]["saturation_rps"] for name in figures},
            **{
                name: {
                    **result,
                    "p99_s": {"value": result["p99_s"], "goal": GOAL_P99_S},
                }
                for name, result in figures.items()
                if name != "reference"
            },
            "reference": figures["reference"],
        },
    )


if __name__ == "__main__":
    main()
