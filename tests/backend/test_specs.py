"""/api/specs, /api/datasets and /api/config: what the dashboard needs to post a task."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from tests.support.backend import settings_for
from tests.support.chain import Devnet
from tribunal.chain.deployment import save_deployment
from tribunal.spec import MlpConfig, Sgd, TaskSpec, canonical_json
from tribunal.tasks import prepare_task

SPEC = TaskSpec(model=MlpConfig(hidden=(8,)), dataset="iris", optimizer=Sgd(lr=0.1),
                batch_size=8, seed=1, steps=5, checkpoint_every=5)


@pytest.fixture()
def client(tmp_path: Path, deployed: Devnet) -> TestClient:
    deployment_file = save_deployment(deployed.deployment, tmp_path / "deployment.json")
    settings = settings_for(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, deployment_file,
                            rpc_url=deployed.anvil.rpc_url)
    with TestClient(create_app(settings)) as c:
        yield c


def test_posting_a_spec_stores_it_and_returns_the_roots_post_task_needs(client: TestClient) -> None:
    first = client.post("/api/specs", content=canonical_json(SPEC))
    assert first.status_code == 201, first.text
    body = first.json()
    prepared = prepare_task(SPEC, spec_uri="")
    assert body["specHash"] == "0x" + prepared.spec_hash.hex()
    assert body["datasetRoot"] == "0x" + prepared.dataset_root.hex()
    assert body["initStateRoot"] == "0x" + prepared.init_state_root.hex()
    assert body["graphRoot"] == "0x" + prepared.graph_root.hex()
    assert (body["steps"], body["checkpointEvery"]) == (5, 5)
    assert body["specURI"].endswith(f"/api/artifacts/{body['specHash']}")
    stored = client.get(f"/api/artifacts/{body['specHash']}")
    assert stored.content == canonical_json(SPEC)
    again = client.post("/api/specs", content=canonical_json(SPEC))
    assert again.status_code == 200 and again.json()["specHash"] == body["specHash"]


def test_an_invalid_spec_is_refused_with_the_reason(client: TestClient) -> None:
    bad_batch = SPEC.model_dump(mode="json") | {"batch_size": 10_000}
    refused = client.post("/api/specs", json=bad_batch)
    assert refused.status_code == 422
    assert "batch_size" in refused.json()["detail"]
    assert client.post("/api/specs", content=b"not json").status_code == 422
    assert client.post("/api/specs", content=b"x" * 70_000).status_code == 413


def test_datasets_and_config_describe_what_can_be_posted_where(client: TestClient,
                                                               deployed: Devnet) -> None:
    datasets = {d["name"]: d for d in client.get("/api/datasets").json()}
    assert datasets["digits"]["rows"] == 1438 and datasets["digits"]["num_classes"] == 10
    config = client.get("/api/config").json()
    assert config["chain_id"] == 31337
    assert config["contracts"]["task_market"] == deployed.deployment.task_market
    assert config["contracts"]["dispute_game"] == deployed.deployment.dispute_game
    params = deployed.deployment.params
    assert config["params"] == params | {"challenger_bond": str(params["challenger_bond"])}  # wei: a string
