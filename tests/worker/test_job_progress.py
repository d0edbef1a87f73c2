"""A job's loss history: every step until it is full, then thinned evenly, always with the newest."""

from __future__ import annotations

from tribunal.evaluation import Evaluation
from worker.tasks import JobProgress, TrainingOutcome


def test_every_step_is_kept_until_the_history_is_full() -> None:
    progress = JobProgress(steps=20)
    for step in range(1, 21):
        progress.record_loss(step, 1.0 / step)
    assert sorted(progress.losses) == list(range(1, 21))
    assert JobProgress.from_json(progress.to_json()).losses == progress.losses


def test_a_long_run_is_thinned_evenly_and_keeps_its_newest_step() -> None:
    progress = JobProgress(steps=1000)
    for step in range(1, 1001):
        progress.record_loss(step, float(step), limit=100)
        assert len(progress.losses) <= 101 and step in progress.losses
    steps = sorted(progress.losses)
    assert progress.loss_stride == 16
    assert steps == [*range(16, 1001, 16), 1000] or steps == list(range(16, 1001, 16))
    gaps = {b - a for a, b in zip(steps, steps[1:], strict=False)}
    assert gaps <= {16, 1000 % 16 or 16}


def test_a_resumed_run_starts_its_history_at_the_resume() -> None:
    progress = JobProgress(steps=10, resumed_from=6)
    for step in range(7, 11):
        progress.record_loss(step, 0.5)
    assert sorted(progress.losses) == [7, 8, 9, 10]


def test_the_outcome_carries_the_history_and_the_evaluation_through_json() -> None:
    outcome = TrainingOutcome("0x01", "0x02", {2: "0x03"}, 0, 4, 1.0, None, "cpu",
                              losses={1: 2.0, 2: 1.5}, evaluation=Evaluation(1.25, 0.5, 30))
    again = TrainingOutcome.from_json(outcome.to_json())
    assert again.losses == {1: 2.0, 2: 1.5} and again.evaluation == Evaluation(1.25, 0.5, 30)
    assert TrainingOutcome.from_json({**outcome.to_json(), "evaluation": None}).evaluation is None
