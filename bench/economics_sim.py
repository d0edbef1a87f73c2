"""Verifier populations under Tribunal's dispute rules and verifier committees: an agent-based simulation.

    python -m bench.economics      # runs this too: results.json economics.dilemma*, out/economics_dilemma.png

`bench/economics.py` computes expected payoffs with the verifiers held fixed. Here the verifiers
choose: three kinds enter and leave a market of tasks by the profit they expect, while operators
cheat at a given rate. The dispute rules are issue 14's (`contracts/src/DisputeGame.sol`: per-game
collateral, a FIFO queue of games, moot games closed with their bond back); forced errors are paid
to a verifier committee drawn per result (`contracts/src/Jackpot.sol`, docs/forced-errors.md):

- A task pays R and costs its operator C. A cheat fakes the whole run (saves C), so any spot check
  sees it. Cheaters keep only the task's minStake s bonded (free stake would only fund more games
  against them); honest operators keep `honest_free_stake_eth`.
- The committee. Verifiers register with a bond B (`verifier_bond_eth`, returned on exit, never
  slashed: its cost is its capital, B at `annual_rate` while registered). For every result K
  (`committee_size`) distinct registered members are drawn uniformly at random from randomness fixed
  after the submission, so the operator does not know them when it decides to cheat (fewer than K
  if fewer are registered).
- Diligent verifiers are members. On a result they are drawn for they spot-check the sampled share c
  of the intervals (`sample_rate`: m of N, cost m/N·C); on a wrong result each replays the run in
  full (C: `open` needs the challenger's trace root) and opens a game. They check nothing else: a
  result no diligent member was drawn for goes unchecked. Lazy verifiers are members that never
  check. Copycats are not members (being drawn would earn them nothing): they check nothing and open
  a game, copying the root, once someone else has opened one on the result. Every diligent verifier
  and copycat also carries the capital of the challenger bond it keeps to open games.
- Games (all opened before any ends; with forced errors, after the draw is revealed; the result's
  committee alone may open in the first part of the game phase, `committee_first`): the first
  game holds the task stake; a later one is funded from the operator's free stake, else queued
  (FIFO). Every game that runs pays its winner w·s from its own collateral (the rest burned); a
  challenger that loses pays w·B to the operator (the rest burned). A queued game that cannot be
  funded once the result is voided is closed moot, its bond returned: its opener paid only the
  open's gas. A copycat wins a game only if a diligent verifier's game on the result has run
  before or beside it (it copies the public reveals); otherwise it cannot answer and times out.
- Gas: `open_gas` per open, `close_gas` for the transaction that ends a game (paid by its winner),
  `game_gas_per_side` (docs/economics.md's g) for each party that plays a game; a party that
  goes silent pays no move.
- Entry and exit. Every `window` tasks each kind looks back over its last `lookback_tasks` tasks.
  A member's income and checking costs come with its seats, K/M of the results with M registered
  members, so the look-back gives its kind's pay per seat (with `prior_seats` seats of what the
  public parameters promise a diligent seat, `seat_value`, mixed in). An entrant expects that pay
  times K/(M + 1), less b, its bonds' capital per task; a member expects it times K/M, less b
  (copycats, not members: the look-back's profit per member per task). An entrant's expectation
  over a window above the entry cost: one verifier enters, while the kind's pool of
  `max_population` potential entrants lasts; a member's below zero: the member that did worst over
  the window leaves. A kind with no member is tried by one entrant with probability `explore_prob`.

Forced errors (on when `forced_error_ppm > 0`):

- Every result draws "forced" with probability p = forced_error_ppm / 10^6; the forced leaf L is
  uniform over the N − 1 interior leaves. The operator pays commitDraw and revealDraw (or
  revealForcedError) gas on every result. An honest forced result is wrong in h_L only; the honest
  root replaces it at the reveal and it finalises; the operator is not slashed.
- Each operator's own escrow (the honest operators share one ledger account, HONEST_ESCROW, and the
  cheaters another). Each claimed task reserves one pot J (`pot_eth`) of its operator's escrow; the
  simulation settles one task at a time, so its ledger escrow holds one reservation: an operator
  tops it up to J before a claim, and the reservations of its other tasks in flight are charged as
  the capital they lock, J at `annual_rate` for `reservation_days` per task (`escrow_capital`).
  jackpot_bps (τ) of every reward goes into the escrow; at the end of every window it withdraws the
  excess over escrow_keep_pots·J.
- Only the result's committee can catch. A diligent member catches when its spot sample holds the
  interval ending at L (probability m/N); one that samples only the interval starting at L sees a
  mismatch, seals, and learns at the reveal that its seal names the wrong state. A catcher seals
  (`seal_gas`), reveals (`catch_reveal_gas`) and claims (`claim_gas`), and is paid J // K from the
  operator's escrow; what the committee does not catch stays in the escrow. Nothing is burned.
  Catches are sealed and no game opens before the seal phase ends, so copycats and lazy members never
  catch. The operator's own accounts catch nothing unless drawn, and a drawn account of its own
  would only move its own money back to it: it does not bother.
- A cheat draws too. A forced cheat cannot show an honest h_L (it computed nothing): it reveals a
  made-up one that no member's state matches, so nothing is paid from its escrow.

Cheat strategies (`strategy`): "plain"; "second_account" (the operator's own account opens a game
as early as it may: first when no diligent member was drawn, else right after the committee's turn;
at the end of the window the operator, seeing the queue, either throws that game, so its account
takes w·s and the games behind it are moot, or wins it, whichever pays it more); "collusion" (an
accomplice opens as early as it may and goes silent: the operator wins that game); "informed"
(cheat only while none of the last `informed_memory` honest forced errors of the market was caught,
catches being public `informed_lag_tasks` after the forced error); "sybil_members" (the cheater
keeps `sybil_members` members of its own registered, bonded like any other, which never check: they
take seats in committees, its own results' included, that diligent members would have had); and
"only_without_diligent" (cheat only while no diligent verifier is registered: registrations are
public, so an operator can do this, granting it can tell diligent members from lazy ones); and
"sees_committee" (cheat only when no diligent member is drawn for the result: the committee is
drawn after the submission, so no operator can; the perfect-information upper bound).

Money is integer wei in one ledger: every transfer debits one account and credits another, and the
sinks (burn, gas, off-chain costs) and the escrows are accounts, so the ledger always sums to 0.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from tribunal.chain.deploy import DeployParams

WEI = 10**18
GWEI = 10**9

# The ledger's fixed accounts; verifiers get the indices from FIXED on.
(SUBMITTER, HONEST, HONEST_ESCROW, CHEATER, SYBIL, COLLUDER, CHEATER_ESCROW, SYBIL_MEMBERS, BURN, GAS,
 OFFCHAIN) = range(11)
FIXED = 11
ACCOUNT_NAMES = ("submitter", "honest_operators", "honest_operators_escrow", "cheaters",
                 "cheaters_second_accounts", "colluders", "cheaters_escrow", "cheaters_bonded_members",
                 "burn", "gas", "offchain_costs")
COALITION = (CHEATER, SYBIL, COLLUDER, CHEATER_ESCROW, SYBIL_MEMBERS)
HONEST_SIDE = (HONEST, HONEST_ESCROW)
ESCROW = {HONEST: HONEST_ESCROW, CHEATER: CHEATER_ESCROW}

DILIGENT, LAZY, COPYCAT = "diligent", "lazy", "copycat"
KINDS = (DILIGENT, LAZY, COPYCAT)
MEMBER_KINDS = (DILIGENT, LAZY)
"""The kinds that register in the committee pool (a copycat gains nothing from being drawn)."""
STRATEGIES = ("plain", "second_account", "collusion", "informed", "sybil_members", "only_without_diligent",
              "sees_committee")
REALISTIC = ("plain", "second_account", "collusion", "informed", "sybil_members", "only_without_diligent")
"""The strategies an operator can play: all but "sees_committee", which needs the result's committee
before it is drawn (the upper bound of an operator with perfect information, reported apart)."""
CHEAT_RATES = (0.0, 0.01, 0.02, 0.05, 0.10)

PPM = 1_000_000
BPS = 10_000

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
    """The challenger bond a diligent verifier or copycat keeps to open games (its capital is charged)."""
    slash_winner_bps: int = DeployParams().slash_winner_bps
    intervals: int = 20
    sample_rate: float = 0.1
    """c: the share of a result's intervals a diligent member spot-checks (m = ⌈c·N⌉ of N)."""
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
    """Market throughput: a bond is tied up for 1/tasks_per_day days per task."""
    reservation_days: float = 3.5
    """How long a claimed task reserves its pot J of its operator's escrow: from the claim to the
    finalisation (training, half a day, + the challenge window W = 1 day + the audit window's reveal
    and game phases, 2A = 2 days): J·annual_rate·reservation_days/365 of capital per task."""
    entry_cost_eth: float = 0.01
    """Registering and setting up a verifier (transactions, time); paid once per entry."""
    window: int = 500
    lookback_tasks: int = 10_000
    """The tasks over which a kind judges its profit at each window's end."""
    prior_seats: int = 2_000
    """How many seats' worth of `seat_value` a member's expectation adds to its kind's look-back."""
    explore_prob: float = 0.25
    max_population: int = 30
    """Each kind's pool of potential entrants: at most this many of a kind are in the market."""
    initial_diligent: int = 3
    initial_lazy: int = 3
    initial_copycat: int = 3
    sybil_first_prob: float = 1.0
    """The operator's own account can open in the block of the reveal that opens the game phase: it
    is first."""
    committee_first: bool = True
    """Only the result's committee may open games in the first part of the game phase
    (`CommitteeGoesFirst`): a diligent member drawn for a cheat opens before the operator's own
    account, an accomplice or a copycat can."""
    hidden_roots: bool = False
    """On chain `open` publishes the challenger's root, so copycats can copy it."""
    committee_size: int = 2
    """K: members drawn per result (deploy: COMMITTEE_SIZE)."""
    verifier_bond_eth: float = 1.0
    """B: a member's bond (deploy: VERIFIER_BOND), returned on exit: its capital is its cost."""
    sybil_members: int = 0
    """Strategy "sybil_members": how many bonded members of its own the cheater keeps registered."""
    forced_error_ppm: int = 0
    """p, parts per million (deploy: forced_error_ppm); 0: no forced errors, no draws, no escrow."""
    jackpot_bps: int = 0
    """τ: share of every finalised reward that goes to its operator's own escrow (deploy: jackpot_bps)."""
    pot_eth: float = 0.0
    """J: a forced error's pot, and the least escrow to claim (deploy: pot_wei), in the simulation's
    ETH (R = 1). Each catching member is paid J/K of it."""
    informed_memory: int = 10
    """Strategy "informed": how many of the market's latest honest forced errors it looks back on."""
    informed_lag_tasks: int = 100
    """Strategy "informed": tasks between a forced error and its catches being public (one day at
    100 tasks a day: catches are revealed after the challenge window)."""
    withdraw_excess: bool = True
    escrow_keep_pots: float = 2.0
    """What an operator keeps in its escrow, in pots: a buffer so that a caught pot needs no top-up."""
    # Gas of the forced-error transactions: forge's medians (docs/forced-errors.md, "Gas") plus the
    # 21,000 base of a transaction.
    seal_gas: int = 67_023
    catch_reveal_gas: int = 148_697
    """revealCatch, which draws the committee again."""
    claim_gas: int = 114_895
    commit_draw_gas: int = 96_251
    """The operator's commitDraw, on every result when p > 0."""
    submit_extra_gas: int = 59_523
    """What forced errors add to submitResult (the draw's seed, the committee's inputs)."""
    reveal_draw_gas: int = 57_460
    """revealDraw of a result that is not forced."""
    reveal_forced_gas: int = 290_824
    """revealForcedError: the leaf's proof, the new root, the pot opened."""
    assign_gas: int = 142_666
    """Jackpot.assign: one per result, sent by one of its members (charged to each diligent seat as
    1/K of it)."""

    @property
    def sampled(self) -> int:
        return min(self.intervals, max(1, math.ceil(self.sample_rate * self.intervals - 1e-9)))

    @property
    def coverage(self) -> float:
        """c = m/N: the share of intervals a diligent member checks, and its chance to catch."""
        return self.sampled / self.intervals

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
    """A diligent member's spot check of one result it was drawn for: m/N·C."""
    replay: int
    game_gas: int
    open_gas: int
    close_gas: int
    capital: int
    """The challenger bond's capital per task (diligent verifiers and copycats)."""
    member_capital: int
    """A member's bond's capital per task (diligent and lazy members, the cheater's own members)."""
    entry: int
    honest_free: int
    fee: int
    """τ·R: the share of a finalised reward that goes to its operator's escrow."""
    pot: int
    """J."""
    share: int
    """J // K: what each catching member is paid."""
    escrow_capital: int
    """The capital cost of the task's reservation, J for reservation_days (0 without forced errors)."""
    seal: int
    catch_reveal: int
    claim: int
    assign_share: int
    """A diligent seat's part of its result's `assign` (1/K of its gas)."""
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
        draw_gas = p.commit_draw_gas + p.submit_extra_gas
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
            member_capital=int(to_wei(p.verifier_bond_eth) * per_task),
            entry=to_wei(p.entry_cost_eth),
            honest_free=to_wei(p.honest_free_stake_eth),
            fee=reward * p.jackpot_bps // BPS if on else 0,
            pot=pot,
            share=pot // max(1, p.committee_size),
            escrow_capital=int(pot * reserved),
            seal=gas_wei(p.seal_gas, p.gas_price_gwei),
            catch_reveal=gas_wei(p.catch_reveal_gas, p.gas_price_gwei),
            claim=gas_wei(p.claim_gas, p.gas_price_gwei),
            assign_share=gas_wei(p.assign_gas, p.gas_price_gwei) // max(1, p.committee_size) if on else 0,
            draw=gas_wei(draw_gas + p.reveal_draw_gas, p.gas_price_gwei) if on else 0,
            draw_forced=gas_wei(draw_gas + p.reveal_forced_gas, p.gas_price_gwei) if on else 0,
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
class KindWindow:
    """One kind's totals over one window, for the look-back of entry and exit."""

    earned: int
    """Its members' profit before entry costs and bond capital: what its seats brought."""
    seats: int
    member_tasks: int


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
    (an honest result of the same draw, before its forced error's payouts); the cheater's own
    members' bond capital is added in `cheat_gain_per_cheat`."""
    cheats_declined: int = 0
    """Cheats the operator drew but did not make (informed, only_without_diligent, sees_committee)."""
    cheats_watched: int = 0
    """Cheats with a diligent member in their committee."""
    honest_tasks: int = 0
    forced_errors: int = 0
    """Forced draws on honest results."""
    forced_caught: int = 0
    """Honest forced errors that at least one committee member caught."""
    forced_cheats: int = 0
    """Forced draws on cheated results (nothing is paid: no member holds the made-up h_L)."""
    catches: int = 0
    jackpot_paid: int = 0
    """Wei paid from escrows to catching members."""
    seats: dict[str, int] = field(default_factory=dict)
    """Committee seats drawn, by who took them: diligent, lazy, sybil (the cheater's own members)."""
    escrow_deposits: dict[str, int] = field(default_factory=dict)
    """τ of the rewards, by operator (honest, cheater)."""
    escrow_top_ups: dict[str, int] = field(default_factory=dict)
    """What operators sent to their escrows to hold J before a claim (the first J included)."""
    escrow_withdrawn: dict[str, int] = field(default_factory=dict)
    honest_jackpot_cost: int = 0
    """What the honest operators' forced errors cost them: the catching members' pay."""
    sybil_capital: int = 0
    """The capital of the cheater's own members' bonds."""
    fixed_costs: dict[str, int] = field(default_factory=dict)
    """Entry costs and bond capital, by kind: what a verifier pays for being in the market at all."""
    tasks_with_diligent: int = 0
    """Tasks while at least one diligent verifier was registered."""
    tasks_with_diligent_member: int = 0
    """Tasks with a diligent verifier in their committee."""
    games: dict[str, int] = field(default_factory=dict)

    def kind_profit(self, kind: str) -> float | None:
        """ETH per verifier per task it was in the market (entry and bond capital included); None if
        none ever was."""
        members = [i for i, a in enumerate(self.agents) if a.kind == kind]
        present = sum(self.present(self.agents[i]) for i in members)
        if not present:
            return None
        return sum(self.ledger[FIXED + i] for i in members) / present / WEI

    def assigned_profit(self, kind: str) -> float | None:
        """ETH per committee seat the kind took: its profit before entry costs and bond capital."""
        seats = self.seats.get(kind, 0)
        if not seats:
            return None
        members = [i for i, a in enumerate(self.agents) if a.kind == kind]
        earned = sum(self.ledger[FIXED + i] for i in members) + self.fixed_costs.get(kind, 0)
        return earned / seats / WEI

    def present(self, agent: Agent) -> int:
        return (self.params.tasks if agent.left is None else agent.left) - agent.joined

    def summary(self) -> dict[str, Any]:
        counts = {k: [pop[k] for pop in self.populations] for k in KINDS}
        return {
            "verifier_profit_eth_per_task": {k: rounded(self.kind_profit(k)) for k in KINDS},
            "verifier_profit_eth_per_assigned_task": {k: rounded(self.assigned_profit(k))
                                                      for k in MEMBER_KINDS},
            "population_end": dict(self.populations[-1]),
            "population_mean": {k: round(sum(v) / len(v), 3) for k, v in counts.items()},
            "tasks_with_a_diligent_verifier_registered_share": round(
                self.tasks_with_diligent / self.params.tasks, 4),
            "tasks_with_a_diligent_committee_member_share": round(
                self.tasks_with_diligent_member / self.params.tasks, 4),
            "committee_seats": dict(sorted(self.seats.items())),
            "honest_operator_profit_eth_per_task": rounded(self.honest_profit()),
            "cheats": self.cheats,
            "cheats_caught": self.caught,
            "cheats_watched": self.cheats_watched,
            "cheats_declined": self.cheats_declined,
            "cheat_gain_eth_per_cheat": self.cheat_gain_per_cheat(),
            "sybil_members": self.params.sybil_members if self.params.strategy == "sybil_members" else 0,
            "games": dict(sorted(self.games.items())),
            "dispute_burned_eth": self.ledger[BURN] / WEI,
            **(self.jackpot_summary() if self.params.forced_error_ppm > 0 else {}),
        }

    def honest_profit(self) -> float | None:
        """ETH per honest result: the honest operators' net (their account and escrow together)."""
        if not self.honest_tasks:
            return None
        return sum(self.ledger[a] for a in HONEST_SIDE) / self.honest_tasks / WEI

    def honest_jackpot_cost_per_task(self) -> float:
        return self.honest_jackpot_cost / self.honest_tasks / WEI if self.honest_tasks else 0.0

    def cheat_gain_per_cheat(self) -> float | None:
        """ETH per cheated task over an honest result (whose forced errors cost it the members' pay:
        the run's mean), the cheater's own members' bond capital included."""
        if not self.cheats:
            return None
        return rounded((self.cheat_gain - self.sybil_capital) / self.cheats / WEI
                       + self.honest_jackpot_cost_per_task())

    def jackpot_summary(self) -> dict[str, Any]:
        return {
            "forced_errors": self.forced_errors,
            "forced_error_rate": (round(self.forced_errors / self.honest_tasks, 6) if self.honest_tasks
                                  else None),
            "forced_errors_caught": self.forced_caught,
            "forced_draws_on_cheats": self.forced_cheats,
            "catches": self.catches,
            "jackpot_paid_eth": self.jackpot_paid / WEI,
            "paid_to_verifiers_eth_per_forced_error": (round(self.jackpot_paid / self.forced_errors / WEI, 6)
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


def seat_value(p: SimParams) -> float:
    """Wei a diligent member expects from one committee seat on an honest result, from the public
    parameters: with probability p the result is forced, and with probability c = m/N its sample
    holds the interval ending at L: paid J // K less its seal, reveal and claim gas; a sample that
    holds only the interval starting at L costs a seal; the spot check costs m/N·C."""
    m = Money.of(p)
    n, k = p.intervals, p.sampled
    catch = k / n
    only_next = catch - k * (k - 1) / (n * (n - 1))
    forced = catch * (m.share - m.seal - m.catch_reveal - m.claim) - only_next * m.seal
    return p.forced_error_prob * forced - m.spot - m.assign_share


def rounded(value: float | None, digits: int = 9) -> float | None:
    return None if value is None else round(value, digits)


def draw_distinct(uniforms: Sequence[float], total: int) -> list[int]:
    """len(uniforms) distinct indices of range(total), uniformly (sequential draws without replacement)."""
    picks: list[int] = []
    for j, u in enumerate(uniforms[:total]):
        index = min(int(u * (total - j)), total - j - 1)
        for taken in sorted(picks):
            if index >= taken:
                index += 1
        picks.append(index)
    return picks


class Simulation:
    def __init__(self, params: SimParams) -> None:
        if params.strategy not in STRATEGIES:
            raise ValueError(f"strategy {params.strategy!r} is not one of {STRATEGIES}")
        if params.committee_size < 1:
            raise ValueError("committee_size must be at least 1")
        self.p = params
        self.m = Money.of(params)
        self.rng = np.random.default_rng(params.seed)
        self.ledger: list[int] = [0] * FIXED
        self.agents: list[Agent | None] = [None] * FIXED
        self.members: dict[str, list[int]] = {k: [] for k in KINDS}
        self.sybils = params.sybil_members if params.strategy == "sybil_members" else 0
        self.sybils_charged_until = 0
        self.per_task = {DILIGENT: self.m.capital + self.m.member_capital, LAZY: self.m.member_capital,
                         COPYCAT: self.m.capital}
        self.t = 0
        self.run = Run(params, self.ledger, [], [], [])
        self.recent: deque[bool] = deque(maxlen=max(1, params.informed_memory))
        """Strategy "informed": whether each of the market's latest public honest forced errors was caught."""
        self.pending: deque[tuple[int, bool]] = deque()
        """(task from which it is public, caught): forced errors whose catches are not yet revealed."""
        self.history: dict[str, deque[KindWindow]] = {
            k: deque(maxlen=max(1, params.lookback_tasks // params.window)) for k in KINDS}
        self.window_fixed = dict.fromkeys(KINDS, 0)
        self.window_seats = dict.fromkeys(KINDS, 0)
        self.prior = {DILIGENT: seat_value(params), LAZY: 0.0}
        self.prior_seats = {DILIGENT: params.prior_seats, LAZY: params.prior_seats}
        self.keep = int(self.m.pot * Decimal(repr(params.escrow_keep_pots)))
        self.top_up(HONEST)
        if params.cheat_rate > 0:
            self.top_up(CHEATER)
        for kind, n in ((DILIGENT, params.initial_diligent), (LAZY, params.initial_lazy),
                        (COPYCAT, params.initial_copycat)):
            for _ in range(min(n, params.max_population)):
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

    def fixed(self, index: int, amount: int) -> None:
        """A cost of being in the market (entry, bond capital), to the off-chain sink."""
        agent = self.agents[index]
        assert agent is not None
        self.pay(index, OFFCHAIN, amount)
        self.run.fixed_costs[agent.kind] = self.run.fixed_costs.get(agent.kind, 0) + amount
        self.window_fixed[agent.kind] += amount

    # ------------------------------------------------------------------ verifiers enter and leave

    def registered(self) -> int:
        """M: the committee pool's size (the cheater's own members included)."""
        return sum(len(self.members[k]) for k in MEMBER_KINDS) + self.sybils

    def join(self, kind: str) -> None:
        index = len(self.ledger)
        self.ledger.append(0)
        self.agents.append(Agent(kind, self.t, self.t))
        self.members[kind].append(index)
        self.fixed(index, self.m.entry)

    def charge(self, index: int, upto: int) -> None:
        """The bonds' capital since the agent was last charged."""
        agent = self.agents[index]
        assert agent is not None
        self.fixed(index, self.per_task[agent.kind] * (upto - agent.charged_until))
        agent.charged_until = upto

    def charge_sybils(self, upto: int) -> None:
        """The capital of the cheater's own members' bonds since they were last charged."""
        cost = self.m.member_capital * self.sybils * (upto - self.sybils_charged_until)
        self.pay(SYBIL_MEMBERS, OFFCHAIN, cost)
        self.run.sybil_capital += cost
        self.sybils_charged_until = upto

    def leave(self, index: int, at: int) -> None:
        agent = self.agents[index]
        assert agent is not None
        self.charge(index, at)
        agent.left = at
        self.members[agent.kind].remove(index)

    def expected_profit(self, kind: str, entrant: bool) -> float | None:
        """Wei per task a member of this kind expects now (an entrant: after it enters), from the
        kind's look-back. A member's income and checking costs come with its committee seats, K/M of
        the results with M registered: the earnings per seat times K/M (K/(M + 1) for an entrant),
        less its bonds' capital b. The earnings per seat are the look-back's, with `prior_seats`
        seats of what the public parameters promise a diligent seat on an honest result
        (`seat_value`) added, so that a few windows' luck does not decide alone. A copycat, not a
        member: the look-back's profit per member per task, None without one."""
        history = self.history[kind]
        if kind not in MEMBER_KINDS:
            if not history:
                return None
            return sum(w.earned for w in history) / sum(w.member_tasks for w in history) - self.per_task[kind]
        seats = sum(w.seats for w in history) + self.prior_seats[kind]
        earned = sum(w.earned for w in history) + self.prior_seats[kind] * self.prior[kind]
        per_seat = earned / seats if seats else 0.0
        pool = max(1, self.registered() + entrant)
        return per_seat * min(1.0, self.p.committee_size / pool) - self.per_task[kind]

    def end_window(self, at: int) -> None:
        for ms in self.members.values():
            for a in ms:
                self.charge(a, at)
        self.charge_sybils(at)
        profits = {k: [self.ledger[a] - self.window_start[a] for a in ms] for k, ms in self.members.items()}
        for kind, window_profits in profits.items():
            if window_profits:
                self.history[kind].append(KindWindow(
                    sum(window_profits) + self.window_fixed[kind], self.window_seats[kind],
                    len(window_profits) * self.p.window))
        draws = self.rng.random(len(KINDS))
        for kind, draw in zip(KINDS, draws, strict=True):
            ms = self.members[kind]
            if not ms:
                if draw < self.p.explore_prob:
                    self.join(kind)
                continue
            entrant = self.expected_profit(kind, entrant=True) or 0.0
            member = self.expected_profit(kind, entrant=False) or 0.0
            if entrant * self.p.window > self.m.entry and len(ms) < self.p.max_population:
                self.join(kind)
            elif member < 0:
                worst = min(range(len(ms)), key=lambda i: (profits[kind][i], i))
                self.leave(ms[worst], at)
        self.window_start = {a: self.ledger[a] for ms in self.members.values() for a in ms}
        self.window_fixed = dict.fromkeys(KINDS, 0)
        self.window_seats = dict.fromkeys(KINDS, 0)
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

    # ------------------------------------------------------------------ committees, escrows, pots

    def committee(self, uniforms: Sequence[float]) -> list[int]:
        """The diligent members drawn for one result (K distinct seats over M registered members;
        seats that fall to lazy members or the cheater's own members check nothing). Each diligent
        member drawn pays its spot check."""
        pool = self.members[DILIGENT] + self.members[LAZY]
        drawn = draw_distinct(uniforms, len(pool) + self.sybils)
        diligent = []
        for index in drawn:
            seat = SYBIL if index >= len(pool) else pool[index]
            kind = "sybil" if seat == SYBIL else DILIGENT if index < len(self.members[DILIGENT]) else LAZY
            self.run.seats[kind] = self.run.seats.get(kind, 0) + 1
            if kind != "sybil":
                self.window_seats[kind] += 1
            if kind == DILIGENT:
                self.pay(seat, OFFCHAIN, self.m.spot)
                self.pay(seat, GAS, self.m.assign_share)
                diligent.append(seat)
        self.run.tasks_with_diligent_member += bool(diligent)
        return diligent

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

    def pot(self, operator: int, catchers: Sequence[int]) -> int:
        """A revealed forced error: each catching member gets J // K from the operator's escrow (its
        task's reservation); what is not caught stays there. Nothing is burned. Returns the share."""
        share = min(self.m.share, self.ledger[ESCROW[operator]] // max(1, len(catchers)))
        for account in catchers:
            self.pay(account, GAS, self.m.catch_reveal + self.m.claim)
            self.pay(ESCROW[operator], account, share)
            self.run.catches += 1
            self.run.jackpot_paid += share
        return share

    # ------------------------------------------------------------------ tasks

    def ordered(self, accounts: Sequence[int]) -> list[int]:
        if len(accounts) < 2:
            return list(accounts)
        return [accounts[i] for i in self.rng.permutation(len(accounts))]

    def cheat(self, forced: bool, diligent: list[int]) -> None:
        p, m = self.p, self.m
        before = sum(self.ledger[a] for a in COALITION)
        self.claim(CHEATER)
        draw_gas = m.draw_forced if forced else m.draw
        self.pay(CHEATER, GAS, draw_gas)
        diligent = self.ordered(diligent)
        copycats = [] if p.hidden_roots else self.ordered(self.members[COPYCAT])
        for d in diligent:
            # the spot check saw a wrong state: seal it (it cannot yet tell a forced error from a
            # cheat); the reveal says "not a forced error" (or names a made-up h_L its state does not
            # match), and `open` needs the trace root: a full replay, in the reveal phase
            if p.forced_error_ppm > 0:
                self.pay(d, GAS, m.seal)
            self.pay(d, OFFCHAIN, m.replay)
        self.run.cheats_watched += bool(diligent)
        first: list[Opener] = []
        if p.strategy == "collusion":
            first = [(COLLUDER, "colluder")]
        elif p.strategy == "second_account":
            first = [(SYBIL, "sybil")]
        openers: list[Opener] = [(d, DILIGENT) for d in diligent]
        if p.committee_first and openers:
            # only the result's committee may open in the first part of the game phase
            # (`CommitteeGoesFirst`): its diligent members hold the task stake; then the operator's
            # account or accomplice, then copycats
            openers = openers + first + [(c, COPYCAT) for c in copycats]
        elif first and (p.strategy == "collusion" or not openers or self.rng.random() < p.sybil_first_prob):
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
        if forced:  # revealed with a made-up h_L that no member holds: nothing is paid
            self.run.forced_cheats += 1
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

    def catchers(self, diligent: Sequence[int]) -> list[int]:
        """The diligent members whose spot sample holds the interval ending at the forced leaf L (so
        they hold the honest h_L). One that sampled only the interval starting at L seals too, and
        learns at the reveal that its seal names the wrong state."""
        p, m = self.p, self.m
        leaf = int(self.rng.integers(1, p.intervals))
        caught = []
        for d in diligent:
            sample = self.rng.choice(p.intervals, size=p.sampled, replace=False) + 1
            if leaf in sample or leaf + 1 in sample:
                self.pay(d, GAS, m.seal)
            if leaf in sample:
                caught.append(d)
        return caught

    def forced_error(self, diligent: list[int]) -> None:
        """An honest result drawn forced: wrong in h_L only; J of its operator's escrow is the pot."""
        m = self.m
        self.claim(HONEST)
        self.pay(HONEST, OFFCHAIN, m.compute)
        self.pay(HONEST, GAS, m.draw_forced)
        self.run.forced_errors += 1
        caught = self.catchers(diligent)
        self.run.forced_caught += bool(caught)
        self.pending.append((self.t + self.p.informed_lag_tasks, bool(caught)))
        before = sum(self.ledger[a] for a in HONEST_SIDE)
        self.pot(HONEST, caught)
        self.run.honest_jackpot_cost += before - sum(self.ledger[a] for a in HONEST_SIDE)
        self.paid(HONEST)

    def honest(self) -> None:
        self.claim(HONEST)
        self.pay(HONEST, OFFCHAIN, self.m.compute)
        self.pay(HONEST, GAS, self.m.draw)
        self.paid(HONEST)

    def looks_unwatched(self) -> bool:
        """Strategy "informed": none of the market's last `informed_memory` honest forced errors was
        caught, of those whose catches are public by now."""
        while self.pending and self.pending[0][0] <= self.t:
            self.recent.append(self.pending.popleft()[1])
        return len(self.recent) == self.recent.maxlen and not any(self.recent)

    def decides_to_cheat(self, drawn: bool, committee: Sequence[int]) -> bool:
        """Whether a cheat the operator drew is made. Only "sees_committee" looks at the result's
        committee, which no operator knows when it submits."""
        p = self.p
        if not drawn:
            return False
        if ((p.strategy == "only_without_diligent" and self.members[DILIGENT])
                or (p.strategy == "informed" and not self.looks_unwatched())
                or (p.strategy == "sees_committee" and committee)):
            self.run.cheats_declined += 1
            return False
        return True

    def simulate(self) -> Run:
        p = self.p
        cheat_draws = self.rng.random(p.tasks)
        forced_draws = self.rng.random(p.tasks)
        seat_draws = self.rng.random((p.tasks, p.committee_size))
        self.record()
        for t in range(p.tasks):
            self.t = t
            self.run.tasks_with_diligent += bool(self.members[DILIGENT])
            forced = bool(forced_draws[t] < p.forced_error_prob)
            diligent = self.committee(seat_draws[t].tolist())  # drawn after the submission
            cheats = self.decides_to_cheat(bool(cheat_draws[t] < p.cheat_rate), diligent)
            if cheats:
                self.cheat(forced, diligent)
            else:
                self.run.honest_tasks += 1
                if forced:
                    self.forced_error(diligent)
                else:
                    self.honest()
            if (t + 1) % p.window == 0:
                self.end_window(t + 1)
        for ms in self.members.values():
            for a in list(ms):
                self.charge(a, p.tasks)
        self.charge_sybils(p.tasks)
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

ON_CHAIN = SimParams(tasks=100_000, forced_error_ppm=100_000, jackpot_bps=2_000, pot_eth=20.0,
                     committee_size=1, sample_rate=0.05, verifier_bond_eth=75.0)
"""The committee mechanism with the values of docs/economics.md ("Forced errors and the verifier
committee: parameters"): p = 10 %, K = 1, J = 20 (R = 1), c = 1 of 20 intervals, B = 75, τ = 20 %."""
WITHOUT_JACKPOT = replace(ON_CHAIN, forced_error_ppm=0, jackpot_bps=0, pot_eth=0.0)
"""The same market with forced errors off (forced_error_ppm = 0): the dispute rules alone."""
INFORMED_MEMORIES = (3, 10, 30, 100)
"""Strategy "informed" is run with each look-back; the best counts."""
SYBIL_COUNTS = (10, 30, 100, 200, 300, 400, 600, 1_000, 3_000)
"""Strategy "sybil_members" is run with each number m of the cheater's own members; the best counts."""
VARIANTS: dict[str, dict[str, Any]] = {
    "bond_1_eth": {"verifier_bond_eth": 1.0},
    "bond_25_eth": {"verifier_bond_eth": 25.0},
    "pot_18": {"pot_eth": 18.0},
    "pot_16": {"pot_eth": 16.0},
    "committee_2_pot_40": {"committee_size": 2, "pot_eth": 40.0},
    "committee_2_pot_40_bond_1_eth": {"committee_size": 2, "pot_eth": 40.0, "verifier_bond_eth": 1.0},
    "committee_3_pot_60": {"committee_size": 3, "pot_eth": 60.0},
    "coverage_0.1_pot_26": {"sample_rate": 0.1, "pot_eth": 26.0},
}
"""Alternatives to ON_CHAIN's values, each run at 0 % and with every strategy at VARIANT_RATES."""
VARIANT_RATES = (0.10,)
"""The rate at which the cheater's own members pay it best (the others are in by_cheat_rate)."""


def run_all(params: Sequence[SimParams]) -> list[Run]:
    """Simulate each, on up to two processes when the work is large (the runs are independent)."""
    workers = min(2, os.cpu_count() or 1)
    if workers < 2 or sum(p.tasks for p in params) < 500_000:
        return [simulate(p) for p in params]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(simulate, params, chunksize=2))


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


Key = tuple[float, str, int]
"""(cheat rate, strategy, its parameter: the informed look-back or the number of own members; 0)."""


def variants_of(strategy: str) -> tuple[int, ...]:
    return {"informed": INFORMED_MEMORIES, "sybil_members": SYBIL_COUNTS}.get(strategy, (0,))


def with_strategy(base: SimParams, rate: float, strategy: str, value: int) -> SimParams:
    extra = {"informed": {"informed_memory": value},
             "sybil_members": {"sybil_members": value}}.get(strategy, {})
    return replace(base, cheat_rate=rate, strategy=strategy, **extra)


def grid(base: SimParams, rates: Sequence[float] = CHEAT_RATES) -> dict[Key, Run]:
    """Every cheat rate with every strategy and each of its parameters (at 0 % only "plain")."""
    keys = [(rate, s, v) for rate in rates for s in (strategies(base) if rate > 0 else ("plain",))
            for v in (variants_of(s) if rate > 0 else (0,))]
    runs = run_all([with_strategy(base, rate, s, v) for rate, s, v in keys])
    return dict(zip(keys, runs, strict=True))


def gain(run: Run) -> float | None:
    return run.cheat_gain_per_cheat()


def best_of(runs: dict[Key, Run], rate: float, strategy: str) -> tuple[float | None, int]:
    """The strategy's best gain at this rate over its parameters, and the parameter."""
    known = [(g, v) for (r, s, v), run in runs.items()
             if r == rate and s == strategy and (g := gain(run)) is not None]
    return max(known) if known else (None, 0)


def sampled(run: Run, values: Sequence[int] | Sequence[float]) -> list[Any]:
    step = max(1, SAMPLE_EVERY // run.params.window)
    return list(values[::step])


def rate_entry(runs: dict[Key, Run], base: SimParams, rate: float) -> dict[str, Any]:
    plain = runs[rate, "plain", 0].summary()
    entry: dict[str, Any] = {
        **{f"{k}_verifier_profit_eth": plain["verifier_profit_eth_per_task"][k] for k in KINDS},
        "diligent_verifier_profit_eth_per_assigned_task":
            plain["verifier_profit_eth_per_assigned_task"][DILIGENT],
        "population_end": plain["population_end"],
        "population_mean": plain["population_mean"],
        "tasks_with_a_diligent_committee_member_share": plain["tasks_with_a_diligent_committee_member_share"],
        "honest_operator_profit_eth_per_task": plain["honest_operator_profit_eth_per_task"],
    }
    if base.forced_error_ppm > 0:
        entry["jackpot_escrow_eth_end"] = plain["jackpot_escrow_eth_end"]
        entry["paid_to_verifiers_eth_per_forced_error"] = plain["paid_to_verifiers_eth_per_forced_error"]
    if rate > 0:
        names = strategies(base)
        best = {s: best_of(runs, rate, s) for s in names}
        strategy_gain = {s: g for s, (g, _) in best.items()}
        realistic = [s for s in names if s in REALISTIC and strategy_gain[s] is not None]
        top = max(realistic, key=lambda s: strategy_gain[s] or 0.0)
        entry |= {
            "strategy_gain_eth": strategy_gain, "best_cheat_gain_eth_here": strategy_gain[top],
            "best_strategy": top,
            "cheats_by_strategy": {s: runs[rate, s, best[s][1]].cheats for s in names},
            "cheats_caught_by_strategy": {s: runs[rate, s, best[s][1]].caught for s in names},
        }
        if "informed" in names:
            entry["informed_gain_eth_by_memory"] = {v: gain(runs[rate, "informed", v])
                                                    for v in INFORMED_MEMORIES}
        entry["sybil_members_gain_eth_by_members"] = {v: gain(runs[rate, "sybil_members", v])
                                                      for v in SYBIL_COUNTS}
        entry["sybil_members_diligent_population_mean_by_members"] = {
            v: runs[rate, "sybil_members", v].summary()["population_mean"][DILIGENT] for v in SYBIL_COUNTS}
        entry["sybil_members_best"] = best["sybil_members"][1]
    entry["runs"] = {s: runs[rate, s, best_of(runs, rate, s)[1] if rate > 0 else 0].summary()
                     for s in (strategies(base) if rate > 0 else ("plain",))}
    return entry


def block(runs: dict[Key, Run], base: SimParams) -> dict[str, Any]:
    """The figures of one mechanism: per cheat rate, then the headline figures. `best_cheat_gain_eth`
    is over the strategies an operator can play (and every parameter of each); "sees_committee",
    the bound of an operator that knew the committee, is apart."""
    rates = sorted({r for r, _, _ in runs})
    gains: dict[Key, float] = {k: g for k, run in runs.items() if (g := gain(run)) is not None}

    def worst(kind: str) -> float | None:
        values = [v for r in runs.values() if (v := r.kind_profit(kind)) is not None]
        return rounded(max(values)) if values else None

    realistic = {k: g for k, g in gains.items() if k[1] in REALISTIC}
    best_key = max(realistic, key=lambda k: realistic[k]) if realistic else None
    sighted = {k: g for k, g in gains.items() if k[1] == "sees_committee"}
    sighted_key = max(sighted, key=lambda k: sighted[k]) if sighted else None
    zero = runs[0.0, "plain", 0]
    z = zero.summary()
    headline = {
        "diligent_verifier_profit_eth_at_0pct": rounded(zero.kind_profit(DILIGENT)),
        "lazy_verifier_profit_eth": worst(LAZY),
        "copycat_verifier_profit_eth": worst(COPYCAT),
        "best_cheat_gain_eth": realistic[best_key] if best_key else None,
    }
    return {
        **headline,
        "diligent_verifier_profit_eth_per_assigned_task_at_0pct":
            z["verifier_profit_eth_per_assigned_task"][DILIGENT],
        "diligent_verifier_profit_what":
            "diligent_verifier_profit_eth_at_0pct: ETH per verifier per task it is in the market, net of its "
            "entry cost and its bonds' capital; …_per_assigned_task: ETH per committee seat, before entry "
            "and bonds",
        "best_cheat": ({"strategy": best_key[1], "cheat_rate_pct": round(best_key[0] * 100),
                        **({"parameter": best_key[2]} if best_key[2] else {}),
                        "over": [s for s in REALISTIC if s in strategies(base)]} if best_key else None),
        "best_cheat_gain_eth_if_the_operator_sees_the_verifiers":
            sighted[sighted_key] if sighted_key else None,
        "best_cheat_if_the_operator_sees_the_verifiers": (
            {"strategy": sighted_key[1], "cheat_rate_pct": round(sighted_key[0] * 100),
             "what": "upper bound: the operator knows, when it decides, whether a diligent member will be "
                     "drawn for the result; the committee is drawn from randomness fixed after the "
                     "submission, so no operator does"} if sighted_key else None),
        "strategy_gain_eth": {s: max((g for (_, s2, _), g in gains.items() if s2 == s), default=None)
                              for s in strategies(base)},
        "honest_operator_profit_eth_per_task_at_0pct": z["honest_operator_profit_eth_per_task"],
        "plain_cheat_pays_below_watched_share": round(
            base.compute_cost_eth / (base.reward_eth + base.min_stake_eth), 4),
        "by_cheat_rate": {pct(rate): rate_entry(runs, base, rate) for rate in rates},
        "population_at_0pct": {k: sampled(zero, [pop[k] for pop in zero.populations]) for k in KINDS},
        "population_sampled_every_tasks": SAMPLE_EVERY,
        "goals_met": {name: meets(headline[name], goal) for name, goal in GOALS.items()},
    }


def goal_view(figures: dict[str, Any]) -> dict[str, Any]:
    keys = (*GOALS, "goals_met", "best_cheat", "best_cheat_gain_eth_if_the_operator_sees_the_verifiers",
            "strategy_gain_eth", "honest_operator_profit_eth_per_task_at_0pct",
            "diligent_verifier_profit_eth_per_assigned_task_at_0pct")
    return {**{k: figures[k] for k in keys if k in figures},
            "by_cheat_rate": {r: {k: v for k, v in e.items() if k != "runs"}
                              for r, e in figures["by_cheat_rate"].items()}}


def committee_economics(p: SimParams) -> dict[str, float]:
    """The formulas behind the defaults (ETH): what one diligent seat earns on an honest result, what
    a seat costs the operator, and what it takes the cheater's own members to dilute or evict the
    diligent ones."""
    m = Money.of(p)
    seat = seat_value(p) / WEI
    capital = (m.member_capital + m.capital) / WEI
    pays = p.forced_error_prob * p.coverage * m.share / WEI
    return {
        "seat_value_eth": round(seat, 6),
        "operator_pays_per_diligent_seat_eth": round(pays, 6),
        "operator_pays_per_task_all_seats_diligent_eth": round(p.committee_size * pays, 6),
        "member_bond_capital_eth_per_task": m.member_capital / WEI,
        "diligent_bonds_capital_eth_per_task": capital,
        "members_a_diligent_verifier_stays_among":
            math.floor(p.committee_size * seat / capital) if capital else None,
        "eviction_cost_eth_per_task": round(p.committee_size * seat, 6),
        "eviction_cost_what": "own members M − n that push a diligent member's seats K/M below its "
                              "bonds' capital cost the cheater about K·seat_value per task of the market, "
                              "whatever B: it pays the members' whole margin on every seat, and gains on its "
                              "cheated tasks only",
    }


def rationale(p: SimParams) -> dict[str, str]:
    """Why ON_CHAIN's values, from the formulas (the simulation checks them)."""
    e = committee_economics(p)
    m = Money.of(p)
    c, pf, k = p.coverage, p.forced_error_prob, p.committee_size
    seat, pays = e["seat_value_eth"], e["operator_pays_per_diligent_seat_eth"]
    return {
        "committee_size": (
            f"K = {k}: a cheat is seen when a diligent member is drawn, and one seat does that when the "
            "members are diligent; every further seat makes each honest result pay another member's "
            "margin, and two diligent members on one cheat both replay it while only the game that "
            "holds the task stake pays"),
        "sample_rate": (
            f"c = {c:g} ({p.sampled} of {p.intervals} intervals): any sampled interval shows a faked run, "
            "so c only sets the checking cost c·C and the chance to catch a forced error; the operator "
            f"pays a diligent seat p·c·J/K = {pays:g} per result for a margin of {seat:g}, so the least c "
            "is the cheapest"),
        "pot_eth": (
            f"J = {p.pot_eth:g}: a diligent seat earns c·(p·J/K − C) less gas = {seat:g} per result (> 0 "
            f"needs J/K > C/p = {p.compute_cost_eth / pf:g}). The cheater's own members evict the "
            f"diligent ones at a cost of about K·{seat:g} per task of the market, which must exceed "
            "what evicting gains it at a 10 % cheat rate, about 0.1·(C + what the forced errors cost "
            "an honest result) ≈ 0.07"),
        "verifier_bond_eth": (
            f"B = {p.verifier_bond_eth:g}: its capital, {e['member_bond_capital_eth_per_task']:.3g} per "
            "member per task, is what the cheater pays for each own member; diluting n diligent "
            "members to a detection of about K·n/M costs it M·B's capital on every task, so B must be "
            "large; a diligent member stays among up to "
            f"{e['members_a_diligent_verifier_stays_among']} members"),
        "jackpot_bps": (
            f"τ = {p.jackpot_bps / BPS:g}: τ only refills the operator's own escrow (the money stays its "
            "own, withdrawable above its reservations), so it moves no one's profit"),
        "forced_error_ppm": (
            f"p = {pf:g}: a diligent seat catches on p·c = {pf * c:g} of the results; a forced error "
            f"costs the operator {(m.draw_forced - m.draw) / WEI:g} more draw gas and a restarted "
            "challenge window"),
    }


def derived(p: SimParams) -> dict[str, Any]:
    m = Money.of(p)
    return {
        **asdict(p),
        "sampled_intervals": p.sampled,
        "coverage": p.coverage,
        "spot_check_eth": m.spot / WEI,
        "full_replay_eth": m.replay / WEI,
        "game_gas_per_side_eth": m.game_gas / WEI,
        "open_gas_eth": m.open_gas / WEI,
        "close_gas_eth": m.close_gas / WEI,
        "bond_capital_eth_per_task": m.capital / WEI,
        "member_bond_capital_eth_per_task": m.member_capital / WEI,
        "escrow_capital_eth_per_task": m.escrow_capital / WEI,
        "winner_share_of_stake_eth": m.winner_stake / WEI,
        "catch_share_eth": m.share / WEI,
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
        "committee_size": p.committee_size,
        "catch_share_eth": Money.of(p).share / WEI,
        "verifier_bond_eth": p.verifier_bond_eth,
        "coverage": p.coverage,
        "sampled_intervals": p.sampled,
        "uncaught_rest_of_a_pot": "stays in the operator's escrow (nothing is burned)",
        "reservation_days": p.reservation_days,
        "escrow_capital_eth_per_task": Money.of(p).escrow_capital / WEI,
        "seal_gas": p.seal_gas,
        "catch_reveal_gas": p.catch_reveal_gas,
        "claim_gas": p.claim_gas,
        "commit_draw_gas": p.commit_draw_gas,
        "reveal_draw_gas": p.reveal_draw_gas,
        "reveal_forced_gas": p.reveal_forced_gas,
        "gas_price_gwei": p.gas_price_gwei,
        "seed": p.seed,
        "committee_economics": committee_economics(p),
        "rationale": rationale(p),
    }


def jackpot_figures(runs: dict[Key, Run], without: dict[Key, Run],
                    base: SimParams = ON_CHAIN) -> dict[str, Any]:
    """The escrow, the forced errors and the catches at 0 %, and the honest operator's profit with
    and without forced errors."""
    zero = runs[0.0, "plain", 0]
    z = zero.summary()
    in_flight = base.tasks_per_day * base.reservation_days
    return {
        "jackpot_parameters": jackpot_parameters(base),
        "jackpot_escrow_eth": sampled(zero, [f / WEI for f in zero.escrow]),
        "jackpot_escrow_what": "the honest operators' escrow at the end of each window (before they "
                               "withdraw the excess over escrow_keep_pots·J), sampled every "
                               "jackpot_escrow_sampled_every_tasks, at 0 %",
        "jackpot_escrow_sampled_every_tasks": SAMPLE_EVERY,
        "jackpot_escrow_eth_end": z["jackpot_escrow_eth_end"],
        "jackpot_escrow_eth_end_by_cheat_rate": {pct(r): runs[r, "plain", 0].ledger[HONEST_ESCROW] / WEI
                                                 for r in sorted({r for r, _, _ in runs})},
        "jackpot_at_0pct": {k: z[k] for k in (
            "forced_errors", "forced_error_rate", "forced_errors_caught", "catches", "jackpot_paid_eth",
            "paid_to_verifiers_eth_per_forced_error", "honest_forced_error_cost_eth_per_task",
            "escrow_deposits_eth", "escrow_top_ups_eth", "escrow_withdrawn_eth", "jackpot_escrow_eth_end",
            "jackpot_escrow_eth_mean", "jackpot_escrow_eth_min", "jackpot_escrow_eth_max", "committee_seats",
            "tasks_with_a_diligent_committee_member_share")},
        "committee_pay_eth_per_catch": Money.of(base).share / WEI,
        "committee_pay_what": "a catching member is paid J/K from the operator's escrow; what the committee "
                              "does not catch stays there, and nothing is burned",
        "escrow_reserved": {
            "reservation_days": base.reservation_days,
            "tasks_in_flight_market_wide": in_flight,
            "escrow_reserved_eth_market_wide": in_flight * base.pot_eth,
            "escrow_capital_eth_per_task": Money.of(base).escrow_capital / WEI,
            "what": "every claimed task reserves J of its operator's escrow from the claim to the "
                    "finalisation; the simulation settles one task at a time, so its ledger escrow holds "
                    "one reservation; the others are charged as the capital they lock, "
                    "J·annual_rate·reservation_days/365 per task",
        },
        "forced_errors": z["forced_errors"],
        "forced_errors_caught": z["forced_errors_caught"],
        "catches": z["catches"],
        "honest_operator_profit_eth_per_task": {
            "with_forced_errors": z["honest_operator_profit_eth_per_task"],
            "without_forced_errors":
                without[0.0, "plain", 0].summary()["honest_operator_profit_eth_per_task"],
            "forced_errors_cost": z["honest_forced_error_cost_eth_per_task"],
            "what": "R − C − gas − the reservation's capital, less what its forced errors cost it (the "
                    "catching members' pay), per honest result, at 0 % cheating",
        },
    }


def best_cheat_run(runs: dict[Key, Run], best: dict[str, Any] | None) -> dict[str, Any] | None:
    """The diligent population and watch of the run that gave the best cheat."""
    if best is None:
        return None
    run = runs[best["cheat_rate_pct"] / 100, best["strategy"], best.get("parameter", 0)].summary()
    return {"diligent_population_mean": run["population_mean"][DILIGENT],
            "tasks_with_a_diligent_committee_member_share":
                run["tasks_with_a_diligent_committee_member_share"],
            "cheats_caught": run["cheats_caught"], "cheats": run["cheats"]}


def variant_figures(base: SimParams) -> dict[str, Any]:
    """Each VARIANTS entry: the diligent verifier and the honest operator at 0 %, the best cheat at
    VARIANT_RATES over the playable strategies."""
    cases = {name: replace(base, **change) for name, change in VARIANTS.items()}
    grids = {name: grid(params, (0.0, *VARIANT_RATES)) for name, params in cases.items()}
    out: dict[str, Any] = {}
    for name, runs in grids.items():
        figures = block(runs, cases[name])
        zero = runs[0.0, "plain", 0].summary()
        out[name] = {
            "change": VARIANTS[name],
            "diligent_verifier_profit_eth_at_0pct": figures["diligent_verifier_profit_eth_at_0pct"],
            "diligent_verifier_profit_eth_per_assigned_task_at_0pct":
                figures["diligent_verifier_profit_eth_per_assigned_task_at_0pct"],
            "diligent_population_mean_at_0pct": zero["population_mean"][DILIGENT],
            "honest_operator_profit_eth_per_task_at_0pct": zero["honest_operator_profit_eth_per_task"],
            "best_cheat_gain_eth": figures["best_cheat_gain_eth"],
            "best_cheat": figures["best_cheat"],
            "best_cheat_run": best_cheat_run(runs, figures["best_cheat"]),
            "goals_met": figures["goals_met"],
            "seat_value_eth": committee_economics(cases[name])["seat_value_eth"],
        }
    return out


def dilemma_figures() -> tuple[dict[str, Any], dict[str, Any]]:
    """(economics.dilemma, the series for the plot)."""
    runs = grid(ON_CHAIN)
    without = grid(WITHOUT_JACKPOT)
    dilemma = {
        "on_chain": True,
        "model": "agent-based: bench/economics_sim.py; docs/economics.md 'Verifier populations "
                 "(simulation)'; forced errors caught by a committee of K registered members drawn per "
                 "result and paid J/K each from the operator's own escrow (nothing burned)",
        "units": "verifier profit: ETH per verifier per task it is in the market (entry cost and bond "
                 "capital included; lazy and copycat: the most any run gave); cheat gain: ETH per cheated "
                 "task over an honest result, at the populations the run produced (best: over the "
                 "strategies an operator can play, their parameters and the cheat rates)",
        **block(runs, ON_CHAIN),
        "goals": dict(GOALS),
        **jackpot_figures(runs, without),
        "defaults": {"committee_size": ON_CHAIN.committee_size, "pot_eth": ON_CHAIN.pot_eth,
                     "verifier_bond_eth": ON_CHAIN.verifier_bond_eth, "coverage": ON_CHAIN.coverage,
                     "sampled_intervals": ON_CHAIN.sampled, "forced_error_ppm": ON_CHAIN.forced_error_ppm,
                     "jackpot_bps": ON_CHAIN.jackpot_bps},
        "informed_gain_eth_if_catches_were_public_at_once": {
            "what": "strategy informed with informed_lag_tasks = 0, at 10 %: by look-back",
            **{str(v): gain(r) for v, r in zip(INFORMED_MEMORIES, run_all(
                [with_strategy(replace(ON_CHAIN, informed_lag_tasks=0), 0.10, "informed", v)
                 for v in INFORMED_MEMORIES]), strict=True)},
        },
        "without_jackpot": {
            "what": "the same market with forced_error_ppm = 0 (no draws, no escrow, no pay for "
                    "members): the dispute rules alone",
            **goal_view(block(without, WITHOUT_JACKPOT)),
        },
        "variants": variant_figures(ON_CHAIN),
        "parameters": derived(ON_CHAIN),
    }
    return dilemma, {"on_chain": runs, "without_jackpot": without}


def plot(series: dict[str, dict[Key, Run]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[dev]'): no dilemma plot")
        return False
    committee, without = series["on_chain"], series["without_jackpot"]
    rates = [r * 100 for r in CHEAT_RATES]
    colours = {DILIGENT: "tab:green", LAZY: "tab:grey", COPYCAT: "tab:orange",
               "plain": "tab:red", "second_account": "tab:purple", "collusion": "tab:brown",
               "informed": "tab:olive", "sybil_members": "tab:pink", "only_without_diligent": "tab:cyan",
               "sees_committee": "tab:blue"}
    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))
    cases = ((committee, "-", "o", "committee"), (without, "--", "x", "no forced errors"))

    ax = axes[0][0]
    for kind in KINDS:
        for runs, style, marker, where in cases:
            profits = [runs[r, "plain", 0].kind_profit(kind) or 0.0 for r in CHEAT_RATES]
            ax.plot(rates, profits, marker=marker, linestyle=style, color=colours[kind],
                    label=f"{kind} ({where})")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_yscale("symlog", linthresh=1e-5)
    ax.set(title="verifier profit per task in the market (plain cheats), by cheat rate",
           xlabel="operators cheating (%)", ylabel="ETH per verifier per task (symlog)")
    ax.legend(fontsize=6.5, ncol=2)

    ax = axes[0][1]
    for rate in (0.0, 0.02, 0.10):
        for runs, style, _, where in cases:
            run = runs[rate, "plain", 0]
            counts = np.array([pop[DILIGENT] for pop in run.populations[1:]], dtype=float)
            span = max(1, SAMPLE_EVERY // run.params.window)
            smooth = np.convolve(counts, np.ones(span) / span, mode="valid")
            ax.plot((np.arange(len(smooth)) + span) * run.params.window, smooth, linestyle=style, linewidth=1,
                    label=f"{pct(rate)} ({where})")
    ax.set(title=f"diligent verifiers registered (mean over {SAMPLE_EVERY} tasks)", xlabel="task",
           ylabel="diligent verifiers")
    ax.legend(fontsize=6.5, ncol=2)

    ax = axes[1][0]
    cheating = [r for r in CHEAT_RATES if r > 0]
    for strategy in STRATEGIES:
        for runs, style, where in ((committee, "-", "committee"), (without, "--", "no forced errors")):
            if (cheating[0], strategy, variants_of(strategy)[0]) not in runs:
                continue
            gains = [best_of(runs, r, strategy)[0] for r in cheating]
            label = {"sees_committee": "sees_committee (bound)", "informed": "informed (best look-back)",
                     "sybil_members": "sybil_members (best m)"}.get(strategy, strategy)
            ax.plot([r * 100 for r in cheating], [g if g is not None else np.nan for g in gains],
                    linestyle=style, marker=".", color=colours[strategy], label=f"{label} ({where})")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(title="cheater's gain over honest work, per cheated task", xlabel="operators cheating (%)",
           ylabel="ETH (R = 1, C = 0.6, s = 2)")
    ax.legend(fontsize=6.5, ncol=2)

    ax = axes[1][1]
    for rate in (0.0, 0.10):
        run = committee[rate, "plain", 0]
        ax.plot([i * run.params.window for i in range(len(run.escrow))], [f / WEI for f in run.escrow],
                linewidth=0.8, label=f"{pct(rate)}")
    p = ON_CHAIN
    ax.axhline(p.pot_eth, color="black", linewidth=0.6, linestyle="--", label="J, the least to claim")
    ax.set(title=f"honest operators' escrow at each {p.window}-task window's end\n"
                 f"(p = {p.forced_error_prob:g}, K = {p.committee_size}, J = {p.pot_eth:g} ETH, "
                 f"τ = {p.jackpot_bps / BPS:g}; excess over {p.escrow_keep_pots:g}·J withdrawn after)",
           xlabel="task", ylabel="ETH")
    ax.legend(fontsize=8)

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
