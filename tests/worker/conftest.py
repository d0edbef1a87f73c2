"""Worker fixtures: the backend (artifact store + indexer) on a free port, a private Redis, a
submitter that uploads specs and posts tasks, and agents run on threads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from web3 import Web3

from backend.api.app import create_app
from backend.settings import BackendSettings
from tests.conftest import Devnet
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.anvil import ANVIL_KEYS, free_port
from tribunal.chain.deployment import save_deployment
from tribunal.chain.session import ChainSession, open_session
from tribunal.spec import MlpConfig, Sgd, TaskSpec
from tribunal.tasks import PreparedTask, prepare_task
from worker.agent import Agent, AgentConfig
from worker.celery_app import make_celery
from worker.executor import CeleryExecutor, EmbeddedExecutor, Executor

ETHER = 10**18
OPERATOR_KEYS = {"alice": ANVIL_KEYS[5], "bob": ANVIL_KEYS[6]}


def tiny_spec(seed: int = 1, steps: int = 4, checkpoint_every: int = 2, hidden: int = 8) -> TaskSpec:
    return TaskSpec(model=MlpConfig(hidden=(hidden,)), dataset="digits", optimizer=Sgd(lr=0.1),
                    batch_size=8, seed=seed, steps=steps, checkpoint_every=checkpoint_every)


@pytest.fixture()
def deployment_file(devnet: Devnet, tmp_path: Path) -> Path:
    return save_deployment(devnet.deployment, tmp_path / "deployment.json")


@pytest.fixture()
def backend_url(devnet: Devnet, deployment_file: Path, tmp_path: Path) -> Iterator[str]:
    """The backend (artifact store, API, indexer) on a free port, its data in tmp_path."""
    settings = BackendSettings(
        database_url=f"sqlite:///{tmp_path / 'backend.db'}",
        artifact_dir=tmp_path / "artifacts",
        rpc_url=devnet.anvil.rpc_url,
        deployment=deployment_file,
        index=True,
        poll_interval_s=0.2,
        stream_poll_s=0.2,
        frontend_dir=tmp_path / "no-frontend",
        celery_broker_url=None,
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="backend", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the backend did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free port (no persistence), stopped at the end."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no",
                                "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@dataclass
class Submitter:
    """Uploads specs to the artifact store and posts tasks as the devnet's submitter."""

    devnet: Devnet
    store_url: str
    prepared: dict[bytes, PreparedTask] = field(default_factory=dict)

    def prepare(self, spec: TaskSpec) -> PreparedTask:
        with ArtifactClient(self.store_url) as store:
            digest = store.upload_bytes(prepare_task(spec, "").spec_bytes, kind="spec")
        prepared = prepare_task(spec, f"{self.store_url}/api/artifacts/{digest}")
        self.prepared[prepared.spec_hash] = prepared
        return prepared

    def post(self, spec: TaskSpec, reward: int = ETHER, min_stake: int = 2 * ETHER,
             challenge_window: int = 4, deadline_s: int = 3600) -> int:
        prepared = self.prepare(spec)
        now = self.devnet.anvil.w3.eth.get_block("latest")["timestamp"]
        params = prepared.task_params(min_stake=min_stake, deadline=now + deadline_s,
                                      challenge_window=challenge_window)
        task_id, _ = self.devnet.market("submitter").post_task(params, reward)
        return task_id


@pytest.fixture()
def submitter(devnet: Devnet, backend_url: str) -> Submitter:
    return Submitter(devnet, backend_url)


@dataclass
class RunningAgent:
    agent: Agent
    thread: threading.Thread
    stop: threading.Event
    session: ChainSession

    def halt(self) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the agent did not stop"


def start_agent(
    devnet: Devnet, deployment_file: Path, state_dir: Path, key: str, store_url: str, *,
    broker: str | None = None, queue: str = "tribunal.train", stake: int = 10 * ETHER,
    api_url: str | None = None, rpc_url: str | None = None, **config: object,
) -> RunningAgent:
    session = open_session(rpc_url or devnet.anvil.rpc_url, deployment_file, private_key=key)
    app = make_celery(broker)
    executor: Executor = CeleryExecutor(app, queue) if broker else EmbeddedExecutor(app)
    agent = Agent(session, AgentConfig(state_dir=state_dir, stake=stake, artifact_store=store_url,
                                       api_url=api_url, poll_interval_s=0.3, **config),  # type: ignore[arg-type]
                  executor)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), name=f"agent-{state_dir.name}", daemon=True)
    thread.start()
    return RunningAgent(agent, thread, stop, session)


def wait_for(condition, timeout_s: float = 60.0, every_s: float = 0.2, what: str = "condition"):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


WORKER_CLI = str(Path(sys.executable).parent / "worker")


@contextmanager
def executor_process(
    broker: str, queue: str, work_dir: Path, log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`worker executor` on the broker's queue (a real Celery worker process), stopped at the end."""
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen([WORKER_CLI, "executor", "--broker", broker, "--queue", queue,
                                "--device", "cpu", "--work-dir", str(work_dir), "--name", f"{queue}@test"],
                               stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        app = make_celery(broker)
        wait_for(lambda: process.poll() is None and app.control.ping(timeout=0.5), 90, 0.5,
                 what=f"the executor to answer (log: {log_path})")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def fees_paid(w3: Web3, address: str, first_block: int, last_block: int) -> int:
    """Wei the address spent on gas in blocks first..last (every transaction it sent)."""
    total = 0
    for number in range(first_block, last_block + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"].lower() == address.lower():
                receipt = w3.eth.get_transaction_receipt(tx["hash"])
                total += receipt["gasUsed"] * receipt["effectiveGasPrice"]
    return total
