"""A fast job reports its whole loss curve and its model's test evaluation: the operator agent (real
anvil, real backend) publishes every step's loss, not only the steps it happened to poll, and the
final model's test loss and accuracy, bit for bit what anyone evaluating the result's state gets."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.agents import OPERATOR_KEYS, start_agent
from tests.support.chain import Devnet
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tribunal.chain.keys import signer_from_private_key
from tribunal.evaluation import evaluate_state
from tribunal.training import train


def test_a_fast_job_reports_every_step_and_its_evaluation(
    devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str, tmp_path: Path,
) -> None:
    spec = tiny_spec(seed=71, steps=20, checkpoint_every=5)
    task_id = submitter.post(spec, challenge_window=300)
    worker = start_agent(devnet, deployment_file, tmp_path / "worker", OPERATOR_KEYS["alice"], backend_url,
                         api_url=backend_url)
    try:
        def reported() -> dict | None:
            history = httpx.get(f"{backend_url}/api/tasks/{task_id}/progress", params={"limit": 500}).json()
            detail = httpx.get(f"{backend_url}/api/tasks/{task_id}").json()
            done = history.get("total") == spec.steps and detail.get("evaluations")
            return {"history": history, "detail": detail} if done else None

        answer = wait_for(reported, 120, what="all 20 loss points and the evaluation in the backend")
    finally:
        worker.halt()
    expected = train(spec)
    history = answer["history"]["items"]
    assert [p["step"] for p in history] == list(range(1, spec.steps + 1))
    assert [p["loss"] for p in history] == [expected.losses[s - 1] for s in range(1, spec.steps + 1)]

    alice = signer_from_private_key(OPERATOR_KEYS["alice"]).address.lower()
    [evaluation] = answer["detail"]["evaluations"]
    assert (evaluation["role"], evaluation["signer"], evaluation["step"]) == ("operator", alice, spec.steps)
    ours = evaluate_state(spec, expected.final_state)
    assert (evaluation["test_loss"], evaluation["test_accuracy"], evaluation["test_rows"]) == (
        ours.loss, ours.accuracy, ours.rows)
