"""Built-in datasets: deterministic, offline, committed row by row, serialised with checks."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.generate.commitment_vectors import VECTORS_PATH
from tribunal.commitments import tensor_root
from tribunal.datasets import (
    DATASET_NAMES,
    Dataset,
    DatasetCommitment,
    DatasetFormatError,
    batch_row_index,
    batch_row_indices,
    dataset_content_hash,
    dataset_from_bytes,
    dataset_root,
    dataset_to_bytes,
    list_datasets,
    load_dataset,
    verify_dataset_element_proof,
    verify_row_proof,
)
from tribunal.datasets.serialization import MAGIC
from tribunal.merkle import keccak256


def pinned_datasets() -> dict[str, dict[str, object]]:
    vectors = json.loads(VECTORS_PATH.read_text())
    return {entry["name"]: entry for entry in vectors["builtin_datasets"]}


def test_registry_lists_every_dataset() -> None:
    assert list_datasets() == list(DATASET_NAMES)
    assert {"iris", "wine", "breast_cancer", "digits", "regression", "char_copy"} <= set(
        DATASET_NAMES
    )
    with pytest.raises(ValueError, match="choose one of: iris"):
        load_dataset("imagenet")


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_dataset_shape_and_columns(name: str) -> None:
    dataset = load_dataset(name)
    assert dataset.name == name
    assert dataset.rows.dtype == np.float32 and dataset.test_rows.dtype == np.float32
    assert dataset.rows.shape[1] == dataset.test_rows.shape[1] == dataset.width
    assert dataset.width == dataset.num_features + dataset.num_targets
    total = dataset.num_rows + dataset.num_test_rows
    assert dataset.num_test_rows == total // 5
    assert not dataset.rows.flags.writeable
    assert np.all(np.isfinite(dataset.rows)) and np.all(np.isfinite(dataset.test_rows))
    if dataset.target_kind == "class":
        assert dataset.num_targets == 1
        assert dataset.num_classes is not None
        assert set(np.unique(dataset.targets)) == set(range(dataset.num_classes))
    if dataset.target_kind != "next_token":
        assert np.allclose(dataset.features.mean(axis=0, dtype=np.float64), 0.0, atol=1e-5)
        stds = dataset.features.std(axis=0, dtype=np.float64)
        assert np.all(np.isclose(stds, 1.0, atol=1e-5) | (stds == 0.0))


def test_expected_sizes() -> None:
    sizes = {name: (load_dataset(name).num_rows, load_dataset(name).width) for name in DATASET_NAMES}
    assert sizes["iris"] == (120, 5)
    assert sizes["digits"] == (1438, 65)
    assert sizes["char_copy"] == (2048, 32)


def test_char_copy_follows_its_rule() -> None:
    dataset = load_dataset("char_copy")
    inputs, targets = dataset.features, dataset.targets
    assert np.array_equal(inputs[:, 1:], targets[:, :-1])
    sequences = np.concatenate([inputs, targets[:, -1:]], axis=1)
    assert np.all(sequences[:, 8] == 0)
    assert np.array_equal(sequences[:, :8], sequences[:, 9:])
    assert sequences[:, :8].min() >= 1 and sequences[:, :8].max() <= 15


def test_datasets_match_pinned_hashes_in_a_fresh_offline_process() -> None:
    """Another interpreter, with sockets disabled, rebuilds every dataset to the same bytes."""
    script = textwrap.dedent(
        """
        import json, socket

        def refuse(*args, **kwargs):
            raise RuntimeError("network access while loading datasets")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        from tribunal.datasets import DATASET_NAMES, dataset_content_hash, load_dataset
        print(json.dumps({n: dataset_content_hash(load_dataset(n)).hex() for n in DATASET_NAMES}))
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    hashes = json.loads(output.strip().splitlines()[-1])
    pinned = pinned_datasets()
    for name in DATASET_NAMES:
        assert "0x" + hashes[name] == pinned[name]["content_hash"], name
        assert dataset_content_hash(load_dataset(name)).hex() == hashes[name]


@pytest.mark.parametrize("name", ["iris", "tiny_regression", "char_copy"])
def test_dataset_root_commits_to_row_tensor_roots(name: str) -> None:
    dataset = load_dataset(name)
    commitment = DatasetCommitment(dataset.rows)
    assert commitment.row_roots[3] == tensor_root(dataset.rows[3])
    assert commitment.root == dataset.root == dataset_root(dataset.rows)
    assert "0x" + dataset.root.hex() == pinned_datasets()[name]["root"]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_element_proofs_verify_and_tampering_fails(data: st.DataObject) -> None:
    dataset = load_dataset("wine")
    commitment = dataset.commitment
    row = data.draw(st.integers(0, dataset.num_rows - 1))
    column = data.draw(st.integers(0, dataset.width - 1))
    proof = commitment.element_proof(row, column)
    assert proof.value == dataset.rows[row, column]
    assert verify_dataset_element_proof(proof, dataset.root)
    assert verify_row_proof(
        proof.row_root, row, proof.row_siblings, dataset.root, dataset.num_rows, dataset.width
    )
    other_row = (row + 1) % dataset.num_rows
    tampered = [
        dataclasses.replace(proof, row=other_row),
        dataclasses.replace(proof, column=(column + 1) % dataset.width),
        dataclasses.replace(proof, num_rows=dataset.num_rows + 1),
        dataclasses.replace(proof, row_root=commitment.row_roots[other_row]),
        dataclasses.replace(proof, row_siblings=proof.row_siblings[1:]),
    ]
    for bad in tampered:
        assert not verify_dataset_element_proof(bad, dataset.root)
    assert not verify_dataset_element_proof(proof, dataset.test_root)


def test_serialisation_round_trips_with_its_content_hash() -> None:
    for name in ("iris", "char_copy", "diabetes"):
        dataset = load_dataset(name)
        data = dataset_to_bytes(dataset)
        assert data.startswith(MAGIC)
        parsed = dataset_from_bytes(data, expected_hash=keccak256(data))
        assert dataset_to_bytes(parsed) == data
        assert parsed.root == dataset.root
        assert np.array_equal(parsed.rows, dataset.rows)
        assert (parsed.num_classes, parsed.target_kind) == (dataset.num_classes, dataset.target_kind)


def test_parsing_rejects_corrupt_bytes() -> None:
    data = dataset_to_bytes(load_dataset("tiny_regression"))
    flipped = bytearray(data)
    flipped[-3] ^= 0x40
    with pytest.raises(DatasetFormatError, match="test_root"):
        dataset_from_bytes(bytes(flipped))
    with pytest.raises(DatasetFormatError, match="content hash"):
        dataset_from_bytes(data, expected_hash=bytes(32))
    with pytest.raises(DatasetFormatError, match="magic"):
        dataset_from_bytes(b"NOTADATA" + data[8:])
    with pytest.raises(DatasetFormatError, match="past the end"):
        dataset_from_bytes(data[:-4])
    with pytest.raises(DatasetFormatError, match="unexpected bytes"):
        dataset_from_bytes(data + b"\x00")


def test_dataset_validates_its_columns() -> None:
    rows = np.zeros((4, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="num_features"):
        Dataset("bad", rows, rows, 1, 1, "regression", None, "")
    with pytest.raises(ValueError, match="ids"):
        Dataset("bad", rows + 0.5, rows, 2, 1, "class", 2, "")
    with pytest.raises(TypeError, match="float32"):
        Dataset("bad", rows.astype(np.float64), rows, 2, 1, "regression", None, "")


def test_batch_row_index_is_the_abi_encoded_keccak() -> None:
    seed, step, row, num_rows = 7, 11, 3, 1000
    digest = keccak256(b"".join(v.to_bytes(32, "big") for v in (seed, step, row)))
    assert batch_row_index(seed, step, row, num_rows) == int.from_bytes(digest, "big") % num_rows
    assert batch_row_indices(seed, step, 5, num_rows)[row] == batch_row_index(
        seed, step, row, num_rows
    )


def test_batch_vectors_match() -> None:
    for case in json.loads(VECTORS_PATH.read_text())["batch_indices"]:
        args = (int(case[key]) for key in ("seed", "step", "row", "num_rows"))
        assert str(batch_row_index(*args)) == case["index"]


@given(
    st.integers(0, 2**256 - 1), st.integers(0, 2**64), st.integers(1, 64), st.integers(1, 10**9)
)
def test_batch_indices_are_in_range(seed: int, step: int, batch: int, num_rows: int) -> None:
    indices = batch_row_indices(seed, step, batch, num_rows)
    assert len(indices) == batch
    assert all(0 <= i < num_rows for i in indices)


def test_batch_indices_are_roughly_uniform() -> None:
    num_rows, draws = 16, 16 * 400
    counts = np.bincount(
        [i for step in range(100) for i in batch_row_indices(1234, step, 64, num_rows)],
        minlength=num_rows,
    )
    assert counts.sum() == draws
    expected = draws / num_rows
    chi_square = float(((counts - expected) ** 2 / expected).sum())
    assert chi_square < 50.0  # 15 degrees of freedom: p < 1e-5 beyond 45


def test_batch_row_index_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="num_rows"):
        batch_row_index(0, 0, 0, 0)
    with pytest.raises(ValueError, match="uint256"):
        batch_row_index(-1, 0, 0, 10)
    with pytest.raises(ValueError, match="uint256"):
        batch_row_index(2**256, 0, 0, 10)
