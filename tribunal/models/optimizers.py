"""Optimizer state slots and update nodes. Every state slot is rewritten each step.

Only trainable parameters have optimizer state and an update; a frozen one is held (its next
value is an exact copy of it: ``GraphBuilder.hold``).

Adam keeps ``beta1^t`` and ``beta2^t`` as state (initially 1.0) so its bias correction
needs no per-step constant: each step multiplies them by the betas, then updates.
"""

from __future__ import annotations

from collections.abc import Sequence

from tribunal.models.builder import Constant, GraphBuilder, SlotDef
from tribunal.models.layers import Grads
from tribunal.repops import ops
from tribunal.spec import Adam, Momentum, OptimizerConfig

BETA1_POWER = "opt.adam.beta1_power"
BETA2_POWER = "opt.adam.beta2_power"


def optimizer_slots(optimizer: OptimizerConfig, params: Sequence[SlotDef]) -> list[SlotDef]:
    """The optimizer's state for the trainable ``params``, after the parameters in slot order."""
    zero = Constant(0.0)
    if isinstance(optimizer, Momentum):
        return [SlotDef(f"opt.momentum.{p.name}", p.shape, zero) for p in params]
    if isinstance(optimizer, Adam):
        return [
            *(SlotDef(f"opt.adam.m.{p.name}", p.shape, zero) for p in params),
            *(SlotDef(f"opt.adam.v.{p.name}", p.shape, zero) for p in params),
            SlotDef(BETA1_POWER, (), Constant(1.0)),
            SlotDef(BETA2_POWER, (), Constant(1.0)),
        ]
    return []


def update_nodes(
    b: GraphBuilder, optimizer: OptimizerConfig, params: Sequence[SlotDef], grads: Grads
) -> None:
    """Append the update of every trainable parameter and its optimizer state; hold the others."""
    if isinstance(optimizer, Adam):
        p1 = b.add(ops.scale(optimizer.beta1), [b.state(BETA1_POWER)], BETA1_POWER)
        p2 = b.add(ops.scale(optimizer.beta2), [b.state(BETA2_POWER)], BETA2_POWER)
        b.write_state(BETA1_POWER, p1)
        b.write_state(BETA2_POWER, p2)
    for param in params:
        if not b.trainable(param.name):
            b.hold(param.name)
            continue
        name, grad, weight = param.name, grads[param.name], b.state(param.name)
        if isinstance(optimizer, Momentum):
            slot = f"opt.momentum.{name}"
            buf = b.add(ops.momentum(optimizer.momentum), [b.state(slot), grad], slot)
            b.write_state(slot, buf)
            new = b.add(ops.sgd(optimizer.lr), [weight, buf], f"update.{name}")
        elif isinstance(optimizer, Adam):
            m_slot, v_slot = f"opt.adam.m.{name}", f"opt.adam.v.{name}"
            m = b.add(ops.adam_m(optimizer.beta1), [b.state(m_slot), grad], m_slot)
            v = b.add(ops.adam_v(optimizer.beta2), [b.state(v_slot), grad], v_slot)
            b.write_state(m_slot, m)
            b.write_state(v_slot, v)
            update = ops.adam_update(optimizer.lr, optimizer.eps)
            new = b.add(update, [weight, m, v, p1, p2], f"update.{name}")
        else:
            new = b.add(ops.sgd(optimizer.lr), [weight, grad], f"update.{name}")
        b.write_state(name, new)
