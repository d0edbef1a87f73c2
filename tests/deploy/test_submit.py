"""`tribunal task wait` without a chain: what the bar and the news lines show through a task's life,
from a scripted chain and backend API (the same wait on anvil: test_submit_command.py)."""

from __future__ import annotations

import time
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from deploy.submit import ApiUnavailable, BackendApi, TrainingProgress, WaitOutcome, wait_for_task
from tribunal.chain.task_market import Task
from tribunal.protocol_enums import TaskStatus


class Recorded:
    """A WaitView that keeps what it was shown."""

    def __init__(self) -> None:
        self.bars: list[tuple[str, float, float | None, str]] = []
        self.notes: list[str] = []

    def show(self, phase: str, completed: float, total: float | None, detail: str) -> None:
        self.bars.append((phase, completed, total, detail))

    def note(self, line: str) -> None:
        self.notes.append(line)


class ScriptedApi(BackendApi):
    """The backend's answers, one per look: a report, None (no report yet) or down."""

    def __init__(self, answers: list[TrainingProgress | None | str]) -> None:
        self.answers = answers

    def latest_progress(self, task_id: int) -> TrainingProgress | None:
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer == "down":
            raise ApiUnavailable("connection refused")
        assert not isinstance(answer, str)
        return answer


def scripted_session(tasks: list[Task], now: int, voided: bool = False) -> Any:
    """A ChainSession whose task goes through ``tasks``, one per look, at chain time ``now``
    (``voided``: the chain holds a `TaskVoided` event of it)."""
    looks = iter(tasks)
    last: list[Task] = []

    def task(task_id: int) -> Task:
        last[:] = [next(looks, last[0] if last else tasks[-1])]
        return last[0]

    logs = [{"args": {"taskId": 7}}] if voided else []
    events = SimpleNamespace(TaskVoided=SimpleNamespace(get_logs=lambda **_: logs))
    market = SimpleNamespace(task=task, task_count=lambda: 1, contract=SimpleNamespace(events=events))
    eth = SimpleNamespace(get_block=lambda _: {"timestamp": now})
    return SimpleNamespace(market=market, client=SimpleNamespace(w3=SimpleNamespace(eth=eth)),
                           deployment=SimpleNamespace(block_number=0))


def a_task(now: int, **fields: Any) -> Task:
    """Task 7 as the chain holds it: open, an hour to its deadline, a 60 s challenge window."""
    base = Task(7, "0x" + "11" * 20, now + 3600, 4, "0x" + "00" * 20, 60, 2, TaskStatus.OPEN, 0, 0, 0,
                10**18, 2 * 10**18, *(bytes(32),) * 7)
    return replace(base, **fields)


def test_the_wait_shows_training_progress_falls_back_to_the_chain_and_counts_the_window_down() -> None:
    now = int(time.time()) + 10**6  # ahead of the clock: the chain's time is what counts
    operator = "0x" + "ab" * 20
    base = a_task(now)
    claimed = replace(base, status=TaskStatus.CLAIMED, operator=operator, claimed_at=now - 5)
    submitted = replace(claimed, status=TaskStatus.SUBMITTED, submitted_at=now - 15)
    finalized = replace(submitted, status=TaskStatus.FINALIZED)
    report = TrainingProgress(operator.upper().replace("0X", "0x"), 2, 1.23456, 3.5)
    stale = TrainingProgress("0x" + "cd" * 20, 4, 9.0, 1.0)  # the last operator's, before a reopen
    api = ScriptedApi([None, "down", stale, report, report])
    view = Recorded()
    outcome, task = wait_for_task(scripted_session([base, claimed, claimed, claimed, claimed, submitted,
                                                    finalized], now), 7, api, view, poll_s=0.0)
    assert outcome is WaitOutcome.FINALIZED and task.status is TaskStatus.FINALIZED
    assert ("waiting for a claim", 0, None, "deadline in 60 min 0 s") in view.bars
    assert ("training", 0, 4, "step ?/4 (waiting for a progress report)") in view.bars
    assert ("training", 0, 4, "step ?/4 (no progress reports)") in view.bars  # the API is down
    assert ("training", 2, 4, "step 2/4, loss 1.2346, 3.5 steps/s") in view.bars
    assert not any("loss 9.0" in detail for *_, detail in view.bars)
    assert ("challenge window", 15, 60, "ends in 45 s") in view.bars
    assert view.bars[-1] == ("finalized", 1, 1, "")
    notes = "\n".join(view.notes)
    assert "does not answer (connection refused): showing the chain's status only" in notes
    assert "answers again" in notes
    assert f"task 7 claimed by {operator}: training 4 steps" in notes
    assert "task 7 finalized: 1 ETH paid" in notes


@pytest.mark.parametrize(("status", "past_deadline", "voided", "expected"), [
    (TaskStatus.CANCELLED, False, False, WaitOutcome.CANCELLED),
    (TaskStatus.REFUNDED, True, False, WaitOutcome.EXPIRED),     # expired: no result by the deadline
    (TaskStatus.REFUNDED, True, True, WaitOutcome.VOIDED),       # the voided result was refunded
    (TaskStatus.OPEN, True, False, WaitOutcome.EXPIRED),         # nobody claimed it in time
    (TaskStatus.CLAIMED, True, False, WaitOutcome.EXPIRED),      # the operator missed the deadline
    (TaskStatus.OPEN, True, True, WaitOutcome.VOIDED),           # reopened after a void, too late
    (TaskStatus.VOIDED, True, False, WaitOutcome.VOIDED),        # its games still running, too late
    (TaskStatus.SUBMITTED, True, False, None),                   # a result in time: it may still pay
    (TaskStatus.VOIDED, False, True, None),                      # it opens again before the deadline
])
def test_each_ending_has_its_exit_code(status: TaskStatus, past_deadline: bool, voided: bool,
                                       expected: WaitOutcome | None) -> None:
    now = int(time.time()) + 10**6
    task = a_task(now, status=status, deadline=now - 1 if past_deadline else now + 60)
    session = scripted_session([task], now, voided=voided)
    if expected is None:
        view = Recorded()
        outcome, _ = wait_for_task(session, 7, None, view, poll_s=0.1, timeout_s=0.05)
        assert outcome is WaitOutcome.TIMED_OUT and "after --timeout" in view.notes[-1]
        return
    view = Recorded()
    outcome, _ = wait_for_task(session, 7, None, view, poll_s=0.1)
    assert outcome is expected
    assert int(outcome) == {"CANCELLED": 5, "EXPIRED": 4, "VOIDED": 3}[outcome.name]
