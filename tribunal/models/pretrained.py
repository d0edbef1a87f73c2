"""A pretrained start: initial parameter values from a safetensors file in the artifact store.

A spec's ``init`` is the ``0x`` keccak256 hash of the file's bytes. Its tensors are named by
parameter slot names (``param.dense0.weight``, … as ``state_layout`` lists them); each named
tensor replaces that slot's seeded initial value, and the slots it does not name keep theirs.
Values are float32, or converted to float32 only where the conversion is exact (float16,
bfloat16, float64 and integers that float32 holds exactly); a lossy conversion, an unknown name,
a wrong shape or a NaN or infinity is refused naming the tensor.

:func:`initial_values_from` reads the bytes from this machine's artifact cache (no network);
:func:`fetch_initial_state` fetches them once from a store, as ``tribunal.tasks.fetch_task_inputs``
does for every input a spec names by hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod
from typing import Any, Final

import numpy as np
import safetensors
import safetensors.numpy
from numpy.typing import NDArray

from tribunal.artifact_cache import cached_artifact, fetch_artifact, publish_artifact
from tribunal.artifact_client import ArtifactClient
from tribunal.graph import PARAM_PREFIX
from tribunal.models.builder import SlotDef


class PretrainedStateError(ValueError):
    """A safetensors file can't be a task's initial state; the message names the tensor."""


_DTYPES: Final[dict[str, np.dtype[Any]]] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
}


def _as_float32(name: str, dtype: str, shape: tuple[int, ...], raw: bytes) -> NDArray[np.float32]:
    if dtype == "BF16":
        halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return halves.view(np.float32).reshape(shape)
    if dtype not in _DTYPES:
        raise PretrainedStateError(
            f"tensor {name!r} has dtype {dtype}, which has no exact float32 value; store it as F32"
        )
    source = np.frombuffer(raw, dtype=_DTYPES[dtype]).reshape(shape)
    with np.errstate(all="ignore"):
        values = source.astype(np.float32)
        exact = np.array_equal(values.astype(source.dtype), source, equal_nan=dtype[0] == "F")
    if not exact:
        raise PretrainedStateError(
            f"tensor {name!r} ({dtype}) holds values float32 cannot represent exactly; convert it to "
            "float32 yourself (the rounding is then your choice) and upload F32"
        )
    return values


def read_safetensors_state(data: bytes) -> dict[str, NDArray[np.float32]]:
    """The tensors of a safetensors file as float32 arrays, by name; PretrainedStateError if the
    bytes are not safetensors, a tensor can't be float32 exactly, or holds a NaN or infinity."""
    try:
        entries: list[tuple[str, dict[str, Any]]] = safetensors.deserialize(data)  # type: ignore[no-untyped-call]
    except Exception as exc:  # the package raises its own SafetensorError, a bare Exception subclass
        raise PretrainedStateError(f"not a safetensors file: {exc}") from exc
    tensors: dict[str, NDArray[np.float32]] = {}
    for name, entry in entries:
        values = _as_float32(name, entry["dtype"], tuple(entry["shape"]), bytes(entry["data"]))
        if not np.all(np.isfinite(values)):
            raise PretrainedStateError(f"tensor {name!r} holds NaN or infinite values")
        tensors[name] = np.ascontiguousarray(values, dtype=np.float32)
    return tensors


def write_safetensors_state(tensors: Mapping[str, NDArray[np.floating[Any]]]) -> bytes:
    """The safetensors bytes of ``tensors`` (by parameter slot name), every one as float32; a
    value that is not float32 is converted only if the conversion is exact."""
    arrays: dict[str, NDArray[np.float32]] = {}
    for name, value in tensors.items():
        array = np.asarray(value)
        with np.errstate(all="ignore"):
            converted = array.astype(np.float32)
            exact = np.array_equal(converted.astype(array.dtype), array, equal_nan=True)
        if not exact:
            raise PretrainedStateError(f"tensor {name!r} ({array.dtype}) is not exactly float32")
        arrays[name] = np.ascontiguousarray(converted)
    return safetensors.numpy.save(arrays)


def apply_pretrained(
    slots: Sequence[SlotDef],
    values: Sequence[NDArray[np.float32]],
    tensors: Mapping[str, NDArray[np.float32]],
) -> list[NDArray[np.float32]]:
    """``values`` (one per slot) with each parameter ``tensors`` names replaced by its tensor;
    PretrainedStateError names a tensor that is no parameter slot or has the wrong shape."""
    index = {slot.name: j for j, slot in enumerate(slots) if slot.name.startswith(PARAM_PREFIX)}
    result = list(values)
    for name, tensor in sorted(tensors.items()):
        if name not in index:
            known = ", ".join(index)
            raise PretrainedStateError(
                f"tensor {name!r} names no parameter of this model; its parameters are {known}"
            )
        slot = slots[index[name]]
        if tuple(tensor.shape) != slot.shape:
            if prod(tensor.shape) == prod(slot.shape):
                hint = " (same size: a torch Linear's weight is (out, in), ours (in, out): transpose it)"
            else:
                hint = ""
            raise PretrainedStateError(
                f"tensor {name!r} has shape {tuple(tensor.shape)}; the parameter is {slot.shape}{hint}"
            )
        result[index[name]] = np.ascontiguousarray(tensor, dtype=np.float32)
    return result


def initial_values_from(digest: str) -> dict[str, NDArray[np.float32]]:
    """The tensors of the safetensors file ``digest`` from this machine's artifact cache
    (ArtifactNotCached if it was never fetched: :func:`fetch_initial_state`)."""
    return read_safetensors_state(cached_artifact(digest))


def fetch_initial_state(digest: str, store: ArtifactClient | None) -> dict[str, NDArray[np.float32]]:
    """The tensors of ``digest``, fetched once from ``store`` (verified) into the local cache."""
    return read_safetensors_state(fetch_artifact(digest, store))


def upload_initial_state(
    tensors: Mapping[str, NDArray[np.floating[Any]]], store: ArtifactClient | None
) -> str:
    """Write ``tensors`` as safetensors, keep them in the local cache, upload them (when a store is
    given) and return what a spec's ``init`` takes: ``"0x"`` + keccak256 of the bytes."""
    data = write_safetensors_state(tensors)
    read_safetensors_state(data)
    return publish_artifact(data, store, "model")
