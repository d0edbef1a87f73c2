"""GET /api/tasks/{id}/model: the file a result's model hash names is offered only if its state is the
final state h_S the result committed on-chain (leaf S of the trace root); another state's checkpoint
is refused with what differs, and a file not uploaded yet is reported unavailable (asked again).
GET /api/tasks/{id}/model/safetensors serves the checked file's parameters as safetensors (what
`tribunal.models.to_torch` loads), and nothing for a refused or missing file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from safetensors.torch import load_file

from backend.api.app import create_app
from backend.db.engine import upgrade_database
from tests.support.backend import settings_for
from tests.support.chain import ETHER, Devnet
from tests.support.disputes import operator_run
from tests.support.indexing import make_indexer
from tests.support.specs import tiny_spec
from tribunal.chain.deployment import save_deployment
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import final_state_proof
from tribunal.merkle import keccak256
from tribunal.models import to_torch
from tribunal.models.model_file import read_safetensors_metadata
from tribunal.tasks import prepare_task


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def test_the_model_endpoint_offers_only_the_committed_final_state(
    devnet: Devnet, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    prepared = prepare_task(tiny_spec(seed=5, steps=4, batch_size=4), "artifact://spec")
    run = operator_run(prepared)
    steps, states = prepared.spec.steps, run.claims.state_commitments
    other = run.checkpoints[2]
    wrong = Checkpoint(prepared.spec_hash, steps, other.names, other.state,
                       [*states[:steps], other.state_commitments[-1]], other.leaves)
    stale = run.checkpoints[2]  # never uploaded: its task's model file is unavailable

    url = new_database("sqlite")
    upgrade_database(url)
    deployment_file = save_deployment(devnet.deployment, tmp_path / "deployment.json")
    settings = settings_for(url, tmp_path, deployment_file, rpc_url=devnet.anvil.rpc_url)
    app = create_app(settings, migrate=False)
    now = int(devnet.anvil.w3.eth.get_block("latest")["timestamp"])
    devnet.stake_manager("operator").stake(10 * ETHER)
    final, proof = final_state_proof(states)
    tasks = {}
    for name, model in (("honest", run.model), ("wrong", wrong), ("missing", stale)):
        task_id, _ = devnet.market("submitter").post_task(
            prepared.task_params(min_stake=ETHER, deadline=now + 3600, challenge_window=600), ETHER)
        devnet.market("operator").claim(task_id)
        devnet.market("operator").submit_result(task_id, run.claims.trace_root, final, proof,
                                                model.content_hash)
        tasks[name] = task_id
    make_indexer(url, devnet.deployment, devnet.anvil.rpc_url).sync()

    with TestClient(app) as c:
        for data, kind in ((prepared.spec_bytes, "spec"), (run.model.to_bytes(), "model"),
                           (wrong.to_bytes(), "model")):
            assert c.put(f"/api/artifacts/{_hex(keccak256(data))}", content=data,
                         params={"kind": kind}).status_code in (200, 201)

        detail = c.get(f"/api/tasks/{tasks['honest']}").json()
        assert detail["final_state_root"] == _hex(final)
        assert detail["trace_root"] == _hex(run.claims.trace_root)
        assert [s["final_state_root"] for s in detail["submissions"]] == [_hex(final)]

        honest = c.get(f"/api/tasks/{tasks['honest']}/model").json()
        assert honest["status"] == "matches" and honest["mismatch"] is None
        assert honest["download_url"] == f"/api/artifacts/{_hex(run.model.content_hash)}"
        assert honest["final_state_root"] == _hex(final)
        assert c.get(honest["download_url"]).content == run.model.to_bytes()
        assert honest["safetensors_url"] == f"/api/tasks/{tasks['honest']}/model/safetensors"
        served = c.get(honest["safetensors_url"])
        assert served.status_code == 200, served.text
        assert served.headers["content-disposition"] == (
            f'attachment; filename="task-{tasks["honest"]}.safetensors"')
        (tmp_path / "task.safetensors").write_bytes(served.content)
        params = load_file(tmp_path / "task.safetensors")
        graph = prepared.graph
        assert sorted(params) == sorted(graph.slots[j].name for j in graph.param_slots)
        for j in graph.param_slots:
            assert params[graph.slots[j].name].numpy().tobytes() == run.model.state[j].tobytes()
        meta = read_safetensors_metadata(served.content)
        assert meta["tribunal.final_state_root"] == _hex(final)
        assert meta["tribunal.task_id"] == str(tasks["honest"])
        assert meta["tribunal.chain_id"] == str(devnet.deployment.chain_id)
        model = to_torch(tmp_path / "task.safetensors", tmp_path / "task.safetensors")
        assert sorted(model.state_dict()) == sorted(params)

        refused = c.get(f"/api/tasks/{tasks['wrong']}/model").json()
        assert (refused["status"], refused["mismatch"]) == ("mismatch", "final_state")
        assert refused["download_url"] is None
        assert "not the committed final state" in refused["detail"]
        assert refused["safetensors_url"] is None
        assert c.get(f"/api/tasks/{tasks['wrong']}/model/safetensors").status_code == 409

        missing = c.get(f"/api/tasks/{tasks['missing']}/model").json()
        assert (missing["status"], missing["download_url"]) == ("unavailable", None)
        assert "not in the artifact store" in missing["detail"]
        assert c.get(f"/api/tasks/{tasks['missing']}/model/safetensors").status_code == 404
        # an upload later is seen at once: "unavailable" is not kept (and the answer is not cached)
        data = stale.to_bytes()
        c.put(f"/api/artifacts/{_hex(stale.content_hash)}", content=data, params={"kind": "checkpoint"})
        late = c.get(f"/api/tasks/{tasks['missing']}/model").json()
        assert (late["status"], late["mismatch"]) == ("mismatch", "step")

        assert c.get("/api/tasks/999/model").status_code == 404
        assert c.get("/api/tasks/999/model/safetensors").status_code == 404
