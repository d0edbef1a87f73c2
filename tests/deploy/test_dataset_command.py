"""`tribunal dataset add FILE --text COLUMN`: the text's token ids become the features, the root
printed is the one the library computes, and bad options are refused saying what to do."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from deploy.cli import app
from tribunal.datasets.ingest import IngestOptions, ingest_file

REVIEWS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "reviews.csv"


def add(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["dataset", "add", str(REVIEWS), "--target", "sentiment", *args],
                                env={"COLUMNS": "200"})
    return result.exit_code, " ".join(result.output.split())


def test_a_text_column_is_tokenized_and_its_root_printed() -> None:
    code, said = add("--text", "review", "--tokenizer", "bytes", "--context", "24", "--dry-run")
    assert code == 0, said
    expected = ingest_file(REVIEWS, IngestOptions(name="reviews", targets=("sentiment",), text="review",
                                                  tokenizer="bytes", context=24))
    assert "token ids, classes as ids" in said
    assert (f"reviews: 32 training + 8 test rows, 24 token ids of 'review', 2 classes; dataset root "
            f"0x{expected.root.hex()}") in said
    assert "(dry run: nothing uploaded)" in said


def test_bad_text_options_are_refused() -> None:
    code, said = add("--text", "review", "--tokenizer", "bert", "--dry-run")
    assert code != 0 and "unknown tokenizer 'bert'; the known ones are: minilm, bytes" in said
    code, said = add("--text", "review", "--feature", "sentiment", "--dry-run")
    assert code != 0 and "--feature can't go with --text" in said
    code, said = add("--context", "16", "--dry-run")
    assert code != 0 and "--tokenizer and --context go with --text COLUMN" in said
