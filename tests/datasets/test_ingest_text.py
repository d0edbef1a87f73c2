"""A text column as token ids: the MiniLM tokenizer's own ids, framed as [CLS] tokens [SEP] and
padded to the context, kept exact and unstandardised, the tokenizer recorded, the root the same
every time, and bad text refused by row and column."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from tokenizers import Tokenizer

from tests.datasets.test_ingest import write_csv
from tribunal.datasets import dataset_from_bytes, dataset_to_bytes
from tribunal.datasets.ingest import DatasetInputError, IngestOptions, ingest_file
from tribunal.datasets.store import upload_dataset
from tribunal.datasets.text import MINILM_PACKAGE, minilm_tokenizer_json, tokenizer
from tribunal.merkle import keccak256
from tribunal.spec import Adam, MlpConfig, TaskSpec
from tribunal.tasks import prepare_task
from tribunal.training import train

REVIEWS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "reviews.csv"
REVIEWS_ROOT = "0x18d108bf2c2b0e2a"
"""The first 8 bytes of reviews.csv's dataset root (minilm, context 32, name "reviews"): a change
to the tokenizer, the framing or the split shows here."""


def text_options(**overrides: object) -> IngestOptions:
    base: dict[str, object] = {"name": "reviews", "targets": ("sentiment",), "text": "review"}
    return IngestOptions(**{**base, **overrides})  # type: ignore[arg-type]


def own_encoding(texts: list[str], context: int) -> list[list[int]]:
    """The tokenizer file's own encoding, truncated and padded to ``context`` by the library."""
    model = Tokenizer.from_str(minilm_tokenizer_json()[0].decode())
    model.enable_truncation(max_length=context)
    model.enable_padding(length=context, pad_id=0, pad_token="[PAD]")
    return [e.ids for e in model.encode_batch(texts)]


def test_minilm_ids_are_the_tokenizers_own_encoding() -> None:
    short = "The soup was warm and full of flavour."
    long = "A small menu but every dish was excellent, and the staff were kind to us all evening long."
    encoded = tokenizer("minilm").encode([short, long], 12)  # the, soup, …, flavour, .: ids pinned below
    assert encoded.ids.tolist() == own_encoding([short, long], 12)
    assert encoded.ids[0].tolist() == [101, 1996, 11350, 2001, 4010, 1998, 2440, 1997, 28126, 1012, 102, 0]
    assert encoded.ids[1, -1] == 102 and encoded.lengths[1] > 10  # truncated: [SEP] still closes it


def test_bytes_frames_truncates_and_pads() -> None:
    encoded = tokenizer("bytes").encode(["hé", "abcdefgh"], 6)
    assert encoded.ids.tolist() == [[1, ord("h") + 3, 0xC3 + 3, 0xA9 + 3, 2, 0],
                                    [1, *(ord(c) + 3 for c in "abcd"), 2]]
    assert encoded.lengths.tolist() == [3, 8]


def test_a_text_column_becomes_exact_unstandardised_ids() -> None:
    dataset = ingest_file(REVIEWS, text_options())
    shape = (dataset.num_rows, dataset.num_test_rows, dataset.num_features, dataset.num_classes)
    assert shape == (32, 8, 32, 2)
    assert dataset.target_kind == "class"
    texts = [line.rsplit(",", 1)[0] for line in REVIEWS.read_text().splitlines()[1:]]
    everything = np.concatenate([dataset.features, dataset.test_features])
    # every row is some review's ids, exactly (float32 holds them), in the split's order
    expected = {tuple(ids) for ids in own_encoding(texts, 32)}
    assert {tuple(int(v) for v in row) for row in everything} == expected
    assert np.array_equal(everything, np.round(everything)) and everything[:, 0].tolist() == [101.0] * 40
    preparation = json.loads(dataset.preparation or "")
    assert preparation["standardised"] is False and "feature_mean" not in preparation
    assert preparation["features"][:2] == ["review[0]", "review[1]"] and len(preparation["features"]) == 32
    assert preparation["classes"] == ["negative", "positive"]
    data, version = minilm_tokenizer_json()
    assert preparation["text"] == {
        "column": "review", "tokenizer": "minilm", "package": MINILM_PACKAGE,
        "version": metadata.version(MINILM_PACKAGE), "file": "tokenizer.json",
        "keccak256": "0x" + keccak256(data).hex(), "vocab_size": 30522, "context": 32, "pad_id": 0,
        "cls_id": 101, "sep_id": 102, "unk_id": 100, "truncated": 0,
        "layout": "[CLS] tokens[:context-2] [SEP], then pad_id up to context ids",
        "stripped": "each text is stripped of leading and trailing whitespace",
    }
    assert version == "0.1.2"


def test_the_root_is_the_same_every_time_and_from_parquet(tmp_path: Path) -> None:
    first, second = ingest_file(REVIEWS, text_options()), ingest_file(REVIEWS, text_options())
    assert first.root == second.root and dataset_to_bytes(first) == dataset_to_bytes(second)
    assert "0x" + first.root.hex()[:16] == REVIEWS_ROOT
    assert dataset_from_bytes(dataset_to_bytes(first)).root == first.root
    lines = [line.rsplit(",", 1) for line in REVIEWS.read_text().splitlines()[1:]]
    table = pa.table({"review": [t for t, _ in lines], "sentiment": [s for _, s in lines], "n": range(40)})
    pq.write_table(table, tmp_path / "reviews.parquet")
    assert ingest_file(tmp_path / "reviews.parquet", text_options()).root == first.root
    assert ingest_file(REVIEWS, text_options(context=16)).root != first.root
    assert ingest_file(REVIEWS, text_options(tokenizer="bytes")).root != first.root


@pytest.mark.parametrize(("body", "problem", "row"), [
    ("review,sentiment\n" + "fine food,positive\n" * 5 + "   ,negative\n" + "bad,negative\n" * 5,
     r"line 7, column 'review': the text is empty", 7),
    ("review,sentiment\n" + "fine,positive\n" * 5 + "\u200b,negative\n" + "bad,negative\n" * 5,
     r"line 7, column 'review': the text holds no token the minilm tokenizer reads", 7),
    ("review,sentiment\n" + "".join(f"{i}.5,{'ab'[i % 2]}\n" for i in range(12)),
     r"column 'review' holds numbers, not text \(line 2: '0.5'", 2),
])
def test_bad_text_is_refused_naming_row_and_column(tmp_path: Path, body: str, problem: str, row: int) -> None:
    path = tmp_path / "texts.csv"
    path.write_text(body)
    with pytest.raises(DatasetInputError, match=problem) as caught:
        ingest_file(path, text_options())
    assert (caught.value.row, caught.value.column) == (row, "review")


def test_bad_text_options_and_files_are_refused(tmp_path: Path) -> None:
    known = r"unknown tokenizer 'bert'; the known ones are: minilm, bytes$"
    with pytest.raises(DatasetInputError, match=known):
        text_options(tokenizer="bert")
    with pytest.raises(DatasetInputError, match=r"--feature can't go with --text"):
        text_options(features=("stars",))
    with pytest.raises(DatasetInputError, match=r"--tokenizer and --context go with --text"):
        IngestOptions(name="x", targets=("y",), context=16)
    with pytest.raises(DatasetInputError, match=r"the context must be 3\.\.512"):
        text_options(context=2)
    with pytest.raises(DatasetInputError, match=r"'review' is both the text and a target"):
        text_options(targets=("review",))
    np.save(tmp_path / "a.npy", np.zeros((20, 3)))
    with pytest.raises(DatasetInputError, match=r"--text reads a column of text from a CSV or Parquet"):
        ingest_file(tmp_path / "a.npy", text_options(targets=("-1",)))
    pq.write_table(pa.table({"review": list(range(12)), "sentiment": ["a", "b"] * 6}), tmp_path / "n.parquet")
    with pytest.raises(DatasetInputError, match=r"column 'review' is int64, not text") as caught:
        ingest_file(tmp_path / "n.parquet", text_options())
    assert caught.value.column == "review"
    texts = ["good"] * 12
    texts[4] = None  # type: ignore[call-overload]
    pq.write_table(pa.table({"review": texts, "sentiment": ["a", "b"] * 6}), tmp_path / "null.parquet")
    with pytest.raises(DatasetInputError, match=r"row 4, column 'review': the text is missing \(null\)"):
        ingest_file(tmp_path / "null.parquet", text_options())
    path = write_csv(tmp_path / "t.csv", ["review", "sentiment"], [["nice", "a"], ["bad", "b"]] * 6)
    with pytest.raises(DatasetInputError, match=r"--text 'body' is not a column of t\.csv"):
        ingest_file(path, text_options(text="body"))


def test_a_text_dataset_trains_end_to_end() -> None:
    """The pipeline end to end (ingest, the store, a spec naming it by hash, training), with an MLP
    on the ids: the numbers mean nothing to it (the `encoder` kind is the model for token ids);
    this only proves a text dataset is a dataset like any other."""
    dataset = ingest_file(REVIEWS, text_options(context=8))
    ref = upload_dataset(dataset, store=None)  # into this machine's cache only
    spec = TaskSpec(model=MlpConfig(hidden=(4,)), dataset=ref, optimizer=Adam(lr=0.01), batch_size=4,
                    steps=2, checkpoint_every=1)
    assert prepare_task(spec, "").dataset_root == dataset.root
    result = train(spec, device=torch.device("cpu"))
    assert len(result.checkpoints) == 2
