"""The agents' event follower: decoded events with where the chain holds them, read in ranges that
shrink when the provider refuses them."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.exceptions import Web3RPCError

from tests.support.chain import ETHER, Devnet
from tribunal.chain.events import EventFollower


def test_the_follower_decodes_each_event_with_its_block_transaction_and_address(devnet: Devnet) -> None:
    manager = devnet.stake_manager("operator")
    cursor = devnet.anvil.w3.eth.block_number
    sent = manager.stake(ETHER)
    follower = EventFollower(devnet.anvil.w3, {"StakeManager": manager.contract}, cursor=cursor)
    events = follower.poll()
    assert [(e.contract, e.name) for e in events] == [("StakeManager", "Staked")]
    event = events[0]
    receipt = devnet.anvil.w3.eth.get_transaction_receipt(sent.tx_hash)
    assert (event.block_number, event.block_hash, event.tx_hash, event.tx_index, event.address) == (
        receipt["blockNumber"], Web3.to_hex(receipt["blockHash"]), Web3.to_hex(receipt["transactionHash"]),
        receipt["transactionIndex"], manager.address.lower())
    assert event["account"] == devnet.signers["operator"].address and event.timestamp is None
    assert follower.cursor == devnet.anvil.w3.eth.block_number and follower.poll() == []


def test_a_refused_range_shrinks_until_the_provider_answers(devnet: Devnet) -> None:
    w3 = devnet.anvil.w3
    manager = devnet.stake_manager("operator")
    cursor = w3.eth.block_number
    manager.stake(ETHER)
    w3.provider.make_request("anvil_mine", [40])
    follower = EventFollower(w3, {"StakeManager": manager.contract}, cursor=cursor, max_range=64)
    get_logs, asked = w3.eth.get_logs, []

    def picky(params: dict[str, Any]) -> Any:
        blocks = params["toBlock"] - params["fromBlock"] + 1
        asked.append(blocks)
        if blocks > 5:
            raise Web3RPCError("block range too large, limit is 5")
        return get_logs(params)

    w3.eth.get_logs = picky  # type: ignore[method-assign]
    try:
        events = follower.poll()
    finally:
        del w3.eth.get_logs
    assert [e.name for e in events] == ["Staked"] and follower.cursor == w3.eth.block_number
    assert asked[0] == 41 and 1 <= follower.range.size <= 10
