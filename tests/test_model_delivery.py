"""The submitter's client puts a withheld-in-places model together chunk by chunk (issue #19 §2):
every chunk is checked against the committed roots, a chunk spoiled in one store's file is taken from
another's, and what no store has right is named, exactly, for the availability challenge."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.disputes import operator_run
from tests.support.specs import tiny_spec
from tribunal.availability import num_chunks
from tribunal.chain.task_market import Task
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import num_leaves_for, trace_root
from tribunal.model_delivery import assemble_model, model_slots
from tribunal.protocol_enums import TaskStatus
from tribunal.tasks import PreparedTask, prepare_task

CHUNK_LEAVES = 4  # 32 float32 per chunk: the tiny model's weight (64 x 8) has 16 chunks

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def prepared() -> PreparedTask:
    return prepare_task(tiny_spec(seed=5, steps=3), "test://delivery")


@pytest.fixture(scope="module")
def model(prepared: PreparedTask) -> Checkpoint:
    return operator_run(prepared).model


def _task(prepared: PreparedTask, model: Checkpoint) -> Task:
    commitments = list(model.state_commitments)
    return Task(1, "0x" + "11" * 20, 0, prepared.spec.steps, "0x" + "22" * 20, 60, 1, TaskStatus.SUBMITTED,
                0, 0, 0, 10**18, 10**18, prepared.spec_hash, prepared.dataset_root, prepared.init_state_root,
                prepared.graph_root, trace_root(commitments), model.content_hash, commitments[-1])


def _spoil(data: bytes, model: Checkpoint, slot: int, chunk: int) -> bytes:
    """The file with one byte flipped inside chunk ``chunk`` of slot ``slot``'s tensor."""
    offset = len(data) - sum(a.nbytes for a in model.state[slot:]) + chunk * CHUNK_LEAVES * 32 + 3
    spoiled = bytearray(data)
    spoiled[offset] ^= 0x40
    return bytes(spoiled)


def test_a_whole_file_is_the_model(prepared: PreparedTask, model: Checkpoint) -> None:
    assembled = assemble_model(_task(prepared, model), prepared.graph, [None, model.to_bytes()], CHUNK_LEAVES)
    assert assembled.checkpoint is not None and assembled.missing == {}
    assert assembled.checkpoint.content_hash == model.content_hash


def test_spoiled_chunks_are_taken_from_another_store(prepared: PreparedTask, model: Checkpoint) -> None:
    data = model.to_bytes()
    weight = model_slots(prepared.graph)[0]
    first, second = _spoil(data, model, weight, 2), _spoil(data, model, weight, 7)
    assembled = assemble_model(_task(prepared, model), prepared.graph, [first, second], CHUNK_LEAVES)
    assert assembled.checkpoint is not None, assembled.missing
    assert assembled.checkpoint.to_bytes() == data


def test_what_no_store_has_right_is_named_exactly(prepared: PreparedTask, model: Checkpoint) -> None:
    data = model.to_bytes()
    weight = model_slots(prepared.graph)[0]
    spoiled = _spoil(data, model, weight, 5)
    assembled = assemble_model(_task(prepared, model), prepared.graph, [spoiled, None], CHUNK_LEAVES)
    assert assembled.checkpoint is None and assembled.header
    # one source, one spoiled chunk: the tensor's root cannot tell which chunk is wrong, so the
    # client names every chunk of that slot and only that slot
    count = num_chunks(num_leaves_for(int(np.prod(prepared.graph.slots[weight].shape))), CHUNK_LEAVES)
    assert assembled.missing == {weight: list(range(count))}
    others = [j for j in range(len(prepared.graph.slots)) if j != weight]
    assert all(assembled.arrays[j] is not None for j in others)


def test_without_a_committed_header_every_chunk_is_missing(prepared: PreparedTask, model: Checkpoint) -> None:
    task = _task(prepared, model)
    other = operator_run(prepare_task(tiny_spec(seed=6, steps=3), "test://other")).model.to_bytes()
    assembled = assemble_model(task, prepared.graph, [b"not a checkpoint", other, None], CHUNK_LEAVES)
    assert assembled.checkpoint is None and not assembled.header
    assert set(assembled.missing) == set(range(len(prepared.graph.slots)))
