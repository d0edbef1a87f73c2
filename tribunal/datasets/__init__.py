"""Datasets as the protocol commits to them, and the batch each training step draws."""

from tribunal.datasets.batching import batch_row_index, batch_row_indices
from tribunal.datasets.dataset import (
    Dataset,
    DatasetCommitment,
    DatasetElementProof,
    TargetKind,
    dataset_root,
    row_roots,
    verify_dataset_element_proof,
    verify_row_proof,
)
from tribunal.datasets.registry import DATASET_NAMES, list_datasets, load_dataset
from tribunal.datasets.serialization import (
    DatasetFormatError,
    dataset_content_hash,
    dataset_from_bytes,
    dataset_to_bytes,
)

__all__ = [
    "DATASET_NAMES",
    "Dataset",
    "DatasetCommitment",
    "DatasetElementProof",
    "DatasetFormatError",
    "TargetKind",
    "batch_row_index",
    "batch_row_indices",
    "dataset_content_hash",
    "dataset_from_bytes",
    "dataset_root",
    "dataset_to_bytes",
    "list_datasets",
    "load_dataset",
    "row_roots",
    "verify_dataset_element_proof",
    "verify_row_proof",
]
