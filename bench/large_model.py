"""A model of a real size end to end (issue 13 §4): the 10.7M-parameter transformer of
``bench/dispute.py`` (``transformer_10m``), measured phase by phase, each phase in its own process
so that its peak RSS is its own.

    python -m bench.large_model              # writes bench/results.json key repops.large_model
    python -m bench.large_model --no-save

Phases:

- ``graph``: the step graph, the initial state and ``h_0``;
- ``train``: the operator's run with commitments, `tribunal.training.train`, writing every
  checkpoint to a local checkpoint store (the size of one checkpoint file is reported);
- ``verify``: a verifier's full check, `verifier.checking.TaskChecker.check` in ``full`` mode,
  reading the operator's model and manifest from that store: it replays every step with
  commitments, compares the roots, loads each checkpoint and evaluates the model;
- ``dispute``: the whole dispute game on anvil, `bench.dispute.run` (both parties, the Python
  dispute engine and anvil's client, in one process; anvil itself is a separate process and not
  counted). Its gas and wall time are also what ``python -m bench.dispute`` records under
  ``dispute.transformer_10m``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._results import environment, merge_into  # noqa: E402
from bench.dispute import SPECS  # noqa: E402

MODEL = "transformer_10m"
PHASES = ("graph", "train", "verify", "dispute")


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _params() -> int:
    from tribunal.datasets import load_dataset
    from tribunal.models import state_layout

    spec = SPECS[MODEL]
    layout = state_layout(spec, load_dataset(spec.dataset))
    return sum(_numel(slot.shape) for slot in layout if slot.name.startswith("param."))


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


def phase_graph(_: Path) -> dict[str, Any]:
    from tribunal.datasets import load_dataset
    from tribunal.models import build_step_graph, initial_state
    from tribunal.training import initial_commitment

    spec = SPECS[MODEL]
    began = time.perf_counter()
    dataset = load_dataset(spec.dataset)
    graph = build_step_graph(spec, dataset)
    built = time.perf_counter()
    state = initial_state(spec, dataset)
    initial_commitment(state)
    return {
        "nodes": len(graph.nodes),
        "elements_per_step": graph.num_elements,
        "state_elements": sum(int(a.size) for a in state),
        "graph_build_s": round(built - began, 3),
        "initial_state_and_h0_s": round(time.perf_counter() - built, 3),
    }


def phase_train(work: Path) -> dict[str, Any]:
    from tribunal.checkpoints import LocalCheckpointStore
    from tribunal.training import train

    spec = SPECS[MODEL]
    store = LocalCheckpointStore(work / "checkpoints")
    began = time.perf_counter()
    result = train(spec, store=store)
    wall = time.perf_counter() - began
    sizes = [path.stat().st_size for path in (work / "checkpoints" / "objects").rglob("*") if path.is_file()]
    (work / "trained.json").write_text(json.dumps({
        "trace_root": result.trace_root.hex(),
        "final_state_root": result.state_commitments[-1].hex(),
        "model_hash": result.model_hash.hex(),
        "checkpoints": {str(step): digest.hex() for step, digest in result.checkpoints.items()},
        "spec_hash": result.spec_hash.hex(),
    }))
    return {
        "train_s": round(wall, 2),
        "train_step_with_commit_s": round(wall / spec.steps, 3),
        "checkpoints": len(sizes),
        "checkpoint_bytes": max(sizes),
    }


def phase_verify(work: Path) -> dict[str, Any]:
    from tribunal.checkpoint_manifest import CheckpointManifest
    from tribunal.checkpoints import Checkpoint, LocalCheckpointStore
    from tribunal.tasks import prepare_task
    from verifier.checking import Mode, TaskChecker, Verdict

    spec = SPECS[MODEL]
    trained = json.loads((work / "trained.json").read_text())
    store = LocalCheckpointStore(work / "checkpoints")
    spec_hash = bytes.fromhex(trained["spec_hash"])
    manifest = CheckpointManifest(
        spec_hash=spec_hash,
        checkpoints={int(step): bytes.fromhex(h) for step, h in trained["checkpoints"].items()},
    )

    class LocalPublications:
        """What the operator published, read from its local checkpoint store."""

        def model(self) -> Checkpoint:
            return store.get(bytes.fromhex(trained["model_hash"]))

        def manifest(self) -> CheckpointManifest:
            return manifest

        def checkpoint(self, content_hash: bytes) -> Checkpoint:
            return store.get(content_hash)

    began = time.perf_counter()
    prepared = prepare_task(spec, spec_uri=f"bench://{MODEL}")
    task = _task(prepared, trained)
    result = TaskChecker().check(task, prepared, LocalPublications(), Mode.FULL)
    wall = time.perf_counter() - began
    if result.verdict is not Verdict.HONEST:
        raise SystemExit(f"the verifier judged the honest run {result.verdict}: {result.to_json()}")
    return {"verifier_full_check_s": round(wall, 2), "verifier_verdict": result.verdict.value}


def _task(prepared: Any, trained: dict[str, Any]) -> Any:
    from tribunal.chain.task_market import Task
    from tribunal.protocol_enums import TaskStatus

    spec = prepared.spec
    return Task(
        task_id=1, submitter="0x" + "11" * 20, deadline=2**40, steps=spec.steps,
        operator="0x" + "22" * 20, challenge_window=600, checkpoint_every=spec.checkpoint_every,
        status=TaskStatus.SUBMITTED, claimed_at=0, submitted_at=0, open_disputes=0, reward=10**18,
        min_stake=2 * 10**18, spec_hash=prepared.spec_hash, dataset_root=prepared.dataset_root,
        init_state_root=prepared.init_state_root, graph_root=prepared.graph_root,
        trace_root=bytes.fromhex(trained["trace_root"]), model_hash=bytes.fromhex(trained["model_hash"]),
        final_state_root=bytes.fromhex(trained["final_state_root"]),
    )


def phase_dispute(_: Path) -> dict[str, Any]:
    from bench.dispute import run

    result = run(MODEL, seed=100 + list(SPECS).index(MODEL))
    return {f"dispute_{k}": v for k, v in result.items() if k in (
        "wall_s", "total_gas", "max_tx_gas", "one_step_gas", "transactions", "found", "winner")}


def _run_phase(name: str, work: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.large_model", "--phase", name, "--work", str(work)],
        cwd=REPO, capture_output=True, text=True, timeout=3600,
    )
    if completed.returncode:
        raise SystemExit(f"phase {name} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-save", action="store_true", help="print only; leave bench/results.json")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        figures = {"graph": phase_graph, "train": phase_train, "verify": phase_verify,
                   "dispute": phase_dispute}[args.phase](args.work)
        print(json.dumps({**figures, "peak_rss_mb": _peak_rss_mb()}))
        return
    spec = SPECS[MODEL]
    figures: dict[str, Any] = {
        "model": MODEL,
        "params": _params(),
        "steps": spec.steps,
        "batch_size": spec.batch_size,
        **environment(),
    }
    print(f"{MODEL}: {figures['params']:,} parameters, {spec.steps} steps of batch {spec.batch_size}")
    peaks: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="tribunal-large-") as work:
        for name in PHASES:
            began = time.perf_counter()
            result = _run_phase(name, Path(work))
            peaks[name] = result.pop("peak_rss_mb")
            figures.update(result)
            seconds = time.perf_counter() - began
            print(f"  {name:8s} {seconds:7.1f} s  peak RSS {peaks[name]:8.1f} MB  {result}")
    figures["peak_rss_mb"] = peaks
    figures["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    if not args.no_save:
        merge_into("repops", "large_model", figures)
        print("written to bench/results.json under repops.large_model")


if __name__ == "__main__":
    main()
