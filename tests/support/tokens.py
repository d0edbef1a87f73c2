"""A tiny token-classification dataset for encoder tests, kept in the local artifact cache (an
encoder's dataset is always an uploaded one: no built-in dataset holds token sequences)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tribunal.datasets import Dataset
from tribunal.datasets.store import upload_dataset

PAD_ID = 0


def token_classes(*, vocab: int = 50, context: int = 8, rows: int = 64, seed: int = 0,
                  padded: bool = True) -> Dataset:
    """Sequences of ``context`` token ids; class 1 draws its tokens from the lower half of the
    vocabulary (above ``PAD_ID``), class 0 from the upper half, so a mean-pooled embedding tells
    them apart. ``padded``: each sequence keeps 1..context tokens and ``PAD_ID`` fills the rest."""
    rng = np.random.default_rng(seed)

    def draw(count: int) -> NDArray[np.float32]:
        labels = rng.integers(0, 2, count)
        low = np.where(labels[:, None] == 1, 1, vocab // 2)
        ids = low + rng.integers(0, vocab // 2 - 1, (count, context))
        if padded:
            lengths = rng.integers(1, context + 1, count)
            ids[np.arange(context)[None, :] >= lengths[:, None]] = PAD_ID
        return np.concatenate([ids, labels[:, None]], axis=1).astype(np.float32)

    return Dataset(
        name="token_classes", rows=draw(rows), test_rows=draw(rows // 4), num_features=context,
        num_targets=1, target_kind="class", num_classes=2,
        description="token sequences whose class is which half of the vocabulary they use",
    )


def upload_token_classes(*, vocab: int = 50, context: int = 8, rows: int = 64, padded: bool = True) -> str:
    """:func:`token_classes` in this machine's artifact cache; its ``0x`` reference for a spec."""
    return upload_dataset(token_classes(vocab=vocab, context=context, rows=rows, padded=padded), None)
