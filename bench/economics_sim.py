"""Verifier populations under Tribunal's dispute rules: an agent-based simulation (issue 14, item 4).

    python -m bench.economics      # runs this too: results.json economics.dilemma*, out/economics_dilemma.png

`bench/economics.py` computes expected payoffs with the verifiers held fixed. Here the verifiers
choose: three kinds enter and leave a market of tasks by the profit they made, while operators
cheat at a given rate, and the dispute rules are issue 14's (`contracts/src/DisputeGame.sol`: per-game
collateral, a FIFO queue of games, moot games closed with their bond back):

- A task pays R and costs its operator C. A cheat fakes the whole run (saves C); a spot check of m
  of N intervals therefore always sees it. Cheaters keep only the task's minStake s bonded (free
  stake would only fund more games against them); honest operators keep `honest_free_stake_eth`.
- Diligent verifiers spot-check every task (m/N·C); on a wrong result each replays the run in full
  (C: `open` needs the challenger's trace root) and opens a game. Lazy verifiers never check and
  never challenge. Copycats never check; they open a game, copying the root, once someone else has
  opened one on the result. Every verifier carries the capital cost of the bond it keeps staked.
- Games (all opened within the challenge window, before any ends): the first game holds the task
  stake; a later one is funded from the operator's free stake, else queued (FIFO). Every game that
  runs pays its winner w·s from its own collateral (the rest burned); a challenger that loses pays
  w·B to the operator (the rest burned). A queued game that cannot be funded once the result is
  voided is closed moot, its bond returned: its opener paid only the open's gas. A copycat wins a
  game only if a diligent verifier's game on the result has run before or beside it (it copies the
  public reveals); otherwise it cannot answer and times out.
- Gas: `open_gas` per open, `close_gas` for the transaction that ends a game (paid by its winner),
  `game_gas_per_side` (docs/economics.md's g) for each party that plays a game; a party that
  goes silent pays no move.
- Every `window` tasks each kind's per-capita profit over the window decides: above the entry cost,
  one verifier enters; below zero, the worst one leaves; a kind with no member is tried by one
  entrant with probability `explore_prob`.

Cheat strategies (`strategy`): "plain"; "second_account" (the operator's own account opens the
first game; at the end of the window the operator, seeing the queue, either throws that game, so
its account takes w·s and the games behind it are moot, or wins it, whichever pays the coalition
more); "collusion" (a challenger opens first and goes silent: the operator wins that game);
"only_without_diligent" (cheat only while no diligent verifier is in the market: the model lets an
operator see the population, an upper bound on what it knows).

The forced-error jackpot (issue 14 item 3) is NOT in the contracts. `forced_error_prob > 0` runs a
Truebit-style PROPOSAL instead: a share of every paid reward funds a jackpot; an honest result is
made wrong on purpose with that probability; every challenger that catches it (opens with the
right root) shares `jackpot_payout_fraction` of the fund; the operator is not slashed, and its own
second account claims a share too (`operator_sybil_claims`).

Money is integer wei in one ledger: every transfer debits one account and credits another, and the
sinks (burn, gas, off-chain costs, the jackpot fund) are accounts, so the ledger always sums to 0.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from tribunal.chain.deploy import DeployParams

WEI = 10**18
GWEI = 10**9

# The ledger's fixed accounts; verifiers get the indices from FIXED on.
SUBMITTER, HONEST, HONEST_SYBIL, CHEATER, SYBIL, COLLUDER, BURN, GAS, OFFCHAIN, FUND = range(10)
FIXED = 10
ACCOUNT_NAMES = ("submitter", "honest_operators", "honest_operators_second_accounts", "cheaters",
                 "cheaters_second_accounts", "colluders", "burn", "gas", "offchain_costs", "jackpot_fund")
COALITION = (CHEATER, SYBIL, COLLUDER)

DILIGENT, LAZY, COPYCAT = "diligent", "lazy", "copycat"
KINDS = (DILIGENT, LAZY, COPYCAT)
STRATEGIES = ("plain", "second_account", "collusion", "only_without_diligent")
CHEAT_RATES = (0.0, 0.01, 0.02, 0.05, 0.10)

# The task stake's state (the spec's Available / Held(gameId) / Gone).
AVAILABLE, HELD, GONE = 0, 1, 2


def to_wei(eth: float) -> int:
    return int(Decimal(repr(eth)) * WEI)


def gas_wei(gas: int, gwei: float) -> int:
    return int(gas * Decimal(repr(gwei)) * GWEI)


@dataclass(frozen=True)
class SimParams:
    tasks: int = 20_000
    seed: int = 14
    cheat_rate: float = 0.0
    strategy: str = "plain"
    reward_eth: float = 1.0
    compute_cost_eth: float = 0.6
    """C: the honest operator's cost; a cheat saves it. A full replay costs a verifier C·verify_cost_ratio."""
    min_stake_eth: float = 2.0
    bond_eth: float = DeployParams().challenger_bond / WEI
    slash_winner_bps: int = DeployParams().slash_winner_bps
    intervals: int = 20
    sample_rate: float = 0.1
    verify_cost_ratio: float = 1.0
    gas_price_gwei: float = 30.0
    game_gas_per_side: int = 2_500_000
    """docs/economics.md's g: one party's moves in a long game (43 rounds)."""
    open_gas: int = 385_000
    """`open` with intrinsic gas (contracts/GAS-dispute.md)."""
    close_gas: int = 86_000
    """The transaction that ends a game (claimTimeout + resolution, contracts/GAS-dispute.md)."""
    honest_free_stake_eth: float = 2.0
    """Free stake an honest operator keeps beyond the task's lock (cheaters keep none). It funds
    games on a correct result, which none of the modelled kinds opens: it does not move the figures."""
    annual_rate: float = 0.10
    tasks_per_day: float = 100.0
    """Market throughput: a verifier's bond is tied up for 1/tasks_per_day days per task."""
    entry_cost_eth: float = 0.01
    """Staking and setting up a verifier (transactions, time); paid once per entry."""
    window: int = 500
    explore_prob: float = 0.25
    max_population: int = 30
    initial_diligent: int = 3
    initial_lazy: int = 3
    initial_copycat: int = 3
    sybil_first_prob: float = 1.0
    """The operator's own account can open in the block of the submission: it is first."""
    hidden_roots: bool = False
    """On chain `open` publishes the challenger's root, so copycats can copy it."""
    forced_error_prob: float = 0.0
    """> 0 only for the forced-error PROPOSAL (not on chain)."""
    jackpot_fee_share: float = 0.0
    jackpot_payout_fraction: float = 0.5
    operator_sybil_claims: bool = True

    @property
    def sampled(self) -> int:
        return min(self.intervals, max(1, math.ceil(self.sample_rate * self.intervals)))


@dataclass(frozen=True)
class Money:
    """The parameters in wei."""

    reward: int
    compute: int
    stake: int
    bond: int
    winner_stake: int
    winner_bond: int
    spot: int
    replay: int
    game_gas: int
    open_gas: int
    close_gas: int
    capital: int
    entry: int
    honest_free: int
    fee: int
    payout_bps: int

    @classmethod
    def of(cls, p: SimParams) -> Money:
        compute = to_wei(p.compute_cost_eth)
        stake, bond = to_wei(p.min_stake_eth), to_wei(p.bond_eth)
        ratio = Decimal(repr(p.verify_cost_ratio))
        reward = to_wei(p.reward_eth)
        return cls(
            reward=reward,
            compute=compute,
            stake=stake,
            bond=bond,
            winner_stake=stake * p.slash_winner_bps // 10_000,
            winner_bond=bond * p.slash_winner_bps // 10_000,
            spot=int(compute * p.sampled * ratio / p.intervals),
            replay=int(compute * ratio),
            game_gas=gas_wei(p.game_gas_per_side, p.gas_price_gwei),
            open_gas=gas_wei(p.open_gas, p.gas_price_gwei),
            close_gas=gas_wei(p.close_gas, p.gas_price_gwei),
            capital=int(bond * Decimal(repr(p.annual_rate)) / (365 * Decimal(repr(p.tasks_per_day)))),
            entry=to_wei(p.entry_cost_eth),
            honest_free=to_wei(p.honest_free_stake_eth),
            fee=int(reward * Decimal(repr(p.jackpot_fee_share))),
            payout_bps=round(p.jackpot_payout_fraction * 10_000),
        )


Transfer = tuple[int, int, int]  # (from, to, wei)
Opener = tuple[int, str]  # (challenger's account, role: diligent | copycat | sybil | colluder)


@dataclass
class Settlement:
    """What the games on one result did: the transfers, and each game's fate."""

    transfers: list[Transfer]
    voided: bool
    ran: list[tuple[int, str, bool]] = field(default_factory=list)
    """(challenger, role, challenger won), in the order the games ended."""
    moot: list[Opener] = field(default_factory=list)


def settle(openers: Sequence[Opener], *, operator: int, result_wrong: bool, free_stake: int,
           throw_sybil: bool, money: Money) -> Settlement:
    """Run the games opened (in this order) on one result under the spec's rules.

    All opens land before any game ends (a game lasts at least the challenge window). Games end in
    the order they were funded. `throw_sybil`: the operator loses its own account's game on purpose.
    """
    out = Settlement([], False)

    def pay(src: int, dst: int, amount: int) -> None:
        if amount:
            out.transfers.append((src, dst, amount))

    state = AVAILABLE
    free = free_stake
    data_public = False  # a diligent verifier's game has run (its reveals can be copied)
    queue: deque[Opener] = deque()
    active: deque[tuple[int, str, bool]] = deque()  # (challenger, role, holds the task stake)

    def fund(game: Opener) -> bool:
        nonlocal state, free, data_public
        if state == AVAILABLE:
            state = HELD
            active.append((*game, True))
        elif free >= money.stake:
            free -= money.stake
            active.append((*game, False))
        else:
            return False
        data_public = data_public or game[1] == DILIGENT
        return True

    for game in openers:
        pay(game[0], GAS, money.open_gas)
        if queue or not fund(game):
            queue.append(game)

    while active:
        challenger, role, task_stake = active.popleft()
        if role == DILIGENT:
            won, challenger_plays, operator_plays = result_wrong, True, True
        elif role == COPYCAT:
            won = result_wrong and data_public
            challenger_plays = operator_plays = won
        elif role == "sybil":
            won, challenger_plays, operator_plays = throw_sybil, False, False
        else:  # a colluder goes silent
            won, challenger_plays, operator_plays = False, False, False
        if challenger_plays:
            pay(challenger, GAS, money.game_gas)
        if operator_plays:
            pay(operator, GAS, money.game_gas)
        if won:
            pay(challenger, GAS, money.close_gas)
            pay(operator, challenger, money.winner_stake)
            pay(operator, BURN, money.stake - money.winner_stake)
            if task_stake:
                state = GONE
            out.voided = True
            if state == AVAILABLE:  # the market releases the task stake at the void
                state = GONE
        else:
            pay(operator, GAS, money.close_gas)
            pay(challenger, operator, money.winner_bond)
            pay(challenger, BURN, money.bond - money.winner_bond)
            if task_stake:
                state = GONE if out.voided else AVAILABLE
            else:
                free += money.stake
        out.ran.append((challenger, role, won))
        while queue:  # advanceQueue
            if fund(queue[0]):
                queue.popleft()
            elif out.voided:
                out.moot.append(queue.popleft())
            else:
                break
    return out


def net(transfers: Iterable[Transfer], accounts: Iterable[int]) -> int:
    """The accounts' net change under these transfers (transfers among them cancel)."""
    members = set(accounts)
    return sum(amount * ((dst in members) - (src in members)) for src, dst, amount in transfers)


@dataclass
class Agent:
    kind: str
    joined: int
    charged_until: int
    left: int | None = None


@dataclass
class Run:
    """One simulation's outcome (amounts in wei)."""

    params: SimParams
    ledger: list[int]
    agents: list[Agent]
    populations: list[dict[str, int]]
    fund: list[int]
    cheats: int = 0
    caught: int = 0
    cheat_gain: int = 0
    forced_errors: int = 0
    forced_caught: int = 0
    tasks_with_diligent: int = 0
    games: dict[str, int] = field(default_factory=dict)

    def kind_profit(self, kind: str) -> float | None:
        """ETH per verifier per task it was in the market (entry costs included); None if none ever was."""
        members = [i for i, a in enumerate(self.agents) if a.kind == kind]
        present = sum(self.present(self.agents[i]) for i in members)
        if not present:
            return None
        return sum(self.ledger[FIXED + i] for i in members) / present / WEI

    def present(self, agent: Agent) -> int:
        return (self.params.tasks if agent.left is None else agent.left) - agent.joined

    def summary(self) -> dict[str, Any]:
        counts = {k: [pop[k] for pop in self.populations] for k in KINDS}
        return {
            "verifier_profit_eth_per_task": {k: rounded(self.kind_profit(k)) for k in KINDS},
            "population_end": dict(self.populations[-1]),
            "population_mean": {k: round(sum(v) / len(v), 3) for k, v in counts.items()},
            "tasks_with_a_diligent_verifier_share": round(self.tasks_with_diligent / self.params.tasks, 4),
            "cheats": self.cheats,
            "cheats_caught": self.caught,
            "cheat_gain_eth_per_cheat": rounded(self.cheat_gain / self.cheats / WEI) if self.cheats else None,
            "forced_errors": self.forced_errors,
            "forced_errors_caught": self.forced_caught,
            "games": dict(sorted(self.games.items())),
            "burned_eth": self.ledger[BURN] / WEI,
            "jackpot_fund_eth_end": self.fund[-1] / WEI if self.params.forced_error_prob > 0 else None,
        }


def rounded(value: float | None, digits: int = 9) -> float | None:
    return None if value is None else round(value, digits)


class Simulation:
    def __init__(self, params: SimParams) -> None:
        if params.strategy not in STRATEGIES:
            raise ValueError(f"strategy {params.strategy!r} is not one of {STRATEGIES}")
        self.p = params
        self.m = Money.of(params)
        self.rng = np.random.default_rng(params.seed)
        self.ledger: list[int] = [0] * FIXED
        self.agents: list[Agent | None] = [None] * FIXED
        self.members: dict[str, list[int]] = {k: [] for k in KINDS}
        self.per_task = {DILIGENT: self.m.spot + self.m.capital, LAZY: self.m.capital,
                         COPYCAT: self.m.capital}
        self.t = 0
        self.run = Run(params, self.ledger, [], [], [])
        for kind, n in ((DILIGENT, params.initial_diligent), (LAZY, params.initial_lazy),
                        (COPYCAT, params.initial_copycat)):
            for _ in range(n):
                self.join(kind)
        self.window_start = {a: self.ledger[a] for ms in self.members.values() for a in ms}

    def pay(self, src: int, dst: int, amount: int) -> None:
        self.ledger[src] -= amount
        self.ledger[dst] += amount

    def apply(self, transfers: Iterable[Transfer]) -> None:
        for src, dst, amount in transfers:
            self.pay(src, dst, amount)

    def count(self, what: str, n: int = 1) -> None:
        self.run.games[what] = self.run.games.get(what, 0) + n

    # ------------------------------------------------------------------ verifiers enter and leave

    def join(self, kind: str) -> None:
        index = len(self.ledger)
        self.ledger.append(0)
        self.agents.append(Agent(kind, self.t, self.t))
        self.members[kind].append(index)
        self.pay(index, OFFCHAIN, self.m.entry)

    def charge(self, index: int, upto: int) -> None:
        """The per-task costs (spot checks, the bond's capital) since the agent was last charged."""
        agent = self.agents[index]
        assert agent is not None
        self.pay(index, OFFCHAIN, self.per_task[agent.kind] * (upto - agent.charged_until))
        agent.charged_until = upto

    def leave(self, index: int, at: int) -> None:
        agent = self.agents[index]
        assert agent is not None
        self.charge(index, at)
        agent.left = at
        self.members[agent.kind].remove(index)

    def end_window(self, at: int) -> None:
        for ms in self.members.values():
            for a in ms:
                self.charge(a, at)
        draws = self.rng.random(len(KINDS))
        for kind, draw in zip(KINDS, draws, strict=True):
            ms = self.members[kind]
            if not ms:
                if draw < self.p.explore_prob:
                    self.join(kind)
                continue
            profits = [self.ledger[a] - self.window_start[a] for a in ms]
            per_capita = sum(profits) / len(ms)
            if per_capita > self.m.entry and len(ms) < self.p.max_population:
                self.join(kind)
            elif per_capita < 0:
                worst = min(range(len(ms)), key=lambda i: (profits[i], i))
                self.leave(ms[worst], at)
        self.window_start = {a: self.ledger[a] for ms in self.members.values() for a in ms}
        self.record()

    def record(self) -> None:
        self.run.populations.append({k: len(v) for k, v in self.members.items()})
        self.run.fund.append(self.ledger[FUND])

    # ------------------------------------------------------------------ tasks

    def paid(self, operator: int) -> None:
        """The result finalises: the operator is paid, less the jackpot fee (proposal only)."""
        self.pay(SUBMITTER, operator, self.m.reward - self.m.fee)
        self.pay(SUBMITTER, FUND, self.m.fee)

    def ordered(self, kind: str) -> list[int]:
        ms = self.members[kind]
        return [ms[i] for i in self.rng.permutation(len(ms))] if len(ms) > 1 else list(ms)

    def cheat(self) -> None:
        p, m = self.p, self.m
        before = sum(self.ledger[a] for a in COALITION)
        diligent = self.ordered(DILIGENT)
        copycats = [] if p.hidden_roots else self.ordered(COPYCAT)
        for d in diligent:  # the spot check saw it; `open` needs the trace root: a full replay
            self.pay(d, OFFCHAIN, m.replay)
        first: list[Opener] = []
        if p.strategy == "collusion":
            first = [(COLLUDER, "colluder")]
        elif p.strategy == "second_account":
            first = [(SYBIL, "sybil")]
        openers: list[Opener] = [(d, DILIGENT) for d in diligent]
        if first and (p.strategy == "collusion" or not openers or self.rng.random() < p.sybil_first_prob):
            # copycats react to the first open at once; diligent verifiers open after their checks
            openers = first + [(c, COPYCAT) for c in copycats] + openers
        elif first:
            openers = openers[:1] + [(c, COPYCAT) for c in copycats] + first + openers[1:]
        elif openers:
            openers = openers[:1] + [(c, COPYCAT) for c in copycats] + openers[1:]
        settled = settle(openers, operator=CHEATER, result_wrong=True, free_stake=0, throw_sybil=False,
                         money=m)
        if p.strategy == "second_account":  # the operator sees the queue and picks what pays it more
            thrown = settle(openers, operator=CHEATER, result_wrong=True, free_stake=0, throw_sybil=True,
                            money=m)

            def value(s: Settlement) -> int:
                return net(s.transfers, COALITION) + (0 if s.voided else m.reward - m.fee)

            if value(thrown) > value(settled):
                settled = thrown
        self.apply(settled.transfers)
        if not settled.voided:
            self.paid(CHEATER)
        self.run.cheats += 1
        self.run.caught += settled.voided
        for _, role, won in settled.ran:
            self.count(f"{role}_{'won' if won else 'lost'}")
        for _, role in settled.moot:
            self.count(f"{role}_moot")
        after = sum(self.ledger[a] for a in COALITION)
        self.run.cheat_gain += after - before - (m.reward - m.fee - m.compute)

    def forced_error(self) -> None:
        """PROPOSAL: the honest operator's result is wrong on purpose; its catchers share the jackpot."""
        p, m = self.p, self.m
        self.pay(HONEST, OFFCHAIN, m.compute)
        catchers = []
        if p.operator_sybil_claims:
            catchers.append(HONEST_SYBIL)
        for d in self.ordered(DILIGENT):
            self.pay(d, OFFCHAIN, m.replay)
            catchers.append(d)
        if catchers and not p.hidden_roots:
            catchers += self.ordered(COPYCAT)
        for c in catchers:  # open, then close when the operator reveals the forced error
            self.pay(c, GAS, m.open_gas + m.close_gas)
        self.run.forced_errors += 1
        if catchers:
            self.run.forced_caught += 1
            share = self.ledger[FUND] * m.payout_bps // 10_000 // len(catchers)
            for c in catchers:
                self.pay(FUND, c, share)
            self.count("jackpot_claims", len(catchers))
        self.paid(HONEST)

    def simulate(self) -> Run:
        p, m = self.p, self.m
        cheat_draws = self.rng.random(p.tasks)
        forced_draws = self.rng.random(p.tasks)
        self.record()
        for t in range(p.tasks):
            self.t = t
            watched = bool(self.members[DILIGENT])
            self.run.tasks_with_diligent += watched
            if cheat_draws[t] < p.cheat_rate and (p.strategy != "only_without_diligent" or not watched):
                self.cheat()
            elif forced_draws[t] < p.forced_error_prob:
                self.forced_error()
            else:
                self.pay(HONEST, OFFCHAIN, m.compute)
                self.paid(HONEST)
            if (t + 1) % p.window == 0:
                self.end_window(t + 1)
        for ms in self.members.values():
            for a in list(ms):
                self.charge(a, p.tasks)
        self.run.agents = [a for a in self.agents[FIXED:] if a is not None]
        return self.run


def simulate(params: SimParams) -> Run:
    return Simulation(params).simulate()


# ---------------------------------------------------------------------- figures for results.json

SAMPLE_EVERY = 5_000
"""Tasks between two points of a population or fund series in results.json."""

GOALS = {
    "diligent_verifier_profit_eth_at_0pct": "> 0",
    "lazy_verifier_profit_eth": "< 0",
    "copycat_verifier_profit_eth": "< 0",
    "best_cheat_gain_eth": "< 0",
}
BLIND = ("plain", "second_account", "collusion")
"""The strategies that need no knowledge of who verifies."""

ON_CHAIN = SimParams(tasks=100_000)
PROPOSAL = replace(ON_CHAIN, forced_error_prob=0.02, jackpot_fee_share=0.1, jackpot_payout_fraction=0.5,
                   hidden_roots=True, operator_sybil_claims=True)
"""The forced-error jackpot as proposed here (not on chain): 2 % forced errors, 10 % of each paid
reward into the fund, half the fund to the catchers of a forced error; roots are committed hidden
during the window (commit-reveal), so copycats cannot copy them."""


def pct(rate: float) -> str:
    return f"{round(rate * 100)}pct"


def meets(value: float | None, goal: str) -> bool | None:
    if value is None:
        return None
    sign, bound = goal.split()
    return value > float(bound) if sign == ">" else value < float(bound)


def grid(base: SimParams) -> dict[tuple[float, str], Run]:
    """Every cheat rate with every strategy (at 0 % only "plain": nobody cheats)."""
    return {(rate, strategy): simulate(replace(base, cheat_rate=rate, strategy=strategy))
            for rate in CHEAT_RATES for strategy in (STRATEGIES if rate > 0 else ("plain",))}


def sampled(run: Run, values: Sequence[int] | Sequence[float]) -> list[Any]:
    step = max(1, SAMPLE_EVERY // run.params.window)
    return list(values[::step])


def block(runs: dict[tuple[float, str], Run], base: SimParams) -> dict[str, Any]:
    """The figures of one mechanism: per cheat rate and strategy, then the headline figures."""
    by_rate: dict[str, Any] = {}
    gains: dict[tuple[float, str], float] = {}
    for rate in CHEAT_RATES:
        plain = runs[rate, "plain"].summary()
        entry: dict[str, Any] = {
            **{f"{k}_verifier_profit_eth": plain["verifier_profit_eth_per_task"][k] for k in KINDS},
            "population_end": plain["population_end"],
            "population_mean": plain["population_mean"],
            "tasks_with_a_diligent_verifier_share": plain["tasks_with_a_diligent_verifier_share"],
        }
        if rate > 0:
            strategy_gain = {s: runs[rate, s].summary()["cheat_gain_eth_per_cheat"] for s in STRATEGIES}
            gains.update({(rate, s): g for s, g in strategy_gain.items() if g is not None})
            best = max((s for s in STRATEGIES if strategy_gain[s] is not None),
                       key=lambda s: strategy_gain[s] or 0.0)
            entry |= {"strategy_gain_eth": strategy_gain, "best_cheat_gain_eth_here": strategy_gain[best],
                      "best_strategy": best}
        entry["runs"] = {s: runs[rate, s].summary() for s in STRATEGIES if (rate, s) in runs}
        by_rate[pct(rate)] = entry

    def worst(kind: str) -> float | None:
        values = [v for r in runs.values() if (v := r.kind_profit(kind)) is not None]
        return rounded(max(values)) if values else None

    best_key = max(gains, key=lambda k: gains[k])
    blind = {k: g for k, g in gains.items() if k[1] in BLIND}
    blind_key = max(blind, key=lambda k: blind[k])
    zero = runs[0.0, "plain"]
    headline = {
        "diligent_verifier_profit_eth_at_0pct": rounded(zero.kind_profit(DILIGENT)),
        "lazy_verifier_profit_eth": worst(LAZY),
        "copycat_verifier_profit_eth": worst(COPYCAT),
        "best_cheat_gain_eth": gains[best_key],
    }
    return {
        **headline,
        "best_cheat": {"strategy": best_key[1], "cheat_rate_pct": round(best_key[0] * 100)},
        "best_cheat_gain_eth_without_seeing_the_verifiers": blind[blind_key],
        "best_cheat_without_seeing_the_verifiers": {"strategy": blind_key[1],
                                                    "cheat_rate_pct": round(blind_key[0] * 100)},
        "strategy_gain_eth": {s: max((g for (_, s2), g in gains.items() if s2 == s), default=None)
                              for s in STRATEGIES},
        "plain_cheat_pays_below_watched_share": round(base.compute_cost_eth
                                                      / (base.reward_eth + base.min_stake_eth), 4),
        "by_cheat_rate": by_rate,
        "population_at_0pct": {k: sampled(zero, [pop[k] for pop in zero.populations]) for k in KINDS},
        "population_sampled_every_tasks": SAMPLE_EVERY,
        "goals_met": {name: meets(headline[name], goal) for name, goal in GOALS.items()},
    }


def derived(p: SimParams) -> dict[str, Any]:
    m = Money.of(p)
    return {
        **asdict(p),
        "sampled_intervals": p.sampled,
        "spot_check_eth": m.spot / WEI,
        "full_replay_eth": m.replay / WEI,
        "game_gas_per_side_eth": m.game_gas / WEI,
        "open_gas_eth": m.open_gas / WEI,
        "close_gas_eth": m.close_gas / WEI,
        "bond_capital_eth_per_task": m.capital / WEI,
        "winner_share_of_stake_eth": m.winner_stake / WEI,
    }


def dilemma_figures() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(economics.dilemma, economics.dilemma_forced_errors_proposal, the series for the plot)."""
    on_chain = grid(ON_CHAIN)
    dilemma = {
        "on_chain": True,
        "model": "agent-based: bench/economics_sim.py; docs/economics.md 'Verifier populations (simulation)'",
        "units": "verifier profit: ETH per verifier per task it is in the market (entry cost included; "
                 "lazy and copycat: the most any run gave); cheat gain: ETH per cheated task over honest "
                 "work, at the populations the run produced (best: over strategies and cheat rates)",
        **block(on_chain, ON_CHAIN),
        "goals": dict(GOALS),
        "jackpot_fund_eth": None,
        "jackpot_note": "the contracts have no forced errors and no jackpot (issue 14 item 3 is not "
                        "implemented): see dilemma_forced_errors_proposal for a model of one",
        "sensitivity_explore_prob": {
            f"explore={e}": {
                s: simulate(replace(ON_CHAIN, cheat_rate=0.02, strategy=s, explore_prob=e)).summary()[
                    "cheat_gain_eth_per_cheat"] for s in BLIND}
            for e in (0.05, 0.25, 1.0)},
        "parameters": derived(ON_CHAIN),
    }

    proposed = grid(PROPOSAL)
    zero = proposed[0.0, "plain"]
    head = block(proposed, PROPOSAL)
    would = head.pop("goals_met")
    sweep: dict[str, Any] = {}
    for claims in (True, False):
        for fee in (0.05, 0.1, 0.2, 0.3):
            run = simulate(replace(PROPOSAL, jackpot_fee_share=fee, operator_sybil_claims=claims))
            summary = run.summary()
            sweep[f"fee={fee},operator_claims={claims}"] = {
                "diligent_verifier_profit_eth_at_0pct": summary["verifier_profit_eth_per_task"][DILIGENT],
                "diligent_population_mean": summary["population_mean"][DILIGENT],
                "jackpot_to_operators_second_accounts_eth": run.ledger[HONEST_SYBIL] / WEI,
            }
    naive = simulate(replace(PROPOSAL, cheat_rate=0.02, hidden_roots=False)).summary()
    proposal = {
        "on_chain": False,
        "what": "a PROPOSAL, not the deployed mechanism: Truebit-style forced errors paying a jackpot "
                "funded by a share of rewards (issue 14 item 3, not implemented in contracts/)",
        **head,
        "would_meet_goals": would,
        "jackpot_fund_eth": sampled(zero, [f / WEI for f in zero.fund]),
        "jackpot_fund_sampled_every_tasks": SAMPLE_EVERY,
        "jackpot_fund_eth_end_by_cheat_rate": {pct(r): proposed[r, "plain"].fund[-1] / WEI
                                               for r in CHEAT_RATES},
        "jackpot_to_operators_second_accounts_eth_at_0pct": zero.ledger[HONEST_SYBIL] / WEI,
        "fee_sweep_at_0pct": sweep,
        "copyable_roots_at_2pct": {f"{k}_verifier_profit_eth": naive["verifier_profit_eth_per_task"][k]
                                   for k in KINDS},
        "parameters": derived(PROPOSAL),
    }
    series = {
        "on_chain": on_chain,
        "proposal": proposed,
    }
    return dilemma, proposal, series


def plot(series: dict[str, dict[tuple[float, str], Run]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[dev]'): no dilemma plot")
        return False
    on_chain, proposal = series["on_chain"], series["proposal"]
    rates = [r * 100 for r in CHEAT_RATES]
    colours = {DILIGENT: "tab:green", LAZY: "tab:grey", COPYCAT: "tab:orange",
               "plain": "tab:red", "second_account": "tab:purple", "collusion": "tab:brown",
               "only_without_diligent": "tab:blue"}
    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))

    ax = axes[0][0]
    highest = 0.0
    for kind in KINDS:
        for runs, style, marker, where in ((on_chain, "-", "o", "on chain"),
                                           (proposal, "--", "x", "forced-error proposal")):
            profits = [runs[r, "plain"].kind_profit(kind) or 0.0 for r in CHEAT_RATES]
            highest = max(highest, *profits)
            ax.plot(rates, profits, marker=marker, linestyle=style, color=colours[kind],
                    label=f"{kind} ({where})")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_yscale("symlog", linthresh=1e-5)
    ax.set_ylim(top=max(1e-5, 3 * highest))
    ax.set_yticks([0.0] + [sign * 10.0**e for sign in (-1, 1) for e in range(-5, 0)
                           if sign < 0 or 10.0**e < 3 * highest])
    ax.set(title="verifier profit per task in the market (plain cheats)", xlabel="operators cheating (%)",
           ylabel="ETH per verifier per task (symlog)")
    ax.legend(fontsize=8)

    ax = axes[0][1]
    for rate in (0.0, 0.02, 0.10):
        for runs, style in ((on_chain, "-"), (proposal, "--")):
            run = runs[rate, "plain"]
            counts = np.array([pop[DILIGENT] for pop in run.populations[1:]], dtype=float)
            span = max(1, SAMPLE_EVERY // run.params.window)
            smooth = np.convolve(counts, np.ones(span) / span, mode="valid")
            ax.plot((np.arange(len(smooth)) + span) * run.params.window, smooth, linestyle=style, linewidth=1,
                    label=f"{pct(rate)} ({'on chain' if runs is on_chain else 'proposal'})")
    ax.set(title=f"diligent verifiers in the market (mean over {SAMPLE_EVERY} tasks)", xlabel="task",
           ylabel="diligent verifiers")
    ax.legend(fontsize=7, ncol=2)

    ax = axes[1][0]
    cheating = [r for r in CHEAT_RATES if r > 0]
    for strategy in STRATEGIES:
        for runs, style, where in ((on_chain, "-", "on chain"), (proposal, "--", "proposal")):
            gains = [runs[r, strategy].summary()["cheat_gain_eth_per_cheat"] for r in cheating]
            ax.plot([r * 100 for r in cheating], gains, linestyle=style, marker=".", color=colours[strategy],
                    label=f"{strategy} ({where})")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(title="cheater's gain over honest work, per cheated task", xlabel="operators cheating (%)",
           ylabel="ETH (R = 1, C = 0.6, s = 2)")
    ax.legend(fontsize=7, ncol=2)

    ax = axes[1][1]
    for rate in (0.0, 0.02, 0.10):
        run = proposal[rate, "plain"]
        ax.plot([i * run.params.window for i in range(len(run.fund))], [f / WEI for f in run.fund],
                linewidth=0.8, label=f"{pct(rate)} cheating")
    ax.set(title="forced-error PROPOSAL (not on chain): jackpot fund\n(on chain there is no fund)",
           xlabel="task", ylabel="ETH")
    ax.legend(fontsize=8)

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
