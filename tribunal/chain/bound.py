"""A deployed contract at an address, used through one `ChainClient`: the base of every binding."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from tribunal.chain.artifacts import load_artifact
from tribunal.chain.client import ChainClient, Sent


class BoundContract:
    """A contract at an address, used through one ChainClient."""

    NAME = ""

    def __init__(self, client: ChainClient, address: str) -> None:
        self.client = client
        self.address = Web3.to_checksum_address(address)
        self.contract: Contract = client.w3.eth.contract(
            address=self.address, abi=load_artifact(self.NAME).abi
        )

    def _call(self, name: str, *args: Any, context: str = "") -> Any:
        return self.client.call(getattr(self.contract.functions, name)(*args), context=context)

    def _send(self, name: str, *args: Any, value: int = 0, context: str = "") -> Sent:
        fn = getattr(self.contract.functions, name)(*args)
        return self.client.transact(fn, value=value, context=context or name)

    def events(self, name: str, receipt: Any) -> list[Any]:
        # other contracts' logs in the same receipt (e.g. StakeManager's) are not ours: skip them
        return list(getattr(self.contract.events, name)().process_receipt(receipt, errors=DISCARD))
