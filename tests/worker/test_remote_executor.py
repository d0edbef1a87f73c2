"""The Celery remote executor under `kill -9`: a job whose executor dies in the middle of it goes
back to the queue after the visibility timeout, is finished by another executor (or the same one
restarted, from its checkpoint), is acknowledged once, and gives the trace root and model hash
of an uninterrupted run. When every executor is dead, the operator agent keeps the task, says the
job stalled, resubmits it, and submits the right result once an executor is back."""

from __future__ import annotations

import logging
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis

from tests.support.agents import OPERATOR_KEYS, executor_process, redis_server, start_agent
from tests.support.chain import Devnet
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tribunal.chain.anvil import free_port
from tribunal.checkpoints import LocalCheckpointStore
from tribunal.protocol_enums import TaskStatus
from tribunal.spec import canonical_json, spec_hash
from tribunal.training import TrainResult, train
from worker.celery_app import make_celery
from worker.executor import CeleryExecutor, JobState, JobStatus
from worker.state import Phase, StateDir
from worker.tasks import TrainingJob, TrainingOutcome

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT_S = 6
"""Longer than a job runs on an executor before the test kills it (at its first checkpoint), or
the idle executor would take the job back from the live one."""
SPEC = tiny_spec(seed=7, steps=1500, checkpoint_every=50)
DIGEST = spec_hash(SPEC)


@pytest.fixture(scope="module")
def reference() -> TrainResult:
    """The uninterrupted run, in this process."""
    return train(SPEC)


@pytest.fixture()
def queue() -> str:
    return f"remote-{uuid.uuid4().hex[:8]}"


@pytest.fixture()
def celery_executor(redis_url: str, queue: str) -> Iterator[CeleryExecutor]:
    executor = CeleryExecutor(make_celery(redis_url), queue)
    yield executor
    executor.app.close()


def start_executor(stack: ExitStack, redis_url: str, queue: str, tmp_path: Path,
                   name: str) -> subprocess.Popen[bytes]:
    return stack.enter_context(executor_process(
        redis_url, queue, tmp_path / name, tmp_path / f"{name}.log", name=name,
        env={"TRIBUNAL_BROKER_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S)}))


def submit(executor: CeleryExecutor) -> TrainingJob:
    job = TrainingJob(job_id=f"job-{uuid.uuid4().hex[:12]}", task_id=1,
                      spec_json=canonical_json(SPEC).decode("ascii"), spec_hash="0x" + DIGEST.hex())
    executor.submit(job)
    return job


def checkpoint_steps(tmp_path: Path, name: str) -> list[int]:
    """The steps of the checkpoints executor ``name`` has written for the job, in its work dir."""
    return sorted(LocalCheckpointStore(tmp_path / name / "checkpoints").steps(DIGEST))


def kill_at_first_checkpoint(processes: dict[str, subprocess.Popen[bytes]],
                             tmp_path: Path) -> tuple[str, int]:
    """SIGKILL the executor that wrote the job's first checkpoint (the job is mid-run then)."""
    name = wait_for(lambda: next((n for n in processes if checkpoint_steps(tmp_path, n)), None), 60,
                    0.02, what="an executor to write the job's first checkpoint")
    processes[name].send_signal(signal.SIGKILL)
    processes[name].wait(timeout=10)
    last = checkpoint_steps(tmp_path, name)[-1]
    assert last < SPEC.steps, f"executor {name} finished the job before it was killed"
    return name, last


def wait_done(executor: CeleryExecutor, job: TrainingJob) -> TrainingOutcome:
    def finished() -> JobStatus | None:
        status = executor.poll(job.job_id)
        return status if status.state in (JobState.DONE, JobState.FAILED) else None

    status = wait_for(finished, 60, what=f"job {job.job_id} to finish after its redelivery")
    assert status.state is JobState.DONE and status.outcome is not None, status.error
    return status.outcome


def assert_acknowledged_once(redis_url: str, queue: str) -> None:
    """Nothing of the job is left in the queue or among the unacknowledged messages (kombu's
    ``unacked`` hash), so no executor will run it a third time."""
    client = redis.Redis.from_url(redis_url)
    assert client.llen(queue) == 0
    assert client.hlen("unacked") == 0


def test_a_job_on_a_killed_executor_is_finished_by_the_other_with_the_same_trace_root(
    redis_url: str, queue: str, celery_executor: CeleryExecutor, reference: TrainResult, tmp_path: Path,
) -> None:
    with ExitStack() as stack:
        processes = {name: start_executor(stack, redis_url, queue, tmp_path, name) for name in ("one", "two")}
        job = submit(celery_executor)
        killed, step = kill_at_first_checkpoint(processes, tmp_path)
        assert 0 < step < SPEC.steps
        status = celery_executor.poll(job.job_id)
        assert status.state is JobState.RUNNING  # what the agent sees while the job is orphaned

        outcome = wait_done(celery_executor, job)
        survivor = next(n for n in processes if n != killed)
        assert processes[survivor].poll() is None
        assert checkpoint_steps(tmp_path, survivor)[-1] == SPEC.steps  # the survivor ran it to the end
        assert checkpoint_steps(tmp_path, killed)[-1] < SPEC.steps
        assert outcome.resumed_from == 0  # its own work dir has no checkpoint, and no artifact store
        assert outcome.trace_root == "0x" + reference.trace_root.hex()
        assert outcome.model_hash == "0x" + reference.model_hash.hex()
        assert_acknowledged_once(redis_url, queue)


def test_a_killed_executor_restarted_resumes_the_job_from_its_checkpoint(
    redis_url: str, queue: str, celery_executor: CeleryExecutor, reference: TrainResult, tmp_path: Path,
) -> None:
    with ExitStack() as stack:
        first = start_executor(stack, redis_url, queue, tmp_path, "gpu0")
        job = submit(celery_executor)
        _, step = kill_at_first_checkpoint({"gpu0": first}, tmp_path)
        # every executor of the queue is dead: the job is neither failed nor lost
        assert celery_executor.poll(job.job_id).state is JobState.RUNNING

        start_executor(stack, redis_url, queue, tmp_path, "gpu0")
        outcome = wait_done(celery_executor, job)
        assert outcome.resumed_from >= step > 0
        assert outcome.steps_run == SPEC.steps - outcome.resumed_from
        assert outcome.trace_root == "0x" + reference.trace_root.hex()
        assert outcome.model_hash == "0x" + reference.model_hash.hex()
        assert_acknowledged_once(redis_url, queue)


def test_when_every_executor_dies_the_agent_keeps_the_task_and_resubmits_its_job(
    devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str, redis_url: str,
    queue: str, reference: TrainResult, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    task_id = submitter.post(SPEC, challenge_window=3)
    state = StateDir(tmp_path / "alice")
    with ExitStack() as stack:
        first = start_executor(stack, redis_url, queue, tmp_path, "gpu0")
        alice = start_agent(devnet, deployment_file, state.root, OPERATOR_KEYS["alice"], backend_url,
                            broker=redis_url, queue=queue, stall_timeout_s=5.0)
        stack.callback(alice.halt)
        # The agent learns of a checkpoint only when it next polls the executor's progress: kill
        # once it has recorded one, so the test sees what happens to checkpoints it knew of.
        wait_for(lambda: state.exists() and (r := state.read().tasks.get(task_id)) is not None
                 and bool(r.checkpoints), 60, 0.02, what="the agent to record the job's first checkpoint")
        kill_at_first_checkpoint({"gpu0": first}, tmp_path)

        stalled = wait_for(lambda: [r for r in caplog.records if getattr(r, "event", "") == "job_stalled"
                                    and r.task_id == task_id], 60, what="the agent to see the job stalled")
        assert "its executor may have died" in stalled[0].getMessage()
        record = wait_for(lambda: (r := state.read().tasks[task_id]).attempt >= 2 and r, 30,
                          what="the job resubmitted")
        assert record.job_id != stalled[0].job_id
        assert record.phase is Phase.TRAINING and record.checkpoints  # the task and its checkpoints kept
        assert devnet.market("other").task(task_id).status is TaskStatus.CLAIMED

        start_executor(stack, redis_url, queue, tmp_path, "gpu0")
        trained = wait_for(lambda: [r for r in caplog.records if getattr(r, "event", "") == "trained"
                                    and r.task_id == task_id], 60, what="the resubmitted job to finish")
        assert trained[0].trace_root == "0x" + reference.trace_root.hex()
        assert trained[0].resumed_from > 0
        wait_for(lambda: devnet.market("other").task(task_id).status is TaskStatus.SUBMITTED
                 or devnet.market("other").task(task_id).status is TaskStatus.FINALIZED, 30,
                 what="the submission")
        task = devnet.market("other").task(task_id)
        assert task.trace_root == reference.trace_root and task.model_hash == reference.model_hash
        claims = [r for r in caplog.records if getattr(r, "event", "") == "claim_sent"]
        assert [r.task_id for r in claims] == [task_id]


def test_a_job_the_broker_refused_is_submitted_again_not_waited_on(
    devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str, queue: str,
    reference: TrainResult, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """Seen in the chaos run: the broker was down when the agent sent the job, so the job never
    reached the queue; the agent (restarted, even) must send it again once the broker is back, not
    wait the stall timeout on a job id no executor will ever see."""
    caplog.set_level(logging.INFO)
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    task_id = submitter.post(SPEC, challenge_window=3)
    state = StateDir(tmp_path / "alice")
    with ExitStack() as stack:
        alice = start_agent(devnet, deployment_file, state.root, OPERATOR_KEYS["alice"], backend_url,
                            broker=broker, queue=queue, retry_failed_after_s=1.0, stall_timeout_s=600.0)
        stack.callback(alice.halt)
        wait_for(lambda: [r for r in caplog.records if getattr(r, "event", "") == "job_not_started"
                          and r.task_id == task_id], 60, what="the agent to find the broker down")
        record = state.read().tasks[task_id]
        assert record.job_id is None and record.phase is Phase.TRAINING  # claimed, nothing sent

        server = stack.enter_context(redis_server(port, tmp_path / "redis"))
        assert server.poll() is None
        start_executor(stack, broker, queue, tmp_path, "gpu0")
        trained = wait_for(lambda: [r for r in caplog.records if getattr(r, "event", "") == "trained"
                                    and r.task_id == task_id], 120, what="the job sent again and trained")
        assert trained[0].trace_root == "0x" + reference.trace_root.hex()
        assert not [r for r in caplog.records if getattr(r, "event", "") == "job_stalled"]
