"""Checkpoints: the state after step ``t`` as deterministic bytes, and a content-addressed store.

Layout: ``b"TRIBCK\\x00\\x01"`` (magic, format version 1) ‖ ``uint32be`` header length ‖
header ‖ the state tensors in slot order, each row-major little-endian float32. The header
is canonical JSON (sorted keys, no whitespace, ASCII):

- ``spec_hash``: the task's spec hash (``0x`` hex);
- ``step``: ``t``, the number of steps done;
- ``slots``: ``[{"name", "shape"}]`` in slot order;
- ``state_commitments``: ``h_0 .. h_t``;
- ``leaves``: the tensor roots of step ``t-1``'s node outputs, whose Merkle root is
  ``h_t`` (empty at ``t = 0``); they let a reader check the state against ``h_t``.

The content hash is ``keccak256`` of the whole byte string. The model hash of a task is
the content hash of its final checkpoint.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.commitments import state_commitment, tensor_root
from tribunal.graph import StepGraph
from tribunal.merkle import keccak256

MAGIC: Final[bytes] = b"TRIBCK\x00\x01"
_F32: Final[np.dtype[np.float32]] = np.dtype("<f4")


class CheckpointError(ValueError):
    """Checkpoint bytes are malformed, or do not belong to the task or graph at hand."""


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _unhex(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x") or len(text) != 66:
        raise CheckpointError(f"expected a 0x-prefixed 32-byte hex string, got {text!r}")
    return bytes.fromhex(text[2:])


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """The state after ``step`` steps, with the state commitments so far."""

    spec_hash: bytes
    step: int
    names: tuple[str, ...]
    state: tuple[NDArray[np.float32], ...]
    state_commitments: tuple[bytes, ...]
    leaves: tuple[bytes, ...]

    @classmethod
    def make(
        cls,
        spec_hash: bytes,
        graph: StepGraph,
        step: int,
        state: Sequence[torch.Tensor | NDArray[np.float32]],
        state_commitments: Sequence[bytes],
        leaves: Sequence[bytes],
    ) -> Checkpoint:
        # np.array, not np.ascontiguousarray: the latter turns 0-d arrays into 1-d ones.
        arrays = tuple(
            np.array(t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t, dtype=_F32, order="C")
            for t in state
        )
        return cls(
            spec_hash,
            step,
            tuple(s.name for s in graph.slots),
            arrays,
            tuple(state_commitments),
            tuple(leaves),
        )

    def header(self) -> dict[str, Any]:
        return {
            "spec_hash": _hex(self.spec_hash),
            "step": self.step,
            "slots": [
                {"name": n, "shape": list(a.shape)} for n, a in zip(self.names, self.state, strict=True)
            ],
            "state_commitments": [_hex(h) for h in self.state_commitments],
            "leaves": [_hex(leaf) for leaf in self.leaves],
        }

    def to_bytes(self) -> bytes:
        header = json.dumps(self.header(), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
            "ascii"
        )
        body = b"".join(np.array(a, dtype=_F32, order="C").tobytes() for a in self.state)
        return MAGIC + struct.pack(">I", len(header)) + header + body

    @property
    def content_hash(self) -> bytes:
        return keccak256(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        if data[: len(MAGIC)] != MAGIC:
            raise CheckpointError("not a Tribunal checkpoint (bad magic or format version)")
        try:
            (length,) = struct.unpack_from(">I", data, len(MAGIC))
            start = len(MAGIC) + 4
            header = json.loads(data[start : start + length].decode("ascii"))
            offset = start + length
            names, arrays = [], []
            for slot in header["slots"]:
                shape = tuple(int(d) for d in slot["shape"])
                size = 4 * int(np.prod(shape, dtype=np.int64))
                chunk = data[offset : offset + size]
                if len(chunk) != size:
                    raise CheckpointError(f"checkpoint is truncated in slot {slot['name']}")
                arrays.append(np.frombuffer(chunk, dtype=_F32).reshape(shape).copy())
                names.append(str(slot["name"]))
                offset += size
            if offset != len(data):
                raise CheckpointError(f"checkpoint has {len(data) - offset} trailing bytes")
            return cls(
                spec_hash=_unhex(header["spec_hash"]),
                step=int(header["step"]),
                names=tuple(names),
                state=tuple(arrays),
                state_commitments=tuple(_unhex(h) for h in header["state_commitments"]),
                leaves=tuple(_unhex(leaf) for leaf in header["leaves"]),
            )
        except (KeyError, TypeError, ValueError, struct.error, UnicodeDecodeError) as error:
            if isinstance(error, CheckpointError):
                raise
            raise CheckpointError(f"malformed checkpoint header: {error}") from error

    def check_against(self, spec_hash: bytes, graph: StepGraph) -> None:
        """Raise CheckpointError unless this is a consistent state of this task.

        The slots must be the graph's, ``h_0 .. h_t`` must number ``t + 1``, the leaves must
        hash to ``h_t`` and each state tensor's root must be its producer's leaf (``h_0``:
        the state's roots hash to ``h_0``).
        """
        if self.spec_hash != spec_hash:
            raise CheckpointError(f"checkpoint is for spec {_hex(self.spec_hash)}, not {_hex(spec_hash)}")
        expected = [(s.name, s.shape) for s in graph.slots]
        if [(n, tuple(a.shape)) for n, a in zip(self.names, self.state, strict=True)] != expected:
            raise CheckpointError("checkpoint slots differ from the step graph's state slots")
        if len(self.state_commitments) != self.step + 1:
            raise CheckpointError(
                f"a checkpoint after {self.step} steps holds {self.step + 1} state commitments, "
                f"not {len(self.state_commitments)}"
            )
        roots = [tensor_root(a) for a in self.state]
        if self.step == 0:
            if state_commitment(roots) != self.state_commitments[0]:
                raise CheckpointError("initial state does not match h_0")
            return
        if len(self.leaves) != len(graph.nodes):
            raise CheckpointError(
                f"checkpoint holds {len(self.leaves)} leaves; the graph has " f"{len(graph.nodes)} nodes"
            )
        if state_commitment(self.leaves) != self.state_commitments[-1]:
            raise CheckpointError(f"leaves do not hash to h_{self.step}")
        for root, slot in zip(roots, graph.slots, strict=True):
            if root != self.leaves[slot.producer]:
                raise CheckpointError(f"state slot {slot.name} does not match h_{self.step}")


class CheckpointStore(Protocol):
    """Where checkpoints live, addressed by content hash."""

    def put(self, checkpoint: Checkpoint) -> bytes:
        """Store ``checkpoint``; return its content hash."""
        ...

    def get(self, content_hash: bytes) -> Checkpoint:
        """The checkpoint with this content hash; KeyError if absent."""
        ...

    def steps(self, spec_hash: bytes) -> dict[int, bytes]:
        """Step -> content hash of the checkpoints stored for a task."""
        ...


class LocalCheckpointStore:
    """A directory: ``objects/<hash[:2]>/<hash>`` holds bytes, ``tasks/<spec_hash>.json``
    maps steps to hashes. Writes are atomic (temporary file, fsync, rename)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _object_path(self, content_hash: bytes) -> Path:
        name = content_hash.hex()
        return self.root / "objects" / name[:2] / name

    def _index_path(self, spec_hash: bytes) -> Path:
        return self.root / "tasks" / f"{spec_hash.hex()}.json"

    def put(self, checkpoint: Checkpoint) -> bytes:
        data = checkpoint.to_bytes()
        content_hash = keccak256(data)
        path = self._object_path(content_hash)
        if not path.exists():
            atomic_write(path, data)
        index = self.steps(checkpoint.spec_hash)
        index[checkpoint.step] = content_hash
        listing = {str(step): _hex(h) for step, h in sorted(index.items())}
        atomic_write(self._index_path(checkpoint.spec_hash), json.dumps(listing, sort_keys=True).encode())
        return content_hash

    def get(self, content_hash: bytes) -> Checkpoint:
        path = self._object_path(content_hash)
        if not path.exists():
            raise KeyError(f"no checkpoint {_hex(content_hash)} in {self.root}")
        data = path.read_bytes()
        if keccak256(data) != content_hash:
            raise CheckpointError(f"checkpoint file {path} is corrupt (hash mismatch)")
        return Checkpoint.from_bytes(data)

    def steps(self, spec_hash: bytes) -> dict[int, bytes]:
        path = self._index_path(spec_hash)
        if not path.exists():
            return {}
        return {int(step): _unhex(h) for step, h in json.loads(path.read_text()).items()}

    def latest(self, spec_hash: bytes, at_most: int | None = None) -> Checkpoint | None:
        """The stored checkpoint of the task with the most steps (``<= at_most``), if any."""
        candidates = [s for s in self.steps(spec_hash) if at_most is None or s <= at_most]
        return self.get(self.steps(spec_hash)[max(candidates)]) if candidates else None


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
