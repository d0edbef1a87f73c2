"""`tribunal dataset`: a user's own data as a dataset a task can train on (add, list)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.table import Table

from tribunal import cli_common as common
from tribunal.artifact_client import ArtifactClient, ArtifactError
from tribunal.config import DEFAULT_ARTIFACT_STORE
from tribunal.datasets import Dataset
from tribunal.datasets.ingest import (
    FORMATS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    DatasetInputError,
    IngestOptions,
    ingest_file,
)
from tribunal.datasets.store import upload_dataset
from tribunal.datasets.text import DEFAULT_CONTEXT, DEFAULT_TOKENIZER, MAX_CONTEXT, TOKENIZERS

dataset_app = typer.Typer(help="Add your own data as a dataset, list the datasets a task can train on.",
                          no_args_is_help=True)

PREVIEW_ROWS = 5


def _preview(dataset: Dataset) -> Table:
    preparation = json.loads(dataset.preparation or "{}")
    names = [*preparation.get("features", [f"x{i}" for i in range(dataset.num_features)]),
             *preparation.get("targets", ["target"])]
    shown = names[:8] + (["…"] if len(names) > 8 else [])
    features = "token ids" if "text" in preparation else "features standardised"
    table = Table(title=f"first {PREVIEW_ROWS} training rows, as prepared ({features}"
                        + (", classes as ids)" if dataset.num_classes else ")"))
    for name in shown:
        table.add_column(name, justify="right")
    for row in dataset.rows[:PREVIEW_ROWS]:
        values = [f"{v:.0f}" if "text" in preparation else f"{v:.4g}" for v in row]
        table.add_row(*(values[:8] + (["…"] if len(values) > 8 else [])))
    return table


@dataset_app.command("add")
def dataset_add(
    file: Annotated[Path, typer.Argument(
        help="CSV, Parquet (.parquet), NumPy (.npy, or .npz with X and y)")],
    target: Annotated[list[str] | None, typer.Option(
        "--target", "-t", help="target column (repeat for several regression targets; a NumPy column index, "
                               "e.g. -1; none for an .npz with X and y)")] = None,
    task: Annotated[str, typer.Option(
        help="classification (one label column) or regression")] = "classification",
    name: Annotated[str | None, typer.Option(help="the dataset's name (default: the file's name)")] = None,
    feature: Annotated[list[str] | None, typer.Option(
        "--feature", help="keep only these feature columns (repeatable; default: every other one)")] = None,
    file_format: Annotated[str | None, typer.Option(
        "--format", help=f"one of {', '.join(FORMATS)} (default: from the suffix)")] = None,
    description: Annotated[str, typer.Option(help="a line saying what the data is")] = "",
    text: Annotated[str | None, typer.Option(
        "--text", help="a column of text (CSV, Parquet): its token ids are the features, the file's other "
                       "columns but the target are left out")] = None,
    tokenizer: Annotated[str | None, typer.Option(
        "--tokenizer", help=f"with --text: {', '.join(TOKENIZERS)} (default {DEFAULT_TOKENIZER}; "
                            "docs/protocol.md, Uploaded datasets)")] = None,
    context: Annotated[int | None, typer.Option(
        "--context", help=f"with --text: ids per text, [CLS] tokens [SEP] truncated and padded "
                          f"(default {DEFAULT_CONTEXT}, at most {MAX_CONTEXT})")] = None,
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="read, check and show; upload nothing")] = False,
) -> None:
    """Read FILE, check it, prepare it (split one row in five for testing, standardise the features,
    number the classes) and upload it to the artifact store. Prints the reference a job's `dataset`
    takes. Bad input is refused naming the row and column (NaN or inf, a ragged row, a non-numeric
    feature, a missing target, an empty text); files up to 1 GiB and 1,000,000 rows. With --text
    COLUMN the features are that column's token ids (--tokenizer, --context), not standardised."""
    assert MAX_FILE_BYTES == 1 << 30 and MAX_ROWS == 1_000_000, "the help text above states the limits"
    if task not in ("classification", "regression"):
        raise common.fail(f"--task must be classification or regression, got {task!r}")
    try:
        options = IngestOptions(name=name or file.stem, targets=tuple(target or ()),
                                task=task,  # type: ignore[arg-type]
                                features=tuple(feature) if feature else None, description=description,
                                format=file_format,  # type: ignore[arg-type]
                                text=text, tokenizer=tokenizer, context=context)
        with common.console.status(f"reading and preparing {file.name}"):
            dataset = ingest_file(file, options)
    except DatasetInputError as exc:
        raise common.fail(f"{file.name}: {exc} (nothing was stored)") from exc
    common.console.print(_preview(dataset))
    kind = (f"{dataset.num_classes} classes" if dataset.num_classes
            else f"regression of {dataset.num_targets} target(s)")
    features = (f"{dataset.num_features} token ids of {text!r}" if text is not None
                else f"{dataset.num_features} features")
    summary = (f"{dataset.name}: {dataset.num_rows:,} training + {dataset.num_test_rows:,} test rows, "
               f"{features}, {kind}; dataset root 0x{dataset.root.hex()}")
    if dry_run:
        common.console.print(f"{summary}\n(dry run: nothing uploaded)", highlight=False)
        return
    try:
        with common.console.status(f"uploading to {artifact_store}"), ArtifactClient(artifact_store) as store:
            ref = upload_dataset(dataset, store)
    except (ArtifactError, httpx.HTTPError) as exc:
        raise common.fail(f"the upload to {artifact_store} failed: {exc} (is the backend up? see "
                          "--artifact-store)") from exc
    common.console.print(f"{summary}\nuploaded; use it in a job with  dataset = \"{ref}\"", highlight=False)


@dataset_app.command("list")
def dataset_list(
    artifact_store: common.ArtifactStoreOpt = DEFAULT_ARTIFACT_STORE,
    as_json: Annotated[bool, typer.Option("--json", help="print the list as JSON")] = False,
) -> None:
    """The datasets a task can train on, as the backend lists them (GET /api/datasets)."""
    try:
        response = httpx.get(f"{artifact_store.rstrip('/')}/api/datasets", timeout=30.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise common.fail(f"cannot list the datasets of {artifact_store}: {exc}") from exc
    rows = response.json()
    if as_json:
        common.console.print_json(data=rows)
        return
    table = Table(title=f"datasets at {artifact_store}")
    for column in ("dataset (a job's `dataset`)", "name", "rows", "features", "target"):
        table.add_column(column)
    for row in rows:
        target = f"{row['num_classes']} classes" if row["num_classes"] else row["target_kind"]
        table.add_row(row["ref"], row["name"], f"{row['rows']:,} + {row['test_rows']:,} test",
                      str(row["features"]), target)
    common.console.print(table)
