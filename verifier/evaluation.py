"""Comparing our recomputed evaluation of a model with the operator's, and publishing ours.

The checker recomputes ``h_S``'s test loss and accuracy with RepOps (`verifier.checking`); here they
meet what the operator signed and posted to the backend. RepOps is bit-exact, so the tolerance is
zero (`tribunal.evaluation.EVALUATION_TOLERANCE`). Whatever the outcome, the verifier signs its own
numbers and posts them beside the operator's, so the dashboard can say whether the verifier agrees.
A disagreement is logged and kept in the check record; it is never disputed (evaluation is not in
the trace, and no game can settle it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx

from tribunal.chain.keys import Signer
from tribunal.evaluation import Evaluation, EvaluationReport

log = logging.getLogger("verifier.evaluation")


@dataclass
class EvaluationBoard:
    """The backend's evaluation reports (``{api_url}/api/tasks/{id}/evaluations``)."""

    api_url: str
    signer: Signer
    chain_id: int
    market: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=5.0))

    def _url(self, task_id: int) -> str:
        return f"{self.api_url.rstrip('/')}/api/tasks/{task_id}/evaluations"

    def operator_evaluation(self, task_id: int, step: int) -> Evaluation | None:
        """What the task's operator published for the state after ``step`` (None: nothing)."""
        response = self.http.get(self._url(task_id))
        response.raise_for_status()
        for row in response.json():
            if row["role"] == "operator" and row["step"] == step:
                return Evaluation(float(row["test_loss"]), row["test_accuracy"], int(row["test_rows"]))
        return None

    def publish(self, task_id: int, step: int, evaluation: Evaluation) -> None:
        """Sign and post our evaluation (one per task and step: a repeat is answered 409 and fine)."""
        report = EvaluationReport.now(task_id, step, evaluation)
        signature = report.sign(self.signer.account.key, self.chain_id, self.market)
        response = self.http.post(self._url(task_id), json=report.payload(self.signer.address, signature))
        if response.status_code not in (200, 201, 409):
            raise httpx.HTTPStatusError(f"HTTP {response.status_code}: {response.text[:200]}",
                                        request=response.request, response=response)


def compare(ours: Evaluation, theirs: Evaluation | None) -> tuple[str, bool]:
    """The check record's words for ``ours`` against the operator's ``theirs``, and whether they disagree."""
    if theirs is None:
        return f"the operator published no evaluation; we measured {ours.describe()}", False
    if ours.agrees_with(theirs):
        return f"agrees with the operator's {theirs.describe()}", False
    return (f"disagrees: the operator reports {theirs.describe()}, we measured {ours.describe()} "
            "(RepOps is bit-exact: reported, not disputed)"), True


def review(board: EvaluationBoard | None, task_id: int, step: int, ours: Evaluation) -> str:
    """Compare ``ours`` with the operator's published evaluation and publish ours; the note to keep."""
    if board is None:
        return f"measured {ours.describe()} (no --api-url: not compared with the operator's)"
    try:
        theirs = board.operator_evaluation(task_id, step)
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("task %d: cannot read the operator's evaluation from %s: %s", task_id, board.api_url, exc,
                    extra={"event": "evaluation_unreadable", "task_id": task_id})
        return f"measured {ours.describe()} (the operator's could not be read: {exc})"
    note, disagrees = compare(ours, theirs)
    if disagrees:
        log.warning("task %d: evaluation %s", task_id, note,
                    extra={"event": "evaluation_disagrees", "task_id": task_id, "test_loss": ours.loss,
                           "test_accuracy": ours.accuracy})
    else:
        log.info("task %d: evaluation %s", task_id, note,
                 extra={"event": "evaluation_checked", "task_id": task_id})
    try:
        board.publish(task_id, step, ours)
    except httpx.HTTPError as exc:
        log.warning("task %d: cannot post our evaluation to %s: %s", task_id, board.api_url, exc,
                    extra={"event": "evaluation_not_posted", "task_id": task_id})
    return note
