"""The indexer loop: fetch a range of blocks and their logs, fold them into SQL, handle reorgs.

Each batch is one database transaction holding the blocks, the events, the state they change and
the cursor, so a crash at any point leaves the database at the end of the last committed batch and
a restart resumes from there. Events are keyed by (tx hash, log index): a batch that meets events
already stored skips them, so re-processing is harmless.

Reorgs: every indexed block's hash is stored. Before a range is applied, its first block's parent
hash must equal the stored hash of the cursor block (and at the tip, the cursor's hash must still
be the chain's). On a mismatch the indexer walks back to the highest block whose stored hash the
chain still has (the common ancestor), rolls the database back to it (`store.rollback_to`) and
indexes the new branch from there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import OperationalError

import backend.indexer.handlers  # noqa: F401 - registers the handlers
from backend import metrics
from backend.db.models import Block, Event, IndexerState
from backend.indexer.contracts import IndexedContracts
from backend.indexer.events import Context, check_handlers, handler_for
from backend.indexer.rpc import BlockHeader, RpcClient, RpcError, RpcUnavailable, suggested_range
from backend.indexer.store import (
    Store,
    bulk_write,
    bulk_write_ordered,
    clear_chain_data,
    dump_json,
    prune_journal,
    rollback_to,
)
from tribunal.chain.deployment import Deployment
from tribunal.chain.events import ChainEvent
from tribunal.chain.ranges import AdaptiveRange

log = logging.getLogger(__name__)

STATE_ID = 1
MAX_SQL_BIGINT = 2**63 - 1


class ReorgTooDeep(RuntimeError):
    """The chain replaced blocks the indexer can no longer undo."""


class ConcurrentIndexer(RuntimeError):
    """Another indexer moved the cursor of this database."""


@dataclass(frozen=True)
class IndexerConfig:
    confirmations: int = 0
    reorg_window: int = 256
    range_initial: int = 2_000
    range_max: int = 50_000
    target_logs: int = 10_000
    headers_per_batch: int = 500
    poll_interval_s: float = 1.0


@dataclass(frozen=True)
class Cursor:
    chain_id: int
    contracts: dict[str, str]
    base_block: int
    block: int
    hash: str
    finalized_block: int


@dataclass(frozen=True)
class StepResult:
    """What one step did: indexed blocks first..last with `events` new events, or rolled back."""

    first: int = 0
    last: int = 0
    events: int = 0
    rolled_back_to: int | None = None
    head: int = 0


@dataclass
class IndexerStatus:
    """Live status for /healthz and /api/indexer (written by the indexer thread)."""

    running: bool = False
    head: int | None = None
    cursor: int | None = None
    range_size: int | None = None
    last_batch_at: float | None = None
    error: str | None = None
    reorgs: int = 0
    events: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _as_bigint(value: int | None) -> int | None:
    return value if value is not None and 0 <= value <= MAX_SQL_BIGINT else None


# The order of the columns of `events`, as the rows are built for bulk_write_ordered.
EVENT_COLUMNS = (
    "tx_hash",
    "log_index",
    "block_number",
    "block_hash",
    "tx_index",
    "timestamp",
    "address",
    "contract",
    "name",
    "task_id",
    "game_id",
    "args",
)
assert tuple(c.name for c in Event.__table__.columns) == EVENT_COLUMNS


class Indexer:
    """Follows the deployment's contracts into the database behind `engine` (one writer per DB)."""

    def __init__(
        self,
        engine: Engine,
        rpc: RpcClient,
        deployment: Deployment,
        contracts: IndexedContracts,
        config: IndexerConfig | None = None,
        on_commit: Callable[[StepResult], None] | None = None,
    ) -> None:
        self.engine = engine
        self.rpc = rpc
        self.deployment = deployment
        self.contracts = contracts
        self.config = config or IndexerConfig()
        self.range = AdaptiveRange(
            size=self.config.range_initial, maximum=self.config.range_max, target_logs=self.config.target_logs
        )
        self.on_commit = on_commit
        self.status = IndexerStatus(range_size=self.range.size)
        self._addresses = sorted(contracts.addresses)
        check_handlers(contracts)

    # ------------------------------------------------------------ cursor

    def _load(self, conn: Connection) -> Cursor | None:
        row = (
            conn.execute(select(IndexerState.__table__).where(IndexerState.id == STATE_ID)).mappings().first()
        )
        if row is None:
            return None
        return Cursor(
            chain_id=row["chain_id"],
            contracts=dict(row["contracts"]),
            base_block=row["base_block"],
            block=row["cursor_block"],
            hash=row["cursor_hash"],
            finalized_block=row["finalized_block"],
        )

    def prepare(self) -> Cursor:
        """Load the cursor, or start from the deployment block (re-indexing if the deployment changed)."""
        chain_id = self.rpc.chain_id()
        if chain_id != self.deployment.chain_id:
            raise ValueError(
                f"the RPC serves chain {chain_id} but the deployment file is for chain "
                f"{self.deployment.chain_id}: point TRIBUNAL_RPC_URL and TRIBUNAL_DEPLOYMENT at one chain"
            )
        base = max(0, self.deployment.block_number - 1)
        wanted = {name: address for address, name in self.contracts.addresses.items()}
        with self.engine.begin() as conn:
            cursor = self._load(conn)
            if cursor is not None and (
                cursor.chain_id != chain_id or cursor.contracts != wanted or cursor.base_block != base
            ):
                log.warning(
                    "the database was indexed for chain %s contracts %s from block %s; the deployment is "
                    "chain %s contracts %s from block %s: dropping chain data and re-indexing",
                    cursor.chain_id,
                    cursor.contracts,
                    cursor.base_block,
                    chain_id,
                    wanted,
                    base,
                )
                clear_chain_data(conn)
                conn.execute(delete(IndexerState.__table__))
                cursor = None
            if cursor is None:
                (header,) = self.rpc.headers(base, base)
                conn.execute(
                    Block.__table__.insert(),
                    [
                        {
                            "block_number": header.number,
                            "hash": header.hash,
                            "parent_hash": header.parent_hash,
                            "timestamp": header.timestamp,
                        }
                    ],
                )
                conn.execute(
                    IndexerState.__table__.insert(),
                    [
                        {
                            "id": STATE_ID,
                            "chain_id": chain_id,
                            "contracts": wanted,
                            "base_block": base,
                            "cursor_block": base,
                            "cursor_hash": header.hash,
                            "finalized_block": base,
                            "reorgs": 0,
                            "last_reorg_ancestor": None,
                            "updated_at": time.time(),
                        }
                    ],
                )
                cursor = Cursor(chain_id, wanted, base, base, header.hash, base)
        self.status.cursor = cursor.block
        metrics.INDEXER_CURSOR.set(cursor.block)
        return cursor

    def cursor(self) -> Cursor | None:
        with self.engine.connect() as conn:
            return self._load(conn)

    # ------------------------------------------------------------ one step

    def step(self) -> StepResult | None:
        """Index the next range, or undo a reorg. None when there is nothing new."""
        with self.engine.connect() as conn:
            cursor = self._load(conn)
        if cursor is None:
            cursor = self.prepare()
        head = self.rpc.block_number()
        self.status.head = head
        metrics.INDEXER_HEAD.set(head)
        if head < cursor.block:
            return self._reorg(cursor, head)
        target = head - self.config.confirmations
        if target <= cursor.block:
            (tip,) = self.rpc.headers(cursor.block, cursor.block)
            if tip.hash != cursor.hash:
                return self._reorg(cursor, head)
            return None

        first = cursor.block + 1
        last = min(target, cursor.block + self.range.size)
        headers = self.rpc.headers(first, last, self.config.headers_per_batch)
        if headers[0].parent_hash != cursor.hash:
            return self._reorg(cursor, head)
        for previous, header in zip(headers, headers[1:], strict=False):
            if header.parent_hash != previous.hash:
                log.info("chain changed while reading blocks %d..%d; retrying", first, last)
                return StepResult(first=first, last=first - 1, head=head)

        logs, last = self._logs(first, last)
        headers = headers[: last - first + 1]
        by_number = {h.number: h for h in headers}
        for entry in logs:
            number = int(entry["blockNumber"], 16)
            block_header = by_number.get(number)
            if block_header is None or entry["blockHash"].lower() != block_header.hash:
                log.info("logs of block %d do not match its header (reorg under way); retrying", number)
                return StepResult(first=first, last=first - 1, head=head)

        final = max(cursor.finalized_block, min(last, head - self.config.reorg_window))
        with self.engine.begin() as conn:
            events = self._apply(conn, cursor, headers, logs, final)
        result = StepResult(first=first, last=last, events=events, head=head)
        self._committed(result)
        return result

    def _logs(self, first: int, last: int) -> tuple[list[dict[str, Any]], int]:
        """Logs of first..last, shrinking the range on provider errors; returns the range used."""
        while True:
            try:
                logs = self.rpc.get_logs(first, last, self._addresses)
            except RpcError as exc:
                metrics.INDEXER_RPC_ERRORS.labels(kind="get_logs").inc()
                if last == first:
                    raise
                self.range.on_error(suggested_range(exc))
                last = min(last, first + self.range.size - 1)
                log.info("eth_getLogs failed (%s); range now %d blocks", exc.message, self.range.size)
                continue
            self.range.on_success(last - first + 1, len(logs))
            self.status.range_size = self.range.size
            metrics.INDEXER_RANGE.set(self.range.size)
            return logs, last

    def _apply(
        self,
        conn: Connection,
        cursor: Cursor,
        headers: list[BlockHeader],
        logs: list[dict[str, Any]],
        final: int,
    ) -> int:
        first, last = headers[0].number, headers[-1].number
        moved = conn.execute(
            update(IndexerState.__table__)
            .where(
                IndexerState.id == STATE_ID,
                IndexerState.cursor_block == cursor.block,
                IndexerState.cursor_hash == cursor.hash,
            )
            .values(
                cursor_block=last, cursor_hash=headers[-1].hash, finalized_block=final, updated_at=time.time()
            )
        )
        if moved.rowcount != 1:
            raise ConcurrentIndexer(
                "another indexer moved this database's cursor: run one indexer per database"
            )
        bulk_write(
            conn,
            Block.__table__,
            [
                {
                    "block_number": h.number,
                    "hash": h.hash,
                    "parent_hash": h.parent_hash,
                    "timestamp": h.timestamp,
                }
                for h in headers
            ],
            "ignore",
        )
        events_table = Event.__table__
        seen = {
            (tx, index)
            for tx, index in conn.execute(
                select(events_table.c.tx_hash, events_table.c.log_index).where(
                    events_table.c.block_number.between(first, last)
                )
            )
        }
        store = Store(conn, reversible_from=final + 1)
        ctx = Context(store, self.contracts)
        timestamps = {h.number: h.timestamp for h in headers}
        specs = self.contracts.events
        names = self.contracts.addresses
        rows: list[tuple[Any, ...]] = []
        ints: dict[str, int] = {}  # block numbers and tx indexes repeat: parse each hex once

        def as_int(text: str) -> int:
            value = ints.get(text)
            if value is None:
                value = ints[text] = int(text, 16)
            return value

        for entry in logs:
            if entry.get("removed"):
                continue
            tx_hash = entry["transactionHash"].lower()
            log_index = int(entry["logIndex"], 16)
            if seen and (tx_hash, log_index) in seen:
                continue
            address = entry["address"].lower()
            topics = entry["topics"]
            spec = specs.get((address, topics[0].lower())) if topics else None
            block_number = as_int(entry["blockNumber"])
            if spec is None:
                contract, name, args = names.get(address, address), "Unknown", {}
                stored = {"topics": topics, "data": entry["data"]}
            else:
                contract, name = spec.contract, spec.name
                args = spec.decode(topics, entry["data"])
                stored = spec.to_json(args)
            event = ChainEvent(
                contract=contract,
                name=name,
                args=args,
                block_number=block_number,
                block_hash=entry["blockHash"].lower(),
                tx_hash=tx_hash,
                tx_index=as_int(entry["transactionIndex"]),
                log_index=log_index,
                address=address,
                timestamp=timestamps[block_number],
            )
            task_id, game_id = args.get("taskId"), args.get("gameId")
            rows.append(
                (
                    tx_hash,
                    log_index,
                    block_number,
                    event.block_hash,
                    event.tx_index,
                    event.timestamp,
                    address,
                    contract,
                    name,
                    _as_bigint(task_id),
                    _as_bigint(game_id),
                    dump_json(stored),
                )
            )
            handler = handler_for(contract, name)
            if handler is not None:
                handler(event, ctx)
                ctx.handled(event)
        bulk_write_ordered(conn, events_table, rows, "ignore")
        store.flush()
        if final > cursor.finalized_block:
            prune_journal(conn, final)
        return len(rows)

    def _committed(self, result: StepResult) -> None:
        self.status.cursor = result.last
        self.status.last_batch_at = time.time()
        self.status.events += result.events
        metrics.INDEXER_CURSOR.set(result.last)
        metrics.INDEXER_EVENTS.inc(result.events)
        if self.on_commit is not None:
            self.on_commit(result)

    # ------------------------------------------------------------ reorgs

    def _reorg(self, cursor: Cursor, head: int) -> StepResult:
        ancestor = self._common_ancestor(cursor, head)
        with self.engine.begin() as conn:
            stored_hash = conn.execute(select(Block.hash).where(Block.block_number == ancestor)).scalar_one()
            moved = conn.execute(
                update(IndexerState.__table__)
                .where(
                    IndexerState.id == STATE_ID,
                    IndexerState.cursor_block == cursor.block,
                    IndexerState.cursor_hash == cursor.hash,
                )
                .values(
                    cursor_block=ancestor,
                    cursor_hash=stored_hash,
                    reorgs=IndexerState.reorgs + 1,
                    last_reorg_ancestor=ancestor,
                    updated_at=time.time(),
                )
            )
            if moved.rowcount != 1:
                raise ConcurrentIndexer(
                    "another indexer moved this database's cursor: run one indexer per database"
                )
            restored = rollback_to(conn, ancestor)
        log.warning(
            "reorg: rolled back blocks %d..%d to the common ancestor %d (%d state rows restored)",
            ancestor + 1,
            cursor.block,
            ancestor,
            restored,
        )
        metrics.INDEXER_REORGS.inc()
        self.status.reorgs += 1
        result = StepResult(first=ancestor + 1, last=ancestor, rolled_back_to=ancestor, head=head)
        self.status.cursor = ancestor
        metrics.INDEXER_CURSOR.set(ancestor)
        if self.on_commit is not None:
            self.on_commit(result)
        return result

    def _common_ancestor(self, cursor: Cursor, head: int) -> int:
        """The highest stored block the chain still has (walking down from the cursor)."""
        top = min(cursor.block, head)
        chunk = 64
        while top >= cursor.finalized_block:
            low = max(cursor.finalized_block, top - chunk + 1)
            chain = {h.number: h.hash for h in self.rpc.headers(low, top, self.config.headers_per_batch)}
            with self.engine.connect() as conn:
                stored = dict(
                    conn.execute(
                        select(Block.block_number, Block.hash).where(Block.block_number.between(low, top))
                    ).all()
                )
            for number in range(top, low - 1, -1):
                if number in stored and stored[number] == chain.get(number):
                    return number
            top = low - 1
        below = (
            "the deployment block"
            if cursor.finalized_block == cursor.base_block
            else (
                f"block {cursor.finalized_block}, deeper than "
                f"TRIBUNAL_REORG_WINDOW={self.config.reorg_window}"
            )
        )
        raise ReorgTooDeep(
            f"the chain replaced blocks below {below}, which the indexer cannot undo: re-index from scratch "
            "with `python -m backend reindex` (check that the deployment file matches this chain)"
        )

    # ------------------------------------------------------------ loops

    def sync(self, until: int | None = None, max_steps: int = 1_000_000) -> int:
        """Index until the cursor reaches `until` (default: the current target); returns events indexed."""
        total = 0
        for _ in range(max_steps):
            result = self.step()
            if result is None:
                if until is None or (self.status.cursor or 0) >= until:
                    return total
                time.sleep(self.config.poll_interval_s / 10)
                continue
            total += result.events
            if until is not None and result.rolled_back_to is None and result.last >= until:
                return total
        raise RuntimeError(f"indexer did not catch up within {max_steps} steps")

    def run(self, stop: threading.Event) -> None:
        """Follow the chain until `stop` is set; RPC and database outages are retried with backoff
        (a step is one transaction that reads the cursor afresh: a step cut short is done again)."""
        self.status.running = True
        backoff = self.config.poll_interval_s
        try:
            while not stop.is_set():
                try:
                    result = self.step()
                    self.status.error = None
                    backoff = self.config.poll_interval_s
                except (RpcUnavailable, RpcError, OperationalError) as exc:
                    # OperationalError: the database is unreachable or restarting (seen in the chaos
                    # bench: a PostgreSQL restart stopped the indexer thread for good, the API up)
                    if not isinstance(exc, OperationalError):
                        metrics.INDEXER_RPC_ERRORS.labels(kind=type(exc).__name__).inc()
                    self.status.error = str(exc)
                    log.warning("indexer: %s; retrying in %.1fs", exc, backoff)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                if result is None:
                    stop.wait(self.config.poll_interval_s)
        except Exception as exc:
            self.status.error = f"stopped: {exc}"
            log.exception("indexer stopped")
            raise
        finally:
            self.status.running = False
