"""Two processes with different thread counts produce the same trace roots, bit for bit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.specs import SPECS
from tribunal.spec import canonical_json
from tribunal.training import train

REPO = Path(__file__).resolve().parents[2]
KINDS = ("mlp", "cnn", "transformer")
SCRIPT = """
import json, sys
import torch
torch.set_num_threads(int(sys.argv[1]))
from tribunal.spec import parse_spec
from tribunal.training import train
roots = {}
for kind, spec in json.loads(sys.stdin.read()).items():
    result = train(parse_spec(spec))
    roots[kind] = [result.trace_root.hex(), result.model_hash.hex()]
print(json.dumps({"roots": roots, "threads": torch.get_num_threads()}))
"""


def _train_in_subprocess(specs: dict[str, str], threads: int) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "MKL_", "NUMBA_"))}
    env.update(PYTHONHASHSEED=str(threads * 7919), NUMBA_NUM_THREADS=str(threads))
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(threads)],
        input=json.dumps(specs).encode(),
        capture_output=True,
        cwd=REPO,
        env=env,
        check=True,
        timeout=600,
    )
    result: dict[str, object] = json.loads(completed.stdout.decode().strip().splitlines()[-1])
    return result


def test_trace_roots_are_identical_across_processes_and_thread_counts() -> None:
    specs = {kind: SPECS[kind](steps=3, checkpoint_every=3) for kind in KINDS}
    encoded = {kind: canonical_json(spec).decode() for kind, spec in specs.items()}
    one = _train_in_subprocess(encoded, threads=1)
    two = _train_in_subprocess(encoded, threads=2)
    assert (one["threads"], two["threads"]) == (1, 2)
    here = {
        kind: [r.trace_root.hex(), r.model_hash.hex()]
        for kind, r in ((kind, train(spec)) for kind, spec in specs.items())
    }
    assert one["roots"] == two["roots"] == here
