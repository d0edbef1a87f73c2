"""The built-in datasets: small real ones shipped inside scikit-learn's wheel, and
synthetic ones generated from keccak256, both prepared the same way on every machine.

scikit-learn's ``load_iris``, ``load_wine``, ``load_breast_cancer``, ``load_digits``
and ``load_diabetes`` read CSV files packaged in ``sklearn/datasets/data``: no network.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn import datasets as sklearn_datasets

from tribunal.datasets.dataset import Dataset, TargetKind
from tribunal.datasets.preparation import (
    column_statistics,
    keccak_integers,
    keccak_uniform,
    split_order,
    standardise,
    stream_tag,
)


def prepare_tabular(
    name: str,
    features: NDArray[np.number[Any]],
    targets: NDArray[np.number[Any]],
    *,
    target_kind: TargetKind,
    num_classes: int | None,
    description: str,
) -> Dataset:
    """Split, then standardise the features (and regression targets) with training
    statistics; class ids are kept as they are."""
    features = np.asarray(features, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64).reshape(features.shape[0], -1)
    train, test = split_order(name, features.shape[0])
    means, stds = column_statistics(features[train])
    train_x, test_x = (standardise(features[part], means, stds) for part in (train, test))
    if target_kind == "regression":
        target_means, target_stds = column_statistics(targets[train])
        train_y, test_y = (
            standardise(targets[part], target_means, target_stds) for part in (train, test)
        )
    else:
        train_y, test_y = (targets[part].astype(np.float32) for part in (train, test))
    return Dataset(
        name=name,
        rows=np.concatenate([train_x, train_y], axis=1),
        test_rows=np.concatenate([test_x, test_y], axis=1),
        num_features=features.shape[1],
        num_targets=targets.shape[1],
        target_kind=target_kind,
        num_classes=num_classes,
        description=description,
    )


def _sklearn_classification(name: str, loader_name: str, what: str) -> Dataset:
    features, labels = getattr(sklearn_datasets, loader_name)(return_X_y=True)
    num_classes = int(labels.max()) + 1
    return prepare_tabular(
        name,
        features,
        labels,
        target_kind="class",
        num_classes=num_classes,
        description=(
            f"{what} (scikit-learn {loader_name}): {features.shape[0]} samples, "
            f"{features.shape[1]} standardised features, class id 0..{num_classes - 1} last"
        ),
    )


def iris() -> Dataset:
    return _sklearn_classification("iris", "load_iris", "Fisher's iris flowers")


def wine() -> Dataset:
    return _sklearn_classification("wine", "load_wine", "Wine cultivars from chemical analysis")


def breast_cancer() -> Dataset:
    return _sklearn_classification(
        "breast_cancer", "load_breast_cancer", "Wisconsin diagnostic breast cancer"
    )


def digits() -> Dataset:
    return _sklearn_classification(
        "digits", "load_digits", "8x8 handwritten digits, pixels row-major"
    )


def diabetes() -> Dataset:
    features, target = sklearn_datasets.load_diabetes(return_X_y=True, scaled=False)
    return prepare_tabular(
        "diabetes",
        features,
        target,
        target_kind="regression",
        num_classes=None,
        description=(
            "Diabetes progression after one year (scikit-learn load_diabetes, raw): "
            f"{features.shape[0]} patients, 10 standardised features, standardised target last"
        ),
    )


def _synthetic_regression(
    name: str, num_samples: int, weights: tuple[float, ...], noise: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """x uniform in [-1, 1); y = Σ w_j x_j + x_0 x_1 / 2 - x_2² / 4 + noise · uniform[-1, 1)."""
    num_features = len(weights)
    uniforms = keccak_uniform(stream_tag(name), num_samples * (num_features + 1))
    uniforms = uniforms.reshape(num_samples, num_features + 1)
    features = 2.0 * uniforms[:, :num_features] - 1.0
    target = np.zeros(num_samples, dtype=np.float64)
    for column, weight in enumerate(weights):
        target = target + weight * features[:, column]
    target = target + 0.5 * (features[:, 0] * features[:, 1])
    target = target - 0.25 * (features[:, 2] * features[:, 2])
    target = target + noise * (2.0 * uniforms[:, num_features] - 1.0)
    return features, target


def regression() -> Dataset:
    weights = (1.0, -2.0, 0.5, 0.0, 1.5, -0.75, 0.25, 0.0)
    features, target = _synthetic_regression("regression", 1280, weights, noise=0.05)
    return prepare_tabular(
        "regression",
        features,
        target,
        target_kind="regression",
        num_classes=None,
        description=(
            "Synthetic regression for MSE: 1280 samples of 8 features uniform in [-1, 1), "
            "y = w·x + x0·x1/2 - x2²/4 + small uniform noise; standardised, target last"
        ),
    )


def tiny_regression() -> Dataset:
    features, target = _synthetic_regression("tiny_regression", 40, (2.0, -1.0, 0.5), noise=0.01)
    return prepare_tabular(
        "tiny_regression",
        features,
        target,
        target_kind="regression",
        num_classes=None,
        description=(
            "Tiny synthetic regression for fast tests and disputes: 40 samples, 3 features, "
            "y = 2x0 - x1 + x2/2 + x0·x1/2 - x2²/4 + noise; standardised, target last"
        ),
    )


COPY_SEPARATOR: Final[int] = 0
COPY_LETTERS: Final[int] = 15
COPY_HALF: Final[int] = 8


def char_copy() -> Dataset:
    """Next-token prediction over 16 tokens: 8 letters, a separator, the same 8 letters.

    Token 0 is the separator ``|``, tokens 1..15 the letters ``a``..``o``. A sequence
    has 17 tokens; a row holds tokens 0..15 as features and tokens 1..16 (the next
    token at every position) as targets. After the separator every token is
    predictable by copying from 9 positions back.
    """
    name = "char_copy"
    num_samples = 2560
    letters = keccak_integers(stream_tag(name), num_samples * COPY_HALF, COPY_LETTERS) + 1
    letters = letters.reshape(num_samples, COPY_HALF)
    separator = np.full((num_samples, 1), COPY_SEPARATOR, dtype=np.int64)
    sequences = np.concatenate([letters, separator, letters], axis=1).astype(np.float32)
    train, test = split_order(name, num_samples)
    length = 2 * COPY_HALF
    rows, test_rows = (
        np.concatenate([sequences[part, :length], sequences[part, 1:]], axis=1)
        for part in (train, test)
    )
    return Dataset(
        name=name,
        rows=rows,
        test_rows=test_rows,
        num_features=length,
        num_targets=length,
        target_kind="next_token",
        num_classes=COPY_LETTERS + 1,
        description=(
            "Character-level next-token task: 8 random letters (ids 1..15), separator (id 0), "
            "the same 8 letters again; 16 input token ids then the 16 next-token ids"
        ),
    )
