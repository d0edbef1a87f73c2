"""A trained model as a ``torch.nn.Module``: `to_torch(spec, weights)`.

The module's forward is the plain-torch twin of the step graph's (`tribunal.models.native`): on a
batch of feature rows it gives the model's outputs (logits, or regression outputs), equal to what
RepOps computes within float tolerance (library kernels, not the protocol's fixed order). Its
parameters are registered under their slot names: each dotted segment of ``param.l0.attn.wq`` is a
submodule (``param`` -> ``l0`` -> ``attn``) holding the tensor (``wq``), so ``named_parameters()``,
``state_dict()`` and ``load_state_dict()`` speak the safetensors file's names unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from tribunal.models import native
from tribunal.models.dims import ModelDims
from tribunal.models.layout import parameter_layout
from tribunal.models.model_file import (
    ModelCard,
    ModelFileError,
    as_tensor,
    card_of_metadata,
    read_card,
    read_safetensors_metadata,
)
from tribunal.spec import TaskSpec

__all__ = ["TribunalModel", "WeightsMismatch", "to_torch"]

PathLike = str | os.PathLike[str]


class WeightsMismatch(ValueError):
    """Weights that are not the parameters of the spec's model: names missing or unexpected, shapes
    that differ (each named, expected against got)."""


class TribunalModel(nn.Module):
    """A spec's model with its parameters; ``forward(features)`` gives its outputs.

    ``features``: ``(batch, num_features)`` float rows (an MLP's or a CNN's; a CNN's are images
    flattened as ``C*H*W``), or ``(batch, context)`` token ids for a transformer, whose output is
    ``(batch * context, vocab)`` logits, or for an encoder, whose output is ``(batch, classes)`` logits.
    """

    def __init__(self, spec: TaskSpec, dims: ModelDims, weights: Mapping[str, torch.Tensor]) -> None:
        super().__init__()
        self.spec = spec
        self.dims = dims
        for name, tensor in weights.items():
            owner: nn.Module = self
            *path, leaf = name.split(".")
            for segment in path:
                child = owner._modules.get(segment)
                if child is None:
                    child = nn.Module()
                    owner.add_module(segment, child)
                owner = child
            owner.register_parameter(leaf, nn.Parameter(tensor))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return native.forward(self.dims, dict(self.named_parameters()), features)


def to_torch(spec: TaskSpec | PathLike, weights: Mapping[str, Any] | PathLike, *,
             dims: ModelDims | None = None) -> TribunalModel:
    """The model of ``spec`` with ``weights``, as a torch module in eval mode (float32, on the CPU).

    ``spec``: a `TaskSpec`, or the path of the spec file `tribunal task model` wrote beside the model
    (``model.spec.json``; a bare spec JSON too, or the safetensors file itself, whose metadata holds
    the spec). ``weights``: slot name -> array or tensor (what ``safetensors.torch.load_file`` returns),
    or the path of the safetensors file. The model's input and output sizes come from ``dims``, else
    from the spec file or the safetensors metadata (no dataset needed); a spec alone with a bare
    mapping needs ``dims=tribunal.models.model_dims(spec, dataset)``. Raises `WeightsMismatch` naming
    every missing or unexpected tensor and every shape that differs, `ModelFileError` for a file that
    is not a model's (or the spec of other weights).
    """
    card = read_card(spec) if isinstance(spec, str | os.PathLike) else ModelCard(spec, None)
    tensors, weights_card = _weights(weights)
    if weights_card is not None and weights_card.spec_hash != card.spec_hash:
        raise ModelFileError(f"the weights are of the spec 0x{weights_card.spec_hash.hex()} and the spec "
                             f"given hashes to 0x{card.spec_hash.hex()}: pass the spec written beside these "
                             "weights")
    dims = dims or card.dims or (weights_card.dims if weights_card is not None else None)
    if dims is None:
        raise ModelFileError(
            "the model's input and output sizes are not recorded with this spec: pass the spec file written "
            "beside the model (model.spec.json) or the safetensors file itself, or "
            "dims=tribunal.models.model_dims(spec, dataset)")
    _check(card.spec, dims, tensors)
    expected = [slot.name for slot in parameter_layout(dims)]
    return TribunalModel(card.spec, dims, {name: tensors[name] for name in expected}).eval()


def _weights(weights: Mapping[str, Any] | PathLike) -> tuple[dict[str, torch.Tensor], ModelCard | None]:
    if isinstance(weights, str | os.PathLike):
        where = os.fspath(weights)
        if not Path(where).is_file():
            raise ModelFileError(f"no weights file {where}")
        card = card_of_metadata(read_safetensors_metadata(where), where)
        return {name: t.to(torch.float32) for name, t in load_file(where).items()}, card
    # copies: the module's parameters must not alias the caller's arrays
    return {name: as_tensor(value).clone() for name, value in weights.items()}, None


def _check(spec: TaskSpec, dims: ModelDims, tensors: Mapping[str, torch.Tensor]) -> None:
    expected = {slot.name: tuple(slot.shape) for slot in parameter_layout(dims)}
    problems = []
    missing = [name for name in expected if name not in tensors]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    unexpected = [name for name in tensors if name not in expected]
    if unexpected:
        problems.append(f"unexpected {', '.join(unexpected)} (the model is only the param.* slots: "
                        "optimizer state is not part of it)")
    for name, shape in expected.items():
        got = tuple(tensors[name].shape) if name in tensors else None
        if got is not None and got != shape:
            problems.append(f"{name}: expected shape {shape}, got {got}")
    if problems:
        raise WeightsMismatch(f"the weights are not the parameters of this spec's {spec.model.kind} "
                              f"({len(expected)} tensors): " + "; ".join(problems))
