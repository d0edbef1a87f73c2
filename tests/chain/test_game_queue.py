"""The dispute game's queue through the Python bindings (`tribunal.chain.dispute_game`), on a real
anvil: a game the operator's stake cannot back waits, queued, is withdrawn with its bond back, or is
funded from the operator's free stake by `advance_queue`; every revert is named."""

from __future__ import annotations

import pytest
from web3 import Web3

from tests.support.chain import ETHER, Devnet, placeholder_trace, sample_task_params
from tribunal.chain.errors import ContractRevert
from tribunal.dispute.state import GameView
from tribunal.protocol_enums import CollateralKind, GameStatus, TaskStakeState


def test_queue_withdraw_and_fund_through_the_bindings(devnet: Devnet) -> None:
    params = sample_task_params(devnet)
    operator = devnet.signers["operator"].address
    devnet.stake_manager("operator").stake(params.min_stake)  # exactly the task's stake: nothing free
    task_id, _ = devnet.market("submitter").post_task(params, ETHER)
    devnet.market("operator").claim(task_id)
    model = Web3.keccak(text="model")
    devnet.market("operator").submit_trace(task_id, placeholder_trace(params.steps), model)
    game = devnet.game("challenger")
    bond = game.challenger_bond()
    for who in ("challenger", "other"):
        devnet.stake_manager(who).stake(2 * bond)
    root = Web3.keccak(text="another trace")

    first, sent = game.open(task_id, root)
    assert game.queued_in(sent) is None  # the task's stake backs it
    second, sent = devnet.game("other").open(task_id, root)
    third, queued = game.open(task_id, root)
    assert (devnet.game("other").queued_in(sent), game.queued_in(queued)) == (0, 1)
    view = GameView.from_tuple(game.state(second))
    assert (view.status, view.collateral, view.queued, view.active) == (
        GameStatus.QUEUED, CollateralKind.NONE, True, False)
    disputes = game.task_disputes(task_id)
    assert (disputes.task_stake, disputes.holder, disputes.open_games, disputes.queued_games) == (
        TaskStakeState.HELD, first, 3, 2)
    assert [game.queued_game_at(task_id, p) for p in (0, 1)] == [second, third]
    assert devnet.market("other").task(task_id).open_disputes == 3  # finalisation waits for queued games

    with pytest.raises(ContractRevert) as not_theirs:
        game.withdraw_queued(second)
    assert not_theirs.value.error_name == "NotChallenger"
    with pytest.raises(ContractRevert) as running:
        game.withdraw_queued(first)
    assert running.value.error_name == "NotQueued"
    devnet.game("other").withdraw_queued(second)
    assert GameView.from_tuple(game.state(second)).status is GameStatus.WITHDRAWN
    assert game.withdrawal(second) is False and game.withdrawal(third) is None
    assert devnet.stake_manager("other").info(devnet.signers["other"].address).locked == 0  # bond back

    game.advance_queue(task_id)  # nothing can back the third game yet: it stays queued
    assert GameView.from_tuple(game.state(third)).queued
    devnet.stake_manager("operator").stake(params.min_stake)
    game.advance_queue(task_id)
    view = GameView.from_tuple(game.state(third))
    assert (view.status, view.collateral) == (GameStatus.ACTIVE, CollateralKind.GAME_STAKE)
    assert devnet.stake_manager("other").info(operator).locked == 2 * params.min_stake
    with pytest.raises(ContractRevert) as empty:
        game.advance_queue(task_id)
    assert empty.value.error_name == "QueueEmpty"
    assert game.task_disputes(task_id).queued_games == 0
