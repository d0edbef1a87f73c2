"""A lean JSON-RPC client for what the indexer reads: the head, block headers and logs.

web3.py's formatters cost more per log than everything else the indexer does, so logs are read
as plain JSON and decoded by `backend.indexer.abi`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from tribunal.chain.ranges import suggested_blocks


class RpcError(Exception):
    """The node answered with a JSON-RPC error."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        self.method = method
        self.code = code
        self.message = message
        super().__init__(f"{method} failed ({code}): {message}")


class RpcUnavailable(ConnectionError):
    """The node could not be reached or answered with an HTTP error."""


# Providers phrase "ask for less" in many ways (Infura, Alchemy, QuickNode, geth, erigon, anvil).
_TOO_MUCH = re.compile(
    r"more than|too many|too large|limit|exceed|range|timeout|timed out|response size|query returned",
    re.IGNORECASE,
)


def is_too_much(exc: Exception) -> bool:
    return isinstance(exc, RpcError) and bool(_TOO_MUCH.search(exc.message))


def suggested_range(exc: Exception) -> int | None:
    """Blocks a provider suggests in its error ("try with this block range [0x.., 0x..]")."""
    return suggested_blocks(exc.message) if isinstance(exc, RpcError) else None


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


def _header(raw: dict[str, Any]) -> BlockHeader:
    return BlockHeader(
        number=int(raw["number"], 16),
        hash=raw["hash"].lower(),
        parent_hash=raw["parentHash"].lower(),
        timestamp=int(raw["timestamp"], 16),
    )


class RpcClient:
    """Blocking JSON-RPC over HTTP with a kept-alive connection; one per thread."""

    def __init__(self, url: str, timeout_s: float = 60.0) -> None:
        self.url = url
        self._http = httpx.Client(timeout=timeout_s, headers={"content-type": "application/json"})
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def _post(self, payload: Any) -> Any:
        try:
            response = self._http.post(self.url, content=orjson.dumps(payload))
        except httpx.HTTPError as exc:
            raise RpcUnavailable(f"RPC {self.url} unreachable: {exc}") from exc
        if response.status_code == 413 or response.status_code >= 500:
            method = payload["method"] if isinstance(payload, dict) else "batch"
            raise RpcError(
                method,
                response.status_code,
                f"HTTP {response.status_code}: response too large " f"or server error: {response.text[:200]}",
            )
        if response.status_code != 200:
            raise RpcUnavailable(
                f"RPC {self.url} answered HTTP {response.status_code}: {response.text[:200]}"
            )
        return response.json()

    def call(self, method: str, params: list[Any]) -> Any:
        reply = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        if "error" in reply:
            error = reply["error"]
            raise RpcError(method, error.get("code"), str(error.get("message", error)))
        return reply.get("result")

    def batch(self, method: str, params_list: list[list[Any]]) -> list[Any]:
        """One JSON-RPC batch of calls to the same method; results in request order."""
        if not params_list:
            return []
        first = next(self._ids)
        payload = [
            {"jsonrpc": "2.0", "id": first + i, "method": method, "params": params}
            for i, params in enumerate(params_list)
        ]
        self._ids = itertools.count(first + len(params_list))
        replies = self._post(payload)
        if isinstance(replies, dict):  # some nodes answer a whole batch with one error
            error = replies.get("error", {})
            raise RpcError(method, error.get("code"), str(error.get("message", replies)))
        by_id = {reply.get("id"): reply for reply in replies}
        results = []
        for i in range(len(params_list)):
            reply = by_id.get(first + i)
            if reply is None:
                raise RpcError(method, None, f"batch reply lacks id {first + i}")
            if "error" in reply:
                error = reply["error"]
                raise RpcError(method, error.get("code"), str(error.get("message", error)))
            results.append(reply["result"])
        return results

    def chain_id(self) -> int:
        return int(self.call("eth_chainId", []), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber", []), 16)

    def headers(self, first: int, last: int, per_batch: int = 500) -> list[BlockHeader]:
        """Headers of blocks first..last; raises if the chain is shorter than `last`."""
        found: list[BlockHeader] = []
        for start in range(first, last + 1, per_batch):
            stop = min(last, start + per_batch - 1)
            raws = self.batch("eth_getBlockByNumber", [[hex(n), False] for n in range(start, stop + 1)])
            for number, raw in zip(range(start, stop + 1), raws, strict=True):
                if raw is None:
                    raise RpcError("eth_getBlockByNumber", None, f"block {number} not found (chain shorter?)")
                found.append(_header(raw))
        return found

    def get_logs(self, first: int, last: int, addresses: list[str]) -> list[dict[str, Any]]:
        result = self.call(
            "eth_getLogs", [{"fromBlock": hex(first), "toBlock": hex(last), "address": addresses}]
        )
        return list(result or [])
