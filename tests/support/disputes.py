"""The verifier's scenarios: an operator that trains (honestly or with a fault) and publishes, a
task posted and claimed on the devnet, dispute desks, and the verifier agent driven tick by tick."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from tests.support.chain import ETHER, Devnet, actor_key
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.deployment import save_deployment
from tribunal.chain.session import open_session
from tribunal.checkpoint_manifest import CheckpointManifest, publish_manifest
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import UNCOMMITTED, committed_step, final_state_proof, state_commitment, tensor_root
from tribunal.dispute.claims import PartyClaims, Tamper
from tribunal.dispute.desk import DisputeDesk
from tribunal.dispute.state import GameView, Party
from tribunal.models import initial_state
from tribunal.tasks import PreparedTask
from tribunal.training import next_state, run_step
from verifier.agent import VerifierAgent, VerifierConfig
from verifier.checking import Mode

MIN_STAKE = 2 * ETHER
OPERATOR_STAKE = 3 * ETHER
REWARD = ETHER
WINDOW = 600

# The Byzantine matrix's rows, filled by tests/verifier/test_byzantine.py and printed at the end of
# the session by tests/verifier/conftest.py.
MATRIX: list[tuple[str, str, str, str, str]] = []


@dataclass
class OperatorRun:
    """What an operator computed (honestly or with a ``tamper``) and can publish."""

    claims: PartyClaims
    checkpoints: dict[int, Checkpoint]

    @property
    def model(self) -> Checkpoint:
        return self.checkpoints[max(self.checkpoints)]


def operator_run(prepared: PreparedTask, tamper: Callable[[], Tamper] | None = None) -> OperatorRun:
    """Train like `tribunal.training.train` (checkpoints every ``checkpoint_every`` and at S),
    with a fresh fault from ``tamper()`` for the checkpoints and another for the claims."""
    spec, graph = prepared.spec, prepared.graph
    fault = tamper() if tamper else None
    state = [torch.from_numpy(np.array(a, dtype=np.float32)) for a in initial_state(spec, prepared.dataset)]
    rows = torch.from_numpy(np.array(prepared.dataset.rows))
    commitments = [state_commitment([tensor_root(t) for t in state])]
    checkpoints: dict[int, Checkpoint] = {}
    for step in range(spec.steps):
        outputs = run_step(graph, state, rows, step, tamper=fault)
        state = next_state(graph, outputs)
        done = step + 1
        if not committed_step(done, spec.steps, spec.checkpoint_every):
            commitments.append(UNCOMMITTED)
            continue
        leaves = [tensor_root(o) for o in outputs]
        commitments.append(state_commitment(leaves))
        checkpoints[done] = Checkpoint.make(prepared.spec_hash, graph, done, state, commitments, leaves)
    claims = PartyClaims(prepared, tamper=tamper() if tamper else None)
    assert claims.state_commitments == commitments
    return OperatorRun(claims, checkpoints)


@dataclass
class Scenario:
    """One task on the devnet: the submitter posts it, the operator claims and submits a run."""

    devnet: Devnet
    store_url: str
    prepared: PreparedTask
    tmp_path: Path
    task_id: int = 0
    desks: list[DisputeDesk] = field(default_factory=list)
    seen: dict[int, set[int]] = field(default_factory=dict)

    def address(self, who: str) -> str:
        return self.devnet.signers[who].address

    def chain_now(self) -> int:
        return int(self.devnet.anvil.w3.eth.get_block("latest")["timestamp"])

    def post_and_claim(self) -> int:
        now = self.chain_now()
        params = self.prepared.task_params(min_stake=MIN_STAKE, deadline=now + 3 * 86_400,
                                              challenge_window=WINDOW)
        self.task_id, _ = self.devnet.market("submitter").post_task(params, REWARD)
        self.devnet.stake_manager("operator").stake(OPERATOR_STAKE)
        self.devnet.market("operator").claim(self.task_id)
        return self.task_id

    def submit(self, run: OperatorRun, *, manifest: bool = True, model: Checkpoint | None = None,
               final_state: tuple[bytes, list[bytes]] | None = None) -> None:
        """Publish the run's checkpoints (and name their manifest on-chain), then submit the trace
        root with ``final_state`` (h_S and its proof; the run's own by default) and ``model``'s
        content hash as the locator (the run's final checkpoint by default)."""
        model = model or run.model
        with ArtifactClient(self.store_url) as store:
            for checkpoint in [*run.checkpoints.values(), model]:
                store.upload_bytes(checkpoint.to_bytes(), kind="checkpoint")
            if manifest:
                listing = CheckpointManifest(self.prepared.spec_hash,
                                             {s: c.content_hash for s, c in run.checkpoints.items()})
                publish_manifest(self.devnet.market("operator"), store, self.task_id, listing)
        final, proof = final_state or final_state_proof(run.claims.state_commitments)
        self.devnet.market("operator").submit_result(self.task_id, run.claims.trace_root, final, proof,
                                                     model.content_hash)

    def defend(self, claims: PartyClaims, who: str = "operator") -> DisputeDesk:
        """A desk playing every game of ``who`` with ``claims`` (the operator's, or a challenger's)."""
        party = Party.OPERATOR if who == "operator" else Party.CHALLENGER
        desk = DisputeDesk(self.devnet.game(who), self.address(who),
                           lambda _task, p: claims if p is party else None, self.chain_now)
        self.desks.append(desk)
        return desk

    def _watch_new_games(self) -> None:
        """What an agent's event follower does for its desk: hand it every game it plays in."""
        game = self.devnet.game("other")
        for game_id in range(1, game.game_count() + 1):
            view = GameView.from_tuple(game.state(game_id))
            for desk in self.desks:
                party = desk.party_in(view.challenger, view.operator)
                if party is not None and view.active and game_id not in self.seen.setdefault(id(desk), set()):
                    self.seen[id(desk)].add(game_id)
                    desk.watch(game_id, view.task_id, party)

    def verifier(self, mode: Mode, sample_rate: float = 1.0, seed: int | None = 1) -> VerifierAgent:
        deployment = save_deployment(self.devnet.deployment, self.tmp_path / "deployment.json")
        session = open_session(self.devnet.anvil.rpc_url, deployment,
                               private_key=actor_key("challenger"))
        bond = self.devnet.game("other").challenger_bond()
        config = VerifierConfig(state_dir=self.tmp_path / "verifier", stake=bond, mode=mode,
                                sample_rate=sample_rate, seed=seed, artifact_store=self.store_url,
                                device="cpu", poll_interval_s=0.0, auto_withdraw=False,
                                background_checks=False)
        agent = VerifierAgent(session, config)
        agent.start()
        return agent

    def drive(self, verifier: VerifierAgent | None, until: Callable[[], bool], rounds: int = 400) -> None:
        """Tick the verifier and every desk until ``until()`` (each tick is one move per game)."""
        for _ in range(rounds):
            if verifier is not None:
                verifier.tick()
            self._watch_new_games()
            for desk in self.desks:
                desk.tick()
            if until():
                return
        raise AssertionError(f"not done after {rounds} rounds")
