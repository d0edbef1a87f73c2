"""Datasets as bytes for the content-addressed artifact store.

Layout: ``b"TRIBDS\\x00\\x01"`` (magic and format version 1) ‖ ``uint32be`` header
length ‖ header ‖ training rows ‖ test rows. The header is canonical JSON (sorted
keys, no whitespace, ASCII) with ``name``, ``description``, ``num_features``,
``num_targets``, ``target_kind``, ``num_classes``, ``train_shape``,
``test_shape``, ``train_root`` and ``test_root`` (``0x``-prefixed dataset roots), and for an
uploaded dataset ``preparation`` (how it was made from its file, see `tribunal.datasets.ingest`).
Rows are row-major little-endian float32. The content hash is
``keccak256`` of the whole byte string.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from tribunal.datasets.dataset import TARGET_KINDS, Dataset, dataset_root
from tribunal.merkle import keccak256

MAGIC: Final[bytes] = b"TRIBDS\x00\x01"
_HEADER_KEYS: Final[frozenset[str]] = frozenset(
    {
        "name",
        "description",
        "num_features",
        "num_targets",
        "target_kind",
        "num_classes",
        "train_shape",
        "test_shape",
        "train_root",
        "test_root",
    }
)


class DatasetFormatError(ValueError):
    """Bytes that are not a valid serialised dataset."""


def _canonical_json(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def dataset_to_bytes(dataset: Dataset) -> bytes:
    header = {
        "name": dataset.name,
        "description": dataset.description,
        "num_features": dataset.num_features,
        "num_targets": dataset.num_targets,
        "target_kind": dataset.target_kind,
        "num_classes": dataset.num_classes,
        "train_shape": list(dataset.rows.shape),
        "test_shape": list(dataset.test_rows.shape),
        "train_root": "0x" + dataset.root.hex(),
        "test_root": "0x" + dataset.test_root.hex(),
    }
    if dataset.preparation is not None:
        header["preparation"] = json.loads(dataset.preparation)
    encoded = _canonical_json(header)
    return b"".join(
        [
            MAGIC,
            struct.pack(">I", len(encoded)),
            encoded,
            dataset.rows.astype("<f4").tobytes(),
            dataset.test_rows.astype("<f4").tobytes(),
        ]
    )


def dataset_content_hash(dataset: Dataset) -> bytes:
    """keccak256 of :func:`dataset_to_bytes`: the dataset's address in the artifact store."""
    return keccak256(dataset_to_bytes(dataset))


def _shape(header: dict[str, Any], key: str) -> tuple[int, int]:
    shape = header[key]
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(type(d) is int and d >= 0 for d in shape)
    ):
        raise DatasetFormatError(f"header {key} must be [rows, columns], got {shape!r}")
    return shape[0], shape[1]


def _rows(payload: memoryview, offset: int, shape: tuple[int, int]) -> tuple[NDArray[np.float32], int]:
    size = 4 * shape[0] * shape[1]
    if offset + size > len(payload):
        raise DatasetFormatError(f"rows of shape {shape} run past the end of the data")
    rows = np.frombuffer(payload[offset : offset + size], dtype="<f4").reshape(shape)
    return rows.astype(np.float32), offset + size


HEADER_PREFIX_BYTES: Final[int] = len(MAGIC) + 4


def dataset_header_length(prefix: bytes) -> int:
    """The header's length, from the first ``HEADER_PREFIX_BYTES`` bytes of a serialised dataset."""
    if prefix[: len(MAGIC)] != MAGIC or len(prefix) < HEADER_PREFIX_BYTES:
        raise DatasetFormatError("not a serialised dataset (bad magic or unsupported version)")
    (length,) = struct.unpack_from(">I", prefix, len(MAGIC))
    return int(length)


def dataset_header(head: bytes) -> dict[str, Any]:
    """The header of a serialised dataset from its first bytes (prefix and header, no rows): what
    a listing shows without reading the rows."""
    length = dataset_header_length(head)
    encoded = head[HEADER_PREFIX_BYTES : HEADER_PREFIX_BYTES + length]
    if len(encoded) != length:
        raise DatasetFormatError("truncated inside the header")
    try:
        header = json.loads(encoded)
    except ValueError as error:
        raise DatasetFormatError(f"header is not JSON: {error}") from error
    if not isinstance(header, dict) or set(header) - {"preparation"} != _HEADER_KEYS:
        raise DatasetFormatError(f"header must have exactly the keys {sorted(_HEADER_KEYS)} "
                                 "(and, for an uploaded dataset, preparation)")
    return header


def dataset_from_bytes(data: bytes, expected_hash: bytes | None = None) -> Dataset:
    """Parse and validate :func:`dataset_to_bytes` output; checks roots and, if given, the hash."""
    if expected_hash is not None and keccak256(data) != expected_hash:
        raise DatasetFormatError(
            f"content hash 0x{keccak256(data).hex()} differs from the expected "
            f"0x{expected_hash.hex()}; the artifact is corrupt or another dataset"
        )
    if len(data) < HEADER_PREFIX_BYTES:
        raise DatasetFormatError("truncated before the header length")
    header = dataset_header(data)
    offset = HEADER_PREFIX_BYTES + dataset_header_length(data)
    encoded = data[HEADER_PREFIX_BYTES:offset]
    preparation = header.get("preparation")
    if preparation is not None and not isinstance(preparation, dict):
        raise DatasetFormatError("header preparation must be an object")
    if _canonical_json(header) != encoded:
        raise DatasetFormatError("header is not canonical JSON (sorted keys, no whitespace)")
    if header["target_kind"] not in TARGET_KINDS:
        raise DatasetFormatError(f"unknown target_kind {header['target_kind']!r}")
    payload = memoryview(data)
    rows, offset = _rows(payload, offset, _shape(header, "train_shape"))
    test_rows, offset = _rows(payload, offset, _shape(header, "test_shape"))
    if offset != len(data):
        raise DatasetFormatError(f"{len(data) - offset} unexpected bytes after the test rows")
    for key, part in (("train_root", rows), ("test_root", test_rows)):
        if header[key] != "0x" + dataset_root(part).hex():
            raise DatasetFormatError(f"{key} in the header does not match the rows")
    try:
        return Dataset(
            name=header["name"],
            rows=rows,
            test_rows=test_rows,
            num_features=header["num_features"],
            num_targets=header["num_targets"],
            target_kind=header["target_kind"],
            num_classes=header["num_classes"],
            description=header["description"],
            preparation=None if preparation is None else _canonical_json(preparation).decode("ascii"),
        )
    except (TypeError, ValueError) as error:
        raise DatasetFormatError(f"invalid dataset: {error}") from error
