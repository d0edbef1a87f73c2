"""The verifier's replica (issue #19 §3): what a matching check keeps, the model bytes
`StorePublications` remembers, the server's start and close, the CLI's validation (no chain), and
one honest result on the devnet whose model the replica then serves."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.support.chain import actor_key
from tests.support.disputes import Scenario, operator_run
from tribunal.artifact_client import ArtifactClient, ArtifactError, content_hash
from tribunal.chain.deployment import save_deployment
from tribunal.chain.session import open_session
from tribunal.chain.task_market import Task
from tribunal.checkpoint_manifest import Unpublished
from tribunal.checkpoints import Checkpoint
from tribunal.replica import ReplicaServer, ReplicaStore
from tribunal.tasks import PreparedTask
from verifier.agent import REPLICA_PRUNE_EVERY_S, StorePublications, VerifierAgent, VerifierConfig, keep_model
from verifier.checking import Mode
from verifier.cli import app

DAY = 86400.0


def _model() -> Checkpoint:
    return Checkpoint(spec_hash=b"\x01" * 32, step=3, names=("w",), state=(np.arange(4, dtype=np.float32),),
                      state_commitments=(b"\x02" * 32,), leaves=(b"\x03" * 32,))


class _FakeStore:
    def __init__(self, blobs: dict[str, bytes]) -> None:
        self.blobs = blobs
        self.downloads = 0

    def download(self, digest: bytes) -> bytes:
        self.downloads += 1
        key = "0x" + digest.hex()
        if key not in self.blobs:
            raise ArtifactError(f"download of {key}: HTTP 404")
        return self.blobs[key]


def _publications(store: _FakeStore | None, model_hash: bytes) -> StorePublications:
    task = cast(Task, SimpleNamespace(model_hash=model_hash, task_id=5))
    return StorePublications(cast(Any, None), cast(ArtifactClient, store), task, 0)


def test_keep_model_stores_the_verified_bytes_until_keep_s_after_the_check(tmp_path: Path) -> None:
    data = _model().to_bytes()
    replica = ReplicaStore(tmp_path)
    digest = keep_model(replica, data, bytes.fromhex(content_hash(data)[2:]), 5, now=1000.0, keep_s=30 * DAY)
    assert digest == content_hash(data) and replica.get(digest) == data
    entry = replica.entries()[digest]
    assert (entry.task_id, entry.keep_until, entry.stored_at) == (5, 1000.0 + 30 * DAY, 1000.0)
    assert replica.prune(1000.0 + 30 * DAY - 1) == []
    assert replica.prune(1000.0 + 30 * DAY) == [digest]


def test_keep_model_refuses_bytes_that_are_not_the_model(tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    replica = ReplicaStore(tmp_path)
    with caplog.at_level(logging.WARNING, "verifier.agent"):
        assert keep_model(replica, b"something else", b"\x07" * 32, 5, now=0.0, keep_s=DAY) is None
    assert "not kept" in caplog.text
    assert replica.entries() == {} and replica.size_bytes() == 0


def test_publications_remember_the_model_bytes() -> None:
    model = _model()
    data = model.to_bytes()
    digest = content_hash(data)
    store = _FakeStore({digest: data})
    published = _publications(store, bytes.fromhex(digest[2:]))
    assert published.model_bytes is None
    assert published.model().to_bytes() == data
    assert published.model_bytes == data
    assert published.model().step == 3 and store.downloads == 1  # not downloaded twice

    with pytest.raises(Unpublished, match="not in the artifact store"):
        _publications(_FakeStore({}), b"\x09" * 32).model()
    with pytest.raises(Unpublished, match="no artifact store"):
        _publications(None, b"\x09" * 32).model()


def _bare_agent(tmp_path: Path, **config: Any) -> VerifierAgent:
    """A VerifierAgent with only what the replica methods use (no chain)."""
    agent = VerifierAgent.__new__(VerifierAgent)
    agent.config = VerifierConfig(state_dir=tmp_path / "state", **config)
    agent.replica, agent.replica_server, agent._prune_at = None, None, 0.0
    agent._pool = cast(Any, SimpleNamespace(shutdown=lambda **_: None))
    return agent


def test_agent_serves_the_replica_and_prunes_at_start(tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    old = ReplicaStore(tmp_path / "state" / "replica")
    expired = old.put(b"expired", keep_until=1.0)
    kept = old.put(_model().to_bytes(), keep_until=None)
    agent = _bare_agent(tmp_path, replica_port=0, replica_keep_s=2 * DAY)
    with caplog.at_level(logging.INFO, "verifier.agent"):
        agent._start_replica()
    try:
        assert agent.replica is not None and agent.replica_server is not None
        assert agent.replica.root == tmp_path / "state" / "replica"
        assert "serving checked models at http://127.0.0.1:" in caplog.text
        assert not agent.replica.has(expired)
        with ArtifactClient(agent.replica_server.url) as client:
            assert client.download(kept) == _model().to_bytes()
        assert agent._prune_at > 0  # next prune an hour on
        assert REPLICA_PRUNE_EVERY_S == 3600
        agent._start_replica()  # a second start (a retried `start`) keeps the same server
    finally:
        agent.close()
    assert agent.replica_server is None


def test_agent_without_a_replica_port_keeps_nothing(tmp_path: Path) -> None:
    agent = _bare_agent(tmp_path)
    agent._start_replica()
    agent._prune_replica()
    assert agent.replica is None and agent.replica_server is None
    assert not (tmp_path / "state" / "replica").exists()
    agent.close()


def test_agent_goes_on_when_the_port_is_taken(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with ReplicaServer(ReplicaStore(tmp_path / "other")) as taken:
        agent = _bare_agent(tmp_path, replica_port=taken.port)
        with caplog.at_level(logging.ERROR, "verifier.agent"):
            agent._start_replica()
        assert "cannot serve the replica" in caplog.text
        assert agent.replica is not None and agent.replica_server is None  # kept, not served
        agent.close()


@pytest.mark.parametrize(("args", "message"), [
    (["--replica-port", "70000"], "--replica-port 70000: a TCP port is 1..65535"),
    (["--replica-port", "-1"], "--replica-port -1"),
    (["--replica-keep-days", "0"], "--replica-keep-days 0: give a positive number of days"),
    (["--replica-keep-days", "-3"], "--replica-keep-days -3"),
])
def test_cli_validates_the_replica_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["start", *args])
    assert result.exit_code == 1
    assert message in result.output


def test_a_checked_model_is_kept_and_served(scenario: Scenario, prepared: PreparedTask) -> None:
    """On the devnet: an honest result checked, its model served by the verifier's replica."""
    s = scenario
    run = operator_run(prepared)
    s.post_and_claim()
    s.submit(run)
    deployment = save_deployment(s.devnet.deployment, s.tmp_path / "deployment.json")
    session = open_session(s.devnet.anvil.rpc_url, deployment, private_key=actor_key("challenger"))
    config = VerifierConfig(state_dir=s.tmp_path / "verifier", stake=s.devnet.game("other").challenger_bond(),
                            mode=Mode.SPOT, sample_rate=1.0, artifact_store=s.store_url, device="cpu",
                            poll_interval_s=0.0, auto_withdraw=False, background_checks=False,
                            replica_port=0, replica_keep_s=DAY)
    agent = VerifierAgent(session, config)
    agent.start()
    try:
        assert agent.replica is not None and agent.replica_server is not None

        def checked() -> bool:
            assert agent.state is not None
            record = agent.state.checks.get(s.task_id)
            return record is not None and record.status == "done"

        s.drive(agent, checked, rounds=50)
        assert agent.state is not None and agent.state.checks[s.task_id].verdict == "honest"
        data = run.model.to_bytes()
        digest = content_hash(data)
        entry = agent.replica.entries()[digest]
        assert entry.task_id == s.task_id and entry.keep_until is not None
        assert entry.keep_until == pytest.approx(entry.stored_at + DAY)
        with ArtifactClient(agent.replica_server.url) as replica:
            assert replica.download(digest) == data
    finally:
        agent.close()
