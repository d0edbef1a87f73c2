"""The `ArtifactStore` interface and its local-disk implementation.

An object's name is the keccak256 of its bytes (0x-hex). An upload is streamed to a temporary file
and hashed on the way; it becomes visible only through an atomic rename, and only if the hash
matches and the size is within limits. Whatever goes wrong (wrong hash, too large, truncated,
client gone), the temporary file is removed, so a bad upload leaves nothing behind.

An S3-compatible store implements the same five methods: `put` as a multipart upload to a
temporary key followed by a copy (or a conditional put) once the hash is known, `open_range` as a
ranged GET, and so on.
"""

from __future__ import annotations

import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from tribunal.merkle import keccak256_hasher

HASH_PATTERN = re.compile(r"^0x[0-9a-f]{64}$")
CHUNK = 1 << 16


class UploadError(ValueError):
    """An upload was refused; nothing of it was kept."""


class HashMismatch(UploadError):
    pass


class TooLarge(UploadError):
    pass


class Truncated(UploadError):
    pass


class EmptyUpload(UploadError):
    pass


@dataclass(frozen=True)
class StoredObject:
    hash: str
    size: int
    created: bool  # False: the store already had these bytes


@dataclass(frozen=True)
class ByteRange:
    """Inclusive byte range [start, end] of an object of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end == self.size - 1


class RangeError(ValueError):
    """The Range header is malformed or cannot be satisfied."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """One range of an RFC 9110 ``bytes=`` Range header; None means "the whole object".

    Several ranges are answered with the whole object (allowed by RFC 9110: a server may ignore Range).
    """
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        raise RangeError(f"unsupported Range {header!r}: use bytes=START-END, bytes=START- or bytes=-SUFFIX")
    if "," in spec:
        return None
    first, dash, last = (part.strip() for part in spec.partition("-"))
    well_formed = dash == "-" and (first.isdigit() or not first) and (last.isdigit() or not last)
    if not well_formed or not (first or last):
        raise RangeError(f"malformed Range {header!r}: use bytes=START-END, bytes=START- or bytes=-SUFFIX")
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeError(f"Range {header!r} selects no bytes of a {size}-byte object")
        return ByteRange(max(0, size - suffix), size - 1, size)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeError(f"Range {header!r} is outside the object's {size} bytes")
    return ByteRange(start, end, size)


class ArtifactStore(ABC):
    """Where artifact bytes live, named by their keccak256."""

    @abstractmethod
    async def put(
        self,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
        expected_hash: str | None = None,
        declared_size: int | None = None,
    ) -> StoredObject:
        """Store a stream; raises `HashMismatch`, `TooLarge` or `Truncated` (keeping nothing)."""

    @abstractmethod
    def size(self, content_hash: str) -> int | None:
        """The object's size, or None if the store lacks it."""

    @abstractmethod
    def open_range(self, content_hash: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive) of the object, in chunks."""

    @abstractmethod
    def rehash(self, content_hash: str) -> bool:
        """Re-read the object and tell whether its bytes still hash to its name."""

    @abstractmethod
    def delete(self, content_hash: str) -> None:
        """Remove the object (a corrupt copy, found by `rehash`)."""


class LocalDiskStore(ArtifactStore):
    """``root/objects/<aa>/<hash>`` for objects, ``root/tmp/`` for uploads in progress."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def _path(self, content_hash: str) -> Path:
        if not HASH_PATTERN.match(content_hash):
            raise ValueError(f"not an artifact hash: {content_hash!r} (0x and 64 lowercase hex digits)")
        return self.objects / content_hash[2:4] / content_hash[2:]

    async def put(
        self,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
        expected_hash: str | None = None,
        declared_size: int | None = None,
    ) -> StoredObject:
        if declared_size is not None and declared_size > max_bytes:
            raise TooLarge(f"the upload declares {declared_size} bytes; the limit is {max_bytes}")
        fd, temporary = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        try:
            hasher = keccak256_hasher()
            size = 0
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"the upload exceeds the limit of {max_bytes} bytes")
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if declared_size is not None and size != declared_size:
                raise Truncated(f"received {size} bytes of the {declared_size} declared")
            if size == 0:
                raise EmptyUpload("the upload is empty: send the artifact's bytes as the request body")
            digest = "0x" + hasher.hexdigest()
            if expected_hash is not None and digest != expected_hash:
                raise HashMismatch(
                    f"the uploaded bytes hash to {digest}, not {expected_hash}: the upload was corrupted "
                    "or the hash was computed over other bytes (keccak256 of the exact content)"
                )
            final = self._path(digest)
            if final.exists():
                return StoredObject(digest, size, created=False)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, final)  # atomic: readers see the whole object or none
            _fsync_dir(final.parent)
            return StoredObject(digest, size, created=True)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def size(self, content_hash: str) -> int | None:
        try:
            return self._path(content_hash).stat().st_size
        except FileNotFoundError:
            return None

    def open_range(self, content_hash: str, start: int, end: int) -> Iterator[bytes]:
        with open(self._path(content_hash), "rb") as handle:
            handle.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = handle.read(min(CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    def rehash(self, content_hash: str) -> bool:
        hasher = keccak256_hasher()
        with open(self._path(content_hash), "rb") as handle:
            while chunk := handle.read(1 << 20):
                hasher.update(chunk)
        return "0x" + hasher.hexdigest() == content_hash

    def delete(self, content_hash: str) -> None:
        self._path(content_hash).unlink(missing_ok=True)

    def leftovers(self) -> list[Path]:
        """Temporary files of uploads in progress (empty when none is)."""
        return sorted(self.tmp.iterdir())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
