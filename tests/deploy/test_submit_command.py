"""`tribunal task post | wait | cancel` on a real anvil and backend: a job file posted with its
escrow is trained by a real operator agent and the wait ends 0 once it is finalized; an open task is
cancelled and its reward comes back; every other ending has its own exit code."""

from __future__ import annotations

from pathlib import Path

from deploy.job_file import load_job
from deploy.submit import BackendApi, WaitOutcome
from tests.support.agents import start_agent
from tests.support.chain import ETHER, Devnet, actor_key, fees_paid
from tests.support.submitter_cli import EXAMPLES, Cli, said
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.anvil import free_port, increase_time
from tribunal.datasets.ingest import IngestOptions, ingest_file
from tribunal.protocol_enums import TaskStatus
from tribunal.spec import parse_spec

JOB = """\
dataset = "digits"
batch_size = 8
seed = {seed}
steps = 4
checkpoint_every = 2

[model]
kind = "mlp"
hidden = [8]

[optimizer]
kind = "sgd"
lr = 0.1

[terms]
reward = "1"
min_stake = "2"
deadline = "{deadline}"
challenge_window = "3s"
"""


def job_file(tmp_path: Path, seed: int = 3, deadline: str = "1h") -> Path:
    path = tmp_path / f"job-{seed}.toml"
    path.write_text(JOB.format(seed=seed, deadline=deadline))
    return path


def test_a_posted_job_is_trained_and_the_wait_ends_when_it_is_finalized(
    cli: Cli, devnet: Devnet, deployment_file: Path, backend_url: str, tmp_path: Path
) -> None:
    job = job_file(tmp_path)
    agent = start_agent(devnet, deployment_file, tmp_path / "operator", actor_key("operator"), backend_url,
                        api_url=backend_url)
    try:
        task_id, result = cli.post(job, "--wait", "--poll-interval", "0.1", "--timeout", "120")
    finally:
        agent.halt()
    output = said(result)
    operator = devnet.signers["operator"].address
    assert f"task {task_id} claimed by {operator}" in output
    assert f"task {task_id}: result submitted by {operator}" in output
    assert f"task {task_id} finalized: 1 ETH paid to operator {operator}" in output

    task = devnet.market("other").task(task_id)
    assert (task.status, task.reward, task.min_stake, task.challenge_window) == (
        TaskStatus.FINALIZED, ETHER, 2 * ETHER, 3)
    uri = devnet.market("other").spec_uri(task_id, devnet.deployment.block_number)
    with ArtifactClient(backend_url) as store:  # the spec the chain names is the job file's, byte for byte
        assert parse_spec(store.download(uri.rsplit("/", 1)[1])) == load_job(job).spec("digits")
    progress = BackendApi(backend_url).latest_progress(task_id)  # what the bar read while it trained
    assert progress is not None and progress.operator == operator.lower() and 1 <= progress.step <= 4

    again = cli.wait(task_id, "--timeout", "60")  # a finished task: the same ending at once
    assert again.exit_code == 0, said(again)


def test_cancel_returns_the_escrow_and_every_other_ending_has_its_exit_code(
    cli: Cli, devnet: Devnet, tmp_path: Path
) -> None:
    w3 = devnet.anvil.w3
    submitter = devnet.signers["submitter"].address
    open_task, _ = cli.post(job_file(tmp_path, seed=4))
    claimed_task, _ = cli.post(job_file(tmp_path, seed=5))
    devnet.stake_manager("operator").stake(2 * ETHER)
    devnet.market("operator").claim(claimed_task)

    foreign = cli("task", "cancel", str(open_task), key="other")
    assert foreign.exit_code == 1
    assert f"posted by {submitter}; only its submitter can cancel it" in said(foreign)
    refused = cli("task", "cancel", str(claimed_task))
    assert refused.exit_code == 1
    assert "claimed it and is training it; it can no longer be cancelled" in said(refused), said(refused)

    first, before = w3.eth.block_number + 1, w3.eth.get_balance(submitter)
    cancelled = cli("task", "cancel", str(open_task))
    assert cancelled.exit_code == 0, said(cancelled)
    assert f"cancelled task {open_task}: the reward 1 ETH is back (withdrew 1 ETH" in said(cancelled)
    fees = fees_paid(w3, submitter, first, w3.eth.block_number)
    assert w3.eth.get_balance(submitter) == before + ETHER - fees  # the escrow, back in the wallet
    assert devnet.stake_manager("other").credit_of(submitter) == 0
    assert devnet.market("other").task(open_task).status is TaskStatus.CANCELLED
    twice = cli("task", "cancel", str(open_task))
    assert twice.exit_code == 1 and "it is already cancelled" in said(twice)
    assert cli.wait(open_task, "--timeout", "60").exit_code == WaitOutcome.CANCELLED

    # The backend's API does not answer: the chain's status only, and --timeout ends the wait.
    dead = f"http://127.0.0.1:{free_port()}"
    stalled = cli.wait(claimed_task, "--api-url", dead, "--timeout", "0.5")
    assert stalled.exit_code == WaitOutcome.TIMED_OUT, said(stalled)
    assert "does not answer" in said(stalled) and "chain's status only" in said(stalled)
    assert "still claimed after --timeout" in said(stalled)

    increase_time(w3, 2 * 3600)  # the operator let the deadline (an hour after posting) pass
    expired = cli.wait(claimed_task, "--timeout", "60")
    assert expired.exit_code == WaitOutcome.EXPIRED, said(expired)
    assert "the deadline passed with no result" in said(expired)


def test_own_data_is_ingested_uploaded_and_named_by_its_hash(cli: Cli, devnet: Devnet, backend_url: str,
                                                             tmp_path: Path) -> None:
    data = tmp_path / "flowers.csv"  # --dataset: another file than the job file's, same columns
    lines = (EXAMPLES / "measurements.csv").read_text().splitlines()
    data.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    task_id, result = cli.post(EXAMPLES / "job-own-data.toml", "--dataset", str(data))
    expected = ingest_file(data, IngestOptions(name="flowers", targets=("species",), task="classification"))
    assert f"dataset {data}: {expected.num_rows} rows uploaded as 0x" in said(result)
    task = devnet.market("other").task(task_id)
    assert task.dataset_root == expected.root
    uri = devnet.market("other").spec_uri(task_id, devnet.deployment.block_number)
    with ArtifactClient(backend_url) as store:
        spec = parse_spec(store.download(uri.rsplit("/", 1)[1]))
        assert spec.dataset.startswith("0x") and store.exists(spec.dataset)

    # Another job names the uploaded dataset by its hash; one the store never had is refused.
    by_hash = tmp_path / "by-hash.toml"
    by_hash.write_text(JOB.replace('"digits"', f'"{spec.dataset}"').format(seed=9, deadline="1h"))
    again, _ = cli.post(by_hash)
    assert devnet.market("other").task(again).dataset_root == expected.root
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(JOB.replace('"digits"', '"0x' + "ab" * 32 + '"').format(seed=9, deadline="1h"))
    refused = cli("task", "post", str(unknown), "--artifact-store", backend_url)
    assert refused.exit_code == 1 and "names an artifact" in said(refused), said(refused)
    assert devnet.market("other").task_count() == again
