"""Benchmark: each RepOps op (torch implementation) against torch's native equivalent.

    python bench/repops_ops.py [--repeat N] [--device cpu|cuda] [--threads N] [--only NAME ...]

Prints one line per case and merges the figures into bench/results.json under
`repops` -> `ops` (other keys are kept): `<case>_repops_ms`, `<case>_native_ms`
and `<case>_ratio` (RepOps time / native time, with `goal` 1.3), each as
`{"value": ..., ["goal": ...]}`; `repops` -> `ops_env` records the device and threads.
"""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tribunal.repops import OpSpec, execute, ops  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
GOAL_RATIO = 1.3

Case = tuple[Callable[[], object], Callable[[], object]]


def _run(spec: OpSpec, *inputs: torch.Tensor) -> Callable[[], torch.Tensor]:
    return lambda: execute(spec, list(inputs))


def _chain(*steps: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        for step in steps:
            step()

    return run


def cases(device: torch.device) -> dict[str, Case]:
    g = torch.Generator().manual_seed(0)

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=g).to(device)

    result: dict[str, Case] = {}
    for m, k, n in [(64, 128, 64), (256, 256, 256)]:
        a, b = randn(m, k), randn(k, n)
        name = "matmul_256" if m == 256 else f"matmul_{m}x{k}x{n}"
        result[name] = (_run(ops.matmul(), a, b), lambda a=a, b=b: torch.matmul(a, b))
    a, b = randn(256, 256), randn(256, 256)
    result["matmul_at_256"] = (_run(ops.matmul_at(), a, b), lambda: torch.matmul(a.t(), b))
    result["matmul_bt_256"] = (_run(ops.matmul_bt(), a, b), lambda: torch.matmul(a, b.t()))
    q, kk = randn(8, 64, 32), randn(8, 64, 32)
    result["attention_scores_8x64x32"] = (
        _run(ops.matmul_bt(), q, kk),
        lambda: torch.matmul(q, kk.transpose(1, 2)),
    )

    x, bias = randn(256, 256), randn(256)
    result["bias_add_256x256"] = (_run(ops.bias_add(), x, bias), lambda: x + bias)
    result["relu_256x256"] = (_run(ops.relu(), x), lambda: torch.relu(x))
    dy = randn(256, 256)
    result["relu_grad_256x256"] = (
        _run(ops.relu_grad(), x, dy),
        lambda: torch.where(x > 0, dy, torch.zeros_like(dy)),
    )
    result["scale_256x256"] = (_run(ops.scale(0.5), x), lambda: x * 0.5)
    result["sum_rows_256x256"] = (_run(ops.reduce_sum(0, 1), x), lambda: x.sum(0))
    result["sum_cols_256x256"] = (_run(ops.reduce_sum(1, 2), x), lambda: x.sum(1))
    big = randn(65536)
    result["exp_64k"] = (_run(ops.exp(), big), lambda: torch.exp(big))
    result["log_64k"] = (_run(ops.log(), big.abs()), lambda: torch.log(big.abs()))

    logits, labels = randn(256, 64), torch.randint(0, 64, (256,), generator=g).to(device)
    flabels = labels.float()

    def softmax() -> torch.Tensor:
        m = execute(ops.reduce_max(1, 2), [logits])
        z = execute(ops.row_sub(), [logits, m])
        e = execute(ops.exp(), [z])
        s = execute(ops.reduce_sum(1, 2), [e])
        return execute(ops.row_div(), [e, s])

    result["softmax_256x64"] = (softmax, lambda: torch.softmax(logits, -1))

    def cross_entropy() -> None:
        m = execute(ops.reduce_max(1, 2), [logits])
        z = execute(ops.row_sub(), [logits, m])
        e = execute(ops.exp(), [z])
        s = execute(ops.reduce_sum(1, 2), [e])
        nll = execute(ops.sub(), [execute(ops.log(), [s]), execute(ops.pick(), [z, flabels])])
        execute(ops.reduce_mean(0, 1), [nll])
        execute(ops.xent_grad(), [e, s, flabels])

    def cross_entropy_native() -> None:
        lg = logits.detach().requires_grad_(True)
        F.cross_entropy(lg, labels).backward()

    result["cross_entropy_fwd_bwd_256x64"] = (cross_entropy, cross_entropy_native)

    h, gain, beta = randn(256, 256), randn(256), randn(256)

    def layer_norm() -> None:
        mean = execute(ops.reduce_mean(1, 2), [h])
        rstd = execute(ops.ln_rstd(1e-5), [h, mean])
        execute(ops.ln_apply(), [h, mean, rstd, gain, beta])

    result["layer_norm_256x256"] = (
        layer_norm,
        lambda: F.layer_norm(h, (256,), gain, beta, 1e-5),
    )
    pred, target = randn(256, 16), randn(256, 16)
    result["mse_loss_256x16"] = (_run(ops.mse_loss(), pred, target), lambda: F.mse_loss(pred, target))

    w, grad = randn(65536), randn(65536)
    m1, v1 = torch.zeros_like(w), torch.zeros_like(w)
    p1, p2 = torch.tensor(0.9, device=device), torch.tensor(0.999, device=device)

    def adam() -> None:
        m = execute(ops.adam_m(0.9), [m1, grad])
        v = execute(ops.adam_v(0.999), [v1, grad])
        execute(ops.adam_update(1e-3, 1e-8), [w, m, v, p1, p2])

    def adam_native() -> None:
        m = m1 * 0.9 + grad * 0.1
        v = v1 * 0.999 + grad * grad * 0.001
        w - (m / 0.1) / ((v / 0.001).sqrt() + 1e-8) * 1e-3

    result["adam_64k"] = (adam, adam_native)

    table, tokens = randn(256, 64), torch.randint(0, 256, (8, 64), generator=g).to(device)
    ftokens = tokens.float()
    result["embedding_512x64"] = (
        _run(ops.embedding(), ftokens, table),
        lambda: F.embedding(tokens, table),
    )
    dout = randn(8, 64, 64)
    result["embedding_grad_512x64"] = (
        _run(ops.embedding_grad(256), ftokens, dout),
        lambda: torch.zeros(256, 64, device=device).index_add_(0, tokens.reshape(-1), dout.reshape(-1, 64)),
    )
    t = randn(16, 64, 64)
    result["transpose_16x64x64"] = (
        _run(ops.transpose((16, 64, 64), (0, 2, 1)), t),
        lambda: t.transpose(1, 2).contiguous(),
    )
    img = randn(16, 3, 28, 28)
    result["im2col_16x3x28x28_k3"] = (
        _run(ops.im2col(16, 3, 28, 28, 3, 1, 1), img),
        lambda: F.unfold(img, 3, padding=1).transpose(1, 2).contiguous(),
    )
    return result


def _time(fn: Callable[[], object], repeat: int, device: torch.device) -> float:
    """Best wall time of `repeat` runs in milliseconds (robust to a busy machine)."""
    fn()
    samples = []
    for _ in range(repeat):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        samples.append((time.perf_counter() - start) * 1e3)
    return min(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch and numba CPU threads")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.threads:
        import numba

        torch.set_num_threads(args.threads)
        numba.set_num_threads(args.threads)
    figures: dict[str, dict[str, float]] = {}
    print(f"device {device}, torch threads {torch.get_num_threads()}")
    for name, (repops_fn, native_fn) in cases(device).items():
        if args.only and name not in args.only:
            continue
        ours = _time(repops_fn, args.repeat, device)
        native = _time(native_fn, args.repeat, device)
        figures[f"{name}_repops_ms"] = {"value": round(ours, 4)}
        figures[f"{name}_native_ms"] = {"value": round(native, 4)}
        figures[f"{name}_ratio"] = {"value": round(ours / native, 2), "goal": GOAL_RATIO}
        print(f"{name:32s} repops {ours:9.3f} ms  native {native:9.3f} ms  ratio {ours / native:8.2f}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    section = results.setdefault("repops", {})
    previous = section.get("ops", {}) if args.only else {}
    section["ops"] = {**previous, **figures}
    section["ops_env"] = {
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "repeat": args.repeat,
        "timing": "best wall time of `repeat` runs",
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"merged into {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
