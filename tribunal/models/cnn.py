"""A small convolutional net: one valid convolution (im2col + matmul), ReLU, two dense layers.

Activations are channels-last: the convolution's output ``(batch * positions, channels)`` is
flattened per example as ``(batch, positions * channels)``.
"""

from __future__ import annotations

from math import sqrt

from tribunal.graph import Ref
from tribunal.models.builder import Constant, GraphBuilder, SlotDef, Uniform
from tribunal.models.dims import ModelDims
from tribunal.models.layers import Backward, Grads, dense, relu, reshape
from tribunal.repops import ops
from tribunal.spec import CnnConfig


def _config(dims: ModelDims) -> CnnConfig:
    assert isinstance(dims.config, CnnConfig)
    return dims.config


def positions(config: CnnConfig) -> int:
    _, h, w = config.image
    return (h - config.kernel + 1) * (w - config.kernel + 1)


def parameters(dims: ModelDims) -> list[SlotDef]:
    config = _config(dims)
    patch = config.image[0] * config.kernel * config.kernel
    flat = positions(config) * config.channels
    shapes = (
        ("conv", patch, config.channels),
        ("hidden", flat, config.hidden),
        ("out", config.hidden, dims.num_outputs),
    )
    slots: list[SlotDef] = []
    for name, fan_in, fan_out in shapes:
        slots.append(SlotDef(f"param.{name}.weight", (fan_in, fan_out), Uniform(1 / sqrt(fan_in))))
        slots.append(SlotDef(f"param.{name}.bias", (fan_out,), Constant(0.0)))
    return slots


def forward(b: GraphBuilder, dims: ModelDims, grads: Grads, x: Ref) -> tuple[Ref, Backward]:
    """Logits ``(batch, classes)`` from images flattened as ``(batch, C*H*W)``."""
    config = _config(dims)
    c, h, w = config.image
    batch = dims.batch
    cols = b.add(ops.im2col(batch, c, h, w, config.kernel), [x], "conv.im2col")
    conv, conv_back = dense(b, grads, cols, "param.conv", need_dx=False)
    conv, relu_back = relu(b, conv, "conv.relu")
    flat = reshape(b, conv, (batch, positions(config) * config.channels), "conv.flatten")
    hidden, hidden_back = dense(b, grads, flat, "param.hidden", need_dx=b.requires_grad(flat))
    hidden, hidden_relu_back = relu(b, hidden, "hidden.relu")
    out, out_back = dense(b, grads, hidden, "param.out", need_dx=b.requires_grad(hidden))

    def backward(dy: Ref) -> Ref:
        dy = out_back(dy)
        if not b.requires_grad(hidden):
            return dy
        dy = hidden_back(hidden_relu_back(dy))
        if not b.requires_grad(flat):
            return dy
        dy = reshape(b, dy, b.shape(conv), "conv.flatten.grad")
        return conv_back(relu_back(dy))

    return out, backward
