"""Decoded contract events, and following them from a block cursor: what the agents (worker,
verifier) react to. The backend's indexer reads the same `ChainEvent` with its own lean RPC client.

The chain is the source of truth: an event is a hint to re-read state, never a state itself.
A follower reads ``eth_getLogs`` over every followed contract from ``cursor + 1`` up to
``head - confirmations`` in adaptive ranges (`tribunal.chain.ranges.AdaptiveRange`: halved when the
provider complains, doubled when calm), decodes each log with the contract's ABI and moves the
cursor. Persisting the cursor is the caller's business (it does so after it has acted on the events,
so a crash replays them; handlers must be idempotent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from eth_utils import event_abi_to_log_topic, filter_abi_by_type
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3RPCError
from web3.types import FilterParams

from tribunal.chain.client import with_rpc_retry
from tribunal.chain.ranges import AdaptiveRange, suggested_blocks

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChainEvent:
    """One decoded log: which contract (artifact name), which event, its arguments, and where the
    chain holds it (hashes and addresses in lower-case hex)."""

    contract: str
    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    address: str
    timestamp: int | None = None
    """The block's time: set by a reader that fetched the block's header (the indexer), else None."""

    def __getitem__(self, key: str) -> Any:
        return self.args[key]

    @property
    def task_id(self) -> int | None:
        value = self.args.get("taskId")
        return int(value) if value is not None else None

    @property
    def game_id(self) -> int | None:
        value = self.args.get("gameId")
        return int(value) if value is not None else None


@dataclass
class _Followed:
    name: str
    contract: Contract
    topics: dict[bytes, str] = field(default_factory=dict)


class EventFollower:
    """Decoded events of ``contracts`` (artifact name → bound web3 contract), oldest first."""

    def __init__(
        self,
        w3: Web3,
        contracts: dict[str, Contract],
        cursor: int,
        confirmations: int = 0,
        max_range: int = 5_000,
    ) -> None:
        self.w3 = w3
        self.cursor = cursor
        """The last block whose events were returned."""
        self.confirmations = confirmations
        # an agent follows few contracts at the tip: every full, calm reply doubles the range
        self.range = AdaptiveRange(size=min(1_000, max_range), maximum=max_range, calm_to_grow=1)
        self._by_address: dict[str, _Followed] = {}
        for name, contract in contracts.items():
            followed = _Followed(name, contract)
            for event in filter_abi_by_type("event", contract.abi):
                if not event.get("anonymous"):
                    followed.topics[bytes(event_abi_to_log_topic(event))] = event["name"]
            self._by_address[contract.address.lower()] = followed

    def head(self) -> int:
        return int(with_rpc_retry(lambda: self.w3.eth.block_number)) - self.confirmations

    def poll(self, max_blocks: int | None = None) -> list[ChainEvent]:
        """Every event from ``cursor + 1`` to the confirmed head (at most ``max_blocks`` blocks)."""
        head = self.head()
        if max_blocks is not None:
            head = min(head, self.cursor + max_blocks)
        events: list[ChainEvent] = []
        while self.cursor < head:
            start = self.cursor + 1
            end = min(head, self.cursor + self.range.size)
            query: FilterParams = {
                "address": [f.contract.address for f in self._by_address.values()],
                "fromBlock": start,
                "toBlock": end,
            }
            try:
                logs = with_rpc_retry(partial(self.w3.eth.get_logs, query))
            except (Web3RPCError, ValueError) as exc:  # the provider refused the range (too wide)
                if end == start:
                    raise
                self.range.on_error(suggested_blocks(str(exc)))
                log.info("eth_getLogs refused %d..%d (%s); range now %d blocks",
                         start, end, exc, self.range.size)
                continue
            events.extend(self._decode(entry) for entry in logs if self._known(entry))
            self.range.on_success(end - start + 1, len(logs))
            self.cursor = end
        events.sort(key=lambda e: (e.block_number, e.log_index))
        return events

    def _known(self, entry: Any) -> bool:
        followed = self._by_address.get(str(entry["address"]).lower())
        return bool(followed and entry["topics"] and bytes(entry["topics"][0]) in followed.topics)

    def _decode(self, entry: Any) -> ChainEvent:
        followed = self._by_address[str(entry["address"]).lower()]
        name = followed.topics[bytes(entry["topics"][0])]
        decoded = getattr(followed.contract.events, name)().process_log(entry)
        return ChainEvent(
            contract=followed.name,
            name=name,
            args={k: bytes(v) if isinstance(v, bytes | bytearray) else v for k, v in decoded["args"].items()},
            block_number=int(entry["blockNumber"]),
            block_hash=Web3.to_hex(entry["blockHash"]),
            tx_hash=Web3.to_hex(entry["transactionHash"]),
            tx_index=int(entry["transactionIndex"]),
            log_index=int(entry["logIndex"]),
            address=str(entry["address"]).lower(),
        )
