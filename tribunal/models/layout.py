"""Which module builds each model kind, and the parameters a model of given sizes has."""

from __future__ import annotations

from types import ModuleType

from tribunal.models import cnn, encoder, mlp, transformer
from tribunal.models.builder import SlotDef
from tribunal.models.dims import ModelDims

MODELS: dict[str, ModuleType] = {"mlp": mlp, "cnn": cnn, "transformer": transformer, "encoder": encoder}
"""Model kind (``spec.model.kind``) -> its module (``parameters``, ``forward``)."""


def parameter_layout(dims: ModelDims) -> list[SlotDef]:
    """The model's parameter slots (``param.…``) in model order: names, shapes, initial values."""
    slots: list[SlotDef] = MODELS[dims.config.kind].parameters(dims)
    return slots
