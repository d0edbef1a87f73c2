#!/usr/bin/env bash
# Every CUDA check of the project in one run (issue 13 §6), for a lent GPU machine:
#   1. the CUDA tests: RepOps ops on CUDA against the CPU bit for bit, and every benchmark model
#      trained a few steps on CUDA and on the CPU to the same h_0..h_S;
#   2. the tensor root of 64 MiB hashed on the GPU (torch keccak) against the host's C trees;
#   3. the step benchmark on CUDA (compute only and with commitments, against native torch on the
#      same GPU), every benchmark model including the 10M-parameter transformer.
# Writes its logs and the results file to $OUT (or bench/out/gpu when unset); never edits
# bench/results.json in place (the figures are merged by hand, naming the card).
#
#   bash bench/gpu_check.sh            # about 5–8 minutes on one H100
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out/gpu}
mkdir -p "$OUT"
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3

{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || echo "nvidia-smi: not found"
  "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
} > "$OUT/device.txt" 2>&1
cat "$OUT/device.txt"

status=0
"$PY" -m pytest -q -p no:cacheprovider tests/repops/test_ops.py tests/training/test_cuda_models.py \
  tests/test_merkle_torch.py -k "cuda" -rs 2>&1 | tee "$OUT/cuda_tests.log" || status=1

# tensor roots hashed on the GPU (tribunal/merkle_torch.py, not wired into training until timed)
"$PY" - <<'PYEOF' 2>&1 | tee "$OUT/gpu_hashing.log" || status=1
import time, torch
from tribunal import merkle_torch
from tribunal.commitments import tensor_root
x = torch.randn(1 << 24)  # 64 MiB of float32
began = time.perf_counter(); cpu_root = tensor_root(x); cpu_s = time.perf_counter() - began
g = x.cuda(); merkle_torch.tensor_root(g); torch.cuda.synchronize()
began = time.perf_counter(); gpu_root = merkle_torch.tensor_root(g); torch.cuda.synchronize()
gpu_s = time.perf_counter() - began
print(f"64 MiB tensor root: native C on the host {cpu_s:.3f} s, torch on the GPU {gpu_s:.3f} s, "
      f"same root {cpu_root == gpu_root}")
PYEOF

# The step benchmark writes into a copy of the results file, so a GPU run never mixes with the
# CPU figures of bench/results.json.
cp bench/results.json "$OUT/results.json"
TRIBUNAL_BENCH_RESULTS="$OUT/results.json" "$PY" bench/repops_step.py --steps 10 \
  2>&1 | tee "$OUT/repops_step.log" || status=1
exit $status
