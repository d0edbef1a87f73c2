"""A whole network of real processes on loopback for the benchmarks that run one (bench/soak.py,
bench/chaos.py): anvil, the contracts, the backend, verifiers and workers (one of them cheating),
each its own process group (deploy/devnet.py's `Services`); the chain's tally of tasks, games and
slashes; and what stops them all at the end, on failure and on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.e2e import tiny_mlp
from deploy.devnet import (
    VENV_BIN,
    DevnetError,
    Services,
    http_json,
    prepare_spec,
    stop_group,
    task_params,
    wait_until,
)
from tribunal.chain.anvil import ANVIL_CHAIN_ID, ANVIL_KEYS, free_port
from tribunal.chain.client import ChainClient, connect
from tribunal.chain.deploy import DeployParams, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.chain.events import ChainEvent, EventFollower
from tribunal.chain.keys import signer_from_private_key
from tribunal.chain.session import ChainSession, open_session
from tribunal.paths import node_bin
from tribunal.protocol_enums import TaskStatus

ETHER = 10**18
MIN_STAKE = ETHER
REWARD = ETHER // 100
HONEST_STAKE_ETH = 10
VERIFIER_STAKE_ETH = 10

KEYS = {"deployer": 0, "submitter": 1, "worker-1": 2, "verifier-1": 3, "worker-2": 4, "cheater": 5,
        "worker-3": 6, "verifier-2": 7}
"""Which of anvil's public test keys plays which role."""
HONEST_WORKERS = ("worker-1", "worker-2", "worker-3")
VERIFIERS = ("verifier-1", "verifier-2")
ANVIL = "anvil"
API = "api"
REDIS = "redis"
POSTGRES = "postgres"
BACKING = (ANVIL, REDIS, POSTGRES)
"""What the backend and the agents rely on: stopped last."""
AGENTS = (*VERIFIERS, "cheater", *HONEST_WORKERS)


# -- what the chain says -----------------------------------------------------------------------


@dataclass
class Ledger:
    """The tasks, games and slashes, tallied from the contracts' events."""

    posted: set[int] = field(default_factory=set)
    finalised: dict[int, str] = field(default_factory=dict)
    """task → the operator paid."""
    voided: list[tuple[int, str]] = field(default_factory=list)
    """(task, operator whose result was voided)."""
    submitted: list[tuple[int, str]] = field(default_factory=list)
    """(task, operator) of every result submitted."""
    slashed: list[dict[str, Any]] = field(default_factory=list)
    games_opened: set[int] = field(default_factory=set)
    games_closed: set[int] = field(default_factory=set)
    """Settled (slash and pay carried out) or withdrawn (moot, or given up while queued)."""

    def record(self, event: ChainEvent) -> None:
        a = event.args
        match event.name:
            case "TaskPosted":
                self.posted.add(int(a["taskId"]))
            case "TaskFinalized":
                self.finalised[int(a["taskId"])] = str(a["operator"]).lower()
            case "TaskVoided":
                self.voided.append((int(a["taskId"]), str(a["operator"]).lower()))
            case "ResultSubmitted":
                self.submitted.append((int(a["taskId"]), str(a["operator"]).lower()))
            case "Slashed":
                self.slashed.append({"account": str(a["account"]).lower(),
                                     "amount": int(a["fromLocked"] + a["fromFree"] + a["fromUnbonding"])})
            case "GameOpened":
                self.games_opened.add(int(a["gameId"]))
            case "GameSettled" | "GameWithdrawn":
                self.games_closed.add(int(a["gameId"]))

    def settled(self, task_ids: set[int]) -> bool:
        """Every task finalised and every game closed."""
        return task_ids <= set(self.finalised) and self.games_opened <= self.games_closed

    def open_games(self) -> set[int]:
        return self.games_opened - self.games_closed


# -- the network -------------------------------------------------------------------------------


class BenchNetwork:
    """The processes, each in its own process group (``Services``), and the chain's tally.

    ``agent_rpc_url`` is the JSON-RPC endpoint the agents and the backend use (anvil's own by
    default; bench/chaos.py puts a fault-injecting proxy there); the harness itself always talks to
    anvil directly. ``backend_env`` adds to or overrides the backend's environment (its database).
    Every spawn is remembered, so ``respawn`` starts a killed service again the same way."""

    def __init__(self, state_dir: Path, tasks: int, challenge_window_s: int,
                 backend_env: dict[str, str] | None = None,
                 deploy_params: DeployParams | None = None) -> None:
        self.state_dir = state_dir
        self.deploy_params = deploy_params or DeployParams()
        self.tasks = tasks
        self.challenge_window_s = challenge_window_s
        self.services = Services(state_dir)
        self.addresses = {role: signer_from_private_key(ANVIL_KEYS[i]).address for role, i in KEYS.items()}
        self.rpc_url = f"http://127.0.0.1:{free_port()}"
        self.agent_rpc_url = self.rpc_url
        self.api_url = f"http://127.0.0.1:{free_port()}"
        self.deployment_path = state_dir / "deployment.json"
        self.backend_env = {"DATABASE_URL": f"sqlite:///{state_dir / 'tribunal.db'}", **(backend_env or {})}
        self.ledger = Ledger()
        self.submitter: ChainSession | None = None
        self.follower: EventFollower | None = None
        self.commands: dict[str, tuple[list[str], dict[str, str]]] = {}

    # processes

    def roots(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.services.processes.items() if p.poll() is None}

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.commands[name] = (args, env)
        self.services.spawn(name, args, env)

    def respawn(self, name: str) -> None:
        """Start ``name`` again as it was first started (its log is appended to)."""
        args, env = self.commands[name]
        self.services.spawn(name, args, env, append=True)

    def start_anvil(self) -> None:
        port = self.rpc_url.rsplit(":", 1)[1]
        self.services.spawn(ANVIL, [node_bin("anvil"), "--port", port, "--host", "127.0.0.1",
                                    "--chain-id", str(ANVIL_CHAIN_ID)])
        wait_until("anvil", lambda: connect(self.rpc_url).eth.chain_id == ANVIL_CHAIN_ID, self.services)

    def deploy_and_start_backend(self) -> None:
        deployer = signer_from_private_key(ANVIL_KEYS[KEYS["deployer"]])
        deployment = deploy_contracts(ChainClient(connect(self.rpc_url), deployer), self.rpc_url,
                                      self.deploy_params)
        save_deployment(deployment, self.deployment_path)
        self.spawn(API, [str(VENV_BIN / "python"), "-m", "backend", "serve"], {
            **self.common_env(), "TRIBUNAL_PORT": self.api_url.rsplit(":", 1)[1],
            "TRIBUNAL_ARTIFACT_DIR": str(self.state_dir / "artifacts"),
            # the harness is one client posting every task: the per-client spec limit is for the public
            "TRIBUNAL_SPEC_RATE_BURST": str(self.tasks + 10),
            "TRIBUNAL_SPEC_RATE_PER_MINUTE": "6000",
            **self.backend_env,
        })
        wait_until("the API", lambda: http_json(f"{self.api_url}/healthz"), self.services, timeout_s=120)
        self.submitter = open_session(self.rpc_url, self.deployment_path,
                                      private_key=ANVIL_KEYS[KEYS["submitter"]])
        self.follower = EventFollower(self.submitter.client.w3, self.contracts(self.submitter), cursor=0)

    def start_chain_and_backend(self) -> None:
        self.start_anvil()
        self.deploy_and_start_backend()

    @staticmethod
    def contracts(session: ChainSession) -> dict[str, Any]:
        contracts = {"TaskMarket": session.market.contract, "StakeManager": session.stake_manager.contract}
        if session.game is not None:
            contracts["DisputeGame"] = session.game.contract
        return contracts

    def common_env(self) -> dict[str, str]:
        return {"TRIBUNAL_RPC_URL": self.agent_rpc_url, "TRIBUNAL_DEPLOYMENT": str(self.deployment_path)}

    def spawn_agent(self, name: str, command: str, role_args: list[str],
                    env: dict[str, str] | None = None) -> None:
        self.spawn(name, [
            str(VENV_BIN / command), *role_args, "--poll-interval", "1", "--rpc-url", self.agent_rpc_url,
            "--deployment", str(self.deployment_path), "--artifact-store", self.api_url,
            "--state-dir", str(self.state_dir / name),
        ], {**self.common_env(), "TRIBUNAL_PRIVATE_KEY": ANVIL_KEYS[KEYS[name]], **(env or {})})

    def spawn_worker(self, name: str, stake_eth: int | str, extra: list[str],
                     env: dict[str, str] | None = None) -> None:
        self.spawn_agent(name, "worker", ["start", "--stake", str(stake_eth), "--api-url", self.api_url,
                                          "--no-live", *extra], env)

    def spawn_verifier(self, name: str) -> None:
        self.spawn_agent(name, "verifier", ["start", "--stake", str(VERIFIER_STAKE_ETH), "--mode", "full"])

    def wait_staked(self, stakes: dict[str, int]) -> None:
        assert self.submitter is not None
        manager = self.submitter.stake_manager

        def staked() -> bool:
            return all(manager.info(self.addresses[n]).bonded >= s * ETHER for n, s in stakes.items())

        wait_until(f"{', '.join(stakes)} to stake", staked, self.services, timeout_s=180)

    def stop(self, names: list[str] | None = None) -> list[int]:
        """Stop the services (all by default): the agents at once, then the backend, then what they
        rely on (SIGTERM to each group, SIGKILL after the grace); the groups with a process still alive."""
        processes = {n: p for n, p in self.services.processes.items() if names is None or n in names}
        groups = [p.pid for p in processes.values()]
        waves = [[n for n in processes if n not in (API, *BACKING)], [n for n in processes if n == API],
                 [n for n in processes if n in BACKING]]
        with ThreadPoolExecutor(max_workers=max(1, len(processes))) as pool:
            for wave in waves:
                list(pool.map(stop_group, [processes[n].pid for n in wave]))
        for name, process in processes.items():
            process.poll()
            self.services.pid_file(name).unlink(missing_ok=True)
            if names is not None:  # stopped on purpose, not dead: `poll` no longer watches it
                del self.services.processes[name]
        return [pid for pid in groups if group_alive(pid)]

    # tasks

    def post(self, seed: int, watched: Services | None = None) -> int:
        """Post bench/e2e.py's tiny MLP with ``seed``, its spec prepared by the backend; waiting for
        the backend fails early if a service of ``watched`` (default: all of them) exited."""
        assert self.submitter is not None
        committed = prepare_spec(self.api_url, tiny_mlp(seed), self.services if watched is None else watched)
        now = self.submitter.client.w3.eth.get_block("latest")["timestamp"]
        params = task_params(committed, min_stake=MIN_STAKE, deadline=now + 7200,
                             challenge_window=self.challenge_window_s)
        task_id, _ = self.submitter.market.post_task(params, reward=REWARD)
        return task_id

    def poll(self) -> None:
        """Tally the new events; a service that exited is an error."""
        self.poll_events()
        for name, code in self.services.dead():
            raise DevnetError(f"{name} exited (code {code}); see {self.services.log_file(name)}")

    def poll_events(self) -> None:
        assert self.follower is not None
        for event in self.follower.poll():
            self.ledger.record(event)

    def status(self, task_id: int) -> TaskStatus:
        assert self.submitter is not None
        return self.submitter.market.task(task_id).status


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_leftovers(state_dir: Path) -> None:
    """Stop the process groups a previous, killed run left (named by its pid files)."""
    if not state_dir.exists():
        return
    for path in state_dir.glob("*.pid"):
        text = path.read_text().strip()
        if text.isdigit():
            stop_group(int(text))
        path.unlink()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C: the `finally` blocks stop every process."""
    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def say(message: str, began: float) -> None:
    print(f"[{time.monotonic() - began:6.1f}s] {message}", flush=True)
