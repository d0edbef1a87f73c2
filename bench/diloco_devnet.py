"""One DiLoCo job on a devnet of real processes (issue #16's devnet goal and test).

anvil, the contracts (`DilocoJobs` on the market), the backend (the artifact store), a verifier in
full mode and several worker processes: honest ones, one that cheats in the shard it claims
(`--cheat flip-bit`, stake for one claim), and optionally one that drops out: it claims a shard
and never trains it (its training queue has no executor), then is killed; another operator
evicts it after the market's claim timeout and trains the shard. The workers move the job along
themselves (`tribunal.diloco.advance`). At the end the chain's final global root is compared with
`run_sequential` of the same schedule on this machine: N operators and one process agree bit
for bit.

    python -m bench.diloco_devnet                # 4 operators x 3 rounds, the figures into bench/results.json
    python -m bench.diloco_devnet --rounds 2 --shards 3 --no-results
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._results import merge_into
from bench.network import ETHER, BenchNetwork, say, sigterm_as_interrupt, stop_leftovers
from deploy.devnet import DevnetError, wait_until
from deploy.diloco_cli import DilocoTerms, post_diloco_job
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.deploy import DeployParams
from tribunal.chain.events import EventFollower
from tribunal.diloco import DilocoSchedule, run_sequential
from tribunal.protocol_enums import JobStatus, TaskStatus
from tribunal.spec import Adam, MlpConfig, TaskSpec

STAKE_ONE_CLAIM_ETH = "1.5"
"""Stake for exactly one claim at a time (tasks lock 1 ETH): the cheater and the dropped operator."""
HONEST = ("worker-1", "worker-2", "worker-3")
DROPPED = "worker-3"


def schedule(rounds: int, shards: int, inner_steps: int) -> DilocoSchedule:
    """A small MLP on digits: a round trains in seconds on this machine."""
    task = TaskSpec(model=MlpConfig(hidden=(32,)), dataset="digits", loss="cross_entropy",
                    optimizer=Adam(lr=0.01), batch_size=32, seed=11, steps=inner_steps,
                    checkpoint_every=inner_steps // 2 or 1)
    return DilocoSchedule(task=task, rounds=rounds, shards=shards, inner_steps=inner_steps)


@dataclass
class Tally:
    """What the chain said, from the events (market, stakes, games, the job contract)."""

    claims: list[tuple[int, str]] = field(default_factory=list)
    finalised: dict[int, tuple[str, int]] = field(default_factory=dict)
    """task → (operator paid, reward)."""
    voided: list[tuple[int, str]] = field(default_factory=list)
    evicted: list[tuple[int, str, int]] = field(default_factory=list)
    slashed: dict[str, int] = field(default_factory=dict)
    rounds_closed: list[int] = field(default_factory=list)

    def record(self, name: str, a: Any) -> None:
        match name:
            case "TaskClaimed":
                self.claims.append((int(a["taskId"]), str(a["operator"]).lower()))
            case "TaskFinalized":
                self.finalised[int(a["taskId"])] = (str(a["operator"]).lower(), int(a["reward"]))
            case "TaskVoided":
                self.voided.append((int(a["taskId"]), str(a["operator"]).lower()))
            case "ClaimEvicted":
                self.evicted.append((int(a["taskId"]), str(a["operator"]).lower(), int(a["slashed"])))
            case "Slashed":
                who = str(a["account"]).lower()
                amount = int(a["fromLocked"] + a["fromFree"] + a["fromUnbonding"])
                self.slashed[who] = self.slashed.get(who, 0) + amount
            case "RoundClosed":
                self.rounds_closed.append(int(a["round"]))


def run(state_dir: Path, *, rounds: int, shards: int, inner_steps: int = 20, cheat: bool = True,
        drop: bool = True, challenge_window_s: int = 15, claim_timeout_s: int = 90,
        timeout_s: float = 1200, log: Callable[[str], None] | None = None,
        broker_url: str = "redis://127.0.0.1:6379/9") -> dict[str, Any]:
    """Run the job to its end; the figures and the chain's tally (raises DevnetError on a failure).
    ``broker_url``: the Redis whose queue the dropped operator sends its training to (and nobody
    reads)."""
    began = time.monotonic()
    say_ = log or (lambda m: say(m, began))
    params = DeployParams(claim_timeout=claim_timeout_s)
    net = BenchNetwork(state_dir, tasks=rounds * (shards + 1), challenge_window_s=challenge_window_s,
                       deploy_params=params)
    stop_leftovers(state_dir)
    try:
        net.start_chain_and_backend()
        assert net.submitter is not None
        session = net.submitter
        jobs = session.diloco_jobs
        if jobs is None:
            raise DevnetError("the deployment has no DilocoJobs contract")
        follower = EventFollower(session.client.w3, {
            "TaskMarket": session.market.contract, "StakeManager": session.stake_manager.contract,
            "DilocoJobs": jobs.contract,
        }, cursor=0)
        tally = Tally()

        def poll() -> None:
            for event in follower.poll():
                tally.record(event.name, event.args)
            for name, code in net.services.dead():
                raise DevnetError(f"{name} exited (code {code}); see {net.services.log_file(name)}")

        sched = schedule(rounds, shards, inner_steps)
        terms = DilocoTerms(shard_reward=ETHER // 10, outer_reward=ETHER // 20, min_stake=ETHER,
                            task_timeout_s=3600, challenge_window_s=challenge_window_s)
        job_id = post_diloco_job(session, ArtifactClient(net.api_url), sched, terms).job_id
        say_(f"DiLoCo job {job_id} posted: {rounds} rounds x {shards} shards of {inner_steps} inner steps")
        net.spawn_verifier("verifier-1")
        address = {name: net.addresses[name] for name in (*HONEST, "cheater")}
        if drop:
            # a broker queue no executor reads: it claims, then never trains
            net.spawn_worker(DROPPED, STAKE_ONE_CLAIM_ETH, ["--broker", broker_url, "--queue",
                                                            f"nobody-{os.getpid()}"])
            claimed = wait_until(f"{DROPPED} to claim a shard",
                                 lambda: _claim_of(tally, address[DROPPED], poll), net.services, 180)
            process = net.services.processes.pop(DROPPED)  # stopped on purpose: no longer watched
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            say_(f"{DROPPED} claimed task {claimed} and was killed (SIGKILL): it drops out")
        if cheat:
            net.spawn_worker("cheater", STAKE_ONE_CLAIM_ETH, ["--cheat", "flip-bit"])
            cheated = wait_until("the cheater to claim a shard",
                                 lambda: _claim_of(tally, address["cheater"], poll), net.services, 180)
            say_(f"the cheater claimed task {cheated}")
        for name in HONEST:
            if not (drop and name == DROPPED):
                net.spawn_worker(name, 10, [])

        def finished() -> bool:
            poll()
            return jobs.get_job(job_id).status in (JobStatus.COMPLETED, JobStatus.FAILED)

        seen = 0
        deadline = time.monotonic() + timeout_s
        while not finished():
            if time.monotonic() > deadline:
                raise DevnetError(f"DiLoCo job {job_id} did not finish in {timeout_s:.0f} s "
                                  f"(round {jobs.get_job(job_id).round}); logs in {state_dir}")
            if len(tally.rounds_closed) > seen:
                seen = len(tally.rounds_closed)
                say_(f"round {tally.rounds_closed[-1]} closed")
            time.sleep(0.5)
        wall_s = time.monotonic() - began
        view = jobs.get_job(job_id)
        if view.status != JobStatus.COMPLETED:
            raise DevnetError(f"DiLoCo job {job_id} failed; logs in {state_dir}")
        final_root = jobs.global_root(job_id, rounds)
        expected = run_sequential(sched).final_global_root
        say_(f"job completed in {wall_s:.0f} s; final global root 0x{final_root.hex()[:16]}… "
             f"{'==' if final_root == expected else '!='} the one-process run's")
        return _report(net, session, jobs, job_id, sched, tally, address, final_root, expected, wall_s,
                       cheat=cheat, drop=drop)
    finally:
        net.stop()


def _claim_of(tally: Tally, operator: str, poll: Callable[[], None]) -> int | None:
    poll()
    return next((task for task, who in tally.claims if who == operator.lower()), None)


def _report(net: BenchNetwork, session: Any, jobs: Any, job_id: int, sched: DilocoSchedule, tally: Tally,
            address: dict[str, str], final_root: bytes, expected: bytes, wall_s: float, *,
            cheat: bool, drop: bool) -> dict[str, Any]:
    rounds, shards = sched.rounds, sched.shards
    grid = []
    for r in range(rounds):
        row = []
        for i in range(shards):
            task = session.market.task(jobs.segment_task(job_id, r, i))
            row.append({"task": task.task_id, "status": TaskStatus(task.status).name.lower(),
                        "operator": _name(task.operator, address)})
        outer = session.market.task(jobs.outer_task(job_id, r))
        grid.append({"segments": row,
                     "outer": {"task": outer.task_id, "operator": _name(outer.operator, address)}})
    paid: dict[str, int] = {}
    for operator, reward in tally.finalised.values():
        paid[_name(operator, address)] = paid.get(_name(operator, address), 0) + reward
    cheater = address["cheater"].lower()
    dropped = address[DROPPED].lower()
    return {
        "rounds": rounds,
        "shards": shards,
        "operators": len([n for n in address if n != DROPPED or drop]),
        "inner_steps": sched.inner_steps,
        "wall_s": round(wall_s, 1),
        "grid": grid,
        "paid_wei": paid,
        "cheater_slashed_wei": tally.slashed.get(cheater, 0) if cheat else None,
        "cheater_results_voided": sum(1 for _, who in tally.voided if who == cheater),
        "cheater_paid_wei": paid.get("cheater", 0),
        "dropped_evicted": [t for t, who, _ in tally.evicted if who == dropped] if drop else None,
        "dropped_slashed_wei": tally.slashed.get(dropped, 0) if drop else None,
        "honest_slashed_wei": sum(v for k, v in tally.slashed.items()
                                  if k not in (cheater, dropped)),
        "final_global_root": "0x" + final_root.hex(),
        "final_root_equals_one_process_run": final_root == expected,
        "job_escrow_left_wei": jobs.get_job(job_id).escrow,
    }


def _name(operator: str, address: dict[str, str]) -> str:
    return next((n for n, a in address.items() if a.lower() == operator.lower()), operator)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--inner-steps", type=int, default=20)
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results.json")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    with sigterm_as_interrupt(), tempfile.TemporaryDirectory(prefix="tribunal-diloco-") as tmp:
        report = run(Path(tmp), rounds=args.rounds, shards=args.shards, inner_steps=args.inner_steps)
    load = os.getloadavg()[0]
    print({k: v for k, v in report.items() if k != "grid"})
    if not args.no_results:
        loads = {"load_average_1m_at_start": round(load_at_start, 2),
                 "load_average_1m_at_end": round(load, 2)}
        merge_into("decentralized", "devnet", {**report, **loads, "cpu_count": os.cpu_count()})


if __name__ == "__main__":
    main()
