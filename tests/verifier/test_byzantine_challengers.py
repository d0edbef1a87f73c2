"""The Byzantine matrix, several challengers (issue #14, findings 1-4; `docs/protocol.md`, "Several
challengers"): a cheater's second account racing the honest verifier, a colluding challenger that
opens first and goes silent, a griefer routing its bond through two accounts, and a squatter. Each
cell runs on a real anvil with the real verifier agent (`verifier.agent.VerifierAgent`), the shared
dispute desk and, for the squatter, the real operator agent; each asserts every wei that moved
(credits, slashes, burns, bonds) on the StakeManager's books. The rows join the matrix printed at
the end of the session (`tests/verifier/conftest.py`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.agents import start_agent
from tests.support.chain import actor_key
from tests.support.disputes import MIN_STAKE, OPERATOR_STAKE, REWARD, WINDOW, Scenario, operator_run
from tests.support.waiting import wait_for
from tests.verifier.test_byzantine import (
    assert_challenger_slashed,
    assert_verifier_stayed_out,
    game_view,
    our_game,
    random_fault,
    row,
    slash_share,
    where,
)
from tribunal.chain.anvil import ANVIL_KEYS, increase_time
from tribunal.chain.client import ChainClient
from tribunal.chain.deployment import save_deployment
from tribunal.chain.dispute_game import DisputeGame
from tribunal.chain.keys import signer_from_private_key
from tribunal.chain.session import format_eth
from tribunal.chain.stake_manager import StakeManager
from tribunal.chain.task_market import TaskMarket
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.player import Player, play_out
from tribunal.dispute.state import GameStatus, GameView, Party, Resolution
from tribunal.protocol_enums import CollateralKind, TaskStatus
from tribunal.tasks import PreparedTask
from verifier.agent import VerifierAgent
from verifier.checking import Mode, Verdict
from worker.state import Phase, StateDir

SECOND_KEY = ANVIL_KEYS[7]
"""A griefer's second account: an anvil account none of the devnet's actors or test operators holds."""


def burned(s: Scenario) -> int:
    """Wei burned by every slash so far (`StakeManager.totalBurned`)."""
    return int(s.devnet.stake_manager("other")._call("totalBurned"))


def closed(s: Scenario, game_id: int | None) -> bool:
    """The game is over: withdrawn, or decided and its verdict settled (its money moved)."""
    if game_id is None:
        return False
    view = game_view(s, game_id)
    return view.closed and (not view.status.resolved or s.devnet.game("other").is_settled(game_id))


def stake_and_open(s: Scenario, who: str, root: bytes) -> int:
    """``who`` bonds one challenger bond and opens a game on the scenario's task with ``root``."""
    game = s.devnet.game(who)
    s.devnet.stake_manager(who).stake(game.challenger_bond())
    game_id, _ = game.open(s.task_id, root)
    return game_id


def play_to_the_end(game_id: int, challenger: tuple[DisputeGame, PartyClaims],
                    operator: tuple[DisputeGame, PartyClaims]) -> GameView:
    """Both parties of one game move as fast as they can (the operator answering its own account)."""
    return play_out([Player(challenger[0], game_id, Party.CHALLENGER, challenger[1]),
                     Player(operator[0], game_id, Party.OPERATOR, operator[1])])


def assert_books(s: Scenario, burned_before: int, *, burned_now: int,
                 **expected: tuple[int, int, int]) -> None:
    """Each named actor's (bonded, locked, credit) on the StakeManager, and the wei burned since."""
    sm = s.devnet.stake_manager("other")
    got = {who: (sm.info(s.address(who)).bonded, sm.info(s.address(who)).locked, sm.credit_of(s.address(who)))
           for who in expected}
    assert got == expected
    assert burned(s) - burned_before == burned_now


def verifier_with_its_game(s: Scenario) -> tuple[VerifierAgent, int]:
    """The verifier agent (full replays), ticked until it has opened its game; and that game."""
    verifier = s.verifier(Mode.FULL)
    s.drive(verifier, lambda: our_game(s, verifier) is not None)
    game_id = our_game(s, verifier)
    assert game_id is not None
    return verifier, game_id


# -- finding 1: the cheater's second account races the honest verifier ------------------------


@pytest.mark.parametrize("free_stake", [True, False], ids=["operator-has-free-stake", "no-free-stake"])
def test_a_second_account_racing_the_verifier_cannot_take_its_pay(
        scenario: Scenario, prepared: PreparedTask, honest_claims: PartyClaims, free_stake: bool) -> None:
    """The operator submits a wrong result; its second account opens a game first and the operator
    loses that game to it at once. With free stake the verifier's game runs on stake locked for it
    alone and pays the verifier in full; without, it waits in the queue, and when the void leaves
    nothing to back it, it is closed as moot and the verifier's bond comes back."""
    s = scenario
    bond = s.devnet.game("other").challenger_bond()
    fault = random_fault(prepared, seed=41)
    run = operator_run(prepared, lambda: fault)
    s.post_and_claim()
    if free_stake:
        s.devnet.stake_manager("operator").stake(MIN_STAKE)  # free stake backs one more game
    s.submit(run)
    before = burned(s)
    second = stake_and_open(s, "other", honest_claims.trace_root)  # the operator's own account, first
    assert game_view(s, second).collateral is CollateralKind.TASK_STAKE
    verifier, ours = verifier_with_its_game(s)
    view = game_view(s, ours)
    sm = s.devnet.stake_manager("other")
    if free_stake:
        assert view.active and view.collateral is CollateralKind.GAME_STAKE
        assert sm.info(s.address("operator")).locked == 2 * MIN_STAKE  # the task stake and our game's
    else:
        assert view.queued and view.collateral is CollateralKind.NONE
        assert sm.info(s.address("challenger")).locked == bond  # only the bond, and no clock runs

    thrown = play_to_the_end(second, (s.devnet.game("other"), honest_claims), (s.devnet.game("operator"),
                                                                              run.claims))
    assert thrown.status is GameStatus.CHALLENGER_WON  # the second account took the task stake's share
    # with our game still running the voided task waits for it; a moot close ended the last game
    voided_or_reopened = TaskStatus.VOIDED if free_stake else TaskStatus.OPEN
    assert s.devnet.market("other").task(s.task_id).status is voided_or_reopened
    s.defend(run.claims)
    s.drive(verifier, lambda: closed(s, ours) and verifier.idle())
    view = game_view(s, ours)
    assert verifier.state is not None
    record, game = verifier.state.checks[s.task_id], verifier.state.games[ours]
    w_stake = slash_share(MIN_STAKE, s)
    if free_stake:
        assert view.status is GameStatus.CHALLENGER_WON and game.outcome == "challenger_won"
        assert_books(s, before, burned_now=2 * (MIN_STAKE - w_stake),
                     operator=(OPERATOR_STAKE + MIN_STAKE - 2 * MIN_STAKE, 0, 0),
                     other=(bond, 0, w_stake), challenger=(bond, 0, w_stake))
        how, got = ("both games run (task stake, game stake); ours: " + where(view, prepared),
                    f"{format_eth(w_stake)} credit + bond back (as much as the 2nd account)")
    else:
        assert view.status is GameStatus.WITHDRAWN and game.outcome == "moot" and game.won is None
        assert record.status == "closed" and "moot" in record.note
        assert_books(s, before, burned_now=MIN_STAKE - w_stake,
                     operator=(OPERATOR_STAKE - MIN_STAKE, 0, 0), other=(bond, 0, w_stake),
                     challenger=(bond, 0, 0))
        how, got = ("verifier's game queued (no free stake), closed as moot after the void",
                    "bond back, no gas for a game it could not win (residual: docs/economics.md)")
    assert s.devnet.market("other").task(s.task_id).status is TaskStatus.OPEN  # every game ended: reopened
    row("operator + 2nd account", "2nd account opens first, the operator throws its game "
        f"({'free stake' if free_stake else 'no free stake'})", how,
        f"{format_eth((2 if free_stake else 1) * MIN_STAKE)} stake", got)


# -- an operator colluding with a challenger that opens first, then goes silent ---------------------


@pytest.mark.parametrize("free_stake", [False, True], ids=["queued-then-funded", "game-stake"])
def test_a_silent_colluding_challenger_does_not_shield_the_operator(
        scenario: Scenario, prepared: PreparedTask, honest_claims: PartyClaims, free_stake: bool) -> None:
    """The colluder's game holds the task stake and never moves. The verifier's game runs anyway: at
    once on stake locked for it (free stake), or from the queue once the operator has won the
    colluder's game on its clock (the task stake is free again). Either way it wins, the operator
    is slashed, and the colluder's bond is gone."""
    s = scenario
    bond = s.devnet.game("other").challenger_bond()
    run = operator_run(prepared, lambda: random_fault(prepared, seed=58))
    s.post_and_claim()
    if free_stake:
        s.devnet.stake_manager("operator").stake(MIN_STAKE)
    s.submit(run)
    before = burned(s)
    colluder = stake_and_open(s, "other", honest_claims.trace_root)
    verifier, ours = verifier_with_its_game(s)
    assert game_view(s, ours).status is (GameStatus.ACTIVE if free_stake else GameStatus.QUEUED)
    s.defend(run.claims)
    max_clock = s.devnet.game("other").max_clock()
    if free_stake:  # our game runs now, beside the colluder's; the colluder's clock runs out after
        s.drive(verifier, lambda: closed(s, ours))
        increase_time(s.devnet.anvil.w3, max_clock + 1)
        s.drive(verifier, lambda: closed(s, colluder) and verifier.idle())
    else:  # nothing can move in ours until the colluder's game ends: its clock runs out first
        increase_time(s.devnet.anvil.w3, max_clock + 1)
        s.drive(verifier, lambda: closed(s, ours) and verifier.idle())
    view, silent = game_view(s, ours), game_view(s, colluder)
    assert silent.status is GameStatus.OPERATOR_WON and silent.resolution is Resolution.TIMEOUT
    assert view.status is GameStatus.CHALLENGER_WON
    assert view.collateral is (CollateralKind.GAME_STAKE if free_stake else CollateralKind.TASK_STAKE)
    w_stake, w_bond = slash_share(MIN_STAKE, s), slash_share(bond, s)
    staked = OPERATOR_STAKE + (MIN_STAKE if free_stake else 0)
    assert_books(s, before, burned_now=(MIN_STAKE - w_stake) + (bond - w_bond),
                 operator=(staked - MIN_STAKE, 0, w_bond), other=(0, 0, 0), challenger=(bond, 0, w_stake))
    assert s.devnet.market("other").task(s.task_id).status is TaskStatus.OPEN
    row("operator + colluder", "colluder opens first and goes silent "
        f"({'free stake' if free_stake else 'no free stake'})",
        ("own game on a game stake" if free_stake else "own game queued, funded with the task stake once the "
         "colluder's clock ran out") + ": " + where(view, prepared),
        f"{format_eth(MIN_STAKE)} stake (colluder: {format_eth(bond)} bond)",
        f"{format_eth(w_stake)} credit + bond back")


# -- the verifier tends its queued game itself ------------------------------------------------------


def test_the_verifier_starts_its_queued_game_when_the_operator_stakes_more(
        scenario: Scenario, prepared: PreparedTask, honest_claims: PartyClaims) -> None:
    """Nothing on-chain advances a queue when the operator stakes more: the verifier sees the
    operator's free stake can back its queued game and advances the queue itself (GameStake)."""
    s = scenario
    run = operator_run(prepared, lambda: random_fault(prepared, seed=71))
    s.post_and_claim()
    s.submit(run)
    stake_and_open(s, "other", honest_claims.trace_root)  # holds the task stake and never moves
    verifier, ours = verifier_with_its_game(s)
    assert game_view(s, ours).queued
    s.defend(run.claims)
    s.drive(verifier, lambda: True)
    assert game_view(s, ours).queued  # the operator's free stake cannot back it: the verifier waits
    s.devnet.stake_manager("operator").stake(MIN_STAKE)
    s.drive(verifier, lambda: closed(s, ours) and verifier.idle())
    view = game_view(s, ours)
    assert (view.status, view.collateral) == (GameStatus.CHALLENGER_WON, CollateralKind.GAME_STAKE)
    assert s.devnet.stake_manager("other").credit_of(s.address("challenger")) == slash_share(MIN_STAKE, s)


def test_the_verifier_closes_its_queued_game_once_the_void_leaves_it_moot(
        scenario: Scenario, prepared: PreparedTask, honest_claims: PartyClaims) -> None:
    """The chain's advance after a resolution looks at MAX_QUEUE_STEPS entries only: with more games
    ahead of ours, ours is still queued after the void. The verifier advances the queue itself, which
    closes its game as moot, and gets its bond back."""
    s = scenario
    game = s.devnet.game("other")
    bond = game.challenger_bond()
    steps = int(game._call("MAX_QUEUE_STEPS"))
    run = operator_run(prepared, lambda: random_fault(prepared, seed=72))
    s.post_and_claim()
    s.submit(run)
    before = burned(s)
    s.devnet.stake_manager("other").stake((steps + 1) * bond)
    holder, _ = game.open(s.task_id, honest_claims.trace_root)
    ahead = [game.open(s.task_id, honest_claims.trace_root)[0] for _ in range(steps)]
    verifier, ours = verifier_with_its_game(s)
    assert game_view(s, ours).queued
    play_to_the_end(holder, (game, honest_claims), (s.devnet.game("operator"), run.claims))
    assert all(game_view(s, g).status is GameStatus.WITHDRAWN for g in ahead)  # moot, by the chain
    assert game_view(s, ours).queued and s.devnet.market("other").task(s.task_id).status is TaskStatus.VOIDED
    s.drive(verifier, lambda: closed(s, ours) and verifier.idle())
    assert game_view(s, ours).status is GameStatus.WITHDRAWN
    assert verifier.state is not None and verifier.state.games[ours].outcome == "moot"
    w_stake = slash_share(MIN_STAKE, s)
    assert_books(s, before, burned_now=MIN_STAKE - w_stake, operator=(OPERATOR_STAKE - MIN_STAKE, 0, 0),
                 other=((steps + 1) * bond, 0, w_stake), challenger=(bond, 0, 0))
    assert s.devnet.market("other").task(s.task_id).status is TaskStatus.OPEN


# -- finding 3: a griefer with two accounts ---------------------------------------------------------


def test_a_griefer_cannot_route_its_bond_to_its_second_account(
        scenario: Scenario, prepared: PreparedTask, honest_claims: PartyClaims) -> None:
    """The griefer challenges an honest result, then gets itself slashed, as the operator of a task
    its second account posted and challenged, with exactly the stake that game needs. The slash
    takes that task's stake only: the griefer's bond stays locked in its game, and the honest
    operator, who wins it, is paid the winner's share of the bond in full."""
    s = scenario
    w3 = s.devnet.anvil.w3
    bond = s.devnet.game("other").challenger_bond()
    s.post_and_claim()
    s.submit(operator_run(prepared))
    before = burned(s)
    griefer_sm = s.devnet.stake_manager("other")
    griefer_sm.stake(bond + MIN_STAKE)  # exactly one bond and one task's stake
    liar = PartyClaims(prepared, tamper=random_fault(prepared, seed=63))
    griefing, _ = s.devnet.game("other").open(s.task_id, liar.trace_root)

    second = ChainClient(w3, signer_from_private_key(SECOND_KEY))
    addresses = s.devnet.deployment
    assert addresses.dispute_game is not None
    second_market = TaskMarket(second, addresses.task_market)
    second_game = DisputeGame(second, addresses.dispute_game)
    second_sm = StakeManager(second, addresses.stake_manager)
    now = s.chain_now()
    own_task, _ = second_market.post_task(
        prepared.task_params(min_stake=MIN_STAKE, deadline=now + 3 * 86_400, challenge_window=WINDOW), REWARD)
    s.devnet.market("other").claim(own_task)
    cheat = operator_run(prepared, lambda: random_fault(prepared, seed=64))
    s.devnet.market("other").submit_trace(own_task, cheat.claims.state_commitments, cheat.model.content_hash)
    second_sm.stake(bond)
    routed, _ = second_game.open(own_task, honest_claims.trace_root)
    lost = play_to_the_end(routed, (second_game, honest_claims), (s.devnet.game("other"), cheat.claims))
    assert lost.status is GameStatus.CHALLENGER_WON and lost.collateral is CollateralKind.TASK_STAKE
    assert griefer_sm.info(s.address("other")).locked == bond  # the griefing game's bond was not touched
    w_stake, w_bond = slash_share(MIN_STAKE, s), slash_share(bond, s)
    assert (second_sm.credit_of(second.address), second_sm.info(second.address).bonded) == (w_stake, bond)

    verifier = s.verifier(Mode.SPOT, sample_rate=0.1)
    s.defend(honest_claims)
    s.defend(liar, who="other")
    s.drive(verifier, lambda: closed(s, griefing) and verifier.idle())
    view = game_view(s, griefing)
    assert view.status is GameStatus.OPERATOR_WON
    assert_verifier_stayed_out(s, verifier)
    assert verifier.state is not None and verifier.state.checks[own_task].status == "skipped"  # voided first
    assert burned(s) - before == (MIN_STAKE - w_stake) + (bond - w_bond)
    got = assert_challenger_slashed(s, "other")  # the operator: w * bond, then its reward and stake
    assert (second_sm.credit_of(second.address), second_sm.info(second.address).locked) == (w_stake, 0)
    assert s.devnet.market("other").task(own_task).status is TaskStatus.OPEN  # reopened, reward escrowed
    row("challenger + 2nd account", "griefer gets slashed on its own task to move its bond to its 2nd "
        "account", "the slash takes that task's stake only; griefing game: " + where(view, prepared),
        f"{format_eth(bond)} bond + {format_eth(MIN_STAKE)} stake (2nd account got {format_eth(w_stake)})",
        got)


# -- finding 4: a squatter -------------------------------------------------------------------------


def test_a_squatter_is_evicted_and_an_honest_operator_agent_takes_the_task(
        scenario: Scenario, prepared: PreparedTask, tmp_path: Path) -> None:
    """A squatter claims a task and never submits. Past the claim timeout the submitter evicts it
    (slashed as for a missed deadline, the submitter the winner); the task reopens, and the real
    operator agent claims, trains, submits and is paid, while the verifier agent finds it honest."""
    s = scenario
    w3 = s.devnet.anvil.w3
    market = s.devnet.market("other")
    now = s.chain_now()
    s.task_id, _ = s.devnet.market("submitter").post_task(
        prepared.task_params(min_stake=MIN_STAKE, deadline=now + 3 * 86_400, challenge_window=WINDOW), REWARD)
    before = burned(s)
    s.devnet.stake_manager("other").stake(MIN_STAKE)
    s.devnet.market("other").claim(s.task_id)
    timeout = market.claim_timeout()
    slash_bps = int(market._call("MISSED_DEADLINE_SLASH_BPS"))
    increase_time(w3, timeout + 1)
    s.devnet.market("submitter").evict_claim(s.task_id)
    slashed = MIN_STAKE * slash_bps // 10_000
    assert market.task(s.task_id).status is TaskStatus.OPEN

    deployment_file = save_deployment(s.devnet.deployment, tmp_path / "operator-deployment.json")
    agent = start_agent(s.devnet, deployment_file, tmp_path / "operator", actor_key("operator"), s.store_url,
                        stake=OPERATOR_STAKE, auto_withdraw=False)
    verifier = s.verifier(Mode.SPOT, sample_rate=0.5)
    try:
        def checked() -> bool:
            assert verifier.state is not None
            submitted = market.task(s.task_id).status is TaskStatus.SUBMITTED
            return submitted and s.task_id in verifier.state.checks and verifier.idle()

        tick_until(verifier, checked, 180,
                   "the operator agent to claim, train and submit, and the verifier to check it")
        assert verifier.state is not None
        record = verifier.state.checks[s.task_id]
        assert record.verdict == Verdict.HONEST.value and record.game_id is None
        increase_time(w3, WINDOW + 1)
        tick_until(verifier, lambda: market.task(s.task_id).status is TaskStatus.FINALIZED, 60,
                   "the operator agent to finalize")
        operator_state = StateDir(tmp_path / "operator")
        tick_until(verifier, lambda: operator_state.read().tasks[s.task_id].phase is Phase.PAID, 30,
                   "the operator agent to record its pay")
    finally:
        agent.halt()
    assert market.task(s.task_id).operator.lower() == s.address("operator").lower()
    w_slash = slash_share(slashed, s)
    assert_books(s, before, burned_now=slashed - w_slash, operator=(OPERATOR_STAKE, 0, REWARD),
                 other=(MIN_STAKE - slashed, 0, 0), submitter=(0, 0, w_slash), challenger=(
                     s.devnet.game("other").challenger_bond(), 0, 0))
    row("squatter", "claims a task and never submits", "evictClaim after the claim timeout; the operator "
        "agent takes the reopened task and is paid",
        f"{format_eth(slashed)} stake", f"submitter {format_eth(w_slash)} credit; operator the reward")


def tick_until(verifier: VerifierAgent, until: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Tick the verifier (in this thread) while agents on other threads work, until ``until()``."""

    def ticked() -> bool:
        verifier.tick()
        return until()

    wait_for(ticked, timeout_s, what=what)
