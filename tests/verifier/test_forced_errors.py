"""Forced errors and the jackpot (docs/forced-errors.md), from the verifier's side, on a real anvil.

Each test deploys its own market with forced errors on (the session's deployment has them off;
the devnet snapshot rolls it back), posts the verifier scenarios' task and plays the operator with
the bindings: it commits its draw, submits a forced result (the honest run with one committed
state perturbed: `tribunal.forced_errors`) or a real cheat, and reveals. The verifier agent runs for
real, ticked until what the chain says is done.

Only a result's committee may catch its forced error: members of the Jackpot's verifier registry
drawn when the result is submitted. The agent joins the registry when it starts, so a verifier
started before the submission is the committee (the only member: a committee of up to
COMMITTEE_SIZE holds every member there is), and one started after it is not in it."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from eth_account import Account
from typer.testing import CliRunner

from tests.support.chain import Devnet, actor_key, fees_paid
from tests.support.disputes import (
    MIN_STAKE,
    OPERATOR_STAKE,
    REWARD,
    WINDOW,
    OperatorRun,
    Scenario,
    operator_run,
)
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.anvil import increase_time
from tribunal.chain.client import ChainClient, Sent
from tribunal.chain.deploy import DAY, DeployParams, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.chain.errors import ContractRevert
from tribunal.chain.jackpot import CommitteeDraw, Jackpot
from tribunal.chain.session import format_eth, open_session
from tribunal.chain.task_market import Task
from tribunal.checkpoint_manifest import CheckpointManifest, publish_manifest
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import trace_proof, trace_root
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.dispute.state import GameView
from tribunal.forced_errors import (
    PPM,
    ForcedDraw,
    draw,
    force_checkpoint,
    forced_trace,
    new_secret,
    secret_hash,
    with_commitment,
)
from tribunal.protocol_enums import GameStatus, TaskStatus
from tribunal.tasks import PreparedTask
from verifier.agent import VerifierAgent, VerifierConfig
from verifier.checking import (
    Mode,
    TaskChecker,
    Verdict,
    checkpoint_boundaries,
    first_difference,
    sample_intervals,
)
from verifier.cli import app
from verifier.state import CatchRecord, StateDir

AUDIT = 60
"""The audit window A: the reveal phase, then the game phase (seconds; the tests move the clock)."""
POT = 10**18
"""Wei a forced error moves from its operator's escrow into its pot."""
JACKPOT_BPS = 500


def forced_devnet(devnet: Devnet, ppm: int, committee_size: int = 2) -> Devnet:
    """A market of its own with forced errors on, on the session's anvil (rolled back after the test),
    and the operator's jackpot escrow funded with one pot (it may not claim a task without)."""
    params = DeployParams(forced_error_ppm=ppm, audit_window=AUDIT, jackpot_bps=JACKPOT_BPS, pot_wei=POT,
                          unbonding_delay=6 * DAY, committee_size=committee_size)
    deployment = deploy_contracts(ChainClient(devnet.anvil.w3, devnet.signers["deployer"]),
                                  devnet.anvil.rpc_url, params)
    forced = Devnet(devnet.anvil, deployment, devnet.signers)
    assert deployment.jackpot is not None
    operator = Jackpot(forced.client("operator"), deployment.jackpot)
    operator.fund_escrow(devnet.signers["operator"].address, POT)
    return forced


def scenario_with(devnet: Devnet, store_url: str, prepared: PreparedTask, tmp_path: Path,
                  ppm: int, committee_size: int = 2) -> Scenario:
    return Scenario(forced_devnet(devnet, ppm, committee_size), store_url, prepared, tmp_path)


def start_verifier(s: Scenario, mode: Mode, key: str | None = None,
                   stake: int | None = None) -> VerifierAgent:
    """The verifier agent as `verifier start` runs it (withdrawing what it earns), ticked by the test;
    starting, it joins the verifier registry."""
    deployment = save_deployment(s.devnet.deployment, s.tmp_path / "deployment.json")
    session = open_session(s.devnet.anvil.rpc_url, deployment, private_key=key or actor_key("challenger"))
    bond = s.devnet.game("other").challenger_bond()
    config = VerifierConfig(state_dir=s.tmp_path / "verifier", stake=bond if stake is None else stake,
                            mode=mode, sample_rate=1.0, seed=1, artifact_store=s.store_url, device="cpu",
                            poll_interval_s=0.0, background_checks=False)
    agent = VerifierAgent(session, config)
    agent.start()
    return agent


def jackpot_logs(s: Scenario, event: str, **filters: object) -> list[Any]:
    contract = jackpot(s).contract
    return list(getattr(contract.events, event).get_logs(from_block=s.devnet.deployment.block_number,
                                                         argument_filters=filters or None))


def drawn_by(s: Scenario, task_id: int) -> list[str]:
    """Who sent the transactions that drew the committee of ``task_id`` (`Jackpot.assign`)."""
    w3 = s.devnet.anvil.w3
    return [str(w3.eth.get_transaction(e["transactionHash"])["from"])
            for e in jackpot_logs(s, "CommitteeDrawn", taskId=task_id)]


def jackpot(s: Scenario, who: str = "other") -> Jackpot:
    assert s.devnet.deployment.jackpot is not None
    return Jackpot(s.devnet.client(who), s.devnet.deployment.jackpot)


def catch_of(s: Scenario, verifier: VerifierAgent) -> CatchRecord | None:
    assert verifier.state is not None
    return verifier.state.catches.get(s.task_id)


def catch_is(s: Scenario, verifier: VerifierAgent, *statuses: str) -> bool:
    catch = catch_of(s, verifier)
    return catch is not None and catch.status in statuses


def commit_draw(s: Scenario) -> tuple[bytes, ForcedDraw]:
    """The operator commits a fresh secret; the draw as the chain will compute it at submission."""
    secret = new_secret()
    sent = s.devnet.market("operator").commit_draw(s.task_id, secret_hash(secret))
    seed = bytes(s.devnet.anvil.w3.eth.get_block(sent.receipt["blockNumber"])["hash"])
    spec = s.prepared.spec
    ppm = s.devnet.market("other").forced_error_ppm()
    return secret, draw(secret, seed, s.task_id, spec.steps, spec.checkpoint_every, ppm)


def publish(s: Scenario, checkpoints: dict[int, Checkpoint]) -> None:
    """Upload the checkpoints and name their manifest on-chain, as the operator."""
    with ArtifactClient(s.store_url) as store:
        for checkpoint in checkpoints.values():
            store.upload_bytes(checkpoint.to_bytes(), kind="checkpoint")
        hashes = {step: c.content_hash for step, c in checkpoints.items()}
        listing = CheckpointManifest(s.prepared.spec_hash, hashes)
        publish_manifest(s.devnet.market("operator"), store, s.task_id, listing)


@dataclass
class ForcedResult:
    leaf: int
    honest_trace: list[bytes]
    trace: list[bytes]
    checkpoints: dict[int, Checkpoint]

    @property
    def forced_leaf(self) -> bytes:
        return self.trace[self.leaf]

    @property
    def honest_leaf(self) -> bytes:
        return self.honest_trace[self.leaf]


def forced_result(prepared: PreparedTask, honest: OperatorRun, secret: bytes, leaf: int) -> ForcedResult:
    """The honest run with h_L perturbed (its checkpoint and every later one's list of commitments)."""
    at_leaf = force_checkpoint(honest.checkpoints[leaf], prepared.graph, secret)
    h_forced = at_leaf.state_commitments[-1]
    checkpoints = {step: at_leaf if step == leaf else with_commitment(c, leaf, h_forced) if step > leaf else c
                   for step, c in honest.checkpoints.items()}
    honest_trace = list(honest.claims.state_commitments)
    return ForcedResult(leaf, honest_trace, forced_trace(honest_trace, leaf, h_forced), checkpoints)


def game_count(s: Scenario) -> int:
    return s.devnet.game("other").game_count()


def submit_forced(s: Scenario) -> tuple[bytes, ForcedDraw, OperatorRun, ForcedResult]:
    """Post and claim the task, commit the draw (forced: p = 1) and submit the forced result."""
    prepared = s.prepared
    s.post_and_claim()
    secret, drawn = commit_draw(s)
    assert drawn.forced and drawn.leaf in (2, 4)  # p = 1: every result with an interior state is forced
    honest = operator_run(prepared)
    forced = forced_result(prepared, honest, secret, drawn.leaf)
    publish(s, forced.checkpoints)
    s.devnet.market("operator").submit_trace(s.task_id, forced.trace,
                                             forced.checkpoints[prepared.spec.steps].content_hash)
    return secret, drawn, honest, forced


def status_output(s: Scenario) -> str:
    """`verifier status` of the test's verifier state dir."""
    result = CliRunner().invoke(app, ["status", "--state-dir", str(s.tmp_path / "verifier"), "--rpc-url",
                                      s.devnet.anvil.rpc_url, "--deployment",
                                      str(s.tmp_path / "deployment.json")],
                                env={"TRIBUNAL_PRIVATE_KEY": actor_key("challenger"), "COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize(("mode", "committee_size"), [(Mode.SPOT, 2), (Mode.FULL, 1)])
def test_forced_error_is_sealed_caught_and_paid(devnet: Devnet, store_url: str, prepared: PreparedTask,
                                                tmp_path: Path, announcing_market: None, mode: Mode,
                                                committee_size: int) -> None:
    s = scenario_with(devnet, store_url, prepared, tmp_path, PPM, committee_size)
    w3 = s.devnet.anvil.w3
    # the verifier starts (and joins the registry) before the result is submitted: it is the committee
    verifier = start_verifier(s, mode)
    me = verifier.me
    assert jackpot(s).is_member(me) and verifier.member
    (joined,) = jackpot_logs(s, "MemberJoined")
    assert joined["args"]["account"] == me and joined["args"]["bond"] == jackpot(s).verifier_bond()
    secret, drawn, honest, forced = submit_forced(s)

    balance_before, first_block = w3.eth.get_balance(me), w3.eth.block_number + 1
    s.drive(verifier, lambda: catch_is(s, verifier, "sealed"))
    assert verifier.state is not None
    # it drew the committee itself (nobody else did), and found itself in it
    assert drawn_by(s, s.task_id) == [me]
    assert jackpot(s).committee_of(s.task_id) == [me] and verifier.committees[s.task_id] is True
    record = verifier.state.checks[s.task_id]
    assert record.verdict == Verdict.FAULTY.value and record.first_bad_step == drawn.leaf - 1
    catch = catch_of(s, verifier)
    assert catch is not None
    assert (catch.step, catch.state) == (drawn.leaf, "0x" + forced.honest_leaf.hex())
    on_disk = StateDir(s.tmp_path / "verifier").read().catches[s.task_id]  # crash-safe: the salt is saved
    assert (on_disk.salt, on_disk.seal_hash, on_disk.status) == (catch.salt, catch.seal_hash, "sealed")
    assert jackpot(s).seal_of(bytes.fromhex(catch.seal_hash[2:]), me)[0].lower() == me.lower()
    for _ in range(3):  # the seal phase: no game opens
        verifier.tick()
    assert game_count(s) == 0 and record.game_id is None
    assert "sealed" in status_output(s)

    # the reveal phase: the operator reveals the forced error and re-publishes the honest result
    increase_time(w3, WINDOW + 1)
    publish(s, honest.checkpoints)
    s.devnet.market("operator").reveal_forced_error(
        s.task_id, secret, forced.forced_leaf, forced.honest_leaf, trace_proof(forced.trace, drawn.leaf),
        honest.model.content_hash)
    assert s.devnet.market("other").task(s.task_id).trace_root == honest.claims.trace_root

    def caught_and_rechecked() -> bool:
        assert verifier.state is not None
        fresh = verifier.state.checks[s.task_id]
        return (catch_is(s, verifier, "caught") and fresh.trace_root == "0x" + honest.claims.trace_root.hex()
                and fresh.status == "done")

    s.drive(verifier, caught_and_rechecked)
    fresh = verifier.state.checks[s.task_id]
    assert fresh.verdict == Verdict.HONEST.value and fresh.game_id is None
    assert jackpot(s).catch_of(s.task_id, me) == 1
    assert jackpot(s).pot(s.task_id).catches == 1

    # the honest root's fresh window ends; the task is finalised with it; the verifier claims the pot
    increase_time(w3, WINDOW + 1)
    s.devnet.market("operator").finalize(s.task_id)

    def claimed_and_withdrawn() -> bool:
        catch = catch_of(s, verifier)
        return catch is not None and catch.status == "claimed" and catch.withdrawn

    s.drive(verifier, claimed_and_withdrawn)
    catch = catch_of(s, verifier)
    share = POT // committee_size
    assert catch is not None and catch.share == share == jackpot(s).share()  # POT / COMMITTEE_SIZE
    assert jackpot(s).catch_of(s.task_id, me) == 2 and jackpot(s).credits(me) == 0
    fees = fees_paid(w3, me, first_block, w3.eth.block_number)
    assert w3.eth.get_balance(me) - balance_before + fees == catch.share
    assert verifier.state.withdrawn == catch.share
    assert "jackpot claimed" in status_output(s)

    # no game, and the operator is paid, not slashed
    assert game_count(s) == 0
    task = s.devnet.market("other").task(s.task_id)
    assert task.status is TaskStatus.FINALIZED and task.trace_root == honest.claims.trace_root
    sm = s.devnet.stake_manager("other")
    operator = s.address("operator")
    assert sm.info(operator).bonded == OPERATOR_STAKE and sm.info(operator).locked == 0
    cut = REWARD * JACKPOT_BPS // 10_000
    assert sm.credit_of(operator) == REWARD - cut
    # its pot paid the catcher one share; the seat nobody filled went back to its escrow, with the cut
    (closed,) = jackpot_logs(s, "PotClosed", taskId=s.task_id)
    assert closed["args"]["returned"] == POT - share
    assert jackpot(s).escrow_of(operator) == cut + POT - share
    pot = jackpot(s).pot(s.task_id)
    assert pot.closed and pot.amount == 0 and pot.committee_seed != bytes(32)


def cheat_at_interior_state(prepared: PreparedTask) -> tuple[BitFlip, int]:
    """A bit flip whose first wrong committed state is an interior one (a forced error could be it)."""
    honest = list(PartyClaims(prepared).state_commitments)
    spec = prepared.spec
    for step in range(spec.steps - 1):
        for bit in (22, 27, 30):
            fault = BitFlip(step=step, node=0, element=0, bit=bit)
            bad = first_difference(list(PartyClaims(prepared, tamper=fault).state_commitments), honest)
            if bad is not None and 0 < bad + 1 < spec.steps:
                return fault, bad + 1
    raise AssertionError("no bit flip of the first node makes an interior committed state wrong")


@pytest.mark.parametrize(("reveal", "in_committee"), [(True, False), (False, True)],
                         ids=["draw-revealed-outside-the-committee", "nothing-revealed-in-the-committee"])
def test_real_cheat_is_sealed_then_challenged_and_slashed(devnet: Devnet, store_url: str,
                                                          prepared: PreparedTask, tmp_path: Path,
                                                          announcing_market: None, reveal: bool,
                                                          in_committee: bool) -> None:
    """Sealed in the committee or only recorded outside it, a real cheat is challenged once games open."""
    # p = 1 ppm: the draw is (all but surely) not forced, and asserted so
    s = scenario_with(devnet, store_url, prepared, tmp_path, 1)
    w3 = s.devnet.anvil.w3
    verifier = start_verifier(s, Mode.FULL) if in_committee else None
    s.post_and_claim()
    secret, drawn = commit_draw(s)
    assert not drawn.forced
    fault, wrong = cheat_at_interior_state(prepared)
    run = operator_run(prepared, lambda: fault)
    s.submit(run)

    verifier = verifier or start_verifier(s, Mode.FULL)  # registered after the submission: not drawn
    recorded = "sealed" if in_committee else "watching"
    s.drive(verifier, lambda: catch_is(s, verifier, recorded))
    assert verifier.state is not None
    catch = catch_of(s, verifier)
    assert catch is not None and catch.step == wrong
    assert verifier.committees[s.task_id] is in_committee
    assert len(jackpot_logs(s, "Sealed")) == (1 if in_committee else 0)
    for _ in range(3):  # recorded, but no game before the reveal
        verifier.tick()
    assert game_count(s) == 0
    assert verifier.state.checks[s.task_id].note.startswith("waiting for the operator's draw")

    if reveal:
        increase_time(w3, WINDOW + 1)
        s.devnet.market("operator").reveal_draw(s.task_id, secret)
    else:  # the reveal phase passes with nothing revealed: games open at its end
        increase_time(w3, WINDOW + AUDIT + 2)
    if not in_committee:
        # the committee goes first (`CommitteeGoesFirst`): outside it, the verifier waits its turn
        first_until = s.devnet.market("other").committee_first_until(s.task_id)
        assert first_until == s.devnet.market("other").games_open_at(s.task_id) + min(AUDIT, WINDOW) // 2
        for _ in range(3):
            verifier.tick()
        assert game_count(s) == 0
        assert "the committee's turn" in verifier.state.checks[s.task_id].note
        increase_time(w3, min(AUDIT, WINDOW) // 2 + 1)
    s.defend(run.claims)

    def won() -> bool:
        assert verifier.state is not None
        game_id = verifier.state.checks[s.task_id].game_id
        if game_id is None:
            return False
        view = GameView.from_tuple(s.devnet.game("other").state(game_id))
        return view.closed and s.devnet.game("other").is_settled(game_id)

    s.drive(verifier, won)
    game_id = verifier.state.checks[s.task_id].game_id
    assert game_id is not None
    assert GameView.from_tuple(s.devnet.game("other").state(game_id)).status is GameStatus.CHALLENGER_WON
    assert catch_is(s, verifier, "not_forced" if reveal else "unrevealed")
    sm = s.devnet.stake_manager("other")
    assert sm.info(s.address("operator")).bonded == OPERATOR_STAKE - MIN_STAKE
    assert s.devnet.market("other").task(s.task_id).status is TaskStatus.OPEN


def test_a_catch_saved_but_not_sealed_is_sealed_after_a_restart(devnet: Devnet, store_url: str,
                                                               prepared: PreparedTask, tmp_path: Path,
                                                               announcing_market: None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    s = scenario_with(devnet, store_url, prepared, tmp_path, PPM)
    crashed = start_verifier(s, Mode.FULL)
    submit_forced(s)
    # the process dies between saving the catch and sending its seal
    monkeypatch.setattr(crashed, "_send_seal", lambda catch: None)
    s.drive(crashed, lambda: catch_is(s, crashed, "sealing"))
    saved = StateDir(s.tmp_path / "verifier").read().catches[s.task_id]
    assert saved.status == "sealing" and saved.salt
    seal = bytes.fromhex(saved.seal_hash[2:])
    assert jackpot(s).seal_of(seal, crashed.me)[1] == 0

    restarted = start_verifier(s, Mode.FULL)
    assert len(jackpot_logs(s, "MemberJoined")) == 1  # a member already: it does not join twice
    s.drive(restarted, lambda: catch_is(s, restarted, "sealed"))
    catch = catch_of(s, restarted)
    assert catch is not None and (catch.salt, catch.seal_hash) == (saved.salt, saved.seal_hash)
    assert jackpot(s).seal_of(seal, restarted.me)[0].lower() == restarted.me.lower()
    assert game_count(s) == 0


# -- without a chain ----------------------------------------------------------------------


class InMemory:
    """`verifier.checking.Publications` of a run's checkpoints, held in memory."""

    def __init__(self, prepared: PreparedTask, checkpoints: dict[int, Checkpoint]) -> None:
        self.prepared, self.checkpoints = prepared, checkpoints
        self.by_hash = {c.content_hash: c for c in checkpoints.values()}

    def model(self) -> Checkpoint:
        return self.checkpoints[self.prepared.spec.steps]

    def manifest(self) -> CheckpointManifest:
        hashes = {step: c.content_hash for step, c in self.checkpoints.items()}
        return CheckpointManifest(self.prepared.spec_hash, hashes)

    def checkpoint(self, content_hash: bytes) -> Checkpoint:
        return self.by_hash[content_hash]


def submitted_task(prepared: PreparedTask, trace: list[bytes], model: Checkpoint) -> Task:
    spec, zero = prepared.spec, "0x" + "00" * 20
    return Task(1, zero, 0, spec.steps, zero, WINDOW, spec.checkpoint_every, TaskStatus.SUBMITTED,
                0, 0, 0, 0, 0, prepared.spec_hash, bytes(32), prepared.init_state_root, bytes(32),
                trace_root(trace), model.content_hash, trace[-1])


def test_a_spot_check_that_samples_after_the_forced_state_seals_the_first_wrong_one(
        prepared: PreparedTask) -> None:
    """The sampled interval [2, 4) starts at the forced checkpoint h_2' and so ends wrong too; the full
    replay that follows names the first wrong committed state, h_2, and our (honest) h_2 is sealed."""
    honest = operator_run(prepared)
    forced = forced_result(prepared, honest, b"\x07" * 32, 2)
    model = forced.checkpoints[prepared.spec.steps]
    rng = next(random.Random(seed) for seed in range(100)
               if sample_intervals(checkpoint_boundaries(5, 2), 0.0, random.Random(seed)) == [(2, 4)])
    result = TaskChecker().check(submitted_task(prepared, forced.trace, model), prepared,
                                 InMemory(prepared, forced.checkpoints), Mode.SPOT, 0.0, rng)
    assert [(i.start, i.end, i.bad_step) for i in result.intervals] == [(2, 4, 3)]
    assert result.verdict is Verdict.FAULTY and result.full_replay and result.first_bad_step == 1
    assert (result.caught_step, result.caught_state) == (2, forced.honest_leaf)
    assert result.to_json()["caught_state"] == "0x" + forced.honest_leaf.hex()


def test_an_honest_result_seals_nothing(prepared: PreparedTask) -> None:
    honest = operator_run(prepared)
    trace = list(honest.claims.state_commitments)
    result = TaskChecker().check(submitted_task(prepared, trace, honest.model), prepared,
                                 InMemory(prepared, honest.checkpoints), Mode.FULL)
    assert result.verdict is Verdict.HONEST and result.caught_step is None and result.caught_state is None


def test_a_catch_round_trips_through_the_state_file(tmp_path: Path) -> None:
    directory = StateDir(tmp_path)
    state = directory.load_or_create(31337, "0x" + "ab" * 20, "0x" + "cd" * 20, start_block=1)
    state.catches[3] = CatchRecord(3, "0x" + "01" * 32, 100, 700, 2, "0x" + "02" * 32, "0x" + "03" * 32,
                                   "0x" + "04" * 32, status="claimed", share=5 * 10**17, withdrawn=True)
    directory.save(state)
    assert StateDir(tmp_path).read() == state
    assert state.catches[3].describe() == "jackpot claimed" and not state.catches[3].open
    data = json.loads(directory.path.read_text())
    del data["catches"]  # a state file from before forced errors
    directory.path.write_text(json.dumps(data))
    assert StateDir(tmp_path).read().catches == {}


# -- the committee ------------------------------------------------------------------------


def cli(s: Scenario, *args: str, key: str | None = None) -> Result:
    """A `verifier` command against the test's market and state dir."""
    return CliRunner().invoke(app, [*args, "--rpc-url", s.devnet.anvil.rpc_url, "--deployment",
                                    str(s.tmp_path / "deployment.json")],
                              env={"TRIBUNAL_PRIVATE_KEY": key or actor_key("challenger")})


def test_a_verifier_outside_the_committee_seals_nothing_and_is_paid_nothing(
        devnet: Devnet, store_url: str, prepared: PreparedTask, tmp_path: Path,
        announcing_market: None) -> None:
    s = scenario_with(devnet, store_url, prepared, tmp_path, PPM)
    w3 = s.devnet.anvil.w3
    secret, drawn, honest, forced = submit_forced(s)
    # the verifier joins the registry after the submission: the result's committee is drawn without it
    verifier = start_verifier(s, Mode.FULL)
    me = verifier.me
    assert verifier.member and jackpot(s).is_member(me)
    s.drive(verifier, lambda: catch_is(s, verifier, "watching"))
    assert drawn_by(s, s.task_id) == [me]  # it drew the committee all the same: nobody else had
    assert jackpot(s).committee_of(s.task_id) == [] and verifier.committees[s.task_id] is False
    catch = catch_of(s, verifier)
    assert catch is not None and (catch.step, catch.salt, catch.seal_hash) == (drawn.leaf, "", "")
    assert catch.state == "0x" + forced.honest_leaf.hex()  # found wrong all the same
    assert not jackpot_logs(s, "Sealed")
    shown = status_output(s)
    assert "wrong, not in committee" in shown and "verifier registry: member" in shown

    # the operator reveals: a forced error the verifier found, but not its catch to make
    increase_time(w3, WINDOW + 1)
    publish(s, honest.checkpoints)
    s.devnet.market("operator").reveal_forced_error(
        s.task_id, secret, forced.forced_leaf, forced.honest_leaf, trace_proof(forced.trace, drawn.leaf),
        honest.model.content_hash)

    def rechecked() -> bool:
        assert verifier.state is not None
        fresh = verifier.state.checks[s.task_id]
        return (catch_is(s, verifier, "not_in_committee") and fresh.status == "done"
                and fresh.trace_root == "0x" + honest.claims.trace_root.hex())

    s.drive(verifier, rechecked)
    assert verifier.state is not None
    fresh = verifier.state.checks[s.task_id]
    assert fresh.verdict == Verdict.HONEST.value and fresh.game_id is None
    assert not jackpot_logs(s, "Sealed") and not jackpot_logs(s, "CatchRevealed")
    assert "forced error, not in committee" in status_output(s)

    # the task is paid with the honest root; nobody caught the error: the whole pot goes back
    increase_time(w3, max(WINDOW, AUDIT) + 1)
    s.devnet.market("operator").finalize(s.task_id)
    operator = s.address("operator")
    before = jackpot(s).escrow_of(operator)
    jackpot(s).close_pot(s.task_id)
    assert jackpot(s).escrow_of(operator) == before + POT
    (closed,) = jackpot_logs(s, "PotClosed", taskId=s.task_id)
    assert closed["args"]["returned"] == POT
    assert jackpot(s).catch_of(s.task_id, me) == 0 and jackpot(s).credits(me) == 0
    for _ in range(3):
        verifier.tick()
    assert catch_is(s, verifier, "not_in_committee") and game_count(s) == 0

    # leaving the registry credits the bond, which `verifier withdraw` sends
    left = cli(s, "exit")
    assert left.exit_code == 0 and "left the verifier registry" in left.output, left.output
    assert not jackpot(s).is_member(me) and jackpot(s).credits(me) == jackpot(s).verifier_bond()
    assert "verifier registry: not a member" in status_output(s)
    taken = cli(s, "withdraw")
    bond = format_eth(jackpot(s).verifier_bond())
    assert taken.exit_code == 0 and f"withdrew jackpot credits {bond}" in taken.output, taken.output
    assert jackpot(s).credits(me) == 0
    again = cli(s, "exit")
    assert again.exit_code == 1 and "not a member" in again.output


def test_a_verifier_that_cannot_pay_the_bond_is_told_what_to_send(
        devnet: Devnet, store_url: str, prepared: PreparedTask, tmp_path: Path, announcing_market: None,
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    s = scenario_with(devnet, store_url, prepared, tmp_path, PPM)
    poor = Account.create()
    key = "0x" + bytes(poor.key).hex()
    stake, bond = s.devnet.game("other").challenger_bond(), jackpot(s).verifier_bond()
    s.devnet.client("other").send_value(poor.address, stake + bond // 2)

    # the agent logs what to send, and goes on checking (and challenging) without joining
    caplog.set_level(logging.INFO, logger="verifier.agent")
    verifier = start_verifier(s, Mode.FULL, key=key, stake=stake)
    assert not verifier.member and not jackpot(s).is_member(poor.address)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("cannot join the verifier registry" in m and "Send it at least" in m for m in errors), errors
    assert not jackpot_logs(s, "MemberJoined")

    # `verifier start` refuses before it runs, saying what to send (its bond and the stake still missing)
    monkeypatch.setattr("verifier.cli.configure_logging", lambda **_: None)  # keep pytest's log handlers
    refused = cli(s, "start", "--stake", str(2 * stake / 10**18), "--state-dir", str(tmp_path / "poor"),
                  key=key)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1, refused.output
    assert f"bond of {format_eth(bond)} and {format_eth(stake)} to reach --stake" in said, said
    assert "Send it at least" in said, said
    assert poor.address in said and not jackpot(s).is_member(poor.address)


@pytest.mark.parametrize("race", ["not-ready", "drawn-by-another"])
def test_the_agent_draws_the_committee_through_a_race(devnet: Devnet, store_url: str, prepared: PreparedTask,
                                                      tmp_path: Path, announcing_market: None,
                                                      monkeypatch: pytest.MonkeyPatch, race: str) -> None:
    """`Jackpot.assign` refused as too early is sent again on a later poll; refused because another
    verifier drew the committee between our read and our draw, it is taken as drawn."""
    s = scenario_with(devnet, store_url, prepared, tmp_path, PPM)
    verifier = start_verifier(s, Mode.FULL)
    me = verifier.me
    assert verifier.jackpot is not None
    bound = verifier.jackpot
    submit_forced(s)
    submitted = jackpot(s).committee_draw(s.task_id)
    assert submitted.submit_block > 0 and not any(submitted.seed)
    sends: list[int] = []
    real_assign, real_draw = bound.assign, bound.committee_draw
    if race == "not-ready":
        def assign(task_id: int) -> Sent:
            sends.append(task_id)
            if len(sends) == 1:  # as a node whose newest block is still the submission's answers
                raise ContractRevert("CommitteeNotReady", {"submitBlock": submitted.submit_block,
                                                           "blockNumber": submitted.submit_block})
            return real_assign(task_id)
        monkeypatch.setattr(bound, "assign", assign)
        expected = [me]
    else:
        jackpot(s).assign(s.task_id)  # another verifier draws it first ...

        def stale(task_id: int) -> CommitteeDraw:  # ... after our read said it was not drawn
            if not sends:
                sends.append(task_id)
                return submitted
            return real_draw(task_id)
        monkeypatch.setattr(bound, "committee_draw", stale)
        expected = [s.address("other")]

    s.drive(verifier, lambda: catch_is(s, verifier, "sealed") and s.task_id not in verifier._to_assign)
    assert drawn_by(s, s.task_id) == expected
    assert verifier.committees[s.task_id] is True
    assert len(sends) >= (2 if race == "not-ready" else 1)
    assert len(jackpot_logs(s, "Sealed")) == 1
