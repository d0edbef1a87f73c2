"""Training progress, shown and shared: a rich live bar per task in the terminal, and signed
reports to the backend (`tribunal.progress`) when an API URL is configured.

Both are best effort: neither may slow training or stop the agent. Reports are rate limited
(the backend keeps one per step) and a backend that is down is logged once, not per step. Each
batch sends every step of the job's loss history not sent yet (`JobProgress.losses`), so the
backend gets the whole curve even when a job runs many steps between two polls; when training
ends the final model's evaluation is signed and sent too (`tribunal.evaluation`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from tribunal.chain.keys import Signer
from tribunal.evaluation import Evaluation, EvaluationReport
from tribunal.progress import now_report, progress_payload, sign_progress

log = logging.getLogger(__name__)


class TerminalProgress:
    """One bar per training task: step/steps, loss, steps/s, ETA (disabled off a terminal)."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.progress = Progress(
            TextColumn("task [bold]{task.fields[task_id]}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[rate]} steps/s"),
            TimeRemainingColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._bars: dict[int, TaskID] = {}

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        self.progress.stop()

    def update(self, task_id: int, step: int, steps: int, loss: float | None, steps_per_s: float) -> None:
        loss_text = "—" if loss is None else f"{loss:.4f}"
        rate = f"{steps_per_s:.1f}"
        if task_id not in self._bars:
            self._bars[task_id] = self.progress.add_task("", total=steps, completed=step, task_id=task_id,
                                                         loss=loss_text, rate=rate)
        self.progress.update(self._bars[task_id], completed=step, loss=loss_text, rate=rate)

    def finish(self, task_id: int) -> None:
        bar = self._bars.pop(task_id, None)
        if bar is not None:
            self.progress.remove_task(bar)


@dataclass
class BackendProgress:
    """Signs and posts progress reports to ``{api_url}/api/tasks/{id}/progress``."""

    api_url: str
    signer: Signer
    chain_id: int
    market: str
    min_interval_s: float = 2.0
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=5.0))
    _last: dict[int, float] = field(default_factory=dict)
    _sent_step: dict[int, int] = field(default_factory=dict)
    _pending: dict[int, dict[int, float]] = field(default_factory=dict)
    _speed: dict[int, float] = field(default_factory=dict)
    _failing: bool = False

    def report(
        self, task_id: int, losses: dict[int, float], steps_per_s: float, final: bool = False
    ) -> None:
        """Send the steps of ``losses`` (the job's history, step → loss) not sent yet, oldest first;
        at most one batch per ``min_interval_s`` unless ``final``. What the backend refuses (it may
        not have indexed the claim yet) waits for the next `flush`."""
        sent = self._sent_step.get(task_id, -1)
        self._pending[task_id] = {s: loss for s, loss in losses.items() if s > sent}
        self._speed[task_id] = steps_per_s
        if final or time.monotonic() - self._last.get(task_id, 0.0) >= self.min_interval_s:
            self.flush(task_id)

    def flush(self, task_id: int) -> bool:
        """Send the task's reports still pending; True once none is left."""
        pending = self._pending.get(task_id)
        if not pending:
            return True
        self._last[task_id] = time.monotonic()
        for step in sorted(pending):
            if not self._send(task_id, step, pending[step], self._speed.get(task_id, 0.0)):
                return False
            del pending[step]
        del self._pending[task_id]
        return True

    def _send(self, task_id: int, step: int, loss: float, steps_per_s: float) -> bool:
        report = now_report(task_id, step, loss, steps_per_s)
        signature = sign_progress(report, self.signer.account.key, self.chain_id, self.market)
        url = f"{self.api_url.rstrip('/')}/api/tasks/{task_id}/progress"
        if not self._post(url, progress_payload(report, self.signer.address, signature), "progress report"):
            return False
        self._sent_step[task_id] = step
        return True

    def report_evaluation(self, task_id: int, step: int, evaluation: Evaluation) -> bool:
        """Sign and send the final model's evaluation; True once the backend has it."""
        report = EvaluationReport.now(task_id, step, evaluation)
        signature = report.sign(self.signer.account.key, self.chain_id, self.market)
        url = f"{self.api_url.rstrip('/')}/api/tasks/{task_id}/evaluations"
        return self._post(url, report.payload(self.signer.address, signature), "evaluation report")

    def _post(self, url: str, body: dict[str, object], what: str) -> bool:
        """True if the backend stored it (or already had it)."""
        try:
            response = self.http.post(url, json=body)
        except httpx.HTTPError as exc:
            self._complain(f"{what} to {url} failed: {exc}")
            return False
        if response.status_code in (200, 201, 409):
            self._failing = False
            return True
        self._complain(f"{what} to {url}: HTTP {response.status_code} {response.text[:200]}")
        return False

    def _complain(self, message: str) -> None:
        if not self._failing:
            log.warning("%s (further failures are not logged until one succeeds)", message)
        self._failing = True
