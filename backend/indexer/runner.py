"""Build an indexer from settings and run it on a background thread."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from backend.db.engine import make_engine
from backend.indexer.contracts import resolve_contracts
from backend.indexer.indexer import Indexer, IndexerConfig, StepResult
from backend.indexer.rpc import RpcClient
from backend.settings import BackendSettings
from tribunal.chain.deployment import load_deployment

log = logging.getLogger(__name__)


def indexer_config(settings: BackendSettings) -> IndexerConfig:
    return IndexerConfig(
        confirmations=settings.confirmations,
        reorg_window=settings.reorg_window,
        range_initial=settings.logs_range_initial,
        range_max=settings.logs_range_max,
        target_logs=settings.logs_target_per_request,
        headers_per_batch=settings.headers_per_batch,
        poll_interval_s=settings.poll_interval_s,
    )


def build_indexer(
    settings: BackendSettings,
    engine: Engine | None = None,
    on_commit: Callable[[StepResult], None] | None = None,
) -> Indexer:
    """An indexer for the settings' RPC, deployment file and database (writer engine)."""
    rpc = RpcClient(settings.rpc_url)
    deployment = load_deployment(settings.deployment, chain_id=rpc.chain_id())
    return Indexer(
        engine or make_engine(settings.database_url, sqlite_begin="IMMEDIATE"),
        rpc,
        deployment,
        resolve_contracts(deployment),
        indexer_config(settings),
        on_commit=on_commit,
    )


class IndexerThread:
    """The indexer on a daemon thread; `stop()` lets the current batch finish."""

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="indexer", daemon=True)

    def _run(self) -> None:
        try:
            self.indexer.run(self._stop)
        except Exception:  # noqa: BLE001 - recorded in indexer.status, served by /healthz
            log.error("the indexer thread stopped; /healthz reports why")

    def start(self) -> None:
        log.info("indexer running in process %d", os.getpid())
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)
