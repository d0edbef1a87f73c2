"""Names of the built-in datasets and the one way to load them."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from types import MappingProxyType
from typing import Final

from tribunal.datasets import sources
from tribunal.datasets.dataset import Dataset

_BUILDERS: Final[MappingProxyType[str, Callable[[], Dataset]]] = MappingProxyType(
    {
        "iris": sources.iris,
        "wine": sources.wine,
        "breast_cancer": sources.breast_cancer,
        "digits": sources.digits,
        "diabetes": sources.diabetes,
        "regression": sources.regression,
        "tiny_regression": sources.tiny_regression,
        "char_copy": sources.char_copy,
    }
)

DATASET_NAMES: Final[tuple[str, ...]] = tuple(_BUILDERS)


def list_datasets() -> list[str]:
    return list(DATASET_NAMES)


@cache
def load_dataset(name: str) -> Dataset:
    """The built-in dataset ``name``, prepared deterministically (cached; it is immutable)."""
    try:
        builder = _BUILDERS[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r}; choose one of: {', '.join(DATASET_NAMES)}"
        ) from None
    return builder()
