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
- Games (all opened before any ends; with forced errors, after the draw is revealed): the first
  game holds the task stake; a later one is funded from the operator's free stake, else queued
  (FIFO). Every game that runs pays its winner w·s from its own collateral (the rest burned); a
  challenger that loses pays w·B to the operator (the rest burned). A queued game that cannot be
  funded once the result is voided is closed moot, its bond returned: its opener paid only the
  open's gas. A copycat wins a game only if a diligent verifier's game on the result has run
  before or beside it (it copies the public reveals); otherwise it cannot answer and times out.
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
"informed" and "only_without_diligent" (below).

Forced errors and the jackpot (issue 14 item 3; docs/forced-errors.md, `contracts/src/Jackpot.sol`),
on when `forced_error_ppm > 0`:

- Every result draws "forced" with probability p = forced_error_ppm / 10^6; the forced leaf L is
  uniform over the N - 1 interior leaves. The operator pays commitDraw and revealDraw (or
  revealForcedError) gas on every result. An honest forced result is wrong in h_L only; the
  honest root replaces it at the reveal and it finalises; the operator is not slashed.
- Each operator's own escrow (the honest operators share one ledger account, HONEST_ESCROW, and
  the cheaters another: pots are settled within their task, so pooling them moves no money
  between operators). Each claimed task reserves one pot J (`pot_eth`, deploy: pot_wei) of its
  operator's escrow, so an operator needs (its tasks in flight)·J; the simulation settles one task
  at a time, so its ledger escrow holds one reservation: an operator tops it up to J before a claim
  when it holds less, and the reservations of its other tasks in flight are charged as the capital
  they lock, J at `annual_rate` for `reservation_days` per task (`escrow_capital`). jackpot_bps (τ)
  of every reward it is paid goes into the escrow; at the end of every window it withdraws the
  excess over escrow_keep_pots·J (`withdraw_excess`).
- A forced error moves its task's J from its operator's escrow into its pot; its k ≥ 1 valid
  catchers each get J // (k * 2^(k-1)) (0 above 64 catchers) and the unpaid rest, J − k·share, is
  burned; a pot nobody caught, or whose root fell, returns whole. Pots are settled within their
  task.
- A valid catch needs the catcher's own h_L: a diligent verifier catches when its spot sample holds
  the interval ending at L (probability m/N); one that samples only the interval starting at L sees
  a mismatch, seals, and learns at the reveal that its seal names the wrong state. A verifier that
  sees a mismatch seals (`seal_gas`), reveals a valid catch (`catch_reveal_gas`) and claims
  (`claim_gas`); it replays the run in full only when the draw turns out not forced (a cheat), which
  it learns in the reveal phase, before any game may open. Catches are sealed and no game opens
  before the seal phase ends, so copycats (and lazy verifiers) never catch a forced error.
- Self-catch (`self_catch`, on by default: the rational operator). The operator knows h_L, so
  `self_catch_accounts` accounts of its own seal a catch on each of its forced errors (seal gas on
  every one) and reveal and claim them when an honest catch was revealed (catches are public as
  they are revealed; the catch window lets it wait): beside one honest catcher one account gets
  J/4 back, the honest catcher J/4, and J/2 is burned, so the pot costs it 3J/4 instead of J.
  More accounts cost it more (m accounts beside h honest catchers get back m·J/((h+m)·2^(h+m−1)),
  largest at m = 1): `best_self_catch_accounts` is the operator's choice over m = 0..9. Alone it
  reveals nothing: the uncaught pot returns whole anyway.
- A cheat draws too. A forced cheat cannot show an honest h_L (it computed nothing): it reveals a
  made-up one; no verifier's state matches it, so the pot returns whole to the cheater's escrow
  (voided or not). Only the draw gas differs.

Strategy "informed" cheats only while none of the last `informed_memory` honest forced errors of
the market was caught by an account not its own (catches are public once revealed,
`informed_lag_tasks` after the forced error: what an operator can know without seeing the
verifiers); "only_without_diligent" (cheat only while no diligent verifier is in the market) is the
upper bound of an operator that sees who verifies.

Money is integer wei in one ledger: every transfer debits one account and credits another, and the
sinks (burn, gas, off-chain costs) and the escrows are accounts, so the ledger always sums to 0.
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
(SUBMITTER, HONEST, HONEST_SYBIL, HONEST_ESCROW, CHEATER, SYBIL, COLLUDER, CHEATER_ESCROW, BURN, GAS,
 OFFCHAIN) = range(11)
FIXED = 11
ACCOUNT_NAMES = ("submitter", "honest_operators", "honest_operators_own_accounts", "honest_operators_escrow",
                 "cheaters", "cheaters_second_accounts", "colluders", "cheaters_escrow", "burn", "gas",
                 "offchain_costs")
COALITION = (CHEATER, SYBIL, COLLUDER, CHEATER_ESCROW)
HONEST_SIDE = (HONEST, HONEST_SYBIL, HONEST_ESCROW)
ESCROW = {HONEST: HONEST_ESCROW, CHEATER: CHEATER_ESCROW}

DILIGENT, LAZY, COPYCAT = "diligent", "lazy", "copycat"
KINDS = (DILIGENT, LAZY, COPYCAT)
STRATEGIES = ("plain", "second_account", "collusion", "informed", "only_without_diligent")
REALISTIC = ("plain", "second_account", "collusion", "informed")
"""The strategies an operator can play without seeing who verifies (sealed catches are anonymous)."""
CHEAT_RATES = (0.0, 0.01, 0.02, 0.05, 0.10)

PPM = 1_000_000
BPS = 10_000
MAX_PAID_CATCHERS = 64
"""Jackpot.MAX_PAID_CATCHERS: above this many catchers a share is zero."""

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
    reservation_days: float = 3.5
    """How long a claimed task reserves its pot J of its operator's escrow: from the claim to the
    finalisation (training, half a day, + the challenge window W = 1 day + the audit window's reveal
    and game phases, 2A = 2 days). Every task in flight holds its own J, so J is locked this long per
    task whatever the operator's size: J·annual_rate·reservation_days/365 of capital per task."""
    entry_cost_eth: float = 0.01
    """Staking and setting up a verifier (transactions, time); paid once per entry."""
    window: int = 500
    explore_prob: float = 0.25
    max_population: int = 30
    initial_diligent: int = 3
    initial_lazy: int = 3
    initial_copycat: int = 3
    sybil_first_prob: float = 1.0
    """The operator's own account can open in the block of the submission (with forced errors, of
    the reveal that opens the game phase): it is first."""
    hidden_roots: bool = False
    """On chain `open` publishes the challenger's root, so copycats can copy it."""
    forced_error_ppm: int = 0
    """p, parts per million (deploy: forced_error_ppm); 0: no forced errors, no draws, no jackpot."""
    jackpot_bps: int = 0
    """tau: share of every finalised reward that goes to its operator's own escrow (deploy: jackpot_bps)."""
    pot_eth: float = 0.0
    """J: what a forced error moves from its operator's escrow into its pot, and the least escrow to
    claim (deploy: pot_wei), in the simulation's ETH (R = 1)."""
    self_catch: bool = True
    """The operators' own accounts catch their forced errors when an honest catch was revealed."""
    self_catch_accounts: int = 1
    """How many accounts of its own each operator catches with. With the unpaid rest burned, one is
    its best (`best_self_catch_accounts`); with the rest returned to its escrow it would be many."""
    informed_memory: int = 10
    """Strategy "informed": how many of the market's latest honest forced errors it looks back on."""
    informed_lag_tasks: int = 100
    """Strategy "informed": tasks between a forced error and its catches being public. Catches are
    revealed after the challenge window: one day at the market's 100 tasks a day."""
    withdraw_excess: bool = True
    """At the end of every window each operator withdraws its escrow's excess over escrow_keep_pots·J."""
    escrow_keep_pots: float = 2.0
    """What an operator keeps in its escrow, in pots: a buffer so that a caught pot needs no top-up."""
    seal_gas: int = 50_000
    catch_reveal_gas: int = 60_000
    claim_gas: int = 50_000
    commit_draw_gas: int = 50_000
    """The operator's commitDraw, on every result when p > 0 (estimate)."""
    reveal_draw_gas: int = 40_000
    """revealDraw of a result that is not forced (estimate)."""
    reveal_forced_gas: int = 150_000
    """revealForcedError: the leaf's proof, the new root, the pot opened (estimate)."""

    @property
    def sampled(self) -> int:
        return min(self.intervals, max(1, math.ceil(self.sample_rate * self.intervals)))

    @property
    def forced_error_prob(self) -> float:
        return self.forced_error_ppm / PPM


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
    """tau·R: the share of a finalised reward that goes to its operator's escrow."""
    pot: int
    """J."""
    escrow_capital: int
    """The capital cost of the task's reservation, J for reservation_days (0 without forced errors)."""
    seal: int
    catch_reveal: int
    claim: int
    draw: int
    """The operator's draw transactions on a result that is not forced (0 without forced errors)."""
    draw_forced: int

    @classmethod
    def of(cls, p: SimParams) -> Money:
        compute = to_wei(p.compute_cost_eth)
        stake, bond = to_wei(p.min_stake_eth), to_wei(p.bond_eth)
        ratio = Decimal(repr(p.verify_cost_ratio))
        reward = to_wei(p.reward_eth)
        on = p.forced_error_ppm > 0
        pot = to_wei(p.pot_eth) if on else 0
        per_task = Decimal(repr(p.annual_rate)) / (365 * Decimal(repr(p.tasks_per_day)))
        reserved = Decimal(repr(p.annual_rate)) * Decimal(repr(p.reservation_days)) / 365
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
            capital=int(bond * per_task),
            entry=to_wei(p.entry_cost_eth),
            honest_free=to_wei(p.honest_free_stake_eth),
            fee=reward * p.jackpot_bps // BPS if on else 0,
            pot=pot,
            escrow_capital=int(pot * reserved),
            seal=gas_wei(p.seal_gas, p.gas_price_gwei),
            catch_reveal=gas_wei(p.catch_reveal_gas, p.gas_price_gwei),
            claim=gas_wei(p.claim_gas, p.gas_price_gwei),
            draw=gas_wei(p.commit_draw_gas + p.reveal_draw_gas, p.gas_price_gwei) if on else 0,
            draw_forced=gas_wei(p.commit_draw_gas + p.reveal_forced_gas, p.gas_price_gwei) if on else 0,
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
    escrow: list[int]
    """The honest operators' escrow at the end of each window, before they withdraw the excess."""
    cheats: int = 0
    caught: int = 0
    cheat_gain: int = 0
    """Over the cheated tasks: the coalition's net minus R − C − the same draw's gas − J's capital
    (an honest result of the same draw, before its forced error's payouts)."""
    cheats_declined: int = 0
    """Cheats the operator drew but did not make because it inferred (or saw) a diligent verifier."""
    honest_tasks: int = 0
    forced_errors: int = 0
    """Forced draws on honest results."""
    forced_caught: int = 0
    """Honest forced errors that at least one diligent verifier caught (validly)."""
    forced_cheats: int = 0
    """Forced draws on cheated results (their pots return whole: no one holds the made-up h_L)."""
    self_catches: int = 0
    """Honest forced errors on which the operator's own accounts revealed catches."""
    catches: dict[str, int] = field(default_factory=dict)
    """Valid catches revealed, by catcher: diligent, operator (its own accounts)."""
    jackpot_paid: dict[str, int] = field(default_factory=dict)
    """Wei credited from pots, by catcher."""
    jackpot_burned: dict[str, int] = field(default_factory=dict)
    """Wei burned from caught pots (J − k·share), by operator (honest, cheater)."""
    escrow_deposits: dict[str, int] = field(default_factory=dict)
    """τ of the rewards, by operator (honest, cheater)."""
    escrow_top_ups: dict[str, int] = field(default_factory=dict)
    """What operators sent to their escrows to hold J before a claim (the first J included)."""
    escrow_withdrawn: dict[str, int] = field(default_factory=dict)
    honest_jackpot_cost: int = 0
    """What the honest operators' forced errors cost them: honest catchers' shares, the burned rest,
    their own accounts' gas (their own accounts' shares come back to them)."""
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
            "honest_operator_profit_eth_per_task": rounded(self.honest_profit()),
            "cheats": self.cheats,
            "cheats_caught": self.caught,
            "cheats_declined": self.cheats_declined,
            "cheat_gain_eth_per_cheat": self.cheat_gain_per_cheat(),
            "games": dict(sorted(self.games.items())),
            "burned_eth": self.ledger[BURN] / WEI,
            **(self.jackpot_summary() if self.params.forced_error_ppm > 0 else {}),
        }

    def honest_profit(self) -> float | None:
        """ETH per honest result: the honest operators' net (their accounts and escrow together)."""
        if not self.honest_tasks:
            return None
        return sum(self.ledger[a] for a in HONEST_SIDE) / self.honest_tasks / WEI

    def honest_jackpot_cost_per_task(self) -> float:
        """ETH per honest result that its forced errors cost (what the honest catchers took, the own
        accounts' gas)."""
        return self.honest_jackpot_cost / self.honest_tasks / WEI if self.honest_tasks else 0.0

    def cheat_gain_per_cheat(self) -> float | None:
        """ETH per cheated task over an honest result (whose forced errors cost it the honest catchers'
        shares: the run's mean)."""
        if not self.cheats:
            return None
        return rounded(self.cheat_gain / self.cheats / WEI + self.honest_jackpot_cost_per_task())

    def jackpot_summary(self) -> dict[str, Any]:
        to_verifiers = self.jackpot_paid.get(DILIGENT, 0)
        return {
            "forced_errors": self.forced_errors,
            "forced_error_rate": (round(self.forced_errors / self.honest_tasks, 6) if self.honest_tasks
                                  else None),
            "forced_errors_caught_by_a_diligent_verifier": self.forced_caught,
            "forced_draws_on_cheats": self.forced_cheats,
            "self_catches": self.self_catches,
            "catches": dict(sorted(self.catches.items())),
            "jackpot_paid_eth": {k: v / WEI for k, v in sorted(self.jackpot_paid.items())},
            "jackpot_burned_eth": {k: v / WEI for k, v in sorted(self.jackpot_burned.items())},
            "paid_to_verifiers_eth_per_forced_error": (round(to_verifiers / self.forced_errors / WEI, 6)
                                                       if self.forced_errors else None),
            "honest_forced_error_cost_eth_per_task": rounded(self.honest_jackpot_cost_per_task()),
            "escrow_deposits_eth": {k: v / WEI for k, v in sorted(self.escrow_deposits.items())},
            "escrow_top_ups_eth": {k: v / WEI for k, v in sorted(self.escrow_top_ups.items())},
            "escrow_withdrawn_eth": {k: v / WEI for k, v in sorted(self.escrow_withdrawn.items())},
            "jackpot_escrow_eth_end": self.ledger[HONEST_ESCROW] / WEI,
            "jackpot_escrow_eth_mean": round(sum(self.escrow) / len(self.escrow) / WEI, 3),
            "jackpot_escrow_eth_min": min(self.escrow) / WEI,
            "jackpot_escrow_eth_max": max(self.escrow) / WEI,
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
        self.recent: deque[bool] = deque(maxlen=max(1, params.informed_memory))
        """Strategy "informed": whether each of the market's latest public honest forced errors was
        caught by an account not the operator's."""
        self.pending: deque[tuple[int, bool]] = deque()
        """(task from which it is public, caught): forced errors whose catches are not yet revealed."""
        self.keep = int(self.m.pot * Decimal(repr(params.escrow_keep_pots)))
        self.top_up(HONEST)
        if params.cheat_rate > 0:
            self.top_up(CHEATER)
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
        if self.p.withdraw_excess:
            for operator in (HONEST, CHEATER):
                excess = self.ledger[ESCROW[operator]] - max(self.m.pot, self.keep)
                if excess > 0:
                    self.pay(ESCROW[operator], operator, excess)
                    self.add(self.run.escrow_withdrawn, operator, excess)

    def record(self) -> None:
        self.run.populations.append({k: len(v) for k, v in self.members.items()})
        self.run.escrow.append(self.ledger[HONEST_ESCROW])

    @staticmethod
    def add(totals: dict[str, int], operator: int, amount: int) -> None:
        name = "honest" if operator == HONEST else "cheater"
        totals[name] = totals.get(name, 0) + amount

    # ------------------------------------------------------------------ the escrow and the pots

    def top_up(self, operator: int) -> None:
        """Before a claim: the escrow must hold a whole pot (`AuditEscrowTooLow`)."""
        short = self.m.pot - self.ledger[ESCROW[operator]]
        if short > 0:
            self.pay(operator, ESCROW[operator], short)
            self.add(self.run.escrow_top_ups, operator, short)

    def claim(self, operator: int) -> None:
        self.top_up(operator)
        self.pay(operator, OFFCHAIN, self.m.escrow_capital)

    def paid(self, operator: int) -> None:
        """The result finalises: the operator is paid, τ·R of it into its own escrow."""
        self.pay(SUBMITTER, operator, self.m.reward - self.m.fee)
        if self.m.fee:
            self.pay(SUBMITTER, ESCROW[operator], self.m.fee)
            self.add(self.run.escrow_deposits, operator, self.m.fee)

    def pot(self, operator: int, catchers: Sequence[tuple[int, str]], stands: bool) -> int:
        """A revealed forced error's pot: J from the operator's escrow (its task's reservation); if
        the revealed root stands and k ≥ 1 catchers revealed their seals, each gets J // (k·2^(k-1))
        (nothing above 64) and the unpaid rest, J − k·share, is burned; a pot nobody caught, or
        whose root fell, returns whole to the escrow. Returns the share."""
        m = self.m
        amount = min(self.ledger[ESCROW[operator]], m.pot)
        k = len(catchers)
        caught = stands and k > 0
        share = amount // (k << (k - 1)) if caught and k <= MAX_PAID_CATCHERS else 0
        for account, role in catchers:
            self.pay(account, GAS, m.catch_reveal)
            self.run.catches[role] = self.run.catches.get(role, 0) + 1
            if share:
                self.pay(account, GAS, m.claim)
                self.pay(ESCROW[operator], account, share)
                self.run.jackpot_paid[role] = self.run.jackpot_paid.get(role, 0) + share
        if caught:
            burned = amount - k * share
            self.pay(ESCROW[operator], BURN, burned)
            self.add(self.run.jackpot_burned, operator, burned)
        return share

    # ------------------------------------------------------------------ tasks

    def ordered(self, kind: str) -> list[int]:
        ms = self.members[kind]
        return [ms[i] for i in self.rng.permutation(len(ms))] if len(ms) > 1 else list(ms)

    def cheat(self, forced: bool) -> None:
        p, m = self.p, self.m
        before = sum(self.ledger[a] for a in COALITION)
        self.claim(CHEATER)
        draw_gas = m.draw_forced if forced else m.draw
        self.pay(CHEATER, GAS, draw_gas)
        diligent = self.ordered(DILIGENT)
        copycats = [] if p.hidden_roots else self.ordered(COPYCAT)
        for d in diligent:
            # the spot check saw a wrong state: seal it (it cannot yet tell a forced error from a
            # cheat); the reveal says "not a forced error" (or names a made-up h_L its state does not
            # match), and `open` needs the trace root: a full replay, in the reveal phase
            if p.forced_error_ppm > 0:
                self.pay(d, GAS, m.seal)
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
                return net(s.transfers, COALITION) + (0 if s.voided else m.reward)

            if value(thrown) > value(settled):
                settled = thrown
        self.apply(settled.transfers)
        if forced:  # revealed with a made-up h_L that nobody else holds: the pot returns whole
            self.run.forced_cheats += 1
            self.pot(CHEATER, [], stands=not settled.voided)
        if not settled.voided:
            self.paid(CHEATER)
        self.run.cheats += 1
        self.run.caught += settled.voided
        for _, role, won in settled.ran:
            self.count(f"{role}_{'won' if won else 'lost'}")
        for _, role in settled.moot:
            self.count(f"{role}_moot")
        after = sum(self.ledger[a] for a in COALITION)
        self.run.cheat_gain += after - before - (m.reward - m.compute - draw_gas - m.escrow_capital)

    def forced_error(self) -> None:
        """An honest result drawn forced: wrong in h_L only; J of its operator's escrow is the pot."""
        p, m = self.p, self.m
        self.claim(HONEST)
        self.pay(HONEST, OFFCHAIN, m.compute)
        self.pay(HONEST, GAS, m.draw_forced)
        self.run.forced_errors += 1
        leaf = int(self.rng.integers(1, p.intervals))  # L: interval L ends there, interval L + 1 starts there
        catchers: list[tuple[int, str]] = []
        for d in self.members[DILIGENT]:
            sample = self.rng.choice(p.intervals, size=p.sampled, replace=False) + 1
            if leaf in sample:  # replayed the interval ending at L: it holds the honest h_L
                self.pay(d, GAS, m.seal)
                catchers.append((d, DILIGENT))
            elif leaf + 1 in sample:  # a mismatch at L + 1: its seal names its own h_(L+1), not h_L
                self.pay(d, GAS, m.seal)
        honest_catch = bool(catchers)
        self.run.forced_caught += honest_catch
        self.pending.append((self.t + p.informed_lag_tasks, honest_catch))
        before = sum(self.ledger[a] for a in HONEST_SIDE)
        if p.self_catch and p.self_catch_accounts > 0:
            # its accounts seal on every forced error (it knows h_L) and reveal only beside an honest
            # catch: alone, the uncaught pot returns whole anyway
            self.pay(HONEST_SYBIL, GAS, m.seal * p.self_catch_accounts)
            if honest_catch:
                catchers += [(HONEST_SYBIL, "operator")] * p.self_catch_accounts
                self.run.self_catches += 1
        self.pot(HONEST, catchers, stands=True)
        self.run.honest_jackpot_cost += before - sum(self.ledger[a] for a in HONEST_SIDE)
        self.paid(HONEST)

    def honest(self) -> None:
        self.claim(HONEST)
        self.pay(HONEST, OFFCHAIN, self.m.compute)
        self.pay(HONEST, GAS, self.m.draw)
        self.paid(HONEST)

    def looks_unwatched(self) -> bool:
        """Strategy "informed": none of the market's last `informed_memory` honest forced errors was
        caught by an account not the operator's own, of those whose catches are public by now."""
        while self.pending and self.pending[0][0] <= self.t:
            self.recent.append(self.pending.popleft()[1])
        return len(self.recent) == self.recent.maxlen and not any(self.recent)

    def simulate(self) -> Run:
        p = self.p
        cheat_draws = self.rng.random(p.tasks)
        forced_draws = self.rng.random(p.tasks)
        self.record()
        for t in range(p.tasks):
            self.t = t
            watched = bool(self.members[DILIGENT])
            self.run.tasks_with_diligent += watched
            forced = forced_draws[t] < p.forced_error_prob
            cheats = cheat_draws[t] < p.cheat_rate
            if cheats and ((p.strategy == "only_without_diligent" and watched)
                           or (p.strategy == "informed" and not self.looks_unwatched())):
                cheats = False
                self.run.cheats_declined += 1
            if cheats:
                self.cheat(forced)
            else:
                self.run.honest_tasks += 1
                if forced:
                    self.forced_error()
                else:
                    self.honest()
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
"""Tasks between two points of a population or escrow series in results.json."""

GOALS = {
    "diligent_verifier_profit_eth_at_0pct": "> 0",
    "lazy_verifier_profit_eth": "< 0",
    "copycat_verifier_profit_eth": "< 0",
    "best_cheat_gain_eth": "< 0",
}

ON_CHAIN = SimParams(tasks=100_000, forced_error_ppm=100_000, jackpot_bps=2_000, pot_eth=25.0)
"""The mechanism of docs/forced-errors.md (each operator's own escrow, one pot J reserved per
claimed task, the unpaid rest of a caught pot burned) with the values of docs/economics.md
("Forced errors and the jackpot: parameters"): p = 10 %, τ = 20 %, J = 25 (R = 1), p·J = 2.5, between
one spot verifier's threshold C/(1/4) = 2.4 and two's, 2.57; operators self-catch with one account
of their own, their best (`best_self_catch_accounts`)."""
WITHOUT_SELF_CATCH = replace(ON_CHAIN, self_catch=False)
"""The same, with operators that do not catch their own forced errors."""
WITHOUT_JACKPOT = replace(ON_CHAIN, forced_error_ppm=0, jackpot_bps=0, pot_eth=0.0)
"""The same market with forced errors off (forced_error_ppm = 0): the dispute rules alone."""
INFORMED_MEMORIES = (3, 10, 30, 100)
"""Strategy "informed" is run with each; the best counts."""


def split_shares(verifiers: int, catch_prob: float, accounts: int) -> dict[str, float]:
    """Expected shares of a pot J per forced error when each of `verifiers` spot verifiers holds h_L
    with probability `catch_prob` and the operator's `accounts` reveal beside any honest catch: paid
    to verifiers, to the operator's accounts, burned (the unpaid rest of a caught pot) and back to
    the escrow (the pot nobody caught)."""
    to_verifiers = to_accounts = burned = 0.0
    for honest in range(1, verifiers + 1):
        chance = math.comb(verifiers, honest) * catch_prob**honest * (1 - catch_prob) ** (verifiers - honest)
        k = honest + accounts
        share = 1 / (k * 2 ** (k - 1)) if k <= MAX_PAID_CATCHERS else 0.0
        to_verifiers += chance * honest * share
        to_accounts += chance * accounts * share
        burned += chance * (1 - k * share)
    return {"to_verifiers": round(to_verifiers, 6), "to_operator_accounts": round(to_accounts, 6),
            "burned": round(burned, 6),
            "back_to_the_escrow": round(1 - to_verifiers - to_accounts - burned, 6),
            "per_verifier_given_it_caught": round(to_verifiers / (verifiers * catch_prob), 6)}


SELF_CATCH_ACCOUNTS = range(10)
"""The numbers of own accounts m an operator is modelled to choose from."""


def self_catch_cost(p: SimParams, verifiers: int, accounts: int) -> float:
    """ETH an honest operator expects a forced error to cost with `accounts` accounts of its own
    catching (0: none) beside `verifiers` spot verifiers: a caught pot costs it J less its own
    accounts' shares (the honest catchers' shares and the burned rest), and its accounts' gas (seal
    on every forced error, reveal and claim beside an honest catch). An uncaught pot returns whole."""
    m, q = Money.of(p), p.sampled / p.intervals
    cost = float(accounts * m.seal)
    for honest in range(1, verifiers + 1):
        chance = math.comb(verifiers, honest) * q**honest * (1 - q) ** (verifiers - honest)
        k = honest + accounts
        share = m.pot // (k << (k - 1)) if k <= MAX_PAID_CATCHERS else 0
        cost += chance * (m.pot - accounts * share + accounts * (m.catch_reveal + m.claim))
    return cost / WEI


def best_self_catch_accounts(p: SimParams, verifiers: int = 3) -> dict[str, Any]:
    """The operator's choice of m ∈ {0..9} own accounts that minimises a forced error's cost to it."""
    costs = {a: self_catch_cost(p, verifiers, a) for a in SELF_CATCH_ACCOUNTS}
    best = min(costs, key=lambda a: costs[a])
    by_verifiers = {}
    for n in (1, 2, 3, 5, 10):
        cost_n = {a: self_catch_cost(p, n, a) for a in SELF_CATCH_ACCOUNTS}
        by_verifiers[n] = min(cost_n, key=lambda a: cost_n[a])
    return {"verifiers": verifiers, "accounts": best,
            "over": [min(SELF_CATCH_ACCOUNTS), max(SELF_CATCH_ACCOUNTS)],
            "cost_eth_per_forced_error": round(costs[best], 6),
            "cost_eth_per_forced_error_by_accounts": {a: round(c, 6) for a, c in costs.items()},
            "by_verifiers": by_verifiers}


def rationale(p: SimParams) -> dict[str, str]:
    """Why ON_CHAIN's p, J and τ, from the formulas (the simulation checks them)."""
    m = Money.of(p)
    q, c, pf = p.sampled / p.intervals, m.spot / WEI, p.forced_error_prob
    share = {n: split_shares(n, q, 1)["per_verifier_given_it_caught"] for n in (1, 2, 3)}
    needed = {n: c / (pf * q * share[n]) for n in (1, 2, 3)}
    per_result = {n: pf * self_catch_cost(p, n, 1) for n in (1, 2, 3)}
    return {
        "forced_error_ppm": f"p = {pf:g}: a diligent spot verifier holds h_L on p·m/N = {pf * q:.4g} of the "
                            f"results, {pf * q * p.window:g} catches per {p.window}-task entry/exit window. "
                            "Its income is p·(m/N)·J·share, so only p·J sets it; a larger p needs a smaller "
                            "J, and every claimed task reserves J of its operator's escrow for "
                            f"{p.reservation_days:g} days (J·{p.annual_rate:g}·{p.reservation_days:g}/365 "
                            f"= {m.escrow_capital / WEI:.4g} ETH of capital per task at this J). A forced "
                            "error costs its honest operator the revealForcedError gas over a revealDraw "
                            f"({(m.draw_forced - m.draw) / WEI:g} ETH) and a restarted challenge window",
        "pot_eth": f"J = {p.pot_eth:g} (pot_wei = {p.pot_eth:g} × R, p·J = {pf * p.pot_eth:g}): beside the "
                   "operator's own account a lone honest catcher gets J/4 (expected share of one that "
                   f"caught: {share[1]:g}·J alone, {share[2]:g}·J among two, {share[3]:g}·J among three spot "
                   f"verifiers). A verifier stays while p·(m/N)·J·share > (m/N)·C = {c:g} per task: "
                   f"J > {needed[1]:.1f} for one verifier, {needed[2]:.1f} for two, {needed[3]:.1f} for "
                   "three. "
                   "Each caught pot costs the operator J less its account's share (the honest shares and the "
                   f"burned rest): {per_result[1]:.3f} per result beside one spot verifier, "
                   f"{per_result[2]:.3f} beside two, {per_result[3]:.3f} beside three, against a margin "
                   f"R − C = {(m.reward - m.compute) / WEI:g}. So J is set just above one verifier's "
                   "threshold: the market sustains about one diligent verifier, which is what an honest "
                   "operator can pay for",
        "jackpot_bps": f"τ = {p.jackpot_bps / BPS:g}: τ only refills the operator's own escrow (the money "
                       "stays its own, withdrawable above its reservations), so it moves no one's profit. "
                       f"The escrow loses about {per_result[1]:.2f}–{per_result[2]:.2f} per result (one or "
                       "two verifiers; honest shares and the burned rest), so τ·R = "
                       f"{p.jackpot_bps / BPS * p.reward_eth:g} refills it",
    }


def pct(rate: float) -> str:
    return f"{round(rate * 100)}pct"


def meets(value: float | None, goal: str) -> bool | None:
    if value is None:
        return None
    sign, bound = goal.split()
    return value > float(bound) if sign == ">" else value < float(bound)


def strategies(base: SimParams) -> tuple[str, ...]:
    """Without forced errors there are no catches to infer from: "informed" never cheats."""
    return STRATEGIES if base.forced_error_ppm > 0 else tuple(s for s in STRATEGIES if s != "informed")


def grid(base: SimParams) -> dict[tuple[float, str], Run]:
    """Every cheat rate with every strategy (at 0 % only "plain": nobody cheats)."""
    return {(rate, strategy): simulate(replace(base, cheat_rate=rate, strategy=strategy))
            for rate in CHEAT_RATES for strategy in (strategies(base) if rate > 0 else ("plain",))}


def informed_runs(base: SimParams, lag: int | None = None) -> dict[tuple[float, int], Run]:
    """Strategy "informed" at every cheat rate with each look-back (and the given lag)."""
    lagged = base if lag is None else replace(base, informed_lag_tasks=lag)
    return {(rate, memory): simulate(replace(lagged, cheat_rate=rate, strategy="informed",
                                             informed_memory=memory))
            for rate in CHEAT_RATES if rate > 0 for memory in INFORMED_MEMORIES}


def informed_gains(runs: dict[tuple[float, int], Run]) -> dict[str, dict[int, float | None]]:
    return {pct(rate): {memory: runs[rate, memory].summary()["cheat_gain_eth_per_cheat"]
                        for memory in INFORMED_MEMORIES} for rate in CHEAT_RATES if rate > 0}


def sampled(run: Run, values: Sequence[int] | Sequence[float]) -> list[Any]:
    step = max(1, SAMPLE_EVERY // run.params.window)
    return list(values[::step])


def block(runs: dict[tuple[float, str], Run], base: SimParams,
          informed: dict[tuple[float, int], Run] | None = None) -> dict[str, Any]:
    """The figures of one mechanism: per cheat rate and strategy, then the headline figures.
    `best_cheat_gain_eth` is over the strategies that need no sight of the verifiers (and every
    look-back of "informed"); the bound of an operator that sees them is apart."""
    names = strategies(base)
    by_rate: dict[str, Any] = {}
    gains: dict[tuple[float, str], float] = {}
    for rate in CHEAT_RATES:
        plain = runs[rate, "plain"].summary()
        entry: dict[str, Any] = {
            **{f"{k}_verifier_profit_eth": plain["verifier_profit_eth_per_task"][k] for k in KINDS},
            "population_end": plain["population_end"],
            "population_mean": plain["population_mean"],
            "tasks_with_a_diligent_verifier_share": plain["tasks_with_a_diligent_verifier_share"],
            "honest_operator_profit_eth_per_task": plain["honest_operator_profit_eth_per_task"],
        }
        if base.forced_error_ppm > 0:
            entry["jackpot_escrow_eth_end"] = plain["jackpot_escrow_eth_end"]
            entry["paid_to_verifiers_eth_per_forced_error"] = plain["paid_to_verifiers_eth_per_forced_error"]
        if rate > 0:
            strategy_gain = {s: runs[rate, s].summary()["cheat_gain_eth_per_cheat"] for s in names}
            if informed:
                memory_gain = {mem: informed[rate, mem].summary()["cheat_gain_eth_per_cheat"]
                               for mem in INFORMED_MEMORIES}
                entry["informed_gain_eth_by_memory"] = memory_gain
                known = [g for g in memory_gain.values() if g is not None]
                strategy_gain["informed"] = max(known) if known else None
            gains.update({(rate, s): g for s, g in strategy_gain.items() if g is not None})
            realistic = [s for s in names if s in REALISTIC and strategy_gain[s] is not None]
            best = max(realistic, key=lambda s: strategy_gain[s] or 0.0)
            entry |= {"strategy_gain_eth": strategy_gain, "best_cheat_gain_eth_here": strategy_gain[best],
                      "best_strategy": best,
                      "cheats_by_strategy": {s: runs[rate, s].cheats for s in names},
                      "cheats_caught_by_strategy": {s: runs[rate, s].caught for s in names}}
        entry["runs"] = {s: runs[rate, s].summary() for s in names if (rate, s) in runs}
        by_rate[pct(rate)] = entry

    def worst(kind: str) -> float | None:
        values = [v for r in runs.values() if (v := r.kind_profit(kind)) is not None]
        return rounded(max(values)) if values else None

    realistic_gains = {k: g for k, g in gains.items() if k[1] in REALISTIC}
    best_key = max(realistic_gains, key=lambda k: realistic_gains[k])
    sighted = {k: g for k, g in gains.items() if k[1] == "only_without_diligent"}
    sighted_key = max(sighted, key=lambda k: sighted[k]) if sighted else None
    zero = runs[0.0, "plain"]
    headline = {
        "diligent_verifier_profit_eth_at_0pct": rounded(zero.kind_profit(DILIGENT)),
        "lazy_verifier_profit_eth": worst(LAZY),
        "copycat_verifier_profit_eth": worst(COPYCAT),
        "best_cheat_gain_eth": realistic_gains[best_key],
    }
    return {
        **headline,
        "best_cheat": {"strategy": best_key[1], "cheat_rate_pct": round(best_key[0] * 100),
                       "over": [s for s in REALISTIC if s in names]},
        "best_cheat_gain_eth_if_the_operator_sees_the_verifiers": sighted[sighted_key] if sighted_key
        else None,
        "best_cheat_if_the_operator_sees_the_verifiers": (
            {"strategy": sighted_key[1], "cheat_rate_pct": round(sighted_key[0] * 100),
             "what": "upper bound: the operator knows at every task whether a diligent verifier is in the "
                     "market, which sealed anonymous catches do not tell it"} if sighted_key else None),
        "strategy_gain_eth": {s: max((g for (_, s2), g in gains.items() if s2 == s), default=None)
                              for s in names},
        "honest_operator_profit_eth_per_task_at_0pct": zero.summary()["honest_operator_profit_eth_per_task"],
        "plain_cheat_pays_below_watched_share": round(
            base.compute_cost_eth / (base.reward_eth + base.min_stake_eth), 4),
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
        "escrow_capital_eth_per_task": m.escrow_capital / WEI,
        "winner_share_of_stake_eth": m.winner_stake / WEI,
        "seal_gas_eth": m.seal / WEI,
        "catch_reveal_gas_eth": m.catch_reveal / WEI,
        "claim_gas_eth": m.claim / WEI,
        "draw_gas_eth": m.draw / WEI,
        "forced_draw_gas_eth": m.draw_forced / WEI,
    }


def jackpot_parameters(p: SimParams) -> dict[str, Any]:
    """The deploy parameters (docs/economics.md) and what they are in the model's terms."""
    return {
        "forced_error_ppm": p.forced_error_ppm,
        "p": p.forced_error_prob,
        "jackpot_bps": p.jackpot_bps,
        "tau": p.jackpot_bps / BPS,
        "pot_eth": p.pot_eth,
        "pot_wei_for_reward_1_eth": to_wei(p.pot_eth),
        "pot_over_reward": p.pot_eth / p.reward_eth,
        "audit_window": "not simulated (timing only): at least a verifier's full replay",
        "reservation_days": p.reservation_days,
        "escrow_capital_eth_per_task": Money.of(p).escrow_capital / WEI,
        "unpaid_rest_of_a_caught_pot": "burned",
        "self_catch": p.self_catch,
        "self_catch_accounts": p.self_catch_accounts,
        "seal_gas": p.seal_gas,
        "catch_reveal_gas": p.catch_reveal_gas,
        "claim_gas": p.claim_gas,
        "commit_draw_gas": p.commit_draw_gas,
        "reveal_draw_gas": p.reveal_draw_gas,
        "reveal_forced_gas": p.reveal_forced_gas,
        "gas_price_gwei": p.gas_price_gwei,
        "seed": p.seed,
        "rationale": rationale(p),
    }


def jackpot_figures(runs: dict[tuple[float, str], Run],
                    without: dict[tuple[float, str], Run]) -> dict[str, Any]:
    """The escrow, the forced errors and the catches of the jackpot grid at 0 %, and the honest
    operator's profit with and without forced errors."""
    zero = runs[0.0, "plain"]
    z = zero.summary()
    q = ON_CHAIN.sampled / ON_CHAIN.intervals
    burned = z["jackpot_burned_eth"].get("honest", 0.0)
    in_flight = ON_CHAIN.tasks_per_day * ON_CHAIN.reservation_days
    return {
        "jackpot_parameters": jackpot_parameters(ON_CHAIN),
        "jackpot_escrow_eth": sampled(zero, [f / WEI for f in zero.escrow]),
        "jackpot_escrow_what": "the honest operators' escrow at the end of each window (before they withdraw "
                               "the excess over J), sampled every jackpot_escrow_sampled_every_tasks, at 0 %",
        "jackpot_escrow_sampled_every_tasks": SAMPLE_EVERY,
        "jackpot_escrow_eth_end": z["jackpot_escrow_eth_end"],
        "jackpot_escrow_eth_end_by_cheat_rate": {pct(r): runs[r, "plain"].ledger[HONEST_ESCROW] / WEI
                                                 for r in CHEAT_RATES},
        "jackpot_at_0pct": {k: z[k] for k in (
            "forced_errors", "forced_error_rate", "forced_errors_caught_by_a_diligent_verifier",
            "self_catches", "catches", "jackpot_paid_eth", "jackpot_burned_eth",
            "paid_to_verifiers_eth_per_forced_error",
            "honest_forced_error_cost_eth_per_task", "escrow_deposits_eth", "escrow_top_ups_eth",
            "escrow_withdrawn_eth", "jackpot_escrow_eth_end", "jackpot_escrow_eth_mean",
            "jackpot_escrow_eth_min", "jackpot_escrow_eth_max")},
        "jackpot_burned_eth": burned,
        "jackpot_burned_eth_per_forced_error": (round(burned / z["forced_errors"], 6) if z["forced_errors"]
                                                else None),
        "jackpot_burned_eth_per_honest_result": round(burned / zero.honest_tasks, 6),
        "jackpot_burned_what": "the unpaid rest J − k·share of the honest operators' caught pots, at 0 %",
        "escrow_reserved": {
            "reservation_days": ON_CHAIN.reservation_days,
            "tasks_in_flight_market_wide": in_flight,
            "escrow_reserved_eth_market_wide": in_flight * ON_CHAIN.pot_eth,
            "escrow_capital_eth_per_task": Money.of(ON_CHAIN).escrow_capital / WEI,
            "what": "every claimed task reserves J of its operator's escrow from the claim to the "
                    "finalisation; an operator needs (its tasks in flight)·J. The simulation settles one "
                    "task at a time, so its ledger escrow holds one reservation (the series above); the "
                    "others are charged as the capital they lock, J·annual_rate·reservation_days/365 "
                    "per task",
        },
        "forced_errors": z["forced_errors"],
        "forced_errors_caught": z["forced_errors_caught_by_a_diligent_verifier"],
        "catches": z["catches"],
        "self_catches": z["self_catches"],
        "honest_operator_profit_eth_per_task": {
            "with_forced_errors": z["honest_operator_profit_eth_per_task"],
            "without_forced_errors": without[0.0, "plain"].summary()["honest_operator_profit_eth_per_task"],
            "forced_errors_cost": z["honest_forced_error_cost_eth_per_task"],
            "what": "R − C − gas − the reservation's capital, less what its forced errors cost it (honest "
                    "catchers' shares, the burned rest, its own accounts' gas), per honest result, at 0 % "
                    "cheating",
        },
        "expected_shares_per_pot": {f"{n}_verifiers": split_shares(n, q, 1) for n in (1, 2, 3, 5)},
        "expected_shares_per_pot_without_self_catch": {f"{n}_verifiers": split_shares(n, q, 0)
                                                       for n in (1, 2, 3, 5)},
        "self_catch_accounts_that_pay_best": best_self_catch_accounts(ON_CHAIN),
        "self_catch_accounts_that_pay_best_by_verifiers": best_self_catch_accounts(ON_CHAIN)["by_verifiers"],
    }


def sweep(base: SimParams, field_name: str, values: Sequence[Any]) -> dict[str, Any]:
    """At 0 % cheating (operators self-catch, and not), and at 2 % plain and informed cheats."""
    out: dict[str, Any] = {}
    for value in values:
        params = replace(base, **{field_name: value})
        zero = simulate(params).summary()
        other = simulate(replace(params, self_catch=not params.self_catch)).summary()
        plain = simulate(replace(params, cheat_rate=0.02)).summary()
        informed = simulate(replace(params, cheat_rate=0.02, strategy="informed")).summary()
        out[f"{field_name}={value}"] = {
            "diligent_verifier_profit_eth_at_0pct": zero["verifier_profit_eth_per_task"][DILIGENT],
            "diligent_population_mean_at_0pct": zero["population_mean"][DILIGENT],
            "tasks_with_a_diligent_verifier_share_at_0pct": zero["tasks_with_a_diligent_verifier_share"],
            "honest_operator_profit_eth_per_task_at_0pct": zero["honest_operator_profit_eth_per_task"],
            "escrow_top_ups_eth_at_0pct": zero.get("escrow_top_ups_eth"),
            "plain_cheat_gain_eth_at_2pct": plain["cheat_gain_eth_per_cheat"],
            "informed_cheat_gain_eth_at_2pct": informed["cheat_gain_eth_per_cheat"],
            f"with_self_catch_{not params.self_catch}".lower(): {
                "diligent_verifier_profit_eth_at_0pct": other["verifier_profit_eth_per_task"][DILIGENT],
                "diligent_population_mean_at_0pct": other["population_mean"][DILIGENT],
                "honest_operator_profit_eth_per_task_at_0pct": other["honest_operator_profit_eth_per_task"],
            },
        }
    return out


def pair_sweep(base: SimParams, pairs: Sequence[tuple[int, float]]) -> dict[str, Any]:
    """`sweep` over (forced_error_ppm, pot_eth) pairs."""
    out: dict[str, Any] = {}
    for ppm, pot in pairs:
        entry = sweep(replace(base, forced_error_ppm=ppm), "pot_eth", (pot,))
        for key, value in entry.items():
            out[f"forced_error_ppm={ppm},{key}"] = {
                **value, "escrow_capital_eth_per_task": Money.of(replace(base, forced_error_ppm=ppm,
                                                                         pot_eth=pot)).escrow_capital / WEI}
    return out


def accounts_sweep(base: SimParams, counts: Sequence[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for accounts in counts:
        params = replace(base, self_catch_accounts=accounts)
        zero = simulate(params).summary()
        cheat = {s: simulate(replace(params, cheat_rate=0.05, strategy=s)).summary()[
            "cheat_gain_eth_per_cheat"] for s in ("plain", "informed")}
        out[f"accounts={accounts}"] = {
            "diligent_verifier_profit_eth_at_0pct": zero["verifier_profit_eth_per_task"][DILIGENT],
            "diligent_population_mean_at_0pct": zero["population_mean"][DILIGENT],
            "tasks_with_a_diligent_verifier_share_at_0pct": zero["tasks_with_a_diligent_verifier_share"],
            "paid_to_verifiers_eth_per_forced_error_at_0pct": zero["paid_to_verifiers_eth_per_forced_error"],
            "honest_operator_profit_eth_per_task_at_0pct": zero["honest_operator_profit_eth_per_task"],
            "honest_forced_error_cost_eth_per_task_at_0pct": zero["honest_forced_error_cost_eth_per_task"],
            "jackpot_burned_eth_at_0pct": zero["jackpot_burned_eth"],
            "cheat_gain_eth_at_5pct": cheat,
        }
    return out


def goal_view(figures: dict[str, Any]) -> dict[str, Any]:
    keys = (*GOALS, "goals_met", "best_cheat", "best_cheat_gain_eth_if_the_operator_sees_the_verifiers",
            "strategy_gain_eth", "honest_operator_profit_eth_per_task_at_0pct")
    return {**{k: figures[k] for k in keys if k in figures},
            "by_cheat_rate": {r: {k: v for k, v in e.items() if k != "runs"}
                              for r, e in figures["by_cheat_rate"].items()}}


def dilemma_figures() -> tuple[dict[str, Any], dict[str, Any]]:
    """(economics.dilemma, the series for the plot)."""
    runs = grid(ON_CHAIN)
    informed = informed_runs(ON_CHAIN)
    no_self = grid(WITHOUT_SELF_CATCH)
    no_self_informed = informed_runs(WITHOUT_SELF_CATCH)
    without = grid(WITHOUT_JACKPOT)
    best_accounts = best_self_catch_accounts(ON_CHAIN)["accounts"]
    many = replace(ON_CHAIN, self_catch_accounts=best_accounts)
    many_runs = runs if best_accounts == ON_CHAIN.self_catch_accounts else grid(many)
    dilemma = {
        "on_chain": True,
        "model": "agent-based: bench/economics_sim.py; docs/economics.md 'Verifier populations "
                 "(simulation)'; forced errors paid from each operator's own escrow as in "
                 "docs/forced-errors.md",
        "units": "verifier profit: ETH per verifier per task it is in the market (entry cost included; "
                 "lazy and copycat: the most any run gave); cheat gain: ETH per cheated task over an honest "
                 "result, at the populations the run produced (best: over the strategies that need no sight "
                 "of the verifiers and over cheat rates)",
        **block(runs, ON_CHAIN, informed),
        "goals": dict(GOALS),
        **jackpot_figures(runs, without),
        "informed_gain_eth_if_catches_were_public_at_once": {
            "what": "strategy informed with informed_lag_tasks = 0 (catches public the task after the forced "
                    "error, not after the challenge window): by cheat rate and look-back",
            **informed_gains(informed_runs(ON_CHAIN, lag=0)),
        },
        "when_operators_do_not_self_catch": {
            "what": "the same market, operators never catch their own forced errors (self_catch = False)",
            **goal_view(block(no_self, WITHOUT_SELF_CATCH, no_self_informed)),
            "jackpot_at_0pct": {k: no_self[0.0, "plain"].summary()[k] for k in (
                "forced_errors_caught_by_a_diligent_verifier", "catches", "jackpot_paid_eth",
                "paid_to_verifiers_eth_per_forced_error", "honest_forced_error_cost_eth_per_task",
                "escrow_top_ups_eth", "jackpot_escrow_eth_mean")},
        },
        "when_operators_self_catch_with_the_accounts_that_pay_best": {
            "what": f"every operator catches with {best_accounts} account(s) of its own "
                    "(self_catch_accounts_that_pay_best, over m = 0..9): the decaying split pays each of k "
                    "catchers J/(k·2^(k-1)) and burns the unpaid rest, so the operator gets back only its "
                    "accounts' shares (the headline's runs when that is one account)",
            "self_catch_accounts": best_accounts,
            **goal_view(block(many_runs, many)),
        },
        "sensitivity_self_catch_accounts": accounts_sweep(ON_CHAIN, (0, 1, 2, 3, 9)),
        "without_jackpot": {
            "what": "the same market with forced_error_ppm = 0 (no draws, no escrow): the dispute rules "
                    "alone",
            **goal_view(block(without, WITHOUT_JACKPOT)),
        },
        "sensitivity_forced_error_ppm_at_the_same_p_times_j": pair_sweep(
            ON_CHAIN, ((50_000, 50.0), (100_000, 25.0), (200_000, 12.5))),
        "sensitivity_pot_eth": sweep(ON_CHAIN, "pot_eth", (22.0, 25.0, 28.0, 30.0, 60.0)),
        "sensitivity_p_times_j_3_at_p_5pct": pair_sweep(ON_CHAIN, ((50_000, 60.0),)),
        "sensitivity_jackpot_bps": sweep(ON_CHAIN, "jackpot_bps", (1_000, 2_000, 3_000)),
        "sensitivity_explore_prob": {
            f"explore={e}": {
                s: simulate(replace(ON_CHAIN, cheat_rate=0.02, strategy=s, explore_prob=e)).summary()[
                    "cheat_gain_eth_per_cheat"] for s in REALISTIC}
            for e in (0.05, 0.25, 1.0)},
        "full_verifiers_at_0pct": {
            what: simulate(replace(ON_CHAIN, sample_rate=1.0, self_catch=own)).summary()[
                "verifier_profit_eth_per_task"][DILIGENT]
            for what, own in (("diligent_verifier_profit_eth", True),
                              ("diligent_verifier_profit_eth_when_operators_do_not_self_catch", False))},
        "parameters": derived(ON_CHAIN),
    }
    return dilemma, {"on_chain": runs, "without_self_catch": no_self, "without_jackpot": without}


def plot(series: dict[str, dict[tuple[float, str], Run]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[dev]'): no dilemma plot")
        return False
    jackpot, no_self, without = series["on_chain"], series["without_self_catch"], series["without_jackpot"]
    rates = [r * 100 for r in CHEAT_RATES]
    colours = {DILIGENT: "tab:green", LAZY: "tab:grey", COPYCAT: "tab:orange",
               "plain": "tab:red", "second_account": "tab:purple", "collusion": "tab:brown",
               "informed": "tab:olive", "only_without_diligent": "tab:blue"}
    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))
    cases = ((jackpot, "-", "o", "escrow, self-catch"), (no_self, ":", "s", "escrow, no self-catch"),
             (without, "--", "x", "no forced errors"))

    ax = axes[0][0]
    highest = 0.0
    for kind in KINDS:
        for runs, style, marker, where in cases:
            profits = [runs[r, "plain"].kind_profit(kind) or 0.0 for r in CHEAT_RATES]
            highest = max(highest, *profits)
            ax.plot(rates, profits, marker=marker, linestyle=style, color=colours[kind],
                    label=f"{kind} ({where})")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_yscale("symlog", linthresh=1e-5)
    ax.set_ylim(top=max(1e-5, 3 * highest))
    ax.set_yticks([0.0] + [sign * 10.0**e for sign in (-1, 1) for e in range(-5, 1)
                           if sign < 0 or 10.0**e < 3 * highest])
    ax.set(title="verifier profit per task in the market, by cheat rate", xlabel="operators cheating (%)",
           ylabel="ETH per verifier per task (symlog)")
    ax.legend(fontsize=6.5, ncol=2)

    ax = axes[0][1]
    for rate in (0.0, 0.02, 0.10):
        for runs, style, _, where in cases:
            run = runs[rate, "plain"]
            counts = np.array([pop[DILIGENT] for pop in run.populations[1:]], dtype=float)
            span = max(1, SAMPLE_EVERY // run.params.window)
            smooth = np.convolve(counts, np.ones(span) / span, mode="valid")
            ax.plot((np.arange(len(smooth)) + span) * run.params.window, smooth, linestyle=style, linewidth=1,
                    label=f"{pct(rate)} ({where})")
    ax.set(title=f"diligent verifiers in the market (mean over {SAMPLE_EVERY} tasks)", xlabel="task",
           ylabel="diligent verifiers")
    ax.legend(fontsize=6.5, ncol=3)

    ax = axes[1][0]
    cheating = [r for r in CHEAT_RATES if r > 0]
    for strategy in STRATEGIES:
        for runs, style, where in ((jackpot, "-", "escrow, self-catch"), (without, "--", "no forced errors")):
            if (cheating[0], strategy) not in runs:
                continue
            gains = [runs[r, strategy].summary()["cheat_gain_eth_per_cheat"] for r in cheating]
            label = {"only_without_diligent": "only_without_diligent (sees the verifiers: bound)",
                     "informed": f"informed (look-back {ON_CHAIN.informed_memory})"}.get(strategy, strategy)
            ax.plot([r * 100 for r in cheating], [g if g is not None else np.nan for g in gains],
                    linestyle=style, marker=".", color=colours[strategy], label=f"{label} ({where})")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(title="cheater's gain over honest work, per cheated task", xlabel="operators cheating (%)",
           ylabel="ETH (R = 1, C = 0.6, s = 2)")
    ax.legend(fontsize=6.5, ncol=2)

    ax = axes[1][1]
    for runs, rate, style, label in ((jackpot, 0.0, "-", "0 %, self-catch"),
                                     (jackpot, 0.10, "-", "10 %, self-catch"),
                                     (no_self, 0.0, ":", "0 %, no self-catch")):
        run = runs[rate, "plain"]
        ax.plot([i * run.params.window for i in range(len(run.escrow))], [f / WEI for f in run.escrow],
                linewidth=0.8, linestyle=style, label=label)
    p = ON_CHAIN
    ax.axhline(p.pot_eth, color="black", linewidth=0.6, linestyle="--", label="J, the least to claim")
    ax.set(title=f"honest operators' escrow at each {p.window}-task window's end\n"
                 f"(p = {p.forced_error_prob:g}, τ = {p.jackpot_bps / BPS:g}, J = {p.pot_eth:g} ETH; "
                 f"excess over {p.escrow_keep_pots:g}·J withdrawn after)",
           xlabel="task", ylabel="ETH")
    ax.legend(fontsize=8)

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
