"""A submitter's whole path on a small slice, with the real commands, a real anvil, backend and
operator agent: the user's own CSV and pretrained weights uploaded by `tribunal task post`, the
job trained and finalised, the model downloaded by `tribunal task model` as safetensors, loaded
with `tribunal.models.to_torch`, and its outputs on the uploaded data's held-out rows equal to the
RepOps evaluation the operator published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import torch
from safetensors.torch import load_file

from tests.support.agents import start_agent
from tests.support.chain import Devnet, actor_key
from tests.support.submitter_cli import EXAMPLES, Cli, said
from tests.support.waiting import wait_for
from tribunal.datasets import load_dataset
from tribunal.datasets.ingest import IngestOptions, ingest_file
from tribunal.evaluation import evaluate_state
from tribunal.models import initial_state, model_dims, state_layout, to_torch
from tribunal.models.pretrained import write_safetensors_state
from tribunal.protocol_enums import TaskStatus
from tribunal.spec import MlpConfig, TaskSpec

JOB = """\
loss = "cross_entropy"
batch_size = 8
seed = 1
steps = 12
checkpoint_every = 4
init = "pretrained.safetensors"

[dataset]
file = "measurements.csv"
target = ["species"]
task = "classification"

[model]
kind = "mlp"
hidden = [16]

[optimizer]
kind = "sgd"
lr = 0.1

[terms]
reward = "1"
min_stake = "2"
deadline = "1h"
challenge_window = "3s"
"""


def post_and_train(cli: Cli, devnet: Devnet, deployment_file: Path, backend_url: str, tmp_path: Path,
                   folder: Path, timeout_s: int) -> tuple[int, str]:
    """`tribunal task post FOLDER/job.toml --wait` while a real operator agent trains it: the task
    id and what the command said (one line)."""
    agent = start_agent(devnet, deployment_file, tmp_path / "operator", actor_key("operator"), backend_url,
                        api_url=backend_url)
    try:
        task_id, posted = cli.post(folder / "job.toml", "--wait", "--poll-interval", "0.1",
                                   "--timeout", str(timeout_s))
    finally:
        agent.halt()
    return task_id, said(posted)


def operator_evaluation(backend_url: str, task_id: int) -> dict[str, Any]:
    """The evaluation the operator published for ``task_id`` (it may land after finalisation)."""
    def published() -> dict[str, Any] | None:
        detail = httpx.get(f"{backend_url}/api/tasks/{task_id}", timeout=10).json()
        mine = [e for e in detail.get("evaluations", []) if e["role"] == "operator"]
        return mine[0] if mine else None

    report: dict[str, Any] = wait_for(published, 60, 0.1, what="the operator's evaluation report")
    return report


def pretrained(folder: Path) -> dict[str, np.ndarray]:
    """'Pretrained' weights for the job's MLP: another seed's draw, so the start is visibly not the
    job's own seeded one."""
    data = ingest_file(EXAMPLES / "measurements.csv",
                       IngestOptions(name="measurements", targets=("species",)))
    other = TaskSpec(model=MlpConfig(hidden=(16,)), dataset="iris", seed=99, batch_size=8)
    layout = state_layout(other, data)
    weights = {slot.name: value for slot, value in zip(layout, initial_state(other, data), strict=True)
               if slot.name.startswith("param.")}
    (folder / "pretrained.safetensors").write_bytes(write_safetensors_state(weights))
    return weights


def test_own_data_and_weights_in_a_trained_model_out(cli: Cli, devnet: Devnet, deployment_file: Path,
                                                     backend_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "measurements.csv").write_text((EXAMPLES / "measurements.csv").read_text())
    (folder / "job.toml").write_text(JOB)
    weights = pretrained(folder)

    task_id, output = post_and_train(cli, devnet, deployment_file, backend_url, tmp_path, folder, 120)
    assert "initial weights" in output and "uploaded as 0x" in output, output
    assert devnet.market("other").task(task_id).status is TaskStatus.FINALIZED

    out = tmp_path / "model" / "model.safetensors"
    downloaded = cli("task", "model", str(task_id), "--out", str(out), "--artifact-store", backend_url)
    assert downloaded.exit_code == 0, said(downloaded)
    assert "matches the committed final state" in said(downloaded)

    model = to_torch(out.with_name("model.spec.json"), out)
    spec = model.spec
    assert spec.init is not None and spec.dataset.startswith("0x")
    dataset = load_dataset(spec.dataset)  # fetched into this machine's cache by the commands above
    layout = state_layout(spec, dataset)
    start = {s.name: v for s, v in zip(layout, initial_state(spec, dataset), strict=True)}
    for name, value in weights.items():  # the job started from the uploaded weights, not its seed
        assert np.array_equal(start[name], value), name
    trained = load_file(out)
    assert any(not np.array_equal(trained[name].numpy(), value) for name, value in weights.items())

    dims = model_dims(spec, dataset)
    features = torch.from_numpy(np.array(dataset.test_features))
    with torch.no_grad():
        predicted = model.eval()(features).argmax(dim=-1).numpy()
    accuracy = float(np.mean(predicted == dataset.test_targets[:, 0].astype(np.int64)))
    params = {name: tensor.numpy() for name, tensor in trained.items()}
    slots = state_layout(spec, dataset)
    state = [params[slot.name] if slot.name in params else np.zeros(slot.shape, np.float32) for slot in slots]
    repops = evaluate_state(spec, state, dataset=dataset)
    assert repops.accuracy is not None and abs(accuracy - repops.accuracy) < 1e-9
    assert dims.num_features == dataset.num_features

    report = operator_evaluation(backend_url, task_id)
    assert report["test_rows"] == dataset.num_test_rows
    assert report["test_accuracy"] == repops.accuracy and report["test_loss"] == repops.loss


def test_minilm_fine_tuned_on_own_text_end_to_end(cli: Cli, devnet: Devnet, deployment_file: Path,
                                                  backend_url: str, tmp_path: Path) -> None:
    """The documented text job, shortened: MiniLM's packaged weights as the start, reviews as
    WordPiece ids, the head trained, the model back through safetensors and to_torch."""
    folder = tmp_path / "text-job"
    folder.mkdir()
    (folder / "reviews.csv").write_text((EXAMPLES / "reviews.csv").read_text())
    job = (EXAMPLES / "job-text.toml").read_text()
    job = job.replace("steps = 20", "steps = 2").replace("checkpoint_every = 5", "checkpoint_every = 2")
    job = job.replace("context = 32 ", "context = 16 ")
    job = job.replace('challenge_window = "5m"', 'challenge_window = "3s"')
    (folder / "job.toml").write_text(job)

    task_id, output = post_and_train(cli, devnet, deployment_file, backend_url, tmp_path, folder, 300)
    assert "pretrained all-MiniLM-L6-v2:" in output and "parameters uploaded" in output, output
    out = tmp_path / "model" / "minilm.safetensors"
    downloaded = cli("task", "model", str(task_id), "--out", str(out), "--artifact-store", backend_url)
    assert downloaded.exit_code == 0, said(downloaded)

    model = to_torch(out.with_name("minilm.spec.json"), out)
    spec = model.spec
    assert spec.model.kind == "encoder" and (spec.model.heads, spec.model.context) == (12, 16)
    dataset = load_dataset(spec.dataset)
    features = torch.from_numpy(np.array(dataset.test_features))
    with torch.no_grad():
        predicted = model.eval()(features).argmax(dim=-1).numpy()
    accuracy = float(np.mean(predicted == dataset.test_targets[:, 0].astype(np.int64)))

    report = operator_evaluation(backend_url, task_id)
    assert report["test_rows"] == dataset.num_test_rows
    assert abs(report["test_accuracy"] - accuracy) < 1e-9
