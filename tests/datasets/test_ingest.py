"""A user's own file as a dataset: every format read the same way, bad input refused by row and
column with nothing stored, the root the same however often and wherever it is prepared."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tribunal import artifact_cache
from tribunal.artifact_cache import ArtifactNotCached, cached_artifact, fetch_artifact, store_artifact
from tribunal.datasets import dataset_from_bytes, dataset_to_bytes, load_dataset
from tribunal.datasets import ingest as ingest_module
from tribunal.datasets.ingest import DatasetInputError, IngestOptions, ingest_file
from tribunal.datasets.serialization import HEADER_PREFIX_BYTES, dataset_header, dataset_header_length
from tribunal.datasets.store import fetch_dataset, is_dataset_ref, upload_dataset
from tribunal.spec import MlpConfig, TaskSpec
from tribunal.tasks import prepare_task, task_input_digests

RNG = np.random.default_rng(7)
X = RNG.normal(size=(120, 3))
LABELS = np.where(X[:, 0] - X[:, 2] > 0, "spam", "ham")


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture()
def labelled_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "mail.csv", ["f1", "f2", "f3", "kind"],
                     [[*row, label] for row, label in zip(X, LABELS, strict=True)])


def options(**overrides: object) -> IngestOptions:
    base: dict[str, object] = {"name": "mail", "targets": ("kind",)}
    return IngestOptions(**{**base, **overrides})  # type: ignore[arg-type]


def test_csv_classification_is_split_standardised_and_numbered(labelled_csv: Path) -> None:
    dataset = ingest_file(labelled_csv, options())
    assert (dataset.num_rows, dataset.num_test_rows) == (96, 24)
    assert (dataset.num_features, dataset.num_targets, dataset.num_classes) == (3, 1, 2)
    assert dataset.target_kind == "class"
    everything = np.concatenate([dataset.features, dataset.test_features])
    assert np.allclose(dataset.features.mean(axis=0), 0, atol=1e-6)  # standardised on the training rows
    assert everything.shape == (120, 3)
    preparation = json.loads(dataset.preparation or "")
    assert preparation["classes"] == ["ham", "spam"]
    assert preparation["features"] == ["f1", "f2", "f3"] and preparation["targets"] == ["kind"]
    assert preparation["source"]["file"] == "mail.csv" and preparation["source"]["format"] == "csv"
    # class ids follow the sorted labels: 'spam' rows are those with f1 - f3 > 0
    means, stds = np.array(preparation["feature_mean"]), np.array(preparation["feature_std"])
    raw = dataset.features.astype(np.float64) * stds + means
    assert np.array_equal(dataset.targets[:, 0] == 1, raw[:, 0] - raw[:, 2] > 0)


def test_the_root_is_the_same_every_time_and_survives_the_store(labelled_csv: Path, tmp_path: Path) -> None:
    first, second = ingest_file(labelled_csv, options()), ingest_file(labelled_csv, options())
    assert first.root == second.root and first.test_root == second.test_root
    data = dataset_to_bytes(first)
    assert dataset_to_bytes(second) == data
    back = dataset_from_bytes(data)
    assert back.root == first.root and back.preparation == first.preparation
    header = dataset_header(data[:HEADER_PREFIX_BYTES + dataset_header_length(data)])
    assert header["name"] == "mail" and header["preparation"]["classes"] == ["ham", "spam"]
    # another name, another split: the name is part of the preparation
    assert ingest_file(labelled_csv, options(name="other")).root != first.root


def test_a_spec_names_an_uploaded_dataset_by_hash(labelled_csv: Path) -> None:
    dataset = ingest_file(labelled_csv, options())
    ref = upload_dataset(dataset, store=None)  # into this machine's cache only
    assert is_dataset_ref(ref) and ref == "0x" + artifact_cache.content_hash(dataset_to_bytes(dataset))[2:]
    assert load_dataset(ref).root == dataset.root
    spec = TaskSpec(model=MlpConfig(hidden=(4,)), dataset=ref, batch_size=8, steps=2, checkpoint_every=1)
    assert task_input_digests(spec) == [ref]
    assert prepare_task(spec, "").dataset_root == dataset.root
    with pytest.raises(ValueError, match="64 lower-case hex digits"):
        TaskSpec(model=MlpConfig(), dataset=ref.upper().replace("0X", "0x"))


def test_parquet_numpy_and_npz_read_alike(tmp_path: Path) -> None:
    y = (LABELS == "spam").astype(np.int64)
    pq.write_table(pa.table({"f1": X[:, 0], "f2": X[:, 1], "f3": X[:, 2], "kind": y}), tmp_path / "d.parquet")
    np.save(tmp_path / "d.npy", np.c_[X, y])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    roots = {
        ingest_file(tmp_path / "d.parquet", options()).root,
        ingest_file(tmp_path / "d.npy", options(targets=("-1",))).root,
        ingest_file(tmp_path / "d.npz", options(targets=())).root,
    }
    assert len(roots) == 1  # the same numbers prepared the same way, whatever the file


def test_regression_standardises_the_targets(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["a", "b", "c", "y"], [[*row, 3 * row[0] + 10] for row in X])
    dataset = ingest_file(path, options(targets=("y",), task="regression"))
    assert dataset.target_kind == "regression" and dataset.num_classes is None
    assert abs(float(dataset.targets.mean())) < 1e-6
    assert json.loads(dataset.preparation or "")["target_std"][0] == pytest.approx(3 * X[:, 0].std(), rel=0.2)


@pytest.mark.parametrize(("body", "problem"), [
    ("a,b,kind\n1,2,x\n3,nan,y\n", "line 3, column 'b': 'nan' is not a finite number"),
    ("a,b,kind\n1,2,x\n3,-inf,y\n", "line 3, column 'b': '-inf' is not a finite number"),
    ("a,b,kind\n1,2,x\n3,4\n", "line 3 has 2 fields; the header has 3 (a ragged row)"),
    ("a,b,kind\n1,2,x\n3,four,y\n", "line 3, column 'b': 'four' is not a number"),
    ("a,b,kind\n1,2,x\n3,4,\n", "line 3, column 'kind': the target is missing"),
    ("a,b,kind\n1,,x\n", "line 2, column 'b': the feature is missing"),
    ("a,b,label\n1,2,x\n", "--target 'kind' is not a column of bad.csv; its columns are: a, b, label"),
    ("a,a,kind\n1,2,x\n", "names column 'a' twice"),
])
def test_bad_csv_is_refused_naming_row_and_column(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body + "1,2,x\n" * 20 if "ragged" not in problem else body)
    with pytest.raises(DatasetInputError) as refused:
        ingest_file(path, IngestOptions(name="bad", targets=("kind",)))
    assert problem in str(refused.value)


def test_bad_parquet_and_numpy_are_refused(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1.0, None] * 10, "t": [1.0] * 20}), tmp_path / "null.parquet")
    with pytest.raises(DatasetInputError, match="row 1, column 'a': the feature is missing"):
        ingest_file(tmp_path / "null.parquet", IngestOptions(name="n", targets=("t",), task="regression"))
    pq.write_table(pa.table({"a": ["x"] * 20, "t": [1.0] * 20}), tmp_path / "text.parquet")
    with pytest.raises(DatasetInputError, match="column 'a' is string, not numeric"):
        ingest_file(tmp_path / "text.parquet", IngestOptions(name="n", targets=("t",), task="regression"))
    bad = np.ones((20, 3))
    bad[4, 1] = np.inf
    np.save(tmp_path / "inf.npy", bad)
    with pytest.raises(DatasetInputError, match="row 4, column '1'"):
        ingest_file(tmp_path / "inf.npy", IngestOptions(name="n", targets=("-1",), task="regression"))
    np.save(tmp_path / "cube.npy", np.ones((4, 4, 4)))
    with pytest.raises(DatasetInputError, match=r"shape \(4, 4, 4\); give a 2-D array"):
        ingest_file(tmp_path / "cube.npy", IngestOptions(name="n", targets=("0",)))


def test_limits_and_shapes_are_refused(tmp_path: Path, labelled_csv: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_module, "MAX_ROWS", 50)
    with pytest.raises(DatasetInputError, match="more than 50 rows, the limit"):
        ingest_file(labelled_csv, options())
    monkeypatch.setattr(ingest_module, "MAX_FILE_BYTES", 100)
    with pytest.raises(DatasetInputError, match="the limit is 100"):
        ingest_file(labelled_csv, options())
    monkeypatch.undo()
    tiny = write_csv(tmp_path / "tiny.csv", ["a", "kind"], [[1, "x"], [2, "y"]])
    with pytest.raises(DatasetInputError, match="at least 10"):
        ingest_file(tiny, IngestOptions(name="t", targets=("kind",)))
    one_class = write_csv(tmp_path / "one.csv", ["a", "kind"], [[i, "x"] for i in range(20)])
    with pytest.raises(DatasetInputError, match="one class only"):
        ingest_file(one_class, IngestOptions(name="t", targets=("kind",)))
    with pytest.raises(DatasetInputError, match="one target column"):
        IngestOptions(name="t", targets=("a", "b"))
    with pytest.raises(DatasetInputError, match="can't tell the format"):
        ingest_file(labelled_csv.rename(tmp_path / "mail.xlsx"), options())


def test_the_cache_drops_a_spoiled_copy(tmp_path: Path) -> None:
    digest = store_artifact(b"some bytes")
    assert cached_artifact(digest) == b"some bytes"
    path = artifact_cache.cache_dir() / digest[2:4] / digest[2:]
    path.write_bytes(b"other bytes")
    with pytest.raises(ArtifactNotCached, match="spoiled"):
        cached_artifact(digest)
    assert not path.exists()
    with pytest.raises(ArtifactNotCached, match="not in the local cache"):
        fetch_artifact(digest, store=None)
    with pytest.raises(ArtifactNotCached):
        fetch_dataset("0x" + "ab" * 32, store=None)
