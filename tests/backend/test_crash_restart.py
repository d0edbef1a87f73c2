"""Kill the indexer process with SIGKILL mid-way, restart it: the database ends identical to a fresh index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from backend.db.engine import make_engine, upgrade_database
from backend.db.models import IndexerState
from backend.indexer.indexer import StepResult
from backend.indexer.store import dump_chain_data
from tests.support.chain import ETHER, Devnet, sample_task_params
from tests.support.indexing import index_fresh, make_indexer
from tests.support.waiting import wait_for
from tribunal.chain.deployment import save_deployment
from tribunal.paths import REPO_ROOT


def _cursor(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(IndexerState.cursor_block)).scalar() or 0)
    finally:
        engine.dispose()


def _start(url: str, deployment_file: Path, rpc_url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TRIBUNAL_RPC_URL": rpc_url,
        "TRIBUNAL_DEPLOYMENT": str(deployment_file),
        "TRIBUNAL_ARTIFACT_DIR": str(tmp_path / "artifacts"),
        "TRIBUNAL_LOGS_RANGE_INITIAL": "1",
        "TRIBUNAL_LOGS_RANGE_MAX": "2",
        "TRIBUNAL_POLL_INTERVAL_S": "0.05",
    }
    log = open(tmp_path / "indexer.log", "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        [sys.executable, "-m", "backend", "index"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_for_cursor(url: str, at_least: int, process: subprocess.Popen[bytes], timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the indexer exited on its own"
        cursor = _cursor(url)
        if cursor >= at_least:
            return cursor
        time.sleep(0.01)
    raise TimeoutError(f"cursor did not reach {at_least}")


def test_sigkill_mid_way_then_restart_gives_the_same_database(
    devnet: Devnet, new_database: Callable[[str], str], db_kind: str, tmp_path: Path
) -> None:
    w3 = devnet.anvil.w3
    devnet.stake_manager("operator").stake(50 * ETHER)
    for i in range(6):  # events spread over ~100 blocks
        params = sample_task_params(devnet, min_stake=ETHER)
        task_id, _ = devnet.market("submitter").post_task(params, ETHER + i)
        devnet.market("operator").claim(task_id)
        w3.provider.make_request("anvil_mine", [15])
    head = w3.eth.block_number
    deployment_file = save_deployment(devnet.deployment, tmp_path / "deployment.json")
    url = new_database(db_kind)
    upgrade_database(url)

    process = _start(url, deployment_file, devnet.anvil.rpc_url, tmp_path)
    try:
        killed_at = _wait_for_cursor(url, (devnet.deployment.block_number + head) // 2, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert killed_at < head, "the indexer finished before it was killed"

    process = _start(url, deployment_file, devnet.anvil.rpc_url, tmp_path)
    try:
        _wait_for_cursor(url, head, process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    engine = make_engine(url)
    try:
        assert dump_chain_data(engine) == dump_chain_data(
            index_fresh(new_database, db_kind, devnet.deployment, devnet.anvil.rpc_url)
        )
    finally:
        engine.dispose()


def test_the_indexer_thread_outlives_a_database_outage(devnet: Devnet, db_url: str) -> None:
    """A database that does not answer for a while (PostgreSQL restarting) is retried like an RPC
    outage: the indexer thread goes on (bench/chaos.py saw it stop for good, the API still up)."""
    devnet.market("submitter").post_task(sample_task_params(devnet), ETHER)
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url, poll_interval_s=0.05)
    real_step = indexer.step
    outages = [OperationalError("SELECT 1", {}, ConnectionRefusedError("the database is restarting"))] * 2

    def step() -> StepResult | None:
        if outages:
            raise outages.pop()
        return real_step()

    indexer.step = step  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=indexer.run, args=(stop,), daemon=True)
    thread.start()
    head = devnet.anvil.w3.eth.block_number
    try:
        wait_for(lambda: (cursor := indexer.cursor()) is not None and cursor.block >= head, 30, 0.05,
                 what="the indexer to reach the head after the outage")
    finally:
        stop.set()
        thread.join(10)
    assert not outages and indexer.status.error is None
