"""Names of the built-in datasets and the one way to load them."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from types import MappingProxyType
from typing import Final

from tribunal.artifact_cache import cached_artifact, is_digest
from tribunal.datasets import sources
from tribunal.datasets.dataset import Dataset
from tribunal.datasets.serialization import dataset_from_bytes

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
    """The dataset a spec names (cached; it is immutable): the built-in dataset ``name``, prepared
    deterministically, or an uploaded one named by the ``0x`` hash of its serialised bytes, read
    from this machine's artifact cache (``ArtifactNotCached`` if it was never fetched:
    :func:`tribunal.datasets.store.fetch_dataset` fetches it)."""
    if is_digest(name.lower()):
        digest = bytes.fromhex(name[2:])
        return dataset_from_bytes(cached_artifact(digest), expected_hash=digest)
    try:
        builder = _BUILDERS[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r}; choose one of: {', '.join(DATASET_NAMES)}, "
            "or an uploaded dataset's 0x hash (tribunal dataset add FILE)"
        ) from None
    return builder()
