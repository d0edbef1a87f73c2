"""The Byzantine matrix: every way an operator or a challenger cheats, on a real anvil, against the
verifier agent (`verifier.agent.VerifierAgent`) and the shared dispute desk. Every cell ends with the
cheater slashed and the honest side paid (asserted on the StakeManager's books), or with the cheat
refused outright: a result naming another state as its model (final state root) is refused by
`submitResult`, and a model file of another state is refused by every client. The table is printed
at the end of the session."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner
from web3 import Web3

from backend.artifacts.store import LocalDiskStore
from backend.db.models import Task as IndexedTask
from backend.services import model_check
from deploy.cli import app as tribunal_cli
from tests.support.disputes import (
    MATRIX,
    MIN_STAKE,
    OPERATOR_STAKE,
    REWARD,
    WINDOW,
    OperatorRun,
    Scenario,
    operator_run,
)
from tribunal.chain.anvil import increase_time
from tribunal.chain.deployment import save_deployment
from tribunal.chain.errors import ContractRevert
from tribunal.chain.session import format_eth
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import committed_step, trace_proof
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.dispute.faults import SkipStep, WrongBatch
from tribunal.dispute.moves import level_tree
from tribunal.dispute.player import Player
from tribunal.dispute.state import GameStatus, GameView, Party, Resolution
from tribunal.protocol_enums import CollateralKind, TaskStatus
from tribunal.tasks import PreparedTask
from verifier.agent import VerifierAgent
from verifier.checking import Mode, Verdict, checkpoint_boundaries, sample_intervals

BPS = 10_000


def random_fault(prepared: PreparedTask, seed: int, steps: range | None = None) -> BitFlip:
    """A random bit flip that changes the committed trace. States are committed at checkpoint
    steps only, so a flip whose effect is gone by the next one (a ReLU input that stays negative,
    say) changes no committed state: the result is then right, and there is nothing to prove."""
    rng = random.Random(seed)
    honest = PartyClaims(prepared).trace_root
    for _ in range(100):
        step = rng.choice(steps or range(prepared.spec.steps))
        node = rng.randrange(len(prepared.graph.nodes))
        element = rng.randrange(prepared.graph.nodes[node].numel)
        fault = BitFlip(step=step, node=node, element=element, bit=rng.choice([3, 12, 22, 27, 31]))
        if PartyClaims(prepared, tamper=fault).trace_root != honest:
            return fault
    raise AssertionError("no fault of 100 drawn changes the committed trace")


def game_view(s: Scenario, game_id: int) -> GameView:
    return GameView.from_tuple(s.devnet.game("other").state(game_id))


def our_game(s: Scenario, verifier: VerifierAgent) -> int | None:
    assert verifier.state is not None
    record = verifier.state.checks.get(s.task_id)
    return None if record is None else record.game_id


def resolved(s: Scenario, verifier: VerifierAgent) -> bool:
    """Our game is over (resolved and settled, or withdrawn while queued), not merely waiting in the
    queue."""
    game_id = our_game(s, verifier)
    if game_id is None:
        return False
    view = game_view(s, game_id)
    # a decided game counts once its verdict is settled (the books below are read after it)
    return view.closed and (not view.status.resolved or s.devnet.game("other").is_settled(game_id))


def where(view: GameView, prepared: PreparedTask) -> str:
    if view.resolution is Resolution.TIMEOUT:
        return f"timeout at {view.level.name.lower()}"
    node = prepared.graph.nodes[view.node].name
    return (f"one step: step {view.step}, node {view.node} ({node}), element {view.element}, "
            f"instruction {view.instruction}")


def slash_share(amount: int, s: Scenario) -> int:
    return amount * s.devnet.deployment.params["slash_winner_bps"] // BPS


def assert_operator_slashed(s: Scenario) -> str:
    """The cheating operator lost its task stake; the verifier got the winner's share, bond back."""
    sm = s.devnet.stake_manager("other")
    operator, verifier = s.address("operator"), s.address("challenger")
    bond = s.devnet.game("other").challenger_bond()
    assert sm.info(operator).bonded == OPERATOR_STAKE - MIN_STAKE
    assert sm.info(operator).locked == 0
    assert sm.credit_of(operator) == 0
    assert sm.credit_of(verifier) == slash_share(MIN_STAKE, s)
    assert sm.info(verifier).bonded == bond and sm.info(verifier).locked == 0
    assert s.devnet.market("other").task(s.task_id).status is TaskStatus.OPEN  # reopened for someone honest
    return format_eth(slash_share(MIN_STAKE, s)) + " credit + bond back"


def assert_challenger_slashed(s: Scenario, challenger: str = "other") -> str:
    """The cheating challenger lost its bond; the operator got the winner's share and, after the
    window, its reward and its stake back."""
    sm = s.devnet.stake_manager("other")
    operator, address = s.address("operator"), s.address(challenger)
    bond = s.devnet.game("other").challenger_bond()
    assert sm.info(address).bonded == 0 and sm.info(address).locked == 0
    assert sm.credit_of(operator) == slash_share(bond, s)
    increase_time(s.devnet.anvil.w3, WINDOW + 1)
    s.devnet.market("other").finalize(s.task_id)
    assert sm.credit_of(operator) == slash_share(bond, s) + REWARD
    assert sm.info(operator).bonded == OPERATOR_STAKE and sm.info(operator).locked == 0
    return f"{format_eth(slash_share(bond, s))} credit + reward {format_eth(REWARD)}"


def row(cheater: str, fault: str, how: str, lost: str, got: str) -> None:
    MATRIX.append((cheater, fault, how, lost, got))


def challenge_and_win(s: Scenario, run: OperatorRun, verifier: VerifierAgent) -> GameView:
    s.defend(run.claims)
    s.drive(verifier, lambda: resolved(s, verifier))
    game_id = our_game(s, verifier)
    assert game_id is not None
    view = game_view(s, game_id)
    assert view.status is GameStatus.CHALLENGER_WON
    return view


# -- cheating operators -------------------------------------------------------------------


def test_a_verifier_below_its_stake_bonds_again_before_challenging(scenario: Scenario,
                                                                   prepared: PreparedTask) -> None:
    s = scenario
    run = operator_run(prepared, lambda: random_fault(prepared, seed=99))
    s.post_and_claim()
    s.submit(run)
    verifier = s.verifier(Mode.FULL)
    sm = verifier.session.stake_manager
    bond = s.devnet.game("other").challenger_bond()
    sm.request_unbond(bond // 2)  # e.g. after a lost game: bonded below --stake, free below one bond
    assert sm.info(verifier.me).free < bond
    challenge_and_win(s, run, verifier)
    assert sm.info(verifier.me).bonded == bond  # bonded again up to --stake, then won


@pytest.mark.parametrize("mode", [Mode.SPOT, Mode.FULL])
def test_flipped_bit_is_found_and_slashed(scenario: Scenario, prepared: PreparedTask, mode: Mode) -> None:
    s = scenario
    fault = random_fault(prepared, seed=2024 if mode is Mode.SPOT else 7)
    run = operator_run(prepared, lambda: fault)
    s.post_and_claim()
    s.submit(run)
    verifier = s.verifier(mode)
    view = challenge_and_win(s, run, verifier)
    assert view.resolution is Resolution.ONE_STEP
    assert (view.step, view.node, view.element) == (fault.step, fault.node, fault.element)
    assert verifier.state is not None
    record = verifier.state.checks[s.task_id]
    # states are committed at checkpoint steps: the first differing one ends the fault's interval
    committed_after = fault.step + 1
    while not committed_step(committed_after, prepared.spec.steps, prepared.spec.checkpoint_every):
        committed_after += 1
    assert record.first_bad_step == committed_after - 1 and record.full_replay
    if mode is Mode.SPOT:
        assert not any("escalat" in e for e in record.result["escalated"])
        assert any(i["bad_step"] == committed_after - 1 for i in record.result["intervals"])
    row("operator", f"bit {fault.bit} of one element flipped at step {fault.step} ({mode.value} check)",
        where(view, prepared), format_eth(MIN_STAKE) + " stake", assert_operator_slashed(s))


def test_skipped_step_is_found_and_slashed(scenario: Scenario, prepared: PreparedTask) -> None:
    s = scenario
    step = 2
    run = operator_run(prepared, lambda: SkipStep(step, prepared.graph))
    before, after = run.claims.step(step).state, run.claims.step(step + 1).state
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))  # h_3's state is h_2's
    s.post_and_claim()
    s.submit(run)
    verifier = s.verifier(Mode.SPOT)
    view = challenge_and_win(s, run, verifier)
    assert view.resolution is Resolution.ONE_STEP and view.step == step
    assert prepared.graph.nodes[view.node].name.startswith("update.")
    row("operator", f"step {step} skipped (parameters reused)", where(view, prepared),
        format_eth(MIN_STAKE) + " stake", assert_operator_slashed(s))


def test_wrong_batch_is_found_and_slashed(scenario: Scenario, prepared: PreparedTask) -> None:
    s = scenario
    rows = torch.from_numpy(np.array(prepared.dataset.rows))
    run = operator_run(prepared, lambda: WrongBatch(1, 3, prepared.graph, rows))
    s.post_and_claim()
    s.submit(run)
    verifier = s.verifier(Mode.FULL)
    view = challenge_and_win(s, run, verifier)
    assert view.resolution is Resolution.ONE_STEP and (view.step, view.node) == (1, 0)
    row("operator", "step 1 trained on step 3's batch (BATCH_GATHER)", where(view, prepared),
        format_eth(MIN_STAKE) + " stake", assert_operator_slashed(s))


def test_withheld_checkpoints_mean_a_full_replay_and_a_slash(scenario: Scenario,
                                                              prepared: PreparedTask) -> None:
    s = scenario
    fault = random_fault(prepared, seed=31)
    run = operator_run(prepared, lambda: fault)
    s.post_and_claim()
    s.submit(run, manifest=False)
    verifier = s.verifier(Mode.SPOT, sample_rate=0.1)
    view = challenge_and_win(s, run, verifier)
    assert verifier.state is not None
    record = verifier.state.checks[s.task_id]
    assert record.full_replay and any("manifest" in e for e in record.result["escalated"])
    row("operator", "bit flip, checkpoint manifest withheld (spot check escalates to a full replay)",
        where(view, prepared), format_eth(MIN_STAKE) + " stake", assert_operator_slashed(s))


def test_model_of_another_state_with_a_matching_trace_is_slashed(scenario: Scenario,
                                                                   prepared: PreparedTask) -> None:
    """The model is a stale state (the last step not done) and the trace was built to match it."""
    s = scenario
    last = prepared.spec.steps - 1
    run = operator_run(prepared, lambda: SkipStep(last, prepared.graph))
    s.post_and_claim()
    s.submit(run)
    verifier = s.verifier(Mode.SPOT)
    view = challenge_and_win(s, run, verifier)
    assert view.step == last
    row("operator", "model = state before the last step, trace made to match", where(view, prepared),
        format_eth(MIN_STAKE) + " stake", assert_operator_slashed(s))


def test_model_not_bound_to_an_honest_trace_is_flagged(scenario: Scenario, prepared: PreparedTask,
                                                       store_root: Path) -> None:
    """The model is h_S, the final state commitment the result names, and submitResult checks it is
    leaf S of the trace root (so the game that settles the trace settles the model). An honest trace
    with another state's commitment is refused on-chain. A result whose locator (the model hash)
    names another state's checkpoint is refused by every client: the verifier, `tribunal task model`
    and the API name the file as not matching the committed final state. Nothing is slashed for
    that: the result itself is right (its model is h_S); that its bytes can be had is issue #19."""
    s = scenario
    run = operator_run(prepared)
    steps = prepared.spec.steps
    states = run.claims.state_commitments
    other = run.checkpoints[2]  # the state after step 2
    s.post_and_claim()
    for proof in (trace_proof(states, steps), trace_proof(states, 2)):  # h_S's proof, and h_2's own
        with pytest.raises(ContractRevert) as refused:
            s.submit(run, final_state=(states[2], proof))
        assert refused.value.error_name == "FinalStateNotInTrace"
        assert refused.value.error_args == {"finalStateRoot": states[2], "traceRoot": run.claims.trace_root}
    assert s.devnet.market("other").task(s.task_id).status is TaskStatus.CLAIMED
    row("operator", "honest trace, final state root of another state (h_2)",
        "REFUSED at submitResult: FinalStateNotInTrace (h_2 is not leaf S of the trace root)",
        "no result accepted (the claim's deadline still runs)", "-")

    # the locator names a consistent checkpoint of another state, posing as the state after step S
    wrong = Checkpoint(prepared.spec_hash, steps, other.names, other.state,
                       [*states[:steps], other.state_commitments[-1]], other.leaves)
    wrong.check_against(prepared.spec_hash, prepared.graph)  # a well-formed file: only h_S differs
    s.submit(run, model=wrong)
    task = s.devnet.market("other").task(s.task_id)
    assert (task.trace_root, task.final_state_root) == (run.claims.trace_root, states[steps])
    assert task.model_hash == wrong.content_hash

    verifier = s.verifier(Mode.SPOT)
    s.drive(verifier, verifier.idle)
    assert verifier.state is not None
    record = verifier.state.checks[s.task_id]
    assert record.verdict == Verdict.MODEL_MISMATCH.value and record.game_id is None
    assert "does not match the committed final state (final_state)" in record.result["model"]

    out = s.tmp_path / "model.ckpt"
    cli = CliRunner().invoke(tribunal_cli, [
        "task", "model", str(s.task_id), "--out", str(out), "--rpc-url", s.devnet.anvil.rpc_url,
        "--deployment", str(save_deployment(s.devnet.deployment, s.tmp_path / "deployment.json")),
        "--artifact-store", s.store_url])
    assert cli.exit_code == 1, cli.output
    assert "refused" in cli.output and "committed final state" in cli.output and "(final_state)" in cli.output
    assert not out.exists()

    api = model_check.check(LocalDiskStore(store_root / "artifacts"), IndexedTask(
        task_id=s.task_id, spec_hash=Web3.to_hex(task.spec_hash), steps=task.steps,
        trace_root=Web3.to_hex(task.trace_root), final_state_root=Web3.to_hex(task.final_state_root),
        model_hash=Web3.to_hex(task.model_hash)))
    assert (api.status, api.mismatch) == ("mismatch", "final_state") and "refused" in api.detail
    row("operator", "honest trace and h_S, model hash names another state's checkpoint",
        "file REFUSED by every client (verifier model_mismatch, tribunal task model, API): not the "
        "committed final state", "nothing: the result is right, its model is h_S (its bytes: issue #19)", "-")


def test_inconsistent_reveal_reverts_then_the_clock_runs_out(scenario: Scenario, prepared: PreparedTask,
                                                            honest_claims: PartyClaims) -> None:
    """The operator committed a wrong root and tries to play with the honest data: every reveal of
    children that do not hash to its own root reverts, so it can only let its clock run out."""
    s = scenario
    run = operator_run(prepared, lambda: random_fault(prepared, seed=77))
    s.post_and_claim()
    s.submit(run)
    verifier = s.verifier(Mode.FULL)
    s.drive(verifier, lambda: our_game(s, verifier) is not None
            and game_view(s, our_game(s, verifier) or 0).on_turn is Party.OPERATOR)
    game_id = our_game(s, verifier)
    assert game_id is not None
    view = game_view(s, game_id)
    tree = level_tree(view, honest_claims)
    honest_children = (tree.node(view.height - 1, 0), tree.node(view.height - 1, 1))
    with pytest.raises(ContractRevert) as refused:
        s.devnet.game("operator").send_move(game_id, "reveal", honest_children)
    assert refused.value.error_name == "RevealMismatch"
    increase_time(s.devnet.anvil.w3, s.devnet.game("other").max_clock() + 1)
    s.drive(verifier, lambda: resolved(s, verifier))
    view = game_view(s, game_id)
    assert view.status is GameStatus.CHALLENGER_WON and view.resolution is Resolution.TIMEOUT
    row("operator", "reveals children that do not open its root", "RevealMismatch revert, then "
        + where(view, prepared), format_eth(MIN_STAKE) + " stake", assert_operator_slashed(s))


def test_operator_that_stops_answering_loses_on_its_clock(scenario: Scenario, prepared: PreparedTask) -> None:
    s = scenario
    run = operator_run(prepared, lambda: random_fault(prepared, seed=5))
    s.post_and_claim()
    s.submit(run)
    verifier = s.verifier(Mode.FULL)
    s.drive(verifier, lambda: our_game(s, verifier) is not None
            and game_view(s, our_game(s, verifier) or 0).on_turn is Party.OPERATOR)
    game_id = our_game(s, verifier)
    assert game_id is not None
    with pytest.raises(ContractRevert) as early:
        s.devnet.game("other").claim_timeout(game_id)
    assert early.value.error_name == "ClockNotExpired"
    increase_time(s.devnet.anvil.w3, s.devnet.game("other").max_clock() + 1)
    s.drive(verifier, lambda: resolved(s, verifier))
    view = game_view(s, game_id)
    assert view.status is GameStatus.CHALLENGER_WON and view.resolution is Resolution.TIMEOUT
    row("operator", "stops answering (clock left to run out)", where(view, prepared),
        format_eth(MIN_STAKE) + " stake", assert_operator_slashed(s))


# -- cheating challengers (the verifier watches and must not join) ---------------------------


def open_lying_game(s: Scenario, liar: PartyClaims) -> int:
    game = s.devnet.game("other")
    s.devnet.stake_manager("other").stake(game.challenger_bond())
    game_id, _ = game.open(s.task_id, liar.trace_root)
    return game_id


def assert_verifier_stayed_out(s: Scenario, verifier: VerifierAgent) -> None:
    assert verifier.state is not None
    record = verifier.state.checks[s.task_id]
    assert record.verdict == Verdict.HONEST.value and record.full_replay and record.game_id is None
    assert s.devnet.stake_manager("other").info(s.address("challenger")).locked == 0
    assert s.task_id not in verifier._claims, "an honest result's replay is not kept in memory"


def test_challenger_of_an_honest_result_loses_its_bond(scenario: Scenario, prepared: PreparedTask,
                                                       honest_claims: PartyClaims) -> None:
    s = scenario
    s.post_and_claim()
    s.submit(operator_run(prepared))
    verifier = s.verifier(Mode.SPOT, sample_rate=0.1)
    liar = PartyClaims(prepared, tamper=random_fault(prepared, seed=99))
    game_id = open_lying_game(s, liar)
    s.defend(honest_claims)
    s.defend(liar, who="other")
    s.drive(verifier, lambda: not game_view(s, game_id).active and verifier.idle())
    view = game_view(s, game_id)
    assert view.status is GameStatus.OPERATOR_WON and view.resolution is Resolution.ONE_STEP
    assert_verifier_stayed_out(s, verifier)
    row("challenger", "challenges an honest result (a flipped bit of its own)", where(view, prepared),
        format_eth(s.devnet.game("other").challenger_bond()) + " bond", assert_challenger_slashed(s))


def test_challenger_with_lying_reveals_times_out(scenario: Scenario, prepared: PreparedTask,
                                                 honest_claims: PartyClaims) -> None:
    s = scenario
    s.post_and_claim()
    s.submit(operator_run(prepared))
    verifier = s.verifier(Mode.FULL)
    liar = PartyClaims(prepared, tamper=random_fault(prepared, seed=12))
    game_id = open_lying_game(s, liar)
    view = game_view(s, game_id)
    tree = level_tree(view, honest_claims)  # children of the honest tree: not under the liar's root
    with pytest.raises(ContractRevert) as refused:
        s.devnet.game("other").send_move(game_id, "reveal", (tree.node(view.height - 1, 0),
                                                             tree.node(view.height - 1, 1)))
    assert refused.value.error_name == "RevealMismatch"
    s.defend(honest_claims)
    s.drive(verifier, verifier.idle)
    increase_time(s.devnet.anvil.w3, s.devnet.game("other").max_clock() + 1)
    s.drive(verifier, lambda: not game_view(s, game_id).active)
    view = game_view(s, game_id)
    assert view.status is GameStatus.OPERATOR_WON and view.resolution is Resolution.TIMEOUT
    assert_verifier_stayed_out(s, verifier)
    row("challenger", "reveals children that do not open its root", "RevealMismatch revert, then "
        + where(view, prepared), format_eth(s.devnet.game("other").challenger_bond()) + " bond",
        assert_challenger_slashed(s))


def test_challenger_that_never_moves_times_out(scenario: Scenario, prepared: PreparedTask,
                                               honest_claims: PartyClaims) -> None:
    s = scenario
    s.post_and_claim()
    s.submit(operator_run(prepared))
    verifier = s.verifier(Mode.SPOT)
    game_id = open_lying_game(s, PartyClaims(prepared, tamper=random_fault(prepared, seed=4)))
    s.defend(honest_claims)
    s.drive(verifier, verifier.idle)
    increase_time(s.devnet.anvil.w3, s.devnet.game("other").max_clock() + 1)
    s.drive(verifier, lambda: not game_view(s, game_id).active)
    view = game_view(s, game_id)
    assert view.status is GameStatus.OPERATOR_WON and view.resolution is Resolution.TIMEOUT
    assert_verifier_stayed_out(s, verifier)
    row("challenger", "opens a game and never moves", where(view, prepared),
        format_eth(s.devnet.game("other").challenger_bond()) + " bond", assert_challenger_slashed(s))


# -- whistleblowing -----------------------------------------------------------------------


def test_verifier_takes_over_when_the_first_challenger_gives_up(scenario: Scenario,
                                                                prepared: PreparedTask) -> None:
    """The first challenger is right but gives up mid-game (its clock runs out). The verifier's
    spot check had missed the faulty interval; the dispute makes it replay in full and open its
    own game, which it wins: the operator is slashed although it won the abandoned game."""
    s = scenario
    seed, rate = 3, 0.1
    boundaries = checkpoint_boundaries(prepared.spec.steps, prepared.spec.checkpoint_every)
    s.post_and_claim()
    run: OperatorRun | None = None  # a fault outside the interval the verifier will sample
    for attempt in range(20):
        fault = random_fault(prepared, seed=100 + attempt)
        candidate = operator_run(prepared, lambda f=fault: f)
        root = "0x" + candidate.claims.trace_root.hex()
        (start, end), = sample_intervals(boundaries, rate, random.Random(f"{seed}:{s.task_id}:{root}"))
        if not start <= fault.step < end:
            run = candidate
            break
    assert run is not None
    s.submit(run)
    verifier = s.verifier(Mode.SPOT, sample_rate=rate, seed=seed)
    s.drive(verifier, verifier.idle)
    assert verifier.state is not None
    assert verifier.state.checks[s.task_id].verdict == Verdict.HONEST.value  # the sample missed it

    quitter_claims = PartyClaims(prepared)
    quitter_game = open_lying_game(s, quitter_claims)
    quitter = Player(s.devnet.game("other"), quitter_game, Party.CHALLENGER, quitter_claims)
    operator = Player(s.devnet.game("operator"), quitter_game, Party.OPERATOR, run.claims)
    for _ in range(2):
        quitter.act()
        operator.act()
    s.defend(run.claims)
    # the quitter's game holds the task stake and the operator has no free stake: ours waits in the
    # queue (no clock runs) until the quitter's clock runs out and the operator wins that game
    s.drive(verifier, lambda: our_game(s, verifier) is not None)
    assert game_view(s, our_game(s, verifier) or 0).queued
    increase_time(s.devnet.anvil.w3, s.devnet.game("other").max_clock() + 1)
    s.drive(verifier, lambda: resolved(s, verifier))
    view = game_view(s, our_game(s, verifier) or 0)
    assert view.status is GameStatus.CHALLENGER_WON and view.collateral is CollateralKind.TASK_STAKE
    assert game_view(s, quitter_game).status is GameStatus.OPERATOR_WON  # ended first, on the quitter's clock
    sm = s.devnet.stake_manager("other")
    bond = s.devnet.game("other").challenger_bond()
    assert sm.info(s.address("operator")).bonded == OPERATOR_STAKE - MIN_STAKE
    assert sm.credit_of(s.address("operator")) == slash_share(bond, s)  # from the quitter's bond
    assert sm.credit_of(s.address("challenger")) == slash_share(MIN_STAKE, s)
    assert sm.info(s.address("other")).bonded == 0
    assert s.devnet.market("other").task(s.task_id).status is TaskStatus.OPEN
    row("operator", "bit flip missed by the spot sample; first challenger gives up",
        "dispute signal -> full replay -> own game: " + where(view, prepared),
        format_eth(MIN_STAKE) + " stake",
        format_eth(slash_share(MIN_STAKE, s)) + " credit + bond back")


def test_spot_sampling_reexecutes_only_the_sample(scenario: Scenario, prepared: PreparedTask) -> None:
    s = scenario
    s.post_and_claim()
    s.submit(operator_run(prepared))
    verifier = s.verifier(Mode.SPOT, sample_rate=0.1, seed=8)
    s.drive(verifier, verifier.idle)
    assert verifier.state is not None
    record = verifier.state.checks[s.task_id]
    assert record.verdict == Verdict.HONEST.value and not record.full_replay
    assert s.task_id not in verifier._claims, "an honest result's replay is not kept in memory"
    assert len(record.result["intervals"]) == 1
    assert record.result["model"] == "matches the committed final state"
