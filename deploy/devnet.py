"""`make dev`: a whole Tribunal network on this machine, and a demo that shows it working.

Starts anvil, deploys the contracts, starts the backend (indexer + API + artifact store +
dashboard), posts two demo jobs, and starts two workers and a verifier:

- job A (40 steps) is claimed by a worker that cheats on purpose (``worker start --cheat
  flip-bit``: one bit of one weight flipped in the middle step); the verifier recomputes it,
  opens a dispute, the game descends to one float32 instruction, the chain executes it and
  slashes the cheater; job A reopens and the honest worker trains it again;
- job B (60 steps) is claimed by the honest worker and finalised after the challenge window.

Forced errors are on (every result; ``--forced-errors``): the verifier joins the Jackpot's bonded
verifier registry when it starts (anvil's test accounts hold the bond), before any worker starts,
so that each result's committee (two seats, drawn among the members registered when the result is
submitted: here the verifier alone) holds it. It draws each committee, seals the forced error of
the honest worker's result and is paid POT / 2 of its pot; the other half returns to the worker's
escrow. The devnet keeps the deployed default committee size on purpose: it shows the share a
catch pays and what a committee that is not full leaves to the operator.

The script narrates what happens on-chain until Ctrl-C, then stops everything. State and logs
go to ``.devnet/`` (``--state-dir``); a second run stops what a previous one left and starts
from a clean chain and database.

    python deploy/devnet.py                  # the demo, narrated; Ctrl-C stops it all
    python deploy/devnet.py --exit-when-done # headless: exit 0 once a job is finalised, the
                                             # cheater slashed and the verifier paid
    python deploy/devnet.py --detach         # leave it running in the background
    python deploy/devnet.py --stop           # stop a detached (or crashed) run
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tribunal.chain.anvil import ANVIL_CHAIN_ID, ANVIL_KEYS
from tribunal.chain.client import ChainClient, connect
from tribunal.chain.deploy import UNBONDING_MARGIN, DeployParams, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.chain.events import ChainEvent, EventFollower
from tribunal.chain.keys import signer_from_private_key
from tribunal.chain.session import ChainSession, format_eth, open_session
from tribunal.chain.task_market import TaskParams
from tribunal.paths import REPO_ROOT, node_bin
from tribunal.protocol_enums import CollateralKind, TaskStatus
from tribunal.spec import TaskSpec, canonical_json

ETHER = 10**18
VENV_BIN = REPO_ROOT / ".venv" / "bin"
SERVICES = ("verifier", "worker", "cheater", "api", "anvil")
"""Every process the devnet may start, in the order they are stopped."""
KEYS = {"deployer": 0, "submitter": 1, "worker": 2, "verifier": 3, "cheater": 5}
"""Which of anvil's public test keys plays which role."""
CHEATS = ("flip-bit", "none")
DEFAULT_STATE_DIR = REPO_ROOT / ".devnet"


@dataclass(frozen=True)
class DemoJob:
    label: str
    steps: int
    reward: int


JOB_A = DemoJob("A", steps=40, reward=ETHER // 2)
JOB_B = DemoJob("B", steps=60, reward=ETHER)
MIN_STAKE = 2 * ETHER


class DevnetError(RuntimeError):
    """The devnet could not start or the demo could not go on; the message says what to do."""


# -- processes -------------------------------------------------------------------------------


class Services:
    """The devnet's background processes: one session each, a pid file each under ``state_dir``."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def pid_file(self, name: str) -> Path:
        return self.state_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.state_dir / f"{name}.log"

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None,
              append: bool = False) -> subprocess.Popen[bytes]:
        """Start ``name`` in its own session, its output to its log (appended to on a restart)."""
        log = open(self.log_file(name), "ab" if append else "wb")  # noqa: SIM115 - handed to the child
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, **(env or {})}, cwd=REPO_ROOT)
        log.close()
        self.pid_file(name).write_text(str(process.pid))
        self.processes[name] = process
        return process

    def dead(self) -> list[tuple[str, int]]:
        """Services that exited on their own: (name, exit code)."""
        return [(n, p.returncode) for n, p in self.processes.items() if p.poll() is not None]

    def stop_all(self) -> None:
        """Stop every service this state dir knows of (this run's, or a previous run's)."""
        for name in SERVICES:
            path = self.pid_file(name)
            if not path.exists():
                continue
            text = path.read_text().strip()
            path.unlink()
            if text.isdigit():
                stop_group(int(text))
            process = self.processes.pop(name, None)
            if process is not None:
                process.poll()  # reap it


def stop_group(pid: int, grace_s: float = 10.0) -> None:
    """SIGTERM a process group (agents save their state on it), SIGKILL it after ``grace_s``."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        with contextlib.suppress(ChildProcessError):  # our own child: reap it, no zombie
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(what: str, check: Any, services: Services, timeout_s: float = 60) -> Any:
    """Poll ``check()`` until it returns something truthy; fail early if a service died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for name, code in services.dead():
            raise DevnetError(f"{name} exited (code {code}) while waiting for {what}; "
                              f"see {services.log_file(name)}")
        try:
            value = check()
            if value:
                return value
        except Exception:  # noqa: BLE001 - still starting; the deadline reports it
            pass
        time.sleep(0.2)
    raise DevnetError(f"{what} did not happen within {timeout_s:.0f} s; see {services.state_dir}/*.log")


def http_json(url: str, body: bytes | None = None) -> dict[str, Any]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def task_params(committed: dict[str, Any], *, min_stake: int, deadline: int,
                challenge_window: int) -> TaskParams:
    """The market's TaskParams for a spec the backend prepared (`prepare_spec`'s answer)."""
    return TaskParams(
        spec_hash=bytes.fromhex(committed["specHash"][2:]), spec_uri=committed["specURI"],
        dataset_root=bytes.fromhex(committed["datasetRoot"][2:]),
        init_state_root=bytes.fromhex(committed["initStateRoot"][2:]),
        graph_root=bytes.fromhex(committed["graphRoot"][2:]), steps=committed["steps"],
        checkpoint_every=committed["checkpointEvery"], min_stake=min_stake, deadline=deadline,
        challenge_window=challenge_window,
    )


def prepare_spec(api_url: str, spec: TaskSpec, services: Services,
                 timeout_s: float = 300.0) -> dict[str, Any]:
    """The spec's on-chain fields from the backend: POST /api/specs answers them at once for a spec
    prepared before (200), else a job (202) whose status resource is polled until it ends."""
    request = urllib.request.Request(f"{api_url}/api/specs", data=canonical_json(spec),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback only
        answer: dict[str, Any] = json.loads(response.read())
        if response.status == 200:
            return answer

    def ended() -> dict[str, Any] | None:
        job = http_json(api_url + answer["status_url"])
        return job if job["status"] in ("done", "failed") else None

    job = wait_until(f"the backend to prepare the demo spec (job {answer['job_id']})", ended, services,
                     timeout_s=timeout_s)
    if job["status"] != "done":
        raise DevnetError(f"the backend could not prepare the demo spec: {job['error']}")
    result: dict[str, Any] = job["result"]
    return result


# -- the network -----------------------------------------------------------------------------


@dataclass
class Devnet:
    args: argparse.Namespace
    services: Services
    rpc_url: str = ""
    api_url: str = ""
    deployment_path: Path | None = None
    submitter: ChainSession | None = None
    addresses: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)
    """Demo job label → task id."""
    started_at: float = field(default_factory=time.monotonic)

    @property
    def cheating(self) -> bool:
        return self.args.cheat != "none"

    def start(self) -> None:
        args, services = self.args, self.services
        for port, option in ((args.port, "--port"), (args.api_port, "--api-port")):
            if port_in_use(port):
                raise DevnetError(f"port {port} is already in use (another devnet or anvil?): stop it "
                                  f"(`python deploy/devnet.py --stop`) or pick another with {option}")
        self.rpc_url = f"http://127.0.0.1:{args.port}"
        self.api_url = f"http://127.0.0.1:{args.api_port}"
        self.addresses = {role: signer_from_private_key(ANVIL_KEYS[i]).address for role, i in KEYS.items()}

        say("starting anvil", self.rpc_url)
        services.spawn("anvil", [node_bin("anvil"), "--port", str(args.port), "--host", "127.0.0.1",
                                 "--chain-id", str(ANVIL_CHAIN_ID), "--network", args.network])
        wait_until("anvil", lambda: connect(self.rpc_url).eth.chain_id == ANVIL_CHAIN_ID, services)
        deployer = signer_from_private_key(ANVIL_KEYS[KEYS["deployer"]])
        deployment = deploy_contracts(ChainClient(connect(self.rpc_url), deployer), self.rpc_url,
                                      devnet_params(args))
        self.deployment_path = save_deployment(deployment, services.state_dir / "deployment.json")
        if services.state_dir == DEFAULT_STATE_DIR:  # where every CLI looks without --deployment
            save_deployment(deployment)
        say("contracts deployed", f"TaskMarket {deployment.task_market}, DisputeGame "
            f"{deployment.dispute_game}, DilocoJobs {deployment.diloco_jobs}")
        if args.forced_errors:
            params = devnet_params(args)
            say("forced errors on", f"{args.forced_errors / 10_000:g} % of results are wrong on purpose; "
                f"a committee of {params.committee_size} bonded verifiers is drawn per result, and each "
                f"member that catches it is paid {format_eth(params.pot_wei // params.committee_size)} "
                f"from the operator's escrow (Jackpot {deployment.jackpot}; docs/forced-errors.md)")

        say("starting the backend", f"{self.api_url} (indexer, API, artifact store, dashboard)")
        services.spawn("api", [str(VENV_BIN / "python"), "-m", "backend", "serve"], {
            **self.common_env(), "TRIBUNAL_PORT": str(args.api_port),
            "DATABASE_URL": f"sqlite:///{services.state_dir / 'tribunal.db'}",
            "TRIBUNAL_ARTIFACT_DIR": str(services.state_dir / "artifacts"),
        })
        wait_until("the API", lambda: http_json(f"{self.api_url}/healthz"), services, timeout_s=120)
        self.submitter = open_session(self.rpc_url, self.deployment_path,
                                      private_key=ANVIL_KEYS[KEYS["submitter"]])
        if args.no_agents:
            self.post(JOB_A)
            self.post(JOB_B)
            return
        # The cheater's policy takes at most JOB_A's steps, and the honest worker starts only once
        # job A is claimed: so the cheater gets job A and the honest worker job B, every run.
        self.post(JOB_A)
        second = "cheater" if self.cheating else "worker 2 (honest)"
        self.spawn_agent("verifier", ["start", "--stake", "5", "--mode", "full", "--poll-interval", "1",
                                      "--api-url", self.api_url])
        if args.forced_errors:
            # committees are drawn among the members registered when a result is submitted: the
            # verifier joins (at its start) before any worker can submit
            self.wait_registered("verifier")
        self.spawn_worker("cheater", ["--max-steps", str(JOB_A.steps)]
                          + (["--cheat", args.cheat] if self.cheating else []))
        say(f"job A waits for the {second}", "(it may take a few seconds to start)")
        wait_until("job A's claim", lambda: self.status("A") is TaskStatus.CLAIMED or
                   self.status("A") is TaskStatus.SUBMITTED, services, timeout_s=180)
        self.spawn_worker("worker", [])
        self.post(JOB_B)

    def wait_registered(self, name: str) -> None:
        """Wait until the agent ``name`` joined the Jackpot's verifier registry (it does at start)."""
        assert self.submitter is not None
        jackpot, address = self.submitter.jackpot, self.addresses[name]
        if jackpot is None:
            return
        wait_until(f"the {name} to join the verifier registry", lambda: jackpot.is_member(address),
                   self.services, timeout_s=180)

    def common_env(self) -> dict[str, str]:
        return {"TRIBUNAL_RPC_URL": self.rpc_url, "TRIBUNAL_DEPLOYMENT": str(self.deployment_path)}

    def spawn_worker(self, name: str, extra: list[str]) -> None:
        self.spawn_agent(name, ["start", "--stake", "10", "--api-url", self.api_url, "--no-live",
                                "--poll-interval", "1", *extra], command="worker")

    def spawn_agent(self, name: str, role_args: list[str], command: str | None = None) -> None:
        state = self.services.state_dir / name
        self.services.spawn(name, [
            str(VENV_BIN / (command or name)), *role_args, "--rpc-url", self.rpc_url,
            "--deployment", str(self.deployment_path), "--artifact-store", self.api_url,
            "--state-dir", str(state),
        ], {**self.common_env(), "TRIBUNAL_PRIVATE_KEY": ANVIL_KEYS[KEYS[name]]})

    def post(self, job: DemoJob) -> None:
        from tribunal.tasks import demo_spec

        assert self.submitter is not None
        spec: TaskSpec = demo_spec().model_copy(update={"steps": job.steps})
        committed = prepare_spec(self.api_url, spec, self.services)
        now = self.submitter.client.w3.eth.get_block("latest")["timestamp"]
        params = task_params(committed, min_stake=MIN_STAKE, deadline=now + 3600,
                             challenge_window=self.args.challenge_window)
        task_id, _ = self.submitter.market.post_task(params, reward=job.reward)
        self.jobs[job.label] = task_id
        say(f"job {job.label} posted", f"task #{task_id}: {spec.model.kind} on {spec.dataset}, "
            f"{job.steps} steps, reward {format_eth(job.reward)}, min stake {format_eth(MIN_STAKE)}")

    def status(self, label: str) -> TaskStatus:
        assert self.submitter is not None
        return self.submitter.market.task(self.jobs[label]).status

    def banner(self) -> str:
        services, api = self.services, self.api_url
        lines = [
            "",
            "Tribunal devnet is up.",
            f"  dashboard      {api}/   (API {api}/api, OpenAPI docs {api}/docs)",
            f"  RPC            {self.rpc_url} (chain {ANVIL_CHAIN_ID})",
            f"  deployment     {self.deployment_path}",
            "  jobs           " + ", ".join(f"{k} = task #{v}" for k, v in self.jobs.items()),
        ]
        for name in ("worker", "cheater", "verifier"):
            if name in services.processes:
                role = {"worker": "worker (honest)", "verifier": "verifier (full)",
                        "cheater": "worker (CHEATS)" if self.cheating else "worker 2 (honest)"}[name]
                lines.append(f"  {role:18} {self.addresses[name]}  log {services.log_file(name)}")
        lines += [
            f"  logs               {services.state_dir}/*.log",
            f"  CLI                .venv/bin/tribunal task list --rpc-url {self.rpc_url} "
            f"--deployment {self.deployment_path}",
            "",
        ]
        return "\n".join(lines)


# -- the narration ---------------------------------------------------------------------------


def say(what: str, detail: str = "") -> None:
    print(f"  {what:28} {detail}".rstrip(), flush=True)


@dataclass
class Outcome:
    """What the demo must show: a job finalised, a cheater slashed, the verifier paid."""

    finalized: dict[int, str] = field(default_factory=dict)
    """task id → operator paid."""
    slashed: list[dict[str, Any]] = field(default_factory=list)
    verifier_credited: int = 0
    verifier_withdrawn: int = 0
    jackpot_won: int = 0
    """Wei of forced-error pots the verifier was paid."""
    jackpot_tasks: list[int] = field(default_factory=list)
    """Tasks whose forced-error pot paid the verifier."""
    games: dict[int, dict[str, Any]] = field(default_factory=dict)

    def done(self, net: Devnet) -> bool:
        if net.args.no_agents:
            return False
        if not net.cheating:
            return set(net.jobs.values()) <= set(self.finalized)
        cheater, verifier = net.addresses["cheater"], net.addresses["verifier"]
        return (any(op == net.addresses["worker"] for op in self.finalized.values())
                and any(s["account"] == cheater and s["winner"] == verifier for s in self.slashed)
                and self.verifier_credited > 0
                # every result is forced: the honest worker's forced error caught and paid (the
                # cheater's pot may pay first, its result voided: a voided result pays every seal)
                and (net.args.forced_errors < 1_000_000
                     or any(self.finalized.get(t) == net.addresses["worker"] for t in self.jackpot_tasks)))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Narrator:
    """Prints the network's events as they happen, in words; records the demo's `Outcome`."""

    def __init__(self, net: Devnet) -> None:
        assert net.submitter is not None
        session = net.submitter
        contracts = {"TaskMarket": session.market.contract, "StakeManager": session.stake_manager.contract}
        if session.game is not None:
            contracts["DisputeGame"] = session.game.contract
        if session.jackpot is not None:
            contracts["Jackpot"] = session.jackpot.contract
        self.net = net
        self.follower = EventFollower(session.client.w3, contracts, cursor=0)
        self.names = {address.lower(): role for role, address in net.addresses.items()}
        for name, address in (("TaskMarket", session.deployment.task_market),
                              ("DisputeGame", session.deployment.dispute_game),
                              ("Jackpot", session.deployment.jackpot),
                              ("DilocoJobs", session.deployment.diloco_jobs)):
            if address:
                self.names[address.lower()] = name
        self.outcome = Outcome()
        self.reported_done = False

    def who(self, address: str) -> str:
        return self.names.get(str(address).lower(), str(address)[:10] + "…")

    def poll(self) -> None:
        for event in self.follower.poll():
            line = self.describe(event)
            if line:
                elapsed = time.monotonic() - self.net.started_at
                print(f"[{elapsed:6.1f}s] {line}", flush=True)

    def describe(self, e: ChainEvent) -> str | None:  # noqa: PLR0911 - one case per event
        a, out = e.args, self.outcome
        task = f"task #{a['taskId']}" if "taskId" in a else ""
        match e.name:
            case "TaskPosted":
                return f"{task} posted by {self.who(a['submitter'])}: {a['steps']} steps, reward " \
                       f"{format_eth(a['reward'])}, challenge window {a['challengeWindow']} s"
            case "TaskClaimed":
                return f"{task} claimed by {self.who(a['operator'])} ({format_eth(a['stakeLocked'])} locked)"
            case "ResultSubmitted":
                return f"{task} result submitted by {self.who(a['operator'])}: trace root " \
                       f"0x{a['traceRoot'].hex()[:12]}…, model h_S 0x{a['finalStateRoot'].hex()[:12]}… " \
                       f"(checkpoint 0x{a['modelHash'].hex()[:12]}…)"
            case "CheckpointsPublished":
                return f"{task} checkpoint manifest published by {self.who(a['operator'])}"
            case "GameOpened":
                out.games[a["gameId"]] = {"task": a["taskId"], "challenger": a["challenger"],
                                          "operator": a["operator"]}
                return f"{task} CHALLENGED by {self.who(a['challenger'])}: dispute #{a['gameId']} opened " \
                       f"against {self.who(a['operator'])} (bond {format_eth(a['bond'])})"
            case "GameFunded":
                backing = "the task stake" if a["kind"] == CollateralKind.TASK_STAKE else \
                    f"{format_eth(a['amount'])} more of the operator's stake"
                return f"  dispute #{a['gameId']} runs, backed by {backing}"
            case "GameQueued":
                return f"  dispute #{a['gameId']} waits in {task}'s queue (place {a['position']}): the " \
                       "operator's stake backs another game"
            case "GameWithdrawn":
                why = "moot: the result was already voided" if a["moot"] else "withdrawn"
                return f"  dispute #{a['gameId']} closed without running ({why}); " \
                       f"{self.who(a['challenger'])}'s bond returned"
            case "TaskStakeReleased":
                return f"{task}: the market unlocked {self.who(a['operator'])}'s {format_eth(a['amount'])} " \
                       "task stake (a game that held it and was lost slashes it next)"
            case "StepFound":
                return f"  dispute #{a['gameId']}: the parties first disagree at training step {a['step']}"
            case "NodeFound":
                return f"  dispute #{a['gameId']}: … at node {a['node']} of that step's graph"
            case "ElementFound":
                return f"  dispute #{a['gameId']}: … at output element {a['element']} " \
                       f"(operator 0x{a['valueOperator']:08x} vs challenger 0x{a['valueChallenger']:08x})"
            case "InstructionFound":
                return f"  dispute #{a['gameId']}: … at instruction {a['instruction']} of that " \
                       "element's program"
            case "OneStepExecuted":
                return f"  dispute #{a['gameId']}: the EVM executed it (opcode {a['opcode']}) → " \
                       f"0x{a['result']:08x}; operator claimed 0x{a['claimOperator']:08x}, " \
                       f"challenger 0x{a['claimChallenger']:08x}"
            case "GameResolved":
                out.games.setdefault(a["gameId"], {})["winner"] = a["winner"]
                return f"  dispute #{a['gameId']} resolved: {self.who(a['winner'])} wins, " \
                       f"{self.who(a['loser'])} loses"
            case "Slashed":
                out.slashed.append({"account": a["account"], "winner": a["winner"],
                                    "amount": a["fromLocked"] + a["fromFree"] + a["fromUnbonding"],
                                    "to_winner": a["toWinner"], "burned": a["burned"]})
                total = a["fromLocked"] + a["fromFree"] + a["fromUnbonding"]
                return f"SLASHED {self.who(a['account'])}: {format_eth(total)} " \
                       f"({format_eth(a['toWinner'])} to {self.who(a['winner'])}, " \
                       f"{format_eth(a['burned'])} burned)"
            case "TaskVoided":
                return f"{task} result voided ({self.who(a['operator'])}'s result was wrong)"
            case "TaskReopened":
                return f"{task} reopened for another operator"
            case "TaskFinalized":
                out.finalized[a["taskId"]] = a["operator"]
                return f"{task} FINALISED: {self.who(a['operator'])} paid {format_eth(a['reward'])}"
            case "Credited":
                if str(a["account"]).lower() == self.net.addresses["verifier"].lower():
                    out.verifier_credited += a["amount"]
                return f"{self.who(a['account'])} credited {format_eth(a['amount'])} by {self.who(a['from'])}"
            case "CreditWithdrawn":
                if str(a["account"]).lower() == self.net.addresses["verifier"].lower():
                    out.verifier_withdrawn += a["amount"]
                return f"{self.who(a['account'])} withdrew {format_eth(a['amount'])}"
            case "Staked":
                return f"{self.who(a['account'])} staked {format_eth(a['amount'])} " \
                       f"(bonded {format_eth(a['bonded'])})"
            case "TaskDisputed":
                return f"{task} disputed: its payment waits for the game"
            case "DrawCommitted":
                return f"{task}: {self.who(a['operator'])} commits its forced-error draw " \
                       f"(block {a['blockNumber']})"
            case "DrawRevealed":
                return f"{task}: draw revealed, not a forced error; disputes may open now"
            case "ForcedErrorRevealed":
                return f"{task}: FORCED ERROR revealed by {self.who(a['operator'])}: h_{a['leaf']} was " \
                       f"wrong on purpose; the honest trace root 0x{a['traceRoot'].hex()[:12]}… " \
                       "replaces it (not slashed)"
            case "Sealed":
                return f"{self.who(a['catcher'])} sealed a catch " \
                       f"(0x{a['sealHash'].hex()[:12]}…, no task named)"
            case "PotOpened":
                return f"{task}: a pot of {format_eth(a['amount'])} from " \
                       f"{self.who(a['operator'])}'s escrow awaits the committee members that caught it"
            case "CatchRevealed":
                if a["named"]:
                    return f"{task}: {self.who(a['catcher'])} revealed a catch naming the honest state " \
                           f"({a['catches']} so far)"
                return f"{task}: {self.who(a['catcher'])} revealed a seal naming another state (paid only " \
                       "if the result is voided)"
            case "JackpotClaimed":
                if str(a["catcher"]).lower() == self.net.addresses["verifier"].lower():
                    out.jackpot_won += a["share"]
                    out.jackpot_tasks.append(int(a["taskId"]))
                return f"{task}: JACKPOT {self.who(a['catcher'])} is paid {format_eth(a['share'])} " \
                       "for the catch"
            case "MemberJoined":
                return f"{self.who(a['account'])} joined the verifier registry (bond " \
                       f"{format_eth(a['bond'])}): committees of results submitted from now on may draw it"
            case "MemberExited":
                return f"{self.who(a['account'])} left the verifier registry ({format_eth(a['bond'])} bond " \
                       "credited back)"
            case "CommitteeDrawn":
                members = ", ".join(self.who(m) for m in a["committee"]) or "nobody (no member yet)"
                return f"{task}: committee drawn from its submission block's hash: {members} " \
                       "may catch a forced error in it"
            case "PotClosed":
                return f"{task}: pot closed, {format_eth(a['returned'])} back to " \
                       f"{self.who(a['operator'])}'s escrow (now {format_eth(a['escrow'])}): the shares no " \
                       "committee member caught"
            case "EscrowFunded":
                return f"{self.who(a['operator'])}'s jackpot escrow +{format_eth(a['amount'])} " \
                       f"(now {format_eth(a['escrow'])})"
            case "TaskRefunded" | "TaskExpired" | "TaskCancelled":
                return f"{task} {e.name.removeprefix('Task').lower()}"
            case _:
                return None  # the game's inner moves, lock bookkeeping: in the dashboard's dispute page

    def summary(self) -> str:
        out, net = self.outcome, self.net
        lines = [f"Demo complete after {time.monotonic() - net.started_at:.0f} s:"]
        for task_id, operator in sorted(out.finalized.items()):
            lines.append(f"  task #{task_id} finalised, {self.who(operator)} paid")
        for s in out.slashed:
            lines.append(f"  {self.who(s['account'])} slashed {format_eth(s['amount'])}, "
                         f"{format_eth(s['to_winner'])} to {self.who(s['winner'])}")
        if out.verifier_credited:
            withdrew = f", withdrew {format_eth(out.verifier_withdrawn)}" if out.verifier_withdrawn else ""
            lines.append(f"  verifier credited {format_eth(out.verifier_credited)}{withdrew}")
        if out.jackpot_won:
            lines.append(f"  verifier paid {format_eth(out.jackpot_won)} of forced-error pots")
        return "\n".join(lines)


# -- main ------------------------------------------------------------------------------------


def devnet_params(args: argparse.Namespace) -> DeployParams:
    """The devnet's deploy-time parameters: 10-minute clocks, and forced errors as asked, with the
    unbonding delay the longer timeline needs and a demo's pot, bond and committee."""
    if not args.forced_errors:
        return DeployParams(max_clock=600)
    base = DeployParams()
    delay = (2 * base.max_challenge_window + 2 * args.audit_window + base.max_dispute_duration
             + UNBONDING_MARGIN)
    # the demo's small amounts (one verifier, 1-ETH tasks), not the recommended deployment's
    # (DeployParams' defaults: a 20-ETH pot, a 75-ETH bond, one seat; docs/economics.md)
    return DeployParams(max_clock=600, forced_error_ppm=args.forced_errors, audit_window=args.audit_window,
                        unbonding_delay=max(delay, base.unbonding_delay), pot_wei=10**18,
                        verifier_bond_wei=10**18, committee_size=2)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    env = os.environ.get
    parser.add_argument("--port", type=int, default=int(env("TRIBUNAL_DEVNET_PORT", "8545")),
                        help="anvil's port")
    parser.add_argument("--api-port", type=int, default=int(env("TRIBUNAL_API_PORT", "8000")),
                        help="the backend's port (API + dashboard)")
    parser.add_argument("--state-dir", type=Path, default=Path(env("TRIBUNAL_DEVNET_DIR", DEFAULT_STATE_DIR)),
                        help="state and logs (wiped at start)")
    parser.add_argument("--network", choices=("ethereum", "optimism"),
                        default=env("TRIBUNAL_DEVNET_NETWORK", "ethereum"),
                        help="anvil's network family: optimism runs the devnet as an OP-stack chain "
                             "(`python -m bench.dispute --network optimism` reports what moves cost there)")
    parser.add_argument("--cheat", choices=CHEATS, default="flip-bit",
                        help="what the second worker does: cheat (default) or 'none' (honest)")
    parser.add_argument("--challenge-window", type=int, default=60, help="seconds, per demo job")
    parser.add_argument("--forced-errors", type=int, default=1_000_000, metavar="PPM",
                        help="parts per million of results that are forced errors (docs/forced-errors.md); "
                             "the devnet forces every result so that the demo shows a catch paid; 0: off")
    parser.add_argument("--audit-window", type=int, default=15,
                        help="seconds of the reveal phase and of the game phase, with forced errors")
    parser.add_argument("--no-agents", action="store_true", help="no workers and no verifier")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--detach", action="store_true", help="start, print where to look, leave it running")
    mode.add_argument("--exit-when-done", action="store_true",
                      help="stop everything and exit 0 once the demo has shown its outcome (1 on timeout)")
    mode.add_argument("--stop", action="store_true", help="stop a running devnet and exit")
    parser.add_argument("--timeout", type=float, default=600, help="--exit-when-done: seconds to wait")
    args = parser.parse_args(argv)
    if not 0 <= args.forced_errors <= 1_000_000:
        parser.error("--forced-errors must be 0..1,000,000 parts per million")
    if args.forced_errors and args.audit_window <= 0:
        parser.error("--audit-window must be positive with forced errors")
    if not DeployParams.min_challenge_window <= args.challenge_window <= DeployParams.max_challenge_window:
        parser.error(f"--challenge-window must be {DeployParams.min_challenge_window}.."
                     f"{DeployParams.max_challenge_window} seconds (the market's min and max)")
    args.state_dir = args.state_dir.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    services = Services(args.state_dir)
    if args.state_dir.exists():
        services.stop_all()
    if args.stop:
        print("devnet stopped")
        return 0
    shutil.rmtree(args.state_dir, ignore_errors=True)
    args.state_dir.mkdir(parents=True)

    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, request_stop)
    net = Devnet(args, services)
    try:
        net.start()
        print(net.banner(), flush=True)
        if args.detach:
            print(f"Running in the background. Stop it with: python deploy/devnet.py --stop"
                  f"{'' if args.state_dir == DEFAULT_STATE_DIR else f' --state-dir {args.state_dir}'}")
            return 0
        return follow(net)
    except DevnetError as exc:
        print(f"devnet: {exc}", file=sys.stderr)
        services.stop_all()
        return 1
    except KeyboardInterrupt:
        print("\nstopping the devnet …", flush=True)
        services.stop_all()
        print("stopped; state and logs kept in", args.state_dir)
        return 1 if args.exit_when_done else 0  # Ctrl-C is how a developer ends the demo
    except BaseException:
        services.stop_all()
        raise


def follow(net: Devnet) -> int:
    """Narrate until Ctrl-C (or, with --exit-when-done, until the demo's outcome or the timeout)."""
    args, services = net.args, net.services
    narrator = Narrator(net)
    print("What happens on-chain (Ctrl-C stops everything):" if not args.exit_when_done
          else f"What happens on-chain (waiting up to {args.timeout:.0f} s for the outcome):", flush=True)
    deadline = time.monotonic() + args.timeout
    while True:
        narrator.poll()
        for name, code in services.dead():
            raise DevnetError(f"{name} exited (code {code}); see {services.log_file(name)}")
        if not narrator.reported_done and narrator.outcome.done(net):
            narrator.reported_done = True
            print("\n" + narrator.summary() + "\n", flush=True)
            (services.state_dir / "demo.json").write_text(json.dumps(
                {"jobs": net.jobs, "addresses": net.addresses, **narrator.outcome.to_json()}, indent=2))
            if args.exit_when_done:
                services.stop_all()
                print("stopped", flush=True)
                return 0
            print(f"The network keeps running: open {net.api_url}/ and post a job. Ctrl-C stops it.",
                  flush=True)
        if args.exit_when_done and time.monotonic() > deadline:
            raise DevnetError(f"the demo did not complete within {args.timeout:.0f} s "
                              f"(seen so far: {narrator.outcome.to_json()}); see {services.state_dir}/*.log")
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
