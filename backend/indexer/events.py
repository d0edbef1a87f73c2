"""The registry of the handlers that fold decoded chain events (`tribunal.chain.events.ChainEvent`)
into state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from backend.indexer.contracts import ContractsError, IndexedContracts
from backend.indexer.store import Store
from tribunal.chain.events import ChainEvent

ZERO_ADDRESS = "0x" + "00" * 20


@dataclass
class Context:
    """What a handler may use: the batch's store, the followed contracts, and the events handled
    before it in the same transaction (a transaction never spans two batches)."""

    store: Store
    contracts: IndexedContracts
    _by_tx: dict[str, list[ChainEvent]] = field(default_factory=dict)

    def earlier_in_tx(self, tx_hash: str) -> list[ChainEvent]:
        return self._by_tx.get(tx_hash, [])

    def handled(self, event: ChainEvent) -> None:
        self._by_tx.setdefault(event.tx_hash, []).append(event)


Handler = Callable[[ChainEvent, Context], None]
_HANDLERS: dict[tuple[str, str], Handler] = {}


def on(contract: str, event: str) -> Callable[[Handler], Handler]:
    """Register the function as the handler of `contract`'s `event`."""

    def register(fn: Handler) -> Handler:
        key = (contract, event)
        if key in _HANDLERS:
            raise ValueError(f"two handlers for {contract}.{event}")
        _HANDLERS[key] = fn
        return fn

    return register


def handler_for(contract: str, event: str) -> Handler | None:
    return _HANDLERS.get((contract, event))


def check_handlers(contracts: IndexedContracts) -> None:
    """Every handler of a followed contract must match an event of its ABI (catches renames)."""
    followed = set(contracts.addresses.values())
    known = {(spec.contract, spec.name) for spec in contracts.events.values()}
    missing = sorted(f"{c}.{e}" for c, e in _HANDLERS if c in followed and (c, e) not in known)
    if missing:
        raise ContractsError(
            f"handlers for events the compiled ABIs do not have: {', '.join(missing)} "
            "(renamed in Solidity? rebuild with `make build` and update backend/indexer/handlers)"
        )
