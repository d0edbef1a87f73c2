"""The verifier-population simulation (bench/economics_sim.py): determinism, conservation of
money, and cases computed by hand under the spec's rules (per-game collateral, FIFO queue, moot
games closed with their bond back) and the committee design of docs/forced-errors.md (forced errors
caught only by the result's committee of K registered members, each catch paid J/K from the
operator's own escrow, nothing burned)."""

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
    LAZY,
    OFFCHAIN,
    SUBMITTER,
    SYBIL,
    SYBIL_MEMBERS,
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
"""One task, cheated; one diligent verifier (the whole committee); no population change."""
MONEY = Money.of(SimParams())
D, C = 100, 101  # two challengers' accounts for settle()
WON = MONEY.winner_stake - MONEY.open_gas - MONEY.game_gas - MONEY.close_gas
"""A challenger that plays a game to its win, net."""
GAS_PRICE = Decimal(30) * 10**9


def eth(text: str) -> int:
    return int(Decimal(text) * WEI)


def gas(units: int) -> int:
    return int(units * GAS_PRICE)


def test_the_defaults_in_wei_are_the_documented_figures() -> None:
    assert MONEY.spot == eth("0.06")  # m/N·C = 2/20 · 0.6
    assert MONEY.replay == eth("0.6")
    assert MONEY.game_gas == eth("0.075")  # g = 2.5M gas at 30 gwei
    assert MONEY.open_gas == eth("0.01155")  # 385k gas
    assert MONEY.close_gas == eth("0.00258")  # 86k gas
    assert MONEY.winner_stake == eth("1") and MONEY.winner_bond == eth("0.5")
    assert MONEY.capital == WEI // 10 // 36_500  # 1 ETH challenger bond at 10 %/year, 100 tasks a day
    assert MONEY.member_capital == WEI // 10 // 36_500  # the 1 ETH member bond likewise
    on_chain = Money.of(sim.ON_CHAIN)
    assert on_chain.share == on_chain.pot // sim.ON_CHAIN.committee_size
    assert on_chain.member_capital == int(Decimal(repr(sim.ON_CHAIN.verifier_bond_eth)) * WEI / 365_0 / 100)


JACKPOT = replace(sim.ON_CHAIN, tasks=4_000, window=200)
"""The on-chain defaults on a short run."""
FORCED = replace(ALONE, cheat_rate=0.0, forced_error_ppm=1_000_000, jackpot_bps=2_000, pot_eth=10.0,
                 sample_rate=1.0, committee_size=2)
"""One honest task, always forced; one diligent member that replays every interval (so it always
holds h_L); J = 10 ETH, K = 2 (J/K = 5 per catch)."""


@pytest.mark.parametrize("strategy", sim.STRATEGIES)
def test_a_seed_fixes_the_run(strategy: str) -> None:
    params = replace(sim.ON_CHAIN, tasks=3_000, window=200, cheat_rate=0.05, strategy=strategy, seed=7,
                     sybil_members=20)
    a, b = simulate(params), simulate(params)
    assert a.ledger == b.ledger and a.populations == b.populations and a.summary() == b.summary()
    assert simulate(replace(params, seed=8)).ledger != a.ledger


@pytest.mark.parametrize("params", [
    *(SimParams(tasks=4_000, window=200, cheat_rate=0.1, strategy=s, initial_diligent=4, sybil_members=5)
      for s in sim.STRATEGIES),
    *(replace(JACKPOT, cheat_rate=0.1, strategy=s, initial_diligent=4, sybil_members=30)
      for s in sim.STRATEGIES),
    replace(JACKPOT, committee_size=3, pot_eth=60.0),
])
def test_no_wei_is_created_or_lost(params: SimParams) -> None:
    run = simulate(params)
    m = Money.of(params)
    # Every transfer debits one account and credits another: the sinks (burn, gas, off-chain
    # costs) and the escrows are accounts, so the ledger sums to zero, to the wei.
    assert sum(run.ledger) == 0
    assert min(run.ledger[BURN], run.ledger[GAS], run.ledger[OFFCHAIN], run.ledger[HONEST_ESCROW],
               run.ledger[CHEATER_ESCROW]) >= 0
    assert run.ledger[SUBMITTER] == -(params.tasks - run.caught) * m.reward
    # only the dispute rules burn: the slashed stakes' and bonds' unpaid rest; no pot is ever burned
    slashes = sum(run.games.get(f"{role}_won", 0) for role in (DILIGENT, COPYCAT, "sybil"))
    bonds_lost = sum(n for what, n in run.games.items() if what.endswith("_lost"))
    assert run.ledger[BURN] == slashes * (m.stake - m.winner_stake) + bonds_lost * (m.bond - m.winner_bond)


def test_one_cheater_one_diligent_verifier_by_hand() -> None:
    run = simulate(ALONE)
    verifier = run.ledger[FIXED]
    # entry 0.01, spot check 0.06, both bonds' capital for one task, full replay 0.6, open 0.01155,
    # its moves 0.075, the closing transaction 0.00258; credited w·s = 1
    assert verifier == (eth("1") - eth("0.01") - eth("0.06") - MONEY.capital - MONEY.member_capital
                        - eth("0.6") - eth("0.01155") - eth("0.075") - eth("0.00258"))
    assert run.ledger[CHEATER] == -eth("2") - eth("0.075")  # its stake, and its own moves
    assert run.ledger[BURN] == eth("1")
    assert run.ledger[SUBMITTER] == 0  # the result is voided: the reward stays with the task
    assert run.caught == 1 and run.cheat_gain == -eth("2.075") - eth("0.4")  # vs R − C = 0.4 honest
    assert run.summary()["cheat_gain_eth_per_cheat"] == -2.475
    assert run.seats == {DILIGENT: 1} and run.cheats_watched == 1


def test_a_cheat_no_diligent_member_is_drawn_for_goes_unchecked() -> None:
    # one diligent and one lazy member, K = 1: whichever is drawn; the lazy one checks nothing
    params = replace(ALONE, tasks=2_000, initial_lazy=1, committee_size=1, cheat_rate=0.5)
    run = simulate(params)
    assert run.caught == run.cheats_watched
    assert 0.4 < run.caught / run.cheats < 0.6
    assert run.seats[DILIGENT] + run.seats[LAZY] == params.tasks


def test_a_copycat_queued_behind_the_winning_game_pays_only_its_gas() -> None:
    # the cheater keeps no free stake: the copycat's game waits; the diligent game voids the result
    settled = settle([(D, DILIGENT), (C, COPYCAT)], operator=CHEATER, result_wrong=True, free_stake=0,
                     throw_sybil=False, money=MONEY)
    assert settled.voided and settled.ran == [(D, DILIGENT, True)] and settled.moot == [(C, COPYCAT)]
    assert net(settled.transfers, [C]) == -MONEY.open_gas
    assert net(settled.transfers, [D]) == WON

    run = simulate(replace(ALONE, initial_copycat=1))
    copycat = run.ledger[FIXED + 1]
    assert copycat == -MONEY.entry - MONEY.capital - MONEY.open_gas  # not a member: no member bond
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
    # were anyone free to open first, the simulated operator would throw it (−1 ETH) rather than let
    # the verifier's game run (−2.5 ETH)
    run = simulate(replace(ALONE, strategy="second_account", committee_first=False))
    assert run.games == {"sybil_won": 1, "diligent_moot": 1}
    assert run.ledger[SYBIL] == MONEY.winner_stake - MONEY.open_gas - MONEY.close_gas


@pytest.mark.parametrize("strategy,role", [("second_account", "sybil"), ("collusion", "colluder")])
def test_the_committee_goes_first_so_the_operators_own_game_waits_behind_the_members(strategy: str,
                                                                                      role: str) -> None:
    run = simulate(replace(ALONE, strategy=strategy))
    assert run.caught == 1 and run.games == {"diligent_won": 1, f"{role}_moot": 1}
    assert run.ledger[FIXED] > 0  # the member that found the fault takes w·s
    # no diligent member drawn: the operator's account opens first as before
    alone = simulate(replace(ALONE, strategy=strategy, initial_diligent=0, initial_lazy=1))
    assert alone.caught == 0 and alone.games == {f"{role}_lost": 1}


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


def test_an_operator_that_knew_the_committee_would_never_be_caught() -> None:
    run = simulate(replace(JACKPOT, cheat_rate=0.1, strategy="sees_committee", initial_lazy=3,
                           committee_size=1))
    assert run.caught == 0 and run.cheats_watched == 0 and run.cheats_declined > 0


@pytest.mark.parametrize("total,k", [(1, 1), (2, 2), (5, 2), (50, 3)])
def test_committees_are_k_distinct_members_drawn_uniformly(total: int, k: int) -> None:
    rng = __import__("numpy").random.default_rng(3)
    counts = [0] * total
    for _ in range(20_000):
        picks = sim.draw_distinct(rng.random(k).tolist(), total)
        assert len(picks) == min(k, total) and len(set(picks)) == len(picks)
        assert all(0 <= i < total for i in picks)
        for i in picks:
            counts[i] += 1
    expected = 20_000 * min(k, total) / total
    assert all(abs(c - expected) < 6 * expected**0.5 + 1 for c in counts)
    # fewer registered than K: everyone sits
    assert sorted(sim.draw_distinct([0.9, 0.9, 0.9], 2)) == [0, 1]


def test_the_forced_error_rate_is_p() -> None:
    run = simulate(replace(sim.ON_CHAIN, tasks=50_000))
    rate = run.forced_errors / run.honest_tasks
    p = sim.ON_CHAIN.forced_error_prob
    # the binomial standard deviation over 50,000 results is at most 0.22 %
    assert abs(rate - p) < 0.008
    assert run.forced_cheats == 0 and run.summary()["forced_error_rate"] == round(rate, 6)
    assert simulate(replace(sim.ON_CHAIN, tasks=50_000, forced_error_ppm=0)).forced_errors == 0


def test_only_committee_members_catch_and_each_catch_pays_pot_over_k() -> None:
    # five diligent verifiers, K = 2, nobody enters or leaves, every result forced: only the two drawn
    # for a result can catch it, each with probability m/N (2 of 20 intervals)
    params = replace(sim.ON_CHAIN, tasks=4_000, forced_error_ppm=1_000_000, initial_diligent=5,
                     initial_lazy=0, initial_copycat=0, window=10**9, committee_size=2, pot_eth=40.0,
                     sample_rate=0.1)
    run = simulate(params)
    m = Money.of(params)
    assert run.forced_errors == 4_000 and run.seats == {DILIGENT: 8_000}
    expected = 8_000 * 0.1  # 800; sd ≈ 27
    assert abs(run.catches - expected) < 120
    assert run.jackpot_paid == run.catches * m.share and m.share == eth("20")
    # nothing burned; the escrow is its top-ups and deposits less the catches paid
    assert run.ledger[BURN] == 0
    assert run.ledger[HONEST_ESCROW] == (sum(run.escrow_top_ups.values()) + run.escrow_deposits["honest"]
                                         - run.jackpot_paid)
    # the honest operator pays the members' catches and nothing else
    assert run.honest_jackpot_cost == run.jackpot_paid


def test_one_forced_error_caught_by_hand() -> None:
    run = simulate(FORCED)
    m = Money.of(FORCED)
    assert m.fee == eth("0.2") and m.pot == eth("10") and m.share == eth("5") and m.spot == eth("0.6")
    # the lone member catches: J/K = 5; the other 5 stay in the escrow; τ·R is added at the end
    assert run.ledger[HONEST_ESCROW] == eth("10") - eth("5") + eth("0.2")
    p = FORCED
    # its pay, less its entry, spot check, capital, its part of the result's assign (1/K), and the
    # seal, reveal and claim
    assert m.assign_share == gas(p.assign_gas) // p.committee_size
    assert run.ledger[FIXED] == (eth("5") - MONEY.entry - m.spot - MONEY.capital - MONEY.member_capital
                                 - m.assign_share - gas(p.seal_gas) - gas(p.catch_reveal_gas)
                                 - gas(p.claim_gas))
    # the operator is not slashed: R − C, less commitDraw, the forced-error part of submitResult and
    # revealForcedError, J's capital for the task, and the member's pay
    assert run.ledger[HONEST] + run.ledger[HONEST_ESCROW] == (
        eth("0.4") - gas(p.commit_draw_gas + p.submit_extra_gas + p.reveal_forced_gas) - m.escrow_capital
        - eth("5"))
    assert run.honest_jackpot_cost == eth("5") and run.catches == 1 and run.forced_caught == 1
    assert run.ledger[BURN] == 0 and sum(run.ledger) == 0


def test_a_pot_nobody_caught_stays_whole_in_its_escrow() -> None:
    simulation = Simulation(replace(FORCED, initial_diligent=0))
    escrow = simulation.ledger[HONEST_ESCROW]
    assert escrow == eth("10")
    assert simulation.pot(HONEST, []) == eth("5") and simulation.ledger[HONEST_ESCROW] == escrow
    run = simulate(replace(FORCED, initial_diligent=0, initial_lazy=2))  # drawn, but lazy
    assert run.catches == 0 and run.ledger[HONEST_ESCROW] == eth("10.2") and run.honest_jackpot_cost == 0


def test_a_claim_needs_a_whole_pot_in_the_escrow() -> None:
    simulation = Simulation(replace(FORCED, initial_diligent=0))
    simulation.pay(HONEST_ESCROW, HONEST, eth("7"))  # withdrawn below J (a pot paid out, say)
    simulation.claim(HONEST)
    assert simulation.ledger[HONEST_ESCROW] == eth("10")
    assert simulation.run.escrow_top_ups == {"honest": eth("10") + eth("7")}


def test_lazy_members_and_copycats_earn_nothing() -> None:
    params = replace(sim.ON_CHAIN, tasks=3_000, forced_error_ppm=200_000, initial_diligent=2,
                     initial_lazy=2, initial_copycat=2, window=10**9)
    run = simulate(params)
    assert run.forced_errors > 500 and run.catches > 0 and run.seats[LAZY] > 1_000
    m = Money.of(params)
    for i, agent in enumerate(run.agents):
        if agent.kind == LAZY:  # drawn often, paid never: only the entry and the member bond's capital
            assert run.ledger[FIXED + i] == -m.entry - m.member_capital * params.tasks
        if agent.kind == COPYCAT:  # not a member; no game opens on an honest result
            assert run.ledger[FIXED + i] == -m.entry - m.capital * params.tasks
    assert run.summary()["verifier_profit_eth_per_assigned_task"][LAZY] == 0.0


def test_a_diligent_seat_earns_what_the_public_parameters_promise() -> None:
    # one member per result, every member diligent: a member's pay per seat does not depend on how
    # many others there are
    for members in (2, 10):
        params = replace(sim.ON_CHAIN, tasks=60_000, initial_diligent=members, initial_lazy=0,
                         initial_copycat=0, window=10**9)
        run = simulate(params)
        per_seat = run.assigned_profit(DILIGENT)
        assert per_seat is not None
        # a catch (20 ETH) on 0.5 % of the seats: sd of the mean ≈ 0.0058
        assert abs(per_seat - sim.seat_value(params) / WEI) < 0.02
        # and the honest operator pays p·c·J per diligent seat
        assert abs(run.honest_jackpot_cost / run.honest_tasks / WEI - 0.1) < 0.02


def test_the_cheaters_own_members_take_seats_and_it_pays_their_bonds() -> None:
    params = replace(JACKPOT, cheat_rate=0.05, strategy="sybil_members", sybil_members=30,
                     initial_diligent=10, initial_lazy=0, initial_copycat=0, window=10**9)
    run = simulate(params)
    m = Money.of(params)
    assert run.sybil_capital == 30 * m.member_capital * params.tasks
    assert run.ledger[SYBIL_MEMBERS] == -run.sybil_capital
    share = run.seats["sybil"] / params.tasks
    assert abs(share - 30 / 40) < 0.05  # K = 1 seat, 30 of 40 registered
    assert run.caught == run.cheats_watched and abs(run.caught / run.cheats - 0.25) < 0.1
    # plain cheating with no own members: the same cheats are caught whenever a diligent member sits
    plain = simulate(replace(params, strategy="plain"))
    assert plain.caught == plain.cheats and plain.sybil_capital == 0


def test_an_entrant_expects_its_kinds_pay_per_seat_diluted_by_one_more_member() -> None:
    params = replace(sim.ON_CHAIN, tasks=10, initial_diligent=3, initial_lazy=1, initial_copycat=0,
                     prior_seats=0)
    simulation = Simulation(params)
    simulation.history[DILIGENT].append(sim.KindWindow(earned=eth("3"), seats=100, member_tasks=1_500))
    per_task = simulation.per_task[DILIGENT]
    # 0.03 ETH per seat; K = 1 of M = 4 registered; an entrant makes it 5
    assert simulation.expected_profit(DILIGENT, entrant=False) == pytest.approx(eth("0.03") / 4 - per_task)
    assert simulation.expected_profit(DILIGENT, entrant=True) == pytest.approx(eth("0.03") / 5 - per_task)
    assert simulation.expected_profit(LAZY, entrant=True) == pytest.approx(-simulation.per_task[LAZY])


def test_a_forced_cheat_costs_its_escrow_nothing_whether_or_not_it_is_voided() -> None:
    cheat = replace(FORCED, cheat_rate=1.0)
    caught = simulate(cheat)
    assert caught.caught == 1 and caught.jackpot_paid == 0 and caught.ledger[CHEATER_ESCROW] == eth("10")
    unwatched = simulate(replace(cheat, initial_diligent=0))
    assert unwatched.caught == 0 and unwatched.jackpot_paid == 0
    assert unwatched.ledger[CHEATER_ESCROW] == eth("10.2")  # J untouched, and τ·R of the reward


def test_an_informed_operator_cheats_only_after_enough_uncaught_forced_errors_are_public() -> None:
    base = replace(sim.ON_CHAIN, tasks=5_000, window=10**9, cheat_rate=0.1, strategy="informed",
                   informed_memory=3, informed_lag_tasks=0, initial_lazy=0, initial_copycat=0)
    # nobody verifies: once three forced errors are public, every cheat it draws it makes
    blind = simulate(replace(base, initial_diligent=0))
    assert blind.cheats > 400 and blind.caught == 0 and blind.cheats_declined < 60
    # a full verifier on every committee catches every forced error: the operator never cheats
    watched = simulate(replace(base, initial_diligent=1, sample_rate=1.0))
    assert watched.cheats == 0 and watched.cheats_declined > 400
    # catches that are never public tell it nothing, and it does not cheat blind
    never = simulate(replace(base, initial_diligent=0, informed_lag_tasks=10**9))
    assert never.cheats == 0


def test_ten_thousand_tasks_take_well_under_a_minute() -> None:
    began = time.perf_counter()
    simulate(SimParams(tasks=10_000, cheat_rate=0.1, strategy="second_account"))
    simulate(replace(sim.ON_CHAIN, tasks=10_000, cheat_rate=0.1, strategy="sybil_members",
                     sybil_members=3_000))
    assert time.perf_counter() - began < 10


def test_the_figures_carry_the_goals_and_the_escrow() -> None:
    base = replace(sim.ON_CHAIN, tasks=2_000, window=200)
    runs = sim.grid(base)
    figures = sim.block(runs, base)
    for name in sim.GOALS:
        assert name in figures and name in figures["goals_met"]
    assert set(figures["by_cheat_rate"]) == {"0pct", "1pct", "2pct", "5pct", "10pct"}
    assert set(figures["strategy_gain_eth"]) == set(sim.STRATEGIES)
    # the goal is over the strategies an operator can play; the one that knows the committee is apart
    assert figures["best_cheat"]["strategy"] in sim.REALISTIC
    assert "sees_committee" not in figures["best_cheat"]["over"]
    assert "best_cheat_gain_eth_if_the_operator_sees_the_verifiers" in figures
    playable = [run.cheat_gain_per_cheat() for (_, s, _), run in runs.items() if s in sim.REALISTIC]
    assert figures["best_cheat_gain_eth"] == max(g for g in playable if g is not None)
    by_members = figures["by_cheat_rate"]["10pct"]["sybil_members_gain_eth_by_members"]
    assert set(by_members) == set(sim.SYBIL_COUNTS)
    assert figures["diligent_verifier_profit_eth_per_assigned_task_at_0pct"] is not None
    without = replace(base, forced_error_ppm=0, jackpot_bps=0, pot_eth=0.0)
    jackpot = sim.jackpot_figures(runs, sim.grid(without), base)
    assert jackpot["jackpot_escrow_eth"][0] == base.pot_eth and jackpot["jackpot_escrow_eth_end"] is not None
    assert "escrow_reserved" in jackpot and not any("burn" in key for key in jackpot)
    at_zero = jackpot["jackpot_at_0pct"]
    assert at_zero["jackpot_paid_eth"] == at_zero["catches"] * jackpot["committee_pay_eth_per_catch"]
    assert {"forced_error_ppm", "jackpot_bps", "pot_eth", "committee_size", "verifier_bond_eth", "rationale",
            "committee_economics"} <= set(jackpot["jackpot_parameters"])
    profit = jackpot["honest_operator_profit_eth_per_task"]
    assert profit["without_forced_errors"] == 0.4  # R − C, no draws, no escrow
    assert profit["with_forced_errors"] < profit["without_forced_errors"]
    plain = sim.block(sim.grid(without), without)
    assert set(plain["strategy_gain_eth"]) == set(sim.STRATEGIES) - {"informed"}
    assert plain["diligent_verifier_profit_eth_at_0pct"] < 0  # nothing to catch, checks cost


def net_coalition(run: sim.Run) -> int:
    return sum(run.ledger[a] for a in sim.COALITION)
