"""POST /api/datasets and GET /api/datasets: a user's file becomes a dataset a spec can name, bad
files are refused by row and column with nothing stored, and a spec on it is prepared from the
store (the same root `tribunal dataset add` computes)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.api.app import create_app
from tests.support.backend import settings_for
from tests.support.waiting import wait_for
from tribunal.datasets.ingest import IngestOptions, ingest_file
from tribunal.spec import MlpConfig, Sgd, TaskSpec, canonical_json

ClientFactory = Callable[..., TestClient]
RNG = np.random.default_rng(3)
FEATURES = RNG.normal(size=(60, 4))


def csv_bytes(rows: np.ndarray = FEATURES) -> bytes:
    out = io.StringIO()
    out.write("w,x,y,z,label\n")
    for row in rows:
        out.write(",".join(f"{v:.6f}" for v in row) + ("," + ("a" if row[0] > 0 else "b")) + "\n")
    return out.getvalue().encode()


@pytest.fixture()
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    opened: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        folder = tmp_path / f"api{len(opened)}"
        client = TestClient(create_app(settings_for(f"sqlite:///{folder}.sqlite", folder, **settings)))
        opened.append(client.__enter__())
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def upload(client: TestClient, body: bytes, **params: Any) -> Any:
    query = {"name": "mine", "target": "label", "filename": "mine.csv", **params}
    return client.post("/api/datasets", params=query, content=body,
                       headers={"content-type": "text/csv"})


def stored_datasets(client: TestClient) -> list[dict[str, Any]]:
    return [d for d in client.get("/api/datasets").json() if d["uploaded"]]


def test_an_upload_is_listed_and_a_spec_on_it_is_prepared(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client()
    answer = upload(client, csv_bytes())
    assert answer.status_code == 201, answer.text
    out = answer.json()
    ref = out["ref"]
    assert answer.headers["location"].endswith(f"/api/artifacts/{ref}")
    assert (out["rows"], out["test_rows"], out["features"], out["num_classes"]) == (48, 12, 4, 2)
    assert out["preparation"]["classes"] == ["a", "b"] and out["preparation"]["source"]["file"] == "mine.csv"
    # the same file prepared locally (what `tribunal dataset add` does) has the same root
    local = tmp_path / "mine.csv"
    local.write_bytes(csv_bytes())
    assert out["root"] == "0x" + ingest_file(local, IngestOptions(name="mine", targets=("label",))).root.hex()
    listed = stored_datasets(client)
    assert [d["ref"] for d in listed] == [ref] and listed[0]["root"] == out["root"]
    assert {d["ref"] for d in client.get("/api/datasets").json() if not d["uploaded"]} >= {"iris", "digits"}
    assert client.get(f"/api/artifacts/{ref}/meta").json()["kind"] == "dataset"

    spec = TaskSpec(model=MlpConfig(hidden=(4,)), dataset=ref, optimizer=Sgd(lr=0.1), batch_size=8, seed=1,
                    steps=3, checkpoint_every=3)
    queued = client.post("/api/specs", content=canonical_json(spec))
    assert queued.status_code in (200, 202), queued.text

    def done() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(queued.json()["status_url"]).json()
        return job if job["status"] in ("done", "failed") else None

    job = wait_for(done, 60, 0.02, what="the spec job on the uploaded dataset")
    assert job["status"] == "done", job
    assert job["result"]["datasetRoot"] == out["root"]


def test_a_list_read_before_an_upload_is_not_served_again_after_it(make_client: ClientFactory) -> None:
    client = make_client(stats_interval_s=600)
    engine = client.app.state.tribunal.engine  # type: ignore[attr-defined]

    def snapshot_taken() -> bool:
        with engine.connect() as connection:
            return bool(connection.scalar(text("SELECT count(*) FROM stats_snapshots")))

    # the start-up stats snapshot moves the response cache's version: after it, only the upload could
    wait_for(snapshot_taken, 30, 0.05, what="the start-up stats snapshot")
    assert stored_datasets(client) == []
    assert upload(client, csv_bytes()).status_code == 201
    assert [d["name"] for d in stored_datasets(client)] == ["mine"]


def test_a_spec_on_a_dataset_this_backend_lacks_is_refused(make_client: ClientFactory) -> None:
    client = make_client()
    spec = TaskSpec(model=MlpConfig(hidden=(4,)), dataset="0x" + "12" * 32, batch_size=8, steps=3,
                    checkpoint_every=3)
    refused = client.post("/api/specs", content=canonical_json(spec))
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "dataset 0x1212" in detail and "not in this backend's artifact store: upload it first" in detail


@pytest.mark.parametrize(("body", "params", "problem"), [
    (b"w,x,y,z,label\n" + b"1,2,3,nan,a\n" * 20, {}, "line 2, column 'z': 'nan' is not a finite number"),
    (b"w,x,y,z,label\n1,2,3,4,a\n1,2,3\n", {}, "line 3 has 3 fields; the header has 5"),
    (b"w,x,y,z,label\n" + b"1,2,3,oops,a\n" * 20, {}, "line 2, column 'z': 'oops' is not a number"),
    (b"w,x,y,z,label\n" + b"1,2,3,4,\n" * 20, {}, "line 2, column 'label': the target is missing"),
    (csv_bytes(), {"target": "nope"}, "--target 'nope' is not a column of mine.csv"),
], ids=["nan", "ragged", "text", "no-target", "unknown-target"])
def test_bad_files_are_refused_by_row_and_column_and_nothing_is_stored(
        make_client: ClientFactory, body: bytes, params: dict[str, str], problem: str) -> None:
    client = make_client()
    answer = upload(client, body, **params)
    assert answer.status_code == 422, answer.text
    assert problem in answer.json()["detail"]
    assert answer.json()["detail"].startswith("mine.csv: ")
    assert stored_datasets(client) == []


REVIEWS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "reviews.csv"


def test_a_text_upload_is_tokenized_as_the_cli_does(make_client: ClientFactory) -> None:
    client = make_client()
    params = {"name": "reviews", "target": "sentiment", "filename": "reviews.csv", "text": "review",
              "tokenizer": "minilm", "context": 16}
    answer = upload(client, REVIEWS.read_bytes(), **params)
    assert answer.status_code == 201, answer.text
    out = answer.json()
    assert (out["rows"], out["test_rows"], out["features"], out["num_classes"]) == (32, 8, 16, 2)
    record = out["preparation"]["text"]
    assert (record["tokenizer"], record["context"], record["column"]) == ("minilm", 16, "review")
    assert out["preparation"]["standardised"] is False
    local = ingest_file(REVIEWS, IngestOptions(name="reviews", targets=("sentiment",), text="review",
                                               tokenizer="minilm", context=16))
    assert out["root"] == "0x" + local.root.hex()


@pytest.mark.parametrize(("params", "problem"), [
    ({"tokenizer": "bert"}, "Input should be 'minilm' or 'bytes'"),
    ({"context": 2}, "greater than or equal to 3"),
    ({"feature": "sentiment"}, "--feature can't go with --text"),
    ({"text": None, "context": 16}, "--tokenizer and --context go with --text"),
    ({"text": "w", "target": "label", "body": csv_bytes()}, "column 'w' holds numbers, not text (line 2"),
    ({"body": b"review,sentiment\n" + b"tasty,positive\n" * 8 + b"  ,negative\n" + b"cold,negative\n" * 8},
     "line 10, column 'review': the text is empty"),
], ids=["unknown-tokenizer", "short-context", "feature", "no-text", "not-text", "empty-text"])
def test_bad_text_uploads_are_refused_and_nothing_is_stored(make_client: ClientFactory,
                                                            params: dict[str, Any], problem: str) -> None:
    client = make_client()
    query = {"text": "review", "target": "sentiment", **params}
    body = query.pop("body", REVIEWS.read_bytes())
    answer = upload(client, body, **{k: v for k, v in query.items() if v is not None})
    assert answer.status_code == 422, answer.text
    assert problem in answer.text
    assert stored_datasets(client) == []


def test_a_file_over_the_limit_is_refused_with_413(make_client: ClientFactory) -> None:
    client = make_client(dataset_max_bytes=1000)
    answer = upload(client, csv_bytes())
    assert answer.status_code == 413
    assert "TRIBUNAL_DATASET_MAX_BYTES" in answer.json()["detail"]
    assert stored_datasets(client) == []
    assert upload(client, b"").status_code in (400, 422)
