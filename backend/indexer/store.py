"""A unit of work over the chain-derived tables, with the journal that makes reorgs reversible.

Handlers read and change state rows through a `Store`; the indexer flushes it in the same
transaction as the events and the cursor, so a batch is applied entirely or not at all.

Every state row changed in a reversible block (one a reorg may still replace) gets a before-image
in `state_journal`, once per (row, block). Rolling back to block A restores, for each row, the
before-image of the first block above A in which it changed, and deletes every append-only row
above A: the database is then exactly what it was when block A had just been indexed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Engine, Table, delete, select

from backend.db.models import Base, StateJournal, chain_tables
from backend.db.types import WEI_DIGITS, Wei

Key = tuple[Any, ...]
Row = dict[str, Any]


class IndexerInconsistency(RuntimeError):
    """An event refers to state the indexer never saw (a missed event or a wrong start block)."""


class _Codec:
    """Row <-> journal JSON for one table (amounts as decimal strings)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.pk = [c.name for c in table.primary_key.columns]
        self.wei = frozenset(c.name for c in table.columns if isinstance(c.type, Wei))

    def key_text(self, key: Key) -> str:
        return json.dumps(list(key), separators=(",", ":"))

    def to_json(self, row: Row) -> dict[str, Any]:
        return {k: (str(v) if k in self.wei and v is not None else v) for k, v in row.items()}

    def from_json(self, data: dict[str, Any]) -> Row:
        return {k: (int(v) if k in self.wei and v is not None else v) for k, v in data.items()}


_CODECS: dict[str, _Codec] = {}


def codec(table: Table) -> _Codec:
    found = _CODECS.get(table.name)
    if found is None:
        found = _CODECS[table.name] = _Codec(table)
    return found


def dump_json(value: Any) -> str:
    """Compact JSON text (orjson, or the standard library for integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"))


class _BulkWriter:
    """INSERT ... ON CONFLICT for many rows at once, straight to the DBAPI's executemany.

    SQLAlchemy's per-row parameter processing costs more than SQLite's insert itself, so the few
    bulk paths of the indexer render their SQL once and convert values here (amounts, JSON).
    """

    def __init__(self, dialect: str, table: Table, mode: str) -> None:
        self.columns = [c.name for c in table.columns]
        pk = codec(table).pk
        marker = "?" if dialect == "sqlite" else "%s"
        action = (
            "DO NOTHING"
            if mode == "ignore"
            else "DO UPDATE SET " + ", ".join(f'"{c}" = excluded."{c}"' for c in self.columns if c not in pk)
        )
        names = ", ".join(f'"{c}"' for c in self.columns)
        keys = ", ".join(f'"{c}"' for c in pk)
        markers = ", ".join([marker] * len(self.columns))
        self.sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({markers}) ON CONFLICT ({keys}) {action}'
        converters: list[Callable[[Any], Any] | None] = []
        for column in table.columns:
            if isinstance(column.type, Wei) and dialect == "sqlite":
                converters.append(lambda v: None if v is None else str(v).zfill(WEI_DIGITS))
            elif isinstance(column.type, JSON):
                converters.append(lambda v: None if v is None else dump_json(v))
            else:
                converters.append(None)
        self.converters = converters

    def rows(self, rows: list[Row]) -> list[tuple[Any, ...]]:
        plan = list(zip(self.columns, self.converters, strict=True))
        return [tuple(row[c] if f is None else f(row[c]) for c, f in plan) for row in rows]


_WRITERS: dict[tuple[str, str, str], _BulkWriter] = {}


def _writer(conn: Connection, table: Table, mode: str) -> _BulkWriter:
    key = (conn.dialect.name, table.name, mode)
    writer = _WRITERS.get(key)
    if writer is None:
        writer = _WRITERS[key] = _BulkWriter(conn.dialect.name, table, mode)
    return writer


def bulk_write(conn: Connection, table: Table, rows: list[Row], mode: str) -> None:
    """Insert `rows` (complete rows as dicts); on a key conflict `mode` "ignore" keeps the stored
    row, "update" replaces it."""
    if rows:
        writer = _writer(conn, table, mode)
        conn.exec_driver_sql(writer.sql, writer.rows(rows))


def bulk_write_ordered(conn: Connection, table: Table, rows: list[tuple[Any, ...]], mode: str) -> None:
    """`bulk_write` for rows already in column order with values already converted (JSON as text)."""
    if rows:
        conn.exec_driver_sql(_writer(conn, table, mode).sql, rows)


def _table(model: type[Base] | Table) -> Table:
    return model if isinstance(model, Table) else model.__table__


class Store:
    """State rows cached for one batch; changes journaled for blocks >= `reversible_from`."""

    def __init__(self, conn: Connection, reversible_from: int) -> None:
        self.conn = conn
        self.reversible_from = reversible_from
        self._rows: dict[str, dict[Key, Row | None]] = {}
        self._dirty: dict[str, set[Key]] = {}
        self._journal: dict[tuple[str, Key, int], Row | None] = {}
        self._appends: dict[str, list[Row]] = {}
        self._tables: dict[str, Table] = {}
        self._slots: dict[Any, tuple[Table, dict[Key, Row | None], set[Key]]] = {}

    def _slot(self, model: type[Base] | Table) -> tuple[Table, dict[Key, Row | None], set[Key]]:
        slot = self._slots.get(model)
        if slot is None:
            table = _table(model)
            self._tables[table.name] = table
            slot = (table, self._rows.setdefault(table.name, {}), self._dirty.setdefault(table.name, set()))
            self._slots[model] = slot
        return slot

    def _load(self, table: Table, rows: dict[Key, Row | None], key: Key) -> Row | None:
        pk = codec(table).pk
        found = (
            self.conn.execute(
                select(table).where(*(table.c[name] == value for name, value in zip(pk, key, strict=True)))
            )
            .mappings()
            .first()
        )
        row = dict(found) if found is not None else None
        rows[key] = row
        return row

    # ------------------------------------------------------------ reading

    def get(self, model: type[Base], key: Key) -> Row | None:
        """The row as it stands in this batch (do not mutate: use `edit`)."""
        table, rows, _ = self._slot(model)
        return rows[key] if key in rows else self._load(table, rows, key)

    # ------------------------------------------------------------ changing

    def _journal_before(self, table: Table, key: Key, block: int, before: Row | None) -> None:
        if block < self.reversible_from:
            return
        entry = (table.name, key, block)
        if entry not in self._journal:
            self._journal[entry] = None if before is None else dict(before)

    def edit(self, model: type[Base], key: Key, block: int) -> Row:
        """The row, to change in place in `block`; it must exist."""
        table, rows, dirty = self._slot(model)
        row = rows[key] if key in rows else self._load(table, rows, key)
        if row is None:
            raise IndexerInconsistency(f"{table.name} row {key} changed in block {block} was never created")
        if block >= self.reversible_from:
            self._journal_before(table, key, block, row)
        dirty.add(key)
        return row

    def create(self, model: type[Base], key: Key, block: int, row: Row) -> Row:
        """A new row (the caller knows it does not exist: its creating event happens once)."""
        table, rows, dirty = self._slot(model)
        rows[key] = row
        self._journal_before(table, key, block, None)
        dirty.add(key)
        return row

    def edit_or_create(self, model: type[Base], key: Key, block: int, factory: Callable[[], Row]) -> Row:
        table, rows, _ = self._slot(model)
        row = rows[key] if key in rows else self._load(table, rows, key)
        if row is None:
            return self.create(model, key, block, factory())
        return self.edit(model, key, block)

    def append(self, model: type[Base], row: Row) -> Row:
        """A row of an append-only table (it carries its own block_number)."""
        table, _, _ = self._slot(model)
        self._appends.setdefault(table.name, []).append(row)
        return row

    def appended(self, model: type[Base], tx_hash: str) -> list[Row]:
        """Rows appended in this batch by transaction `tx_hash` (events of one tx share a batch)."""
        return [r for r in self._appends.get(_table(model).name, []) if r.get("tx_hash") == tx_hash]

    # ------------------------------------------------------------ writing

    def flush(self) -> None:
        for name in sorted(self._dirty):
            table = self._tables[name]
            rows = self._rows[name]
            changed: list[Row] = []
            for key in self._dirty[name]:
                row = rows[key]
                assert row is not None  # INVARIANT: only `edit` and `create` mark a key dirty, with a row
                changed.append(row)
            bulk_write(self.conn, table, changed, "update")
        for name, appended in self._appends.items():
            bulk_write(self.conn, self._tables[name], appended, "ignore")
        if self._journal:
            bulk_write(
                self.conn,
                StateJournal.__table__,
                [
                    {
                        "table_name": table_name,
                        "row_key": codec(self._tables[table_name]).key_text(key),
                        "block_number": block,
                        "before": None if before is None else codec(self._tables[table_name]).to_json(before),
                    }
                    for (table_name, key, block), before in self._journal.items()
                ],
                "ignore",
            )
        for dirty in self._dirty.values():
            dirty.clear()
        self._journal.clear()
        self._appends.clear()


def rollback_to(conn: Connection, ancestor: int) -> int:
    """Undo every block above `ancestor`; returns how many state rows were restored."""
    for table in reversed(chain_tables("append")):
        conn.execute(delete(table).where(table.c.block_number > ancestor))
    journal = StateJournal.__table__
    entries = conn.execute(
        select(journal.c.table_name, journal.c.row_key, journal.c.before)
        .where(journal.c.block_number > ancestor)
        .order_by(journal.c.block_number.desc())
    ).all()
    # Walking from the newest block down, the last before-image seen for a row is the one of the
    # first block above the ancestor: the row's value at the ancestor.
    restore: dict[tuple[str, str], dict[str, Any] | None] = {}
    for entry in entries:
        restore[(entry.table_name, entry.row_key)] = entry.before
    tables = {t.name: t for t in chain_tables("state")}
    for (table_name, row_key), before in restore.items():
        table = tables[table_name]
        c = codec(table)
        key = json.loads(row_key)
        conn.execute(delete(table).where(*(table.c[n] == v for n, v in zip(c.pk, key, strict=True))))
        if before is not None:
            conn.execute(table.insert(), [c.from_json(before)])
    conn.execute(delete(journal).where(journal.c.block_number > ancestor))
    return len(restore)


def prune_journal(conn: Connection, finalized_block: int) -> None:
    """Forget before-images of blocks no reorg can reach any more."""
    journal = StateJournal.__table__
    conn.execute(delete(journal).where(journal.c.block_number <= finalized_block))


def clear_chain_data(conn: Connection) -> None:
    """Drop every chain-derived row (for a re-index from scratch)."""
    for table in reversed(chain_tables("append") + chain_tables("state")):
        conn.execute(delete(table))
    conn.execute(delete(StateJournal.__table__))


# wall-clock time, and the reorg counter (a fresh index has seen no reorg)
NOT_COMPARED = {"updated_at", "reorgs", "last_reorg_ancestor"}


def dump_chain_data(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every chain-derived row (journal and cursor included, wall-clock time excluded), in a form two
    databases compare by: what a database indexed through reorgs and restarts must equal in a fresh
    index of the same chain (the tests, bench/chaos.py)."""
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
