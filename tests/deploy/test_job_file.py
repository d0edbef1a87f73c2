"""The job file of `tribunal task post`: the examples docs/jobs.md shows load, and every mistake is
refused naming its key and what to do, before anything is uploaded or sent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deploy.cli import app
from deploy.job_file import DatasetFile, JobFileError, load_job, parse_duration
from deploy.submit import MEANING, WaitOutcome, dataset_reference
from tribunal.datasets import load_dataset
from tribunal.datasets.ingest import IngestOptions, ingest_file
from tribunal.spec import MlpConfig, Sgd, spec_hash

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
DOC = ROOT / "docs" / "jobs.md"

GOOD = """\
dataset = "iris"
batch_size = 8
steps = 6
checkpoint_every = 3

[model]
kind = "mlp"
hidden = [8]

[optimizer]
kind = "sgd"
lr = 0.05

[terms]
reward = "0.5"
"""


def write(tmp_path: Path, text: str, name: str = "job.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(JobFileError) as caught:
        load_job(write(tmp_path, text))
    return str(caught.value)


def test_the_documented_examples_load_and_are_shown_verbatim_in_the_doc() -> None:
    doc = DOC.read_text()
    job = load_job(EXAMPLES / "job.toml")
    assert EXAMPLES.joinpath("job.toml").read_text().strip() in doc
    spec = job.spec("digits")
    assert (spec.model, spec.optimizer, spec.steps, spec.checkpoint_every) == (
        MlpConfig(hidden=(32,)), Sgd(lr=0.1), 40, 10)
    assert (job.terms.reward, job.terms.min_stake) == (5 * 10**17, 2 * 10**18)
    assert (job.terms.deadline_s, job.terms.challenge_window_s) == (7200, 600)

    own = load_job(EXAMPLES / "job-own-data.toml")
    assert EXAMPLES.joinpath("job-own-data.toml").read_text().strip() in doc
    assert own.dataset == DatasetFile(EXAMPLES / "measurements.csv", ("species",), "classification",
                                      None, None)
    for outcome in WaitOutcome:  # every exit code of `task wait` is documented
        assert f"| {int(outcome)} | `{outcome.name.lower()}` |" in doc, outcome
        assert MEANING[outcome]


def test_a_minimal_job_takes_the_dashboards_default_terms(tmp_path: Path) -> None:
    job = load_job(write(tmp_path, GOOD))
    assert job.dataset == "iris"
    terms = job.terms
    assert (terms.min_stake, terms.deadline_s, terms.challenge_window_s) == (2 * 10**18, 3600, 300)
    # the spec is the one the dashboard would post for the same fields: same canonical bytes
    assert spec_hash(job.spec("iris")) == spec_hash(job.spec("iris").model_validate(
        {"model": {"kind": "mlp", "hidden": [8]}, "dataset": "iris", "optimizer": {"kind": "sgd", "lr": 0.05},
         "batch_size": 8, "steps": 6, "checkpoint_every": 3}))


@pytest.mark.parametrize(("text", "expected"), [
    ("1m", 60), (90, 90), ("90", 90), ("45s", 45), ("10m", 600), ("2h", 7200), ("1h30m", 5400),
    ("3d", 259_200), ("1w", 604_800),
])
def test_durations(text: object, expected: int) -> None:
    assert parse_duration(text, "terms.deadline") == expected


@pytest.mark.parametrize("text", ["", "soon", "10 minutes", "-5", "0", "1.5h", "h2"])
def test_a_bad_duration_names_its_key_and_the_forms_it_takes(text: str) -> None:
    with pytest.raises(ValueError, match=r"terms.deadline: .*(duration|positive)"):
        parse_duration(text, "terms.deadline")


@pytest.mark.parametrize(("change", "expected"), [
    # unknown keys: the nearest known one
    (("steps = 6", "stpes = 6"), r"unknown key `stpes` \(did you mean `steps`\?\)"),
    (("hidden = [8]", "hiden = [8]"),
     r"unknown key of a mlp model in \[model\] `hiden` \(did you mean `hidden`\?\)"),
    (('reward = "0.5"', 'reward = "0.5"\nchallenge = "5m"'),
     r"unknown key in \[terms\] `challenge` \(did you mean `challenge_window`\?\)"),
    (('kind = "sgd"', 'kind = "sdg"'),
     r"\[optimizer\] has kind 'sdg': set kind to one of 'sgd', 'momentum', 'adam'"),
    # values out of range: the spec's own words, under the key's path
    (("steps = 6", "steps = 0"), r"steps must be 1\.\.1000000000, got 0"),
    (("hidden = [8]", "hidden = []"), r"model.hidden: hidden must list 1..8 layer widths"),
    (("lr = 0.05", "lr = -1.0"), r"optimizer.lr must be > 0"),
    (("checkpoint_every = 3", "checkpoint_every = 9"), r"checkpoint_every must be 1..steps \(6\), got 9"),
    (("batch_size = 8", 'batch_size = "eight"'), r"batch_size: Input should be a valid integer"),
    # terms
    (('reward = "0.5"', 'reward = "lots"'), r"terms.reward: 'lots' is not an amount of ETH"),
    (('reward = "0.5"', 'reward = 0'), r"terms.reward must be more than 0 ETH"),
    (('reward = "0.5"', 'min_stake = "1"'), r"terms.reward is missing"),
    (('reward = "0.5"', 'reward = "0.5"\ndeadline = "soon"'), r"terms.deadline: 'soon' is not a duration"),
    (('reward = "0.5"', 'reward = "0.5"\ndeadline = "5m"\nchallenge_window = "10m"'),
     r"terms.challenge_window \(600 s\) must be shorter than terms.deadline \(300 s\)"),
    # missing parts
    (('[terms]\nreward = "0.5"\n', ""), r"no \[terms\] table"),
    (('dataset = "iris"\n', ""), r"no dataset: set dataset = \"digits\""),
    (('[model]\nkind = "mlp"\nhidden = [8]\n', ""), r"no \[model\] table"),
])
def test_a_bad_job_file_is_refused_naming_the_key(tmp_path: Path, change: tuple[str, str],
                                                  expected: str) -> None:
    old, new = change
    assert old in GOOD
    message = refusal(tmp_path, GOOD.replace(old, new, 1))
    assert message.startswith(f"job file {tmp_path / 'job.toml'}: "), message
    assert re.search(expected, message), message


def test_own_data_tables_are_checked(tmp_path: Path) -> None:
    base = GOOD.replace('dataset = "iris"\n', "")
    data = write(tmp_path, "a,b,y\n1,2,0\n", "data.csv")
    table = '[dataset]\nfile = "data.csv"\ntarget = "y"\ntask = "regression"\n'
    job = load_job(write(tmp_path, base + table))
    assert job.dataset == DatasetFile(data, ("y",), "regression", None, None)
    assert "no such file" in refusal(tmp_path, base + '[dataset]\nfile = "nope.csv"\ntask = "regression"\n')
    assert "dataset.task must be one of 'classification', 'regression'" in refusal(
        tmp_path, base + '[dataset]\nfile = "data.csv"\ntask = "clustering"\n')
    assert "(did you mean `target`?)" in refusal(
        tmp_path, base + '[dataset]\nfile = "data.csv"\ntargets = ["y"]\ntask = "regression"\n')
    # --dataset FILE keeps the table's columns and task, with its own file
    other = write(tmp_path, "a,b,y\n", "other.csv")
    assert job.with_dataset_file(other).dataset == DatasetFile(other, ("y",), "regression", None, None)
    with pytest.raises(JobFileError, match=r"--dataset .* needs a \[dataset\] table naming the target"):
        load_job(write(tmp_path, GOOD)).with_dataset_file(other)


def test_the_text_example_loads_is_shown_in_the_doc_and_is_tokenized_when_posted() -> None:
    job = load_job(EXAMPLES / "job-text.toml")
    assert EXAMPLES.joinpath("job-text.toml").read_text().strip() in DOC.read_text()
    assert job.dataset == DatasetFile(EXAMPLES / "reviews.csv", ("sentiment",), "classification", None, None,
                                      "review", "minilm", 32)
    said: list[str] = []
    ref = dataset_reference(job, None, said.append)  # type: ignore[arg-type]  # the local cache only
    dataset = load_dataset(ref)
    expected = ingest_file(EXAMPLES / "reviews.csv", IngestOptions(
        name="reviews", targets=("sentiment",), text="review", tokenizer="minilm", context=32))
    assert dataset.root == expected.root and dataset.num_features == 32
    assert said == [f"dataset {EXAMPLES / 'reviews.csv'}: 32 rows uploaded as {ref}"]


def test_text_keys_of_a_dataset_table_are_checked(tmp_path: Path) -> None:
    base = GOOD.replace('dataset = "iris"\n', "")
    data = write(tmp_path, "review,label\nnice,a\n", "data.csv")
    table = '[dataset]\nfile = "data.csv"\ntarget = "label"\ntask = "classification"\n'
    job = load_job(write(tmp_path, base + table + 'text = "review"\ntokenizer = "bytes"\ncontext = 16\n'))
    assert job.dataset == DatasetFile(data, ("label",), "classification", None, None, "review", "bytes", 16)
    other = write(tmp_path, "review,label\n", "other.csv")
    assert job.with_dataset_file(other).dataset == DatasetFile(other, ("label",), "classification", None,
                                                               None, "review", "bytes", 16)
    for keys, problem in [
        ('text = "review"\ntokenizer = "bert"\n',
         "dataset.tokenizer: unknown tokenizer 'bert'; the known ones are: minilm, bytes"),
        ('text = "review"\ncontext = 1024\n', "dataset.context must be 3..512 ids per text, got 1024"),
        ('text = "review"\ncontext = true\n', "dataset.context must be 3..512"),
        ('text = ""\n', "dataset.text must name a column of text"),
        ('tokenizer = "bytes"\n', "dataset.tokenizer and dataset.context go with dataset.text"),
        ('text = "review"\nfeatures = ["x"]\n', "dataset.features can't go with dataset.text"),
        ('text = "review"\ntokeniser = "bytes"\n', "(did you mean `tokenizer`?)"),
    ]:
        assert problem in refusal(tmp_path, base + table + keys), keys


def test_task_post_refuses_a_bad_job_file_before_touching_the_chain(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("steps = 6", "stpes = 6"))
    result = CliRunner().invoke(app, ["task", "post", str(path), "--rpc-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1, result.output
    assert "did you mean `steps`" in result.output
    missing = CliRunner().invoke(app, ["task", "post", str(tmp_path / "none.toml")])
    assert missing.exit_code == 1 and "no job file" in missing.output and "docs/jobs.md" in missing.output

