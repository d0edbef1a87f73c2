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


def _is_lower_digest(text: str) -> bool:
    return len(text) == 66 and text.startswith("0x") and all(c in "0123456789abcdef" for c in text[2:])


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
        if not 1 <= self.heads <= 64:
            raise ValueError(f"heads must be 1..64, got {self.heads}")
        if not 1 <= self.d_model <= 4096 or self.d_model % self.heads:
            raise ValueError(f"d_model must be a multiple of heads in 1..4096, got {self.d_model}")
        if not 1 <= self.d_ff <= 8192:
            raise ValueError(f"d_ff must be 1..8192, got {self.d_ff}")
        if not 1 <= self.layers <= 24:
            raise ValueError(f"layers must be 1..24, got {self.layers}")
        return self


class EncoderConfig(_Frozen):
    """A BERT-style encoder classifying token sequences: token and learned position embeddings,
    an embedding layer norm, post-norm blocks of bidirectional self-attention and a GELU MLP
    (biases on every projection), mean pooling over the context, then a dense head whose width
    is the dataset's number of classes. ``layer_norm_eps`` is every layer norm's epsilon (BERT's
    1e-12 by default). With ``pad_id`` set, positions holding that token id are padding: no
    position attends to them and the mean pools over the others only."""

    kind: Literal["encoder"] = "encoder"
    vocab: int = 64
    context: int = 16
    d_model: int = 32
    heads: int = 4
    d_ff: int = 64
    layers: int = 1
    layer_norm_eps: Float32 = 1e-12
    pad_id: int | None = None

    @model_validator(mode="after")
    def _dims(self) -> EncoderConfig:
        if self.pad_id is not None and not 0 <= self.pad_id < self.vocab:
            raise ValueError(f"pad_id must be a token id 0..{self.vocab - 1}, got {self.pad_id}")
        if not 2 <= self.vocab <= 65_536:
            raise ValueError(f"vocab must be 2..65536, got {self.vocab}")
        if not 1 <= self.context <= 512:
            raise ValueError(f"context must be 1..512, got {self.context}")
        if not 1 <= self.heads <= 64:
            raise ValueError(f"heads must be 1..64, got {self.heads}")
        if not 1 <= self.d_model <= 4096 or self.d_model % self.heads:
            raise ValueError(f"d_model must be a multiple of heads in 1..4096, got {self.d_model}")
        if not 1 <= self.d_ff <= 8192:
            raise ValueError(f"d_ff must be 1..8192, got {self.d_ff}")
        if not 1 <= self.layers <= 24:
            raise ValueError(f"layers must be 1..24, got {self.layers}")
        if self.layer_norm_eps <= 0.0:
            raise ValueError(f"layer_norm_eps must be > 0, got {self.layer_norm_eps}")
        return self


ModelConfig = Annotated[
    MlpConfig | CnnConfig | TransformerConfig | EncoderConfig, Field(discriminator="kind")
]


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


PARAM_NAME_PREFIX: Final = "param."
"""Parameter slots are named ``param.…`` (``tribunal.graph.PARAM_PREFIX``)."""


OPTIONAL_FIELDS: Final = ("init", "trainable", "outer")
"""Fields that ``canonical_json`` leaves out while they hold their default (None), so a spec
written before they existed keeps its bytes and its hash."""


class OuterStep(_Frozen):
    """A DiLoCo outer step (``tribunal.diloco.outer_step``): the fixed-order average of ``shards``
    shards' parameter deltas, then outer momentum ``momentum`` (Nesterov with ``nesterov``) and
    learning rate ``lr``. A spec with ``outer`` set runs that one step instead of a training step
    of its model; its ``init`` holds every slot (global parameters, outer momentum, the shards'
    trainable parameters)."""

    shards: int
    lr: Float32
    momentum: Float32
    nesterov: bool

    @model_validator(mode="after")
    def _ranges(self) -> OuterStep:
        if self.shards < 1:
            raise ValueError(f"outer.shards must be >= 1, got {self.shards}")
        if self.lr <= 0.0:
            raise ValueError(f"outer.lr must be > 0, got {self.lr}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"outer.momentum must be in [0, 1), got {self.momentum}")
        return self


def _init_digest(value: str | None) -> str | None:
    if value is None:
        return None
    if not _is_lower_digest(value):
        raise ValueError(
            "init must be the 0x keccak256 hash (64 lowercase hex digits) of a safetensors file in the "
            f"artifact store, got {value!r}"
        )
    return value


def covers(prefix: str, name: str) -> bool:
    """Whether ``trainable`` entry ``prefix`` covers parameter slot ``name``: the name itself, or a
    dotted prefix of it (``param.dense1`` covers ``param.dense1.weight``, not ``param.dense10.bias``)."""
    return name == prefix or name.startswith(prefix + ".")


def _trainable_prefixes(value: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not value:
        raise ValueError(
            "trainable must name at least one parameter prefix; leave it out to train every parameter"
        )
    for prefix in value:
        if not prefix.startswith(PARAM_NAME_PREFIX) or prefix.endswith(".") or ".." in prefix:
            raise ValueError(
                f"each trainable entry is a parameter name or a dotted prefix of one, such as "
                f"'param.dense1' or 'param.dense1.weight'; got {prefix!r}"
            )
    return tuple(sorted(set(value)))


class TaskSpec(_Frozen):
    """One training task. ``dataset`` names a dataset of ``tribunal.datasets``.

    ``init``, when set, is the ``0x`` keccak256 hash of a safetensors file in the artifact store
    holding initial values for some or all parameters (by slot name); the others keep their
    seeded values. ``trainable``, when set, lists the parameters that train, each as a slot name
    or a dotted prefix of slot names (``param.dense1`` covers ``param.dense1.weight`` and
    ``param.dense1.bias``, not ``param.dense10.…``); the others are frozen at their initial values.
    ``outer``, when set, makes the task one DiLoCo outer step of the model (:class:`OuterStep`):
    one step, its whole initial state read from ``init``.
    """

    version: Literal[1] = SPEC_VERSION
    model: ModelConfig
    dataset: str
    loss: Literal["mse", "cross_entropy"] = "cross_entropy"
    optimizer: OptimizerConfig = Field(default_factory=Sgd)
    batch_size: int = 32
    seed: int = 0
    steps: int = 100
    checkpoint_every: int = 10
    init: Annotated[str | None, AfterValidator(_init_digest)] = None
    trainable: Annotated[tuple[str, ...] | None, AfterValidator(_trainable_prefixes)] = None
    outer: OuterStep | None = None

    @model_validator(mode="after")
    def _ranges(self) -> TaskSpec:
        if not self.dataset:
            raise ValueError("dataset must name a dataset (e.g. 'digits', or an uploaded dataset's 0x hash)")
        if self.dataset.startswith(("0x", "0X")) and not _is_lower_digest(self.dataset):
            raise ValueError(f"dataset {self.dataset!r}: an uploaded dataset is named by the 0x and 64 "
                             "lower-case hex digits of its hash (as `tribunal dataset add` prints it)")
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
        if self.model.kind == "encoder" and self.loss != "cross_entropy":
            raise ValueError("an encoder classifies sequences: use loss 'cross_entropy'")
        if self.outer is not None and (self.steps, self.checkpoint_every) != (1, 1):
            raise ValueError(
                f"an outer step is one step: steps and checkpoint_every must be 1, got {self.steps} "
                f"and {self.checkpoint_every}"
            )
        if self.outer is not None and self.init is None:
            raise ValueError(
                "an outer step reads its whole initial state from init: set init to the 0x hash of a "
                "safetensors file holding every slot (tribunal.diloco.job.outer_spec writes it)"
            )
        return self

    def is_trainable(self, name: str) -> bool:
        """Whether parameter slot ``name`` trains (every one does unless ``trainable`` says)."""
        if self.trainable is None:
            return True
        return any(covers(prefix, name) for prefix in self.trainable)

    def check_dataset(self, num_rows: int) -> None:
        """Raise ValueError if the batch can't be drawn from a dataset of ``num_rows`` rows."""
        if not 1 <= self.batch_size <= num_rows:
            raise ValueError(
                f"batch_size must be 1..{num_rows} (rows in dataset {self.dataset!r}), "
                f"got {self.batch_size}"
            )


def canonical_json(spec: TaskSpec) -> bytes:
    """The spec's canonical bytes: sorted keys, no whitespace, ASCII, every field present except
    the optional ones (``OPTIONAL_FIELDS``) while they are None."""
    fields = spec.model_dump(mode="json")
    for name in OPTIONAL_FIELDS:
        if fields[name] is None:
            del fields[name]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def spec_hash(spec: TaskSpec) -> bytes:
    """keccak256 of the canonical JSON: the 32-byte spec hash posted on-chain."""
    return keccak256(canonical_json(spec))


def parse_spec(data: bytes | str | dict[str, Any]) -> TaskSpec:
    """A spec from JSON bytes/text or a dict; raises pydantic.ValidationError with the reason."""
    if isinstance(data, dict):
        return TaskSpec.model_validate(data)
    return TaskSpec.model_validate_json(data)
