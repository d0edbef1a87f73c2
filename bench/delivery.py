"""Delivery benchmark (issue #19): what an availability challenge costs on-chain, how fast the
submitter's client catches a withheld model, and how fast a model is fetched from a replica.

A real run on anvil: an MLP (64 → 512 → 10 on digits, 38,410 parameters) is trained and submitted
by an operator that never uploads the model. The artifact store (a `tribunal.replica` server holding
only the spec) answers 404 for the model; the submitter's client (`tribunal.model_delivery`) finds
that out and opens one availability challenge per parameter slot, naming every chunk; the operator
delivers them on-chain (16 chunks per transaction, the desk's batch); the client rebuilds the
parameters from the logs. Reported:

- ``open_gas`` per challenge and ``gas_per_chunk``: the first delivery (one chunk, with the tensor's
  proofs), the batched ones (gas per chunk), and ``gas_per_mb`` of state delivered as calldata;
  ``eth_per_mb_at_30_gwei``; ``chunk_bond_covers_gas_at_gwei`` (the gas price up to which
  ``CHUNK_BOND`` still pays one chunk's delivery); ``reimbursed_over_cost_ratio``: what the bonds
  paid the operator over what its delivery transactions cost it (gas used at the effective price);
- ``detect_and_open_s``: from the client's first request to the last challenge opened (the model
  missing from the store, the spec fetched, the graph and slot proofs built, the transactions mined);
- ``rebuild_s``: reading the ``ChunkDelivered`` logs and checking every tensor;
- ``replica_fetch_mb_per_s``: downloading (and hash-checking) the model checkpoint from a replica.

Blobs (EIP-4844) are not measured: a contract cannot read a blob's bytes, so the chunks could not be
checked against the keccak roots on-chain (docs/protocol.md, "Availability challenges").

    python -m bench.delivery        # writes bench/results.json key "delivery"
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._results import environment, merge
from tribunal.artifact_client import ArtifactClient
from tribunal.availability import build_delivery, num_chunks
from tribunal.chain.anvil import ANVIL_KEYS, start_anvil
from tribunal.chain.client import ChainClient
from tribunal.chain.deploy import DeployParams, deploy_contracts
from tribunal.chain.deployment import Deployment
from tribunal.chain.dispute_game import DisputeGame
from tribunal.chain.keys import signer_from_private_key
from tribunal.chain.session import ChainSession
from tribunal.chain.stake_manager import StakeManager
from tribunal.chain.task_market import TaskMarket
from tribunal.checkpoints import LocalCheckpointStore
from tribunal.commitments import num_leaves_for
from tribunal.model_delivery import find_model, open_challenges, rebuild_from_chain, task_graph_and_state
from tribunal.replica import ReplicaServer, ReplicaStore
from tribunal.spec import MlpConfig, Sgd, TaskSpec
from tribunal.tasks import prepare_task
from tribunal.training import train

ETHER = 10**18
GWEI = 10**9
MIB = 1 << 20
BATCH = 16
GOALS = {"detect_and_open_s": 30.0, "gas_per_chunk": 150_000}
SPEC = TaskSpec(
    model=MlpConfig(hidden=(512,)),
    dataset="digits",
    optimizer=Sgd(lr=0.05),
    batch_size=16,
    seed=21,
    steps=2,
    checkpoint_every=1,
)


def _session(anvil_w3: Any, deployment: Deployment, key: str) -> ChainSession:
    client = ChainClient(anvil_w3, signer_from_private_key(key))
    assert deployment.dispute_game is not None
    return ChainSession(
        client,
        deployment,
        StakeManager(client, deployment.stake_manager),
        TaskMarket(client, deployment.task_market),
        DisputeGame(client, deployment.dispute_game),
    )


def run(work: Path) -> dict[str, Any]:
    prepared = prepare_task(SPEC, spec_uri="bench://delivery")
    checkpoints = LocalCheckpointStore(work / "checkpoints")
    result = train(prepared.spec, dataset=prepared.dataset, store=checkpoints)
    model = checkpoints.get(result.model_hash)
    model_bytes = model.to_bytes()
    store = ReplicaStore(work / "store")
    store.put(prepared.spec_bytes)  # the artifact store has the spec and never gets the model
    replica = ReplicaStore(work / "replica")
    replica.put(model_bytes)  # a verifier that fetched the model keeps it
    anvil = start_anvil()
    try:
        deployer, submitter, operator = (signer_from_private_key(k) for k in ANVIL_KEYS[:3])
        deployment = deploy_contracts(ChainClient(anvil.w3, deployer), anvil.rpc_url, DeployParams())
        sub = _session(anvil.w3, deployment, ANVIL_KEYS[1])
        op = _session(anvil.w3, deployment, ANVIL_KEYS[2])
        assert sub.game is not None and op.game is not None
        now = anvil.w3.eth.get_block("latest")["timestamp"]
        params = prepared.task_params(min_stake=ETHER, deadline=now + 86_400, challenge_window=3_600)
        task_id, _ = sub.market.post_task(params, ETHER)
        op.stake_manager.stake(2 * ETHER)
        op.market.claim(task_id)
        op.market.submit_trace(task_id, result.state_commitments, result.model_hash)
        task = sub.market.task(task_id)
        chunk_leaves, chunk_bond = sub.game.chunk_leaves(), sub.game.chunk_bond()

        with ReplicaServer(store) as store_server, ReplicaServer(replica) as replica_server:
            with ArtifactClient(store_server.url) as primary:
                began = time.perf_counter()
                found, failures = find_model(task, "bench://delivery", [primary])
                assert found is None and failures, "the model must be missing from the store"
                graph, init = task_graph_and_state(task, "bench://delivery", primary)
                challenges = open_challenges(sub, task, graph, init)
                detect_and_open = time.perf_counter() - began
            open_gas = [
                sub.client.w3.eth.get_transaction_receipt(tx)["gasUsed"]
                for tx in _open_txs(anvil.w3, sub.game, task_id)
            ]

            first_gas: list[int] = []
            spent_wei = 0  # what the deliveries cost the operator (gas used at the effective price)
            batched: list[tuple[int, int, int]] = []  # (gas, chunks, calldata bytes)
            for challenge in challenges:
                state = op.game.availability_state(challenge.game_id)
                delivery = build_delivery(
                    model,
                    prepared.graph,
                    prepared.spec.steps,
                    list(result.state_commitments),
                    challenge.slot,
                    state.named,
                    chunk_leaves,
                )
                head, rest = delivery.chunks[:1], delivery.chunks[1:]
                sent = op.game.deliver_chunks(challenge.game_id, delivery.part(head).as_abi_args())
                first_gas.append(sent.gas_used)
                spent_wei += _cost(anvil.w3, sent.tx_hash)
                for start in range(0, len(rest), BATCH):
                    part = rest[start : start + BATCH]
                    sent = op.game.deliver_chunks(challenge.game_id, delivery.part(part).as_abi_args())
                    calldata = len(bytes(anvil.w3.eth.get_transaction(sent.tx_hash)["input"]))  # type: ignore[arg-type]
                    spent_wei += _cost(anvil.w3, sent.tx_hash)
                    if len(part) == BATCH:
                        batched.append((sent.gas_used, len(part), calldata))

            began = time.perf_counter()
            tensors = rebuild_from_chain(sub, challenges)
            paid_wei = sum(sub.game.availability_state(c.game_id).paid for c in challenges)
            rebuild_s = time.perf_counter() - began
            for j, slot in enumerate(prepared.graph.slots):
                if slot.name in tensors:
                    assert tensors[slot.name].tobytes() == model.state[j].tobytes(), slot.name

            with ArtifactClient(replica_server.url) as replica_client:
                rounds = 20
                began = time.perf_counter()
                for _ in range(rounds):
                    assert replica_client.download(result.model_hash) == model_bytes
                fetch_s = time.perf_counter() - began
    finally:
        anvil.stop()

    gas_per_chunk = sum(g for g, _, _ in batched) / sum(n for _, n, _ in batched)
    chunk_bytes = 32 * chunk_leaves
    gas_per_mb = gas_per_chunk * MIB / chunk_bytes
    slots = [c.name for c in challenges]
    return {
        "model": "mlp 64-512-10 on digits",
        "parameters": sum(int(t.size) for t in tensors.values()),
        "challenged_slots": slots,
        "chunks": sum(len(c.chunks) for c in challenges),
        "chunk_leaves": chunk_leaves,
        "chunk_bytes": chunk_bytes,
        "chunks_per_tx": BATCH,
        "chunk_bond_eth": chunk_bond / ETHER,
        "open_gas": max(open_gas),
        "first_chunk_gas": max(first_gas),
        "gas_per_chunk": round(gas_per_chunk),
        "calldata_bytes_per_tx": max(c for _, _, c in batched),
        "max_tx_gas": max(g for g, _, _ in batched),
        "gas_per_mb": round(gas_per_mb),
        "eth_per_mb_at_30_gwei": round(gas_per_mb * 30 * GWEI / ETHER, 4),
        "chunk_bond_covers_gas_at_gwei": round(chunk_bond / (gas_per_chunk * GWEI), 1),
        "reimbursed_eth": round(paid_wei / ETHER, 6),
        "delivery_cost_eth": round(spent_wei / ETHER, 6),
        "reimbursed_over_cost_ratio": round(paid_wei / spent_wei, 4),
        "detect_and_open_s": round(detect_and_open, 2),
        "rebuild_s": round(rebuild_s, 3),
        "replica_fetch_mb_per_s": round(rounds * len(model_bytes) / MIB / fetch_s, 1),
        "model_bytes": len(model_bytes),
        "largest_slot_chunks": max(
            num_chunks(num_leaves_for(int(t.size)), chunk_leaves) for t in tensors.values()
        ),
    }


def _cost(w3: Any, tx_hash: str) -> int:
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])


def _open_txs(w3: Any, game: DisputeGame, task_id: int) -> list[Any]:
    logs = game.contract.events.AvailabilityChallenged.get_logs(
        from_block=0, argument_filters={"taskId": task_id}
    )
    return [log["transactionHash"] for log in logs]


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tribunal-delivery-") as tmp:
        figures = run(Path(tmp))
    figures = {**figures, "goals": GOALS, **environment()}
    for key in (
        "open_gas",
        "first_chunk_gas",
        "gas_per_chunk",
        "gas_per_mb",
        "eth_per_mb_at_30_gwei",
        "chunk_bond_covers_gas_at_gwei",
        "reimbursed_over_cost_ratio",
        "detect_and_open_s",
        "rebuild_s",
        "replica_fetch_mb_per_s",
    ):
        print(f"{key:32} {figures[key]}")
    merge("delivery", figures)


if __name__ == "__main__":
    main()
