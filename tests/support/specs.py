"""Small task specs of every model kind, sized for a 2-core CI machine; each builder takes the
fields a test changes (``mlp_spec(steps=2)``)."""

from __future__ import annotations

from tribunal.spec import Adam, CnnConfig, MlpConfig, Momentum, Sgd, TaskSpec, TransformerConfig

SMALL_TRANSFORMER = TransformerConfig(vocab=16, context=16, d_model=16, heads=2, d_ff=32, layers=1)


def tiny_spec(**changes: object) -> TaskSpec:
    """The agents' task: an 8-unit MLP on digits, trained for a few steps in well under a second."""
    fields: dict[str, object] = {
        "model": MlpConfig(hidden=(8,)),
        "dataset": "digits",
        "optimizer": Sgd(lr=0.1),
        "batch_size": 8,
        "seed": 1,
        "steps": 4,
        "checkpoint_every": 2,
    }
    return TaskSpec.model_validate({**fields, **changes})


def mlp_spec(**changes: object) -> TaskSpec:
    fields: dict[str, object] = {
        "model": MlpConfig(hidden=(32,)),
        "dataset": "digits",
        "optimizer": Sgd(lr=0.1),
        "batch_size": 16,
        "steps": 6,
        "checkpoint_every": 2,
    }
    return TaskSpec.model_validate({**fields, **changes})


def cnn_spec(**changes: object) -> TaskSpec:
    fields: dict[str, object] = {
        "model": CnnConfig(channels=4, hidden=16),
        "dataset": "digits",
        "optimizer": Momentum(lr=0.05, momentum=0.9),
        "batch_size": 8,
        "steps": 6,
        "checkpoint_every": 3,
    }
    return TaskSpec.model_validate({**fields, **changes})


def transformer_spec(**changes: object) -> TaskSpec:
    fields: dict[str, object] = {
        "model": SMALL_TRANSFORMER,
        "dataset": "char_copy",
        "optimizer": Adam(lr=0.01),
        "batch_size": 4,
        "steps": 4,
        "checkpoint_every": 2,
    }
    return TaskSpec.model_validate({**fields, **changes})


def regression_spec(**changes: object) -> TaskSpec:
    fields: dict[str, object] = {
        "model": MlpConfig(hidden=(8,)),
        "dataset": "tiny_regression",
        "loss": "mse",
        "optimizer": Adam(lr=0.05),
        "batch_size": 8,
        "steps": 6,
        "checkpoint_every": 3,
    }
    return TaskSpec.model_validate({**fields, **changes})


# One builder per model kind (the training suite runs each test on every kind).
SPECS = {
    "mlp": mlp_spec,
    "cnn": cnn_spec,
    "transformer": transformer_spec,
    "regression": regression_spec,
}
