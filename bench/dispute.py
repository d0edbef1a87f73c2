"""Dispute benchmark: a faulty operator against an honest challenger, per model, on anvil.

For each model a bit is flipped in one op at a random step; the whole game is played on a
fresh anvil with the real one-step prover. Reports rounds, gas per side, the largest single
transaction, the one step's gas (the `oneStep` transaction: the verdict), the `settle`
transaction's gas (the slash, credits and market hook it carries out, sent by the winner) and the
wall time, next to the goals of issue 4.

    python -m bench.dispute            # writes bench/results.json key "dispute"
    python -m bench.dispute --network optimism --model mlp

On anvil's OP-stack mode (`--network optimism`) the same game is played and each move's
calldata size, FastLZ size and L1 data fee (Fjord rules, `bench/rollup_cost.py`, at the stated
L1 prices) are reported under `dispute.optimism.<model>.rollup`.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from typing import Any

from web3 import Web3

from bench._results import environment, merge, recorded
from bench.models import TRANSFORMER_10M
from bench.rollup_cost import OpFeeParams, data_cost
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
from tribunal.spec import Adam, CnnConfig, MlpConfig, Sgd, TaskSpec, TransformerConfig
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
    "transformer_10m": TaskSpec(
        model=TRANSFORMER_10M,
        dataset="char_copy",
        optimizer=Adam(lr=0.001),
        batch_size=8,
        seed=14,
        steps=4,
        checkpoint_every=2,
    ),
}


NETWORKS = ("ethereum", "optimism")


def rollup_costs(w3: Web3, tx_hashes: list[tuple[str, str]], fees: OpFeeParams) -> dict[str, Any]:
    """Each move's calldata and FastLZ size and its L1 data fee on an OP-stack chain (Fjord)."""
    per_function: dict[str, dict[str, int]] = defaultdict(
        lambda: {"count": 0, "calldata_bytes_max": 0, "fastlz_bytes_max": 0, "l2_gas": 0, "l1_fee_wei": 0}
    )
    calldata_total = 0
    for function, tx_hash in tx_hashes:
        raw = bytes(w3.eth.get_raw_transaction(tx_hash))  # type: ignore[arg-type]
        tx = w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        cost = data_cost(raw, bytes(tx["input"]), fees)
        calldata_total += cost.calldata_bytes
        entry = per_function[function]
        entry["count"] += 1
        entry["calldata_bytes_max"] = max(entry["calldata_bytes_max"], cost.calldata_bytes)
        entry["fastlz_bytes_max"] = max(entry["fastlz_bytes_max"], cost.fastlz_bytes)
        entry["l2_gas"] += receipt["gasUsed"]
        entry["l1_fee_wei"] += cost.l1_fee_wei
    moves = {
        name: {
            "count": e["count"],
            "calldata_bytes_max": e["calldata_bytes_max"],
            "fastlz_bytes_max": e["fastlz_bytes_max"],
            "l2_gas": e["l2_gas"],
            "l1_fee_eth": e["l1_fee_wei"] / ETHER,  # all of this function's transactions
        }
        for name, e in sorted(per_function.items())
    }
    l1_total = sum(e["l1_fee_wei"] for e in per_function.values())
    l2_total = sum(e["l2_gas"] for e in per_function.values()) * fees.l2_gas_price_wei
    return {
        "moves": moves,
        "transactions": len(tx_hashes),
        "calldata_bytes_total": calldata_total,
        "l1_fee_eth_total": l1_total / ETHER,
        "l2_fee_eth_total": l2_total / ETHER,
        "fee_eth_total": (l1_total + l2_total) / ETHER,
    }


def run(model: str, seed: int, network: str = "ethereum", fees: OpFeeParams | None = None) -> dict[str, Any]:
    prepared = prepare_task(SPECS[model], spec_uri=f"bench://{model}")
    rng = random.Random(seed)
    step = rng.randrange(prepared.spec.steps)
    node = rng.randrange(len(prepared.graph.nodes))
    fault = BitFlip(step, node, rng.randrange(prepared.graph.nodes[node].numel), rng.choice([5, 20, 30]))
    honest = PartyClaims(prepared)
    cheater = PartyClaims(prepared, tamper=fault)
    anvil = start_anvil(extra_args=["--network", network] if network != "ethereum" else None)
    rollup: dict[str, Any] | None = None
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
        operator_market.submit_trace(task_id, cheater.state_commitments, cheater.model_hash)
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
        if network == "optimism":
            txs = [("open", opened.tx_hash)] + [(m.function, m.tx_hash) for p in players for m in p.moves]
            rollup = rollup_costs(anvil.w3, txs, fees or OpFeeParams())
    finally:
        anvil.stop()
    moves = [m for p in players for m in p.moves]
    challenger_gas = opened.gas_used + sum(m.gas_used for m in players[0].moves)
    operator_gas = sum(m.gas_used for m in players[1].moves)
    one_step = [m.gas_used for m in moves if m.function == "oneStep"]
    settle = [m.gas_used for m in moves if m.function == "settle"]
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
        "settle_gas": settle[0] if settle else None,
        "wall_s": round(wall, 2),
        "winner": view.status.name.lower(),
        **({"rollup": rollup} if rollup is not None else {}),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--network", choices=(*NETWORKS, "both"), default="both",
                        help="anvil's network family; optimism also reports each move's L1 data fee")
    parser.add_argument("--model", choices=sorted(SPECS), action="append",
                        help="only these models (repeatable; default: all)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    networks = NETWORKS if args.network == "both" else (args.network,)
    models = args.model or list(SPECS)
    # A partial run (one network or model) keeps the figures of the others already recorded.
    figures: dict[str, Any] = {**recorded("dispute"), "goals": GOALS, **environment()}
    fees = OpFeeParams()
    for network in networks:
        into = figures
        if network != "ethereum":
            into = figures[network] = {**figures.get(network, {}), "fee_params": fees.to_json()}
        for index, model in enumerate(SPECS):
            if model not in models:
                continue
            result = run(model, seed=100 + index, network=network, fees=fees)
            into[model] = result
            print(
                f"{network:9} {model:12} rounds {result['descent_rounds']:3}  "
                f"txs {result['transactions']:3}  "
                f"total {result['total_gas']:>9,} gas  max tx {result['max_tx_gas']:>8,}  "
                f"one step {result['one_step_gas']:>7,}  settle {result['settle_gas'] or 0:>7,}  "
                f"wall {result['wall_s']:6.2f} s  "
                f"[{result['found']}]"
            )
            if "rollup" in result:
                r = result["rollup"]
                print(
                    f"{'':9} {'':12} L1 data fee {r['l1_fee_eth_total']:.6f} ETH for "
                    f"{r['calldata_bytes_total']:,} calldata bytes "
                    f"(L1 base fee {fees.l1_base_fee_wei / 1e9:g} gwei, blob base fee "
                    f"{fees.blob_base_fee_wei / 1e9:g} gwei); L2 execution "
                    f"{r['l2_fee_eth_total']:.6f} ETH at {fees.l2_gas_price_wei / 1e9:g} gwei"
                )
    merge("dispute", figures)


if __name__ == "__main__":
    main()
