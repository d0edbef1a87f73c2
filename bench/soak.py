"""Soak benchmark: a whole network of real processes runs hundreds of tiny tasks while the RSS of
every process is sampled.

    python -m bench.soak                      # 200 tasks, stops by itself within 15 minutes
    python -m bench.soak --tasks 6 --max-minutes 3 --no-save

Starts on loopback, each as its own process group the way `deploy/devnet.py` does (its `Services`):
anvil (automine), the contracts, the backend (`python -m backend serve`: API, indexer and artifact
store in one process, on SQLite), two verifiers (`verifier start --mode full`), one cheating worker
(`worker start --cheat flip-bit`) and three honest workers. The cheater starts first and the
first task is posted for it alone, so at least one cheat is caught in every run; then the honest
workers start and the rest of the tasks are posted at a steady rate, each through the backend's
`POST /api/specs` as a submitter would (the backend's per-client spec rate limit is raised for
this one client). Each task is bench/e2e.py's tiny MLP with its own seed: 6 steps, a checkpoint
every 3, disputable step by step.

The cheater's stake bounds how often it cheats: a caught cheat slashes the task's stake, and once
its free stake is below the task's minimum it claims nothing more (it tops up only at start).
Every voided task reopens and an honest worker trains it again. The run ends once every task is
finalised and every dispute game is settled or withdrawn, or at ``--max-minutes``.

Every ``--sample-every`` seconds the RSS (``VmRSS`` from /proc) of each service's process tree
(the process and any children it starts) is read. Per service: the RSS after warm-up (the first
sample once 10 % of the tasks are finalised), at the end, the peak, and the growth end / warm-up.
`soak.rss_growth_ratio` is the largest growth over the Python services; anvil is reported apart
(it keeps the whole chain in memory by design, so it grows with the number of blocks).

Every process started is stopped at the end, on failure and on Ctrl-C (SIGTERM to its group, then
SIGKILL); pid files in the state dir let the next run stop what a killed harness left.
Merges `soak` into bench/results.json; the RSS series is written to ``<state dir>/rss.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench._results import environment, merge
from bench.network import (
    ANVIL,
    API,
    ETHER,
    HONEST_STAKE_ETH,
    HONEST_WORKERS,
    MIN_STAKE,
    VERIFIER_STAKE_ETH,
    VERIFIERS,
    BenchNetwork,
    Ledger,
    say,
    sigterm_as_interrupt,
    stop_leftovers,
)
from deploy.devnet import DevnetError, wait_until
from tribunal.chain.deploy import DeployParams
from tribunal.paths import REPO_ROOT
from tribunal.protocol_enums import TaskStatus

GOALS = {"tasks": ">= 200", "rss_growth_ratio": "< 1.2", "honest_slashed": "<= 0", "wrong_outcomes": "<= 0"}
DEFAULT_STATE_DIR = REPO_ROOT / "bench" / "out" / "soak"
WARM_UP_SHARE = 0.10
"""The RSS after warm-up is the first sample once this share of the tasks is finalised."""
PYTHON_SERVICES = (API, *VERIFIERS, "cheater", *HONEST_WORKERS)
ANVIL_NOTE = ("anvil keeps every block, receipt and state in memory by design: its RSS grows with "
              "the chain and is not counted in rss_growth_ratio")


# -- RSS of process trees ----------------------------------------------------------------------


def vm_rss_kib(pid: int, proc: Path = Path("/proc")) -> int | None:
    """The resident set of ``pid`` in KiB (``VmRSS``); None once it is gone (a zombie has none)."""
    try:
        text = (proc / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def children_by_parent(proc: Path = Path("/proc")) -> dict[int, list[int]]:
    """Every live process's children, from the ppid field of /proc/<pid>/stat."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: the fields after it are fixed
        fields = stat[stat.rindex(")") + 2 :].split()
        children[int(fields[1])].append(int(entry.name))
    return children


def process_tree(root: int, children: dict[int, list[int]]) -> list[int]:
    """``root`` and all its descendants."""
    tree, stack = [root], [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            tree.append(child)
            stack.append(child)
    return tree


@dataclass
class Sample:
    at_s: float
    finalised: int
    load_1m: float
    rss_kib: dict[str, int]
    """service → summed VmRSS of its process tree."""
    processes: dict[str, int]
    """service → processes in its tree."""


def take_sample(roots: dict[str, int], at_s: float, finalised: int, proc: Path = Path("/proc")) -> Sample:
    children = children_by_parent(proc)
    rss: dict[str, int] = {}
    counts: dict[str, int] = {}
    for name, root in roots.items():
        sizes = [vm_rss_kib(pid, proc) for pid in process_tree(root, children)]
        alive = [size for size in sizes if size is not None]
        if alive:
            rss[name], counts[name] = sum(alive), len(alive)
    return Sample(round(at_s, 1), finalised, round(os.getloadavg()[0], 2), rss, counts)


def warm_sample(samples: list[Sample], warm_finalised: int) -> Sample:
    """The first sample once ``warm_finalised`` tasks are finalised (the first sample if never)."""
    return next((s for s in samples if s.finalised >= warm_finalised), samples[0])


def rss_figures(samples: list[Sample], warm_finalised: int) -> dict[str, dict[str, Any]]:
    """Per service: RSS after warm-up, at the end and at its peak (MiB), and end / warm-up."""
    if not samples:
        return {}
    warm = warm_sample(samples, warm_finalised)
    after = samples[samples.index(warm) :]
    figures: dict[str, dict[str, Any]] = {}
    for name in sorted({n for s in samples for n in s.rss_kib}):
        seen = [s for s in after if name in s.rss_kib]
        if not seen:
            continue
        start, end = seen[0].rss_kib[name], seen[-1].rss_kib[name]
        figures[name] = {
            "warm_mib": round(start / 1024, 1),
            "end_mib": round(end / 1024, 1),
            "peak_mib": round(max(s.rss_kib[name] for s in samples if name in s.rss_kib) / 1024, 1),
            "growth_ratio": round(end / start, 3),
            "warm_at_s": seen[0].at_s,
            "end_at_s": seen[-1].at_s,
            "processes": max(s.processes.get(name, 0) for s in samples),
        }
    return figures


def largest_growth(
    figures: dict[str, dict[str, Any]], names: Iterable[str]
) -> tuple[str | None, float | None]:
    """The service with the largest growth among ``names``, and that growth."""
    ratios = [(figures[n]["growth_ratio"], n) for n in names if n in figures]
    if not ratios:
        return None, None
    ratio, name = max(ratios)
    return name, ratio


class RssSampler:
    """Samples the services' process trees on a thread every ``every_s`` seconds."""

    def __init__(
        self, roots: Callable[[], dict[str, int]], progress: Callable[[], int], every_s: float
    ) -> None:
        self.roots = roots
        self.progress = progress
        self.every_s = every_s
        self.samples: list[Sample] = []
        self._began = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def sample(self) -> None:
        self.samples.append(take_sample(self.roots(), time.monotonic() - self._began, self.progress()))

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


# -- the run ----------------------------------------------------------------------------------


@dataclass
class SoakConfig:
    tasks: int = 200
    max_minutes: float = 15.0
    post_interval_s: float = 2.5
    challenge_window_s: int = 20
    sample_every_s: float = 3.0
    cheater_stake_eth: int = 3
    state_dir: Path = DEFAULT_STATE_DIR


@dataclass
class Outcome:
    figures: dict[str, Any]
    ledger: Ledger
    task_ids: list[int]
    addresses: dict[str, str]
    leftover_processes: list[int]


def run_soak(config: SoakConfig) -> Outcome:
    """Bring the network up, run the tasks, stop everything; the figures and what the chain says."""
    env = environment()
    began = time.monotonic()
    deadline = began + config.max_minutes * 60
    stop_leftovers(config.state_dir)
    shutil.rmtree(config.state_dir, ignore_errors=True)
    config.state_dir.mkdir(parents=True)
    net = BenchNetwork(config.state_dir, config.tasks, config.challenge_window_s)
    sampler = RssSampler(net.roots, lambda: len(net.ledger.finalised), config.sample_every_s)
    task_ids: list[int] = []
    error: str | None = None
    posting_began = posting_ended = time.monotonic()
    try:
        net.start_chain_and_backend()
        sampler.start()
        say(f"anvil {net.rpc_url}, backend {net.api_url}; starting the verifiers and the cheater", began)
        for name in VERIFIERS:
            net.spawn_verifier(name)
        net.spawn_worker("cheater", config.cheater_stake_eth, ["--cheat", "flip-bit"])
        net.wait_staked({**dict.fromkeys(VERIFIERS, VERIFIER_STAKE_ETH), "cheater": config.cheater_stake_eth})
        # the first task is the cheater's alone: every run has at least one cheat to catch
        task_ids.append(net.post(seed=1))
        wait_until(f"the cheater's claim of task {task_ids[0]}",
                   lambda: net.status(task_ids[0]) is not TaskStatus.OPEN, net.services, timeout_s=120)
        say(f"task {task_ids[0]} claimed by the cheater; starting the honest workers", began)
        for name in HONEST_WORKERS:
            net.spawn_worker(name, HONEST_STAKE_ETH, [])
        net.wait_staked(dict.fromkeys(HONEST_WORKERS, HONEST_STAKE_ETH))
        say(f"posting {config.tasks - 1} more tasks, one every {config.post_interval_s:g} s", began)
        posting_began = time.monotonic()
        next_post = posting_began
        last_report = 0.0
        while True:
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(f"--max-minutes {config.max_minutes:g} reached")
            if len(task_ids) < config.tasks and now >= next_post:
                task_ids.append(net.post(seed=len(task_ids) + 1))
                next_post += config.post_interval_s
                if len(task_ids) == config.tasks:
                    posting_ended = time.monotonic()
            net.poll()
            if len(task_ids) == config.tasks and net.ledger.settled(set(task_ids)):
                break
            if now - last_report >= 30:
                last_report = now
                ledger = net.ledger
                say(f"{len(task_ids)} posted, {len(ledger.finalised)} finalised, "
                    f"{len(ledger.voided)} voided, {len(ledger.slashed)} slashed, games "
                    f"{len(ledger.games_closed)}/{len(ledger.games_opened)} closed, "
                    f"load {os.getloadavg()[0]:.2f}", began)
            time.sleep(0.25)
        sampler.sample()  # the end: every task done, before anything is stopped
        say("every task finalised and every game closed", began)
    except (DevnetError, TimeoutError, KeyboardInterrupt) as exc:
        error = f"{type(exc).__name__}: {exc}"
        say(f"stopping early: {error}", began)
    finally:
        sampler.stop()
        leftovers = net.stop()
    wall_s = time.monotonic() - began
    if error is None and leftovers:
        error = f"processes left running after stop: {leftovers}"
    figures = summarise(config, net, sampler.samples, task_ids, env, wall_s,
                        posting_ended - posting_began, error)
    (config.state_dir / "rss.json").write_text(json.dumps([asdict(s) for s in sampler.samples]) + "\n")
    return Outcome(figures, net.ledger, task_ids, net.addresses, leftovers)


def summarise(config: SoakConfig, net: BenchNetwork, samples: list[Sample], task_ids: list[int],
              env: dict[str, Any], wall_s: float, posting_s: float, error: str | None) -> dict[str, Any]:
    ledger, cheater = net.ledger, net.addresses["cheater"].lower()
    warm_finalised = max(1, math.ceil(WARM_UP_SHARE * config.tasks))
    rss = rss_figures(samples, warm_finalised)
    worst, ratio = largest_growth(rss, PYTHON_SERVICES)
    loads = [s.load_1m for s in samples]
    ours = set(task_ids)
    finalised = [t for t in task_ids if t in ledger.finalised]
    return {
        "tasks": len(task_ids),
        "tasks_finalised": len(finalised),
        "tasks_unfinished": len(task_ids) - len(finalised),
        "cheats_voided": sum(1 for t, op in ledger.voided if op == cheater and t in ours),
        "cheats_slashed": sum(1 for s in ledger.slashed if s["account"] == cheater),
        "cheater_slashed_eth": sum(s["amount"] for s in ledger.slashed if s["account"] == cheater) / ETHER,
        "honest_slashed": sum(1 for s in ledger.slashed if s["account"] != cheater),
        "wrong_outcomes": sum(1 for t in finalised if ledger.finalised[t] == cheater),
        "disputes": len(ledger.games_opened),
        "disputes_open_at_end": len(ledger.games_opened - ledger.games_closed),
        "tasks_per_operator": {role: sum(1 for t in finalised if ledger.finalised[t] == address.lower())
                               for role, address in net.addresses.items() if role.startswith("worker")},
        "completed": error is None,
        "error": error,
        "wall_s": round(wall_s, 1),
        "posting_s": round(posting_s, 1),
        "rss_growth_ratio": ratio,
        "rss_growth_ratio_process": worst,
        "anvil_rss_growth_ratio": rss.get(ANVIL, {}).get("growth_ratio"),
        "anvil_note": ANVIL_NOTE,
        "rss": rss,
        "rss_samples": len(samples),
        "warm_up": f"the first sample once {warm_finalised} tasks ({WARM_UP_SHARE:.0%}) were finalised",
        "load_1m_during": {"mean": round(sum(loads) / len(loads), 2) if loads else None,
                           "max": max(loads) if loads else None},
        "env": env,
        "setup": {
            "processes": "anvil (automine); backend (`python -m backend serve`: API + indexer + artifact "
                         "store, SQLite); verifiers x2 (`verifier start --mode full`); worker x3 honest and "
                         "x1 `--cheat flip-bit` (embedded executor); all agents poll every 1 s",
            "spec": "bench/e2e.py tiny_mlp: mlp hidden 8, digits, batch 8, 6 steps, checkpoint every 3; "
                    "one seed per task, posted through POST /api/specs",
            "challenge_window_s": config.challenge_window_s,
            "min_challenge_window_s": DeployParams.min_challenge_window,
            "post_interval_s": config.post_interval_s,
            "sample_every_s": config.sample_every_s,
            "stakes_eth": {"honest_worker": HONEST_STAKE_ETH, "cheater": config.cheater_stake_eth,
                           "verifier": VERIFIER_STAKE_ETH, "task_min_stake": MIN_STAKE / ETHER},
        },
        "goals": GOALS,
    }


def print_summary(figures: dict[str, Any]) -> None:
    f = figures
    ended = "complete" if f["completed"] else f"INCOMPLETE: {f['error']}"
    print(f"\nsoak: {f['tasks']} tasks posted, {f['tasks_finalised']} finalised, "
          f"{f['tasks_unfinished']} unfinished in {f['wall_s']} s ({ended})")
    print(f"  cheats voided {f['cheats_voided']}, cheater slashed {f['cheats_slashed']} times "
          f"({f['cheater_slashed_eth']:g} ETH), honest parties slashed {f['honest_slashed']}, "
          f"cheats finalised {f['wrong_outcomes']}, disputes {f['disputes']}")
    print(f"  tasks per honest worker {f['tasks_per_operator']}")
    print(f"  load (1 min) at start {f['env']['load_average_1m_at_start']}, during {f['load_1m_during']}")
    print(f"  {'process':12} {'warm MiB':>9} {'end MiB':>9} {'peak MiB':>9} {'end/warm':>9}")
    for name, r in f["rss"].items():
        print(f"  {name:12} {r['warm_mib']:9.1f} {r['end_mib']:9.1f} {r['peak_mib']:9.1f} "
              f"{r['growth_ratio']:9.3f}")
    print(f"  rss_growth_ratio {f['rss_growth_ratio']} ({f['rss_growth_ratio_process']}), goal "
          f"{GOALS['rss_growth_ratio']}; anvil {f['anvil_rss_growth_ratio']} (apart: {ANVIL_NOTE})")


def parse_args(argv: list[str] | None = None) -> tuple[SoakConfig, bool]:
    """The run's configuration, and whether to merge its figures into bench/results.json."""
    defaults = SoakConfig()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=defaults.tasks)
    parser.add_argument("--max-minutes", type=float, default=defaults.max_minutes,
                        help="wall-clock bound for the whole run, start-up included")
    parser.add_argument("--post-interval", type=float, default=defaults.post_interval_s,
                        help="seconds between two posts")
    parser.add_argument("--challenge-window", type=int, default=defaults.challenge_window_s,
                        help="seconds; long enough for both verifiers to replay a result on a busy machine")
    parser.add_argument("--sample-every", type=float, default=defaults.sample_every_s,
                        help="RSS sample period (s)")
    parser.add_argument("--cheater-stake", type=int, default=defaults.cheater_stake_eth,
                        help="ETH: bounds how many results the cheater can get voided")
    parser.add_argument("--state-dir", type=Path, default=defaults.state_dir,
                        help="logs and state (wiped at start)")
    parser.add_argument("--no-save", action="store_true", help="do not merge into bench/results.json")
    args = parser.parse_args(argv)
    if not DeployParams.min_challenge_window <= args.challenge_window <= DeployParams.max_challenge_window:
        parser.error(f"--challenge-window must be {DeployParams.min_challenge_window}.."
                     f"{DeployParams.max_challenge_window} seconds")
    config = SoakConfig(tasks=args.tasks, max_minutes=args.max_minutes, post_interval_s=args.post_interval,
                        challenge_window_s=args.challenge_window, sample_every_s=args.sample_every,
                        cheater_stake_eth=args.cheater_stake, state_dir=args.state_dir.resolve())
    return config, not args.no_save


def main(argv: list[str] | None = None) -> int:
    config, save = parse_args(argv)
    with sigterm_as_interrupt():
        outcome = run_soak(config)
    print_summary(outcome.figures)
    if save:
        merge("soak", outcome.figures)
        print("merged into bench/results.json under 'soak'")
    f = outcome.figures
    ok = f["completed"] and f["honest_slashed"] == 0 and f["wrong_outcomes"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
