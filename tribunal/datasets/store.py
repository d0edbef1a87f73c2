"""Datasets named by hash: a user's dataset lives in the artifact store as a serialised
dataset (``TRIBDS``), and a spec names it by the keccak256 of those bytes (``"0x…"``).

:func:`fetch_dataset` makes one available on this machine (the local artifact cache),
after which :func:`tribunal.datasets.load_dataset` reads it like a built-in one.
"""

from __future__ import annotations

from tribunal.artifact_cache import fetch_artifact, is_digest, publish_artifact
from tribunal.artifact_client import ArtifactClient
from tribunal.datasets.dataset import Dataset
from tribunal.datasets.registry import load_dataset
from tribunal.datasets.serialization import dataset_to_bytes


def is_dataset_ref(name: str) -> bool:
    """Whether a spec's ``dataset`` names an uploaded dataset by hash (else a built-in name)."""
    return is_digest(name.lower())


def fetch_dataset(name: str, store: ArtifactClient | None) -> Dataset:
    """The dataset a spec names: a built-in one, or an uploaded one fetched once from ``store``
    (verified against its hash) into the local cache."""
    if is_dataset_ref(name):
        fetch_artifact(name, store)
    return load_dataset(name)


def upload_dataset(dataset: Dataset, store: ArtifactClient | None) -> str:
    """Serialise ``dataset``, keep it in the local cache, upload it (when a store is given) and
    return the reference a spec's ``dataset`` takes: ``"0x"`` + keccak256 of the bytes."""
    return publish_artifact(dataset_to_bytes(dataset), store, "dataset")
