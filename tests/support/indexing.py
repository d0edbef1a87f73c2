"""Indexers over test databases; their chain-derived rows compare by `dump_chain_data`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from backend.db.engine import make_engine, upgrade_database
from backend.indexer.contracts import resolve_contracts
from backend.indexer.indexer import Indexer, IndexerConfig
from backend.indexer.rpc import RpcClient
from tribunal.chain.deployment import Deployment


def writer_engine(url: str) -> Engine:
    return make_engine(url, sqlite_begin="IMMEDIATE")


def make_indexer(url: str, deployment: Deployment, rpc_url: str, **config: Any) -> Indexer:
    return Indexer(
        writer_engine(url),
        RpcClient(rpc_url),
        deployment,
        resolve_contracts(deployment),
        IndexerConfig(**config),
    )


def index_fresh(
    new_database: Callable[[str], str],
    kind: str,
    deployment: Deployment,
    rpc_url: str,
    until: int | None = None,
) -> Engine:
    """A new database indexed from the deployment block to the head (or exactly to `until`): the
    reference. It is SQLite whatever `kind` the compared database is, which also shows that both
    engines hold the same rows."""
    url = new_database("sqlite")
    upgrade_database(url)
    indexer = make_indexer(url, deployment, rpc_url, range_initial=1 if until is not None else 2_000)
    indexer.sync(until=until)
    return indexer.engine
