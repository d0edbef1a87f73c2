"""The verifier-population simulation (bench/economics_sim.py): determinism, conservation of
money, and cases computed by hand under the spec's rules (per-game collateral, FIFO queue, moot
games closed with their bond back) and docs/forced-errors.md (forced errors, sealed catches, each
operator's own escrow, the decaying split with the unpaid rest burned)."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal

import pytest

from bench import economics_sim as sim
from bench.economics_sim import (
    BURN,
    CHEATER,
    CHEATER_ESCROW,
    COLLUDER,
    COPYCAT,
    DILIGENT,
    FIXED,
    GAS,
    HONEST,
    HONEST_ESCROW,
    HONEST_SYBIL,
    LAZY,
    OFFCHAIN,
    SUBMITTER,
    SYBIL,
    Money,
    SimParams,
    Simulation,
    net,
    settle,
    simulate,
)

pytestmark = pytest.mark.unit

WEI = 10**18
ALONE = SimParams(tasks=1, initial_diligent=1, initial_lazy=0, initial_copycat=0, cheat_rate=1.0,
                  window=10**9)
"""One task, cheated; one diligent verifier; no population change."""
MONEY = Money.of(SimParams())
D, C = 100, 101  # two challengers' accounts for settle()
WON = MONEY.winner_stake - MONEY.open_gas - MONEY.game_gas - MONEY.close_gas
"""A challenger that plays a game to its win, net."""


def eth(text: str) -> int:
    return int(Decimal(text) * WEI)


def test_the_defaults_in_wei_are_the_documented_figures() -> None:
    assert MONEY.spot == eth("0.06")  # m/N·C = 2/20 · 0.6
    assert MONEY.replay == eth("0.6")
    assert MONEY.game_gas == eth("0.075")  # g = 2.5M gas at 30 gwei
    assert MONEY.open_gas == eth("0.01155")  # 385k gas
    assert MONEY.close_gas == eth("0.00258")  # 86k gas
    assert MONEY.winner_stake == eth("1") and MONEY.winner_bond == eth("0.5")
    assert MONEY.capital == WEI // 10 // 36_500  # 1 ETH bond at 10 %/year, 100 tasks a day


JACKPOT = replace(sim.ON_CHAIN, tasks=4_000, window=200)
"""The on-chain defaults (operators self-catch with one account) on a short run."""
FORCED = replace(ALONE, cheat_rate=0.0, forced_error_ppm=1_000_000, jackpot_bps=2_000, pot_eth=10.0,
                 sample_rate=1.0, self_catch=False)
"""One honest task, always forced; one diligent verifier that replays every interval (so it always
holds h_L); J = 10 ETH; the operator does not catch its own forced error."""
GAS_PRICE = Decimal(30) * 10**9


@pytest.mark.parametrize("strategy", sim.STRATEGIES)
def test_a_seed_fixes_the_run(strategy: str) -> None:
    params = replace(sim.ON_CHAIN, tasks=3_000, window=200, cheat_rate=0.05, strategy=strategy, seed=7)
    a, b = simulate(params), simulate(params)
    assert a.ledger == b.ledger and a.populations == b.populations and a.summary() == b.summary()
    assert simulate(replace(params, seed=8)).ledger != a.ledger


@pytest.mark.parametrize("params", [
    *(SimParams(tasks=4_000, window=200, cheat_rate=0.1, strategy=s, initial_diligent=4)
      for s in sim.STRATEGIES),
    *(replace(JACKPOT, cheat_rate=0.1, strategy=s, initial_diligent=4) for s in sim.STRATEGIES),
    replace(JACKPOT, self_catch=False),
    replace(JACKPOT, self_catch_accounts=5, cheat_rate=0.05),
])
def test_no_wei_is_created_or_lost(params: SimParams) -> None:
    run = simulate(params)
    # Every transfer debits one account and credits another: the sinks (burn, gas, off-chain
    # costs) and the escrows are accounts, so the ledger sums to zero, to the wei.
    assert sum(run.ledger) == 0
    assert min(run.ledger[BURN], run.ledger[GAS], run.ledger[OFFCHAIN], run.ledger[HONEST_ESCROW],
               run.ledger[CHEATER_ESCROW]) >= 0
    assert run.ledger[SUBMITTER] == -(params.tasks - run.caught) * MONEY.reward
    slashes = sum(run.games.get(f"{role}_won", 0) for role in (DILIGENT, COPYCAT, "sybil"))
    bonds_lost = sum(n for what, n in run.games.items() if what.endswith("_lost"))
    assert run.ledger[BURN] == slashes * (MONEY.stake - MONEY.winner_stake) + bonds_lost * (
        MONEY.bond - MONEY.winner_bond) + sum(run.jackpot_burned.values())
    assert run.jackpot_burned.get("cheater", 0) == 0  # nobody catches a cheat's made-up h_L


def test_one_cheater_one_diligent_verifier_by_hand() -> None:
    run = simulate(ALONE)
    verifier = run.ledger[FIXED]
    # entry 0.01, spot check 0.06, the bond's capital for one task, full replay 0.6, open 0.01155,
    # its moves 0.075, the closing transaction 0.00258; credited w·s = 1
    assert verifier == (eth("1") - eth("0.01") - eth("0.06") - MONEY.capital - eth("0.6") - eth("0.01155")
                        - eth("0.075") - eth("0.00258"))
    assert run.ledger[CHEATER] == -eth("2") - eth("0.075")  # its stake, and its own moves
    assert run.ledger[BURN] == eth("1")
    assert run.ledger[SUBMITTER] == 0  # the result is voided: the reward stays with the task
    assert run.caught == 1 and run.cheat_gain == -eth("2.075") - eth("0.4")  # vs R − C = 0.4 honest
    assert run.summary()["cheat_gain_eth_per_cheat"] == -2.475


def test_a_copycat_queued_behind_the_winning_game_pays_only_its_gas() -> None:
    # the cheater keeps no free stake: the copycat's game waits; the diligent game voids the result
    settled = settle([(D, DILIGENT), (C, COPYCAT)], operator=CHEATER, result_wrong=True, free_stake=0,
                     throw_sybil=False, money=MONEY)
    assert settled.voided and settled.ran == [(D, DILIGENT, True)] and settled.moot == [(C, COPYCAT)]
    assert net(settled.transfers, [C]) == -MONEY.open_gas
    assert net(settled.transfers, [D]) == WON

    run = simulate(replace(ALONE, initial_copycat=1))
    copycat = run.ledger[FIXED + 1]
    assert copycat == -MONEY.entry - MONEY.capital - MONEY.open_gas
    assert run.games == {"diligent_won": 1, "copycat_moot": 1}


def test_every_game_that_runs_pays_its_winner_from_its_own_collateral() -> None:
    # with free stake the operator funds the copycat's game beside the diligent one: both win w·s
    settled = settle([(D, DILIGENT), (C, COPYCAT)], operator=CHEATER, result_wrong=True,
                     free_stake=MONEY.stake, throw_sybil=False, money=MONEY)
    assert settled.ran == [(D, DILIGENT, True), (C, COPYCAT, True)] and not settled.moot
    for challenger in (D, C):
        assert net(settled.transfers, [challenger]) == (MONEY.winner_stake - MONEY.open_gas - MONEY.game_gas
                                                        - MONEY.close_gas)
    assert net(settled.transfers, [CHEATER]) == -2 * MONEY.stake - 2 * MONEY.game_gas
    # one minStake short: the copycat's game waits, then is moot
    short = settle([(D, DILIGENT), (C, COPYCAT)], operator=CHEATER, result_wrong=True,
                   free_stake=MONEY.stake - 1, throw_sybil=False, money=MONEY)
    assert short.moot == [(C, COPYCAT)]


def test_a_second_account_that_is_thrown_the_game_keeps_w_s_and_the_verifier_gets_nothing() -> None:
    openers = [(SYBIL, "sybil"), (D, DILIGENT)]
    thrown = settle(openers, operator=CHEATER, result_wrong=True, free_stake=0, throw_sybil=True, money=MONEY)
    assert thrown.voided and thrown.moot == [(D, DILIGENT)]
    assert net(thrown.transfers, [D]) == -MONEY.open_gas
    assert net(thrown.transfers, [CHEATER, SYBIL]) == -(MONEY.stake - MONEY.winner_stake) - MONEY.open_gas \
        - MONEY.close_gas
    # the simulated operator throws it (−1 ETH) rather than let the verifier's game run (−2.5 ETH)
    run = simulate(replace(ALONE, strategy="second_account"))
    assert run.games == {"sybil_won": 1, "diligent_moot": 1}
    assert run.ledger[SYBIL] == MONEY.winner_stake - MONEY.open_gas - MONEY.close_gas


def test_a_second_account_game_that_the_operator_wins_hands_the_task_stake_to_the_next_game() -> None:
    # alone (no verifier queued), the operator wins its account's game: the result stands and the
    # account loses its bond, half to the operator
    run = simulate(replace(ALONE, initial_diligent=0, strategy="second_account"))
    assert run.caught == 0 and run.games == {"sybil_lost": 1}
    assert net_coalition(run) == (MONEY.reward - (MONEY.bond - MONEY.winner_bond) - MONEY.open_gas
                                  - MONEY.close_gas)
    # a copycat behind it is funded with the task stake, has no reveal to copy, and times out
    run = simulate(replace(ALONE, initial_diligent=0, initial_copycat=1, strategy="second_account"))
    assert run.games == {"sybil_lost": 1, "copycat_lost": 1}
    assert run.ledger[FIXED] == -MONEY.entry - MONEY.capital - MONEY.open_gas - MONEY.bond


def test_a_silent_colluder_only_delays_the_verifier() -> None:
    settled = settle([(COLLUDER, "colluder"), (D, DILIGENT)], operator=CHEATER, result_wrong=True,
                     free_stake=0, throw_sybil=False, money=MONEY)
    assert settled.ran == [(COLLUDER, "colluder", False), (D, DILIGENT, True)] and settled.voided
    assert net(settled.transfers, [D]) == WON


def test_cheating_only_without_a_diligent_verifier_is_never_caught() -> None:
    run = simulate(SimParams(tasks=5_000, window=250, cheat_rate=0.1, strategy="only_without_diligent"))
    assert run.cheats > 0 and run.caught == 0
    assert run.cheat_gain == run.cheats * MONEY.compute


def gas(units: int) -> int:
    return int(units * GAS_PRICE)


def test_the_forced_error_rate_is_p() -> None:
    run = simulate(replace(sim.ON_CHAIN, tasks=50_000))
    rate = run.forced_errors / run.honest_tasks
    p = sim.ON_CHAIN.forced_error_prob
    # the binomial standard deviation over 50,000 results is at most 0.22 %
    assert abs(rate - p) < 0.008
    assert run.forced_cheats == 0 and run.summary()["forced_error_rate"] == round(rate, 6)
    assert simulate(replace(sim.ON_CHAIN, tasks=50_000, forced_error_ppm=0)).forced_errors == 0


def test_a_spot_verifier_catches_a_forced_error_with_probability_m_over_n() -> None:
    # three diligent verifiers, nobody enters or leaves, every result forced: each holds h_L when
    # its 2 sampled intervals (of 20) include the one ending at L, uniform over the 19 interior leaves
    params = replace(sim.ON_CHAIN, tasks=4_000, forced_error_ppm=1_000_000, initial_diligent=3,
                     initial_lazy=0, initial_copycat=0, window=10**9)
    run = simulate(params)
    assert run.forced_errors == 4_000
    expected = 3 * 4_000 * params.sampled / params.intervals  # 1,200; sd ≈ 33
    assert abs(run.catches[DILIGENT] - expected) < 150
    assert abs(run.forced_caught - 4_000 * (1 - 0.9**3)) < 150  # at least one of the three
    # the operator's account reveals beside every honest catch, and only then
    assert run.self_catches == run.forced_caught == run.catches["operator"]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 64, 65])
def test_the_decaying_split_pays_k_catchers_pot_over_k_2_to_the_k_minus_1_and_burns_the_rest(
        k: int) -> None:
    simulation = Simulation(replace(FORCED, initial_diligent=0, pot_eth=10.000000000000012345))
    pot = simulation.m.pot  # a pot that does not divide evenly
    assert simulation.ledger[HONEST_ESCROW] == pot  # topped up to one pot before the first claim
    catchers = [(FIXED + 1000 + i, "diligent") for i in range(k)]
    simulation.ledger.extend([0] * 1100)
    share = simulation.pot(HONEST, catchers, stands=True)
    assert share == (pot // (k * 2 ** (k - 1)) if k <= 64 else 0)
    # each catcher: its share, less the reveal (and, when paid, the claim) gas
    paid_gas = gas(60_000) + (gas(50_000) if share else 0)
    assert all(simulation.ledger[c] == share - paid_gas for c, _ in catchers)
    # the unpaid rest of a caught pot is burned, not returned to the operator's escrow
    assert simulation.ledger[BURN] == pot - k * share
    assert simulation.run.jackpot_burned == {"honest": pot - k * share}
    assert simulation.ledger[HONEST_ESCROW] == 0
    assert simulation.ledger[CHEATER_ESCROW] == 0  # no other operator's escrow pays
    assert sum(simulation.ledger) == 0


def test_a_pot_without_catchers_or_whose_root_fell_returns_whole_to_its_escrow() -> None:
    simulation = Simulation(replace(FORCED, initial_diligent=0))
    escrow = simulation.ledger[HONEST_ESCROW]
    assert escrow == eth("10")
    assert simulation.pot(HONEST, [], stands=True) == 0 and simulation.ledger[HONEST_ESCROW] == escrow
    assert simulation.pot(HONEST, [(HONEST_SYBIL, "operator")], stands=False) == 0
    assert simulation.ledger[HONEST_ESCROW] == escrow and simulation.ledger[HONEST_SYBIL] == -gas(60_000)
    # k = 0 (and a fallen root) burns nothing
    assert simulation.ledger[BURN] == 0 and simulation.run.jackpot_burned == {}


def test_a_claim_needs_a_whole_pot_in_the_escrow() -> None:
    simulation = Simulation(replace(FORCED, initial_diligent=0))
    simulation.pay(HONEST_ESCROW, HONEST, eth("7"))  # withdrawn below J (a pot paid out, say)
    simulation.claim(HONEST)
    assert simulation.ledger[HONEST_ESCROW] == eth("10")
    assert simulation.run.escrow_top_ups == {"honest": eth("10") + eth("7")}


def test_one_forced_error_caught_by_hand() -> None:
    run = simulate(FORCED)
    m = Money.of(FORCED)
    assert m.fee == eth("0.2") and m.pot == eth("10") and m.spot == eth("0.6")
    # the operator topped its escrow up to J = 10; the lone catcher takes the whole pot; the
    # finalised reward adds τ·R to the escrow
    assert run.ledger[HONEST_ESCROW] == eth("10") - eth("10") + eth("0.2")
    assert run.escrow_top_ups == {"honest": eth("10")} and run.escrow_deposits == {"honest": eth("0.2")}
    assert run.ledger[FIXED] == (eth("10") - MONEY.entry - m.spot - MONEY.capital
                                 - gas(50_000) - gas(60_000) - gas(50_000))  # seal, reveal, claim
    # the operator is not slashed: R − C, less commitDraw and revealForcedError, J's capital for
    # the task, and the pot it paid
    assert run.ledger[HONEST] + run.ledger[HONEST_ESCROW] == (
        eth("0.4") - gas(50_000 + 150_000) - m.escrow_capital - eth("10"))
    assert run.honest_jackpot_cost == eth("10") and run.honest_profit() is not None
    assert run.catches == {DILIGENT: 1} and run.forced_caught == 1 and run.self_catches == 0
    assert run.jackpot_paid == {DILIGENT: eth("10")}
    assert run.jackpot_burned == {"honest": 0} and run.ledger[BURN] == 0  # k = 1: J/1, nothing left
    assert sum(run.ledger) == 0


def test_a_self_catch_beside_one_verifier_wins_back_only_its_share_and_burns_half_the_pot() -> None:
    run = simulate(replace(FORCED, self_catch=True))
    # two catchers: J / (2·2) = 2.5 each; the rest, 5, is burned
    assert run.jackpot_paid == {DILIGENT: eth("2.5"), "operator": eth("2.5")}
    assert run.jackpot_burned == {"honest": eth("5")} and run.ledger[BURN] == eth("5")
    assert run.ledger[HONEST_SYBIL] == eth("2.5") - gas(50_000 + 60_000 + 50_000)
    assert run.ledger[HONEST_ESCROW] == eth("10") - eth("10") + eth("0.2")
    # the pot cost the operator 3J/4 (the verifier's 2.5 and the burned 5) and its account's gas
    assert run.honest_jackpot_cost == eth("7.5") + gas(160_000)
    assert run.ledger[FIXED] == eth("2.5") - MONEY.entry - eth("0.6") - MONEY.capital - gas(160_000)
    # alone, its account reveals nothing: the uncaught pot returns whole; it paid its seal's gas
    alone = simulate(replace(FORCED, self_catch=True, initial_diligent=0))
    assert alone.jackpot_paid == {} and alone.self_catches == 0
    assert alone.ledger[HONEST_ESCROW] == eth("10.2") and alone.honest_jackpot_cost == gas(50_000)


@pytest.mark.parametrize("accounts", [0, 1, 2, 3, 8])
def test_more_own_accounts_shrink_the_honest_share_and_burn_the_rest(accounts: int) -> None:
    run = simulate(replace(FORCED, self_catch=accounts > 0, self_catch_accounts=accounts))
    k = accounts + 1
    share = eth("10") // (k * 2 ** (k - 1))
    assert run.jackpot_paid == {DILIGENT: share, **({"operator": accounts * share} if accounts else {})}
    assert run.jackpot_burned == {"honest": eth("10") - k * share}
    # the operator gets back only its accounts' shares: J − m·share, and its accounts' gas
    assert run.honest_jackpot_cost == eth("10") - accounts * share + accounts * gas(160_000)
    costs = {m: eth("10") - m * (eth("10") // ((m + 1) * 2**m)) for m in range(10)}
    assert min(costs, key=lambda m: costs[m]) == 1  # 3J/4 at m = 1; J, 5J/6, 7J/8, … otherwise


def test_the_operators_own_accounts_never_win_other_peoples_money() -> None:
    for params in (JACKPOT, replace(JACKPOT, self_catch_accounts=4), replace(JACKPOT, cheat_rate=0.1)):
        run = simulate(params)
        own = run.jackpot_paid.get("operator", 0)
        assert own > 0
        # the honest side (accounts and escrow) only ever loses to the pots: what its accounts got
        # came out of its own escrow
        assert run.honest_jackpot_cost > 0
        assert run.ledger[HONEST_SYBIL] <= own


def test_each_escrow_is_its_top_ups_and_deposits_less_its_payouts_and_withdrawals() -> None:
    for params in (replace(JACKPOT, cheat_rate=0.05), replace(JACKPOT, cheat_rate=0.05, self_catch=False),
                   replace(JACKPOT, cheat_rate=0.05, strategy="second_account", withdraw_excess=False)):
        run = simulate(params)
        m = Money.of(params)
        assert run.escrow_deposits["honest"] == run.honest_tasks * m.fee
        assert run.escrow_deposits.get("cheater", 0) == (run.cheats - run.caught) * m.fee
        withdrawn = run.escrow_withdrawn
        assert run.ledger[HONEST_ESCROW] == (run.escrow_top_ups["honest"] + run.escrow_deposits["honest"]
                                             - sum(run.jackpot_paid.values()) - run.jackpot_burned["honest"]
                                             - withdrawn.get("honest", 0))
        # a cheat's pot pays nobody: nobody else holds its made-up h_L
        assert run.forced_cheats > 0
        assert run.ledger[CHEATER_ESCROW] == (run.escrow_top_ups["cheater"]
                                              + run.escrow_deposits.get("cheater", 0)
                                              - withdrawn.get("cheater", 0))
        assert run.escrow[0] == m.pot  # the series starts with the first top-up


def test_sealed_catches_give_copycats_and_lazy_verifiers_nothing() -> None:
    params = replace(sim.ON_CHAIN, tasks=3_000, forced_error_ppm=200_000, initial_diligent=2,
                     initial_lazy=2, initial_copycat=2, window=10**9)
    run = simulate(params)
    assert run.forced_errors > 500 and run.catches[DILIGENT] > 0
    assert set(run.catches) == {DILIGENT, "operator"} and set(run.jackpot_paid) == {DILIGENT, "operator"}
    m = Money.of(params)
    for i, agent in enumerate(run.agents):
        if agent.kind in (COPYCAT, LAZY):  # no gas, no income: only the entry and the bond's capital
            assert run.ledger[FIXED + i] == -m.entry - m.capital * params.tasks


def test_a_forced_cheat_costs_its_escrow_nothing_whether_or_not_it_is_voided() -> None:
    cheat = replace(FORCED, cheat_rate=1.0, self_catch=True)
    caught = simulate(cheat)
    assert caught.caught == 1 and caught.jackpot_paid == {} and caught.ledger[CHEATER_ESCROW] == eth("10")
    unwatched = simulate(replace(cheat, initial_diligent=0))
    assert unwatched.caught == 0 and unwatched.jackpot_paid == {}
    assert unwatched.ledger[CHEATER_ESCROW] == eth("10.2")  # J back whole, and τ·R of the reward


def test_an_informed_operator_cheats_only_after_enough_uncaught_forced_errors_are_public() -> None:
    base = replace(sim.ON_CHAIN, tasks=5_000, window=10**9, cheat_rate=0.1, strategy="informed",
                   informed_memory=3, informed_lag_tasks=0, initial_lazy=0, initial_copycat=0)
    # nobody verifies: once three forced errors are public, every cheat it draws it makes
    blind = simulate(replace(base, initial_diligent=0))
    assert blind.cheats > 400 and blind.caught == 0 and blind.cheats_declined < 60
    # a full verifier catches every forced error: the operator never cheats
    watched = simulate(replace(base, initial_diligent=1, sample_rate=1.0))
    assert watched.cheats == 0 and watched.cheats_declined > 400
    # catches that are never public tell it nothing, and it does not cheat blind
    never = simulate(replace(base, initial_diligent=0, informed_lag_tasks=10**9))
    assert never.cheats == 0


def test_ten_thousand_tasks_take_well_under_a_minute() -> None:
    began = time.perf_counter()
    simulate(SimParams(tasks=10_000, cheat_rate=0.1, strategy="second_account"))
    assert time.perf_counter() - began < 10


def test_the_figures_carry_the_goals_and_the_escrow() -> None:
    base = replace(sim.ON_CHAIN, tasks=2_000, window=200)
    runs = sim.grid(base)
    figures = sim.block(runs, base, sim.informed_runs(base))
    for name in sim.GOALS:
        assert name in figures and name in figures["goals_met"]
    assert set(figures["by_cheat_rate"]) == {"0pct", "1pct", "2pct", "5pct", "10pct"}
    assert set(figures["strategy_gain_eth"]) == set(sim.STRATEGIES)
    # the goal is over the strategies that need no sight of the verifiers; the sighted one is apart
    assert figures["best_cheat"]["strategy"] in sim.REALISTIC
    assert "only_without_diligent" not in figures["best_cheat"]["over"]
    assert "best_cheat_gain_eth_if_the_operator_sees_the_verifiers" in figures
    realistic = [g for (_, s), g in ((k, r.summary()["cheat_gain_eth_per_cheat"]) for k, r in runs.items())
                 if s in sim.REALISTIC and s != "informed" and g is not None]
    assert figures["best_cheat_gain_eth"] >= max(realistic)
    without = replace(base, forced_error_ppm=0, jackpot_bps=0, pot_eth=0.0)
    jackpot = sim.jackpot_figures(runs, sim.grid(without))
    assert jackpot["jackpot_escrow_eth"][0] == base.pot_eth and jackpot["jackpot_escrow_eth_end"] is not None
    assert jackpot["jackpot_burned_eth"] > 0 and "escrow_reserved" in jackpot
    assert {"forced_error_ppm", "jackpot_bps", "pot_eth", "p", "tau", "rationale"} <= set(
        jackpot["jackpot_parameters"])
    profit = jackpot["honest_operator_profit_eth_per_task"]
    assert profit["without_forced_errors"] == 0.4  # R − C, no draws, no escrow
    assert profit["with_forced_errors"] < profit["without_forced_errors"]
    plain = sim.block(sim.grid(without), without)
    assert set(plain["strategy_gain_eth"]) == set(sim.STRATEGIES) - {"informed"}
    assert plain["diligent_verifier_profit_eth_at_0pct"] < 0  # nothing to catch, checks cost


def test_split_shares_follow_the_decaying_split() -> None:
    # one full verifier always catches: it and the operator's account get J/4 each, J/2 is burned
    assert sim.split_shares(1, 1.0, 1) == {"to_verifiers": 0.25, "to_operator_accounts": 0.25, "burned": 0.5,
                                           "back_to_the_escrow": 0.0, "per_verifier_given_it_caught": 0.25}
    assert sim.split_shares(1, 1.0, 0)["to_verifiers"] == 1.0
    assert sim.split_shares(1, 1.0, 0)["burned"] == 0.0
    # no verifier ever holds h_L: the operator's accounts reveal nothing and the pot returns whole
    assert sim.split_shares(3, 1e-12, 1)["back_to_the_escrow"] == pytest.approx(1.0)


def test_one_own_account_pays_the_operator_best() -> None:
    # the unpaid rest is burned: m accounts beside h honest catchers get back m·J/((h+m)·2^(h+m-1)),
    # most at m = 1, whatever the number of spot verifiers
    best = sim.best_self_catch_accounts(sim.ON_CHAIN)
    assert best["accounts"] == 1 and best["over"] == [0, 9]
    assert set(best["by_verifiers"].values()) == {1}
    costs = best["cost_eth_per_forced_error_by_accounts"]
    assert all(costs[1] < costs[m] for m in range(10) if m != 1)
    # one full verifier that always catches: J with no account, 3J/4 (+ the account's gas) with one
    full = replace(FORCED, self_catch=True)
    j = full.pot_eth
    assert sim.self_catch_cost(full, 1, 0) == pytest.approx(j)
    assert sim.self_catch_cost(full, 1, 1) == pytest.approx(0.75 * j + 160_000 * 30e-9)
    assert sim.self_catch_cost(full, 1, 2) == pytest.approx(j * 5 / 6 + 2 * 160_000 * 30e-9)


def net_coalition(run: sim.Run) -> int:
    return sum(run.ledger[a] for a in sim.COALITION)
