"""Issue #16's devnet test: one DiLoCo job trained by several worker processes on anvil, with a
cheater in one shard and an operator that claims a shard and drops out (bench/diloco_devnet.py).

What the chain must show at the end: the job completed; its final global root is the one a
single process computes for the same schedule (`run_sequential`), bit for bit; the cheater's
result was voided, it was slashed and paid nothing; the dropped operator was evicted (slashed)
and its shard trained by another; no honest operator was slashed; every task was paid to the
operator that finalised it and the job holds nothing back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.diloco_devnet import DROPPED, run

pytestmark = pytest.mark.integration  # starts anvil, the backend, a verifier and four workers

ROUNDS = 2
SHARDS = 2


def test_a_job_completes_with_a_cheating_shard_and_a_dropped_operator(tmp_path: Path, redis_url: str) -> None:
    report = run(tmp_path, rounds=ROUNDS, shards=SHARDS, inner_steps=20, broker_url=redis_url,
                 timeout_s=900, log=print)

    assert report["final_root_equals_one_process_run"], report["final_global_root"]
    assert report["cheater_results_voided"] == 1
    assert report["cheater_slashed_wei"] > 0
    assert report["cheater_paid_wei"] == 0
    assert report["dropped_evicted"], "the dropped operator's claim was never evicted"
    assert report["dropped_slashed_wei"] > 0
    assert report["honest_slashed_wei"] == 0
    assert report["job_escrow_left_wei"] == 0
    # every segment and outer step finalised, by an operator that stayed
    for row in report["grid"]:
        for cell in row["segments"]:
            assert cell["status"] == "finalized", cell
            assert cell["operator"] not in ("cheater", DROPPED), cell
        assert row["outer"]["operator"] not in ("cheater", DROPPED), row["outer"]
    paid = sum(report["paid_wei"].values())
    assert paid == ROUNDS * (SHARDS * 10**17 + 5 * 10**16)  # shard reward 0.1 ETH, outer 0.05 ETH
