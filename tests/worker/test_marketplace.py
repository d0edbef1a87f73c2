"""Two operators on one devnet: one trains on a Celery executor through Redis, one in-process.
Several tasks are posted; each good one is claimed once, trained, submitted, finalized and paid,
every wei accounted for; the task below their minimum reward and the task whose roots do not
match its spec are left alone."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import httpx
import pytest
from web3 import Web3

from tests.support.agents import OPERATOR_KEYS, executor_process, start_agent
from tests.support.chain import ETHER, Devnet, fees_paid
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.anvil import ANVIL_KEYS
from tribunal.chain.keys import signer_from_private_key
from tribunal.checkpoint_manifest import find_manifest
from tribunal.protocol_enums import TaskStatus
from worker.policy import Policy
from worker.state import Phase, StateDir

STAKE = 10 * ETHER


def test_two_workers_share_the_market_and_every_task_is_paid(
    devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str, redis_url: str,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    w3 = devnet.anvil.w3
    address = {name: signer_from_private_key(key).address for name, key in OPERATOR_KEYS.items()}
    assert ANVIL_KEYS.index(OPERATOR_KEYS["alice"]) > 4  # not one of the devnet's own actors
    first_block = w3.eth.block_number + 1
    balance_before = {name: w3.eth.get_balance(a) for name, a in address.items()}

    rewards = [ETHER + 1, ETHER + 2, 2 * ETHER, ETHER + 3]
    good = [submitter.post(tiny_spec(seed=20 + i), reward=r) for i, r in enumerate(rewards)]
    cheap = submitter.post(tiny_spec(seed=40), reward=ETHER // 100)
    prepared = submitter.prepare(tiny_spec(seed=41))
    now = w3.eth.get_block("latest")["timestamp"]
    forged_params = dataclasses.replace(
        prepared.task_params(min_stake=2 * ETHER, deadline=now + 3600, challenge_window=4),
        graph_root=Web3.keccak(text="not this spec's graph"))
    forged, _ = devnet.market("submitter").post_task(forged_params, 3 * ETHER)

    policy = Policy(min_reward=ETHER // 10, max_concurrent=1)
    with executor_process(redis_url, "alice", tmp_path / "executor", tmp_path / "executor.log"):
        alice = start_agent(devnet, deployment_file, tmp_path / "alice", OPERATOR_KEYS["alice"], backend_url,
                            broker=redis_url, queue="alice", policy=policy)
        bob = start_agent(devnet, deployment_file, tmp_path / "bob", OPERATOR_KEYS["bob"], backend_url,
                          api_url=backend_url, policy=policy)
        try:
            market = devnet.market("other")
            wait_for(lambda: all(market.task(t).status is TaskStatus.FINALIZED for t in good), 150,
                     what="every good task finalized")
            operators = {t: market.task(t).operator for t in good}
            mine = {name: {t for t in good if operators[t] == address[name]} for name in address}
            assert all(mine.values()), f"an operator got no task: {operators}"
            states = {name: StateDir(tmp_path / name) for name in address}

            def all_paid_and_withdrawn() -> bool:
                """Each agent has recorded its tasks paid and their pay withdrawn (the chain is ahead
                of the state files: each records a payment or a withdrawal after it is mined)."""
                for name, directory in states.items():
                    state = directory.read()
                    paid = {t for t, r in state.tasks.items() if r.phase is Phase.PAID}
                    if paid != mine[name] or state.withdrawn < state.earned or not state.earned:
                        return False
                return True

            wait_for(all_paid_and_withdrawn, 60, what="both operators to record their pay, withdrawn")
        finally:
            alice.halt()
            bob.halt()
    last_block = w3.eth.block_number

    for name in ("alice", "bob"):
        state = StateDir(tmp_path / name).read()
        earned = sum(market.task(t).reward for t in mine[name])
        assert state.earned == state.withdrawn == earned
        info = devnet.stake_manager("other").info(address[name])
        assert (info.bonded, info.locked, info.credit) == (STAKE, 0, 0)
        fees = fees_paid(w3, address[name], first_block, last_block)
        assert w3.eth.get_balance(address[name]) == balance_before[name] - STAKE - fees + earned
        claims = [r for r in caplog.records if getattr(r, "event", "") == "claim_sent"
                  and r.task_id in mine[name] and r.threadName == f"agent-{name}"]
        assert len(claims) == len(mine[name])  # each claimed once, by its operator

    assert market.task(cheap).status is TaskStatus.OPEN
    assert market.task(forged).status is TaskStatus.OPEN
    refusals = [r.getMessage() for r in caplog.records if getattr(r, "event", "") == "refused"]
    assert any(f"refusing task {forged}" in m and "graph root" in m for m in refusals)
    skipped = [r.getMessage() for r in caplog.records if getattr(r, "event", "") == "skipped"]
    assert any(f"task {cheap}" in m and "--min-reward" in m for m in skipped)

    if any(e.get("name") == "publishCheckpoints" for e in market.contract.abi):
        with ArtifactClient(backend_url) as store:
            for t in good:
                task = market.task(t)
                manifest = find_manifest(market, store, t, operators[t], task.spec_hash)
                assert sorted(manifest.checkpoints) == [2, 4]
                assert manifest.checkpoints[4] == task.model_hash

    bob_tasks = [t for t in good if operators[t] == address["bob"]]
    reports = [httpx.get(f"{backend_url}/api/tasks/{t}/progress").json() for t in bob_tasks]
    assert any(r.get("items") or r.get("total") for r in reports), reports
