"""The REST API over an indexed devnet, on both databases: filters, pagination, errors, progress, and
property-based requests generated from the OpenAPI document (schemathesis): no input makes it fail."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.support.backend import Indexed
from tests.support.chain import ETHER
from tribunal.progress import ProgressReport, progress_payload, sign_progress


def test_tasks_filter_paginate_and_show_detail(indexed: Indexed) -> None:
    c = indexed.client
    page = c.get("/api/tasks", params={"limit": 2}).json()
    assert page["total"] == 6 and len(page["items"]) == 2 and page["items"][0]["task_id"] == 6
    second = c.get("/api/tasks", params={"limit": 2, "offset": 2}).json()
    assert [t["task_id"] for t in second["items"]] == [4, 3]
    oldest = c.get("/api/tasks", params={"order": "oldest", "limit": 1}).json()["items"][0]
    assert oldest["task_id"] == 1 and oldest["reward"] == str(3 * ETHER)

    claimed = c.get("/api/tasks", params={"status": "CLAIMED"}).json()
    assert [t["task_id"] for t in claimed["items"]] == [indexed.tasks["training"]]
    mine = c.get(
        "/api/tasks", params={"operator": indexed.address("operator").upper().replace("0X", "0x")}
    ).json()
    assert mine["total"] == 4  # done, late, operator_won, training (the reopened task has no operator)
    by_submitter = c.get("/api/tasks", params={"submitter": indexed.address("submitter")}).json()
    assert by_submitter["total"] == 6

    detail = c.get(f"/api/tasks/{indexed.tasks['challenger_won']}").json()
    assert detail["status"] == "OPEN" and detail["attempts"] == 1
    assert [s["outcome"] for s in detail["submissions"]] == ["voided"]
    assert [(d["game_id"], d["status"]) for d in detail["disputes"]] == [(2, "CHALLENGER_WON")]
    assert detail["diloco"] is None  # not a DiLoCo job's task

    timeline = c.get(f"/api/tasks/{indexed.tasks['done']}/timeline").json()
    assert [e["name"] for e in timeline["items"]] == [
        "TaskPosted",
        "TaskClaimed",
        "ResultSubmitted",
        "TaskFinalized",
    ]


def test_operators_disputes_stats_events(indexed: Indexed) -> None:
    c = indexed.client
    operators = c.get("/api/operators").json()
    assert {o["address"] for o in operators["items"]} == {
        indexed.address("operator"),
        indexed.address("challenger"),
    }
    op = c.get(f"/api/operators/{indexed.address('operator')}").json()
    assert op["tasks_completed"] == 1 and op["earnings"] == str(3 * ETHER)
    assert op["wins"] == 2 and op["losses"] == 3  # completed + a dispute won; expired, voided, a dispute lost
    assert int(op["free"]) == int(op["bonded"]) - int(op["locked"])
    assert {s["reason"] for s in op["slashes"]} == {"missed_deadline", "dispute_lost"}
    assert len(op["tasks"]) == 5

    games = c.get("/api/disputes", params={"status": "OPERATOR_WON"}).json()
    assert [g["game_id"] for g in games["items"]] == [1]
    game = c.get("/api/disputes/1").json()
    assert game["descent"]["levels_done"] == ["STEPS"] and game["descent"]["found_step"] == 0
    assert game["moves"][0]["name"] == "GameOpened"
    # the verdict, then its settlement (here a timeout: both in one transaction)
    assert [m["name"] for m in game["moves"][-2:]] == ["GameResolved", "GameSettled"]
    opened = game["moves"][0]["args"]
    last_clock = [m["args"] for m in game["moves"] if m["name"] == "ClockStarted"][-1]
    descents = [m["args"] for m in game["moves"] if m["name"] == "DescentStarted"]
    # uint64 arguments of the moves come as strings; the game's fields as numbers
    assert game["max_clock"] == int(opened["maxClock"])
    assert game["trace_root_operator"] == opened["traceRootOperator"]
    assert (game["used_challenger"], game["used_operator"]) == (
        int(last_clock["usedChallenger"]), int(last_clock["usedOperator"]))
    assert game["leaf_count"] == int(descents[-1]["leafCount"]) and game["move_deadline"] is None
    assert (game["winner"], game["loser"]) == (indexed.address("operator"), indexed.address("challenger"))
    row_fields = ("max_clock", "used_challenger", "used_operator", "move_deadline", "leaf_count", "loser",
                  "trace_root_operator")
    assert {k: games["items"][0][k] for k in row_fields} == {k: game[k] for k in row_fields}
    assert c.get("/api/disputes", params={"account": indexed.address("challenger")}).json()["total"] == 2
    # both games ran on their task's stake; none queued
    assert (game["collateral"], game["collateral_amount"], game["queue_position"], game["moot"]) == (
        "TASK_STAKE", str(2 * ETHER), None, None)
    assert c.get("/api/disputes", params={"status": "QUEUED"}).json()["total"] == 0
    assert c.get("/api/disputes", params={"status": "WITHDRAWN"}).json()["total"] == 0

    stats = c.get("/api/stats", params={"fresh": True}).json()
    assert stats["tasks"] == 6 and stats["disputes"] == 2 and stats["disputes_open"] == 0
    assert stats["tasks_by_status"]["REFUNDED"] == 1 and stats["rewards_paid"] == str(3 * ETHER)
    events = c.get("/api/events", params={"contract": "DisputeGame", "name": "GameResolved"}).json()
    assert events["total"] == 2
    assert c.get("/api/indexer").json()["cursor_block"] == indexed.devnet.anvil.w3.eth.block_number


def test_bad_input_gets_a_4xx_that_says_what_is_wrong(indexed: Indexed) -> None:
    c = indexed.client
    missing = c.get("/api/tasks/999")
    assert missing.status_code == 404 and "no task 999" in missing.json()["detail"]
    assert c.get("/api/tasks", params={"status": "DONE"}).status_code == 422
    assert c.get("/api/tasks", params={"limit": 0}).status_code == 422
    assert c.get("/api/tasks", params={"operator": "0x1234"}).status_code == 422
    assert c.get("/api/tasks/-1").status_code == 422
    assert c.get(f"/api/tasks/{2**70}").status_code == 422
    assert c.get("/api/operators/0x" + "ab" * 20).status_code == 404
    assert c.get("/api/disputes/77").json()["detail"].startswith("no dispute game 77")


def test_health_metrics_and_openapi(indexed: Indexed) -> None:
    c = indexed.client
    health = c.get("/healthz").json()
    assert health["status"] == "ok" and health["indexer"]["chain_id"] == 31337
    c.get("/api/tasks")
    metrics = c.get("/metrics").text
    assert 'tribunal_http_requests_total{method="GET",route="/api/tasks",status="200"}' in metrics
    schema = c.get("/openapi.json").json()
    for path in (
        "/api/tasks",
        "/api/tasks/{task_id}/timeline",
        "/api/tasks/{task_id}/progress",
        "/api/operators",
        "/api/disputes/{game_id}",
        "/api/stats",
        "/api/events/stream",
        "/api/artifacts/{content_hash}",
        "/healthz",
        "/metrics",
    ):
        assert path in schema["paths"], path


def _report(indexed: Indexed, who: str, step: int, when: float | None = None, task: str = "training") -> dict:
    report = ProgressReport(indexed.tasks[task], step, 0.5 / (step + 1), 12.5, int(when or time.time()))
    signature = sign_progress(report, indexed.key(who), indexed.chain_id, indexed.market)
    return progress_payload(report, indexed.address(who), signature)


def test_progress_is_accepted_only_from_the_tasks_operator(indexed: Indexed) -> None:
    c = indexed.client
    url = f"/api/tasks/{indexed.tasks['training']}/progress"
    for step in (10, 20):
        created = c.post(url, json=_report(indexed, "operator", step))
        assert created.status_code == 201, created.text
    history = c.get(url).json()
    assert [p["step"] for p in history["items"]] == [10, 20] and history["items"][0]["steps_per_s"] == 12.5
    assert c.get(f"/api/tasks/{indexed.tasks['training']}").json()["latest_progress"]["step"] == 20

    again = c.post(url, json=_report(indexed, "operator", 20))
    assert again.status_code == 409 and "already has a report of step 20" in again.json()["detail"]

    stranger = c.post(url, json=_report(indexed, "other", 30))
    assert stranger.status_code == 403 and "is not training task" in stranger.json()["detail"]

    forged = _report(indexed, "other", 30)
    forged["operator"] = indexed.address("operator")
    refused = c.post(url, json=forged)
    assert refused.status_code == 401 and "not by" in refused.json()["detail"]

    tampered = _report(indexed, "operator", 40)
    tampered["loss"] = 0.0001
    assert c.post(url, json=tampered).status_code == 401

    stale = c.post(url, json=_report(indexed, "operator", 50, when=time.time() - 3600))
    assert stale.status_code == 401 and "away from the server's clock" in stale.json()["detail"]

    settled = c.post(
        f"/api/tasks/{indexed.tasks['done']}/progress", json=_report(indexed, "operator", 1, task="done")
    )
    assert settled.status_code == 403 and "FINALIZED" in settled.json()["detail"]
    assert c.post(url, json={**_report(indexed, "operator", 60), "loss": "NaN"}).status_code == 422


# ---------------------------------------------------------------- schemathesis

schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/api/events/stream")


@pytest.fixture()
def api_schema(indexed: Indexed) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", indexed.client.app)


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_generated_requests_get_no_server_error(case: schemathesis.Case) -> None:
    # Every built-in check but two. The Allow header of 405 answers: FastAPI's nested routers list
    # only the first matching route's methods there. And "schema-valid data is accepted" for PUT
    # /api/artifacts/{hash}: random bytes never hash to the random name, and a mismatch must be refused;
    # likewise for POST /api/specs: a generated object is shaped like a spec but names no dataset
    # or model that fits, and must be refused with the reason (422).
    excluded = [checks.allow_header_conformance]
    if (case.method, case.operation.path) in {("PUT", "/api/artifacts/{content_hash}"),
                                              ("POST", "/api/specs")}:
        excluded.append(checks.positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
