"""Indexers over test databases, and their chain-derived rows in a form two databases compare by."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

from backend.db.engine import make_engine, upgrade_database
from backend.db.models import Base
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


# wall-clock time, and the reorg counter (a fresh index has seen no reorg)
NOT_COMPARED = {"updated_at", "reorgs", "last_reorg_ancestor"}


def dump_chain_data(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every chain-derived row (journal and cursor included, wall-clock time excluded), comparable."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if not table.info.get("chain") and table.name not in ("state_journal", "indexer_state"):
                continue
            columns = [c for c in table.columns if c.name not in NOT_COMPARED]
            rows = conn.execute(select(*columns)).all()
            out[table.name] = sorted(
                tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row)
                for row in rows
            )
    return out
