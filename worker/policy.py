"""Which open tasks an operator claims: pure functions of the offer, its stake and its capacity.

Two screens. `screen` uses what the chain says (reward, required stake, steps, deadline) and
runs before anything is downloaded; `fits` uses the prepared spec (memory a step needs, time
the run will take at the speed this operator measured, against the deadline and against the
market's claim timeout) and runs before the claim. A decision
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

ASSUMED_ELEMENTS_PER_S = 1e7
"""Training speed (node output elements per second) assumed before this operator has measured its
own: a slow CPU's, so that the estimate errs long (a GPU is one to two orders of magnitude faster)."""
ASSUMED_STEP_OVERHEAD_S = 0.01
"""Per-step cost assumed on top of the elements before a speed is measured (dispatch, data, hashing)."""


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
    assumed_elements_per_s: float = ASSUMED_ELEMENTS_PER_S
    """Speed assumed until one is measured (`training_seconds`): deliberately slow."""


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


def training_seconds(workload: Workload, policy: Policy, elements_per_s: float | None) -> tuple[float, bool]:
    """Expected seconds to train the whole task, before ``policy.time_safety``, and whether the
    estimate rests on our measured speed (else on the deliberately slow assumed one)."""
    if elements_per_s:
        return workload.total_elements / elements_per_s, True
    per_step = ASSUMED_STEP_OVERHEAD_S + workload.step_elements / policy.assumed_elements_per_s
    return workload.steps * per_step, False


def fits(
    workload: Workload, offer: Offer, policy: Policy, *, elements_per_s: float | None, now: int,
    claim_timeout_s: int | None = None,
) -> Decision:
    """What our machine allows: memory for one step, time to finish before the deadline, and time to
    submit within ``claim_timeout_s`` of the claim (`TaskMarket.CLAIM_TIMEOUT`): past it anyone may
    evict the claim, and the eviction slashes us `missed_deadline_slash_bps` of the task's stake."""
    if policy.memory_budget_bytes is not None and workload.memory_bytes > policy.memory_budget_bytes:
        return Decision.never(f"a step needs about {workload.memory_bytes / 2**20:.0f} MiB, more than the "
                              f"{policy.memory_budget_bytes / 2**20:.0f} MiB this device offers")
    seconds, measured = training_seconds(workload, policy, elements_per_s)
    expected = seconds * policy.time_safety
    if measured:
        left = offer.deadline - now - policy.deadline_margin_s
        if expected > left:
            return Decision.never(f"training would take about {expected:.0f} s (with margin) at our measured "
                                  f"speed; only {max(0, left)} s are left before the deadline")
    if claim_timeout_s is not None:
        allowed = claim_timeout_s - policy.deadline_margin_s
        if expected > allowed:
            speed = ("our measured speed" if measured else
                     f"an assumed {policy.assumed_elements_per_s:.0e} elements/s (none measured yet)")
            reason = (f"training would take about {expected:.0f} s (with margin) at {speed}, more than the "
                      f"{allowed} s the market's claim timeout ({claim_timeout_s} s, less a "
                      f"{policy.deadline_margin_s} s margin) allows before anyone may evict the claim "
                      "and slash us")
            # measured: final; assumed: retried once a finished task has measured our speed
            return Decision.never(reason) if measured else Decision.later(reason)
    return Decision.accept()


def rank(offers: Iterable[Offer]) -> list[Offer]:
    """Best first: reward per step, then reward, then the oldest task."""
    return sorted(offers, key=lambda o: (-o.reward / max(1, o.steps), -o.reward, o.task_id))
