"""Chaos benchmark: the soak's network of real processes (bench/network.py) runs a hundred tiny
tasks while faults are injected, then the chain, the stakes and the indexer are checked.

    python -m bench.chaos                       # 100 tasks, >= 50 faults, stops within 15 minutes
    python -m bench.chaos --tasks 20 --faults 15 --max-minutes 6 --no-save

Everything is on loopback and stops by itself (``--max-minutes``). The network: a private Redis
(append-only file, fsync on every write) and a private PostgreSQL cluster (`initdb` in a temporary
folder, as the ``postgres`` user when run as root), both on spare ports; anvil; the backend on that
PostgreSQL, its rate limiter on that Redis; two verifiers; a cheating worker (``--cheat
flip-bit``); three honest workers, the third training on a remote executor (``worker executor``,
Celery on that Redis). Every agent and the backend reach anvil through a fault-injecting JSON-RPC
proxy (`FaultyRpcProxy`, in this process): each request may be dropped before it reaches anvil or
after (its answer lost), delayed, answered out of order (after a later request's answer, or a batch
answered in another order) or answered 502/503, at ``--rpc-fault-rate`` with seeded randomness.

Faults scheduled while the tasks are posted (`FaultScheduler`, seeded; every kind once a round, in
random order, at random moments): ``kill -9`` of a worker,
the cheater, a verifier, the backend or the executor (restarted 0.5-4 s later, as systemd's
``Restart=on-failure`` would), ``kill -9`` of Redis or PostgreSQL (restarted the same way: a crash
and recovery), and an anvil reorg (`anvil_reorg`: the last 1-3 blocks replaced by new blocks with
the same transactions, signed alike so their hashes stay, and one more transfer; the proxy holds
the agents' requests meanwhile). Each dispute game opened gets a ``kill -9`` of one of its possible
parties (a verifier, the cheater or the backend) while it is open. A service that exits by itself is
restarted too and counted in ``unexpected_exits``.

Each task's challenge window is 60 s (``--challenge-window``): longer than every verifier can be
blind at once here (a cheat no verifier can check within its window stands, by design).

Once ``--faults`` faults are injected and every task is posted, the proxy turns honest and the run
waits for every task to be finalised and every game closed. Then, from the chain (a fresh scan of
every event, not what was seen during the run):

- every task is Finalized, by an honest worker, with the final state root of an honest run of its
  spec (trained again here): else it is lost (not finalised) or a wrong outcome;
- every result the cheater submitted was voided, the cheater was slashed at least once per voided
  cheat, and nobody else was slashed;
- wei: what anvil minted (the dev accounts' balances at block 0) equals the accounts' balances +
  stakes (bonded and unbonding) + credits + burned (`totalBurned`) + rewards escrowed by live tasks +
  the base fees burned by every block; and the StakeManager and TaskMarket hold exactly what they
  book. ``unaccounted_wei`` sums the absolute differences;
- the backend's database equals a fresh index of the chain into a new database (every chain-derived
  row, `backend.indexer.store.dump_chain_data`), once the backend has indexed the head.

Every process is stopped at the end, on failure and on Ctrl-C. Merges ``chaos`` into
bench/results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench._results import environment, merge
from bench.e2e import tiny_mlp
from bench.network import (
    AGENTS,
    API,
    ETHER,
    HONEST_STAKE_ETH,
    HONEST_WORKERS,
    POSTGRES,
    REDIS,
    VERIFIER_STAKE_ETH,
    VERIFIERS,
    BenchNetwork,
    Ledger,
    group_alive,
    say,
    sigterm_as_interrupt,
    stop_leftovers,
)
from deploy.devnet import DevnetError, Services, http_json, wait_until
from tribunal.chain.anvil import ANVIL_KEYS, free_port
from tribunal.chain.deploy import DeployParams
from tribunal.chain.events import EventFollower
from tribunal.chain.keys import signer_from_private_key
from tribunal.paths import REPO_ROOT
from tribunal.protocol_enums import TaskStatus

GOALS = {"faults": ">= 50", "tasks": ">= 100", "lost_tasks": "<= 0", "wrong_outcomes": "<= 0",
         "unaccounted_wei": "<= 0"}
DEFAULT_STATE_DIR = REPO_ROOT / "bench" / "out" / "chaos"
EXECUTOR = "executor"
QUEUE = "chaos"
MARKER_FROM, MARKER_TO = 8, 9
"""Anvil keys of the transfer every reorg adds to its new branch (no role in the network)."""
RPC_FAULTS = ("drop", "drop_answer", "delay", "reorder", "http_5xx")
BURN_ADDRESS = "0x000000000000000000000000000000000000dEaD"


# -- the fault-injecting JSON-RPC proxy ----------------------------------------------------------


class FaultyRpcProxy:
    """An HTTP JSON-RPC proxy in front of anvil that misbehaves at ``rate`` (seeded).

    Faults, one per faulty request, chosen uniformly: ``drop`` (connection closed, the request never
    reaches anvil), ``drop_answer`` (anvil executes it, the answer is lost), ``delay`` (0.2-2 s),
    ``reorder`` (a batch answered in another order, or a single answer held until a later request's
    answer went out), ``http_5xx`` (502 or 503, nothing forwarded). ``hold`` stops forwarding until
    it exits (the requests in flight finish first): the reorg happens meanwhile."""

    def __init__(self, upstream: str, seed: int, rate: float) -> None:
        self.upstream = upstream
        self.rate = rate
        self.rng = random.Random(seed)
        self.faults: Counter[str] = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        self._gate = threading.Condition()
        self._held = False
        self._in_flight = 0
        self._answers = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy.handle(self, body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up (a killed agent): nothing to report

        self.server = Server(("127.0.0.1", free_port()), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name="rpc-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def pick(self) -> tuple[str | None, float]:
        with self._lock:
            self.requests += 1
            if self.rng.random() >= self.rate:
                return None, 0.0
            return self.rng.choice(RPC_FAULTS), self.rng.uniform(0.2, 2.0)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        with self._gate:
            self._held = True
            self._gate.wait_for(lambda: self._in_flight == 0, timeout=30)
        try:
            yield
        finally:
            with self._gate:
                self._held = False
                self._gate.notify_all()

    def forward(self, body: bytes) -> tuple[int, bytes]:
        with self._gate:
            self._gate.wait_for(lambda: not self._held)
            self._in_flight += 1
        try:
            request = urllib.request.Request(self.upstream, data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback only
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError as exc:
            return 502, f"proxy: anvil did not answer: {exc}".encode()
        finally:
            with self._gate:
                self._in_flight -= 1
                self._gate.notify_all()

    def count(self, fault: str) -> None:
        with self._lock:
            self.faults[fault] += 1

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        fault, delay_s = self.pick()
        if fault == "drop":
            self.count(fault)
            handler.close_connection = True
            return
        if fault == "http_5xx":
            self.count(fault)
            self.reply(handler, random.choice((502, 503)), b"chaos: upstream unavailable", "text/plain")
            return
        if fault == "delay":
            self.count(fault)
            time.sleep(delay_s)
        status, payload = self.forward(body)
        if fault == "drop_answer":
            self.count(fault)
            handler.close_connection = True
            return
        if fault == "reorder" and status == 200:
            payload = self.reordered(payload)
        self.reply(handler, status, payload, "application/json")

    def reordered(self, payload: bytes) -> bytes:
        """A batch's answers shuffled, or a single answer sent only after another one (at most 1 s)."""
        answers = json.loads(payload)
        if isinstance(answers, list) and len(answers) > 1:
            shuffled = answers[:]
            while shuffled == answers:
                random.shuffle(shuffled)
            self.count("reorder")
            return json.dumps(shuffled).encode()
        with self._gate:
            seen = self._answers
            if self._gate.wait_for(lambda: self._answers > seen, timeout=1.0):
                self.count("reorder")
        return payload

    def reply(self, handler: BaseHTTPRequestHandler, status: int, payload: bytes, kind: str) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            handler.close_connection = True
        with self._gate:
            self._answers += 1
            self._gate.notify_all()


# -- Redis and PostgreSQL of our own -------------------------------------------------------------


def postgres_bin() -> Path | None:
    """The folder of `initdb` and `postgres` (on PATH, or the newest Debian/Ubuntu install)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                       key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return installed[-1].parent if installed else None


class PostgresCluster:
    """A throw-away PostgreSQL cluster (trust auth, loopback, a spare port) in a temporary folder;
    run as the ``postgres`` user when this process is root (PostgreSQL refuses root)."""

    def __init__(self) -> None:
        folder = postgres_bin()
        if folder is None or shutil.which("redis-server") is None:
            raise DevnetError("the chaos run needs PostgreSQL's initdb/postgres and redis-server installed")
        self.bin = folder
        self.root = Path(tempfile.mkdtemp(prefix="tribunal-chaos-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")

    def init(self) -> None:
        subprocess.run([*self.as_user, str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--no-sync"], check=True, capture_output=True)

    def command(self) -> list[str]:
        # fsync off: the faults kill processes, not the machine; the OS keeps what was written
        return [*self.as_user, str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-k", str(self.root), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def answers(self) -> bool:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             connect_timeout=2) as conn:
            return conn.execute("SELECT 1").fetchone() is not None

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def redis_command(port: int, folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    # the append-only file, written through on every command: a kill -9 loses nothing queued
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
            "--appendfsync", "always", "--dir", str(folder)]


def redis_answers(port: int) -> bool:
    import redis

    return bool(redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1).ping())


# -- the reorg -----------------------------------------------------------------------------------


def as_request(tx: Any) -> dict[str, Any]:
    """A mined transaction as the request anvil signs again alike (same fields: same hash)."""
    data = tx["input"]
    request: dict[str, Any] = {
        "from": tx["from"], "value": hex(tx["value"]), "gas": hex(tx["gas"]), "nonce": hex(tx["nonce"]),
        "chainId": hex(tx["chainId"]), "data": data.to_0x_hex() if hasattr(data, "to_0x_hex") else data,
    }
    if tx.get("to"):
        request["to"] = tx["to"]
    if int(tx.get("type", 0)) == 2:
        request["maxFeePerGas"] = hex(tx["maxFeePerGas"])
        request["maxPriorityFeePerGas"] = hex(tx["maxPriorityFeePerGas"])
        request["accessList"] = [dict(item) for item in tx.get("accessList", [])]
        request["type"] = "0x2"
    else:
        request["gasPrice"] = hex(tx["gasPrice"])
    return request


def reorg(w3: Any, depth: int) -> dict[str, int]:
    """Replace the last ``depth`` blocks by new ones with the same transactions and one more
    transfer; how many transactions were replayed and how many of them the new branch lacks."""
    head = w3.eth.block_number
    replayed: list[list[Any]] = []
    hashes = []
    for offset, number in enumerate(range(head - depth + 1, head + 1)):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            replayed.append([as_request(tx), offset])
            hashes.append(tx["hash"])
    marker = signer_from_private_key(ANVIL_KEYS[MARKER_FROM]).address
    nonce = w3.eth.get_transaction_count(marker)
    replayed.append([{"from": marker, "to": signer_from_private_key(ANVIL_KEYS[MARKER_TO]).address,
                      "value": hex(1), "gas": hex(21_000), "nonce": hex(nonce),
                      "maxFeePerGas": hex(100 * 10**9), "maxPriorityFeePerGas": hex(10**9)}, depth - 1])
    answer = w3.provider.make_request("anvil_reorg", [depth, replayed])
    if "error" in answer:
        raise DevnetError(f"anvil_reorg failed: {answer['error']}")
    missing = 0
    for tx_hash in hashes:
        try:
            w3.eth.get_transaction_receipt(tx_hash)
        except Exception:  # noqa: BLE001 - web3's not-found error
            missing += 1
    return {"depth": depth, "replayed": len(hashes), "missing": missing}


# -- the faults ----------------------------------------------------------------------------------


@dataclass
class ChaosConfig:
    tasks: int = 100
    faults: int = 50
    max_minutes: float = 15.0
    post_interval_s: float = 2.5
    challenge_window_s: int = 60
    """Longer than every verifier can be blind at once: a verifier restarting while the backend (the
    artifact store serving the specs) restarts takes ~20 s here, and faults come every few seconds.
    With the soak's 20 s, 3 of 7 cheats stood in a run (no verifier could fetch the spec in time)."""
    cheater_stake_eth: int = 4
    rpc_fault_rate: float = 0.01
    seed: int = 1
    state_dir: Path = DEFAULT_STATE_DIR


ROUND = (*AGENTS, API, EXECUTOR, REDIS, POSTGRES, "reorg", "reorg")
"""The scheduled faults come in rounds, each these kinds in a seeded random order (a kill of each
service, two reorgs): a short run meets every kind too."""
DISPUTE_PARTIES = (*VERIFIERS, "cheater", API)


@dataclass
class FaultLog:
    kinds: Counter[str] = field(default_factory=Counter)
    events: list[dict[str, Any]] = field(default_factory=list)
    reorgs: list[dict[str, int]] = field(default_factory=list)
    in_dispute: int = 0
    unexpected_exits: Counter[str] = field(default_factory=Counter)

    @property
    def injected(self) -> int:
        return sum(self.kinds.values())


class FaultScheduler:
    """Kills and restarts services, and reorgs the chain, at seeded random moments (called from the
    main loop: nothing else starts or stops a process meanwhile)."""

    def __init__(self, net: BenchNetwork, proxy: FaultyRpcProxy, config: ChaosConfig, began: float) -> None:
        self.net = net
        self.proxy = proxy
        self.config = config
        self.rng = random.Random(config.seed)
        self.log = FaultLog()
        self.began = began
        # spread over the posting, a few seconds apart at least: denser, the backend is down more
        # than up, the posting stalls and a dispute game drags on for minutes
        self.mean_gap_s = max(3.0, config.tasks * config.post_interval_s / max(1, config.faults))
        self.next_at = time.monotonic() + self.rng.uniform(0.5, 1.5) * self.mean_gap_s
        self.restarts: dict[str, float] = {}
        """service → when it is started again."""
        self.disputed: set[int] = set()
        self.round: list[str] = []

    def kill(self, name: str, why: str) -> None:
        process = self.net.services.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        # and the rest of its group (PostgreSQL's postmaster is runuser's child here): a postmaster
        # not yet reaped still holds its lock file, and a new one would refuse to start
        gone_by = time.monotonic() + 15
        while group_alive(process.pid) and time.monotonic() < gone_by:
            time.sleep(0.05)
        self.restarts[name] = time.monotonic() + self.rng.uniform(0.5, 4.0)
        self.log.kinds[why] += 1
        self.log.events.append({"at_s": round(time.monotonic() - self.began, 1), "fault": why})

    def tick(self, injecting: bool) -> None:
        now = time.monotonic()
        for name, at in list(self.restarts.items()):
            if now >= at:
                del self.restarts[name]
                self.net.respawn(name)
        for name, code in self.net.services.dead():
            if name not in self.restarts:
                self.log.unexpected_exits[name] += 1
                say(f"{name} exited by itself (code {code}); restarting it", self.began)
                self.restarts[name] = now + 1.0
                self.net.services.processes[name].wait()
        if not injecting:
            return
        for game in sorted(self.net.ledger.open_games() - self.disputed):
            self.disputed.add(game)
            up = [n for n in DISPUTE_PARTIES if n not in self.restarts]
            if up:
                name = self.rng.choice(up)
                self.kill(name, f"kill:{name}")
                self.log.in_dispute += 1
                say(f"kill -9 {name} while dispute game {game} is open", self.began)
        if now < self.next_at:
            return
        self.next_at = now + self.rng.uniform(0.5, 1.5) * self.mean_gap_s
        if not self.round:
            self.round = list(ROUND)
            self.rng.shuffle(self.round)
        # a service still down from a kill in dispute waits for a later turn
        kind = next((k for k in self.round if k not in self.restarts), self.round[0])
        self.round.remove(kind)
        if kind in self.restarts:
            return
        if kind == "reorg":
            assert self.net.submitter is not None
            with self.proxy.hold():
                done = reorg(self.net.submitter.client.w3, self.rng.randint(1, 3))
            self.log.reorgs.append(done)
            self.log.kinds["reorg"] += 1
            self.log.events.append({"at_s": round(now - self.began, 1), "fault": "reorg", **done})
            say(f"reorg: the last {done['depth']} blocks replaced ({done['replayed']} transactions "
                f"replayed, {done['missing']} missing)", self.began)
        else:
            self.kill(kind, f"kill:{kind}")

    def restart_all(self) -> None:
        for name in list(self.restarts):
            del self.restarts[name]
            self.net.respawn(name)


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    figures: dict[str, Any]
    task_ids: list[int]
    leftover_processes: list[int]


class ChaosRun:
    def __init__(self, config: ChaosConfig) -> None:
        self.config = config
        self.began = time.monotonic()
        self.deadline = self.began + config.max_minutes * 60
        self.pg = PostgresCluster()
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}"
        self.database_url = self.pg.url("tribunal_chaos")
        self.net = BenchNetwork(config.state_dir, config.tasks, config.challenge_window_s, backend_env={
            "DATABASE_URL": self.database_url, "TRIBUNAL_RATE_LIMIT_REDIS_URL": f"{self.redis_url}/1"})
        self.proxy: FaultyRpcProxy | None = None
        self.scheduler: FaultScheduler | None = None
        self.task_ids: list[int] = []
        self.loads: list[float] = []
        self.quiet = Services(config.state_dir)
        """No processes: waiting on the backend while a killed service is down is no error here."""

    def say(self, message: str) -> None:
        say(message, self.began)

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TimeoutError(f"--max-minutes {self.config.max_minutes:g} reached")

    def start(self) -> None:
        net, config = self.net, self.config
        self.pg.init()
        net.spawn(POSTGRES, self.pg.command(), {})
        net.spawn(REDIS, redis_command(self.redis_port, config.state_dir / "redis"), {})
        wait_until("PostgreSQL", self.pg.answers, net.services)
        wait_until("Redis", lambda: redis_answers(self.redis_port), net.services)
        self.pg.create_database("tribunal_chaos")
        net.start_anvil()
        self.proxy = FaultyRpcProxy(net.rpc_url, config.seed, config.rpc_fault_rate)
        self.proxy.start()
        net.agent_rpc_url = self.proxy.url
        net.deploy_and_start_backend()
        self.say(f"anvil {net.rpc_url} behind the proxy {self.proxy.url}, backend {net.api_url} on "
                 f"PostgreSQL :{self.pg.port}, Redis :{self.redis_port}; starting the verifiers and the "
                 "cheater")
        for name in VERIFIERS:
            net.spawn_verifier(name)
        net.spawn_worker("cheater", config.cheater_stake_eth, ["--cheat", "flip-bit"])
        net.wait_staked({**dict.fromkeys(VERIFIERS, VERIFIER_STAKE_ETH), "cheater": config.cheater_stake_eth})
        # the first task is the cheater's alone: every run has at least one cheat to catch
        self.task_ids.append(net.post(seed=1))
        wait_until(f"the cheater's claim of task {self.task_ids[0]}",
                   lambda: net.status(self.task_ids[0]) is not TaskStatus.OPEN, net.services, timeout_s=120)
        remote = {"TRIBUNAL_BROKER_VISIBILITY_TIMEOUT_S": "30"}
        net.spawn(EXECUTOR, [str(REPO_ROOT / ".venv" / "bin" / "worker"), "executor", "--broker",
                             f"{self.redis_url}/0", "--queue", QUEUE, "--device", "cpu", "--work-dir",
                             str(config.state_dir / EXECUTOR), "--name", f"{QUEUE}@{EXECUTOR}"], remote)
        for name in HONEST_WORKERS:
            extra = ["--broker", f"{self.redis_url}/0", "--queue", QUEUE] if name == "worker-3" else []
            net.spawn_worker(name, HONEST_STAKE_ETH, extra, remote)
        net.wait_staked(dict.fromkeys(HONEST_WORKERS, HONEST_STAKE_ETH))
        self.say(f"task {self.task_ids[0]} claimed by the cheater; the honest workers are staked")

    def post_next(self) -> None:
        """Post the next task; a failure (the backend or its database down) is retried next tick."""
        try:
            self.task_ids.append(self.net.post(seed=len(self.task_ids) + 1, watched=self.quiet))
        except Exception as exc:  # noqa: BLE001 - the backend may be down on purpose
            self.say(f"posting task {len(self.task_ids) + 1} failed ({type(exc).__name__}: {exc}); retrying")

    def run(self) -> None:
        config, net = self.config, self.net
        assert self.proxy is not None
        self.scheduler = scheduler = FaultScheduler(net, self.proxy, config, self.began)
        next_post = time.monotonic()
        last_report = 0.0
        calm = False
        while True:
            self.check_time()
            now = time.monotonic()
            if len(self.task_ids) < config.tasks and now >= next_post:
                self.post_next()
                next_post = max(next_post + config.post_interval_s, time.monotonic() - config.post_interval_s)
            net.poll_events()
            injecting = scheduler.log.injected < config.faults
            if not injecting and not calm and len(self.task_ids) == config.tasks:
                calm = True
                self.proxy.rate = 0.0
                scheduler.restart_all()
                self.say(f"{scheduler.log.injected} faults injected, {len(self.task_ids)} tasks posted: "
                         "the proxy is honest now; waiting for every task to end")
            scheduler.tick(injecting)
            if calm and net.ledger.settled(set(self.task_ids)):
                break
            if now - last_report >= 30:
                last_report = now
                self.loads.append(round(os.getloadavg()[0], 2))
                ledger = net.ledger
                self.say(f"{len(self.task_ids)} posted, {len(ledger.finalised)} finalised, "
                         f"{len(ledger.voided)} voided, games {len(ledger.games_closed)}/"
                         f"{len(ledger.games_opened)} closed; faults {scheduler.log.injected} + rpc "
                         f"{sum(self.proxy.faults.values())}; load {self.loads[-1]}")
            time.sleep(0.25)
        self.say("every task finalised and every game closed")

    def wait_indexed(self) -> int:
        """Stop the agents (nothing sends a transaction any more), then wait for the backend to
        index the head; the head."""
        self.net.stop([*AGENTS, EXECUTOR])
        assert self.net.submitter is not None
        head = int(self.net.submitter.client.w3.eth.block_number)

        def indexed() -> bool:
            indexer = http_json(f"{self.net.api_url}/healthz")["indexer"]
            return indexer["cursor_block"] is not None and indexer["cursor_block"] >= head

        wait_until(f"the backend to index block {head}", indexed, self.net.services, timeout_s=180)
        return head


def indexer_check(run: ChaosRun) -> dict[str, Any]:
    """The backend's database against a fresh index of the chain in a new database."""
    from backend.db.engine import make_engine, upgrade_database
    from backend.indexer.contracts import resolve_contracts
    from backend.indexer.indexer import Indexer, IndexerConfig
    from backend.indexer.rpc import RpcClient
    from backend.indexer.store import dump_chain_data
    from tribunal.chain.deployment import load_deployment

    deployment = load_deployment(run.net.deployment_path)
    live_engine = make_engine(run.database_url)
    try:
        live = dump_chain_data(live_engine)
        reorgs_seen = _reorgs_seen(live_engine)
    finally:
        live_engine.dispose()
    url = run.pg.create_database("tribunal_reindex")
    upgrade_database(url)
    engine = make_engine(url)
    try:
        indexer = Indexer(engine, RpcClient(run.net.rpc_url), deployment, resolve_contracts(deployment),
                          IndexerConfig())
        indexer.sync()
        fresh = dump_chain_data(engine)
    finally:
        engine.dispose()
    differing: dict[str, int] = {}
    for table in sorted(set(live) | set(fresh)):
        a, b = Counter(live.get(table, [])), Counter(fresh.get(table, []))
        diff = sum(((a - b) + (b - a)).values())
        if diff:
            differing[table] = diff
    return {"tables": len(fresh), "rows": sum(len(rows) for rows in fresh.values()),
            "mismatched_rows": sum(differing.values()), "mismatched_tables": differing,
            "reorgs_undone_by_backend": reorgs_seen}


def _reorgs_seen(engine: Any) -> int | None:
    from sqlalchemy import select

    from backend.db.models import IndexerState

    with engine.connect() as conn:
        value = conn.execute(select(IndexerState.reorgs)).scalar()
    return None if value is None else int(value)


def chain_ledger(run: ChaosRun) -> Ledger:
    """Every event from block 0, read again now (the run's own tally saw replaced blocks too)."""
    assert run.net.submitter is not None
    ledger = Ledger()
    follower = EventFollower(run.net.submitter.client.w3, BenchNetwork.contracts(run.net.submitter), cursor=0)
    for event in follower.poll():
        ledger.record(event)
    return ledger


def honest_roots(seeds: list[int]) -> dict[int, bytes]:
    """seed → h_S of an honest run of its spec, trained here."""
    from tribunal.training import train

    return {seed: train(tiny_mlp(seed)).state_commitments[-1] for seed in seeds}


def outcome_check(run: ChaosRun, ledger: Ledger) -> dict[str, Any]:
    assert run.net.submitter is not None
    market = run.net.submitter.market
    cheater = run.net.addresses["cheater"].lower()
    roots = honest_roots(list(range(1, len(run.task_ids) + 1)))
    lost, wrong = [], []
    for seed, task_id in enumerate(run.task_ids, start=1):
        task = market.task(task_id)
        if task.status is not TaskStatus.FINALIZED:
            lost.append(task_id)
        elif task.operator.lower() == cheater or task.final_state_root != roots[seed]:
            wrong.append(task_id)
    cheats = [t for t, op in ledger.submitted if op == cheater]
    voided = [t for t, op in ledger.voided if op == cheater]
    cheater_slashes = sum(1 for s in ledger.slashed if s["account"] == cheater)
    return {
        "tasks_finalised": len(run.task_ids) - len(lost),
        "lost_tasks": len(lost),
        "lost_task_ids": lost,
        "wrong_outcomes": len(wrong),
        "wrong_outcome_task_ids": wrong,
        "cheats_submitted": len(cheats),
        "cheats_voided": len(voided),
        "cheats_not_voided": len(Counter(cheats) - Counter(voided)),
        "cheats_slashed": cheater_slashes,
        "cheats_unslashed": max(0, len(voided) - cheater_slashes),
        "cheater_slashed_eth": sum(s["amount"] for s in ledger.slashed if s["account"] == cheater) / ETHER,
        "honest_slashed": sum(1 for s in ledger.slashed if s["account"] != cheater),
        "honest_voided": sum(1 for _, op in ledger.voided if op != cheater),
        "disputes": len(ledger.games_opened),
        "disputes_open_at_end": len(ledger.open_games()),
        "tasks_per_operator": {
            role: sum(1 for t in run.task_ids if ledger.finalised.get(t) == address.lower())
            for role, address in run.net.addresses.items() if role.startswith("worker")
        },
    }


def wei_check(run: ChaosRun) -> dict[str, Any]:
    """Every wei anvil minted, found again: balances + stakes + credits + burned + escrow + gas burned."""
    from tribunal.chain.deployment import load_deployment

    assert run.net.submitter is not None
    session = run.net.submitter
    w3: Any = session.client.w3
    deployment = load_deployment(run.net.deployment_path)
    head = int(w3.eth.block_number)
    dev = [signer_from_private_key(key).address for key in ANVIL_KEYS]
    contracts = {a for a in (deployment.stake_manager, deployment.task_market, deployment.dispute_game,
                             deployment.one_step_prover) if a}
    minted = sum(int(w3.eth.get_balance(a, block_identifier=0)) for a in dev)
    gas_burned = 0
    miners: set[str] = set()
    for number in range(1, head + 1):
        block = w3.eth.get_block(number)
        gas_burned += int(block.get("baseFeePerGas", 0)) * int(block["gasUsed"])
        miners.add(block["miner"])
    holders = set(dev) | miners
    balances = sum(int(w3.eth.get_balance(a)) for a in holders)
    manager = session.stake_manager
    stakes = credits = 0
    for account in holders | contracts:
        info = manager.info(account)
        stakes += info.bonded + info.unbonding
        credits += info.credit
    burned = int(manager._call("totalBurned"))
    flushed = int(manager._call("totalBurnFlushed"))
    live = (TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.SUBMITTED, TaskStatus.VOIDED)
    escrowed = 0
    for task_id in range(1, session.market.task_count() + 1):
        task = session.market.task(task_id)
        if task.status in live:
            escrowed += task.reward
    accounted = balances + stakes + credits + burned + escrowed + gas_burned
    held = {a: int(w3.eth.get_balance(a)) for a in contracts}
    # the contracts hold exactly what they book, and the burned ETH sent away sits at BURN_ADDRESS
    booking = (abs(held[deployment.stake_manager] - (stakes + credits + burned - flushed))
               + abs(held[deployment.task_market] - escrowed)
               + sum(v for a, v in held.items()
                     if a not in (deployment.stake_manager, deployment.task_market))
               + abs(int(w3.eth.get_balance(BURN_ADDRESS)) - flushed))
    return {
        "unaccounted_wei": abs(minted - accounted) + booking,
        "minted": str(minted), "balances": str(balances), "stakes": str(stakes), "credits": str(credits),
        "burned": str(burned), "escrowed": str(escrowed), "gas_burned": str(gas_burned),
        "contracts_booking_difference": str(booking), "blocks": head,
    }


def run_chaos(config: ChaosConfig) -> Outcome:
    """Bring the network up, run the tasks through the faults, check the chain, the wei and the
    indexer, stop everything; the figures."""
    env = environment()
    stop_leftovers(config.state_dir)
    shutil.rmtree(config.state_dir, ignore_errors=True)
    config.state_dir.mkdir(parents=True)
    run = ChaosRun(config)
    error: str | None = None
    checks: dict[str, Any] = {}
    leftovers: list[int] = []
    try:
        try:
            run.start()
            run.run()
            head = run.wait_indexed()
            run.say(f"the backend indexed the head (block {head}); re-indexing the chain into a new database")
            checks["indexer"] = indexer_check(run)
            run.net.stop([API])
            run.say("checking every task, slash and wei against the chain")
            checks["outcome"] = outcome_check(run, chain_ledger(run))
            checks["wei"] = wei_check(run)
        except (DevnetError, TimeoutError, KeyboardInterrupt, subprocess.CalledProcessError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            run.say(f"stopping early: {error}")
        finally:
            if run.proxy is not None:
                run.proxy.stop()
            leftovers = run.net.stop()
    finally:
        run.pg.remove()
    if error is None and leftovers:
        error = f"processes left running after stop: {leftovers}"
    figures = summarise(run, checks, env, time.monotonic() - run.began, error)
    (config.state_dir / "faults.json").write_text(json.dumps(
        run.scheduler.log.events if run.scheduler else [], indent=1) + "\n")
    return Outcome(figures, run.task_ids, leftovers)


def summarise(run: ChaosRun, checks: dict[str, Any], env: dict[str, Any], wall_s: float,
              error: str | None) -> dict[str, Any]:
    config = run.config
    log = run.scheduler.log if run.scheduler else FaultLog()
    rpc = dict(run.proxy.faults) if run.proxy else {}
    kinds = {**dict(sorted(log.kinds.items())), **{f"rpc:{k}": v for k, v in sorted(rpc.items())}}
    outcome, wei, indexer = checks.get("outcome", {}), checks.get("wei", {}), checks.get("indexer", {})
    return {
        "tasks": len(run.task_ids),
        **outcome,
        "lost_tasks": outcome.get("lost_tasks", len(run.task_ids)),
        "wrong_outcomes": outcome.get("wrong_outcomes"),
        "unaccounted_wei": wei.get("unaccounted_wei"),
        "faults": log.injected + sum(rpc.values()),
        "process_faults": log.injected,
        "rpc_faults": sum(rpc.values()),
        "faults_by_kind": kinds,
        "kills_in_dispute": log.in_dispute,
        "reorgs": log.reorgs,
        "unexpected_exits": dict(log.unexpected_exits),
        "rpc_requests": run.proxy.requests if run.proxy else 0,
        "wei": wei,
        "indexer": indexer,
        "indexer_mismatched_rows": indexer.get("mismatched_rows"),
        "completed": error is None,
        "error": error,
        "wall_s": round(wall_s, 1),
        "load_1m_during": {"mean": round(sum(run.loads) / len(run.loads), 2) if run.loads else None,
                           "max": max(run.loads) if run.loads else None},
        "env": env,
        "setup": {
            "processes": "anvil (automine) behind a fault-injecting JSON-RPC proxy; backend (`python -m "
                         "backend serve`) on a private PostgreSQL, rate limiter on a private Redis; "
                         "verifiers x2 (`verifier start --mode full`); worker x3 honest (worker-3 on a "
                         "remote `worker executor`, Celery on the Redis) and x1 `--cheat flip-bit`; all "
                         "agents poll every 1 s",
            "spec": "bench/e2e.py tiny_mlp: one seed per task, posted through POST /api/specs",
            "seed": config.seed,
            "rpc_fault_rate": config.rpc_fault_rate,
            "faults_asked": config.faults,
            "post_interval_s": config.post_interval_s,
            "challenge_window_s": config.challenge_window_s,
            "stakes_eth": {"honest_worker": HONEST_STAKE_ETH, "cheater": config.cheater_stake_eth,
                           "verifier": VERIFIER_STAKE_ETH},
            "restart_delay_s": "0.5-4",
        },
        "goals": GOALS,
    }


def passed(figures: dict[str, Any]) -> bool:
    f = figures
    return bool(f["completed"] and f["lost_tasks"] == 0 and f["wrong_outcomes"] == 0
                and f["unaccounted_wei"] == 0 and f.get("honest_slashed") == 0
                and f.get("cheats_not_voided") == 0 and f.get("cheats_unslashed") == 0
                and f.get("cheats_voided", 0) >= 1 and f["indexer_mismatched_rows"] == 0
                and f.get("disputes_open_at_end") == 0)


def print_summary(figures: dict[str, Any]) -> None:
    f = figures
    ended = "complete" if f["completed"] else f"INCOMPLETE: {f['error']}"
    print(f"\nchaos: {f['tasks']} tasks, {f['faults']} faults ({f['process_faults']} scheduled, "
          f"{f['rpc_faults']} RPC of {f['rpc_requests']} requests) in {f['wall_s']} s ({ended})")
    print(f"  faults by kind {f['faults_by_kind']}; {f['kills_in_dispute']} kills while a dispute was open")
    print(f"  lost tasks {f['lost_tasks']}, wrong outcomes {f['wrong_outcomes']}, unaccounted wei "
          f"{f['unaccounted_wei']}, indexer rows differing from a fresh re-index "
          f"{f['indexer_mismatched_rows']}")
    print(f"  cheats submitted {f.get('cheats_submitted')}, voided {f.get('cheats_voided')}, cheater slashed "
          f"{f.get('cheats_slashed')} times; honest parties slashed {f.get('honest_slashed')}; disputes "
          f"{f.get('disputes')}")
    print(f"  unexpected exits {f['unexpected_exits']}; reorgs {f['reorgs']}")
    print(f"  load (1 min) at start {f['env']['load_average_1m_at_start']}, during {f['load_1m_during']}")


def parse_args(argv: list[str] | None = None) -> tuple[ChaosConfig, bool]:
    """The run's configuration, and whether to merge its figures into bench/results.json."""
    d = ChaosConfig()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=d.tasks)
    parser.add_argument("--faults", type=int, default=d.faults,
                        help="scheduled faults (kills, restarts, reorgs) to inject at least")
    parser.add_argument("--max-minutes", type=float, default=d.max_minutes,
                        help="wall-clock bound for the whole run, start-up and checks included")
    parser.add_argument("--post-interval", type=float, default=d.post_interval_s,
                        help="seconds between posts")
    parser.add_argument("--challenge-window", type=int, default=d.challenge_window_s, help="seconds")
    parser.add_argument("--cheater-stake", type=int, default=d.cheater_stake_eth,
                        help="ETH: bounds how many results the cheater can get voided")
    parser.add_argument("--rpc-fault-rate", type=float, default=d.rpc_fault_rate,
                        help="share of JSON-RPC requests the proxy mishandles")
    parser.add_argument("--seed", type=int, default=d.seed, help="seeds the faults")
    parser.add_argument("--state-dir", type=Path, default=d.state_dir, help="logs and state (wiped at start)")
    parser.add_argument("--no-save", action="store_true", help="do not merge into bench/results.json")
    args = parser.parse_args(argv)
    if not DeployParams.min_challenge_window <= args.challenge_window <= DeployParams.max_challenge_window:
        parser.error(f"--challenge-window must be {DeployParams.min_challenge_window}.."
                     f"{DeployParams.max_challenge_window} seconds")
    config = ChaosConfig(tasks=args.tasks, faults=args.faults, max_minutes=args.max_minutes,
                         post_interval_s=args.post_interval, challenge_window_s=args.challenge_window,
                         cheater_stake_eth=args.cheater_stake, rpc_fault_rate=args.rpc_fault_rate,
                         seed=args.seed, state_dir=args.state_dir.resolve())
    return config, not args.no_save


def main(argv: list[str] | None = None) -> int:
    config, save = parse_args(argv)
    with sigterm_as_interrupt():
        outcome = run_chaos(config)
    print_summary(outcome.figures)
    if save:
        merge("chaos", outcome.figures)
        print("merged into bench/results.json under 'chaos'")
    return 0 if passed(outcome.figures) else 1


if __name__ == "__main__":
    sys.exit(main())
