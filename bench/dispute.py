"""Dispute benchmark: a faulty operator against an honest challenger, per model, on anvil.

For each model a bit is flipped in one op at a random step; the whole game is played on a
fresh anvil with the real one-step prover. Reports rounds, gas per side, the largest single
transaction, the one step's gas and the wall time, next to the goals of issue 4.

    python -m bench.dispute            # writes bench/results.json key "dispute"
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench._results import environment, merge
from tribunal.chain.anvil import ANVIL_KEYS, start_anvil
from tribunal.chain.client import ChainClient
from tribunal.chain.deploy import DeployParams, deploy_contracts
from tribunal.chain.dispute_game import DisputeGame
from tribunal.chain.keys import signer_from_private_key
from tribunal.chain.stake_manager import StakeManager
from tribunal.chain.task_market import TaskMarket
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.dispute.player import Player, play_out
from tribunal.dispute.state import Party
from tribunal.spec import CnnConfig, MlpConfig, Sgd, TaskSpec, TransformerConfig
from tribunal.tasks import prepare_task

ETHER = 10**18
GOALS = {"wall_s": 60.0, "total_gas": 8_000_000, "max_tx_gas": 1_000_000, "one_step_gas": 150_000}
SPECS = {
    "mlp": TaskSpec(
        model=MlpConfig(hidden=(32,)),
        dataset="digits",
        optimizer=Sgd(lr=0.1),
        batch_size=16,
        seed=11,
        steps=20,
        checkpoint_every=5,
    ),
    "cnn": TaskSpec(
        model=CnnConfig(),
        dataset="digits",
        optimizer=Sgd(lr=0.05),
        batch_size=8,
        seed=12,
        steps=10,
        checkpoint_every=5,
    ),
    "transformer": TaskSpec(
        model=TransformerConfig(context=16, d_model=16, d_ff=32),
        dataset="char_copy",
        optimizer=Sgd(lr=0.05),
        batch_size=2,
        seed=13,
        steps=4,
        checkpoint_every=2,
    ),
}


def run(model: str, seed: int) -> dict[str, Any]:
    prepared = prepare_task(SPECS[model], spec_uri=f"bench://{model}")
    rng = random.Random(seed)
    step = rng.randrange(prepared.spec.steps)
    node = rng.randrange(len(prepared.graph.nodes))
    fault = BitFlip(step, node, rng.randrange(prepared.graph.nodes[node].numel), rng.choice([5, 20, 30]))
    honest = PartyClaims(prepared)
    cheater = PartyClaims(prepared, tamper=fault)
    anvil = start_anvil()
    try:
        signer = {
            name: signer_from_private_key(ANVIL_KEYS[i])
            for i, name in enumerate(["deployer", "submitter", "operator", "challenger"])
        }
        deployment = deploy_contracts(
            ChainClient(anvil.w3, signer["deployer"]), anvil.rpc_url, DeployParams()
        )

        def client(who: str) -> ChainClient:
            return ChainClient(anvil.w3, signer[who])

        now = anvil.w3.eth.get_block("latest")["timestamp"]
        params = prepared.task_params(min_stake=2 * ETHER, deadline=now + 7200, challenge_window=600)
        task_id, _ = TaskMarket(client("submitter"), deployment.task_market).post_task(params, ETHER)
        StakeManager(client("operator"), deployment.stake_manager).stake(3 * ETHER)
        operator_market = TaskMarket(client("operator"), deployment.task_market)
        operator_market.claim(task_id)
        operator_market.submit_result(task_id, cheater.trace_root, cheater.model_hash)
        assert deployment.dispute_game is not None
        game = DisputeGame(client("challenger"), deployment.dispute_game)
        StakeManager(client("challenger"), deployment.stake_manager).stake(game.challenger_bond())
        began = time.perf_counter()
        game_id, opened = game.open(task_id, honest.trace_root)
        players = [
            Player(game, game_id, Party.CHALLENGER, honest),
            Player(
                DisputeGame(client("operator"), deployment.dispute_game), game_id, Party.OPERATOR, cheater
            ),
        ]
        view = play_out(players)
        wall = time.perf_counter() - began
    finally:
        anvil.stop()
    moves = [m for p in players for m in p.moves]
    challenger_gas = opened.gas_used + sum(m.gas_used for m in players[0].moves)
    operator_gas = sum(m.gas_used for m in players[1].moves)
    one_step = [m.gas_used for m in moves if m.function == "oneStep"]
    reveal_rounds = sum(1 for m in players[1].moves if m.function == "reveal")
    found = (view.step, view.node, view.element, view.instruction)
    assert found[:3] == (fault.step, fault.node, fault.element), (found, fault)
    return {
        "fault": f"step {fault.step} node {fault.node} element {fault.element} bit {fault.bit}",
        "found": f"step {found[0]} node {found[1]} element {found[2]} instruction {found[3]}",
        "nodes": len(prepared.graph.nodes),
        "steps": prepared.spec.steps,
        "descent_rounds": reveal_rounds,
        "transactions": len(moves) + 1,
        "challenger_gas": challenger_gas,
        "operator_gas": operator_gas,
        "total_gas": challenger_gas + operator_gas,
        "max_tx_gas": max([opened.gas_used, *(m.gas_used for m in moves)]),
        "one_step_gas": one_step[0] if one_step else None,
        "wall_s": round(wall, 2),
        "winner": view.status.name.lower(),
    }


def main() -> None:
    figures: dict[str, Any] = {"goals": GOALS, **environment()}
    for index, model in enumerate(SPECS):
        result = run(model, seed=100 + index)
        figures[model] = result
        print(
            f"{model:12} rounds {result['descent_rounds']:3}  txs {result['transactions']:3}  "
            f"total {result['total_gas']:>9,} gas  max tx {result['max_tx_gas']:>8,}  "
            f"one step {result['one_step_gas']:>7,}  wall {result['wall_s']:6.2f} s  "
            f"[{result['found']}]"
        )
    merge("dispute", figures)


if __name__ == "__main__":
    main()
