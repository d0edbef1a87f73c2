"""Claim-squatting (issue #14, finding 4), met by the real operator agents: a squatter claims a task
and sits on it; once its claim has outlived the market's `CLAIM_TIMEOUT` the honest agents evict
it by themselves (`evictClaim`: the squatter is slashed, the submitter credited the winner's
share), and one of them claims the reopened task, trains, submits and is paid after the
challenge window. Two honest agents race for the eviction: the one that loses logs it and moves
on, neither crashes. Chain time moves with `evm_increaseTime`, never with real sleeps."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support.agents import OPERATOR_KEYS, start_agent
from tests.support.chain import ETHER, Devnet
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tribunal.chain.anvil import increase_time
from tribunal.chain.keys import signer_from_private_key
from tribunal.protocol_enums import TaskStatus
from worker.policy import Policy
from worker.state import Phase, StateDir

MIN_STAKE = 2 * ETHER
WINDOW = 4


def test_honest_agents_evict_a_squatter_and_one_of_them_is_paid_for_the_task(
    devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    w3 = devnet.anvil.w3
    market = devnet.market("other")
    sm = devnet.stake_manager("other")
    squatter = devnet.signers["other"].address
    sub = devnet.signers["submitter"].address
    honest = {name: signer_from_private_key(key).address for name, key in OPERATOR_KEYS.items()}
    timeout = market.claim_timeout()
    slash_bps = int(market._call("MISSED_DEADLINE_SLASH_BPS"))
    winner_bps = int(sm._call("SLASH_WINNER_BPS"))

    task_id = submitter.post(tiny_spec(seed=70), reward=ETHER, min_stake=MIN_STAKE, challenge_window=WINDOW,
                             deadline_s=3 * timeout)
    sm.stake(MIN_STAKE)
    market.claim(task_id)
    squatter_bonded = sm.info(squatter).bonded
    submitter_credit = sm.credit_of(sub)

    policy = Policy(max_concurrent=1)
    agents = {name: start_agent(devnet, deployment_file, tmp_path / name, OPERATOR_KEYS[name], backend_url,
                                policy=policy, auto_withdraw=False)
              for name in honest}
    try:
        def noted(name: str) -> bool:
            """The agent has read when the squatter's claim times out (and done nothing about it)."""
            if not (tmp_path / name / "state.json").exists():
                return False
            candidate = StateDir(tmp_path / name).read().candidates.get(task_id)
            return candidate is not None and candidate.taken and candidate.evictable_at is not None

        for name in honest:
            wait_for(lambda name=name: noted(name), 60, what=f"{name} to note the squatted claim")  # type: ignore[misc]
            assert StateDir(tmp_path / name).read().candidates[task_id].evictable_at == \
                market.task(task_id).claimed_at + timeout
        assert market.task(task_id).status is TaskStatus.CLAIMED  # nobody evicts before the timeout

        increase_time(w3, timeout + 1)
        wait_for(lambda: market.task(task_id).status is TaskStatus.SUBMITTED, 120,
                 what="an honest agent to evict the squatter, claim, train and submit")
        operator = market.task(task_id).operator
        (winner,) = [name for name, address in honest.items() if address == operator]
        increase_time(w3, WINDOW + 1)
        wait_for(lambda: StateDir(tmp_path / winner).read().tasks[task_id].phase is Phase.PAID, 60,
                 what=f"{winner} to finalize and record its pay")
        assert all(a.thread.is_alive() for a in agents.values())
    finally:
        for agent in agents.values():
            agent.halt()

    assert market.task(task_id).status is TaskStatus.FINALIZED
    slashed = MIN_STAKE * slash_bps // 10_000
    assert slashed > 0
    info = sm.info(squatter)
    assert (info.bonded, info.locked) == (squatter_bonded - slashed, 0)
    assert sm.credit_of(sub) == submitter_credit + slashed * winner_bps // 10_000
    assert sm.credit_of(operator) == ETHER  # the reward (auto_withdraw is off)

    evictions = [r for r in caplog.records if getattr(r, "event", "") == "evicted"]
    assert len(evictions) == 1 and evictions[0].task_id == task_id  # type: ignore[attr-defined]
    assert evictions[0].squatter == squatter and int(evictions[0].slashed) == slashed  # type: ignore[attr-defined]
    record = StateDir(tmp_path / winner).read().tasks[task_id]
    evicter = evictions[0].threadName.removeprefix("agent-")
    if evicter == winner:  # evicted and claimed: both recorded
        assert record.evicted == squatter and record.txs["evict"] == evictions[0].tx  # type: ignore[attr-defined]
    loser = next(name for name in honest if name != winner)
    assert task_id not in StateDir(tmp_path / loser).read().tasks or \
        StateDir(tmp_path / loser).read().tasks[task_id].phase is Phase.ABANDONED
    crashes = [r for r in caplog.records if "unexpected error" in r.getMessage()]
    assert not crashes, [r.getMessage() for r in crashes]
