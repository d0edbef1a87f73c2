"""A chain in memory for the indexer: blocks of logs encoded with the contracts' ABIs, served
through the JSON-RPC methods the indexer calls (`RpcClient.call` and `batch`), so its decoding,
reorg checks and handlers run as against anvil, for sequences of events the real contracts take
long to reach (a dispute voiding one shard of a job's round, a refunded round)."""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_utils import keccak

from backend.indexer.rpc import RpcClient


def _hex32(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


class FakeChain(RpcClient):
    """Blocks 0..head, each with its logs; `emit` queues a log, `mine` seals a block with them."""

    def __init__(self, chain_id: int = 31337, start_time: int = 1_700_000_000) -> None:
        self.url = "memory://fake-chain"
        self.id = chain_id
        self.start_time = start_time
        self.blocks: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []
        self.mine()

    def close(self) -> None:
        pass

    def emit(self, address: str, abi: list[dict[str, Any]], event: str, **args: Any) -> None:
        """Queue `event` of the contract at `address` with `args` (bytes32 as bytes)."""
        (entry,) = [e for e in abi if e.get("type") == "event" and e["name"] == event]
        kinds = [i["type"] for i in entry["inputs"]]
        topics = ["0x" + keccak(text=f"{event}({','.join(kinds)})").hex()]
        data_kinds, data_values = [], []
        for item in entry["inputs"]:
            value = args.pop(item["name"])
            if item["indexed"]:
                topics.append("0x" + encode([item["type"]], [value]).hex())
            else:
                data_kinds.append(item["type"])
                data_values.append(value)
        assert not args, f"{event} has no arguments {sorted(args)}"
        data = "0x" + encode(data_kinds, data_values).hex()
        self._pending.append({"address": address.lower(), "topics": topics, "data": data})

    def mine(self) -> int:
        """Seal a block holding the queued logs (one transaction per log); its number."""
        number = len(self.blocks)
        block_hash = _hex32(int.from_bytes(keccak(text=f"block {number}"), "big"))
        parent = self.blocks[-1]["hash"] if self.blocks else "0x" + "00" * 32
        logs = [
            {
                **log,
                "blockNumber": hex(number),
                "blockHash": block_hash,
                "transactionHash": _hex32(int.from_bytes(keccak(text=f"tx {number}.{i}"), "big")),
                "transactionIndex": hex(i),
                "logIndex": hex(i),
                "removed": False,
            }
            for i, log in enumerate(self._pending)
        ]
        self._pending = []
        self.blocks.append(
            {
                "number": hex(number),
                "hash": block_hash,
                "parentHash": parent,
                "timestamp": hex(self.start_time + 12 * number),
                "logs": logs,
            }
        )
        return number

    def call(self, method: str, params: list[Any]) -> Any:
        if method == "eth_chainId":
            return hex(self.id)
        if method == "eth_blockNumber":
            return hex(len(self.blocks) - 1)
        if method == "eth_getLogs":
            (query,) = params
            first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
            wanted = {a.lower() for a in query["address"]}
            blocks = self.blocks[first : last + 1]
            return [log for block in blocks for log in block["logs"] if log["address"] in wanted]
        raise NotImplementedError(f"the fake chain does not answer {method}")

    def batch(self, method: str, params_list: list[list[Any]]) -> list[Any]:
        assert method == "eth_getBlockByNumber", method
        return [
            (self.blocks[int(n, 16)] if int(n, 16) < len(self.blocks) else None) for n, _full in params_list
        ]
