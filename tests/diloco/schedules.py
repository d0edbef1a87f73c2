"""Small DiLoCo schedules on digits, sized for a 2-core machine."""

from __future__ import annotations

from tribunal.diloco import DilocoSchedule
from tribunal.spec import Adam, MlpConfig, Momentum, OptimizerConfig, TaskSpec


def tiny_schedule(
    *,
    rounds: int = 2,
    shards: int = 2,
    inner_steps: int = 2,
    optimizer: OptimizerConfig | None = None,
    **changes: object,
) -> DilocoSchedule:
    """An 8-unit MLP on digits: each segment takes a few milliseconds."""
    task = TaskSpec(
        model=MlpConfig(hidden=(8,)),
        dataset="digits",
        optimizer=optimizer or Adam(lr=0.01),
        batch_size=8,
        seed=3,
        steps=inner_steps,
        checkpoint_every=1,
    )
    fields: dict[str, object] = {"task": task, "rounds": rounds, "shards": shards, "inner_steps": inner_steps}
    return DilocoSchedule.model_validate({**fields, **changes})


MOMENTUM = Momentum(lr=0.05, momentum=0.9)
