"""Economics: expected payoffs of cheating, verifying and griefing under Tribunal's rules.

    python -m bench.economics      # bench/out/economics.png, bench/results.json key "economics"

It also runs the agent-based simulation of verifier populations (`bench/economics_sim.py`):
figures under `economics.dilemma` (the mechanism on chain: the dispute rules with the forced errors
of docs/forced-errors.md, caught by a verifier committee drawn per result;
`economics.dilemma.without_jackpot` is the same market with forced errors off), plot
`bench/out/economics_dilemma.png`. Forced errors are paid from each operator's own escrow (one pot
J reserved per claimed task): J/K to each committee member that catches one, the rest stays in the
escrow; nothing is burned.

The model (`docs/economics.md` derives it): a task pays reward R and costs the operator C to
compute; the operator locks stake s, slashed if it loses a dispute (the winner is credited
w·s, the rest burned); a challenger locks bond B, slashed if it loses (w·B to the operator).
A run has N checkpoint intervals; a spot verifier re-executes m = max(1, ceil(p·N)) of them,
chosen uniformly, and checks a given task with probability c (coverage). A cheater that fakes
k intervals saves k·C/N and is caught when any of V verifiers samples one of them:

    q(k) = 1 − (1 − c·(1 − C(N−k, m)/C(N, m)))^V

    E[cheat] − E[honest] = k·C/N + X − q(k)·(R + s)       (X: any gain outside the protocol)

A caught cheater loses the reward (the result is voided) and its stake. Verifiers are paid only
by slashes; griefers lose their bond. Every figure below is in ETH.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench import economics_sim
from bench._results import environment, merge
from tribunal.chain.deploy import DAY, DeployParams

OUT = Path(__file__).resolve().parent / "out"
GWEI = 1e-9
YEAR_S = 365 * DAY


@dataclass(frozen=True)
class Economy:
    reward: float = 1.0
    compute_cost: float = 0.6
    """The operator's cost to train the task honestly (ETH); its margin is reward − compute_cost."""
    stake: float = 2.0
    """minStake of the task (the submitter chooses it; recommended: at least 2 × reward)."""
    bond: float = DeployParams().challenger_bond / 1e18
    winner_share: float = DeployParams().slash_winner_bps / 10_000
    sample_rate: float = 0.1
    verifiers: int = 3
    coverage: float = 1.0
    """Probability that a given verifier checks a given task at all."""
    intervals: int = 20
    """N = steps / checkpoint_every."""
    dispute_gas_per_party: int = 2_500_000
    """A long dispute (43 rounds: 1000 steps, 128 nodes, 2^20 elements) is ~4.5M gas for both sides."""
    gas_price_gwei: float = 30.0
    verify_cost_ratio: float = 1.0
    """A verifier's cost to re-execute an interval, relative to the operator's."""
    annual_rate: float = 0.10
    """Time value of the operator's money while a griefer delays its payment."""
    max_clock_s: int = DeployParams().max_clock

    @property
    def sampled(self) -> int:
        return min(self.intervals, max(1, math.ceil(self.sample_rate * self.intervals)))

    @property
    def dispute_gas_eth(self) -> float:
        return self.dispute_gas_per_party * self.gas_price_gwei * GWEI


def miss_probability(n: int, m: int, k: int) -> float:
    """One verifier's m sampled intervals (of n) avoid all k faulty ones."""
    return math.comb(n - k, m) / math.comb(n, m) if n - k >= m else 0.0


def detection(e: Economy, k: int) -> float:
    per_verifier = e.coverage * (1.0 - miss_probability(e.intervals, e.sampled, k))
    return 1.0 - (1.0 - per_verifier) ** e.verifiers


def cheat_gain(e: Economy, k: int, external: float = 0.0) -> float:
    """E[cheat] − E[honest] for a cheat that fakes k intervals (negative: cheating does not pay)."""
    return k * e.compute_cost / e.intervals + external - detection(e, k) * (e.reward + e.stake)


def best_cheat(e: Economy, external: float = 0.0) -> tuple[int, float]:
    """The number of faked intervals that pays best, and its gain."""
    return max(((k, cheat_gain(e, k, external)) for k in range(1, e.intervals + 1)), key=lambda kv: kv[1])


def deterring_stake(e: Economy, external: float = 0.0) -> float:
    """The smallest stake for which no cheat pays (0 if the reward at risk already suffices)."""
    need = max((k * e.compute_cost / e.intervals + external) / detection(e, k)
               for k in range(1, e.intervals + 1))
    return max(0.0, need - e.reward)


def inspection_equilibrium(e: Economy, k: int = 1) -> dict[str, float]:
    """The inspection game of one operator and one bounty-paid verifier, for a cheat of k intervals.

    The operator is indifferent when the coverage is c* = (k·C/N) / (h·(R + s)); the verifier
    (paid only by the winner's share w·s) is indifferent when operators cheat at rate
    ρ* = cost of a check / (h·(w·s − gas)), with h its chance to sample a faked interval
    (m/N for k = 1). For k = 1 both costs and chances scale with m/N, so ρ* = C/(w·s − gas)
    whatever the sample rate.
    """
    hit = 1.0 - miss_probability(e.intervals, e.sampled, k)
    check_cost = e.sampled / e.intervals * e.compute_cost * e.verify_cost_ratio
    bounty = e.winner_share * e.stake - e.dispute_gas_eth
    return {
        "deterring_coverage": min(1.0, (k * e.compute_cost / e.intervals) / (hit * (e.reward + e.stake))),
        "verifier_cost_per_check": check_cost,
        "verifier_bounty": bounty,
        "break_even_cheating_rate": check_cost / (hit * bounty) if bounty > 0 else math.inf,
    }


def griefing(e: Economy) -> dict[str, float]:
    """A challenger of an honest result: what it loses and what the defending operator nets."""
    delay_cost = e.reward * e.annual_rate * (2 * e.max_clock_s) / YEAR_S
    return {
        "griefer_loss": e.bond + e.dispute_gas_eth,
        "operator_net": e.winner_share * e.bond - e.dispute_gas_eth - delay_cost,
        "operator_gas": e.dispute_gas_eth,
        "operator_delay_cost": delay_cost,
        "min_bond_for_operator": (e.dispute_gas_eth + delay_cost) / e.winner_share,
    }


def self_challenge(e: Economy) -> float:
    """An operator and its own sybil challenger settling a game against the operator: net change."""
    return -(1 - e.winner_share) * e.stake - 2 * e.dispute_gas_eth


def figures(e: Economy) -> dict[str, Any]:
    k_best, gain = best_cheat(e)
    rates = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0]
    stakes = [0.0, 0.5, 1.0, 2.0, 5.0]
    lone = replace(e, verifiers=1, coverage=0.5)
    return {
        "defaults": {**asdict(e), "sampled_intervals": e.sampled, "dispute_gas_eth": e.dispute_gas_eth},
        "cheating": {
            "best_cheat_intervals": k_best,
            "best_cheat_gain_eth": gain,
            "one_interval_gain_eth": cheat_gain(e, 1),
            "detection_one_interval": detection(e, 1),
            "detection_all_intervals": detection(e, e.intervals),
            "gain_by_sample_rate_and_stake_eth": {
                f"p={p}": {f"s={s}": best_cheat(replace(e, sample_rate=p, stake=s))[1] for s in stakes}
                for p in rates
            },
            "lone_half_coverage_verifier": {
                "best_cheat_gain_eth": best_cheat(lone)[1],
                "deterring_stake_eth": deterring_stake(lone),
            },
            "deterring_stake_eth_for_external_gain": {
                f"X={x}": deterring_stake(e, x) for x in (0.0, 1.0, 10.0, 100.0)
            },
        },
        "verifier": {
            "one_faked_interval": inspection_equilibrium(e),
            "nothing_computed": inspection_equilibrium(e, e.intervals),
            "stake_for_break_even_at_1pct_one_interval": e.compute_cost / (0.01 * e.winner_share)
            + e.dispute_gas_eth / e.winner_share,
        },
        "griefing": {
            "l1_30gwei": griefing(e),
            "l2_0.1gwei": griefing(replace(e, gas_price_gwei=0.1)),
        },
        "self_challenge_net_eth": self_challenge(e),
        "recommended_deploy_params": asdict(DeployParams()),
        "recommended_task": {"min_stake_over_reward": 2, "min_intervals": 10, "sample_rate": 0.1,
                             "challenge_window": "at least a verifier's full replay time, with margin"},
    }


def plot(e: Economy, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[dev]'): no plot")
        return False
    rates = [r / 100 for r in range(1, 101)]
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))

    ax = axes[0][0]
    for stake in (0.0, 1.0, 2.0, 5.0):
        lone = replace(e, stake=stake, verifiers=1, coverage=0.5)
        ax.plot(rates, [best_cheat(replace(lone, sample_rate=p))[1] for p in rates], label=f"stake {stake:g}")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(title="cheater's best expected gain over honesty\n(one verifier checking half the tasks)",
           xlabel="sample rate p", ylabel="ETH (R = 1, C = 0.6)")
    ax.legend()

    ax = axes[0][1]
    ks = list(range(1, e.intervals + 1))
    for p, v in ((0.05, 1), (0.1, 1), (0.1, 3), (0.25, 3)):
        case = replace(e, sample_rate=p, verifiers=v)
        ax.plot(ks, [detection(case, k) for k in ks], marker=".", label=f"p = {p}, {v} verifier(s)")
    ax.set(title=f"detection probability vs faked intervals (N = {e.intervals})", xlabel="faked intervals k",
           ylabel="P(caught)", ylim=(0, 1.02))
    ax.legend()

    ax = axes[1][0]
    stakes = [s / 2 for s in range(1, 161)]
    for k, what in ((1, "one faked interval"), (e.intervals, "nothing computed")):
        for p in (0.1, 0.5):
            case = replace(e, sample_rate=p)
            rates_needed = [inspection_equilibrium(replace(case, stake=st), k)["break_even_cheating_rate"]
                            for st in stakes]
            ax.plot(stakes, [min(1.0, r) for r in rates_needed], label=f"{what}, p = {p}")
    ax.set(title="verifier's break-even cheating rate (paid by slashes only)", xlabel="task stake s (ETH)",
           ylabel="share of results that must be wrong", ylim=(0, 1.02), xscale="log")
    ax.legend()

    ax = axes[1][1]
    bonds = [b / 20 for b in range(0, 41)]
    for gwei in (0.1, 30.0, 100.0):
        ax.plot(bonds, [griefing(replace(e, bond=b, gas_price_gwei=gwei))["operator_net"] for b in bonds],
                label=f"gas {gwei:g} gwei")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(title="honest operator's net when griefed (w = 0.5)", xlabel="challenger bond B (ETH)",
           ylabel="ETH")
    ax.legend()

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main() -> None:
    economy = Economy()
    result = {**figures(economy), **environment()}
    png = OUT / "economics.png"
    result["plot"] = str(png.relative_to(OUT.parent.parent)) if plot(economy, png) else None
    began = time.perf_counter()
    dilemma, series = economics_sim.dilemma_figures()
    dilemma["wall_s"] = round(time.perf_counter() - began, 1)
    png = OUT / "economics_dilemma.png"
    dilemma["plot"] = str(png.relative_to(OUT.parent.parent)) if economics_sim.plot(series, png) else None
    result["dilemma"] = dilemma
    merge("economics", result)
    cheat = result["cheating"]
    break_even = result["verifier"]["one_faked_interval"]["break_even_cheating_rate"]
    print(f"best cheat: {cheat['best_cheat_intervals']} interval(s), "
          f"gain {cheat['best_cheat_gain_eth']:+.3f} ETH; "
          f"verifier break-even cheating rate {break_even:.2f}; "
          f"griefed operator nets {result['griefing']['l1_30gwei']['operator_net']:+.3f} ETH (30 gwei)")
    print_dilemma(dilemma)


def print_dilemma(dilemma: dict[str, Any]) -> None:
    jackpot = dilemma["jackpot_parameters"]
    print(f"verifier populations, {dilemma['parameters']['tasks']} tasks per run, "
          f"{dilemma['wall_s']} s (bench/economics_sim.py); forced errors p = {jackpot['p']}, "
          f"tau = {jackpot['tau']}, J = {jackpot['pot_eth']} ETH from each operator's own escrow, "
          f"committee K = {jackpot['committee_size']} (J/K = {jackpot['catch_share_eth']} per catch), "
          f"coverage c = {jackpot['coverage']}, member bond B = {jackpot['verifier_bond_eth']} ETH:")
    without = dilemma["without_jackpot"]
    for name, goal in dilemma["goals"].items():
        print(f"  economics.dilemma.{name} = {dilemma[name]}  (goal {goal}: "
              f"{'met' if dilemma['goals_met'][name] else 'NOT met'}; no forced errors {without[name]})")
    print("  diligent verifier per assigned task at 0 %: "
          f"{dilemma['diligent_verifier_profit_eth_per_assigned_task_at_0pct']} ETH")
    best = dilemma["best_cheat"]
    sighted = dilemma["best_cheat_if_the_operator_sees_the_verifiers"]
    print(f"  best cheat: {best}; if the operator knew the committee: "
          f"{dilemma['best_cheat_gain_eth_if_the_operator_sees_the_verifiers']} ({sighted})")
    print(f"  strategy gains (ETH per cheat, best over rates and parameters): {dilemma['strategy_gain_eth']}")
    for rate, entry in dilemma["by_cheat_rate"].items():
        print(f"  {rate}: diligent {entry['diligent_verifier_profit_eth']} per task "
              f"({entry['diligent_verifier_profit_eth_per_assigned_task']} per seat), "
              f"lazy {entry['lazy_verifier_profit_eth']}, copycat {entry['copycat_verifier_profit_eth']}; "
              f"diligent mean {entry['population_mean']['diligent']}, "
              f"diligent seat {entry['tasks_with_a_diligent_committee_member_share']}; honest operator "
              f"{entry['honest_operator_profit_eth_per_task']} ETH/task; "
              f"strategy gains {entry.get('strategy_gain_eth')}; informed by look-back "
              f"{entry.get('informed_gain_eth_by_memory')}; own members "
              f"{entry.get('sybil_members_gain_eth_by_members')}")
    print(f"  jackpot_escrow_eth every {dilemma['jackpot_escrow_sampled_every_tasks']} tasks at 0 %: "
          f"{[round(f, 1) for f in dilemma['jackpot_escrow_eth']]}; "
          f"end {dilemma['jackpot_escrow_eth_end']:.1f}")
    print(f"  at 0 %: {dilemma['forced_errors']} forced errors, {dilemma['forced_errors_caught']} caught, "
          f"{dilemma['catches']} catches; {dilemma['jackpot_at_0pct']}; reservations: "
          f"{dilemma['escrow_reserved']}")
    print(f"  honest operator's profit per task: {dilemma['honest_operator_profit_eth_per_task']}")
    print(f"  committee economics: {jackpot['committee_economics']}")
    print("  informed, catches public at once (10 %): "
          f"{dilemma['informed_gain_eth_if_catches_were_public_at_once']}")
    for case, values in dilemma["variants"].items():
        print(f"  variant {case}: {values}")


if __name__ == "__main__":
    main()
