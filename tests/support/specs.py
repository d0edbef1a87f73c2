"""Small task specs of every model kind, sized for a 2-core CI machine; each builder takes the
fields a test changes (``mlp_spec(steps=2)``)."""

from __future__ import annotations

from tests.support.tokens import upload_token_classes
from tribunal.spec import (
    Adam,
    CnnConfig,
    EncoderConfig,
    MlpConfig,
    Momentum,
    Sgd,
    TaskSpec,
    TransformerConfig,
)

SMALL_TRANSFORMER = TransformerConfig(vocab=16, context=16, d_model=16, heads=2, d_ff=32, layers=1)
SMALL_ENCODER = EncoderConfig(vocab=50, context=8, d_model=24, heads=12, d_ff=48, layers=2, pad_id=0)
"""12 heads as MiniLM has, each 2 wide; its dataset's sequences are padded with id 0."""


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


def encoder_spec(**changes: object) -> TaskSpec:
    """``SMALL_ENCODER`` on :func:`tests.support.tokens.token_classes`, uploaded to this machine's
    artifact cache as the spec is built."""
    fields: dict[str, object] = {
        "model": SMALL_ENCODER,
        "dataset": upload_token_classes(vocab=SMALL_ENCODER.vocab, context=SMALL_ENCODER.context),
        "optimizer": Adam(lr=0.01),
        "batch_size": 8,
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
    "encoder": encoder_spec,
    "regression": regression_spec,
}
