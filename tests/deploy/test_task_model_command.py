"""`tribunal task model ID --out model.safetensors`: the checked final state's parameters as safetensors,
with what the chain verified in the metadata and the spec beside them; `safetensors.torch.load_file`
and `tribunal.models.to_torch` load them back bit for bit, without the dataset. `--format` picks the
checkpoint or a torch state dict instead."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from deploy.cli import app
from tests.support.backend import serve_backend, settings_for
from tests.support.chain import ETHER, Devnet
from tests.support.diloco_job import OUTER_TASK, FakeJobs, FakeMarket, build_world
from tests.support.disputes import operator_run
from tests.support.specs import tiny_spec
from tribunal import cli_common
from tribunal.artifact_cache import CACHE_ENV
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.deployment import save_deployment
from tribunal.commitments import final_state_proof
from tribunal.diloco import global_from_checkpoint
from tribunal.models import to_torch
from tribunal.models.model_file import read_card, read_safetensors_metadata, spec_path
from tribunal.spec import Momentum, canonical_json
from tribunal.tasks import prepare_task


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def test_task_model_writes_safetensors_and_the_spec_beside_them(
    devnet: Devnet, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    # momentum: optimizer state, which the model leaves out
    spec = tiny_spec(seed=3, steps=4, batch_size=4, optimizer=Momentum(lr=0.1, momentum=0.9))
    prepared = prepare_task(spec, "artifact://spec")
    run = operator_run(prepared)
    now = int(devnet.anvil.w3.eth.get_block("latest")["timestamp"])
    devnet.stake_manager("operator").stake(10 * ETHER)
    final, proof = final_state_proof(run.claims.state_commitments)
    task_id, _ = devnet.market("submitter").post_task(
        prepared.task_params(min_stake=ETHER, deadline=now + 3600, challenge_window=600), ETHER)
    devnet.market("operator").claim(task_id)
    devnet.market("operator").submit_result(task_id, run.claims.trace_root, final, proof,
                                            run.model.content_hash)
    deployment_file = save_deployment(devnet.deployment, tmp_path / "deployment.json")
    settings = settings_for(new_database("sqlite"), tmp_path)

    with serve_backend(settings) as url:
        with ArtifactClient(url) as store:
            store.upload_bytes(prepared.spec_bytes, "spec")
            store.upload_bytes(run.model.to_bytes(), "model")
        common = ["--rpc-url", devnet.anvil.rpc_url, "--deployment", str(deployment_file),
                  "--artifact-store", url]
        out = tmp_path / "out" / "model.safetensors"
        done = CliRunner().invoke(app, ["task", "model", str(task_id), "--out", str(out), *common])
        assert done.exit_code == 0, done.output
        text = " ".join(done.output.split())
        assert "matches the committed final state" in text and "safetensors" in text
        ckpt = tmp_path / "model.ckpt"
        as_checkpoint = CliRunner().invoke(app, ["task", "model", str(task_id), "--out", str(ckpt), *common])
        assert as_checkpoint.exit_code == 0, as_checkpoint.output
        as_torch = tmp_path / "model.bin"
        chosen = CliRunner().invoke(app, ["task", "model", str(task_id), "--out", str(as_torch),
                                          "--format", "torch", *common])
        assert chosen.exit_code == 0, chosen.output

    graph, checkpoint = prepared.graph, run.model
    params = {graph.slots[j].name: checkpoint.state[j] for j in graph.param_slots}
    assert ckpt.read_bytes() == checkpoint.to_bytes()
    assert sorted(torch.load(as_torch)) == sorted(params)

    # only the parameters, by slot name, bit for bit
    loaded = load_file(out)
    assert sorted(loaded) == sorted(params) and len(params) < len(graph.slots)
    for name, value in params.items():
        assert loaded[name].numpy().tobytes() == np.ascontiguousarray(value).tobytes(), name

    meta = read_safetensors_metadata(out)
    assert meta["tribunal.spec_hash"] == _hex(prepared.spec_hash)
    assert meta["tribunal.task_id"] == str(task_id)
    assert meta["tribunal.chain_id"] == str(devnet.deployment.chain_id)
    assert meta["tribunal.final_state_root"] == _hex(final)
    assert meta["tribunal.trace_root"] == _hex(run.claims.trace_root)
    assert meta["tribunal.model_hash"] == _hex(checkpoint.content_hash)

    beside = out.with_name("model.spec.json")
    fields = json.loads(beside.read_text())
    assert canonical_json(read_card(beside).spec) == prepared.spec_bytes
    assert fields["spec_hash"] == _hex(prepared.spec_hash) and fields["final_state_root"] == _hex(final)
    assert fields["parameters"] == {name: list(value.shape) for name, value in params.items()}
    assert fields["num_features"] == 64 and fields["num_outputs"] == 10

    model = to_torch(beside, loaded)
    assert all(torch.equal(model.state_dict()[name], loaded[name]) for name in loaded)
    features = torch.from_numpy(np.array(prepared.dataset.test_rows[:5, :64]))
    with torch.no_grad():
        assert model(features).shape == (5, 10)
        torch.testing.assert_close(to_torch(prepared.spec, out)(features), model(features))


def test_parameters_rebuilt_without_a_checkpoint_are_written_in_the_asked_format(tmp_path: Path) -> None:
    """What `--challenge` (or chunk-by-chunk assembly) recovers is the parameters alone: written as
    safetensors with the spec beside them, and as a state dict for the torch and checkpoint formats."""
    from deploy.cli import ModelFormat, _write_model
    from tribunal.models.model_file import ModelCard, ModelProvenance, ModelSizes

    prepared = prepare_task(tiny_spec(), "artifact://spec")
    run = operator_run(prepared)
    graph = prepared.graph
    params = {graph.slots[j].name: run.model.state[j] for j in graph.param_slots}
    card = ModelCard(prepared.spec, ModelSizes(64, 1, 10), ModelProvenance(
        3, 31337, prepared.spec_hash, b"\x01" * 32, run.claims.trace_root, run.model.content_hash))
    for name, fmt in (("m.safetensors", None), ("m.pt", None), ("m.ckpt", None), ("m.bin", "safetensors")):
        out = tmp_path / name
        chosen = ModelFormat(fmt) if fmt else ModelFormat.for_path(out)
        wrote = _write_model(out, chosen, params, lambda: card)
        if chosen is ModelFormat.SAFETENSORS:
            assert "safetensors" in wrote and out.with_name("m.spec.json").exists()
            model = to_torch(out.with_name("m.spec.json"), out)
            assert all(torch.equal(model.state_dict()[n], torch.from_numpy(v)) for n, v in params.items())
        else:
            assert "state dict" in wrote
            assert sorted(torch.load(out)) == sorted(params)


def test_the_model_of_a_diloco_job_is_downloaded_like_any_tasks(
    new_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DiLoCo job's model is its last outer task's final checkpoint; no spec is stored under that
    task's chain hash, so the command derives it (`DilocoResolver` over the deployment's jobs contract)
    to check the file and write the spec beside the parameters. The chain is a stand-in
    (`tests.support.diloco_job`); the artifact store is a real backend."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "job-cache"))
    world = build_world(tmp_path)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))  # this machine has nothing of the job
    session = SimpleNamespace(market=FakeMarket(world.tasks), diloco_jobs=FakeJobs(world), game=None,
                              deployment=SimpleNamespace(block_number=0, chain_id=31337))
    monkeypatch.setattr(cli_common, "session_or_exit", lambda *args, **kwargs: session)
    with serve_backend(settings_for(new_database("sqlite"), tmp_path)) as url:
        with ArtifactClient(url) as store:
            for data in world.store.values():
                store.upload_bytes(data, "other")
        out = tmp_path / "out" / "model.safetensors"
        done = CliRunner().invoke(app, ["task", "model", str(OUTER_TASK), "--out", str(out),
                                        "--artifact-store", url])
    assert done.exit_code == 0, done.output
    assert "matches the committed final state" in " ".join(done.output.split())
    final = world.checkpoints[OUTER_TASK][-1]
    params = global_from_checkpoint(world.job, final)
    loaded = load_file(out)
    names = [n for n in final.names if n.startswith("param.")]
    assert sorted(loaded) == sorted(names)
    for name, value in zip(names, params, strict=False):
        assert loaded[name].numpy().tobytes() == value.tobytes()
    assert read_card(spec_path(out)).spec == world.specs[OUTER_TASK]
