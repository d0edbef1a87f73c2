"""Content-addressed artifact storage (specs, datasets, checkpoints, models)."""

from backend.artifacts.store import (
    ArtifactStore,
    ByteRange,
    HashMismatch,
    LocalDiskStore,
    RangeError,
    StoredObject,
    TooLarge,
    Truncated,
    UploadError,
    parse_range,
)

__all__ = [
    "ArtifactStore",
    "ByteRange",
    "HashMismatch",
    "LocalDiskStore",
    "RangeError",
    "StoredObject",
    "TooLarge",
    "Truncated",
    "UploadError",
    "parse_range",
]
