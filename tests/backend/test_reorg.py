"""Reorgs on a real anvil (evm_snapshot/evm_revert, then a different chain): the database after the
reorg equals a fresh index of the chain as it now is."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from web3 import Web3

from backend.db.models import Account
from backend.indexer.indexer import ReorgTooDeep
from backend.indexer.store import dump_chain_data
from tests.support.chain import ETHER, Devnet, sample_task_params
from tests.support.indexing import index_fresh, make_indexer
from tests.support.market_scenarios import lifecycle
from tribunal.chain.anvil import revert, snapshot


def test_reorg_to_a_longer_branch_equals_a_fresh_index(
    devnet: Devnet, db_url: str, new_database: Callable[[str], str], db_kind: str
) -> None:
    w3 = devnet.anvil.w3
    devnet.stake_manager("operator").stake(5 * ETHER)
    fork = snapshot(w3)
    lifecycle(devnet)  # branch A
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url, range_initial=3)
    indexer.sync()
    tip_a = w3.eth.block_number

    revert(w3, fork)  # branch B: other transactions, more blocks
    for reward in (1, 2, 3):
        task_id, _ = devnet.market("submitter").post_task(sample_task_params(devnet), reward * ETHER)
    devnet.market("operator").claim(task_id)
    devnet.stake_manager("challenger").stake(ETHER)
    while w3.eth.block_number <= tip_a:
        w3.provider.make_request("evm_mine", [])
    indexer.sync()

    assert indexer.status.reorgs == 1
    assert dump_chain_data(indexer.engine) == dump_chain_data(
        index_fresh(new_database, db_kind, devnet.deployment, devnet.anvil.rpc_url)
    )


def test_reorg_to_a_shorter_branch_and_at_the_same_height(
    devnet: Devnet, db_url: str, new_database: Callable[[str], str], db_kind: str
) -> None:
    w3 = devnet.anvil.w3
    fork = snapshot(w3)
    lifecycle(devnet)
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url)
    indexer.sync()

    revert(w3, fork)  # shorter: two blocks instead of a dozen
    devnet.stake_manager("operator").stake(2 * ETHER)
    devnet.market("submitter").post_task(sample_task_params(devnet), ETHER)
    assert w3.eth.block_number < indexer.cursor().block  # type: ignore[union-attr]
    indexer.sync()
    assert dump_chain_data(indexer.engine) == dump_chain_data(
        index_fresh(new_database, db_kind, devnet.deployment, devnet.anvil.rpc_url)
    )

    height = w3.eth.block_number
    tip = snapshot(w3)
    devnet.stake_manager("operator").stake(ETHER)
    indexer.sync()
    revert(w3, tip)  # same height, another block at the tip
    devnet.stake_manager("challenger").stake(3 * ETHER)
    assert w3.eth.block_number == height + 1
    indexer.sync()
    assert indexer.status.reorgs == 2
    assert dump_chain_data(indexer.engine) == dump_chain_data(
        index_fresh(new_database, db_kind, devnet.deployment, devnet.anvil.rpc_url)
    )


def test_anvil_reorg_replaces_the_last_blocks(
    devnet: Devnet, db_url: str, new_database: Callable[[str], str]
) -> None:
    w3 = devnet.anvil.w3
    lifecycle(devnet)
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url)
    indexer.sync()
    # anvil_reorg(depth, txs): replace the last 3 blocks by 3 new ones, the first with a new stake.
    stake = Web3.keccak(text="stake()")[:4].hex()
    tx = {
        "from": devnet.signers["challenger"].address,
        "to": devnet.deployment.stake_manager,
        "value": hex(ETHER),
        "data": "0x" + stake,
        "gas": hex(200_000),
        # Fees stated, not filled in by anvil from the old tip: a fee below the new block's base fee
        # made anvil drop the transaction from the reorged block without an error (a CI flake).
        "maxFeePerGas": hex(100 * 10**9),
        "maxPriorityFeePerGas": hex(10**9),
    }
    result = w3.provider.make_request("anvil_reorg", [3, [[tx, 0]]])
    if "error" in result:
        pytest.skip(f"this anvil has no anvil_reorg: {result['error']}")
    challenger = devnet.signers["challenger"].address
    assert devnet.stake_manager("challenger").info(challenger).bonded == ETHER, (
        "anvil_reorg did not include the stake transaction in the new branch"
    )
    indexer.sync()
    assert indexer.status.reorgs == 1
    with indexer.engine.connect() as conn:
        bonded = conn.execute(
            select(Account.bonded).where(Account.address == devnet.signers["challenger"].address.lower())
        ).scalar_one()
    assert bonded == ETHER
    assert dump_chain_data(indexer.engine) == dump_chain_data(
        index_fresh(new_database, "sqlite", devnet.deployment, devnet.anvil.rpc_url)
    )


def test_a_reorg_deeper_than_the_window_is_refused_with_a_way_out(devnet: Devnet, db_url: str) -> None:
    w3 = devnet.anvil.w3
    fork = snapshot(w3)
    lifecycle(devnet)
    for _ in range(6):
        w3.provider.make_request("evm_mine", [])
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url, reorg_window=4)
    indexer.sync()
    revert(w3, fork)
    for _ in range(30):
        w3.provider.make_request("evm_mine", [])
    with pytest.raises(ReorgTooDeep, match="reindex"):
        indexer.sync()
