"""Benchmark: the whole marketplace on a devnet — post → paid latency and tasks per hour.

    python bench/e2e.py [--tasks 8] [--window 2]

Starts its own anvil (automine), deploys the contracts, serves the backend's artifact store on a
free port, and runs operator agents (`worker.agent.OperatorAgent`, embedded executor) on threads. A
submitter uploads each spec to the artifact store and posts it; the agents do the rest (claim,
verify the spec against the chain, train with RepOps, publish checkpoints, submit, wait out the
challenge window, finalize, withdraw).

- **latency**: one small MLP job (digits, hidden 32, batch 32, 40 steps, checkpoint every 10),
  one idle worker; from the `postTask` receipt to the reward withdrawn, with its phases.
  The challenge window (``--window`` seconds) is part of it and reported apart.
- **throughput**: ``--tasks`` tiny jobs (hidden 8, batch 8, 6 steps) posted at once; tasks/hour
  from the first post to the last payment, with one worker and with two.

Merges `e2e` into bench/results.json. On a 2-core machine the two workers share the cores (and
with the chain and the store), so two workers are not expected to double the rate here.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402

from backend.api.app import create_app  # noqa: E402
from backend.settings import BackendSettings  # noqa: E402
from bench._results import environment, merge  # noqa: E402
from tribunal.artifact_client import ArtifactClient  # noqa: E402
from tribunal.chain.anvil import ANVIL_KEYS, Anvil, free_port, start_anvil  # noqa: E402
from tribunal.chain.client import ChainClient  # noqa: E402
from tribunal.chain.deploy import DeployParams, deploy_contracts  # noqa: E402
from tribunal.chain.deployment import save_deployment  # noqa: E402
from tribunal.chain.keys import signer_from_private_key  # noqa: E402
from tribunal.chain.session import ChainSession, open_session  # noqa: E402
from tribunal.spec import MlpConfig, Sgd, TaskSpec  # noqa: E402
from tribunal.tasks import prepare_task  # noqa: E402
from worker.agent import OperatorAgent, OperatorConfig  # noqa: E402
from worker.celery_app import make_celery  # noqa: E402
from worker.executor import EmbeddedExecutor  # noqa: E402
from worker.policy import Policy  # noqa: E402

ETHER = 10**18
GOAL_OVERHEAD_S = 8.0
"""post → paid may exceed the challenge window by this much (claim, spec check, a 40-step MLP on a
CPU, submit, finalize, withdraw, with 1 s polls on a devnet)."""
GOAL_TASKS_PER_HOUR = 1000.0
"""Per worker, tiny tasks: the per-task overhead (5 transactions, spec check, store round trips)."""
SUBMITTER_KEY = ANVIL_KEYS[1]
OPERATOR_KEYS = [ANVIL_KEYS[5], ANVIL_KEYS[6]]
PHASES = ("claim_sent", "trained", "submitted", "paid", "withdrawn")


class EventClock(logging.Handler):
    """Remembers when each (event, task) was first logged by the agents."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: dict[tuple[str, int | None], float] = {}
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        if event:
            with self._guard:
                self.seen.setdefault((event, getattr(record, "task_id", None)), time.perf_counter())

    def when(self, event: str, task_id: int | None = None) -> float | None:
        with self._guard:
            return self.seen.get((event, task_id))


@dataclass
class Network:
    anvil: Anvil
    deployment_file: Path
    store_url: str
    submitter: ChainSession
    server: uvicorn.Server
    clock: EventClock
    agents: list[tuple[OperatorAgent, threading.Thread, threading.Event]] = field(default_factory=list)

    def post(self, spec: TaskSpec, window: int, reward: int = ETHER) -> tuple[int, float]:
        with ArtifactClient(self.store_url) as store:
            digest = store.upload_bytes(prepare_task(spec, "").spec_bytes, kind="spec")
        prepared = prepare_task(spec, f"{self.store_url}/api/artifacts/{digest}")
        now = self.anvil.w3.eth.get_block("latest")["timestamp"]
        params = prepared.task_params(min_stake=ETHER, deadline=now + 3600, challenge_window=window)
        task_id, _ = self.submitter.market.post_task(params, reward)
        return task_id, time.perf_counter()

    def start_agent(self, key: str, state_dir: Path) -> OperatorAgent:
        session = open_session(self.anvil.rpc_url, self.deployment_file, private_key=key)
        config = OperatorConfig(state_dir=state_dir, stake=4 * ETHER, artifact_store=self.store_url,
                                poll_interval_s=1.0, policy=Policy(max_concurrent=1))
        agent = OperatorAgent(session, config, EmbeddedExecutor(make_celery(None)))
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        thread.start()
        self.agents.append((agent, thread, stop))
        return agent

    def stop_agents(self) -> None:
        for _, thread, stop in self.agents:
            stop.set()
            thread.join(timeout=60)
        self.agents.clear()

    def wait(self, event: str, task_ids: list[int | None], timeout_s: float) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            times = [self.clock.when(event, t) for t in task_ids]
            if all(t is not None for t in times):
                return max(t for t in times if t is not None)
            time.sleep(0.05)
        missing = [t for t in task_ids if self.clock.when(event, t) is None]
        raise TimeoutError(f"tasks {missing} never reached {event!r} within {timeout_s} s")


def start_network(folder: Path) -> Network:
    anvil = start_anvil(log_path=folder / "anvil.log")
    deployer = ChainClient(anvil.w3, signer_from_private_key(ANVIL_KEYS[0]))
    deployment = deploy_contracts(deployer, anvil.rpc_url, DeployParams())
    deployment_file = save_deployment(deployment, folder / "deployment.json")
    settings = BackendSettings(database_url=f"sqlite:///{folder / 'backend.db'}",
                               artifact_dir=folder / "artifacts", rpc_url=anvil.rpc_url,
                               deployment=deployment_file, index=False, frontend_dir=folder / "none",
                               celery_broker_url=None)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    clock = EventClock()
    logging.getLogger("worker").addHandler(clock)
    logging.getLogger("worker").setLevel(logging.INFO)
    submitter = open_session(anvil.rpc_url, deployment_file, private_key=SUBMITTER_KEY)
    return Network(anvil, deployment_file, f"http://127.0.0.1:{port}", submitter, server, clock)


def small_mlp(seed: int) -> TaskSpec:
    return TaskSpec(model=MlpConfig(hidden=(32,)), dataset="digits", optimizer=Sgd(lr=0.1), batch_size=32,
                    seed=seed, steps=40, checkpoint_every=10)


def tiny_mlp(seed: int) -> TaskSpec:
    return TaskSpec(model=MlpConfig(hidden=(8,)), dataset="digits", optimizer=Sgd(lr=0.1), batch_size=8,
                    seed=seed, steps=6, checkpoint_every=3)


def latency(net: Network, folder: Path, window: int) -> dict[str, Any]:
    agent = net.start_agent(OPERATOR_KEYS[0], folder / "latency")
    while agent.state is None:  # staked and following the chain: the worker is idle and ready
        time.sleep(0.05)
    time.sleep(1.5)
    task_id, posted = net.post(small_mlp(seed=1), window)
    net.wait("paid", [task_id], 600)
    paid = net.wait("withdrawn", [None], 60)  # type: ignore[list-item]
    marks = {p: net.clock.when(p, None if p == "withdrawn" else task_id) for p in PHASES}
    net.stop_agents()
    record = agent.state.tasks[task_id] if agent.state else None
    return {
        "post_to_paid_s": {"value": round(paid - posted, 2), "goal": window + GOAL_OVERHEAD_S},
        "challenge_window_s": window,
        "post_to_claim_s": round((marks["claim_sent"] or posted) - posted, 2),
        "claim_to_trained_s": round((marks["trained"] or 0) - (marks["claim_sent"] or 0), 2),
        "training_s": round(record.train_seconds or 0, 2) if record else None,
        "trained_to_submitted_s": round((marks["submitted"] or 0) - (marks["trained"] or 0), 2),
        "submitted_to_paid_s": round((marks["paid"] or 0) - (marks["submitted"] or 0), 2),
        "paid_to_withdrawn_s": round(paid - (marks["paid"] or 0), 2),
        "spec": "mlp hidden 32, digits, batch 32, 40 steps, checkpoint every 10",
    }


def throughput(
    net: Network, folder: Path, workers: int, tasks: int, window: int, seed0: int
) -> dict[str, Any]:
    for i in range(workers):
        net.start_agent(OPERATOR_KEYS[i], folder / f"throughput-{workers}-{i}")
    while not all(a.state is not None for a, _, _ in net.agents):
        time.sleep(0.05)
    time.sleep(1.5)
    started = time.perf_counter()
    ids = [net.post(tiny_mlp(seed=seed0 + i), window)[0] for i in range(tasks)]
    done = net.wait("paid", ids, 1200)
    net.stop_agents()
    seconds = done - started
    by_operator: dict[str, int] = {}
    for task_id in ids:
        operator = net.submitter.market.task(task_id).operator
        by_operator[operator] = by_operator.get(operator, 0) + 1
    return {
        "tasks": tasks,
        "seconds": round(seconds, 2),
        "tasks_per_hour": {"value": round(tasks / seconds * 3600, 1), "goal": GOAL_TASKS_PER_HOUR * workers},
        "tasks_per_operator": sorted(by_operator.values(), reverse=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=12, help="tiny tasks per throughput run")
    parser.add_argument("--window", type=int, default=2, help="challenge window (s)")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    env = environment()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        net = start_network(folder)
        try:
            figures: dict[str, Any] = {"env": env, "chain": "anvil (automine), local backend store",
                                       "poll_interval_s": 1.0, "executor": "embedded (CPU)"}
            figures["latency"] = latency(net, folder, args.window)
            print("latency", figures["latency"])
            figures["one_worker"] = throughput(net, folder, 1, args.tasks, args.window, 100)
            print("one worker", figures["one_worker"])
            figures["two_workers"] = throughput(net, folder, 2, args.tasks, args.window, 200)
            print("two workers", figures["two_workers"])
        finally:
            net.stop_agents()
            net.server.should_exit = True
            net.anvil.stop()
    if not args.no_save:
        merge("e2e", figures)
        print("merged into bench/results.json under 'e2e'")


if __name__ == "__main__":
    main()
