"""bench/soak.py: the RSS of process trees read from /proc, the growth figures, the chain tally, and
a small soak of real processes (6 tasks, a cheater among the workers) that must end with every
task finalised by an honest worker, the cheater slashed, nobody honest slashed and nothing left
running."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.network import Ledger
from bench.soak import (
    Sample,
    SoakConfig,
    children_by_parent,
    largest_growth,
    process_tree,
    rss_figures,
    run_soak,
    take_sample,
    vm_rss_kib,
)
from tribunal.chain.events import ChainEvent


def fake_proc(root: Path, processes: dict[int, tuple[int, int | None]]) -> Path:
    """A /proc with ``pid → (ppid, VmRSS KiB or None for a zombie)``."""
    for pid, (ppid, rss) in processes.items():
        folder = root / str(pid)
        folder.mkdir(parents=True)
        # a command name with a space and a parenthesis, as /proc allows
        (folder / "stat").write_text(f"{pid} (py thon) x) S {ppid} {pid} {pid} 0 -1 4194560 0 0\n")
        rss_line = f"VmRSS:\t  {rss} kB\n" if rss is not None else ""
        (folder / "status").write_text(f"Name:\tpython\nState:\tS\n{rss_line}Threads:\t3\n")
    (root / "self").mkdir()
    return root


def test_process_tree_sums_children_and_skips_zombies(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {10: (1, 1000), 11: (10, 200), 12: (11, 30), 13: (10, None), 20: (1, 5000)})
    children = children_by_parent(proc)
    assert sorted(process_tree(10, children)) == [10, 11, 12, 13]
    assert vm_rss_kib(13, proc) is None
    assert vm_rss_kib(99, proc) is None
    sample = take_sample({"worker": 10, "anvil": 20, "gone": 77}, at_s=1.0, finalised=3, proc=proc)
    assert sample.rss_kib == {"worker": 1230, "anvil": 5000}
    assert sample.processes == {"worker": 3, "anvil": 1}


def test_vm_rss_of_this_process_is_read() -> None:
    rss = vm_rss_kib(os.getpid())
    assert rss is not None and rss > 1000


def sample(at_s: float, finalised: int, **rss_mib: float) -> Sample:
    rss_kib = {name: int(mib * 1024) for name, mib in rss_mib.items()}
    return Sample(at_s, finalised, 0.0, rss_kib, dict.fromkeys(rss_mib, 1))


def test_growth_is_end_over_the_first_sample_after_warm_up() -> None:
    samples = [
        sample(0, 0, api=100, anvil=50),  # start-up: not the reference
        sample(3, 2, api=400, anvil=60),  # 2 tasks finalised: warm
        sample(6, 5, api=500, anvil=90, worker=300),
        sample(9, 9, api=440, anvil=120, worker=330),
    ]
    figures = rss_figures(samples, warm_finalised=2)
    assert figures["api"] == {"warm_mib": 400.0, "end_mib": 440.0, "peak_mib": 500.0, "growth_ratio": 1.1,
                              "warm_at_s": 3, "end_at_s": 9, "processes": 1}
    # a service that started after warm-up is measured from its own first sample
    assert figures["worker"]["warm_mib"] == 300.0 and figures["worker"]["growth_ratio"] == 1.1
    assert figures["anvil"]["growth_ratio"] == 2.0
    assert largest_growth(figures, ["api", "worker", "verifier"]) == ("worker", 1.1)
    assert largest_growth(figures, ["verifier"]) == (None, None)
    # never warm (a run that stopped early): measured from the first sample
    assert rss_figures(samples, warm_finalised=50)["api"]["warm_mib"] == 100.0


def event(name: str, **args: object) -> ChainEvent:
    return ChainEvent("X", name, dict(args), 1, "0x", "0x", 0, 0, "0x")


def test_ledger_settles_once_every_task_is_final_and_every_game_closed() -> None:
    ledger = Ledger()
    for e in [event("TaskPosted", taskId=1), event("TaskPosted", taskId=2),
              event("GameOpened", gameId=1), event("GameOpened", gameId=2),
              event("Slashed", account="0xABC", fromLocked=1, fromFree=2, fromUnbonding=0),
              event("TaskVoided", taskId=1, operator="0xABC"), event("GameSettled", gameId=1),
              event("TaskFinalized", taskId=1, operator="0xDEF"),
              event("TaskFinalized", taskId=2, operator="0xDEF")]:
        ledger.record(e)
    assert ledger.slashed == [{"account": "0xabc", "amount": 3}]
    assert ledger.voided == [(1, "0xabc")]
    assert not ledger.settled({1, 2})  # game 2 still open
    ledger.record(event("GameWithdrawn", gameId=2))
    assert ledger.settled({1, 2})
    assert not ledger.settled({1, 2, 3})


@pytest.mark.integration  # starts anvil, the backend, four workers and two verifiers as processes
def test_small_soak_ends_every_task_right(tmp_path: Path) -> None:
    config = SoakConfig(tasks=6, max_minutes=3, post_interval_s=2, sample_every_s=2,
                        state_dir=tmp_path / "soak")
    outcome = run_soak(config)
    f = outcome.figures
    assert f["completed"], f"{f['error']}; logs in {config.state_dir}"
    assert f["tasks"] == 6 and f["tasks_finalised"] == 6 and f["tasks_unfinished"] == 0
    assert f["cheats_voided"] >= 1  # the first task is the cheater's
    assert f["cheats_slashed"] >= 1
    assert f["honest_slashed"] == 0
    assert f["wrong_outcomes"] == 0
    assert f["disputes_open_at_end"] == 0
    assert sum(f["tasks_per_operator"].values()) == 6
    assert outcome.leftover_processes == []
    assert set(f["rss"]) == {"anvil", "api", "cheater", "verifier-1", "verifier-2", "worker-1", "worker-2",
                             "worker-3"}
    assert f["rss_growth_ratio"] is not None
