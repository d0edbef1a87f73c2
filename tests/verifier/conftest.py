"""Verifier fixtures: an artifact store on a free port, operators that train (honestly or not)
and publish, the verifier agent driven tick by tick, and the Byzantine matrix's summary table."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch
import uvicorn

from backend.api.app import create_app
from backend.settings import BackendSettings
from tests.conftest import Devnet
from tests.worker.conftest import backend_url, deployment_file, submitter  # noqa: F401 - fixtures shared
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.anvil import ANVIL_KEYS, free_port
from tribunal.chain.artifacts import load_artifact
from tribunal.chain.deployment import save_deployment
from tribunal.chain.session import open_session
from tribunal.checkpoint_manifest import CheckpointManifest, publish_manifest
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import state_commitment, tensor_root
from tribunal.dispute.claims import PartyClaims, Tamper
from tribunal.dispute.desk import DisputeDesk
from tribunal.dispute.state import GameView, Party
from tribunal.models import initial_state
from tribunal.spec import MlpConfig, Sgd, TaskSpec
from tribunal.tasks import PreparedTask, prepare_task
from tribunal.training import next_state, run_step
from verifier.agent import Verifier, VerifierConfig
from verifier.checking import Mode

ETHER = 10**18
MIN_STAKE = 2 * ETHER
OPERATOR_STAKE = 3 * ETHER
REWARD = ETHER
WINDOW = 600
ACTOR_KEYS = {"deployer": 0, "submitter": 1, "operator": 2, "challenger": 3, "other": 4}

# The matrix's rows, filled by the tests and printed at the end of the session.
MATRIX: list[tuple[str, str, str, str, str]] = []


def tiny_spec(seed: int = 11, steps: int = 5, checkpoint_every: int = 2, hidden: int = 8) -> TaskSpec:
    return TaskSpec(model=MlpConfig(hidden=(hidden,)), dataset="digits", optimizer=Sgd(lr=0.1),
                    batch_size=4, seed=seed, steps=steps, checkpoint_every=checkpoint_every)


@pytest.fixture(scope="session")
def announcing_market() -> None:
    """The compiled TaskMarket has `publishCheckpoints` (the verifier's spot checks need it)."""
    names = {e.get("name") for e in load_artifact("TaskMarket").abi}
    if "publishCheckpoints" not in names:
        pytest.fail("the compiled TaskMarket has no publishCheckpoints: rebuild the contracts (`make build`)")


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The backend's artifact store only (no indexer), on a free port, for the whole session."""
    root = tmp_path_factory.mktemp("store")
    settings = BackendSettings(database_url=f"sqlite:///{root / 'backend.db'}",
                               artifact_dir=root / "artifacts", index=False,
                               frontend_dir=root / "no-frontend", celery_broker_url=None)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=free_port(),
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="artifact-store", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the artifact store did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="session")
def prepared(store_url: str) -> PreparedTask:
    spec = tiny_spec()
    with ArtifactClient(store_url) as store:
        digest = store.upload_bytes(prepare_task(spec, "").spec_bytes, kind="spec")
    return prepare_task(spec, f"{store_url}/api/artifacts/{digest}")


@pytest.fixture(scope="session")
def honest_claims(prepared: PreparedTask) -> PartyClaims:
    return PartyClaims(prepared)


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
        leaves = [tensor_root(o) for o in outputs]
        commitments.append(state_commitment(leaves))
        state = next_state(graph, outputs)
        done = step + 1
        if done % spec.checkpoint_every == 0 or done == spec.steps:
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

    def submit(self, run: OperatorRun, *, manifest: bool = True, model: Checkpoint | None = None) -> None:
        """Publish the run's checkpoints (and name their manifest on-chain), then submit."""
        model = model or run.model
        with ArtifactClient(self.store_url) as store:
            for checkpoint in [*run.checkpoints.values(), model]:
                store.upload_bytes(checkpoint.to_bytes(), kind="checkpoint")
            if manifest:
                listing = CheckpointManifest(self.prepared.spec_hash,
                                             {s: c.content_hash for s, c in run.checkpoints.items()})
                publish_manifest(self.devnet.market("operator"), store, self.task_id, listing)
        self.devnet.market("operator").submit_result(self.task_id, run.claims.trace_root, model.content_hash)

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

    def verifier(self, mode: Mode, sample_rate: float = 1.0, seed: int | None = 1) -> Verifier:
        deployment = save_deployment(self.devnet.deployment, self.tmp_path / "deployment.json")
        session = open_session(self.devnet.anvil.rpc_url, deployment,
                               private_key=ANVIL_KEYS[ACTOR_KEYS["challenger"]])
        bond = self.devnet.game("other").challenger_bond()
        config = VerifierConfig(state_dir=self.tmp_path / "verifier", stake=bond, mode=mode,
                                sample_rate=sample_rate, seed=seed, artifact_store=self.store_url,
                                device="cpu", poll_interval_s=0.0, auto_withdraw=False,
                                background_checks=False)
        agent = Verifier(session, config)
        agent.start()
        return agent

    def drive(self, verifier: Verifier | None, until: Callable[[], bool], rounds: int = 400) -> None:
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


@pytest.fixture()
def scenario(announcing_market: None, devnet: Devnet, store_url: str, prepared: PreparedTask,
             tmp_path: Path) -> Scenario:
    return Scenario(devnet, store_url, prepared, tmp_path)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not MATRIX:
        return
    headers = ("cheater", "fault", "how the honest side won", "cheater lost", "honest side got")
    rows = [headers, *sorted(MATRIX)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(headers))]
    terminalreporter.section("Byzantine matrix (tests/verifier)")
    for index, row in enumerate(rows):
        terminalreporter.write_line(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if index == 0:
            terminalreporter.write_line("-+-".join("-" * w for w in widths))
