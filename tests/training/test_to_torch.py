"""`tribunal.models.to_torch`: the trained parameters as a torch module whose outputs are the step
graph's (RepOps) within float tolerance, for every model kind, rebuilt from the safetensors file and
the spec beside it without the dataset; weights that are not the spec's parameters are named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from tribunal.datasets import load_dataset
from tribunal.models import WeightsMismatch, model_dims, to_torch
from tribunal.models.model_file import (
    ModelCard,
    ModelFileError,
    ModelProvenance,
    ModelSizes,
    read_card,
    read_safetensors_metadata,
    safetensors_bytes,
    spec_json,
    spec_path,
)
from tribunal.spec import TaskSpec, spec_hash
from tribunal.training import evaluate, param_arrays, run_step, train

STEPS = 3


def _trained(spec: TaskSpec) -> tuple[dict[str, np.ndarray], torch.Tensor, torch.Tensor]:
    """The parameters after ``STEPS`` RepOps steps, and the features and outputs of the next step's
    batch as the step graph computes them from those parameters."""
    result = train(spec, until=STEPS)
    graph = result.graph
    rows = torch.from_numpy(np.array(load_dataset(spec.dataset).rows))
    outputs = run_step(graph, [torch.from_numpy(a) for a in result.final_state], rows, STEPS)
    (features,) = (outputs[n.index] for n in graph.nodes if n.name == "batch.features")
    return (param_arrays(graph, result.final_state), features.cpu().reshape(spec.batch_size, -1),
            outputs[graph.output].cpu())


def _write(spec: TaskSpec, params: dict[str, np.ndarray], out: Path) -> None:
    sizes = ModelSizes.of(model_dims(spec, load_dataset(spec.dataset)))
    card = ModelCard(spec, sizes, ModelProvenance(7, 31337, spec_hash(spec), b"\x01" * 32, b"\x02" * 32,
                                                  b"\x03" * 32))
    out.write_bytes(safetensors_bytes(params, card))
    spec_path(out).write_bytes(spec_json(card, {name: a.shape for name, a in params.items()}))


def test_to_torch_outputs_are_the_step_graphs(small_spec: TaskSpec) -> None:
    spec = small_spec
    params, features, repops_output = _trained(spec)
    model = to_torch(spec, params, dims=model_dims(spec, load_dataset(spec.dataset)))
    assert not model.training
    with torch.no_grad():
        output = model(features)
    assert output.shape == repops_output.shape
    torch.testing.assert_close(output, repops_output, rtol=1e-4, atol=1e-5)


def test_to_torch_evaluates_as_the_native_reference(small_spec: TaskSpec) -> None:
    spec = small_spec
    dataset = load_dataset(spec.dataset)
    params, _, _ = _trained(spec)
    model = to_torch(spec, params, dims=model_dims(spec, dataset))
    rows = torch.from_numpy(np.array(dataset.test_rows))
    dims = model.dims
    with torch.no_grad():
        output = model(rows[:, : dims.num_features])
    targets = rows[:, dims.num_features:]
    if dims.loss == "mse":
        score = float(torch.mean((output - targets) ** 2))
    else:
        score = float((output.argmax(dim=-1) == targets.reshape(-1).long()).float().mean())
    assert score == evaluate(spec, params, dataset=dataset)


def test_the_safetensors_file_and_spec_beside_it_round_trip(small_spec: TaskSpec, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spec = small_spec
    params, features, repops_output = _trained(spec)
    out = tmp_path / "model.safetensors"
    _write(spec, params, out)

    # loading needs no dataset: the sizes are written beside the parameters
    def no_data(name: str) -> None:
        raise AssertionError(f"loaded the dataset {name!r}")

    monkeypatch.setattr("tribunal.datasets.load_dataset", no_data)
    loaded = load_file(out)
    assert sorted(loaded) == sorted(n for n in params if n.startswith("param."))
    for model in (to_torch(spec_path(out), loaded), to_torch(spec_path(out), out), to_torch(spec, out),
                  to_torch(out, out)):
        with torch.no_grad():
            torch.testing.assert_close(model(features), repops_output, rtol=1e-4, atol=1e-5)
        state = model.state_dict()
        assert sorted(state) == sorted(loaded)
        for name, tensor in loaded.items():
            assert torch.equal(state[name], tensor)

    model = to_torch(spec_path(out), loaded)
    zeroed = {name: torch.zeros_like(t) for name, t in loaded.items()}
    model.load_state_dict(zeroed)
    assert all(torch.count_nonzero(p) == 0 for p in model.parameters())
    model.load_state_dict(load_file(out))
    assert all(torch.equal(model.state_dict()[n], t) for n, t in loaded.items())

    card = read_card(spec_path(out))
    assert card.spec == spec and card.spec_hash == spec_hash(spec)
    assert card.provenance is not None and card.provenance.task_id == 7 and card.provenance.chain_id == 31337
    meta = read_safetensors_metadata(out)
    assert meta["tribunal.spec_hash"] == "0x" + spec_hash(spec).hex()
    assert meta["tribunal.final_state_root"] == "0x" + "01" * 32
    assert read_safetensors_metadata(out.read_bytes()) == meta


def test_weights_that_are_not_the_specs_parameters_are_named(tmp_path: Path) -> None:
    from tests.support.specs import mlp_spec

    spec = mlp_spec()
    dims = model_dims(spec, load_dataset(spec.dataset))
    params, _, _ = _trained(spec)
    wrong = dict(params)
    wrong["param.dense0.weight"] = np.zeros((3, 4), np.float32)
    del wrong["param.dense1.bias"]
    wrong["opt.momentum.param.dense0.bias"] = np.zeros(32, np.float32)
    with pytest.raises(WeightsMismatch) as refused:
        to_torch(spec, wrong, dims=dims)
    text = str(refused.value)
    assert "missing param.dense1.bias" in text
    assert "unexpected opt.momentum.param.dense0.bias" in text
    assert "param.dense0.weight: expected shape (64, 32), got (3, 4)" in text

    with pytest.raises(ModelFileError, match="sizes are not recorded"):
        to_torch(spec, params)

    out = tmp_path / "model.safetensors"
    _write(spec, params, out)
    with pytest.raises(ModelFileError, match="pass the spec written beside these weights"):
        to_torch(mlp_spec(seed=99), out)
    tampered = tmp_path / "tampered.spec.json"
    tampered.write_text(spec_path(out).read_text().replace('"steps": 6', '"steps": 7'))
    with pytest.raises(ModelFileError, match="not to the spec_hash"):
        to_torch(tampered, out)
