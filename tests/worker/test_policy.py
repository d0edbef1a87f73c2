"""The claim policy: what the chain's numbers allow, what the machine allows, and the order."""

from __future__ import annotations

import pytest

from tests.support.chain import ETHER
from tests.support.specs import tiny_spec
from tribunal.tasks import prepare_task
from worker.policy import (
    ASSUMED_STEP_OVERHEAD_S,
    Offer,
    Policy,
    Workload,
    fits,
    rank,
    screen,
    training_seconds,
)

ME = "0x00000000000000000000000000000000000000aa"
NOW = 1_000_000


def offer(**fields: object) -> Offer:
    values: dict[str, object] = dict(task_id=1, reward=ETHER, min_stake=2 * ETHER, steps=100,
                                     deadline=NOW + 3600, submitter="0x" + "bb" * 20)
    values.update(fields)
    return Offer(**values)  # type: ignore[arg-type]


def decide(o: Offer, policy: Policy | None = None, free: int = 10 * ETHER, active: int = 0):  # noqa: ANN201
    return screen(o, policy or Policy(), me=ME, free_stake=free, active=active, now=NOW)


def test_a_task_within_every_limit_is_accepted() -> None:
    assert decide(offer()).ok


@pytest.mark.parametrize(
    ("changes", "policy", "words"),
    [
        ({"submitter": ME.upper().replace("0X", "0x")}, Policy(), "we posted it"),
        ({"reward": ETHER // 10}, Policy(min_reward=ETHER // 2), "below --min-reward"),
        ({"steps": 5_000}, Policy(max_steps=1_000), "exceed --max-steps 1000"),
        ({"min_stake": 5 * ETHER}, Policy(max_stake=3 * ETHER), "more than --max-stake 3 ETH"),
        ({"deadline": NOW + 30}, Policy(deadline_margin_s=60), "within the 60 s margin"),
    ],
)
def test_final_refusals_name_their_reason(changes: dict[str, object], policy: Policy, words: str) -> None:
    decision = decide(offer(**changes), policy)
    assert not decision.ok and not decision.transient
    assert words in decision.reason


def test_stake_beyond_the_free_stake_is_refused_for_now_with_what_to_do() -> None:
    decision = decide(offer(min_stake=3 * ETHER), free=2 * ETHER)
    assert not decision.ok and decision.transient
    assert "only 2 ETH of our stake is free" in decision.reason and "--stake" in decision.reason


def test_a_busy_operator_waits_for_a_free_slot() -> None:
    decision = decide(offer(), Policy(max_concurrent=2), active=2)
    assert not decision.ok and decision.transient and "--max-concurrent 2" in decision.reason
    assert decide(offer(), Policy(max_concurrent=2), active=1).ok


def test_final_reasons_come_before_transient_ones() -> None:
    decision = decide(offer(reward=1), Policy(min_reward=ETHER), free=0, active=5)
    assert not decision.transient and "--min-reward" in decision.reason


def test_workload_counts_parameters_state_and_step_elements() -> None:
    prepared = prepare_task(tiny_spec(), "test://tiny")
    work = Workload.of(prepared.graph, steps=4)
    assert work.params == 64 * 8 + 8 + 8 * 10 + 10
    assert work.state_elements == work.params  # plain SGD keeps no optimizer state
    assert work.step_elements == prepared.graph.num_elements > work.params
    assert work.memory_bytes == 3 * 4 * (work.state_elements + work.step_elements)
    assert work.total_elements == 4 * work.step_elements


def test_a_task_too_big_for_the_device_is_refused() -> None:
    work = Workload(steps=10, params=10**6, state_elements=10**6, step_elements=10**7)
    small = Policy(memory_budget_bytes=64 * 2**20)
    decision = fits(work, offer(), small, elements_per_s=None, now=NOW)
    assert not decision.ok and "MiB" in decision.reason
    assert fits(work, offer(), Policy(memory_budget_bytes=2**30), elements_per_s=None, now=NOW).ok


def test_a_task_we_cannot_finish_before_its_deadline_is_refused() -> None:
    work = Workload(steps=1_000, params=10, state_elements=10, step_elements=1_000)  # 1e6 elements
    policy = Policy(deadline_margin_s=60, time_safety=2.0)
    # 1e6 elements at 1e3 elements/s: 1000 s, 2000 s with the safety factor
    assert fits(work, offer(), policy, elements_per_s=1e3, now=NOW).ok
    decision = fits(work, offer(deadline=NOW + 1_500), policy, elements_per_s=1e3, now=NOW)
    assert not decision.ok and "2000 s" in decision.reason
    assert fits(work, offer(deadline=NOW + 1_500), policy, elements_per_s=None, now=NOW).ok


def test_a_task_we_cannot_submit_within_the_claim_timeout_is_refused() -> None:
    """Past `CLAIM_TIMEOUT` after our claim anyone may evict us and we are slashed: a task whose
    training (with the safety factor and the margin) would outlast it is not claimed, even when
    its deadline is far."""
    work = Workload(steps=1_000, params=10, state_elements=10, step_elements=1_000)  # 1e6 elements
    policy = Policy(deadline_margin_s=60, time_safety=2.0)
    far = offer(deadline=NOW + 30 * 86_400)
    # 2000 s expected (with safety): fits 2060 s of timeout (2000 after the margin), not 2059
    assert fits(work, far, policy, elements_per_s=1e3, now=NOW, claim_timeout_s=2_060).ok
    decision = fits(work, far, policy, elements_per_s=1e3, now=NOW, claim_timeout_s=2_059)
    assert not decision.ok and not decision.transient  # our measured speed: final
    assert "2000 s" in decision.reason and "claim timeout (2059 s" in decision.reason
    assert "measured speed" in decision.reason and "evict" in decision.reason
    assert fits(work, far, policy, elements_per_s=1e3, now=NOW).ok  # a market without a timeout


def test_without_a_measured_speed_the_claim_timeout_uses_a_slow_assumed_one() -> None:
    """Before a first task has measured our speed the estimate assumes a slow machine; a refusal
    on that guess is retried (transient) once a finished task has measured the real speed."""
    work = Workload(steps=10_000, params=10, state_elements=10, step_elements=10**6)
    policy = Policy(deadline_margin_s=60, time_safety=2.0, assumed_elements_per_s=1e7)
    seconds, measured = training_seconds(work, policy, None)
    assert not measured
    assert seconds == pytest.approx(10_000 * (ASSUMED_STEP_OVERHEAD_S + 0.1))  # 1100 s
    assert training_seconds(work, policy, 1e9) == (10.0, True)
    far = offer(deadline=NOW + 30 * 86_400, steps=10_000)
    decision = fits(work, far, policy, elements_per_s=None, now=NOW, claim_timeout_s=2_000)
    assert not decision.ok and decision.transient
    assert "assumed" in decision.reason and "none measured yet" in decision.reason
    assert fits(work, far, policy, elements_per_s=None, now=NOW, claim_timeout_s=2_300).ok
    assert fits(work, far, policy, elements_per_s=1e9, now=NOW, claim_timeout_s=2_000).ok


def test_rank_prefers_reward_per_step_then_reward_then_age() -> None:
    offers = [
        offer(task_id=1, reward=ETHER, steps=100),
        offer(task_id=2, reward=ETHER, steps=50),
        offer(task_id=3, reward=2 * ETHER, steps=200),
        offer(task_id=4, reward=ETHER, steps=50),
    ]
    assert [o.task_id for o in rank(offers)] == [2, 4, 3, 1]
