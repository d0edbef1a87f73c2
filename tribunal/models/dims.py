"""A spec's model sizes, read against its dataset, with the reasons a pairing can't work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from tribunal.datasets import Dataset
from tribunal.spec import CnnConfig, EncoderConfig, MlpConfig, TaskSpec, TransformerConfig

LN_EPS = 1e-5
"""Layer norm's epsilon (rounded to float32 by the op builder)."""


@dataclass(frozen=True)
class ModelDims:
    """Everything the graph and the native reference need to size a model."""

    config: MlpConfig | CnnConfig | TransformerConfig | EncoderConfig
    loss: Literal["mse", "cross_entropy"]
    batch: int
    num_features: int
    num_targets: int
    num_outputs: int
    """Classes (or vocabulary) for cross-entropy; target columns for MSE."""


def model_dims(spec: TaskSpec, dataset: Dataset) -> ModelDims:
    """Sizes of ``spec``'s model on ``dataset``; ValueError says what doesn't fit."""
    spec.check_dataset(dataset.num_rows)
    config = spec.model
    kind = dataset.target_kind
    if spec.loss == "cross_entropy" and kind == "regression":
        raise ValueError(
            f"dataset {dataset.name!r} has real-valued targets: use loss 'mse', not 'cross_entropy'"
        )
    if spec.loss == "mse" and kind != "regression":
        raise ValueError(f"dataset {dataset.name!r} has {kind} targets: use loss 'cross_entropy'")
    if isinstance(config, TransformerConfig):
        if kind != "next_token":
            raise ValueError(
                f"a transformer needs a next-token dataset (e.g. 'char_copy'); "
                f"{dataset.name!r} has {kind} targets"
            )
        if config.context != dataset.num_features:
            raise ValueError(
                f"model.context must equal the dataset's sequence length {dataset.num_features}, "
                f"got {config.context}"
            )
        if config.vocab != dataset.num_classes:
            raise ValueError(
                f"model.vocab must equal the dataset's vocabulary {dataset.num_classes}, "
                f"got {config.vocab}"
            )
    elif isinstance(config, EncoderConfig):
        _check_sequences(config, dataset)
    elif kind == "next_token":
        raise ValueError(f"dataset {dataset.name!r} is a token task: use model kind 'transformer'")
    if isinstance(config, CnnConfig):
        c, h, w = config.image
        if c * h * w != dataset.num_features:
            raise ValueError(
                f"model.image {config.image} holds {c * h * w} values; dataset "
                f"{dataset.name!r} rows have {dataset.num_features} features"
            )
    outputs = dataset.num_classes if spec.loss == "cross_entropy" else dataset.num_targets
    assert outputs is not None
    return ModelDims(
        config=config,
        loss=spec.loss,
        batch=spec.batch_size,
        num_features=dataset.num_features,
        num_targets=dataset.num_targets,
        num_outputs=outputs,
    )


def _check_sequences(config: EncoderConfig, dataset: Dataset) -> None:
    """An encoder reads each row's features as ``context`` token ids and predicts one class."""
    if dataset.target_kind != "class" or dataset.num_targets != 1:
        raise ValueError(
            f"an encoder classifies sequences: it needs a dataset with one class-id target; "
            f"{dataset.name!r} has {dataset.num_targets} {dataset.target_kind} target(s)"
        )
    if config.context != dataset.num_features:
        raise ValueError(
            f"model.context must equal the dataset's sequence length (features per row) "
            f"{dataset.num_features}, got {config.context}"
        )
    for what, ids in (("rows", dataset.features), ("test rows", dataset.test_features)):
        if ids.size and (np.any(ids != np.floor(ids)) or ids.min() < 0 or ids.max() >= config.vocab):
            raise ValueError(
                f"dataset {dataset.name!r}: the {what}' features must be token ids, integers in "
                f"0..{config.vocab - 1} (model.vocab {config.vocab})"
            )
        if config.pad_id is not None and ids.size and np.any(np.all(ids == config.pad_id, axis=1)):
            raise ValueError(
                f"dataset {dataset.name!r}: a row of the {what} is all padding (id {config.pad_id}); "
                "every sequence needs a token to pool"
            )
