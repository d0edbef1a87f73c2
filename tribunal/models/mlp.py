"""A multilayer perceptron: dense layers with ReLU between them."""

from __future__ import annotations

from math import sqrt

from tribunal.graph import Ref
from tribunal.models.builder import Constant, GraphBuilder, SlotDef, Uniform
from tribunal.models.dims import ModelDims
from tribunal.models.layers import Backward, Chain, Grads, backward_chain, dense, relu
from tribunal.spec import MlpConfig


def _widths(dims: ModelDims) -> list[int]:
    assert isinstance(dims.config, MlpConfig)
    return [dims.num_features, *dims.config.hidden, dims.num_outputs]


def parameters(dims: ModelDims) -> list[SlotDef]:
    """``param.dense{i}.weight (in, out)`` uniform ±1/sqrt(in), ``param.dense{i}.bias`` zero."""
    widths = _widths(dims)
    slots: list[SlotDef] = []
    for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:], strict=False)):
        slots.append(SlotDef(f"param.dense{i}.weight", (fan_in, fan_out), Uniform(1 / sqrt(fan_in))))
        slots.append(SlotDef(f"param.dense{i}.bias", (fan_out,), Constant(0.0)))
    return slots


def forward(b: GraphBuilder, dims: ModelDims, grads: Grads, x: Ref) -> tuple[Ref, Backward]:
    """Logits (or regression outputs) ``(batch, outputs)`` from features ``(batch, in)``."""
    layers = len(_widths(dims)) - 1
    chain: Chain = []
    for i in range(layers):
        x, back = dense(b, grads, x, f"param.dense{i}", need_dx=b.requires_grad(x))
        chain.append((back, x))
        if i < layers - 1:
            x, back = relu(b, x, f"dense{i}.relu")
            chain.append((back, x))

    def backward(dy: Ref) -> Ref:
        return backward_chain(b, chain, dy)

    return x, backward
