"""Loss nodes: the batch's mean loss and its gradient with respect to the model's output."""

from __future__ import annotations

from tribunal.graph import Ref
from tribunal.models.builder import GraphBuilder
from tribunal.models.dims import ModelDims
from tribunal.repops import ops


def loss_nodes(b: GraphBuilder, dims: ModelDims, output: Ref, targets: Ref) -> tuple[Ref, Ref]:
    """``(loss, d output)`` for ``output`` (logits or predictions) against ``targets``
    (class ids ``(rows,)`` for cross-entropy, same shape as ``output`` for MSE)."""
    if dims.loss == "mse":
        loss = b.add(ops.mse_loss(), [output, targets], "loss")
        return loss, b.add(ops.mse_grad(), [output, targets], "loss.grad")
    labels = targets
    peak = b.add(ops.reduce_max(1, 2), [output], "xent.max")
    shifted = b.add(ops.row_sub(), [output, peak], "xent.shift")
    e = b.add(ops.exp(), [shifted], "xent.exp")
    total = b.add(ops.reduce_sum(1, 2), [e], "xent.sum")
    log_total = b.add(ops.log(), [total], "xent.logsum")
    picked = b.add(ops.pick(), [shifted, labels], "xent.pick")
    nll = b.add(ops.sub(), [log_total, picked], "xent.nll")
    loss = b.add(ops.reduce_mean(0, 1), [nll], "loss")
    return loss, b.add(ops.xent_grad(), [e, total, labels], "loss.grad")
