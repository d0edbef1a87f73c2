"""The live stream (SSE) over a real socket: chain events as they are indexed, progress, reorgs."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from backend.api.app import create_app
from tests.support.backend import LiveServer, settings_for
from tests.support.chain import ETHER, Devnet, sample_task_params
from tests.support.indexing import make_indexer
from tribunal.chain.anvil import ANVIL_KEYS, revert, snapshot
from tribunal.progress import ProgressReport, progress_payload, sign_progress


def _listen(url: str, messages: queue.Queue[tuple[str, Any]], stop: threading.Event) -> None:
    kind = None
    try:
        with httpx.Client(timeout=None) as client, client.stream("GET", url) as response:
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line.startswith(":"):
                    messages.put(("comment", line[1:].strip()))
                elif line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind:
                    messages.put((kind, json.loads(line.split(":", 1)[1])))
    except httpx.HTTPError:
        if not stop.is_set():
            raise


def _wait_for(
    messages: queue.Queue[tuple[str, Any]], match: Callable[[str, Any], bool], timeout_s: float = 15
) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            kind, data = messages.get(timeout=0.5)
        except queue.Empty:
            continue
        if match(kind, data):
            return data
    raise AssertionError("the stream did not deliver the expected message")


def test_stream_delivers_chain_events_progress_and_reorgs(
    devnet: Devnet, db_url: str, tmp_path: Path
) -> None:
    w3 = devnet.anvil.w3
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url)
    indexer.sync()
    app = create_app(settings_for(db_url, tmp_path), migrate=False)
    messages: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()
    with LiveServer(app) as server:
        listener = threading.Thread(
            target=_listen, args=(f"{server.url}/api/events/stream", messages, stop), daemon=True
        )
        listener.start()
        _wait_for(messages, lambda k, d: k == "comment" and d == "connected")  # subscribed

        fork = snapshot(w3)
        devnet.stake_manager("operator").stake(3 * ETHER)
        task_id, _ = devnet.market("submitter").post_task(sample_task_params(devnet, min_stake=ETHER), ETHER)
        devnet.market("operator").claim(task_id)
        indexer.sync()
        posted = _wait_for(messages, lambda k, d: k == "chain" and d["name"] == "TaskPosted")
        assert posted["task_id"] == task_id and posted["args"]["reward"] == str(ETHER)
        _wait_for(messages, lambda k, d: k == "block" and d["block_number"] == w3.eth.block_number)

        report = ProgressReport(task_id, 5, 1.25, 30.0, int(time.time()))
        signature = sign_progress(
            report, ANVIL_KEYS[2], devnet.deployment.chain_id, devnet.deployment.task_market
        )
        body = progress_payload(report, devnet.signers["operator"].address, signature)
        assert httpx.post(f"{server.url}/api/tasks/{task_id}/progress", json=body).status_code == 201
        progress = _wait_for(messages, lambda k, d: k == "progress")
        assert (progress["task_id"], progress["step"], progress["loss"]) == (task_id, 5, 1.25)

        revert(w3, fork)
        devnet.stake_manager("challenger").stake(ETHER)
        indexer.sync()
        reorg = _wait_for(messages, lambda k, d: k == "reorg")
        assert reorg["rolled_back_to"] == w3.eth.block_number - 1  # the fork point
        staked = _wait_for(messages, lambda k, d: k == "chain" and d["name"] == "Staked")
        assert staked["args"]["account"] == devnet.signers["challenger"].address.lower()
        stop.set()
