"""/api/specs, /api/datasets and /api/config: what the dashboard needs to post a task.

POST /api/specs checks a spec and this backend's limits in the request (413, 422), rate-limits
each client (429), and queues the preparation (the roots) to the jobs worker: 202 and a job to
poll, done with the same fields the request computed before, or failed with the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from backend.api.app import create_app
from backend.artifacts.store import ArtifactStore
from backend.services import specs as spec_service
from tests.support.backend import settings_for
from tests.support.chain import Devnet
from tests.support.waiting import wait_for
from tribunal.chain.deploy import DeployParams
from tribunal.chain.deployment import save_deployment
from tribunal.spec import MlpConfig, Sgd, TaskSpec, canonical_json
from tribunal.tasks import PreparedTask, prepare_task

SPEC = TaskSpec(model=MlpConfig(hidden=(8,)), dataset="iris", optimizer=Sgd(lr=0.1),
                batch_size=8, seed=1, steps=5, checkpoint_every=5)

ClientFactory = Callable[..., TestClient]


@pytest.fixture()
def client(tmp_path: Path, deployed: Devnet) -> Iterator[TestClient]:
    deployment_file = save_deployment(deployed.deployment, tmp_path / "deployment.json")
    settings = settings_for(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, deployment_file,
                            rpc_url=deployed.anvil.rpc_url)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture()
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    """API clients without a chain, with the settings a test changes (each its own database)."""
    opened: list[TestClient] = []

    def make(database_url: str | None = None, **settings: Any) -> TestClient:
        folder = tmp_path / f"api{len(opened)}"
        url = database_url or f"sqlite:///{folder}.sqlite"
        client = TestClient(create_app(settings_for(url, folder, **settings)))
        opened.append(client.__enter__())
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def poll(client: TestClient, url: str, until: tuple[str, ...] = ("done", "failed"),
         timeout_s: float = 60) -> dict[str, Any]:
    """The job at `url` once its status is one of `until`."""
    def reached() -> dict[str, Any] | None:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()
        return job if job["status"] in until else None

    return wait_for(reached, timeout_s, 0.02, what=f"the spec job {url} to be {' or '.join(until)}")


def synchronous_answer(spec: TaskSpec, spec_uri: str) -> dict[str, Any]:
    """What POST /api/specs answered when it prepared the spec inside the request."""
    return spec_service.describe(spec_service.commitments(prepare_task(spec, spec_uri="")), spec_uri)


@pytest.fixture()
def held_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Spec jobs wait, once running, until the event is set (set at the end in any case)."""
    release = threading.Event()
    prepare = spec_service.parse_and_prepare

    def held(body: bytes, store: ArtifactStore | None = None) -> tuple[TaskSpec, PreparedTask]:
        assert release.wait(60), "a held spec job was never released"
        return prepare(body, store=store)

    monkeypatch.setattr(spec_service, "parse_and_prepare", held)
    yield release
    release.set()


# ---------------------------------------------------------------- the job and its status resource


def test_posting_a_spec_queues_a_job_that_ends_with_the_synchronous_answer(client: TestClient) -> None:
    queued = client.post("/api/specs", content=canonical_json(SPEC))
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert job["status"] in ("pending", "running", "done") and job["result"] is None
    assert queued.headers["location"] == job["status_url"] == f"/api/specs/jobs/{job['job_id']}"
    done = poll(client, job["status_url"])
    assert done["status"] == "done" and done["error"] is None, done
    result = done["result"]
    assert result == synchronous_answer(SPEC, f"http://testserver/api/artifacts/{result['specHash']}")
    assert (result["steps"], result["checkpointEvery"]) == (5, 5)
    stored = client.get(f"/api/artifacts/{result['specHash']}")
    assert stored.content == canonical_json(SPEC)
    assert client.get(f"/api/artifacts/{result['specHash']}/meta").json()["kind"] == "spec"

    again = client.post("/api/specs", content=canonical_json(SPEC))
    assert again.status_code == 200 and again.json() == result  # from the store, no job


def test_the_job_and_its_result_are_kept_in_each_database(make_client: ClientFactory, db_url: str) -> None:
    client = make_client(database_url=db_url)
    done = poll(client, client.post("/api/specs", content=canonical_json(SPEC)).json()["status_url"])
    result = done["result"]
    assert result == synchronous_answer(SPEC, f"http://testserver/api/artifacts/{result['specHash']}")
    again = client.post("/api/specs", content=canonical_json(SPEC))
    assert again.status_code == 200 and again.json() == result


@pytest.mark.redis
def test_with_a_broker_a_celery_worker_prepares_the_spec(make_client: ClientFactory, redis_url: str) -> None:
    from celery.contrib.testing.worker import start_worker

    redis.Redis.from_url(redis_url).flushdb()  # the broker's Redis holds the rate buckets too
    client = make_client(celery_broker_url=redis_url)
    celery = client.app.state.tribunal.jobs.app
    assert not celery.conf.task_always_eager
    queued = client.post("/api/specs", content=canonical_json(SPEC))
    assert queued.status_code == 202 and queued.json()["status"] == "pending"  # no worker yet
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        done = poll(client, queued.json()["status_url"])
    result = done["result"]
    assert result == synchronous_answer(SPEC, f"http://testserver/api/artifacts/{result['specHash']}")


def test_posting_a_spec_being_prepared_answers_the_same_job(make_client: ClientFactory,
                                                            held_jobs: threading.Event) -> None:
    client = make_client()
    first = client.post("/api/specs", content=canonical_json(SPEC)).json()
    second = client.post("/api/specs", content=canonical_json(SPEC))
    assert second.status_code == 202 and second.json()["job_id"] == first["job_id"]
    assert poll(client, first["status_url"], until=("running",))["result"] is None
    held_jobs.set()
    assert poll(client, first["status_url"])["status"] == "done"


def test_a_failed_job_is_reported_with_its_error_and_posting_again_retries(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()

    def broken(spec: TaskSpec, spec_uri: str) -> PreparedTask:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(spec_service, "prepare_task", broken)
    failed = poll(client, client.post("/api/specs", content=canonical_json(SPEC)).json()["status_url"])
    assert failed["status"] == "failed" and failed["result"] is None
    assert "RuntimeError: the disk is full" in failed["error"] and "post it again" in failed["error"]

    def refused(spec: TaskSpec, spec_uri: str) -> PreparedTask:
        raise ValueError("the graph does not fit")

    monkeypatch.setattr(spec_service, "prepare_task", refused)
    retried = client.post("/api/specs", content=canonical_json(SPEC)).json()
    assert retried["job_id"] != failed["job_id"]
    invalid = poll(client, retried["status_url"])
    assert invalid["status"] == "failed" and invalid["error"] == "the spec is invalid: the graph does not fit"

    monkeypatch.undo()
    third = client.post("/api/specs", content=canonical_json(SPEC)).json()
    assert poll(client, third["status_url"])["status"] == "done"


def test_a_job_not_done_within_the_timeout_is_reported_failed(make_client: ClientFactory,
                                                              held_jobs: threading.Event) -> None:
    client = make_client(spec_job_timeout_s=0.3)
    job = client.post("/api/specs", content=canonical_json(SPEC)).json()
    timed_out = poll(client, job["status_url"], until=("failed",))
    assert "not done within 0.3 s" in timed_out["error"] and timed_out["elapsed_s"] == 0.3
    assert client.post("/api/specs", content=canonical_json(SPEC)).json()["job_id"] != job["job_id"]

    def late_finishes() -> float:
        late = {"job": "prepare_spec", "outcome": "late"}
        return REGISTRY.get_sample_value("tribunal_jobs_total", late) or 0.0

    before = late_finishes()
    held_jobs.set()  # its worker finishes now, after the job was reported failed
    wait_for(lambda: late_finishes() > before, 30, 0.02, what="the timed-out job's worker to finish late")
    assert client.get(job["status_url"]).json() == timed_out  # what the poller was told stays true


def test_an_unknown_job_is_404_and_a_malformed_id_422(make_client: ClientFactory) -> None:
    client = make_client()
    missing = client.get("/api/specs/jobs/" + "0" * 32)
    assert missing.status_code == 404 and "POST the spec" in missing.json()["detail"]
    assert client.get("/api/specs/jobs/nope").status_code == 422


# ---------------------------------------------------------------- bounds: 413 and 422


def test_an_invalid_spec_is_refused_with_the_reason(client: TestClient) -> None:
    bad_batch = SPEC.model_dump(mode="json") | {"batch_size": 10_000}
    refused = client.post("/api/specs", json=bad_batch)
    assert refused.status_code == 422
    assert "batch_size" in refused.json()["detail"]
    assert client.post("/api/specs", content=b"not json").status_code == 422
    unfit = SPEC.model_dump(mode="json") | {"loss": "mse"}
    assert "use loss 'cross_entropy'" in client.post("/api/specs", json=unfit).json()["detail"]


def test_a_body_beyond_the_size_limit_is_413_by_length_or_as_it_streams(make_client: ClientFactory) -> None:
    client = make_client()
    declared = client.post("/api/specs", content=b"x" * 70_000)
    assert declared.status_code == 413
    assert declared.json()["detail"] == ("a spec is at most 65,536 bytes (TRIBUNAL_SPEC_MAX_BYTES), "
                                         "this one 70,000")
    streamed = client.post("/api/specs", content=iter([b"x" * 40_000, b"x" * 40_000]))
    assert streamed.status_code == 413 and "more" in streamed.json()["detail"]
    small = make_client(spec_max_bytes=100)
    assert small.post("/api/specs", content=canonical_json(SPEC)).status_code == 413


def test_a_spec_beyond_the_default_model_limit_is_refused_at_once(make_client: ClientFactory) -> None:
    huge = SPEC.model_dump(mode="json") | {"model": {"kind": "mlp", "hidden": [4096, 4096, 4096]}}
    refused = make_client().post("/api/specs", json=huge)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("model: 33,595,395 parameters exceed this backend's "
                                               "limit of 4,000,000 (TRIBUNAL_SPEC_MAX_PARAMETERS)")


@pytest.mark.parametrize(("setting", "change", "named"), [
    ("spec_max_steps", {"steps": 6, "checkpoint_every": 6}, "steps: 6 exceeds this backend's limit of 5 "
                                                            "(TRIBUNAL_SPEC_MAX_STEPS)"),
    ("spec_max_batch", {"batch_size": 9}, "batch_size: 9 exceeds this backend's limit of 8 "
                                          "(TRIBUNAL_SPEC_MAX_BATCH)"),
    ("spec_max_parameters", {"model": {"kind": "mlp", "hidden": [9]}},
     "model: 75 parameters exceed this backend's limit of 67 (TRIBUNAL_SPEC_MAX_PARAMETERS)"),
    ("spec_max_train_flops", {"steps": 6, "checkpoint_every": 6},
     "steps: training would take about 1.93e+04 FLOPs (6 x 67 parameters x batch_size 8 x 6 steps), "
     "beyond this backend's limit of 1.61e+04 (TRIBUNAL_SPEC_MAX_TRAIN_FLOPS)"),
], ids=["steps", "batch", "parameters", "training compute"])
def test_each_limit_refuses_a_spec_beyond_it_naming_the_field_and_the_limit(
    make_client: ClientFactory, setting: str, change: dict[str, Any], named: str
) -> None:
    # SPEC (hidden 8 on iris: 67 parameters, batch 8, 5 steps) sits exactly on each limit
    limit = {"spec_max_steps": 5, "spec_max_batch": 8, "spec_max_parameters": 67,
             "spec_max_train_flops": 6 * 67 * 8 * 5}[setting]
    client = make_client(**{setting: limit})
    refused = client.post("/api/specs", json=SPEC.model_dump(mode="json") | change)
    assert refused.status_code == 422 and refused.json()["detail"].startswith(named), refused.text
    assert client.post("/api/specs", content=canonical_json(SPEC)).status_code == 202


# ---------------------------------------------------------------- rate limit: 429


def test_a_client_beyond_its_burst_gets_429_with_retry_after(make_client: ClientFactory) -> None:
    client = make_client(spec_rate_burst=3, spec_rate_per_minute=2)
    for _ in range(3):
        assert client.post("/api/specs", content=b"not json").status_code == 422
    limited = client.post("/api/specs", content=canonical_json(SPEC))
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 30
    assert limited.json()["detail"] == ("too many spec uploads from testclient: at most 3 at once, then 2 "
                                        f"per minute; retry in {limited.headers['retry-after']} s")
    other = TestClient(client.app, client=("10.0.0.2", 1234))  # the app is started already
    assert other.post("/api/specs", content=b"not json").status_code == 422  # its own bucket
    assert client.get("/api/datasets").status_code == 200  # reads are not limited


@pytest.mark.redis
def test_api_processes_on_one_redis_share_each_clients_bucket(make_client: ClientFactory,
                                                              redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    first, second = (make_client(rate_limit_redis_url=redis_url, spec_rate_burst=2, spec_rate_per_minute=1)
                     for _ in range(2))
    assert first.post("/api/specs", content=b"not json").status_code == 422
    assert second.post("/api/specs", content=b"not json").status_code == 422
    assert first.post("/api/specs", content=b"not json").status_code == 429
    assert second.post("/api/specs", content=b"not json").status_code == 429


# ---------------------------------------------------------------- datasets and config


def test_datasets_and_config_describe_what_can_be_posted_where(client: TestClient,
                                                               deployed: Devnet) -> None:
    datasets = {d["name"]: d for d in client.get("/api/datasets").json()}
    assert datasets["digits"]["rows"] == 1438 and datasets["digits"]["num_classes"] == 10
    config = client.get("/api/config").json()
    assert config["chain_id"] == 31337
    assert config["contracts"]["task_market"] == deployed.deployment.task_market
    assert config["contracts"]["dispute_game"] == deployed.deployment.dispute_game
    assert config["contracts"]["diloco_jobs"] == deployed.deployment.diloco_jobs
    params = deployed.deployment.params
    # wei amounts are strings
    wei = {name: str(params[name]) for name in ("challenger_bond", "min_task_stake", "chunk_bond", "pot_wei",
                                                "verifier_bond_wei")}
    assert config["params"] == params | wei
    # the jackpot's committee parameters sit beside its pot
    assert config["params"]["verifier_bond_wei"] == str(DeployParams().verifier_bond_wei)
    assert config["params"]["committee_size"] == DeployParams().committee_size
    assert {"min_challenge_window", "min_task_stake", "claim_timeout"} <= config["params"].keys()
