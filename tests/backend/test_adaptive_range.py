"""eth_getLogs ranges shrink when the provider complains and grow when it is calm."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.indexer.rpc import RpcClient, RpcError, suggested_range
from backend.indexer.store import dump_chain_data
from tests.support.chain import ETHER, Devnet
from tests.support.indexing import index_fresh, make_indexer
from tests.support.market_scenarios import lifecycle
from tribunal.chain.ranges import AdaptiveRange


def test_an_error_halves_the_range_or_takes_the_providers_suggestion() -> None:
    r = AdaptiveRange(size=1000, maximum=10_000)
    r.on_error()
    assert r.size == 500
    r.on_error(suggested=120)
    assert r.size == 120
    r.on_error(suggested=5000)  # a suggestion larger than what failed is ignored
    assert r.size == 60
    for _ in range(20):
        r.on_error()
    assert r.size == 1


def test_too_many_logs_scale_the_range_down_and_calm_replies_grow_it() -> None:
    r = AdaptiveRange(size=1000, maximum=4000, target_logs=100)
    r.on_success(blocks=1000, logs=400)
    assert r.size == 250
    r.on_success(blocks=250, logs=10)
    assert r.size == 250
    r.on_success(blocks=250, logs=10)
    assert r.size == 500
    for _ in range(10):
        r.on_success(blocks=r.size, logs=0)
    assert r.size == 4000
    r.on_success(blocks=10, logs=0)  # a short range at the tip says nothing
    assert r.size == 4000


def test_provider_suggestions_are_parsed() -> None:
    exc = RpcError(
        "eth_getLogs",
        -32005,
        "query returned more than 10000 results. Try with this block range " "[0x10, 0x1F].",
    )
    assert suggested_range(exc) == 16
    assert suggested_range(RpcError("eth_getLogs", -32000, "boom")) is None


class PickyProvider(RpcClient):
    """Refuses eth_getLogs over more than `limit` blocks, like a hosted RPC with a block-range cap."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url)
        self.limit = limit
        self.ranges: list[int] = []
        self.refusals = 0

    def get_logs(self, first: int, last: int, addresses: list[str]) -> list[dict[str, Any]]:
        if last - first + 1 > self.limit:
            self.refusals += 1
            raise RpcError("eth_getLogs", -32005, f"block range too large, limit is {self.limit}")
        self.ranges.append(last - first + 1)
        return super().get_logs(first, last, addresses)


def test_the_indexer_adapts_to_a_provider_that_refuses_large_ranges(
    devnet: Devnet, db_url: str, new_database: Callable[[str], str], db_kind: str
) -> None:
    lifecycle(devnet)
    for _ in range(3):
        devnet.stake_manager("challenger").stake(ETHER)
        devnet.anvil.w3.provider.make_request("anvil_mine", [40])
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url, range_initial=64, range_max=64)
    picky = PickyProvider(devnet.anvil.rpc_url, limit=5)
    indexer.rpc = picky
    indexer.sync()
    # refused, shrunk under the cap, and (when calm) tried growing again, refused again...
    assert picky.refusals >= 2 and max(picky.ranges) <= 5
    # the same database as an indexer that was never refused
    assert dump_chain_data(indexer.engine) == dump_chain_data(
        index_fresh(new_database, db_kind, devnet.deployment, devnet.anvil.rpc_url)
    )
