"""Model evaluations over the API, on both databases: the operator's report once it has trained, a
staked verifier's beside it once there is a result, each signed and refused with the reason otherwise."""

from __future__ import annotations

import time

from tests.support.backend import Indexed
from tribunal.evaluation import Evaluation, EvaluationReport


def _evaluation(
    indexed: Indexed, who: str, task: str, loss: float = 0.4375, accuracy: float | None = 0.875,
    when: float | None = None, step: int = 20,
) -> dict[str, object]:
    report = EvaluationReport(indexed.tasks[task], step, loss, accuracy, 359, int(when or time.time()))
    signature = report.sign(indexed.key(who), indexed.chain_id, indexed.market)
    return report.payload(indexed.address(who), signature)


def test_the_operator_and_a_staked_verifier_report_side_by_side(indexed: Indexed) -> None:
    c = indexed.client
    done = indexed.tasks["done"]
    url = f"/api/tasks/{done}/evaluations"
    created = c.post(url, json=_evaluation(indexed, "operator", "done"))
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "operator" and created.json()["test_accuracy"] == 0.875
    verifier = c.post(url, json=_evaluation(indexed, "challenger", "done", loss=0.5))
    assert verifier.status_code == 201, verifier.text
    assert verifier.json()["role"] == "verifier"

    detail = c.get(f"/api/tasks/{done}").json()
    assert [(e["role"], e["signer"], e["test_loss"]) for e in detail["evaluations"]] == [
        ("operator", indexed.address("operator"), 0.4375),
        ("verifier", indexed.address("challenger"), 0.5),
    ]
    listed = c.get(url).json()
    assert [e["role"] for e in listed] == ["operator", "verifier"]
    assert c.get(f"/api/tasks/{indexed.tasks['training']}").json()["evaluations"] == []

    again = c.post(url, json=_evaluation(indexed, "operator", "done"))
    assert again.status_code == 409 and "already has an evaluation of step 20" in again.json()["detail"]


def test_regression_has_no_accuracy_and_training_tasks_take_the_operators_report(indexed: Indexed) -> None:
    c = indexed.client
    url = f"/api/tasks/{indexed.tasks['training']}/evaluations"
    created = c.post(url, json=_evaluation(indexed, "operator", "training", accuracy=None))
    assert created.status_code == 201, created.text
    assert created.json()["test_accuracy"] is None
    early = c.post(url, json=_evaluation(indexed, "challenger", "training"))
    assert early.status_code == 403 and "only of a submitted result" in early.json()["detail"]


def test_bad_evaluations_are_refused_with_the_reason(indexed: Indexed) -> None:
    c = indexed.client
    url = f"/api/tasks/{indexed.tasks['done']}/evaluations"
    stranger = c.post(url, json=_evaluation(indexed, "other", "done"))
    assert stranger.status_code == 403 and "nor a staked verifier" in stranger.json()["detail"]

    forged = _evaluation(indexed, "other", "done")
    forged["signer"] = indexed.address("operator")
    refused = c.post(url, json=forged)
    assert refused.status_code == 401 and "not by" in refused.json()["detail"]

    tampered = _evaluation(indexed, "operator", "done")
    tampered["test_loss"] = 0.0001
    assert c.post(url, json=tampered).status_code == 401

    stale = c.post(url, json=_evaluation(indexed, "operator", "done", when=time.time() - 3600))
    assert stale.status_code == 401 and "away from the server's clock" in stale.json()["detail"]

    good = _evaluation(indexed, "operator", "done")
    assert c.post(url, json={**good, "test_loss": "NaN"}).status_code == 422
    assert c.post(url, json={**good, "test_accuracy": 1.5}).status_code == 422
    assert c.post("/api/tasks/999/evaluations", json=good).status_code == 401  # signed for another task
    assert c.get("/api/tasks/999/evaluations").status_code == 404


def test_a_report_round_trips_through_its_json(indexed: Indexed) -> None:
    body = _evaluation(indexed, "operator", "done", loss=2.1912457942962646, accuracy=0.2562674094707521,
                       step=40)
    created = indexed.client.post(f"/api/tasks/{indexed.tasks['done']}/evaluations", json=body)
    assert created.status_code == 201, created.text
    out = created.json()
    assert Evaluation(out["test_loss"], out["test_accuracy"], out["test_rows"]) == Evaluation(
        2.1912457942962646, 0.2562674094707521, 359
    )
