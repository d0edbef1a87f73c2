"""Would a fused multiply-add bring the RepOps matmul to native speed? (issue #13 §5)

    python -m bench.fma [--repeats 7] [--quick]

The shipped C kernel (``tribunal/repops/cpu/cmatmul.c``) is built with
``-ffp-contract=off``: every product is rounded before it is added. This benchmark builds
the same source twice in a scratch directory, once with the shipped flags and once with
``-ffp-contract=fast`` and the wide tile in plain C (``REPOPS_PLAIN_TILE``; so
``acc + a * b`` becomes one ``vfmadd`` per lane: the same
fixed k order, one rounding per step instead of two), checks from the assembly that
the first has no FMA instruction and the second does, and times both against
``torch.matmul`` (one thread, and the default thread count) on the matmul shapes of the
benchmark models (``bench/repops_step.py``, read by running one RepOps step of each) and
on square 256^3 and 1024^3 products. Both kernels run single-threaded here (what the
shipped kernel does for small products; larger ones are split across threads the same way
for either build). Figures go to ``bench/results.json`` under ``repops.fma``.

Nothing here is shipped: the FMA build lives in a temporary directory. Its results differ
in the last bits from the shipped kernel's (one rounding fewer per step; the fraction of
differing outputs is recorded), so adopting it would change every trace root.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._results import RESULTS, environment, merge_into, recorded  # noqa: E402
from tribunal.repops.cpu import cext, kernels  # noqa: E402

FMA_FLAGS = ("-O3", "-ffp-contract=fast", "-fno-fast-math", "-fno-unsafe-math-optimizations",
             "-DREPOPS_PLAIN_TILE")
"""The shipped flags with contraction allowed, and the wide tile's multiplies in plain C
(the shipped build writes them as `vmulps m32{1to16}` in inline assembly, which no compiler
can contract): with FMA the scalar's separate broadcast no longer competes with the adds."""

SQUARE_SHAPES = [(256, 256, 256), (1024, 1024, 1024)]


def _target(directory: Path, name: str) -> Path:
    return directory / f"{name}{__import__('sysconfig').get_config_var('EXT_SUFFIX') or '.so'}"


def _build(flags: tuple[str, ...], directory: Path, name: str) -> tuple[ModuleType, int]:
    """Build cmatmul.c with ``flags`` + -march=native; the module and its FMA instruction count."""
    cc = cext.compiler()
    if cc is None:
        raise SystemExit("no C compiler")
    include = __import__("sysconfig").get_paths()["include"]
    target = _target(directory, name)
    common = [*cc, *flags, *cext.TUNE_FLAGS, "-I", include, str(cext.SOURCE)]
    subprocess.run([*common, "-shared", "-fPIC", "-o", str(target), "-pthread"], check=True)
    assembly = directory / f"{name}.s"
    subprocess.run([*common, "-S", "-o", str(assembly)], check=True)
    fmas = sum(1 for line in assembly.read_text().splitlines() if "vfmadd" in line or "vfnmadd" in line)
    return _load(target), fmas


def _load(target: Path) -> ModuleType:
    loader = importlib.machinery.ExtensionFileLoader(cext.MODULE, str(target))
    spec = importlib.util.spec_from_file_location(cext.MODULE, target, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def model_shapes() -> tuple[dict[str, Counter[tuple[int, int, int, int]]], dict[str, dict[str, float]]]:
    """Per benchmark model: (batch, m, k, n) of every matmul in one RepOps step, with counts,
    and the seconds a step spends in each op kind (``profile_by_kind`` of bench/repops_step.py,
    measured here, default threads)."""
    from bench.repops_step import BENCH_SPECS, profile_by_kind
    from tribunal.datasets import load_dataset
    from tribunal.models import build_step_graph, initial_state
    from tribunal.training import run_step

    shapes: dict[str, Counter[tuple[int, int, int, int]]] = {}
    profiles: dict[str, dict[str, float]] = {}
    seen: Counter[tuple[int, int, int, int]] = Counter()
    original = kernels.matmul_plan

    def recording(a_shape, b_shape, transpose_a, transpose_b, backend="auto"):  # type: ignore[no-untyped-def]
        batch = int(np.prod(a_shape[:-2])) if len(a_shape) > 2 else 1
        m, k = (a_shape[-1], a_shape[-2]) if transpose_a else (a_shape[-2], a_shape[-1])
        n = b_shape[-2] if transpose_b else b_shape[-1]
        seen[(batch, m, k, n)] += 1
        return original(a_shape, b_shape, transpose_a, transpose_b, backend)

    for model, spec in BENCH_SPECS.items():
        dataset = load_dataset(spec.dataset)
        graph = build_step_graph(spec, dataset)
        state = [torch.from_numpy(a) for a in initial_state(spec, dataset)]
        rows = torch.from_numpy(np.array(dataset.rows))
        seen.clear()
        kernels.matmul_plan = recording  # type: ignore[assignment]
        try:
            run_step(graph, state, rows, 0)
        finally:
            kernels.matmul_plan = original  # type: ignore[assignment]
        shapes[model] = Counter(seen)
        profiles[model] = profile_by_kind(graph, state, rows, torch.device("cpu"), repeats=5)
    return shapes, profiles


def _time(functions: list[Any], repeats: int, budget_s: float = 3.0) -> list[float]:
    """Seconds of one call of each function: the fastest of ``repeats`` samples (at least 3,
    fewer past ``budget_s``), the functions taking turns so that load from other processes
    hits them alike; calls are batched so that a sample lasts >= 1 ms."""
    inner = []
    for fn in functions:
        fn()
        began = time.perf_counter()
        fn()
        inner.append(max(1, int(1e-3 / max(time.perf_counter() - began, 1e-7))))
    best = [float("inf")] * len(functions)
    began_all = time.perf_counter()
    for round_ in range(repeats):
        for index, (fn, n) in enumerate(zip(functions, inner, strict=True)):
            began = time.perf_counter()
            for _ in range(n):
                fn()
            best[index] = min(best[index], (time.perf_counter() - began) / n)
        if round_ >= 2 and time.perf_counter() - began_all > budget_s:
            break
    return best


def _kernel_call(module: ModuleType, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> Any:
    batch, m, k = a.shape
    n = b.shape[2]
    sizes = (m, k, n, m * k, k, 1, k * n, n, 1)
    return lambda: module.matmul(a, b, out, *sizes, 0, batch, 0, m, 0, n, 1)  # one thread


def measure(
    shape: tuple[int, int, int, int], plain: ModuleType, fused: ModuleType, repeats: int
) -> dict[str, Any]:
    batch, m, k, n = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((batch, m, k)).astype(np.float32)
    b = rng.standard_normal((batch, k, n)).astype(np.float32)
    out_plain = np.empty((batch, m, n), dtype=np.float32)
    out_fused = np.empty((batch, m, n), dtype=np.float32)
    figures: dict[str, Any] = {}
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    threads = torch.get_num_threads()

    figures["repops_c_s"], figures["repops_c_fma_s"] = _time(
        [_kernel_call(plain, a, b, out_plain), _kernel_call(fused, a, b, out_fused)], repeats
    )
    torch.set_num_threads(1)
    (figures["torch_one_thread_s"],) = _time([lambda: torch.matmul(ta, tb)], repeats)
    torch.set_num_threads(threads)
    (figures["torch_default_threads_s"],) = _time([lambda: torch.matmul(ta, tb)], repeats)
    exact = np.matmul(a.astype(np.float64), b.astype(np.float64))
    figures["fma_speedup_ratio"] = round(figures["repops_c_s"] / figures["repops_c_fma_s"], 3)
    figures["repops_c_over_torch_one_thread_ratio"] = round(
        figures["repops_c_s"] / figures["torch_one_thread_s"], 3
    )
    figures["repops_c_fma_over_torch_one_thread_ratio"] = round(
        figures["repops_c_fma_s"] / figures["torch_one_thread_s"], 3
    )
    figures["bits_differing_fraction"] = round(
        float(np.mean(out_plain.view(np.uint32) != out_fused.view(np.uint32))), 4
    )
    scale = np.maximum(np.abs(exact), 1e-30)
    figures["repops_c_mean_rel_error"] = float(f"{np.mean(np.abs(out_plain - exact) / scale):.3e}")
    figures["repops_c_fma_mean_rel_error"] = float(f"{np.mean(np.abs(out_fused - exact) / scale):.3e}")
    figures["gflop_per_s_repops_c"] = round(2 * batch * m * k * n / figures["repops_c_s"] / 1e9, 2)
    figures["gflop_per_s_repops_c_fma"] = round(2 * batch * m * k * n / figures["repops_c_fma_s"] / 1e9, 2)
    for key in ("repops_c_s", "repops_c_fma_s", "torch_one_thread_s", "torch_default_threads_s"):
        figures[key] = float(f"{figures[key]:.4g}")
    return figures


def bench(repeats: int, quick: bool) -> dict[str, Any]:
    per_model, profiles = model_shapes()
    counts: Counter[tuple[int, int, int, int]] = Counter()
    for shapes in per_model.values():
        counts.update(shapes)
    cases = [(_name(shape), shape) for shape in sorted(counts)]
    for m, k, n in SQUARE_SHAPES[: 1 if quick else None]:
        cases.append((f"square_{m}x{k}x{n}", (1, m, k, n)))
    with tempfile.TemporaryDirectory() as scratch:
        plain, plain_fmas = _build(cext.SAFE_FLAGS, Path(scratch), "plain")
        fused, fused_fmas = _build(FMA_FLAGS, Path(scratch), "fused")
        if plain_fmas or not fused_fmas:
            raise SystemExit(f"unexpected assembly: shipped build {plain_fmas} FMAs, FMA build {fused_fmas}")
        steps = {} if quick else measured_steps(Path(scratch), STEP_MODEL, repeats)
        shape_figures: dict[str, Any] = {}
        for name, shape in cases:
            figures = measure(shape, plain, fused, repeats)
            shape_figures[name] = figures
            us = {key: figures[key] * 1e6 for key in figures if key.endswith("_s")}
            print(
                f"{name:28s} C {us['repops_c_s']:10.1f} us  C+FMA {us['repops_c_fma_s']:10.1f} us"
                f"  speedup {figures['fma_speedup_ratio']:5.2f}"
                f"  torch 1t {us['torch_one_thread_s']:10.1f} us"
                f"  torch {torch.get_num_threads()}t {us['torch_default_threads_s']:10.1f} us"
                f"  C/torch1t {figures['repops_c_over_torch_one_thread_ratio']:5.2f}"
                f"  differing {figures['bits_differing_fraction']:.3f}",
                flush=True,
            )
    speedups = [f["fma_speedup_ratio"] for f in shape_figures.values()]
    models: dict[str, Any] = {}
    for model, shapes in per_model.items():
        matmul = sum(c * shape_figures[_name(s)]["repops_c_s"] for s, c in shapes.items())
        fused_matmul = sum(c * shape_figures[_name(s)]["repops_c_fma_s"] for s, c in shapes.items())
        models[f"{model}_matmul_calls_per_step"] = sum(shapes.values())
        models[f"{model}_matmul_kernel_s_per_step"] = float(f"{matmul:.4g}")
        models[f"{model}_matmul_fma_kernel_s_per_step"] = float(f"{fused_matmul:.4g}")
        models[f"{model}_matmul_fma_speedup_ratio"] = round(matmul / fused_matmul, 3)
        models.update(step_share(model, profiles[model], matmul / fused_matmul))
    models.update(steps)

    def spread(suffix: str) -> str:
        values = [v for k, v in models.items() if k.endswith(suffix)]
        return f"{min(values):.2f}-{max(values):.2f}"

    measured = models.get(f"{STEP_MODEL}_step_speedup_with_fma_measured_ratio", "not measured (--quick)")
    verdict = (
        f"FMA speeds the C kernel {min(speedups):.2f}-{max(speedups):.2f}x per shape,"
        f" {spread('_matmul_fma_speedup_ratio')}x over each benchmark model's matmuls, which are"
        f" {spread('_matmul_share_of_step_ratio')} of a RepOps step, so a whole step gains"
        f" {spread('_step_speedup_with_fma_ratio')}x (estimated from the shares); measured on whole"
        f" {STEP_MODEL} steps: {measured}x. Not adopted: the shipped kernel keeps"
        " -ffp-contract=off (FMA results differ in the last bits, so every trace root would change)."
        " GPU: not measured (no GPU here)."
    )
    print(verdict)
    return {
        "verdict": verdict,
        "models": models,
        "shapes": shape_figures,
        "vector_floats": plain.vector_length(),
        "shipped_build_fma_instructions": plain_fmas,
        "fma_build_fma_instructions": fused_fmas,
        "fma_flags": " ".join(FMA_FLAGS + cext.TUNE_FLAGS),
        "shipped_flags": " ".join(cext.SAFE_FLAGS + cext.TUNE_FLAGS),
        "fma_speedup_ratio_min": min(speedups),
        "fma_speedup_ratio_max": max(speedups),
        "fma_speedup_ratio_median": statistics.median(speedups),
        "timing": f"fastest of up to {repeats} interleaved samples per kernel (shared machine)",
        "torch_default_threads": torch.get_num_threads(),
        "gpu": "not measured: no GPU lent to this session",
        **environment(),
    }


def _name(shape: tuple[int, int, int, int]) -> str:
    b, m, k, n = shape
    return f"b{b}_m{m}_k{k}_n{n}"


def step_share(model: str, profile: dict[str, float], speedup: float) -> dict[str, Any]:
    """The share of ``model``'s RepOps step spent in matmuls (``profile``: seconds per op kind),
    the whole step's speedup were they ``speedup`` times faster, and the compute-only ratio to
    native torch last recorded by bench/repops_step.py (``repops.models``), if any."""
    share = sum(v for k, v in profile.items() if k.startswith("MATMUL")) / sum(profile.values())
    return {
        f"{model}_repops_step_profiled_s": float(f"{sum(profile.values()):.4g}"),
        f"{model}_matmul_share_of_step_ratio": round(share, 3),
        f"{model}_step_speedup_with_fma_ratio": round(1 / (1 - share + share / speedup), 3),
        f"{model}_step_ratio_recorded": recorded("repops").get("models", {}).get(f"{model}_step_ratio"),
    }


STEP_MODEL = "transformer_10m"
"""The model whose whole training step is timed with each build (its matmuls are most of it)."""
STEP_SAMPLES = 12


def measured_steps(scratch: Path, model: str, rounds: int) -> dict[str, Any]:
    """Whole RepOps steps of ``model`` (default threads) with the shipped kernel and with the
    FMA build, each in its own process, alternated for ``min(rounds, 3)`` rounds; the
    fastest median of each. The products split over threads exactly as shipped."""
    timed: dict[str, list[float]] = {"plain": [], "fused": []}
    for _ in range(min(rounds, 3)):
        for name in timed:
            done = subprocess.run(
                [sys.executable, __file__, "--step-worker", model, str(_target(scratch, name))],
                capture_output=True,
                check=True,
                cwd=REPO,
                timeout=1800,
            )
            timed[name].append(json.loads(done.stdout.decode().strip().splitlines()[-1])["step_s"])
    plain, fused = min(timed["plain"]), min(timed["fused"])
    print(f"{model} whole step: shipped {plain * 1e3:.1f} ms, with FMA {fused * 1e3:.1f} ms", flush=True)
    recorded_ratio = recorded("repops").get("models", {}).get(f"{model}_step_with_commit_ratio")
    return {
        f"{model}_step_s_measured": round(plain, 5),
        f"{model}_step_with_fma_s_measured": round(fused, 5),
        f"{model}_step_speedup_with_fma_measured_ratio": round(plain / fused, 3),
        f"{model}_step_with_commit_ratio_recorded": recorded_ratio,
        f"{model}_step_with_commit_ratio_with_fma_estimate": (
            round(recorded_ratio * fused / plain, 3) if recorded_ratio else None
        ),
    }


def step_worker(model: str, extension: Path) -> None:
    """Run ``model``'s step with the C kernel loaded from ``extension``; print the median."""
    from bench.repops_step import BENCH_SPECS
    from tribunal.datasets import load_dataset
    from tribunal.models import build_step_graph, initial_state
    from tribunal.training import next_state, run_step

    module = _load(extension)
    cext.load = lambda: module  # type: ignore[assignment]  # the plans ask cext for their kernel
    spec = BENCH_SPECS[model]
    dataset = load_dataset(spec.dataset)
    graph = build_step_graph(spec, dataset)
    state = [torch.from_numpy(a) for a in initial_state(spec, dataset)]
    rows = torch.from_numpy(np.array(dataset.rows))
    times = []
    for step in range(3 + STEP_SAMPLES):
        began = time.perf_counter()
        outputs = run_step(graph, state, rows, step)
        if step >= 3:
            times.append(time.perf_counter() - began)
        state = next_state(graph, outputs)
    print(json.dumps({"step_s": statistics.median(times)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="skip the 1024^3 product")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--step-worker", nargs=2, metavar=("MODEL", "EXTENSION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step_worker:
        step_worker(args.step_worker[0], Path(args.step_worker[1]))
        return
    figures = bench(args.repeats, args.quick)
    print(json.dumps({k: v for k, v in figures.items() if k != "shapes"}, indent=1))
    if not args.no_write:
        merge_into("repops", "fma", figures)
        print(f"merged into {RESULTS} under repops.fma")


if __name__ == "__main__":
    main()
