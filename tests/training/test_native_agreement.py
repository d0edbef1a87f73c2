"""The hand-written backward passes and optimizer nodes compute what autograd and torch.optim
compute, up to float32 rounding: RepOps changes the order of operations, not the maths."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.specs import SPECS
from tribunal.spec import Adam, Momentum, Sgd, TransformerConfig
from tribunal.training import param_arrays, train, train_native

OPTIMIZERS = {"sgd": Sgd(lr=0.1), "momentum": Momentum(lr=0.05, momentum=0.9), "adam": Adam(lr=0.01)}
# Adam divides by sqrt(v) ~ |g| at the first steps, which magnifies rounding differences.
TOLERANCE = {"sgd": 2e-6, "momentum": 2e-6, "adam": 5e-5}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("kind", sorted(SPECS))
def test_repops_training_agrees_with_autograd(kind: str, optimizer: str) -> None:
    spec = SPECS[kind](steps=2, checkpoint_every=2, optimizer=OPTIMIZERS[optimizer])
    repops, native = train(spec), train_native(spec)
    np.testing.assert_allclose(list(repops.losses.values()), list(native.losses.values()), rtol=1e-5)
    for name, value in param_arrays(repops.graph, repops.final_state).items():
        expected = native.params[name]
        scale = float(np.max(np.abs(expected))) or 1.0
        assert float(np.max(np.abs(value - expected))) <= TOLERANCE[optimizer] * scale, name


def test_a_deeper_transformer_with_many_heads_agrees_with_autograd() -> None:
    """More heads and layers than the small spec (the 10M-parameter benchmark model has 6 and 6).
    SGD: with Adam, a near-zero gradient's sign decides a whole ±lr update, so rounding differences
    of a deep net show as large parameter differences that say nothing about the maths."""
    model = TransformerConfig(vocab=16, context=16, d_model=24, heads=6, d_ff=32, layers=5)
    spec = SPECS["transformer"](model=model, steps=2, checkpoint_every=2, optimizer=OPTIMIZERS["sgd"])
    repops, native = train(spec), train_native(spec)
    np.testing.assert_allclose(list(repops.losses.values()), list(native.losses.values()), rtol=1e-5)
    for name, value in param_arrays(repops.graph, repops.final_state).items():
        expected = native.params[name]
        scale = float(np.max(np.abs(expected))) or 1.0
        assert float(np.max(np.abs(value - expected))) <= TOLERANCE["sgd"] * scale, name
