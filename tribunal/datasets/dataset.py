"""A dataset as the protocol sees it: float32 rows, features first, targets last.

Each row ``r`` of the training rows (shape ``[N, W]``) is committed as a 1-D tensor
of shape ``[W]`` (:func:`tribunal.commitments.tensor_root`). The *dataset root* is
``keccak256(rowsRoot ‖ shapeWord([N, W]))``, where ``rowsRoot`` is the Merkle root
over the N row roots: the same shape binding as a tensor's, so a contract learns
``N`` and ``W`` from the shape word it is shown, and the row tree's depth from ``N``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

from tribunal.commitments import (
    ELEMENT_SIZE,
    ElementProof,
    TensorCommitment,
    as_float32_array,
    bind_shape,
    pack_leaves,
    verify_element_proof,
)
from tribunal.merkle import MerkleTree, merkle_root_packed, process_proof, tree_depth

TargetKind = Literal["class", "regression", "next_token"]
TARGET_KINDS: tuple[str, ...] = get_args(TargetKind)


def _frozen_rows(rows: NDArray[np.float32], what: str) -> NDArray[np.float32]:
    if not isinstance(rows, np.ndarray) or rows.dtype != np.float32 or rows.ndim != 2:
        raise TypeError(f"{what} must be a 2-D float32 numpy array")
    frozen = np.array(rows, dtype="<f4", order="C", copy=True)
    frozen.setflags(write=False)
    return frozen


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training and test rows; each row is ``num_features`` features then ``num_targets`` targets.

    ``target_kind``: ``"class"`` (one column holding the class id as a float,
    ``num_classes`` classes), ``"regression"`` (real targets, ``num_classes`` None),
    ``"next_token"`` (``num_features`` token ids, then the ``num_targets`` ids that
    follow each of them; ``num_classes`` is the vocabulary size).
    The arrays are read-only copies.
    """

    name: str
    rows: NDArray[np.float32]
    test_rows: NDArray[np.float32]
    num_features: int
    num_targets: int
    target_kind: TargetKind
    num_classes: int | None
    description: str
    preparation: str | None = None
    """How an uploaded dataset was prepared from its file, as canonical JSON (source file hash,
    columns, standardisation, class labels): see `tribunal.datasets.ingest`. None for built-ins."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", _frozen_rows(self.rows, "rows"))
        object.__setattr__(self, "test_rows", _frozen_rows(self.test_rows, "test_rows"))
        if self.target_kind not in TARGET_KINDS:
            raise ValueError(f"target_kind must be one of {TARGET_KINDS}, got {self.target_kind!r}")
        if self.num_features < 1 or self.num_targets < 1:
            raise ValueError("a dataset needs at least one feature and one target column")
        width = self.num_features + self.num_targets
        for what, rows in (("rows", self.rows), ("test_rows", self.test_rows)):
            if rows.shape[1] != width:
                raise ValueError(
                    f"{what} have {rows.shape[1]} columns; expected num_features + num_targets"
                    f" = {width}"
                )
        if self.rows.shape[0] == 0:
            raise ValueError("a dataset needs at least one training row")
        if (self.num_classes is None) != (self.target_kind == "regression"):
            raise ValueError("num_classes is set exactly for 'class' and 'next_token' datasets")
        if self.num_classes is not None:
            self._check_ids()

    def _check_ids(self) -> None:
        assert self.num_classes is not None
        id_columns = slice(self.num_features, None)
        if self.target_kind == "next_token":
            id_columns = slice(0, None)
        for rows in (self.rows, self.test_rows):
            ids = rows[:, id_columns]
            if ids.size and (
                np.any(ids != np.floor(ids)) or ids.min() < 0 or ids.max() >= self.num_classes
            ):
                raise ValueError(f"class/token ids must be integers in 0..{self.num_classes - 1}")

    @property
    def width(self) -> int:
        return self.num_features + self.num_targets

    @property
    def num_rows(self) -> int:
        return int(self.rows.shape[0])

    @property
    def num_test_rows(self) -> int:
        return int(self.test_rows.shape[0])

    @property
    def features(self) -> NDArray[np.float32]:
        return self.rows[:, : self.num_features]

    @property
    def targets(self) -> NDArray[np.float32]:
        return self.rows[:, self.num_features :]

    @property
    def test_features(self) -> NDArray[np.float32]:
        return self.test_rows[:, : self.num_features]

    @property
    def test_targets(self) -> NDArray[np.float32]:
        return self.test_rows[:, self.num_features :]

    @cached_property
    def commitment(self) -> DatasetCommitment:
        """Commitment to the training rows (what the task posts on-chain)."""
        return DatasetCommitment(self.rows)

    @property
    def root(self) -> bytes:
        """Dataset root of the training rows."""
        return self.commitment.root

    @cached_property
    def test_root(self) -> bytes:
        return dataset_root(self.test_rows)


def row_roots(rows: NDArray[np.float32]) -> list[bytes]:
    """Tensor root of each row (shape ``[W]``), in row order."""
    array = as_float32_array(rows)
    if array.ndim != 2:
        raise ValueError(f"rows must be 2-D, got shape {array.shape}")
    width = int(array.shape[1])
    raw = array.tobytes()
    stride = ELEMENT_SIZE * width
    return [
        bind_shape(merkle_root_packed(pack_leaves(raw[start : start + stride])), (width,))
        for start in range(0, len(raw), stride)
    ]


def dataset_root(rows: NDArray[np.float32]) -> bytes:
    """``keccak256(merkleRoot(rowRoots) ‖ shapeWord([N, W]))``."""
    array = as_float32_array(rows)
    return DatasetCommitment(array).root


@dataclass(frozen=True)
class DatasetElementProof:
    """Element ``(row, column)`` of a dataset: its proof in the row, the row's in the dataset.

    A contract checks ``element`` against ``row_root`` (an element proof of a tensor
    of shape ``[W]``), then ``bind_shape(process_proof(row_root, row, row_siblings),
    [N, W]) == datasetRoot`` with ``len(row_siblings) == tree_depth(N)``.
    """

    row: int
    column: int
    num_rows: int
    width: int
    row_root: bytes
    element: ElementProof
    row_siblings: tuple[bytes, ...]

    @property
    def bits(self) -> int:
        return self.element.bits

    @property
    def value(self) -> np.float32:
        return self.element.value


def verify_dataset_element_proof(proof: DatasetElementProof, root: bytes) -> bool:
    """Whether ``proof`` shows its element at ``(row, column)`` under dataset ``root``."""
    if proof.element.element != proof.column or not 0 <= proof.row < proof.num_rows:
        return False
    if not verify_element_proof(proof.element, proof.row_root, shape=(proof.width,)):
        return False
    return verify_row_proof(
        proof.row_root, proof.row, proof.row_siblings, root, proof.num_rows, proof.width
    )


def verify_row_proof(
    row_root: bytes,
    row: int,
    siblings: Sequence[bytes],
    root: bytes,
    num_rows: int,
    width: int,
) -> bool:
    """Whether ``row_root`` is row ``row`` of the ``[num_rows, width]`` dataset ``root``."""
    if len(siblings) != tree_depth(num_rows) or not 0 <= row < num_rows:
        return False
    try:
        return bind_shape(process_proof(row_root, row, siblings), (num_rows, width)) == root
    except ValueError:
        return False


class DatasetCommitment:
    """The row tree of a dataset, built once, answering row and element proofs."""

    __slots__ = ("_rows", "num_rows", "width", "row_roots", "tree", "root")

    def __init__(self, rows: NDArray[np.float32]) -> None:
        array = as_float32_array(rows)
        if array.ndim != 2:
            raise ValueError(f"rows must be 2-D, got shape {array.shape}")
        self._rows = array
        self.num_rows, self.width = (int(d) for d in array.shape)
        self.row_roots: tuple[bytes, ...] = tuple(row_roots(array))
        self.tree = MerkleTree(self.row_roots)
        self.root: bytes = bind_shape(self.tree.root, (self.num_rows, self.width))

    def row_proof(self, row: int) -> list[bytes]:
        """Siblings of row ``row``'s root in the row tree (the shape word comes on top)."""
        return self.tree.proof(row)

    def element_proof(self, row: int, column: int) -> DatasetElementProof:
        if not 0 <= row < self.num_rows:
            raise IndexError(f"row {row} is outside 0..{self.num_rows - 1}")
        if not 0 <= column < self.width:
            raise IndexError(f"column {column} is outside 0..{self.width - 1}")
        row_commitment = TensorCommitment(self._rows[row])
        return DatasetElementProof(
            row=row,
            column=column,
            num_rows=self.num_rows,
            width=self.width,
            row_root=self.row_roots[row],
            element=row_commitment.element_proof(column),
            row_siblings=tuple(self.tree.proof(row)),
        )
