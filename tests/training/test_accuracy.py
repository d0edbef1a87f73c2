"""RepOps costs no accuracy: the MLP on digits reaches the native-torch test accuracy."""

from __future__ import annotations

from tribunal.spec import MlpConfig, Sgd, TaskSpec
from tribunal.training import evaluate, param_arrays, train, train_native

ACCURACY_SPEC = TaskSpec(
    model=MlpConfig(hidden=(32,)),
    dataset="digits",
    optimizer=Sgd(lr=0.1),
    batch_size=32,
    steps=200,
    checkpoint_every=200,
)


def test_mlp_on_digits_matches_native_accuracy_within_one_point() -> None:
    repops = train(ACCURACY_SPEC)
    native = train_native(ACCURACY_SPEC)
    repops_accuracy = evaluate(ACCURACY_SPEC, param_arrays(repops.graph, repops.final_state))
    native_accuracy = evaluate(ACCURACY_SPEC, native.params)
    print(f"digits MLP test accuracy: RepOps {repops_accuracy:.4f}, native {native_accuracy:.4f}")
    assert repops_accuracy > 0.9
    assert abs(repops_accuracy - native_accuracy) <= 0.01
