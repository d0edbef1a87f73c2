"""Benchmark: indexing throughput of 100k events from anvil into SQLite and PostgreSQL.

    python bench/indexer.py [--events 100000] [--postgres-url postgresql://postgres@127.0.0.1/postgres]

Two test-only emitters (contracts/test/bench/BenchEmitter.sol) stand in for the StakeManager and
the TaskMarket and emit their events in bulk: half task lifecycles (TaskPosted, TaskClaimed,
ResultSubmitted, TaskFinalized), half Staked/Credited over 64 accounts. Generating them is not
timed; the timer covers the indexer from an empty database to the last event: eth_getLogs and
header fetches, decoding, the handlers, and the commits. Merges `indexer` into bench/results.json
(`events_per_s` with `goal` 10000 for SQLite and for PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._results import environment, merge  # noqa: E402
from tribunal.chain.anvil import ANVIL_KEYS, start_anvil  # noqa: E402
from tribunal.chain.client import ChainClient  # noqa: E402
from tribunal.chain.deployment import Deployment  # noqa: E402
from tribunal.chain.keys import signer_from_private_key  # noqa: E402
from tribunal.paths import node_bin  # noqa: E402

BENCH_OUT = ROOT / ".build" / "bench"
ARTIFACT = BENCH_OUT / "out" / "BenchEmitter.sol" / "BenchEmitter.json"
GOAL_EVENTS_PER_S = 10_000  # issue #18: indexer.postgresql.events_per_s >= 10,000, SQLite likewise
TASKS_PER_TX = 1_000
STAKES_PER_TX = 3_000


def emitter_artifact() -> dict[str, Any]:
    if not ARTIFACT.exists():
        subprocess.run(
            [
                node_bin("forge"),
                "build",
                "test/bench/BenchEmitter.sol",
                "--out",
                str(BENCH_OUT / "out"),
                "--cache-path",
                str(BENCH_OUT / "cache"),
            ],
            cwd=ROOT / "contracts",
            check=True,
        )
    return json.loads(ARTIFACT.read_text())


def generate(client: ChainClient, events: int) -> Deployment:
    artifact = emitter_artifact()
    abi, bytecode = artifact["abi"], artifact["bytecode"]["object"]
    start = client.w3.eth.block_number
    stake = client.w3.eth.contract(address=client.deploy(abi, bytecode).receipt["contractAddress"], abi=abi)
    market = client.w3.eth.contract(address=client.deploy(abi, bytecode).receipt["contractAddress"], abi=abi)
    emitted, next_task, salt = 0, 1, 0
    while emitted < events:
        count = min(TASKS_PER_TX, max(1, (events - emitted) // 8))
        client.transact(market.functions.tasks(next_task, count))
        next_task += count
        emitted += 4 * count
        if emitted >= events:
            break
        count = min(STAKES_PER_TX, max(1, (events - emitted) // 2))
        client.transact(stake.functions.stakes(count, salt))
        salt += count
        emitted += 2 * count
    return Deployment(
        chain_id=client.chain_id,
        rpc_url="",
        block_number=start,
        stake_manager=stake.address,
        task_market=market.address,
    )


def index_once(url: str, deployment: Deployment, rpc_url: str) -> dict[str, Any]:
    from backend.db.engine import make_engine, upgrade_database
    from backend.indexer.contracts import resolve_contracts
    from backend.indexer.indexer import Indexer, IndexerConfig
    from backend.indexer.rpc import RpcClient

    upgrade_database(url)
    engine = make_engine(url, sqlite_begin="IMMEDIATE")
    batches = []
    started, cpu_started = time.perf_counter(), time.process_time()
    indexer = Indexer(
        engine,
        RpcClient(rpc_url),
        deployment,
        resolve_contracts(deployment),
        IndexerConfig(),
        on_commit=lambda r: batches.append(r.events),
    )
    events = indexer.sync()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    engine.dispose()
    return {
        "events": events,
        "seconds": round(seconds, 3),
        "batches": len(batches),
        "events_per_s": round(events / seconds),
        # CPU time of this process alone (the node and the database server excluded): what the
        # indexer itself costs, less sensitive than wall time to other load on the machine
        "indexer_cpu_s": round(cpu, 3),
        "events_per_cpu_s": round(events / cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    env = environment()
    node = start_anvil(extra_args=["--gas-limit", "60000000"])
    try:
        client = ChainClient(node.w3, signer_from_private_key(ANVIL_KEYS[0]))
        t0 = time.perf_counter()
        deployment = generate(client, args.events)
        print(f"generated events in {time.perf_counter() - t0:.1f}s (not timed)")
        figures: dict[str, Any] = {"events": args.events, "env": env}
        with tempfile.TemporaryDirectory() as tmp:
            sqlite = index_once(f"sqlite:///{tmp}/bench.db", deployment, node.rpc_url)
        figures["sqlite"] = with_goal(sqlite)
        print(f"sqlite: {sqlite}")
        if not args.skip_postgres:
            figures["postgresql"] = with_goal(postgres(args.postgres_url, deployment, node.rpc_url))
            print(f"postgresql: {figures['postgresql']}")
    finally:
        node.stop()
    merge("indexer", figures)


def with_goal(figures: dict[str, Any]) -> dict[str, Any]:
    return {**figures, "events_per_s": {"value": figures["events_per_s"], "goal": GOAL_EVENTS_PER_S}}


def postgres(admin_url: str, deployment: Deployment, rpc_url: str) -> dict[str, Any]:
    import psycopg
    from sqlalchemy.engine import make_url

    from backend.settings import normalise_database_url

    url = make_url(normalise_database_url(admin_url))
    name = f"tribunal_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database or "postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            result = index_once(
                url.set(database=name).render_as_string(hide_password=False), deployment, rpc_url
            )
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return result


if __name__ == "__main__":
    main()
