"""DiLoCo jobs: DilocoJobs' events folded into jobs, rounds and segments linked to their market
tasks, and /api/diloco/jobs's grid with each round's loss, on both databases.

Most of it on `tests.backend.fake_chain` (the contracts' events encoded with their compiled ABIs): a
job's whole life, disputes and reopened shards included, in a few blocks; and one job run on anvil
through the real contracts, in the order they emit their events."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.api.app import create_app
from backend.db.engine import make_engine, session_factory, upgrade_database
from backend.db.models import DilocoJob, DilocoRound, DilocoSegment, ProgressReport
from backend.indexer.abi import event_specs
from backend.indexer.contracts import IndexedContracts
from backend.indexer.indexer import Indexer, IndexerConfig
from backend.indexer.store import dump_chain_data, rollback_to
from tests.backend.fake_chain import FakeChain
from tests.support.backend import settings_for
from tests.support.chain import ETHER, Devnet
from tests.support.indexing import make_indexer, writer_engine
from tribunal.chain.anvil import increase_time
from tribunal.chain.artifacts import load_artifact
from tribunal.chain.deployment import Deployment
from tribunal.chain.diloco_jobs import DilocoJobs, JobParams, JobWiring
from tribunal.merkle import merkle_root

MARKET = "0x" + "a1" * 20
STAKE_MANAGER = "0x" + "a2" * 20
JOBS = "0x" + "a3" * 20
SUBMITTER = "0x" + "b1" * 20
OP_A, OP_B, OP_C = ("0x" + c * 20 for c in ("c1", "c2", "c3"))


def root(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


def hex_root(name: str) -> str:
    return "0x" + root(name).hex()


class JobChain:
    """The fake chain with the market's and DilocoJobs' events at hand."""

    def __init__(self) -> None:
        self.chain = FakeChain()
        self.market_abi = load_artifact("TaskMarket").abi
        self.jobs_abi = load_artifact("DilocoJobs").abi
        self.contracts = IndexedContracts(
            addresses={MARKET: "TaskMarket", STAKE_MANAGER: "StakeManager", JOBS: "DilocoJobs"},
            events={
                (address, spec.topic0): spec
                for address, name, abi in (
                    (MARKET, "TaskMarket", self.market_abi),
                    (STAKE_MANAGER, "StakeManager", load_artifact("StakeManager").abi),
                    (JOBS, "DilocoJobs", self.jobs_abi),
                )
                for spec in event_specs(name, abi)
            },
        )
        self.deployment = Deployment(
            chain_id=31337,
            rpc_url=self.chain.url,
            block_number=1,
            stake_manager=STAKE_MANAGER,
            task_market=MARKET,
            diloco_jobs=JOBS,
        )

    def job(self, event: str, **args: Any) -> None:
        self.chain.emit(JOBS, self.jobs_abi, event, **args)

    def market(self, event: str, **args: Any) -> None:
        self.chain.emit(MARKET, self.market_abi, event, **args)

    def post_task(self, task_id: int, init: str) -> None:
        self.market(
            "TaskPosted",
            taskId=task_id,
            submitter=JOBS,
            reward=ETHER,
            specHash=root(f"spec{task_id}"),
            specURI="http://artifacts/spec",
            datasetRoot=root("data"),
            initStateRoot=root(init),
            graphRoot=root("graph"),
            steps=10,
            checkpointEvery=5,
            minStake=ETHER,
            deadline=2_000_000_000,
            challengeWindow=60,
        )

    def train(self, task_id: int, operator: str, *, finalize: bool = True) -> None:
        """Claimed, submitted (and finalized) in one block."""
        self.market("TaskClaimed", taskId=task_id, operator=operator, stakeLocked=ETHER)
        self.market(
            "ResultSubmitted",
            taskId=task_id,
            operator=operator,
            traceRoot=root(f"trace{task_id}"),
            finalStateRoot=root(f"final{task_id}"),
            modelHash=root(f"model{task_id}"),
            challengeEndsAt=1_900_000_000,
        )
        if finalize:
            self.market("TaskFinalized", taskId=task_id, operator=operator, reward=ETHER)

    def segment(self, job: int, round_: int, shard: int, task_id: int) -> None:
        self.post_task(task_id, f"h0 r{round_}")
        self.job(
            "SegmentPosted",
            jobId=job,
            round=round_,
            shard=shard,
            taskId=task_id,
            initStateRoot=root(f"h0 r{round_}"),
        )

    def indexer(self, url: str, **config: Any) -> Indexer:
        return Indexer(
            writer_engine(url), self.chain, self.deployment, self.contracts, IndexerConfig(**config)
        )


def two_jobs() -> tuple[JobChain, dict[str, int]]:
    """Job 1 (2 rounds × 2 shards): round 0 closed, its shard 1 voided once and re-trained; round 1
    training, shard 1 disputed. Job 2 (1 × 1): its segment refunded, the job failed and its credit
    withdrawn. Returns the chain and the block numbers worth stopping at."""
    c = JobChain()
    blocks: dict[str, int] = {}
    c.job(
        "JobPosted",
        jobId=1,
        submitter=SUBMITTER,
        specHash=root("job1"),
        specURI="http://artifacts/job1",
        rounds=2,
        shards=2,
        escrow=6 * ETHER,
    )
    c.segment(1, 0, 0, 1)
    c.segment(1, 0, 1, 2)
    blocks["posted"] = c.chain.mine()
    c.train(1, OP_A)
    c.train(2, OP_B, finalize=False)
    c.market("TaskDisputed", taskId=2, operator=OP_B, openDisputes=1)
    c.chain.mine()
    c.market("TaskVoided", taskId=2, operator=OP_B, stakeUnlocked=ETHER)
    c.market("TaskReopened", taskId=2)
    c.chain.mine()
    c.train(2, OP_C)
    for shard, task_id in ((0, 1), (1, 2)):
        c.job(
            "SegmentRecorded",
            jobId=1,
            round=0,
            shard=shard,
            taskId=task_id,
            shardRoot=root(f"shard{shard}"),
            roots=[root(f"p{shard}.0"), root(f"p{shard}.1")],
        )
    c.post_task(3, "outer h0 r0")
    c.job("OuterPosted", jobId=1, round=0, taskId=3, initStateRoot=root("outer h0 r0"))
    blocks["averaging"] = c.chain.mine()
    c.train(3, OP_A)
    c.job("RoundClosed", jobId=1, round=0, globalRoot=root("global r1"), globalRoots=[root("g0"), root("g1")])
    c.segment(1, 1, 0, 4)
    c.segment(1, 1, 1, 5)
    blocks["round 1"] = c.chain.mine()
    c.train(4, OP_A, finalize=False)
    c.train(5, OP_B, finalize=False)
    c.market("TaskDisputed", taskId=5, operator=OP_B, openDisputes=1)
    c.job(
        "JobPosted",
        jobId=2,
        submitter=SUBMITTER,
        specHash=root("job2"),
        specURI="http://artifacts/job2",
        rounds=1,
        shards=1,
        escrow=2 * ETHER,
    )
    c.segment(2, 0, 0, 6)
    c.chain.mine()
    c.market("TaskRefunded", taskId=6, submitter=JOBS, amount=ETHER)
    c.job("JobFailed", jobId=2, refund=2 * ETHER)
    c.job("CreditWithdrawn", account=SUBMITTER, amount=2 * ETHER)
    blocks["failed"] = c.chain.mine()
    return c, blocks


def test_dilocojobs_events_are_folded_into_jobs_rounds_and_segments(db_url: str) -> None:
    c, blocks = two_jobs()
    indexer = c.indexer(db_url)
    assert indexer.sync() == sum(len(b["logs"]) for b in c.chain.blocks)
    with indexer.engine.connect() as conn:
        jobs = {j.job_id: j for j in conn.execute(select(DilocoJob)).all()}
        rounds = {(r.job_id, r.round): r for r in conn.execute(select(DilocoRound)).all()}
        segments = {(s.job_id, s.round, s.shard): s for s in conn.execute(select(DilocoSegment)).all()}
    first, failed = jobs[1], jobs[2]
    assert (first.status, first.round, first.rounds, first.shards, first.escrow) == (
        "TRAINING",
        1,
        2,
        2,
        6 * ETHER,
    )
    assert (first.submitter, first.spec_hash, first.global_root) == (
        SUBMITTER,
        hex_root("job1"),
        hex_root("global r1"),
    )
    assert (failed.status, failed.refund, failed.settled_at) == (
        "FAILED",
        2 * ETHER,
        c.chain.start_time + 12 * blocks["failed"],
    )
    closed, training = rounds[(1, 0)], rounds[(1, 1)]
    assert (closed.segments_recorded, closed.outer_task_id, closed.global_root) == (
        2,
        3,
        hex_root("global r1"),
    )
    assert closed.outer_init_state_root == hex_root("outer h0 r0")
    assert (training.segments_recorded, training.outer_task_id, training.global_root) == (0, None, None)
    assert {k: s.task_id for k, s in segments.items()} == {
        (1, 0, 0): 1,
        (1, 0, 1): 2,
        (1, 1, 0): 4,
        (1, 1, 1): 5,
        (2, 0, 0): 6,
    }
    assert segments[(1, 0, 1)].shard_root == hex_root("shard1") and segments[(1, 1, 0)].shard_root is None
    assert segments[(1, 1, 0)].init_state_root == hex_root("h0 r1")


def test_a_job_rolled_back_by_a_reorg_equals_a_fresh_index_of_the_same_blocks(
    db_url: str, new_database: Callable[[str], str]
) -> None:
    c, blocks = two_jobs()
    reorged = c.indexer(db_url)
    reorged.sync()
    with reorged.engine.begin() as conn:
        rollback_to(conn, blocks["averaging"])
    with reorged.engine.connect() as conn:
        job = conn.execute(select(DilocoJob).where(DilocoJob.job_id == 1)).one()
    assert (job.status, job.round, job.global_root) == ("AVERAGING", 0, None)
    fresh_url = new_database("sqlite")
    upgrade_database(fresh_url)
    fresh = c.indexer(fresh_url, range_initial=1)
    fresh.sync(until=blocks["averaging"])
    tables = ("diloco_jobs", "diloco_rounds", "diloco_segments", "tasks")
    got, want = dump_chain_data(reorged.engine), dump_chain_data(fresh.engine)
    assert {t: got[t] for t in tables} == {t: want[t] for t in tables}


def store_reports(url: str, reports: list[tuple[int, str, int, float]]) -> None:
    """Operators' progress reports (task, operator, step, loss), stored as POST
    /api/tasks/{id}/progress stores signed ones."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        for task_id, operator, step, loss in reports:
            session.add(
                ProgressReport(
                    task_id=task_id,
                    operator=operator,
                    step=step,
                    loss=loss,
                    steps_per_s=1.0,
                    reported_at=0,
                    received_at=time.time(),
                    signature="0x" + "00" * 65,
                )
            )
        session.commit()
    engine.dispose()


def test_the_api_shows_each_job_as_a_grid_with_the_rounds_losses(db_url: str, tmp_path: Path) -> None:
    c, _ = two_jobs()
    c.indexer(db_url).sync()
    store_reports(
        db_url,
        [
            (1, OP_A, 5, 2.0),
            (1, OP_A, 10, 1.5),
            (2, OP_B, 10, 9.9),  # the voided operator's: not the result's
            (2, OP_C, 10, 0.5),
            (3, OP_A, 1, 0.01),  # the outer step's update size
            (4, OP_A, 3, 0.8),
        ],
    )
    app = create_app(settings_for(db_url, tmp_path), migrate=False)
    with TestClient(app) as client:
        page = client.get("/api/diloco/jobs").json()
        assert [j["job_id"] for j in page["items"]] == [2, 1] and page["total"] == 2
        failed = client.get("/api/diloco/jobs", params={"status": "FAILED"}).json()["items"]
        assert [(j["job_id"], j["refund"]) for j in failed] == [(2, str(2 * ETHER))]
        assert client.get("/api/diloco/jobs", params={"submitter": OP_A}).json()["total"] == 0

        job = client.get("/api/diloco/jobs/1").json()
        assert (job["status"], job["round"], job["rounds"], job["shards"]) == ("TRAINING", 1, 2, 2)
        assert job["escrow"] == str(6 * ETHER) and job["global_root"] == hex_root("global r1")
        closed, training = job["grid"]
        assert (closed["round"], closed["status"], closed["global_root"]) == (
            0,
            "CLOSED",
            hex_root("global r1"),
        )
        cells = [
            (s["shard"], s["task_id"], s["status"], s["operator"], s["attempts"], s["recorded"], s["loss"])
            for s in closed["segments"]
        ]
        assert cells == [(0, 1, "FINALIZED", OP_A, 1, True, 1.5), (1, 2, "FINALIZED", OP_C, 2, True, 0.5)]
        assert closed["train_loss"] == pytest.approx(1.0) and closed["outer_update_size"] == pytest.approx(
            0.01
        )
        assert (closed["outer"]["task_id"], closed["outer"]["status"], closed["outer"]["loss_step"]) == (
            3,
            "FINALIZED",
            1,
        )
        assert closed["segments"][1]["shard_root"] == hex_root("shard1")

        assert (training["round"], training["status"], training["outer"], training["global_root"]) == (
            1,
            "TRAINING",
            None,
            None,
        )
        shard0, shard1 = training["segments"]
        assert (shard0["status"], shard0["loss"], shard0["loss_step"], shard0["recorded"]) == (
            "SUBMITTED",
            0.8,
            3,
            False,
        )
        assert (shard1["status"], shard1["open_disputes"], shard1["loss"]) == ("SUBMITTED", 1, None)
        assert training["train_loss"] is None  # shard 1 reported nothing: no mean of one shard

        assert client.get("/api/tasks/2").json()["diloco"] == {"job_id": 1, "round": 0, "shard": 1}
        assert client.get("/api/tasks/3").json()["diloco"] == {"job_id": 1, "round": 0, "shard": None}

        refunded = client.get("/api/diloco/jobs/2").json()
        assert refunded["status"] == "FAILED" and refunded["grid"][0]["segments"][0]["status"] == "REFUNDED"
        missing = client.get("/api/diloco/jobs/9")
        assert missing.status_code == 404 and "/api/diloco/jobs" in missing.json()["detail"]


def test_a_job_run_on_anvil_is_indexed_as_the_chain_holds_it(devnet: Devnet, db_url: str) -> None:
    """The real contract's events, in the order it emits them: a 1 × 1 job run to completion through
    the market (placeholder traces whose final state is the root of the leaves recorded), and a job
    abandoned after its segment expired."""
    w3 = devnet.anvil.w3
    assert devnet.deployment.diloco_jobs is not None
    jobs = {
        who: DilocoJobs(devnet.client(who), devnet.deployment.diloco_jobs) for who in ("submitter", "other")
    }
    market = devnet.market("operator")
    devnet.stake_manager("operator").stake(10 * ETHER)
    wiring = JobWiring(
        global_slots=1,
        shard_slots=1,
        segment_nodes=1,
        outer_nodes=1,
        segment_init=(0,),
        segment_const=(bytes(32),),
        segment_out=(0,),
        outer_out=(0,),
    )
    params = JobParams(
        spec_hash=root("job"),
        spec_uri="artifact://job",
        rounds=1,
        shards=1,
        inner_steps=2,
        checkpoint_every=1,
        shard_reward=ETHER // 10,
        outer_reward=ETHER // 5,
        min_stake=2 * ETHER,
        task_timeout=3600,
        challenge_window=2,
        outer_graph_root=root("outer graph"),
        outer_dataset_root=root("rows"),
        shard_dataset_roots=(root("shard rows"),),
        segment_graph_roots=(root("segment graph"),),
    )

    def post() -> int:
        return jobs["submitter"].job_id_of(
            jobs["submitter"].post_job(params, wiring, [root("theta")], params.escrow)
        )

    def finalize(task_id: int, leaves: list[bytes]) -> None:
        market.claim(task_id)
        steps = market.task(task_id).steps
        market.submit_trace(
            task_id, [root(f"h{t}") for t in range(steps)] + [merkle_root(leaves)], root("model")
        )
        increase_time(w3, params.challenge_window + 1)
        market.finalize(task_id)

    done, driver = post(), jobs["other"]
    segment_task = driver.segment_task(done, 0, 0)
    finalize(segment_task, [root("theta trained")])
    driver.record_segment(done, 0, [root("theta trained")])
    driver.open_outer(done, [root("theta")], [root("theta trained")])
    outer_task = driver.outer_task(done, 0)
    finalize(outer_task, [root("theta averaged")])
    driver.record_outer(done, [root("theta averaged")])
    failed = post()
    increase_time(w3, params.task_timeout + 1)
    market.expire(driver.segment_task(failed, 0, 0))
    driver.abandon(failed)

    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url)
    indexer.sync()
    with indexer.engine.connect() as conn:
        rows = {j.job_id: j for j in conn.execute(select(DilocoJob)).all()}
        (closed,) = conn.execute(select(DilocoRound).where(DilocoRound.job_id == done)).all()
        (segment,) = conn.execute(select(DilocoSegment).where(DilocoSegment.job_id == done)).all()
    chain = driver.get_job(failed)
    assert (rows[done].status, rows[done].global_root) == (
        "COMPLETED",
        "0x" + driver.global_root(done, 1).hex(),
    )
    assert (rows[failed].status, rows[failed].refund) == ("FAILED", jobs["other"].credit_of(chain.submitter))
    assert (
        rows[done].submitter == devnet.signers["submitter"].address.lower()
        and rows[done].escrow == params.escrow
    )
    assert (segment.task_id, segment.shard_root) == (segment_task, "0x" + driver.shard_root(done, 0, 0).hex())
    assert (closed.outer_task_id, closed.segments_recorded, closed.global_root) == (
        outer_task,
        1,
        rows[done].global_root,
    )
    assert closed.outer_init_state_root == "0x" + market.task(outer_task).init_state_root.hex()
