"""The task spec: what to train, on what, for how long — and its canonical bytes and hash.

A spec is everything an operator needs to reproduce a training run bit for bit. Its
canonical JSON (sorted keys, no whitespace, floats written as Python's shortest
round-trip repr of their float32 value) is what the artifact store holds and what
``spec_hash`` (keccak256) commits to.
Hyperparameters are float32 values: inputs are rounded to the nearest float32 when the
spec is built, so ``0.05`` is stored as ``0.05000000074505806`` and every machine reads
the same bits.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Final, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.functional_validators import AfterValidator

from tribunal.merkle import keccak256

SPEC_VERSION: Final = 1
MAX_SEED = 2**64 - 1
MAX_STEPS = 10**9
MAX_BATCH = 65_536


def to_float32(value: float) -> float:
    """The nearest float32 to ``value``, as a Python float (exact)."""
    rounded = float(np.float32(value))
    if not math.isfinite(rounded):
        raise ValueError(f"{value!r} is not a finite float32")
    return rounded


Float32 = Annotated[float, AfterValidator(to_float32)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class MlpConfig(_Frozen):
    """Dense layers with ReLU between them; input and output sizes come from the dataset."""

    kind: Literal["mlp"] = "mlp"
    hidden: tuple[int, ...] = (64,)

    @field_validator("hidden")
    @classmethod
    def _hidden_sizes(cls, hidden: tuple[int, ...]) -> tuple[int, ...]:
        if not 1 <= len(hidden) <= 8:
            raise ValueError(f"hidden must list 1..8 layer widths, got {len(hidden)}")
        for width in hidden:
            if not 1 <= width <= 4096:
                raise ValueError(f"each hidden width must be 1..4096, got {width}")
        return hidden


class CnnConfig(_Frozen):
    """One valid (no padding, stride 1) convolution as im2col + matmul, ReLU, then dense layers.

    ``image`` is (channels, height, width) of a dataset row's features, read row-major.
    """

    kind: Literal["cnn"] = "cnn"
    image: tuple[int, int, int] = (1, 8, 8)
    channels: int = 8
    kernel: int = 3
    hidden: int = 32

    @model_validator(mode="after")
    def _fits(self) -> CnnConfig:
        c, h, w = self.image
        if min(c, h, w) < 1:
            raise ValueError(f"image must be (channels, height, width) >= 1, got {self.image}")
        if not 1 <= self.kernel <= min(h, w):
            raise ValueError(f"kernel must be 1..{min(h, w)} for a {h}x{w} image, got {self.kernel}")
        if not 1 <= self.channels <= 256:
            raise ValueError(f"channels must be 1..256, got {self.channels}")
        if not 1 <= self.hidden <= 4096:
            raise ValueError(f"hidden must be 1..4096, got {self.hidden}")
        return self


class TransformerConfig(_Frozen):
    """A decoder-only transformer over token ids (pre-norm blocks, learned positions)."""

    kind: Literal["transformer"] = "transformer"
    vocab: int = 16
    context: int = 8
    d_model: int = 32
    heads: int = 2
    d_ff: int = 64
    layers: int = 1

    @model_validator(mode="after")
    def _dims(self) -> TransformerConfig:
        if not 2 <= self.vocab <= 4096:
            raise ValueError(f"vocab must be 2..4096, got {self.vocab}")
        if not 1 <= self.context <= 512:
            raise ValueError(f"context must be 1..512, got {self.context}")
        if self.heads not in (1, 2):
            raise ValueError(f"heads must be 1 or 2, got {self.heads}")
        if self.d_model < 1 or self.d_model % self.heads:
            raise ValueError(f"d_model must be a positive multiple of heads, got {self.d_model}")
        if not 1 <= self.d_ff <= 8192:
            raise ValueError(f"d_ff must be 1..8192, got {self.d_ff}")
        if not 1 <= self.layers <= 4:
            raise ValueError(f"layers must be 1..4, got {self.layers}")
        return self


ModelConfig = Annotated[MlpConfig | CnnConfig | TransformerConfig, Field(discriminator="kind")]


class Sgd(_Frozen):
    kind: Literal["sgd"] = "sgd"
    lr: Float32 = 0.1


class Momentum(_Frozen):
    """Heavy-ball momentum: v ← μ·v + g; w ← w − lr·v."""

    kind: Literal["momentum"] = "momentum"
    lr: Float32 = 0.05
    momentum: Float32 = 0.9


class Adam(_Frozen):
    """Adam with bias correction; β^t is carried as state so every step runs the same graph."""

    kind: Literal["adam"] = "adam"
    lr: Float32 = 0.001
    beta1: Float32 = 0.9
    beta2: Float32 = 0.999
    eps: Float32 = 1e-8

    @model_validator(mode="after")
    def _betas(self) -> Adam:
        for name in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.eps <= 0.0:
            raise ValueError(f"eps must be > 0, got {self.eps}")
        return self


OptimizerConfig = Annotated[Sgd | Momentum | Adam, Field(discriminator="kind")]


class TaskSpec(_Frozen):
    """One training task. ``dataset`` names a dataset of ``tribunal.datasets``."""

    version: Literal[1] = SPEC_VERSION
    model: ModelConfig
    dataset: str
    loss: Literal["mse", "cross_entropy"] = "cross_entropy"
    optimizer: OptimizerConfig = Field(default_factory=Sgd)
    batch_size: int = 32
    seed: int = 0
    steps: int = 100
    checkpoint_every: int = 10

    @model_validator(mode="after")
    def _ranges(self) -> TaskSpec:
        if not self.dataset:
            raise ValueError("dataset must name a dataset (e.g. 'digits')")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}, got {self.batch_size}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be 0..2**64-1, got {self.seed}")
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be 1..{MAX_STEPS}, got {self.steps}")
        if not 1 <= self.checkpoint_every <= self.steps:
            raise ValueError(f"checkpoint_every must be 1..steps ({self.steps}), got {self.checkpoint_every}")
        if self.optimizer.lr <= 0.0:
            raise ValueError(f"optimizer.lr must be > 0, got {self.optimizer.lr}")
        if self.model.kind == "transformer" and self.loss != "cross_entropy":
            raise ValueError("a transformer predicts tokens: use loss 'cross_entropy'")
        return self

    def check_dataset(self, num_rows: int) -> None:
        """Raise ValueError if the batch can't be drawn from a dataset of ``num_rows`` rows."""
        if not 1 <= self.batch_size <= num_rows:
            raise ValueError(
                f"batch_size must be 1..{num_rows} (rows in dataset {self.dataset!r}), "
                f"got {self.batch_size}"
            )


def canonical_json(spec: TaskSpec) -> bytes:
    """The spec's canonical bytes: sorted keys, no whitespace, ASCII, every field present."""
    return json.dumps(
        spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode("ascii")


def spec_hash(spec: TaskSpec) -> bytes:
    """keccak256 of the canonical JSON: the 32-byte spec hash posted on-chain."""
    return keccak256(canonical_json(spec))


def parse_spec(data: bytes | str | dict[str, Any]) -> TaskSpec:
    """A spec from JSON bytes/text or a dict; raises pydantic.ValidationError with the reason."""
    if isinstance(data, dict):
        return TaskSpec.model_validate(data)
    return TaskSpec.model_validate_json(data)
