"""Column types for chain quantities that SQL has no native type for."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

WEI_DIGITS = 78  # 2**256 - 1 has 78 decimal digits


class Wei(TypeDecorator[int]):
    """A uint256 amount: NUMERIC(78, 0) on PostgreSQL, zero-padded text on SQLite.

    SQLite's NUMERIC affinity would turn large values into lossy REALs; fixed-width text keeps
    every digit and sorts in numeric order, so ORDER BY works on both engines.
    """

    impl = String(WEI_DIGITS)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(WEI_DIGITS, 0))
        return dialect.type_descriptor(String(WEI_DIGITS))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = int(value)
        if value < 0:
            raise ValueError(f"negative wei amount {value}")
        if dialect.name == "postgresql":
            return Decimal(value)
        return str(value).zfill(WEI_DIGITS)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


def wei_to_text(value: int) -> str:
    """The SQLite storage form of an amount (for raw SQL comparisons)."""
    return str(value).zfill(WEI_DIGITS)
