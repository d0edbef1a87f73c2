"""Operator agents run on threads against the devnet, and `worker executor` processes on a broker."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.chain import ETHER, Devnet
from tests.support.waiting import wait_for
from tribunal.chain.anvil import ANVIL_KEYS
from tribunal.chain.session import ChainSession, open_session
from worker.agent import OperatorAgent, OperatorConfig
from worker.celery_app import make_celery
from worker.executor import CeleryExecutor, EmbeddedExecutor, Executor

# Operators of their own, on anvil accounts the devnet's ACTORS do not hold.
OPERATOR_KEYS = {"alice": ANVIL_KEYS[5], "bob": ANVIL_KEYS[6]}
WORKER_CLI = str(Path(sys.executable).parent / "worker")


@dataclass
class RunningAgent:
    agent: OperatorAgent
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
    """An operator agent with ``key`` on a thread (its executor embedded, or Celery on ``broker``)."""
    session = open_session(rpc_url or devnet.anvil.rpc_url, deployment_file, private_key=key)
    app = make_celery(broker)
    executor: Executor = CeleryExecutor(app, queue) if broker else EmbeddedExecutor(app)
    settings = OperatorConfig(state_dir=state_dir, stake=stake, artifact_store=store_url, api_url=api_url,
                              poll_interval_s=0.3, **config)  # type: ignore[arg-type]
    agent = OperatorAgent(session, settings, executor)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), name=f"agent-{state_dir.name}", daemon=True)
    thread.start()
    return RunningAgent(agent, thread, stop, session)


@contextmanager
def executor_process(
    broker: str, queue: str, work_dir: Path, log_path: Path, name: str = "test",
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """`worker executor` on the broker's queue (a real Celery worker process), stopped at the end."""
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child process; a restart appends
    node = f"{queue}@{name}"
    process = subprocess.Popen([WORKER_CLI, "executor", "--broker", broker, "--queue", queue,
                                "--device", "cpu", "--work-dir", str(work_dir), "--name", node],
                               stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        app = make_celery(broker)
        wait_for(lambda: process.poll() is None and app.control.ping([node], timeout=0.5), 90, 0.5,
                 what=f"the executor {node} to answer (log: {log_path})")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def redis_server(port: int, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of the test's own on ``port`` (the chaos bench's command line), stopped at the end."""
    import redis

    from bench.chaos import redis_answers, redis_command

    log = open(folder.with_suffix(".log"), "ab")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(redis_command(port, folder), stdout=log, stderr=subprocess.STDOUT)
    try:
        def answers() -> bool:
            try:
                return redis_answers(port)
            except redis.exceptions.ConnectionError:  # not listening yet
                return False

        wait_for(lambda: process.poll() is None and answers(), 30, 0.1, what=f"redis-server on port {port}")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
