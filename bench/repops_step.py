"""Step time of RepOps against native torch for each model, and where RepOps spends it.

    python bench/repops_step.py [--steps 20] [--models mlp cnn transformer]

Step times are medians over the timed steps (``*_min_s``: the fastest step, less
sensitive to other load on the machine). Each (model, trainer) pair runs in its own
process, so that peak memory (max RSS, and CUDA's max allocated on a GPU) belongs to that
pair alone, once with default thread pools and once with one thread (``THREAD_CONFIGS``).
A RepOps step is timed twice: compute only (the nodes), and the commitment of a committed
step (every node output's tensor root and h_{t+1}), ``*_repops_commit_s``. An operator commits
one step in ``checkpoint_every`` (protocol v2, `docs/protocol.md` "Trace root"; 100 for these
tasks). ``*_step_with_commit_ratio`` is measured on one whole interval: ``checkpoint_every``
RepOps steps with the last one committed, against as many native steps (``*_interval_s``);
``*_step_with_commit_from_medians_ratio`` is (median step + commit / checkpoint_every) / median
native step, and ``*_step_with_commit_every_step_ratio`` what committing every step (v1) costs. The profile
splits one RepOps step by op kind.
Results are merged into ``bench/results.json`` under ``repops.models`` (other keys kept).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._results import RESULTS, environment, merge_into, recorded  # noqa: E402
from bench.models import TRANSFORMER_10M  # noqa: E402
from tribunal.commitments import state_commitment  # noqa: E402
from tribunal.datasets import batch_row_indices, load_dataset  # noqa: E402
from tribunal.device import pick_device  # noqa: E402
from tribunal.graph import StepGraph, node_inputs  # noqa: E402
from tribunal.models import build_step_graph, initial_state, model_dims, native, state_layout  # noqa: E402
from tribunal.repops import execute  # noqa: E402
from tribunal.spec import Adam, CnnConfig, MlpConfig, TaskSpec, TransformerConfig  # noqa: E402
from tribunal.training import native_optimizer, next_state, output_roots, run_step  # noqa: E402

GOAL_RATIO = 1.3
WARMUP = 3

BENCH_SPECS = {
    "mlp": TaskSpec(
        model=MlpConfig(hidden=(128,)),
        dataset="digits",
        optimizer=Adam(lr=0.001),
        batch_size=64,
        steps=1000,
        checkpoint_every=100,
    ),
    "cnn": TaskSpec(
        model=CnnConfig(channels=8, hidden=32),
        dataset="digits",
        optimizer=Adam(lr=0.001),
        batch_size=32,
        steps=1000,
        checkpoint_every=100,
    ),
    "transformer": TaskSpec(
        model=TransformerConfig(context=16),
        dataset="char_copy",
        optimizer=Adam(lr=0.001),
        batch_size=16,
        steps=1000,
        checkpoint_every=100,
    ),
    "transformer_10m": TaskSpec(
        model=TRANSFORMER_10M,
        dataset="char_copy",
        optimizer=Adam(lr=0.001),
        batch_size=8,
        steps=1000,
        checkpoint_every=100,
    ),
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_memory_mb(device: torch.device) -> dict[str, float]:
    peak = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if device.type == "cuda":
        peak["peak_cuda_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return peak


def measure_repops(spec: TaskSpec, steps: int, device: torch.device) -> dict[str, Any]:
    dataset = load_dataset(spec.dataset)
    graph = build_step_graph(spec, dataset)
    state = [torch.from_numpy(a).to(device) for a in initial_state(spec, dataset)]
    rows = torch.from_numpy(np.array(dataset.rows)).to(device)
    compute, commit = [], []
    for step in range(WARMUP + steps):
        _sync(device)
        began = time.perf_counter()
        outputs = run_step(graph, state, rows, step)
        _sync(device)
        middle = time.perf_counter()
        state_commitment(output_roots(outputs))
        ended = time.perf_counter()
        state = next_state(graph, outputs)
        if step >= WARMUP:
            compute.append(middle - began)
            commit.append(ended - middle)
    # one whole interval as an operator trains it: checkpoint_every steps, the last one committed
    _sync(device)
    began = time.perf_counter()
    for step in range(spec.checkpoint_every):
        outputs = run_step(graph, state, rows, WARMUP + steps + step)
        if step == spec.checkpoint_every - 1:
            state_commitment(output_roots(outputs))
        state = next_state(graph, outputs)
    _sync(device)
    interval = time.perf_counter() - began
    return {
        "interval_s": interval,
        "step_s": statistics.median(compute),
        "step_min_s": min(compute),
        "commit_s": statistics.median(commit),
        "nodes": len(graph.nodes),
        "elements": graph.num_elements,
        "params": sum(
            int(np.prod(slot.shape)) for slot in state_layout(spec, dataset) if slot.name.startswith("param.")
        ),
        "profile": profile_by_kind(graph, state, rows, device),
        **_peak_memory_mb(device),
    }


def profile_by_kind(
    graph: StepGraph, state: list[torch.Tensor], rows: torch.Tensor, device: torch.device, repeats: int = 3
) -> dict[str, float]:
    """Seconds per step spent in each op kind, the mean over ``repeats`` steps."""
    spent: Counter[str] = Counter()
    for step in range(repeats):
        outputs: list[torch.Tensor] = []
        for node in graph.nodes:
            inputs = node_inputs(node, outputs, state, rows)
            op = graph.op_for_step(node, step)
            _sync(device)
            began = time.perf_counter()
            outputs.append(execute(op, inputs))
            _sync(device)
            spent[node.op.kind.name] += time.perf_counter() - began
    return {kind: round(seconds / repeats, 6) for kind, seconds in spent.most_common()}


def measure_native(spec: TaskSpec, steps: int, device: torch.device) -> dict[str, Any]:
    dataset = load_dataset(spec.dataset)
    dims = model_dims(spec, dataset)
    params = {
        slot.name: torch.tensor(value, device=device, requires_grad=True)
        for slot, value in zip(state_layout(spec, dataset), initial_state(spec, dataset), strict=True)
        if slot.name.startswith("param.")
    }
    optimizer = native_optimizer(spec.optimizer, list(params.values()))
    rows = torch.from_numpy(np.array(dataset.rows)).to(device)
    times = []
    for step in range(WARMUP + steps):
        _sync(device)
        began = time.perf_counter()
        index = batch_row_indices(spec.seed, step, spec.batch_size, dataset.num_rows)
        batch = rows[torch.tensor(index, device=device)]
        output = native.forward(dims, params, batch[:, : dims.num_features])
        loss = native.loss(dims, output, batch[:, dims.num_features :])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        _sync(device)
        if step >= WARMUP:
            times.append(time.perf_counter() - began)
    _sync(device)
    began = time.perf_counter()
    for step in range(WARMUP + steps, WARMUP + steps + spec.checkpoint_every):
        index = batch_row_indices(spec.seed, step, spec.batch_size, dataset.num_rows)
        batch = rows[torch.tensor(index, device=device)]
        loss = native.loss(dims, native.forward(dims, params, batch[:, : dims.num_features]),
                           batch[:, dims.num_features :])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _sync(device)
    interval = time.perf_counter() - began
    return {"interval_s": interval, "step_s": statistics.median(times), "step_min_s": min(times),
            **_peak_memory_mb(device)}


def worker(model: str, trainer: str, steps: int) -> None:
    device = pick_device()
    measure = measure_repops if trainer == "repops" else measure_native
    print(json.dumps({"device": str(device), **measure(BENCH_SPECS[model], steps, device)}))


THREAD_CONFIGS = {
    "default": {},
    "one_thread": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"},
}
"""Each trainer runs with the libraries' default thread pools and with one thread; the
headline figures take each trainer's faster configuration (on a small, shared CPU the thread
pools' barriers can cost more than the work they split)."""


def _run_worker(model: str, trainer: str, steps: int, config: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_CONFIGS["one_thread"]}
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", model, trainer, "--steps", str(steps)],
        capture_output=True,
        check=True,
        cwd=REPO,
        env={**env, **THREAD_CONFIGS[config]},
        timeout=3600,
    )
    result: dict[str, Any] = json.loads(completed.stdout.decode().strip().splitlines()[-1])
    return {**result, "threads": config}


def _fastest(model: str, trainer: str, steps: int, figures: dict[str, Any]) -> dict[str, Any]:
    runs = [_run_worker(model, trainer, steps, config) for config in THREAD_CONFIGS]
    for run in runs:
        figures[f"{model}_{trainer}_{run['threads']}_step_s"] = round(run["step_s"], 6)
    return min(runs, key=lambda run: run["step_s"])


def bench(models: list[str], steps: int) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "goal_ratio": GOAL_RATIO,
        "steps_timed": steps,
        **environment(),
    }
    for model in models:
        repops = _fastest(model, "repops", steps, figures)
        plain = _fastest(model, "native", steps, figures)
        figures["device"] = repops["device"]
        ratio = repops["step_s"] / plain["step_s"]
        figures.update(
            {
                f"{model}_repops_step_s": round(repops["step_s"], 6),
                f"{model}_repops_threads": repops["threads"],
                f"{model}_repops_commit_s": round(repops["commit_s"], 6),
                f"{model}_native_step_s": round(plain["step_s"], 6),
                f"{model}_native_threads": plain["threads"],
                f"{model}_step_ratio": round(ratio, 3),
                f"{model}_repops_step_min_s": round(repops["step_min_s"], 6),
                f"{model}_native_step_min_s": round(plain["step_min_s"], 6),
                f"{model}_step_min_ratio": round(repops["step_min_s"] / plain["step_min_s"], 3),
                f"{model}_commit_every_steps": BENCH_SPECS[model].checkpoint_every,
                f"{model}_repops_interval_s": round(repops["interval_s"], 4),
                f"{model}_native_interval_s": round(plain["interval_s"], 4),
                f"{model}_step_with_commit_ratio": round(repops["interval_s"] / plain["interval_s"], 3),
                f"{model}_step_with_commit_from_medians_ratio": round(
                    (repops["step_s"] + repops["commit_s"] / BENCH_SPECS[model].checkpoint_every)
                    / plain["step_s"], 3
                ),
                f"{model}_step_with_commit_every_step_ratio": round(
                    (repops["step_s"] + repops["commit_s"]) / plain["step_s"], 3
                ),
                f"{model}_repops_peak_rss_mb": round(repops["peak_rss_mb"], 1),
                f"{model}_native_peak_rss_mb": round(plain["peak_rss_mb"], 1),
                f"{model}_nodes": repops["nodes"],
                f"{model}_params": repops["params"],
                f"{model}_elements_per_step": repops["elements"],
                f"{model}_repops_profile_s": repops["profile"],
            }
        )
        if "peak_cuda_mb" in repops:
            figures[f"{model}_repops_peak_cuda_mb"] = round(repops["peak_cuda_mb"], 1)
            figures[f"{model}_native_peak_cuda_mb"] = round(plain["peak_cuda_mb"], 1)
        print(
            f"{model:12s} repops {repops['step_s'] * 1e3:9.2f} ms ({repops['threads']}, +commit "
            f"{repops['commit_s'] * 1e3:8.2f} ms)  native {plain['step_s'] * 1e3:8.2f} ms "
            f"({plain['threads']})  ratio {ratio:6.2f}x  (goal {GOAL_RATIO}x)"
        )
        top = list(repops["profile"].items())[:5]
        print("             profile: " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in top))
    return figures


def merge_results(figures: dict[str, Any]) -> None:
    """Merge the figures into ``repops.models``: a run of some models keeps the figures
    recorded for the others (``repops.ops`` and the other entries are kept too)."""
    merge_into("repops", "models", {**recorded("repops").get("models", {}), **figures})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--models", nargs="+", default=list(BENCH_SPECS), choices=list(BENCH_SPECS))
    parser.add_argument("--worker", nargs=2, metavar=("MODEL", "TRAINER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.steps)
        return
    merge_results(bench(args.models, args.steps))
    print(f"written to {RESULTS} under repops.models")


if __name__ == "__main__":
    main()
