"""Which open tasks an operator claims: pure functions of the offer, its stake and its capacity.

Two screens. `screen` uses what the chain says (reward, required stake, steps, deadline) and
runs before anything is downloaded; `fits` uses the prepared spec (memory a step needs, time
the run will take at the speed this operator measured) and runs before the claim. A decision
is either final (the task will never suit us: logged once, never retried) or transient (not
enough free stake or slots right now: retried later). `rank` orders the offers best first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import prod

from tribunal.chain.session import format_eth
from tribunal.graph import StepGraph

BYTES_PER_ELEMENT = 4
WORKSPACE_FACTOR = 3
"""Memory a step needs ≈ this × (state + node outputs): inputs, outputs and kernel temporaries."""


@dataclass(frozen=True)
class Offer:
    """An open task as the chain describes it."""

    task_id: int
    reward: int
    min_stake: int
    steps: int
    deadline: int
    submitter: str


@dataclass(frozen=True)
class Workload:
    """How big a task is, from its step graph."""

    steps: int
    params: int
    state_elements: int
    step_elements: int

    @classmethod
    def of(cls, graph: StepGraph, steps: int) -> Workload:
        sizes = [prod(s.shape) for s in graph.slots]
        return cls(
            steps=steps,
            params=sum(sizes[j] for j in graph.param_slots),
            state_elements=sum(sizes),
            step_elements=graph.num_elements,
        )

    @property
    def memory_bytes(self) -> int:
        return WORKSPACE_FACTOR * BYTES_PER_ELEMENT * (self.state_elements + self.step_elements)

    @property
    def total_elements(self) -> int:
        return self.step_elements * self.steps


@dataclass(frozen=True)
class Policy:
    """The operator's rules (CLI: --min-reward, --max-steps, --max-stake, --max-concurrent)."""

    min_reward: int = 0
    max_steps: int | None = None
    max_stake: int | None = None
    max_concurrent: int = 1
    memory_budget_bytes: int | None = None
    deadline_margin_s: int = 60
    """Keep at least this long between the expected end of training and the deadline."""
    time_safety: float = 2.0
    """Expected training time is multiplied by this before comparing with the time left."""


@dataclass(frozen=True)
class Decision:
    ok: bool
    reason: str = ""
    transient: bool = False

    @classmethod
    def accept(cls) -> Decision:
        return cls(True)

    @classmethod
    def never(cls, reason: str) -> Decision:
        return cls(False, reason, transient=False)

    @classmethod
    def later(cls, reason: str) -> Decision:
        return cls(False, reason, transient=True)


def screen(offer: Offer, policy: Policy, *, me: str, free_stake: int, active: int, now: int) -> Decision:
    """What the chain's numbers allow. Final reasons first, then the ones that may change."""
    if offer.submitter.lower() == me.lower():
        return Decision.never("we posted it (a submitter cannot claim its own task)")
    if offer.reward < policy.min_reward:
        return Decision.never(f"reward {format_eth(offer.reward)} is below --min-reward "
                              f"{format_eth(policy.min_reward)}")
    if policy.max_steps is not None and offer.steps > policy.max_steps:
        return Decision.never(f"{offer.steps} steps exceed --max-steps {policy.max_steps}")
    if policy.max_stake is not None and offer.min_stake > policy.max_stake:
        return Decision.never(f"it locks {format_eth(offer.min_stake)} of stake, more than --max-stake "
                              f"{format_eth(policy.max_stake)}")
    if offer.deadline - now <= policy.deadline_margin_s:
        return Decision.never(f"its deadline is {max(0, offer.deadline - now)} s away, within the "
                              f"{policy.deadline_margin_s} s margin")
    if active >= policy.max_concurrent:
        return Decision.later(f"already running {active} task(s) (--max-concurrent {policy.max_concurrent})")
    if offer.min_stake > free_stake:
        return Decision.later(f"it locks {format_eth(offer.min_stake)} but only {format_eth(free_stake)} "
                              "of our stake is free (stake more with `worker start --stake N`)")
    return Decision.accept()


def fits(
    workload: Workload, offer: Offer, policy: Policy, *, elements_per_s: float | None, now: int
) -> Decision:
    """What our machine allows: memory for one step, and time to finish before the deadline."""
    if policy.memory_budget_bytes is not None and workload.memory_bytes > policy.memory_budget_bytes:
        return Decision.never(f"a step needs about {workload.memory_bytes / 2**20:.0f} MiB, more than the "
                              f"{policy.memory_budget_bytes / 2**20:.0f} MiB this device offers")
    if elements_per_s:
        expected = workload.total_elements / elements_per_s * policy.time_safety
        left = offer.deadline - now - policy.deadline_margin_s
        if expected > left:
            return Decision.never(f"training would take about {expected:.0f} s (with margin) at our measured "
                                  f"speed; only {max(0, left)} s are left before the deadline")
    return Decision.accept()


def rank(offers: Iterable[Offer]) -> list[Offer]:
    """Best first: reward per step, then reward, then the oldest task."""
    return sorted(offers, key=lambda o: (-o.reward / max(1, o.steps), -o.reward, o.task_id))
