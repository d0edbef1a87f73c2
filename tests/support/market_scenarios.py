"""Chain histories the indexer folds: a market lifecycle and two decided disputes, played on the
devnet with placeholder roots."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from web3 import Web3

from tests.support.chain import ETHER, Devnet, placeholder_trace, sample_task_params
from tribunal.chain.anvil import increase_time
from tribunal.chain.artifacts import load_artifact
from tribunal.chain.client import ChainClient
from tribunal.chain.deployment import Deployment


def lifecycle(devnet: Devnet) -> dict[str, int]:
    """Stake, three tasks (finalized, expired with a slash, cancelled), unbond and withdraw, credit out."""
    w3 = devnet.anvil.w3
    devnet.stake_manager("operator").stake(5 * ETHER)
    done, _ = devnet.market("submitter").post_task(sample_task_params(devnet), 3 * ETHER)
    late, _ = devnet.market("submitter").post_task(
        sample_task_params(devnet, deadline=sample_task_params(devnet).deadline + 10), ETHER
    )
    cancelled, _ = devnet.market("submitter").post_task(sample_task_params(devnet), ETHER // 2)
    devnet.market("operator").claim(done)
    devnet.market("operator").claim(late)
    done_steps = sample_task_params(devnet).steps
    devnet.market("operator").submit_trace(done, placeholder_trace(done_steps), Web3.keccak(text="model"))
    devnet.market("submitter").cancel(cancelled)
    increase_time(w3, 601)
    devnet.market("other").finalize(done)
    increase_time(w3, 3600)
    devnet.market("other").expire(late)
    devnet.stake_manager("operator").withdraw_credit()
    devnet.stake_manager("operator").request_unbond(ETHER)
    increase_time(w3, devnet.stake_manager("operator").unbonding_delay() + 1)
    devnet.stake_manager("operator").withdraw()
    return {"done": done, "late": late, "cancelled": cancelled}


MAX_CLOCK = 3_600  # of a game deployed by the tests (when the devnet's deployment has none)
BOND = ETHER


def with_dispute_game(devnet: Devnet) -> Deployment:
    """The devnet's deployment with a DisputeGame wired in (deployed here if the fixture has none)."""
    if devnet.deployment.dispute_game:
        return devnet.deployment
    deployer = devnet.client("deployer")
    artifact = load_artifact("DisputeGame")
    sent = deployer.deploy(
        artifact.abi,
        artifact.bytecode,
        devnet.deployment.stake_manager,
        devnet.deployment.task_market,
        BOND,
        MAX_CLOCK,
        "0x" + "11" * 20,
    )
    game = sent.receipt["contractAddress"]
    devnet.stake_manager("deployer")._send("setDisputeGame", game)
    devnet.market("deployer")._send("setDisputeGame", game)
    return replace(devnet.deployment, dispute_game=game)


def game_contract(devnet: Devnet, deployment: Deployment, who: str) -> tuple[ChainClient, Any]:
    client = devnet.client(who)
    assert deployment.dispute_game is not None
    return client, client.w3.eth.contract(
        address=Web3.to_checksum_address(deployment.dispute_game), abi=load_artifact("DisputeGame").abi
    )


def keccak_pair(left: bytes, right: bytes) -> bytes:
    return Web3.keccak(left + right)


def dispute_scenario(devnet: Devnet, deployment: Deployment) -> dict[str, int]:
    """Two one-step tasks disputed: in game 1 the descent finds step 0 and the challenger's clock runs
    out (operator wins); in game 2 the operator never answers (challenger wins, task reopens)."""
    w3 = devnet.anvil.w3
    h0 = Web3.keccak(text="h0")
    h1_operator, h1_challenger = Web3.keccak(text="h1 operator"), Web3.keccak(text="h1 challenger")
    operator_root, challenger_root = keccak_pair(h0, h1_operator), keccak_pair(h0, h1_challenger)
    devnet.stake_manager("operator").stake(10 * ETHER)
    devnet.stake_manager("challenger").stake(5 * ETHER)
    tasks = []
    for _ in range(2):
        task_id, _ = devnet.market("submitter").post_task(
            sample_task_params(
                devnet,
                steps=1,
                checkpoint_every=1,
                init_state_root=h0,
                deadline=sample_task_params(devnet).deadline + 10 * 86_400,
            ),
            ETHER,
        )
        devnet.market("operator").claim(task_id)
        # h_1 (the final state of a one-step task) is leaf 1 of (h_0, h_1): its proof is h_0
        devnet.market("operator").submit_result(task_id, operator_root, h1_operator, [h0],
                                                Web3.keccak(text="model"))
        tasks.append(task_id)
    challenger, game_c = game_contract(devnet, deployment, "challenger")
    operator, game_o = game_contract(devnet, deployment, "operator")
    anyone, game_any = game_contract(devnet, deployment, "other")
    max_clock = int(game_any.functions.MAX_CLOCK().call())
    for task_id in tasks:
        challenger.transact(game_c.functions.open(task_id, challenger_root), context="open")
    challenger.transact(game_c.functions.reveal(1, h0, h1_challenger), context="reveal C")
    operator.transact(game_o.functions.reveal(1, h0, h1_operator), context="reveal O")
    challenger.transact(game_c.functions.reveal(2, h0, h1_challenger), context="reveal C 2")
    increase_time(w3, max_clock + 1)
    anyone.transact(game_any.functions.claimTimeout(1), context="timeout 1")
    anyone.transact(game_any.functions.claimTimeout(2), context="timeout 2")
    return {"operator_won": tasks[0], "challenger_won": tasks[1]}


def queued_games_scenario(devnet: Devnet, deployment: Deployment) -> dict[str, int]:
    """Four games on one one-step task whose operator bonded exactly its minStake: A takes the task
    stake; B and C queue (the operator has no free stake); B's challenger withdraws it; the operator
    stakes more and anyone advances the queue, so C runs on stake locked for it alone; D queues. A's
    operator never answers (A voids the result, and D, which nothing can back now, is closed as moot);
    C's challenger never moves (the operator wins C). Returns the task and the four game ids."""
    w3 = devnet.anvil.w3
    h0 = Web3.keccak(text="h0")
    h1_operator, h1_challenger = Web3.keccak(text="h1 operator"), Web3.keccak(text="h1 challenger")
    operator_root, challenger_root = keccak_pair(h0, h1_operator), keccak_pair(h0, h1_challenger)
    params = sample_task_params(devnet, steps=1, checkpoint_every=1, init_state_root=h0,
                                deadline=sample_task_params(devnet).deadline + 10 * 86_400)
    devnet.stake_manager("operator").stake(params.min_stake)
    task_id, _ = devnet.market("submitter").post_task(params, ETHER)
    devnet.market("operator").claim(task_id)
    devnet.market("operator").submit_result(task_id, operator_root, h1_operator, [h0],
                                            Web3.keccak(text="model"))
    games: dict[str, int] = {"task": task_id}
    _, any_game = game_contract(devnet, deployment, "other")
    bond = int(any_game.functions.CHALLENGER_BOND().call())
    max_clock = int(any_game.functions.MAX_CLOCK().call())
    for who in ("challenger", "other", "deployer"):
        devnet.stake_manager(who).stake(2 * bond)

    def open_game(who: str) -> int:
        client, game = game_contract(devnet, deployment, who)
        client.transact(game.functions.open(task_id, challenger_root), context=f"open by {who}")
        return int(game.functions.gameCount().call())

    games["A"] = open_game("challenger")
    games["B"] = open_game("other")
    games["C"] = open_game("deployer")
    other, other_game = game_contract(devnet, deployment, "other")
    other.transact(other_game.functions.withdrawQueued(games["B"]), context="withdraw B")
    devnet.stake_manager("operator").stake(params.min_stake)
    other.transact(other_game.functions.advanceQueue(task_id), context="advance")
    games["D"] = open_game("other")
    challenger, challenger_game = game_contract(devnet, deployment, "challenger")
    challenger.transact(challenger_game.functions.reveal(games["A"], h0, h1_challenger), context="reveal A")
    increase_time(w3, max_clock + 1)
    other.transact(other_game.functions.claimTimeout(games["A"]), context="timeout A")
    other.transact(other_game.functions.claimTimeout(games["C"]), context="timeout C")
    return games
