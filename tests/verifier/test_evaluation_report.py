"""The verifier recomputes the model's test evaluation and compares it with the operator's published
one: a wrong published evaluation is reported (logged, kept in the check record, posted beside the
operator's, signed), and no game is opened over it, since evaluation is not in the trace."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.agents import OPERATOR_KEYS, start_agent
from tests.support.chain import Devnet, actor_key
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tribunal.chain.keys import signer_from_private_key
from tribunal.chain.session import open_session
from tribunal.evaluation import Evaluation, EvaluationReport, evaluate_state
from tribunal.training import train
from verifier.agent import VerifierAgent, VerifierConfig
from verifier.checking import Mode, Verdict
from verifier.evaluation import compare, review
from verifier.state import StateDir


def test_a_wrong_published_evaluation_is_reported_not_disputed(
    announcing_market: None, devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    spec = tiny_spec(seed=73, steps=6)
    task_id = submitter.post(spec, challenge_window=300)
    true = evaluate_state(spec, train(spec).final_state)
    assert true.accuracy is not None
    # The worker trains honestly but posts nothing; the test posts a flattering evaluation in its name.
    worker = start_agent(devnet, deployment_file, tmp_path / "worker", OPERATOR_KEYS["alice"], backend_url)
    operator = signer_from_private_key(OPERATOR_KEYS["alice"]).address.lower()
    try:
        wait_for(lambda: httpx.get(f"{backend_url}/api/tasks/{task_id}").json().get("status") == "SUBMITTED",
                 120, what="the result indexed")
        lie = EvaluationReport(task_id, spec.steps, true.loss / 2, min(1.0, true.accuracy + 0.25), true.rows,
                               int(time.time()))
        deployment = devnet.deployment
        signature = lie.sign(OPERATOR_KEYS["alice"], deployment.chain_id, deployment.task_market)
        posted = httpx.post(f"{backend_url}/api/tasks/{task_id}/evaluations",
                            json=lie.payload(operator, signature))
        assert posted.status_code == 201, posted.text

        config = VerifierConfig(state_dir=tmp_path / "verifier", stake=10**18, mode=Mode.SPOT,
                                artifact_store=backend_url, api_url=backend_url, device="cpu",
                                poll_interval_s=0.2)
        session = open_session(devnet.anvil.rpc_url, deployment_file, private_key=actor_key("challenger"))
        verifier = VerifierAgent(session, config)
        stop = threading.Event()
        thread = threading.Thread(target=verifier.run, args=(stop,), daemon=True)
        thread.start()
        try:
            state = StateDir(tmp_path / "verifier")

            def checked() -> str:
                record = state.read().checks.get(task_id) if state.exists() else None
                return record.evaluation if record is not None and record.status == "done" else ""

            note = wait_for(checked, 120, what="the verifier's evaluation check")

            def verifier_report() -> dict | None:
                rows = httpx.get(f"{backend_url}/api/tasks/{task_id}/evaluations").json()
                return next((r for r in rows if r["role"] == "verifier"), None)

            theirs = wait_for(verifier_report, 60, what="the verifier's evaluation in the backend")
        finally:
            stop.set()
            thread.join(timeout=30)
    finally:
        worker.halt()

    record = StateDir(tmp_path / "verifier").read().checks[task_id]
    assert record.verdict == Verdict.HONEST.value and record.game_id is None
    assert note.startswith("disagrees: the operator reports") and "reported, not disputed" in note
    assert record.result["evaluation"] == {"loss": true.loss, "accuracy": true.accuracy, "rows": true.rows}
    assert record.result["evaluation_note"] == note
    verifier_address = signer_from_private_key(actor_key("challenger")).address.lower()
    assert theirs["signer"] == verifier_address and theirs["step"] == spec.steps
    assert (theirs["test_loss"], theirs["test_accuracy"], theirs["test_rows"]) == (
        true.loss, true.accuracy, true.rows)
    events = [r for r in caplog.records if getattr(r, "event", "") == "evaluation_disagrees"]
    assert [r.task_id for r in events] == [task_id]
    assert devnet.game("other").game_count() == 0



def test_the_comparison_is_exact_and_says_what_each_side_measured() -> None:
    ours = Evaluation(0.5, 0.75, 30)
    assert compare(ours, Evaluation(0.5, 0.75, 30)) == ("agrees with the operator's test loss 0.5, accuracy "
                                                        "0.7500 on 30 rows", False)
    note, disagrees = compare(ours, Evaluation(0.25, 0.75, 30))
    assert disagrees and note.startswith("disagrees: the operator reports test loss 0.25")
    assert "we measured test loss 0.5" in note
    note, disagrees = compare(ours, None)
    assert not disagrees and note.startswith("the operator published no evaluation")
    assert review(None, 1, 6, ours).endswith("(no --api-url: not compared with the operator's)")
