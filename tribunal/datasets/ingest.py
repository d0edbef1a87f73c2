"""A user's own data as a dataset: CSV, Parquet and NumPy files read, checked and prepared.

Preparation is the same on every machine, so the dataset root is too:

1. The file is read with the target column(s) named by the user; every other column is a
   feature (or only ``features``). Bad input is refused with the row and column it is in:
   NaN or inf, ragged rows, non-numeric features, a missing target, a file over the limits.
2. Rows are split into training and test sets by keccak256 of the dataset's name
   (:func:`tribunal.datasets.preparation.split_order`, one test row in five).
3. Features (and regression targets) are standardised with the training rows' mean and
   population standard deviation, summed exactly (``math.fsum``); class labels become ids
   0..K-1 in sorted order (numbers numerically, else as text).
4. What was done is recorded in the dataset's ``preparation`` (canonical JSON): the file's
   keccak256, format and columns, the statistics and the class labels, so a user can prepare
   new inputs the same way.

A text column (``text``, CSV or Parquet) is the features instead: each text becomes exactly
``context`` token ids of a tokenizer that ships in a package (:mod:`tribunal.datasets.text`),
[CLS] tokens [SEP] truncated and padded, kept as ids (float32 integers, exact, not standardised);
the preparation records the tokenizer, the package and version it came from, its file's keccak256,
the context and the special ids. The file's other columns are left out.

Large files are read in a first pass that only counts and checks, then parsed straight into
one preallocated array: the rows are never held twice.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from tribunal.artifact_client import file_hash
from tribunal.datasets.dataset import Dataset
from tribunal.datasets.preparation import column_statistics, split_order, standardise
from tribunal.datasets.text import (
    DEFAULT_CONTEXT,
    DEFAULT_TOKENIZER,
    TokenizerError,
    check_context,
    check_tokenizer_name,
    tokenizer,
)

Task = Literal["classification", "regression"]
Format = Literal["csv", "parquet", "npy", "npz"]
FORMATS: Final[tuple[str, ...]] = ("csv", "parquet", "npy", "npz")

MAX_FILE_BYTES: Final = 1 << 30
"""Largest file read (1 GiB)."""
MAX_ROWS: Final = 1_000_000
MAX_COLUMNS: Final = 4096
MAX_CLASSES: Final = 4096
MIN_ROWS: Final = 10
"""A split keeps one row in five for the test set: fewer than 10 rows leaves too little of either."""
MAX_LABEL_CHARS: Final = 200
TOKENIZE_CHUNK: Final = 8192
"""Texts tokenized at a time, so their tokens are never all held at once."""


class DatasetInputError(ValueError):
    """The file can't become a dataset; the message names the row and column where it can.

    ``row`` is the 1-based line of a CSV file (the header is line 1) or the 0-based row index of
    a Parquet or NumPy file, as the message says; nothing is stored when this is raised.
    """

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class IngestOptions:
    """What to make of a file: its target column(s), the task, and the dataset's name.

    ``targets`` name columns (CSV and Parquet) or give column indices (NumPy, negative counts
    from the end; an ``.npz`` with arrays ``X`` and ``y`` needs none). ``features`` keeps only
    those columns as features (default: every column that is not a target). ``text`` names a text
    column whose token ids are the features instead, ``context`` of them per text (default 32)
    with ``tokenizer`` (one of :data:`tribunal.datasets.text.TOKENIZERS`, default ``minilm``).
    """

    name: str
    targets: tuple[str, ...] = ()
    task: Task = "classification"
    features: tuple[str, ...] | None = None
    description: str = ""
    format: Format | None = None
    text: str | None = None
    tokenizer: str | None = None
    context: int | None = None

    @property
    def tokenizer_name(self) -> str:
        return self.tokenizer or DEFAULT_TOKENIZER

    @property
    def context_length(self) -> int:
        return DEFAULT_CONTEXT if self.context is None else self.context

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 100 or not self.name.isprintable():
            raise DatasetInputError("give the dataset a printable name of 1..100 characters (--name)")
        if self.task not in ("classification", "regression"):
            raise DatasetInputError(f"--task must be classification or regression, got {self.task!r}")
        if self.task == "classification" and len(self.targets) > 1:
            raise DatasetInputError(
                "a classification dataset has one target column (its class label); "
                f"got {len(self.targets)}: {', '.join(self.targets)}"
            )
        if len(set(self.targets)) != len(self.targets):
            raise DatasetInputError(f"--target names a column twice: {', '.join(self.targets)}")
        if self.text is None:
            if self.tokenizer is not None or self.context is not None:
                raise DatasetInputError("--tokenizer and --context go with --text COLUMN (a column of text)")
            return
        if not self.text:
            raise DatasetInputError("--text must name a column of text")
        if self.features is not None:
            raise DatasetInputError(
                "--feature can't go with --text: a text dataset's features are its text's token ids "
                "(the file's other columns are left out)"
            )
        if self.text in self.targets:
            raise DatasetInputError(f"column {self.text!r} is both the text and a target", column=self.text)
        try:
            check_tokenizer_name(self.tokenizer_name)
            check_context(self.context_length)
        except TokenizerError as exc:
            raise DatasetInputError(str(exc)) from None


def detect_format(path: Path, given: str | None = None) -> Format:
    if given is not None:
        if given not in FORMATS:
            raise DatasetInputError(f"unknown format {given!r}; choose one of {', '.join(FORMATS)}")
        return given  # type: ignore[return-value]
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    if suffix in ("parquet", "pq"):
        return "parquet"
    if suffix in ("npy", "npz"):
        return suffix  # type: ignore[return-value]
    raise DatasetInputError(
        f"{path.name}: can't tell the format from the suffix {path.suffix!r}; name it "
        f"with --format ({', '.join(FORMATS)})"
    )


@dataclass
class _Table:
    """Columns read from a file: features as float64 rows (or, with a text column, token ids as
    float32 rows), targets as float64 or label text."""

    feature_names: list[str]
    target_names: list[str]
    features: NDArray[np.float64] | NDArray[np.float32]
    targets: NDArray[np.float64] | list[str]
    text_record: dict[str, Any] | None = None
    """The text column and its tokenizer, as the preparation records them (None: numeric features)."""


def ingest_file(path: Path | str, options: IngestOptions, source_name: str | None = None) -> Dataset:
    """Read ``path`` and prepare it as ``options`` say; DatasetInputError names what is wrong.
    ``source_name`` is the file's name as the user knows it (an upload kept in a temporary file)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetInputError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DatasetInputError(
            f"{path.name} is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} " "(split the data or sample it)"
        )
    if size == 0:
        raise DatasetInputError(f"{path.name} is empty")
    fmt = detect_format(path, options.format)
    if options.text is not None and fmt not in ("csv", "parquet"):
        raise DatasetInputError(
            f"--text reads a column of text from a CSV or Parquet file; {fmt} arrays hold numbers only"
        )
    reader = {"csv": _read_csv, "parquet": _read_parquet, "npy": _read_npy, "npz": _read_npz}[fmt]
    table = reader(path, options, source_name or path.name)
    return _prepare(
        table,
        options,
        source={"file": source_name or path.name, "keccak256": file_hash(path), "format": fmt, "bytes": size},
    )


# --- preparation -------------------------------------------------------------------------------


def _classes(labels: NDArray[np.float64] | list[str]) -> tuple[list[Any], NDArray[np.float64]]:
    """Sorted distinct labels and each row's id."""
    if isinstance(labels, np.ndarray):
        column = labels.reshape(-1)
        values, ids = np.unique(column, return_inverse=True)
        shown: list[Any] = [int(v) if float(v).is_integer() else float(v) for v in values]
        return shown, ids.astype(np.float64)
    distinct = sorted(set(labels))
    index = {label: i for i, label in enumerate(distinct)}
    return list(distinct), np.array([index[label] for label in labels], dtype=np.float64)


def _prepare(table: _Table, options: IngestOptions, source: dict[str, Any]) -> Dataset:
    rows = table.features.shape[0]
    if rows < MIN_ROWS:
        raise DatasetInputError(
            f"{rows} data rows; a dataset needs at least {MIN_ROWS} (one in five is held " "out for testing)"
        )
    if not table.feature_names:
        raise DatasetInputError("no feature columns are left once the targets are taken out")
    train, test = split_order(options.name, rows)
    preparation: dict[str, Any] = {
        "source": source,
        "task": options.task,
        "features": table.feature_names,
        "targets": table.target_names,
        "split": 'keccak256("tribunal.datasets.<name>.split" || i), one row in five to the test set',
    }
    train_x: NDArray[Any]
    test_x: NDArray[Any]
    if table.text_record is not None:
        preparation["text"] = table.text_record
        preparation["standardised"] = False  # token ids stay ids
        train_x, test_x = (table.features[part].astype(np.float32) for part in (train, test))
    else:
        means, stds = column_statistics(table.features[train])
        preparation["feature_mean"] = [float(v) for v in means]
        preparation["feature_std"] = [float(v) for v in stds]
        train_x, test_x = (standardise(table.features[part], means, stds) for part in (train, test))
    num_classes: int | None
    if options.task == "classification":
        classes, ids = _classes(table.targets)
        if len(classes) < 2:
            raise DatasetInputError(
                f"target column {table.target_names[0]!r} holds one class only "
                f"({classes[0]!r}); a classifier needs two or more",
                column=table.target_names[0],
            )
        if len(classes) > MAX_CLASSES:
            raise DatasetInputError(
                f"target column {table.target_names[0]!r} holds {len(classes):,} classes; the "
                f"limit is {MAX_CLASSES:,} (is it a regression target? use --task regression)",
                column=table.target_names[0],
            )
        preparation["classes"] = classes
        num_classes = len(classes)
        targets = ids.reshape(-1, 1)
        train_y, test_y = (targets[part].astype(np.float32) for part in (train, test))
        kind: Literal["class", "regression"] = "class"
    else:
        assert isinstance(table.targets, np.ndarray)
        target_means, target_stds = column_statistics(table.targets[train])
        preparation["target_mean"] = [float(v) for v in target_means]
        preparation["target_std"] = [float(v) for v in target_stds]
        train_y, test_y = (
            standardise(table.targets[part], target_means, target_stds) for part in (train, test)
        )
        num_classes = None
        kind = "regression"
    width = len(table.feature_names) + len(table.target_names)
    shape = (
        f"{len(table.feature_names)} features"
        if table.text_record is None
        else f"text {table.text_record['column']!r} as {table.text_record['context']} "
        f"{table.text_record['tokenizer']} token ids"
    )
    description = options.description or (
        f"{source['file']}: {rows:,} rows, {shape}, {options.task} of {', '.join(table.target_names)}"
    )
    return Dataset(
        name=options.name,
        rows=np.concatenate([train_x, train_y], axis=1).reshape(len(train), width),
        test_rows=np.concatenate([test_x, test_y], axis=1).reshape(len(test), width),
        num_features=len(table.feature_names),
        num_targets=len(table.target_names),
        target_kind=kind,
        num_classes=num_classes,
        description=description,
        preparation=json.dumps(preparation, sort_keys=True, separators=(",", ":"), ensure_ascii=True),
    )


# --- column selection --------------------------------------------------------------------------


def _select(header: Sequence[str], options: IngestOptions, where: str) -> tuple[list[int], list[int]]:
    """(feature column indices, target column indices) of ``header``."""
    if not options.targets:
        raise DatasetInputError(
            f"name the target column(s) with --target; the columns of {where} are: "
            + ", ".join(header[:50])
            + (" …" if len(header) > 50 else "")
        )
    if len(header) > MAX_COLUMNS:
        raise DatasetInputError(f"{where} has {len(header):,} columns; the limit is {MAX_COLUMNS:,}")
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            raise DatasetInputError(
                f"{where} names column {name!r} twice (columns {seen[name] + 1} and {i + 1})", column=name
            )
        seen[name] = i

    def index(name: str, what: str) -> int:
        if name not in seen:
            raise DatasetInputError(
                f"{what} {name!r} is not a column of {where}; its columns are: " + ", ".join(header[:50]),
                column=name,
            )
        return seen[name]

    targets = [index(name, "--target") for name in options.targets]
    if options.text is not None:
        features = [index(options.text, "--text")]
    elif options.features is not None:
        features = [index(name, "--feature") for name in options.features]
        overlap = set(features) & set(targets)
        if overlap:
            raise DatasetInputError(f"column {header[min(overlap)]!r} is both a feature and a target")
    else:
        features = [i for i in range(len(header)) if i not in set(targets)]
    return features, targets


# --- CSV -----------------------------------------------------------------------------------------


def _sniff(path: Path) -> csv.Dialect | type[csv.Dialect]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(64 * 1024)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _csv_rows(
    path: Path, dialect: csv.Dialect | type[csv.Dialect], shown: str
) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank line; the header is line 1."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, dialect)
            for fields in reader:
                if fields and any(f.strip() for f in fields):
                    yield reader.line_num, fields
    except UnicodeDecodeError as exc:
        raise DatasetInputError(
            f"{shown} is not UTF-8 text ({exc.reason} at byte {exc.start}): save it as " "UTF-8 CSV"
        ) from exc
    except csv.Error as exc:
        raise DatasetInputError(f"{shown} is not readable CSV: {exc}") from exc


def _number(text: str, line: int, column: str, what: str) -> float:
    stripped = text.strip()
    if not stripped:
        raise DatasetInputError(
            f"line {line}, column {column!r}: the {what} is missing (an empty field)", row=line, column=column
        )
    try:
        value = float(stripped)
    except ValueError:
        raise DatasetInputError(
            f"line {line}, column {column!r}: {stripped[:40]!r} is not a number "
            f"(every {what} must be numeric)",
            row=line,
            column=column,
        ) from None
    if not math.isfinite(value):
        raise DatasetInputError(
            f"line {line}, column {column!r}: {stripped!r} is not a finite number "
            "(NaN and infinity are refused)",
            row=line,
            column=column,
        )
    return value


def _read_csv(path: Path, options: IngestOptions, shown: str) -> _Table:
    dialect = _sniff(path)
    rows = _csv_rows(path, dialect, shown)
    try:
        _, header = next(rows)
    except StopIteration:
        raise DatasetInputError(f"{shown} has no header line") from None
    header = [name.strip() for name in header]
    features, targets = _select(header, options, shown)
    width = len(header)
    # First pass: count and check the shape, so the rows are parsed into one array.
    count = 0
    for line, fields in rows:
        if len(fields) != width:
            raise DatasetInputError(
                f"line {line} has {len(fields)} fields; the header has {width} (a ragged row)", row=line
            )
        count += 1
        if count > MAX_ROWS:
            raise DatasetInputError(f"{shown} has more than {MAX_ROWS:,} rows, the limit", row=line)
    feature_names = [header[i] for i in features]
    target_names = [header[i] for i in targets]
    text_mode = options.text is not None
    values = np.empty((count, 0 if text_mode else len(features)), dtype=np.float64)
    numeric_targets = options.task == "regression"
    target_values = np.empty((count, len(targets)), dtype=np.float64) if numeric_targets else None
    labels: list[str] = []
    texts: list[str] = []
    lines: list[int] = []
    for r, (line, fields) in enumerate(_csv_rows(path, dialect, shown)):
        if r == 0:
            continue  # the header
        i = r - 1
        if text_mode:
            texts.append(_text(fields[features[0]], f"line {line}", line, header[features[0]]))
            lines.append(line)
        else:
            for k, column in enumerate(features):
                values[i, k] = _number(fields[column], line, header[column], "feature")
        for k, column in enumerate(targets):
            if target_values is not None:
                target_values[i, k] = _number(fields[column], line, header[column], "target")
            else:
                label = fields[column].strip()
                if not label:
                    raise DatasetInputError(
                        f"line {line}, column {header[column]!r}: the target is missing " "(an empty field)",
                        row=line,
                        column=header[column],
                    )
                labels.append(_label(label, line, header[column]))
    table = _Table(
        feature_names, target_names, values, target_values if target_values is not None else labels
    )
    return _tokenized(table, texts, lines, "line", options) if text_mode else table


# --- text ----------------------------------------------------------------------------------------


def _text(value: str | None, where: str, row: int, column: str) -> str:
    """One text, stripped of surrounding whitespace; an empty or missing one is refused."""
    if value is None or not value.strip():
        raise DatasetInputError(
            f"{where}, column {column!r}: the text is {'missing (null)' if value is None else 'empty'} "
            "(every row needs a text to tokenize)",
            row=row,
            column=column,
        )
    return value.strip()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _tokenized(
    table: _Table, texts: list[str], rows: Sequence[int], word: str, options: IngestOptions
) -> _Table:
    """``table`` with the text column's token ids as its features (``rows[i]`` is text i's row or
    line as ``word`` says, for errors)."""
    column = table.feature_names[0]
    if texts and all(_is_number(text) for text in texts):
        raise DatasetInputError(
            f"column {column!r} holds numbers, not text ({word} {rows[0]}: {texts[0][:40]!r}, and every "
            "other row): --text names a column of text; a numeric column is a feature (leave out --text)",
            row=rows[0],
            column=column,
        )
    try:
        model = tokenizer(options.tokenizer_name)
    except TokenizerError as exc:
        raise DatasetInputError(str(exc)) from None
    context = options.context_length
    ids = np.empty((len(texts), context), dtype=np.float32)
    truncated = 0
    for start in range(0, len(texts), TOKENIZE_CHUNK):
        encoded = model.encode(texts[start : start + TOKENIZE_CHUNK], context)
        empty = np.flatnonzero(encoded.lengths == 0)
        if empty.size:
            row = rows[start + int(empty[0])]
            raise DatasetInputError(
                f"{word} {row}, column {column!r}: the text holds no token the {model.name} tokenizer "
                f"reads ({texts[start + int(empty[0])][:40]!r})",
                row=row,
                column=column,
            )
        ids[start : start + len(encoded.ids)] = encoded.ids
        truncated += int(np.count_nonzero(encoded.lengths > context - 2))
    record = {
        "column": column,
        **model.record(context),
        "truncated": truncated,
        "stripped": "each text is stripped of leading and trailing whitespace",
    }
    return _Table([f"{column}[{i}]" for i in range(context)], table.target_names, ids, table.targets, record)


def _label(text: str, row: int, column: str) -> str:
    """A class label as text; numeric labels are normalised so ``1`` and ``1.0`` are one class."""
    if len(text) > MAX_LABEL_CHARS:
        raise DatasetInputError(
            f"row {row}, column {column!r}: a class label of {len(text)} characters "
            f"(at most {MAX_LABEL_CHARS})",
            row=row,
            column=column,
        )
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        raise DatasetInputError(
            f"row {row}, column {column!r}: {text!r} is not a class label (NaN or " "infinity)",
            row=row,
            column=column,
        )
    return f"{value:.17g}"


# --- Parquet -------------------------------------------------------------------------------------


def _read_parquet(path: Path, options: IngestOptions, shown: str) -> _Table:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DatasetInputError(f"{shown} is not a readable Parquet file: {exc}") from exc
    schema = handle.schema_arrow
    header = list(schema.names)
    features, targets = _select(header, options, shown)
    count = handle.metadata.num_rows
    if count > MAX_ROWS:
        raise DatasetInputError(f"{shown} has {count:,} rows; the limit is {MAX_ROWS:,}")
    text_mode = options.text is not None
    for i in features:
        field = schema.field(i)
        if text_mode:
            if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
                raise DatasetInputError(
                    f"column {field.name!r} is {field.type}, not text (--text names a column of strings)",
                    column=field.name,
                )
            continue
        if not (
            pa.types.is_integer(field.type)
            or pa.types.is_floating(field.type)
            or pa.types.is_boolean(field.type)
        ):
            raise DatasetInputError(
                f"column {field.name!r} is {field.type}, not numeric (every feature must be " "numeric)",
                column=field.name,
            )
    numeric_targets = options.task == "regression"
    if numeric_targets:
        for i in targets:
            field = schema.field(i)
            if not (pa.types.is_integer(field.type) or pa.types.is_floating(field.type)):
                raise DatasetInputError(
                    f"column {field.name!r} is {field.type}, not numeric (a regression target " "must be)",
                    column=field.name,
                )
    values = np.empty((count, 0 if text_mode else len(features)), dtype=np.float64)
    target_values = np.empty((count, len(targets)), dtype=np.float64) if numeric_targets else None
    labels: list[str] = []
    texts: list[str] = []
    start = 0
    for batch in handle.iter_batches(batch_size=65_536):
        n = batch.num_rows
        if text_mode:
            name = header[features[0]]
            for offset, value in enumerate(batch.column(features[0]).to_pylist()):
                texts.append(_text(value, f"row {start + offset}", start + offset, name))
        else:
            for k, i in enumerate(features):
                values[start : start + n, k] = _arrow_numbers(batch.column(i), header[i], start, "feature")
        for k, i in enumerate(targets):
            if target_values is not None:
                target_values[start : start + n, k] = _arrow_numbers(
                    batch.column(i), header[i], start, "target"
                )
            else:
                column = batch.column(i)
                if column.null_count:
                    row = start + int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
                    raise DatasetInputError(
                        f"row {row}, column {header[i]!r}: the target is missing (null)",
                        row=row,
                        column=header[i],
                    )
                for offset, value in enumerate(column.to_pylist()):
                    labels.append(_label(str(value), start + offset, header[i]))
        start += n
    table = _Table(
        [header[i] for i in features],
        [header[i] for i in targets],
        values,
        target_values if target_values is not None else labels,
    )
    return _tokenized(table, texts, range(count), "row", options) if text_mode else table


def _arrow_numbers(column: Any, name: str, start: int, what: str) -> NDArray[np.float64]:
    if column.null_count:
        row = start + int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise DatasetInputError(
            f"row {row}, column {name!r}: the {what} is missing (null)", row=row, column=name
        )
    data = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    _check_finite(data.reshape(-1, 1), [name], start)
    return data


def _check_finite(data: NDArray[np.float64], names: Sequence[str], start: int = 0) -> None:
    bad = ~np.isfinite(data)
    if bad.any():
        row, column = (int(v) for v in np.argwhere(bad)[0])
        raise DatasetInputError(
            f"row {start + row}, column {names[column]!r}: {data[row, column]!r} is not a "
            "finite number (NaN and infinity are refused)",
            row=start + row,
            column=names[column],
        )


# --- NumPy ---------------------------------------------------------------------------------------


def _numeric_array(array: NDArray[Any], what: str) -> NDArray[Any]:
    if array.dtype.kind not in "biuf":
        raise DatasetInputError(f"{what} holds {array.dtype} values, not numbers")
    return array


def _column_index(text: str, width: int, where: str) -> int:
    try:
        index = int(text)
    except ValueError:
        raise DatasetInputError(
            f"--target {text!r}: a NumPy array's columns are named by index (0..{width - 1}, "
            f"or negative from the end) in {where}"
        ) from None
    if not -width <= index < width:
        raise DatasetInputError(f"--target {index} is outside the {width} columns of {where}")
    return index % width


def _read_npy(path: Path, options: IngestOptions, shown: str) -> _Table:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DatasetInputError(f"{shown} is not a readable .npy file: {exc}") from exc
    return _from_matrix(array, options, shown)


def _from_matrix(array: NDArray[Any], options: IngestOptions, where: str) -> _Table:
    if array.ndim != 2:
        raise DatasetInputError(
            f"{where} holds an array of shape {array.shape}; give a 2-D array of rows "
            "(or an .npz with X and y)"
        )
    _numeric_array(array, where)
    rows, width = array.shape
    if rows > MAX_ROWS:
        raise DatasetInputError(f"{where} has {rows:,} rows; the limit is {MAX_ROWS:,}")
    if width > MAX_COLUMNS:
        raise DatasetInputError(f"{where} has {width:,} columns; the limit is {MAX_COLUMNS:,}")
    if not options.targets:
        raise DatasetInputError(
            f"name the target column(s) of {where} by index with --target (e.g. --target -1)"
        )
    targets = [_column_index(t, width, where) for t in options.targets]
    names = [str(i) for i in range(width)]
    features = (
        [_column_index(t, width, where) for t in options.features]
        if options.features is not None
        else [i for i in range(width) if i not in set(targets)]
    )
    values = np.asarray(array[:, features], dtype=np.float64)
    _check_finite(values, [names[i] for i in features])
    target_values = np.asarray(array[:, targets], dtype=np.float64)
    _check_finite(target_values, [names[i] for i in targets])
    labels: NDArray[np.float64] | list[str] = target_values
    return _Table([names[i] for i in features], [names[i] for i in targets], values, labels)


def _read_npz(path: Path, options: IngestOptions, shown: str) -> _Table:
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DatasetInputError(f"{shown} is not a readable .npz file: {exc}") from exc
    with archive:
        names = list(archive.files)
        if "X" in names and "y" in names:
            x = _numeric_array(archive["X"], f"{shown}:X")
            y = archive["y"]
            if x.ndim != 2:
                raise DatasetInputError(f"{shown}:X has shape {x.shape}; it must be 2-D (rows, features)")
            if y.ndim == 1:
                y = y.reshape(-1, 1)
            if y.ndim != 2 or y.shape[0] != x.shape[0]:
                raise DatasetInputError(
                    f"{shown}: y has shape {archive['y'].shape}, which does not give one "
                    f"target row per row of X ({x.shape[0]} rows)"
                )
            if x.shape[0] > MAX_ROWS or x.shape[1] > MAX_COLUMNS:
                raise DatasetInputError(
                    f"{shown}: X of shape {x.shape} is beyond the limits of {MAX_ROWS:,} "
                    f"rows and {MAX_COLUMNS:,} columns"
                )
            feature_names = [f"X{i}" for i in range(x.shape[1])]
            target_names = [f"y{i}" for i in range(y.shape[1])] if y.shape[1] > 1 else ["y"]
            if options.task == "classification" and y.shape[1] != 1:
                raise DatasetInputError(
                    f"{shown}: y has {y.shape[1]} columns; a classification target is one"
                )
            values = np.asarray(x, dtype=np.float64)
            _check_finite(values, feature_names)
            if y.dtype.kind in "US":
                if options.task == "regression":
                    raise DatasetInputError(
                        f"{shown}: y holds text, not numbers (a regression target must be " "numeric)"
                    )
                return _Table(
                    feature_names,
                    target_names,
                    values,
                    [_label(str(v), i, "y") for i, v in enumerate(y.reshape(-1))],
                )
            target_values = np.asarray(_numeric_array(y, f"{shown}:y"), dtype=np.float64)
            _check_finite(target_values, target_names)
            return _Table(feature_names, target_names, values, target_values)
        if len(names) == 1:
            return _from_matrix(archive[names[0]], options, f"{shown}:{names[0]}")
        raise DatasetInputError(
            f"{shown} holds arrays {', '.join(names)}; give arrays named X and y, or one " "2-D array"
        )


__all__ = [
    "DatasetInputError",
    "IngestOptions",
    "MAX_CLASSES",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MIN_ROWS",
    "detect_format",
    "ingest_file",
]
