"""Ape works on the same contracts: compile through the solcjs adapter, deploy on ape-foundry's
anvil, stake, post and claim a task, and read the custom error of a bad claim."""

from __future__ import annotations

import ape
import pytest

ETHER = 10**18


@pytest.fixture(scope="module")
def contracts(project, accounts):  # type: ignore[no-untyped-def]
    deployer = accounts[0]
    stake_manager = deployer.deploy(project.StakeManager, 4 * 86_400, 5_000)
    # stake manager, max challenge window, max dispute duration, missed-deadline slash (bps),
    # min challenge window, min task stake, claim timeout (tribunal.chain.deploy.DeployParams' order)
    market = deployer.deploy(project.TaskMarket, stake_manager.address, 86_400, 2 * 86_400, 2_000,
                             2, ETHER // 10, 86_400)
    stake_manager.setSlashers(market.address, "0x" + "00" * 20, sender=deployer)
    return stake_manager, market


def test_stake_post_claim_through_ape(contracts, accounts, chain) -> None:  # type: ignore[no-untyped-def]
    stake_manager, market = contracts
    submitter, operator = accounts[1], accounts[2]
    stake_manager.stake(sender=operator, value=3 * ETHER)
    params = (b"\x01" * 32, "artifact://spec", b"\x02" * 32, b"\x03" * 32, b"\x04" * 32,
              10, 5, 2 * ETHER, chain.pending_timestamp + 3600, 600)
    receipt = market.postTask(params, sender=submitter, value=ETHER)
    task_id = receipt.events[0].taskId
    market.claim(task_id, sender=operator)
    assert market.getTask(task_id).operator == operator.address
    assert stake_manager.lockedOf(operator) == 2 * ETHER


def test_claim_by_unstaked_account_reverts_with_named_error(contracts, accounts, chain) -> None:  # type: ignore[no-untyped-def]
    stake_manager, market = contracts
    params = (b"\x01" * 32, "artifact://spec", b"\x02" * 32, b"\x03" * 32, b"\x04" * 32,
              10, 5, 2 * ETHER, chain.pending_timestamp + 3600, 600)
    task_id = market.postTask(params, sender=accounts[1], value=ETHER).events[0].taskId
    with ape.reverts(stake_manager.StakeTooLow):
        market.claim(task_id, sender=accounts[3])
