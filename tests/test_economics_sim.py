"""The verifier-population simulation (bench/economics_sim.py): determinism, conservation of
money, and cases computed by hand under the spec's rules (per-game collateral, FIFO queue, moot
games closed with their bond back)."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal

import pytest

from bench import economics_sim as sim
from bench.economics_sim import (
    BURN,
    CHEATER,
    COLLUDER,
    COPYCAT,
    DILIGENT,
    FIXED,
    FUND,
    GAS,
    HONEST_SYBIL,
    OFFCHAIN,
    SUBMITTER,
    SYBIL,
    Money,
    SimParams,
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


@pytest.mark.parametrize("strategy", sim.STRATEGIES)
def test_a_seed_fixes_the_run(strategy: str) -> None:
    params = SimParams(tasks=3_000, window=200, cheat_rate=0.05, strategy=strategy, seed=7)
    a, b = simulate(params), simulate(params)
    assert a.ledger == b.ledger and a.populations == b.populations and a.summary() == b.summary()
    assert simulate(replace(params, seed=8)).ledger != a.ledger


@pytest.mark.parametrize("params", [
    *(SimParams(tasks=4_000, window=200, cheat_rate=0.1, strategy=s, initial_diligent=4)
      for s in sim.STRATEGIES),
    replace(sim.PROPOSAL, tasks=4_000, window=200, cheat_rate=0.05),
    replace(sim.PROPOSAL, tasks=4_000, window=200, cheat_rate=0.05, hidden_roots=False),
])
def test_no_wei_is_created_or_lost(params: SimParams) -> None:
    run = simulate(params)
    # Every transfer debits one account and credits another: the sinks (burn, gas, off-chain
    # costs, the jackpot fund) are accounts, so the ledger sums to zero, to the wei.
    assert sum(run.ledger) == 0
    assert min(run.ledger[BURN], run.ledger[GAS], run.ledger[OFFCHAIN], run.ledger[FUND]) >= 0
    assert run.ledger[SUBMITTER] == -(params.tasks - run.caught) * MONEY.reward
    slashes = sum(run.games.get(f"{role}_won", 0) for role in (DILIGENT, COPYCAT, "sybil"))
    bonds_lost = sum(n for what, n in run.games.items() if what.endswith("_lost"))
    assert run.ledger[BURN] == slashes * (MONEY.stake - MONEY.winner_stake) + bonds_lost * (
        MONEY.bond - MONEY.winner_bond)


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


def test_forced_error_jackpot_proposal_splits_the_payout_among_the_catchers() -> None:
    params = replace(ALONE, tasks=2, cheat_rate=0.0, forced_error_prob=1.0, jackpot_fee_share=0.1,
                     jackpot_payout_fraction=0.5, hidden_roots=True)
    run = simulate(params)
    fee = eth("0.1")
    # task 1: the fund is empty, so nothing is paid, then it takes the fee; task 2: half of it is
    # split between the diligent verifier and the operator's second account
    assert run.forced_errors == 2 and run.ledger[FUND] == fee + fee // 2
    share = fee // 4
    assert run.ledger[HONEST_SYBIL] == share - 2 * (MONEY.open_gas + MONEY.close_gas)
    assert run.ledger[FIXED] == share - MONEY.entry - 2 * (MONEY.spot + MONEY.capital + MONEY.replay
                                                           + MONEY.open_gas + MONEY.close_gas)
    assert sum(run.ledger) == 0


def test_ten_thousand_tasks_take_well_under_a_minute() -> None:
    began = time.perf_counter()
    simulate(SimParams(tasks=10_000, cheat_rate=0.1, strategy="second_account"))
    assert time.perf_counter() - began < 10


def test_the_figures_carry_the_goals_and_keep_the_proposal_apart() -> None:
    runs = sim.grid(replace(sim.ON_CHAIN, tasks=2_000, window=200))
    figures = sim.block(runs, sim.ON_CHAIN)
    for name in sim.GOALS:
        assert name in figures and name in figures["goals_met"]
    assert set(figures["by_cheat_rate"]) == {"0pct", "1pct", "2pct", "5pct", "10pct"}
    assert set(figures["strategy_gain_eth"]) == set(sim.STRATEGIES)
    assert figures["diligent_verifier_profit_eth_at_0pct"] < 0  # nothing to catch, checks cost


def net_coalition(run: sim.Run) -> int:
    return sum(run.ledger[a] for a in sim.COALITION)
