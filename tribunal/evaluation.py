"""Evaluation of a trained model on its dataset's test rows, with RepOps, and the signed report of it.

The final state ``h_S`` is run forward over every test row at once (`evaluation_graph`: one batch,
so the mean loss is one RepOps reduction) and the test loss is that graph's loss node; accuracy
(classification and next-token datasets) is the share of rows (tokens) whose largest logit is the
target's. RepOps fixes the order of every rounding, so anyone who evaluates the same ``h_S`` gets the
same bits on any device: the tolerance (`EVALUATION_TOLERANCE`) is zero, and a verifier whose number
differs at all has found a wrong report, not noise.

Evaluation is not part of the trace: nothing on-chain commits to it and no dispute game can settle
it. An operator publishes an `EvaluationReport`; a verifier that disagrees publishes its own, signed
the same way, beside it, for the submitter to read.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.datasets import Dataset, load_dataset
from tribunal.graph import node_inputs
from tribunal.models import feature_shape, model_dims, state_layout, target_shape
from tribunal.models.builder import ForwardGraph, GraphBuilder
from tribunal.models.layers import columns
from tribunal.models.layout import MODELS
from tribunal.models.losses import loss_nodes
from tribunal.progress import recover_text_signer, sign_text
from tribunal.repops import execute
from tribunal.spec import TaskSpec

EVALUATION_TOLERANCE = 0.0
"""Largest difference in test loss or accuracy two honest evaluations of one state can show: none
(RepOps is bit-exact across devices). Anything else is a disagreement."""


@dataclass(frozen=True)
class Evaluation:
    """A state's score on the test rows."""

    loss: float
    """The mean test loss (cross-entropy or MSE, as the spec trains with)."""
    accuracy: float | None
    """Correct predictions / predictions (rows, or tokens of a next-token dataset); None for regression."""
    rows: int
    """Test rows evaluated."""

    def agrees_with(self, other: Evaluation) -> bool:
        """Whether ``other`` is the same evaluation within `EVALUATION_TOLERANCE`."""
        return (
            self.rows == other.rows
            and _close(self.loss, other.loss)
            and (self.accuracy is None) == (other.accuracy is None)
            and (self.accuracy is None or other.accuracy is None or _close(self.accuracy, other.accuracy))
        )

    def describe(self) -> str:
        accuracy = "" if self.accuracy is None else f", accuracy {self.accuracy:.4f}"
        return f"test loss {self.loss:.6g}{accuracy} on {self.rows} rows"


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= EVALUATION_TOLERANCE


def evaluation_graph(spec: TaskSpec, dataset: Dataset) -> ForwardGraph:
    """The model's forward pass and mean loss over all of ``dataset``'s test rows at once (one batch,
    so the loss is one RepOps reduction); its STATE inputs index the slots `state_layout` lists."""
    rows = int(dataset.test_rows.shape[0])
    if rows == 0:
        raise ValueError(f"dataset {dataset.name!r} has no test rows to evaluate on")
    dims = replace(model_dims(spec, dataset), batch=rows)
    b = GraphBuilder(state_layout(spec, dataset), tuple(dataset.test_rows.shape), spec.seed)
    features = columns(b, b.dataset, 0, dims.num_features, "test.features", feature_shape(dims))
    targets = columns(b, b.dataset, dims.num_features, dims.num_targets, "test.targets", target_shape(dims))
    output, _ = MODELS[spec.model.kind].forward(b, dims, {}, features)
    loss, _ = loss_nodes(b, dims, output, targets)
    return b.forward_only(loss, output)


def evaluate_state(
    spec: TaskSpec,
    state: Sequence[NDArray[np.float32] | torch.Tensor],
    *,
    dataset: Dataset | None = None,
    device: torch.device | None = None,
) -> Evaluation:
    """Test loss and accuracy of ``state`` (every slot of `state_layout`, e.g. a checkpoint's
    state) with RepOps."""
    dataset = dataset or load_dataset(spec.dataset)
    device = device or torch.device("cpu")
    graph = evaluation_graph(spec, dataset)
    rows = torch.from_numpy(np.array(dataset.test_rows, dtype=np.float32)).to(device)
    tensors = [torch.as_tensor(np.asarray(s, dtype=np.float32) if not isinstance(s, torch.Tensor) else s)
               .to(device=device, dtype=torch.float32) for s in state]
    outputs: list[torch.Tensor] = []
    with torch.no_grad():
        for node in graph.nodes:
            outputs.append(execute(node.op, node_inputs(node, outputs, tensors, rows)))
    loss = float(outputs[graph.loss])
    dims = model_dims(spec, dataset)
    if dims.loss == "mse":
        return Evaluation(loss, None, int(rows.shape[0]))
    logits = outputs[graph.output].reshape(-1, dims.num_outputs)
    targets = rows[:, dims.num_features:].reshape(-1).long()
    correct = int((logits.argmax(dim=-1) == targets).sum())
    return Evaluation(loss, correct / int(targets.numel()), int(rows.shape[0]))


@dataclass(frozen=True)
class EvaluationReport:
    """What an operator (or a verifier) signs about a task's model: the state after ``step``."""

    task_id: int
    step: int
    test_loss: float
    test_accuracy: float | None
    test_rows: int
    timestamp: int

    @property
    def evaluation(self) -> Evaluation:
        return Evaluation(self.test_loss, self.test_accuracy, self.test_rows)

    def message(self, chain_id: int, market: str) -> str:
        accuracy = "none" if self.test_accuracy is None else repr(self.test_accuracy)
        return (
            "Tribunal evaluation\n"
            f"chain: {chain_id}\n"
            f"market: {market.lower()}\n"
            f"task: {self.task_id}\n"
            f"step: {self.step}\n"
            f"test loss: {self.test_loss!r}\n"
            f"test accuracy: {accuracy}\n"
            f"test rows: {self.test_rows}\n"
            f"time: {self.timestamp}"
        )

    def sign(self, private_key: str | bytes, chain_id: int, market: str) -> str:
        """The signer's EIP-191 signature as 0x-hex."""
        return sign_text(self.message(chain_id, market), private_key)

    def signer(self, signature: str, chain_id: int, market: str) -> str:
        """The lowercase address that signed this report (`BadSignature` if none)."""
        return recover_text_signer(self.message(chain_id, market), signature)

    def payload(self, signer: str, signature: str) -> dict[str, object]:
        """The JSON body of `POST /api/tasks/{id}/evaluations`."""
        return {
            "signer": signer.lower(),
            "step": self.step,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "test_rows": self.test_rows,
            "timestamp": self.timestamp,
            "signature": signature,
        }

    @classmethod
    def now(cls, task_id: int, step: int, evaluation: Evaluation) -> EvaluationReport:
        return cls(task_id, step, float(evaluation.loss), evaluation.accuracy, evaluation.rows,
                   int(time.time()))
