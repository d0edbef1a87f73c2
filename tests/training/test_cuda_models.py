"""CPU ↔ GPU bit-exactness on every benchmark model (issue 13 §6): a few steps of each model of
``bench/repops_step.py`` trained with commitments on the CPU and on CUDA give the same h_0..h_S.

Skipped where no CUDA device is present (this suite's CI machine has none); `bench/gpu_check.sh`
runs it on a lent GPU together with the GPU benchmarks.
"""

from __future__ import annotations

import pytest
import torch

from bench.repops_step import BENCH_SPECS
from tribunal.training import train

STEPS = 3

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("model", sorted(BENCH_SPECS))
def test_every_benchmark_model_trains_to_the_same_roots_on_cuda(model: str) -> None:
    spec = BENCH_SPECS[model].model_copy(update={"steps": STEPS, "checkpoint_every": STEPS})
    on_cpu = train(spec, device=torch.device("cpu"))
    on_cuda = train(spec, device=torch.device("cuda:0"))
    assert [h.hex() for h in on_cuda.state_commitments] == [h.hex() for h in on_cpu.state_commitments]
    assert on_cuda.model_hash == on_cpu.model_hash
