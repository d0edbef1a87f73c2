"""The job file of `tribunal task post`: a task spec and the terms it is posted on, in TOML.

    dataset = "digits"            # a built-in dataset, an uploaded one's 0x hash, or a [dataset] table
    steps = 40
    [model]                       # the spec's fields (tribunal.spec.TaskSpec), as tables where nested
    kind = "mlp"
    [terms]                       # what `TaskMarket.postTask` escrows and asks
    reward = "0.5"                # ETH

Everything is checked when the file is read, before anything is uploaded or sent: an unknown key
is refused with the nearest known one, a bad value names its key and the range it must be in.
The format, with a complete example, is docs/jobs.md (its example is docs/examples/job.toml).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import ValidationError

from tribunal.chain.session import parse_eth
from tribunal.config import unknown_name
from tribunal.datasets.text import MAX_CONTEXT, MIN_CONTEXT, TOKENIZERS
from tribunal.models.minilm import minilm_config
from tribunal.spec import (
    Adam,
    CnnConfig,
    EncoderConfig,
    MlpConfig,
    Momentum,
    Sgd,
    TaskSpec,
    TransformerConfig,
)

DatasetTask = Literal["classification", "regression"]
DATASET_TASKS: tuple[str, ...] = get_args(DatasetTask)

MODELS = {
    cls.model_fields["kind"].default: cls
    for cls in (MlpConfig, CnnConfig, TransformerConfig, EncoderConfig)
}
OPTIMIZERS = {cls.model_fields["kind"].default: cls for cls in (Sgd, Momentum, Adam)}
SPEC_KEYS = tuple(name for name in TaskSpec.model_fields if name != "version")
DATASET_KEYS = ("file", "target", "task", "features", "name", "text", "tokenizer", "context")
TERMS_KEYS = ("reward", "min_stake", "deadline", "challenge_window")
DEFAULT_TERMS = {"min_stake": "2", "deadline": "1h", "challenge_window": "5m"}
"""The dashboard's defaults (frontend/src/lib/spec.ts); the reward has none: it must be chosen."""

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"(\d+)([smhdw])")
_DURATIONS = re.compile(r"(?:\d+[smhdw])+")
_PLACEHOLDER_DATASET = "digits"
"""Stands in for a [dataset] file's reference while the rest of the spec is checked."""
_PLACEHOLDER_INIT = "0x" + "00" * 32
PRETRAINED: dict[str, Callable[[int], EncoderConfig]] = {"all-MiniLM-L6-v2": minilm_config}
"""Models a package ships, by the name a job file's ``pretrained`` takes: each one's encoder over a
context length (its weights are read only when the job is posted)."""
"""Stands in for an init file's hash while the rest of the spec is checked."""


class JobFileError(ValueError):
    """The job file cannot be posted; the message names the file, the key and what to do."""


@dataclass(frozen=True)
class DatasetFile:
    """A [dataset] table: the submitter's own data, ingested and uploaded when the job is posted."""

    file: Path | None
    """None when the job leaves it to `--dataset FILE`."""
    targets: tuple[str, ...]
    """The target column(s): names (CSV, Parquet) or indices (NumPy); none for an .npz with X and y."""
    task: DatasetTask
    features: tuple[str, ...] | None
    """Only these columns are features (default: every column that is not a target)."""
    name: str | None
    """The dataset's name (default: the file's stem)."""
    text: str | None = None
    """A column of text whose token ids are the features (`tribunal.datasets.text`)."""
    tokenizer: str | None = None
    """With ``text``: the tokenizer (default ``minilm``)."""
    context: int | None = None
    """With ``text``: ids per text (default 32)."""

    def with_file(self, file: Path) -> DatasetFile:
        return replace(self, file=file)


@dataclass(frozen=True)
class Terms:
    """What `postTask` takes besides the spec: the reward escrowed with it and the market's terms."""

    reward: int
    """wei, sent with the transaction"""
    min_stake: int
    """wei the operator locks at its claim"""
    deadline_s: int
    """seconds from posting until the task must be finalized"""
    challenge_window_s: int


@dataclass(frozen=True)
class Job:
    """A checked job file: the spec's fields, where its dataset comes from, and the terms."""

    path: Path
    spec_fields: Mapping[str, Any]
    """The spec's fields but the dataset (checked: `spec` builds a valid TaskSpec from them)."""
    dataset: str | DatasetFile
    """A dataset name or 0x reference, or the user's own file to ingest."""
    terms: Terms
    init_file: Path | None = None
    """``init = "weights.safetensors"``: a pretrained start to upload when the job is posted (its
    hash becomes the spec's ``init``); None when ``init`` is absent or already a 0x hash."""
    pretrained: str | None = None
    """``pretrained = "all-MiniLM-L6-v2"``: a model a package ships, its encoder the spec's model
    and its weights the start, uploaded when the job is posted."""

    def spec(self, dataset: str, init: str | None = None) -> TaskSpec:
        """The task spec, training on ``dataset`` (a built-in name or an uploaded dataset's 0x hash),
        from the uploaded initial weights ``init`` when the job names a file."""
        fields = {**self.spec_fields, "dataset": dataset}
        if init is not None:
            fields["init"] = init
        return TaskSpec.model_validate(fields)

    def with_dataset_file(self, file: Path) -> Job:
        """`--dataset FILE`: ``file`` instead of the job file's own (which must still say its target
        columns and task)."""
        if not isinstance(self.dataset, DatasetFile):
            raise JobFileError(
                f"{self.path}: --dataset {file} needs a [dataset] table naming the target column(s) and the "
                f"task, e.g.\n[dataset]\ntarget = [\"label\"]\ntask = \"classification\"\n"
                f"(the job file trains on dataset = {self.dataset!r})")
        return replace(self, dataset=self.dataset.with_file(file))


def parse_duration(value: object, key: str) -> int:
    """Seconds from ``600``, ``"600"``, ``"10m"``, ``"1h30m"`` or ``"3d"`` (units s, m, h, d, w)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{key}: expected a duration like \"10m\", \"2h\", \"3d\" or seconds, got {value!r}")
    if isinstance(value, int):
        seconds = value
    else:
        text = value.strip().lower().replace(" ", "")
        if text.isdigit():
            seconds = int(text)
        elif _DURATIONS.fullmatch(text):
            seconds = sum(int(n) * UNITS[unit] for n, unit in _DURATION.findall(text))
        else:
            raise ValueError(f"{key}: {value!r} is not a duration: write e.g. \"45s\", \"10m\", \"2h\", "
                             "\"1h30m\", \"3d\" or a number of seconds")
    if seconds <= 0:
        raise ValueError(f"{key}: {value!r} must be a positive duration")
    return seconds


def load_job(path: Path) -> Job:
    """Read and check a job file; JobFileError names what is wrong and how to fix it."""
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise JobFileError(f"no job file {path}: write one as in docs/jobs.md "
                           "(docs/examples/job.toml is a complete example)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JobFileError(f"cannot read the job file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise JobFileError(f"{path} is not valid TOML: {exc}") from None
    return parse_job(raw, path)


def parse_job(raw: Mapping[str, Any], path: Path) -> Job:
    """A job from the TOML file's tables (``path`` names it in errors and anchors relative files)."""
    def fail(message: str) -> JobFileError:
        return JobFileError(f"job file {path}: {message}")

    _known(raw, (*SPEC_KEYS, "terms", "pretrained"), "key", "", fail)
    for table, kinds in (("model", MODELS), ("optimizer", OPTIMIZERS)):
        _check_kind_table(raw, table, kinds, fail)
    dataset = _dataset(raw, path, fail)
    pretrained = _pretrained(raw, dataset, fail)
    if "model" not in raw and pretrained is None:
        raise fail("no [model] table: add one with the model's kind, e.g. [model] kind = \"mlp\" "
                   f"hidden = [32] (kinds: {', '.join(MODELS)}), or start from a packaged model with "
                   f"pretrained = \"{next(iter(PRETRAINED))}\"")
    terms = _terms(raw.get("terms"), fail)
    fields = {name: value for name, value in raw.items() if name in SPEC_KEYS and name != "dataset"}
    if pretrained is not None:
        fields["model"] = pretrained[1].model_dump(mode="json")
    init_file = _init_file(fields, path, fail)
    if init_file is not None:
        del fields["init"]
    job = Job(path, fields, dataset, terms, init_file, None if pretrained is None else pretrained[0])
    try:
        job.spec(dataset if isinstance(dataset, str) else _PLACEHOLDER_DATASET,
                 _PLACEHOLDER_INIT if init_file is not None or pretrained is not None else None)
    except ValidationError as exc:
        raise fail("; ".join(_describe(error, raw) for error in exc.errors())) from None
    return job


def _pretrained(raw: Mapping[str, Any], dataset: str | DatasetFile,
                fail: Any) -> tuple[str, EncoderConfig] | None:
    """``pretrained = NAME``: the packaged model's name and its encoder over the job's context (the
    [model] table's, else the text dataset's, else 32)."""
    name = raw.get("pretrained")
    if name is None:
        return None
    if name not in PRETRAINED:
        raise fail(f"pretrained: {name!r} is not a packaged model; known: {', '.join(PRETRAINED)}")
    if "init" in raw:
        raise fail("pretrained and init both set the initial weights: keep one")
    model = raw.get("model", {})
    if model.get("kind", "encoder") != "encoder" or set(model) - {"kind", "context"}:
        raise fail(f"pretrained = {name!r} fixes the model: its [model] table may only set kind = "
                   "\"encoder\" and context")
    context = model.get("context") or (dataset.context if isinstance(dataset, DatasetFile) else None) or 32
    from tribunal.packaged_models import PackageUnavailable

    try:
        return name, PRETRAINED[name](context)
    except (PackageUnavailable, ValueError) as exc:
        raise fail(f"pretrained = {name!r}: {exc}") from exc


def _init_file(fields: Mapping[str, Any], path: Path, fail: Any) -> Path | None:
    """``init`` naming a safetensors file (relative to the job file) rather than a 0x hash."""
    init = fields.get("init")
    if not isinstance(init, str) or init.startswith("0x"):
        return None
    file = path.parent / init
    if not file.is_file():
        raise fail(f"init: no file {file}: name a safetensors file of initial weights (relative to the job "
                   "file), or the 0x hash of one already in the artifact store")
    return file


def _known(table: Mapping[str, Any], known: tuple[str, ...], what: str, where: str, fail: Any) -> None:
    for name in table:
        if name not in known:
            raise fail(unknown_name(f"{what}{' in ' + where if where else ''}", name, sorted(known)))


def _check_kind_table(raw: Mapping[str, Any], table: str, kinds: Mapping[str, Any], fail: Any) -> None:
    if table not in raw:
        return
    value = raw[table]
    if not isinstance(value, dict):
        raise fail(f"{table} must be a table ([{table}] with kind = \"{next(iter(kinds))}\" and its fields), "
                   f"got {value!r}")
    kind = value.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        shown = "no kind" if kind is None else f"kind {kind!r}"
        raise fail(f"[{table}] has {shown}: set kind to one of {', '.join(map(repr, kinds))}")
    fields = tuple(kinds[kind].model_fields)
    _known(value, fields, f"key of a {kind} {table}", f"[{table}]", fail)


def _dataset(raw: Mapping[str, Any], path: Path, fail: Any) -> str | DatasetFile:
    value = raw.get("dataset")
    if value is None:
        raise fail("no dataset: set dataset = \"digits\" (a built-in one), an uploaded dataset's 0x hash, "
                   "or a [dataset] table with your file, its target column(s) and the task")
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise fail(f"dataset must be a name, a 0x hash or a [dataset] table, got {value!r}")
    _known(value, DATASET_KEYS, "key", "[dataset]", fail)
    file = value.get("file")
    if file is not None and not isinstance(file, str):
        raise fail(f"dataset.file must be a path (a string), got {file!r}")
    resolved = None if file is None else (path.parent / file if not Path(file).is_absolute() else Path(file))
    if resolved is not None and not resolved.is_file():
        raise fail(f"dataset.file {file!r}: no such file ({resolved}); paths are relative to the job file")
    target = _columns(value, "target", fail, "the target column(s), e.g. target = [\"label\"]") or ()
    features = _columns(value, "features", fail, "the feature columns, e.g. features = [\"x1\", \"x2\"]")
    task = value.get("task")
    if task not in DATASET_TASKS:
        raise fail(f"dataset.task must be one of {', '.join(map(repr, DATASET_TASKS))}, got {task!r}")
    name = value.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        raise fail(f"dataset.name must be a non-empty string, got {name!r}")
    text, tokenizer, context = _text(value, features, fail)
    return DatasetFile(resolved, target, task, features, name, text, tokenizer, context)


def _text(table: Mapping[str, Any], features: tuple[str, ...] | None,
          fail: Any) -> tuple[str | None, str | None, int | None]:
    """The [dataset] table's ``text`` column, ``tokenizer`` and ``context``, checked."""
    text, tokenizer, context = table.get("text"), table.get("tokenizer"), table.get("context")
    if text is None:
        if tokenizer is not None or context is not None:
            raise fail("dataset.tokenizer and dataset.context go with dataset.text, the column of text "
                       "(e.g. text = \"review\")")
        return None, None, None
    if not isinstance(text, str) or not text:
        raise fail(f"dataset.text must name a column of text, e.g. text = \"review\", got {text!r}")
    if features is not None:
        raise fail("dataset.features can't go with dataset.text: a text dataset's features are its text's "
                   "token ids (the file's other columns are left out)")
    if tokenizer is not None and tokenizer not in TOKENIZERS:
        raise fail(f"dataset.tokenizer: unknown tokenizer {tokenizer!r}; the known ones are: "
                   f"{', '.join(TOKENIZERS)}")
    if context is not None and (isinstance(context, bool) or not isinstance(context, int)
                                or not MIN_CONTEXT <= context <= MAX_CONTEXT):
        raise fail(f"dataset.context must be {MIN_CONTEXT}..{MAX_CONTEXT} ids per text, got {context!r}")
    return text, tokenizer, context


def _columns(table: Mapping[str, Any], key: str, fail: Any, what: str) -> tuple[str, ...] | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list) or not value or not all(
            isinstance(c, int) and not isinstance(c, bool) or isinstance(c, str) and c for c in value):
        raise fail(f"dataset.{key} must list {what}, got {value!r}")
    return tuple(str(c) for c in value)


def _terms(value: Any, fail: Any) -> Terms:
    if value is None:
        raise fail("no [terms] table: add one with at least the reward in ETH, e.g. [terms] reward = \"0.5\"")
    if not isinstance(value, dict):
        raise fail(f"terms must be a table ([terms] with {', '.join(TERMS_KEYS)}), got {value!r}")
    _known(value, TERMS_KEYS, "key", "[terms]", fail)
    if "reward" not in value:
        raise fail("terms.reward is missing: the ETH escrowed with the task and paid to the operator "
                   "(e.g. reward = \"0.5\")")
    terms = {**DEFAULT_TERMS, **value}
    amounts = {}
    for key in ("reward", "min_stake"):
        amount = terms[key]
        if isinstance(amount, bool) or not isinstance(amount, int | float | str):
            raise fail(f"terms.{key} must be an amount of ETH like \"0.5\", got {amount!r}")
        try:
            amounts[key] = parse_eth(amount)
        except ValueError as exc:
            raise fail(f"terms.{key}: {exc}") from None
    if amounts["reward"] == 0:
        raise fail("terms.reward must be more than 0 ETH: it is what pays the operator")
    try:
        deadline = parse_duration(terms["deadline"], "terms.deadline")
        window = parse_duration(terms["challenge_window"], "terms.challenge_window")
    except ValueError as exc:
        raise fail(str(exc)) from None
    if window >= deadline:
        raise fail(f"terms.challenge_window ({window} s) must be shorter than terms.deadline ({deadline} s): "
                   "the operator trains and the window runs before the deadline")
    return Terms(amounts["reward"], amounts["min_stake"], deadline, window)


def _describe(error: Any, raw: Mapping[str, Any]) -> str:
    """One pydantic error as ``key.path: what``, without the union's tag in the path."""
    loc = list(error["loc"])
    if len(loc) >= 2 and loc[0] in ("model", "optimizer") and isinstance(raw.get(loc[0]), dict) \
            and loc[1] == raw[loc[0]].get("kind"):
        del loc[1]
    message = str(error["msg"]).removeprefix("Value error, ")
    where = ".".join(str(part) for part in loc)
    return f"{where}: {message}" if where else message
