"""Fine-tuning a subset (``spec.trainable``): frozen parameters keep their bits, get no gradient,
optimizer state or update node, and their roots are hashed once yet equal a recomputation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.support.specs import cnn_spec, encoder_spec, mlp_spec, transformer_spec
from tribunal.checkpoints import Checkpoint, LocalCheckpointStore
from tribunal.commitments import UNCOMMITTED, committed_step, state_commitment, tensor_root
from tribunal.datasets import load_dataset
from tribunal.dispute.claims import BitFlip, PartyClaims
from tribunal.graph import OpKind, validate_graph
from tribunal.models import build_step_graph, initial_state, state_layout
from tribunal.spec import Adam, MlpConfig, TaskSpec
from tribunal.tasks import prepare_task
from tribunal.training import held_slots, next_state, run_step, train, train_native

FROZEN_SPECS = {
    "mlp": lambda: mlp_spec(
        model=MlpConfig(hidden=(16, 16)), optimizer=Adam(lr=0.01), trainable=["param.dense1"]
    ),
    "mlp-top": lambda: mlp_spec(model=MlpConfig(hidden=(16, 16)), trainable=["param.dense2"]),
    "mlp-bottom-bias": lambda: mlp_spec(trainable=["param.dense0.bias"]),
    "cnn": lambda: cnn_spec(trainable=["param.hidden", "param.out.bias"]),
    "transformer": lambda: transformer_spec(trainable=["param.l0.mlp2", "param.head"]),
    "transformer-embeddings": lambda: transformer_spec(trainable=["param.tok_emb"]),
    "encoder-head": lambda: encoder_spec(trainable=["param.head"]),
    "encoder-top": lambda: encoder_spec(trainable=["param.l1", "param.head"]),
    "encoder-bottom-query": lambda: encoder_spec(trainable=["param.l0.attn.q.bias", "param.l0.ln2"]),
}


@pytest.fixture(params=sorted(FROZEN_SPECS))
def frozen_spec(request: pytest.FixtureRequest) -> TaskSpec:
    spec: TaskSpec = FROZEN_SPECS[request.param]()
    return spec


def every_param_trains(spec: TaskSpec) -> TaskSpec:
    return spec.model_copy(update={"trainable": None})


def test_frozen_parameters_keep_their_bits_and_trainable_ones_change(frozen_spec: TaskSpec) -> None:
    dataset = load_dataset(frozen_spec.dataset)
    result = train(frozen_spec, dataset=dataset, device=torch.device("cpu"))
    start = initial_state(frozen_spec, dataset)
    for j, slot in enumerate(state_layout(frozen_spec, dataset)):
        if not slot.name.startswith("param."):
            continue
        unchanged = result.final_state[j].tobytes() == start[j].tobytes()
        assert unchanged is not frozen_spec.is_trainable(slot.name), slot.name


def test_frozen_parameters_cost_no_gradient_optimizer_state_or_update(frozen_spec: TaskSpec) -> None:
    dataset = load_dataset(frozen_spec.dataset)
    graph = build_step_graph(frozen_spec, dataset)
    full = build_step_graph(every_param_trains(frozen_spec), dataset)
    validate_graph(graph)
    assert len(graph.nodes) < len(full.nodes)
    assert len(graph.slots) <= len(full.slots)
    names = [node.name for node in graph.nodes]
    params = [s.name for s in graph.slots if s.name.startswith("param.")]
    frozen = [name for name in params if not frozen_spec.is_trainable(name)]
    assert frozen
    for name in frozen:
        assert not any(n.startswith("opt.") and n.endswith(name) for n in (s.name for s in graph.slots))
        assert f"update.{name}" not in names
        assert not any(n == f"grad.{name}" or n == name.removesuffix(".weight") + ".dW" for n in names)
    held = held_slots(graph)
    assert sorted(graph.slots[j].name for j in held.values()) == sorted(frozen)
    for node, j in held.items():
        assert graph.nodes[node].op.kind == OpKind.COPY and graph.slots[j].producer == node


def test_a_bottom_frozen_stack_records_no_input_gradient_below_the_trainable_layer() -> None:
    spec = mlp_spec(model=MlpConfig(hidden=(16, 16)), trainable=["param.dense2"])
    names = [node.name for node in build_step_graph(spec, load_dataset(spec.dataset)).nodes]
    assert "param.dense2.dW" in names
    assert not any(n.endswith(".dx") or n.endswith(".relu.grad") for n in names)


def test_momentum_and_adam_keep_state_only_for_trainable_parameters() -> None:
    dataset = load_dataset("digits")
    spec = mlp_spec(model=MlpConfig(hidden=(16, 16)), optimizer=Adam(lr=0.01), trainable=["param.dense1"])
    slots = [s.name for s in state_layout(spec, dataset)]
    assert [s for s in slots if s.startswith("opt.adam.m.")] == [
        "opt.adam.m.param.dense1.weight", "opt.adam.m.param.dense1.bias"
    ]
    assert len(slots) == 6 + 4 + 2
    assert len(state_layout(every_param_trains(spec), dataset)) == 6 + 12 + 2


def test_reused_roots_equal_a_full_recomputation(frozen_spec: TaskSpec) -> None:
    dataset = load_dataset(frozen_spec.dataset)
    result = train(frozen_spec, dataset=dataset, device=torch.device("cpu"))
    graph = result.graph
    state = [torch.from_numpy(a) for a in initial_state(frozen_spec, dataset)]
    rows = torch.from_numpy(np.array(dataset.rows))
    commitments = [state_commitment([tensor_root(t) for t in state])]
    for step in range(frozen_spec.steps):
        outputs = run_step(graph, state, rows, step)
        committed = committed_step(step + 1, frozen_spec.steps, frozen_spec.checkpoint_every)
        commitments.append(
            state_commitment([tensor_root(o.clone()) for o in outputs]) if committed else UNCOMMITTED
        )
        state = next_state(graph, outputs)
    assert result.state_commitments == commitments
    prepared = prepare_task(frozen_spec, "test://frozen")
    assert PartyClaims(prepared).state_commitments == commitments


def test_a_tampered_held_slot_is_hashed_not_reused() -> None:
    spec = mlp_spec(trainable=["param.dense1"])
    prepared = prepare_task(spec, "test://frozen")
    held = next(iter(held_slots(prepared.graph)))
    honest = PartyClaims(prepared)
    flip = BitFlip(step=2, node=held, element=5, bit=22)
    cheater = PartyClaims(prepared, tamper=flip)
    assert cheater.state_commitments[:3] == honest.state_commitments[:3]
    after = zip(cheater.state_commitments[4::2], honest.state_commitments[4::2], strict=True)
    assert all(mine != theirs for mine, theirs in after)  # every committed state after the flip
    view = cheater.step(2)
    assert view.output_roots == [tensor_root(o) for o in view.outputs]
    assert state_commitment(view.output_roots) == cheater.segment(2, 4)[1]
    assert cheater.segment(2, 4)[1] != honest.segment(2, 4)[1]


def test_resuming_a_frozen_run_from_a_checkpoint_gives_the_same_trace(tmp_path: Path) -> None:
    spec = mlp_spec(trainable=["param.dense1.weight"])
    store = LocalCheckpointStore(tmp_path)
    whole = train(spec, device=torch.device("cpu"), store=store)
    middle = store.get(whole.checkpoints[2])
    resumed = train(spec, device=torch.device("cpu"), resume=Checkpoint.from_bytes(middle.to_bytes()))
    assert resumed.state_commitments == whole.state_commitments
    assert resumed.model_hash == whole.model_hash


def test_native_training_keeps_frozen_parameters() -> None:
    spec = mlp_spec(trainable=["param.dense1"])
    native = train_native(spec, device=torch.device("cpu"))
    dataset = load_dataset(spec.dataset)
    names = [s.name for s in state_layout(spec, dataset)]
    start = dict(zip(names, initial_state(spec, dataset), strict=True))
    assert np.array_equal(native.params["param.dense0.weight"], start["param.dense0.weight"])
    assert not np.array_equal(native.params["param.dense1.weight"], start["param.dense1.weight"])


def test_a_trainable_entry_that_matches_nothing_is_refused() -> None:
    spec = mlp_spec(trainable=["param.dense7"])
    with pytest.raises(ValueError, match="'param.dense7' matches no parameter"):
        state_layout(spec, load_dataset(spec.dataset))
    prefix_of_a_longer_name = mlp_spec(trainable=["param.dense0.w"])
    with pytest.raises(ValueError, match="matches no parameter"):
        state_layout(prefix_of_a_longer_name, load_dataset(spec.dataset))


def test_a_held_slot_holding_a_nan_is_copied_as_copy_writes_it() -> None:
    spec = mlp_spec(trainable=["param.dense1"])
    dataset = load_dataset(spec.dataset)
    graph = build_step_graph(spec, dataset)
    node, slot = next(iter(held_slots(graph).items()))
    state = [torch.from_numpy(a) for a in initial_state(spec, dataset)]
    odd_nan = state[slot].clone().reshape(-1)
    odd_nan.view(torch.int32)[0] = 0x7FC00001
    state[slot] = odd_nan.reshape(state[slot].shape)
    outputs = run_step(graph, state, torch.from_numpy(np.array(dataset.rows)), 0)
    assert outputs[node] is not state[slot]
    assert int(outputs[node].reshape(-1).view(torch.int32)[0]) == 0x7FC00000
