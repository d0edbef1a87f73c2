"""The `DilocoJobs` binding on a real anvil: a 2-round × 2-shard job with a small hand-made wiring is
posted, its tasks read back and run to completion through the market (placeholder traces whose final
state is the root of the leaves we record), a failed job's refund is withdrawn to the wei, a stalled job
(its segments finalised, their model files nowhere) is abandoned by the advancer once the chain allows,
and a wrong escrow is refused by name."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import pytest
from eth_abi import encode
from web3 import Web3

from tests.support.chain import ETHER, Devnet
from tribunal.chain.anvil import increase_time
from tribunal.chain.deployment import Deployment
from tribunal.chain.diloco_jobs import (
    NO_SOURCE,
    OUTER_INDEX,
    DilocoJobs,
    JobParams,
    JobWiring,
    TaskRef,
)
from tribunal.chain.errors import ContractRevert
from tribunal.diloco.advance import JobAdvancer
from tribunal.diloco.resolve import DilocoResolver
from tribunal.merkle import merkle_root
from tribunal.protocol_enums import JobStatus, TaskStatus

ROUNDS, SHARDS, STEPS = 2, 2, 2
SHARD_REWARD, OUTER_REWARD = ETHER // 10, ETHER // 5
ESCROW = ROUNDS * (SHARDS * SHARD_REWARD + OUTER_REWARD)
WINDOW = 2
TIMEOUT = 3600


def h(label: str) -> bytes:
    return bytes(Web3.keccak(text=label))


# G = 2 global slots (a parameter, its outer momentum), T = 1 trainable parameter; a segment has two
# state slots (the parameter from global slot 0, an optimizer slot from a constant) and 3 nodes, the
# parameter's new value at node 2; the outer step has 4 nodes, the new parameter at 1, momentum at 3.
WIRING = JobWiring(
    global_slots=2, shard_slots=1, segment_nodes=3, outer_nodes=4,
    segment_init=(0, NO_SOURCE), segment_const=(bytes(32), h("fresh optimizer slot")),
    segment_out=(2,), outer_out=(1, 3),
)
INITIAL_GLOBAL = [h("theta_0"), h("momentum_0")]


def job_params(**changes: object) -> JobParams:
    fields: dict[str, object] = dict(
        spec_hash=h("job document"), spec_uri="artifact://job", rounds=ROUNDS, shards=SHARDS,
        inner_steps=STEPS, checkpoint_every=1, shard_reward=SHARD_REWARD, outer_reward=OUTER_REWARD,
        min_stake=2 * ETHER, task_timeout=TIMEOUT, challenge_window=WINDOW,
        outer_graph_root=h("outer graph"), outer_dataset_root=h("whole dataset"),
        shard_dataset_roots=tuple(h(f"shard {i} rows") for i in range(SHARDS)),
        segment_graph_roots=tuple(h(f"segment graph {r}.{i}") for r in range(ROUNDS) for i in range(SHARDS)),
    )
    fields.update(changes)
    return JobParams(**fields)  # type: ignore[arg-type]


def task_spec_hash(spec_hash: bytes, round_: int, index: int) -> bytes:
    return bytes(Web3.keccak(encode(["bytes32", "uint16", "uint16"], [spec_hash, round_, index])))


def jobs(devnet: Devnet, who: str) -> DilocoJobs:
    assert devnet.deployment.diloco_jobs is not None
    return DilocoJobs(devnet.client(who), devnet.deployment.diloco_jobs)


def post(devnet: Devnet) -> int:
    submitter = jobs(devnet, "submitter")
    return submitter.job_id_of(submitter.post_job(job_params(), WIRING, INITIAL_GLOBAL, ESCROW))


def run_to_finalized(devnet: Devnet, task_id: int, leaves: Sequence[bytes]) -> None:
    """Claim, submit a placeholder trace whose h_S is the root of ``leaves``, let the window pass,
    finalize."""
    market = devnet.market("operator")
    steps = market.task(task_id).steps
    market.claim(task_id)
    states = [h(f"task {task_id} h_{t}") for t in range(steps)] + [merkle_root(leaves)]
    market.submit_trace(task_id, states, h(f"model {task_id}"))
    increase_time(devnet.anvil.w3, WINDOW + 1)
    market.finalize(task_id)


def test_a_posted_job_escrows_every_reward_and_posts_round_0s_segments(devnet: Devnet) -> None:
    w3 = devnet.anvil.w3
    reader = jobs(devnet, "other")
    count = reader.job_count()
    job_id = post(devnet)
    assert reader.job_count() == count + 1 == job_id

    job = reader.get_job(job_id)
    assert job.submitter == devnet.signers["submitter"].address
    assert (job.status, job.rounds, job.shards) == (JobStatus.TRAINING, ROUNDS, SHARDS)
    assert (job.round, job.recorded) == (0, 0)
    assert job.escrow == ESCROW - SHARDS * SHARD_REWARD
    assert w3.eth.get_balance(reader.address) == job.escrow
    assert (job.spec_hash, job.shard_reward, job.outer_reward) == (h("job document"), SHARD_REWARD,
                                                                    OUTER_REWARD)
    assert reader.params_of(job_id) == job_params()
    assert reader.wiring_of(job_id) == WIRING
    assert reader.global_root(job_id, 0) == merkle_root(INITIAL_GLOBAL)

    h0 = merkle_root([INITIAL_GLOBAL[0], WIRING.segment_const[1]])
    for shard in range(SHARDS):
        task_id = reader.segment_task(job_id, 0, shard)
        assert reader.task_ref(task_id) == TaskRef(job_id, 0, shard)
        assert reader.task_ref(task_id).shard == shard  # type: ignore[union-attr]
        task = devnet.market("other").task(task_id)
        assert task.status is TaskStatus.OPEN and task.submitter == reader.address
        assert task.reward == SHARD_REWARD and task.steps == STEPS and task.min_stake == 2 * ETHER
        assert task.spec_hash == task_spec_hash(h("job document"), 0, shard)
        assert task.dataset_root == h(f"shard {shard} rows")
        assert task.graph_root == h(f"segment graph 0.{shard}")
        assert task.init_state_root == h0
        assert devnet.market("other").spec_uri(task_id) == "artifact://job"
    assert reader.segment_task(job_id, 1, 0) == 0 and reader.outer_task(job_id, 0) == 0
    assert reader.task_ref(reader.segment_task(job_id, 0, 0) - 1) is None  # no job's task (or none at all)


def test_a_job_runs_to_completion_through_the_market(devnet: Devnet) -> None:
    devnet.stake_manager("operator").stake(10 * ETHER)
    job_id = post(devnet)
    driver = jobs(devnet, "other")
    global_roots = INITIAL_GLOBAL
    for round_ in range(ROUNDS):
        shard_roots = []
        for shard in range(SHARDS):
            trained = h(f"theta round {round_} shard {shard}")
            leaves = [h(f"node 0 {round_}.{shard}"), h(f"node 1 {round_}.{shard}"), trained]
            run_to_finalized(devnet, driver.segment_task(job_id, round_, shard), leaves)
            driver.record_segment(job_id, shard, leaves)
            assert driver.shard_root(job_id, round_, shard) == merkle_root([trained])
            shard_roots.append(trained)
        assert driver.get_job(job_id).recorded == SHARDS

        driver.open_outer(job_id, global_roots, shard_roots)
        assert driver.get_job(job_id).status is JobStatus.AVERAGING
        outer_id = driver.outer_task(job_id, round_)
        assert driver.task_ref(outer_id) == TaskRef(job_id, round_, OUTER_INDEX)
        assert driver.task_ref(outer_id).is_outer  # type: ignore[union-attr]
        outer = devnet.market("other").task(outer_id)
        assert outer.init_state_root == merkle_root([*global_roots, *shard_roots])
        assert (outer.steps, outer.reward) == (1, OUTER_REWARD)

        leaves = [h(f"outer {round_} node {n}") for n in range(WIRING.outer_nodes)]
        run_to_finalized(devnet, outer_id, leaves)
        driver.record_outer(job_id, leaves)
        global_roots = [leaves[n] for n in WIRING.outer_out]
        assert driver.global_root(job_id, round_ + 1) == merkle_root(global_roots)

    job = driver.get_job(job_id)
    assert (job.status, job.escrow) == (JobStatus.COMPLETED, 0)
    assert devnet.stake_manager("operator").info(devnet.signers["operator"].address).credit == ESCROW


def test_a_failed_jobs_refund_is_credited_to_its_submitter_and_withdrawn(devnet: Devnet) -> None:
    w3 = devnet.anvil.w3
    submitter = devnet.signers["submitter"].address
    job_id = post(devnet)
    anyone = jobs(devnet, "other")
    with pytest.raises(ContractRevert) as running:
        anyone.abandon(job_id)
    assert running.value.error_name == "RoundStillRunning"

    increase_time(w3, TIMEOUT + 1)
    for shard in range(SHARDS):
        devnet.market("other").expire(anyone.segment_task(job_id, 0, shard))
    anyone.abandon(job_id)
    assert anyone.get_job(job_id).status is JobStatus.FAILED
    assert anyone.credit_of(submitter) == ESCROW  # nothing was paid out

    before = w3.eth.get_balance(submitter)
    withdrawn = jobs(devnet, "submitter").withdraw()
    assert w3.eth.get_balance(submitter) == before + ESCROW - withdrawn.fee_wei
    assert anyone.credit_of(submitter) == 0
    with pytest.raises(ContractRevert) as again:
        jobs(devnet, "submitter").withdraw()
    assert again.value.error_name == "NothingToWithdraw"


def test_a_stalled_job_is_abandoned_by_the_advancer_after_its_task_timeout(devnet: Devnet) -> None:
    """Both segments finalised, their model files in no store: nobody can record them, so the advancer
    reports the stall, waits out the job's task timeout, then abandons it: the submitter is credited the
    whole unposted escrow."""
    w3 = devnet.anvil.w3
    devnet.stake_manager("operator").stake(10 * ETHER)
    job_id = post(devnet)
    anyone = jobs(devnet, "other")
    for shard in range(SHARDS):
        run_to_finalized(devnet, anyone.segment_task(job_id, 0, shard), [h(f"node {n}") for n in range(3)])
    market = devnet.market("other")
    advancer = JobAdvancer(anyone, market, DilocoResolver(anyone, market, None),
                           now=lambda: int(w3.eth.get_block("latest")["timestamp"]))

    def calls() -> list[str]:
        return [a.what for a in advancer.tick() if a.job_id == job_id]

    with pytest.raises(ContractRevert) as refused:
        anyone.abandon(job_id)
    assert refused.value.error_name == "JobNotStalled"
    assert refused.value.error_args == {"jobId": job_id, "stalledAt": 0}

    assert calls() == ["reportStall"]
    stalled_at = anyone.stalled_at(job_id)
    assert stalled_at == w3.eth.get_block("latest")["timestamp"]
    assert calls() == []  # the advancers' time runs

    increase_time(w3, TIMEOUT // 2)  # (the second-exact bound is the forge tests')
    assert calls() == []
    with pytest.raises(ContractRevert) as early:
        anyone.abandon(job_id)
    assert early.value.error_args == {"jobId": job_id, "stalledAt": stalled_at}
    assert "reportStall" in str(early.value)  # the hint says what to do

    increase_time(w3, TIMEOUT // 2 + 1)
    assert calls() == ["abandon"]
    job = anyone.get_job(job_id)
    assert (job.status, job.escrow) == (JobStatus.FAILED, 0)
    assert anyone.credit_of(devnet.signers["submitter"].address) == ESCROW - SHARDS * SHARD_REWARD


def test_a_wrong_escrow_is_refused_by_name(devnet: Devnet) -> None:
    submitter = jobs(devnet, "submitter")
    count = submitter.job_count()
    with pytest.raises(ContractRevert) as refused:
        submitter.post_job(job_params(), WIRING, INITIAL_GLOBAL, ESCROW - 1)
    assert refused.value.error_name == "WrongJobEscrow"
    assert refused.value.error_args == {"expected": ESCROW, "got": ESCROW - 1}
    assert "post DiLoCo job" in str(refused.value)
    assert submitter.job_count() == count


def test_a_wiring_output_past_the_graph_is_refused_with_its_index(devnet: Devnet) -> None:
    wiring = replace(WIRING, outer_out=(1, WIRING.outer_nodes))
    with pytest.raises(ContractRevert) as refused:
        jobs(devnet, "submitter").post_job(job_params(), wiring, INITIAL_GLOBAL)
    assert refused.value.error_name == "WiringOutputOutOfRange"
    assert refused.value.error_args == {"outer": True, "index": 1, "node": WIRING.outer_nodes,
                                        "nodes": WIRING.outer_nodes}


def test_a_deployment_file_from_before_diloco_jobs_still_loads(devnet: Devnet) -> None:
    old = json.loads(devnet.deployment.to_json())
    del old["diloco_jobs"]
    assert Deployment.from_json(json.dumps(old)).diloco_jobs is None
    assert Deployment.from_json(devnet.deployment.to_json()) == devnet.deployment
