"""The trained model as a user takes it away: its parameters as safetensors, the spec beside them.

A result's model is its final state ``h_S`` (`tribunal.model_check`); of that state only the
parameters (the ``param.…`` slots) are the model, the optimizer's state is not. The safetensors file
holds them as float32 tensors named by their slot names, and its metadata says what the chain
verified (`ModelProvenance`: task, chain, spec hash, ``h_S``, trace root, model hash), the canonical
spec and the model's input and output sizes (`ModelSizes`). The spec file written beside it
(``model.safetensors`` -> ``model.spec.json``, `spec_path`) holds the same as JSON, with the spec as an
object whose canonical JSON hashes to ``spec_hash``. Either is enough to rebuild the model with
`tribunal.models.to_torch` without the training data: the sizes a spec leaves to its dataset
(features, outputs) are written down.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
from numpy.typing import NDArray
from safetensors import safe_open
from safetensors.torch import save as save_safetensors

from tribunal.graph import PARAM_PREFIX
from tribunal.merkle import keccak256
from tribunal.models.dims import ModelDims
from tribunal.spec import TaskSpec, canonical_json, parse_spec

FORMAT: Final = "tribunal-model/1"
"""The spec file's and the metadata's format tag (``format`` / ``tribunal.format``)."""
_META: Final = "tribunal."

__all__ = [
    "FORMAT", "ModelCard", "ModelFileError", "ModelProvenance", "ModelSizes", "as_tensor", "card_of_metadata",
    "dims_of", "parameters_only",
    "read_card", "read_safetensors_metadata", "safetensors_bytes", "spec_json", "spec_path",
]


class ModelFileError(ValueError):
    """A model or spec file that is not what `tribunal task model` writes, with what is wrong."""


@dataclass(frozen=True)
class ModelSizes:
    """The sizes a spec leaves to its dataset: feature columns, target columns, and outputs (classes
    or vocabulary for cross-entropy, target columns for MSE)."""

    num_features: int
    num_targets: int
    num_outputs: int

    @classmethod
    def of(cls, dims: ModelDims) -> ModelSizes:
        return cls(dims.num_features, dims.num_targets, dims.num_outputs)


def dims_of(spec: TaskSpec, sizes: ModelSizes) -> ModelDims:
    """``spec``'s model dims from recorded sizes: what `tribunal.models.model_dims` reads off the dataset."""
    return ModelDims(config=spec.model, loss=spec.loss, batch=spec.batch_size,
                     num_features=sizes.num_features, num_targets=sizes.num_targets,
                     num_outputs=sizes.num_outputs)


@dataclass(frozen=True)
class ModelProvenance:
    """What the chain verified about a model: the result of task ``task_id`` on chain ``chain_id``."""

    task_id: int
    chain_id: int
    spec_hash: bytes
    final_state_root: bytes
    """``h_S``, leaf S of the trace root: the state the parameters are part of."""
    trace_root: bytes
    model_hash: bytes
    """The content hash of the final checkpoint the parameters were taken from."""


@dataclass(frozen=True)
class ModelCard:
    """Everything beside the tensors: the spec, the sizes, and (when it came from a result) what the
    chain verified."""

    spec: TaskSpec
    sizes: ModelSizes | None
    provenance: ModelProvenance | None = None

    @property
    def spec_hash(self) -> bytes:
        return keccak256(canonical_json(self.spec))

    @property
    def dims(self) -> ModelDims | None:
        return None if self.sizes is None else dims_of(self.spec, self.sizes)

    def fields(self) -> dict[str, Any]:
        """The card as JSON values (hashes as 0x hex), the spec as its canonical object."""
        out: dict[str, Any] = {"format": FORMAT, "spec": json.loads(canonical_json(self.spec)),
                               "spec_hash": _hex(self.spec_hash)}
        if self.sizes is not None:
            out.update(num_features=self.sizes.num_features, num_targets=self.sizes.num_targets,
                       num_outputs=self.sizes.num_outputs)
        if self.provenance is not None:
            p = self.provenance
            out.update(task_id=p.task_id, chain_id=p.chain_id, final_state_root=_hex(p.final_state_root),
                       trace_root=_hex(p.trace_root), model_hash=_hex(p.model_hash))
        return out

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any], where: str) -> ModelCard:
        """The card written by `fields` (or a bare canonical spec, which has no sizes); `ModelFileError`
        names what is wrong, ``where`` says in which file."""
        if "format" not in fields:
            return cls(_spec(fields, where), None)
        if fields["format"] != FORMAT:
            raise ModelFileError(f"{where}: format {fields['format']!r} is not {FORMAT!r}")
        spec = _spec(fields.get("spec"), where)
        card_hash = keccak256(canonical_json(spec))
        if fields.get("spec_hash") != _hex(card_hash):
            raise ModelFileError(f"{where}: the spec hashes to {_hex(card_hash)}, not to the spec_hash "
                                 f"{fields.get('spec_hash')} written beside it (edited?)")
        try:
            sizes = (ModelSizes(int(fields["num_features"]), int(fields["num_targets"]),
                                int(fields["num_outputs"])) if "num_features" in fields else None)
            provenance = (ModelProvenance(int(fields["task_id"]), int(fields["chain_id"]), card_hash,
                                          _unhex(fields["final_state_root"]), _unhex(fields["trace_root"]),
                                          _unhex(fields["model_hash"])) if "task_id" in fields else None)
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelFileError(f"{where}: malformed field: {exc!r}") from exc
        return cls(spec, sizes, provenance)


def _spec(value: Any, where: str) -> TaskSpec:
    if not isinstance(value, Mapping):
        raise ModelFileError(f"{where}: no task spec object")
    try:
        return parse_spec(dict(value))
    except ValueError as exc:
        raise ModelFileError(f"{where}: not a valid task spec: {exc}") from exc


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _unhex(text: Any) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x") or len(text) != 66:
        raise ValueError(f"expected a 0x-prefixed 32-byte hex string, got {text!r}")
    return bytes.fromhex(text[2:])


def spec_path(model_path: Path) -> Path:
    """Where the spec of ``model_path`` is written: ``model.safetensors`` -> ``model.spec.json``."""
    return model_path.with_name(f"{model_path.stem}.spec.json")


def parameters_only(state: Mapping[str, NDArray[np.float32] | torch.Tensor]) -> dict[str, torch.Tensor]:
    """The model's parameters (``param.…`` slots) of a state, in order, as contiguous float32 CPU tensors."""
    return {name: as_tensor(value) for name, value in state.items() if name.startswith(PARAM_PREFIX)}


def as_tensor(value: NDArray[np.float32] | torch.Tensor) -> torch.Tensor:
    """``value`` as a contiguous float32 CPU tensor (sharing its memory where it already is one)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float32).contiguous()
    return torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))


def safetensors_bytes(state: Mapping[str, NDArray[np.float32] | torch.Tensor], card: ModelCard) -> bytes:
    """The parameters of ``state`` (slot name -> tensor; other slots are left out) as a safetensors
    file whose metadata is ``card`` (``tribunal.<field>``, the spec as canonical JSON)."""
    metadata = {"format": "pt"}
    for key, value in card.fields().items():
        metadata[_META + key] = canonical_json(card.spec).decode() if key == "spec" else str(value)
    return bytes(save_safetensors(parameters_only(state), metadata=metadata))


def spec_json(card: ModelCard, shapes: Mapping[str, tuple[int, ...]] | None = None) -> bytes:
    """The spec file written beside the model: ``card``'s fields, and each parameter's shape."""
    fields = card.fields()
    if shapes is not None:
        fields["parameters"] = {name: list(shape) for name, shape in shapes.items()}
    return (json.dumps(fields, indent=2, sort_keys=True) + "\n").encode()


def read_card(path: str | os.PathLike[str]) -> ModelCard:
    """The card of a spec file (`spec_json`'s, or a bare spec JSON) or of a safetensors file's metadata."""
    where = os.fspath(path)
    if where.endswith(".safetensors"):
        card = card_of_metadata(read_safetensors_metadata(path), where)
        if card is None:
            raise ModelFileError(f"{where}: its metadata has no tribunal spec (not written by `tribunal task "
                                 "model`): pass the spec file written beside it")
        return card
    try:
        fields = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{where}: cannot read a spec file: {exc}") from exc
    if not isinstance(fields, dict):
        raise ModelFileError(f"{where}: not a JSON object")
    return ModelCard.from_fields(fields, where)


def read_safetensors_metadata(source: str | os.PathLike[str] | bytes) -> dict[str, str]:
    """The string metadata of a safetensors file (path) or its bytes."""
    if isinstance(source, bytes):
        (length,) = struct.unpack("<Q", source[:8])
        header = json.loads(source[8:8 + length])
        meta = header.get("__metadata__") or {}
        return {str(k): str(v) for k, v in meta.items()}
    with safe_open(os.fspath(source), framework="pt") as f:
        return dict(f.metadata() or {})


def card_of_metadata(metadata: Mapping[str, str], where: str = "safetensors metadata") -> ModelCard | None:
    """The card `safetensors_bytes` wrote into ``metadata``; None when it holds none."""
    if _META + "spec" not in metadata:
        return None
    fields: dict[str, Any] = {key[len(_META):]: value for key, value in metadata.items()
                              if key.startswith(_META)}
    try:
        fields["spec"] = json.loads(fields["spec"])
    except ValueError as exc:
        raise ModelFileError(f"{where}: the tribunal.spec metadata is not JSON: {exc}") from exc
    return ModelCard.from_fields(fields, where)
