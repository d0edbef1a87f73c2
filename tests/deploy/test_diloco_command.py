"""`tribunal diloco post | status | withdraw` on a real anvil and backend: a job file posted as a
2 × 2 DiLoCo job puts its shards and document in the artifact store and its wiring on-chain (what
`job_wiring` computes from the document alone), the status grid names every posted task, a job the
contract cannot take is refused before anything is uploaded, and a failed job's refund is withdrawn."""

from __future__ import annotations

from pathlib import Path

from tests.support.chain import ETHER, Devnet
from tests.support.submitter_cli import Cli, posted_id, said
from tribunal.artifact_client import ArtifactClient, content_hash
from tribunal.chain.anvil import increase_time
from tribunal.chain.diloco_jobs import DilocoJobs, JobWiring
from tribunal.diloco.job import job_hash, job_wiring, parse_job
from tribunal.protocol_enums import JobStatus, TaskStatus

JOB = """\
dataset = "digits"
batch_size = 8
seed = 11
steps = 4
checkpoint_every = 1

[model]
kind = "mlp"
hidden = [8]

[optimizer]
kind = "momentum"
lr = 0.05

[terms]
reward = "0.1"
min_stake = "2"
deadline = "1h"
challenge_window = "3s"
"""


def job_file(tmp_path: Path) -> Path:
    path = tmp_path / "inner.toml"
    path.write_text(JOB)
    return path


def jobs(devnet: Devnet, who: str = "other") -> DilocoJobs:
    assert devnet.deployment.diloco_jobs is not None
    return DilocoJobs(devnet.client(who), devnet.deployment.diloco_jobs)


def post(cli: Cli, tmp_path: Path, *extra: str) -> int:
    result = cli("diloco", "post", str(job_file(tmp_path)), "--rounds", "2", "--shards", "2",
                 "--inner-steps", "2", "--outer-reward", "0.3", "--artifact-store", cli.backend_url, *extra)
    assert result.exit_code == 0, said(result)
    assert "escrow 1 ETH" in said(result)  # 2 × (2 × 0.1 + 0.3)
    return posted_id(result)


def test_a_posted_job_puts_its_document_and_shards_in_the_store_and_its_wiring_on_chain(
    cli: Cli, devnet: Devnet, backend_url: str, tmp_path: Path
) -> None:
    job_id = post(cli, tmp_path)
    chain = jobs(devnet)
    view = chain.get_job(job_id)
    assert (view.status, view.rounds, view.shards, view.round) == (JobStatus.TRAINING, 2, 2, 0)
    assert (view.shard_reward, view.outer_reward) == (ETHER // 10, 3 * ETHER // 10)
    assert view.submitter == devnet.signers["submitter"].address
    params = chain.params_of(job_id)
    assert (params.inner_steps, params.checkpoint_every, params.min_stake, params.task_timeout,
            params.challenge_window) == (2, 1, 2 * ETHER, 3600, 3)

    with ArtifactClient(backend_url) as store:
        document = store.download(params.spec_uri.rsplit("/", 1)[1])
        assert params.spec_uri == f"{backend_url}/api/artifacts/{content_hash(document)}"
        job = parse_job(document)
        for digest in job.shard_datasets:
            assert content_hash(store.download(digest)) == digest
    assert job_hash(job) == params.spec_hash == view.spec_hash
    assert (job.rounds, job.shards, job.task.steps, job.task.optimizer.kind) == (2, 2, 2, "momentum")

    wiring = job_wiring(job)  # from the document alone, as any agent computes it
    assert chain.wiring_of(job_id) == JobWiring(
        wiring.global_slots, wiring.shard_slots, wiring.segment_nodes, wiring.outer_nodes,
        tuple(wiring.segment_init), tuple(wiring.segment_const), tuple(wiring.segment_out),
        tuple(wiring.outer_out))
    assert params.segment_graph_roots == tuple(wiring.segment_graph_roots)
    assert params.shard_dataset_roots == tuple(wiring.shard_dataset_roots)
    assert (params.outer_graph_root, params.outer_dataset_root) == (wiring.outer_graph_root,
                                                                    wiring.outer_dataset_root)
    assert chain.global_root(job_id, 0) != bytes(32)

    status = cli("diloco", "status", str(job_id))
    assert status.exit_code == 0, said(status)
    shown = said(status)
    assert "round 0's segments train (0/2 recorded)" in shown and "escrow held 0.8 ETH" in shown
    for shard in range(2):
        task_id = chain.segment_task(job_id, 0, shard)
        assert devnet.market("other").task(task_id).status is TaskStatus.OPEN
        assert f"{task_id} (open)" in shown
    missing = cli("diloco", "status", str(job_id + 1))
    assert missing.exit_code == 1 and f"no DiLoCo job {job_id + 1}" in said(missing)


def test_a_job_the_contract_cannot_take_is_refused_before_anything_is_posted(
    cli: Cli, devnet: Devnet, tmp_path: Path
) -> None:
    count = jobs(devnet).job_count()
    too_wide = cli("diloco", "post", str(job_file(tmp_path)), "--rounds", "2", "--shards", "17",
                   "--artifact-store", cli.backend_url)
    assert too_wide.exit_code == 1
    assert "this DilocoJobs takes at most 64 rounds and 16 shards" in said(too_wide), said(too_wide)
    bad_steps = cli("diloco", "post", str(job_file(tmp_path)), "--rounds", "2", "--shards", "2",
                    "--inner-steps", "0", "--artifact-store", cli.backend_url)
    assert bad_steps.exit_code == 1 and "steps must be" in said(bad_steps), said(bad_steps)
    assert jobs(devnet).job_count() == count


def test_withdraw_pays_a_failed_jobs_refund_once(cli: Cli, devnet: Devnet, tmp_path: Path) -> None:
    nothing = cli("diloco", "withdraw")
    assert nothing.exit_code == 1 and "nothing to withdraw" in said(nothing)

    job_id = post(cli, tmp_path)
    chain = jobs(devnet)
    increase_time(devnet.anvil.w3, 3601)  # nobody trained round 0 within its tasks' hour
    for shard in range(2):
        devnet.market("other").expire(chain.segment_task(job_id, 0, shard))
    chain.abandon(job_id)
    failed = cli("diloco", "status", str(job_id))
    assert "failed: a task was refunded" in said(failed)
    assert "(refunded)" in said(failed)

    paid = cli("diloco", "withdraw")
    assert paid.exit_code == 0, said(paid)
    assert f"withdrew 1 ETH to {devnet.signers['submitter'].address}" in said(paid)
    assert chain.credit_of(devnet.signers["submitter"].address) == 0
