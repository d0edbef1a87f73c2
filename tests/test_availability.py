"""`tribunal.availability`: chunks of a tensor against its data tree, the challenger's slot proof and
chunk masks, the operator's delivery checked as the contract checks it, rebuilding tensors and
states from several disagreeing sources, and the shared vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from numpy.typing import NDArray

from tests.support.disputes import OperatorRun, operator_run
from tests.support.specs import regression_spec, tiny_spec
from tools.generate.availability_vectors import VECTORS_PATH, render_vectors
from tribunal.availability import (
    MASK_BITS,
    ChunkedTensor,
    ChunkTree,
    SlotProof,
    build_delivery,
    challenge_targets,
    check_chunk_leaves,
    chunk_bytes,
    chunk_height,
    chunk_mask,
    chunk_proof,
    chunk_root,
    chunk_roots,
    consumer_of,
    expected_slot_roots,
    named_chunks,
    num_chunks,
    producer_of,
    rebuild_state,
    rebuild_tensor,
    slot_proof,
    slot_proof_producer,
    state_ref,
    state_sources,
    tensor_chunks,
    verify_chunk,
)
from tribunal.commitments import (
    bind_shape,
    num_leaves_for,
    pack_leaves,
    shape_word,
    tensor_bytes,
    tensor_data_root,
    tensor_root,
    verify_state_proof,
    verify_trace_proof,
)
from tribunal.graph import REF_KIND_SHIFT, RefKind, graph_root
from tribunal.merkle import ZERO_LEAF, keccak256, merkle_root, process_proof, tree_depth, verify_proof
from tribunal.models import initial_state
from tribunal.tasks import PreparedTask, prepare_task

NUMELS = (1, 7, 8, 9, 64 * 8 - 1, 64 * 8, 64 * 8 + 1, 1000, 5000)
CHUNK_LEAVES = (1, 2, 64, 4096)
SLOT_PROOF_TYPE = "(uint256,bytes32,bytes32,bytes32[],bytes32,uint256,uint256,bytes,bytes32[])"


def _values(numel: int, seed: int = 0) -> NDArray[np.float32]:
    return np.random.default_rng(seed).standard_normal(numel).astype(np.float32)


def _naive_chunk_root(packed: bytes, chunk: int, chunk_leaves: int, height: int) -> bytes:
    """The spec's rule written out: the chunk's leaves, zero leaves up to 2**height, one tree."""
    leaves = [packed[i : i + 32] for i in range(0, len(packed), 32)][chunk * chunk_leaves :][:chunk_leaves]
    return merkle_root(leaves + [ZERO_LEAF] * ((1 << height) - len(leaves)))


# --- layout -----------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_leaves", CHUNK_LEAVES)
@pytest.mark.parametrize("numel", NUMELS)
def test_chunks_are_the_data_tree_cut_at_the_chunk_height(numel: int, chunk_leaves: int) -> None:
    values = _values(numel)
    packed = pack_leaves(tensor_bytes(values))
    num_leaves = num_leaves_for(numel)
    count, height = num_chunks(num_leaves, chunk_leaves), chunk_height(num_leaves, chunk_leaves)
    assert count == -(-num_leaves // chunk_leaves)
    assert height == min(chunk_leaves.bit_length() - 1, tree_depth(num_leaves))
    tensor = ChunkedTensor(packed, chunk_leaves)
    data_root = tensor_data_root(values)
    assert tensor.data_root == data_root and tensor.num_chunks == count
    roots = chunk_roots(packed, chunk_leaves)
    assert roots == tensor.roots() and len(roots) == count
    assert ChunkTree(roots, num_leaves, chunk_leaves).root == data_root
    assert b"".join(tensor.chunks().values()) == packed
    assert b"".join(tensor_chunks(values, chunk_leaves).values()) == packed
    upper = ChunkTree(roots, num_leaves, chunk_leaves)
    for chunk in range(count):
        data, proof = tensor.data(chunk), tensor.proof(chunk)
        assert len(data) == 32 * min(chunk_leaves, num_leaves - chunk * chunk_leaves)
        assert chunk_root(data, height) == roots[chunk]
        assert roots[chunk] == _naive_chunk_root(packed, chunk, chunk_leaves, height)
        assert len(proof) == tree_depth(num_leaves) - height
        assert process_proof(roots[chunk], chunk, proof) == data_root
        assert upper.proof(chunk) == proof
        assert verify_chunk(data, chunk, num_leaves, chunk_leaves, data_root, proof)
    if count == 1:
        assert roots == [data_root] and tensor.proof(0) == []
    last = count - 1
    assert chunk_bytes(packed, last, chunk_leaves) == tensor.data(last)
    assert chunk_proof(packed, last, chunk_leaves) == tensor.proof(last)


@pytest.mark.parametrize(("numel", "chunk_leaves"), [(9, 1), (1000, 2), (5000, 64), (64 * 8 + 1, 64)])
def test_a_chunk_verifies_only_as_it_was_cut(numel: int, chunk_leaves: int) -> None:
    values = _values(numel, seed=1)
    tensor = ChunkedTensor.from_tensor(values, chunk_leaves)
    num_leaves, root = tensor.num_leaves, tensor.data_root
    for chunk in (0, tensor.num_chunks - 1):
        data, proof = tensor.data(chunk), tensor.proof(chunk)
        assert verify_chunk(data, chunk, num_leaves, chunk_leaves, root, proof)
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 1
        assert not verify_chunk(bytes(flipped), chunk, num_leaves, chunk_leaves, root, proof)
        other = chunk ^ 1
        assert not verify_chunk(data, other, num_leaves, chunk_leaves, root, proof)
        assert not verify_chunk(data, chunk + tensor.num_chunks, num_leaves, chunk_leaves, root, proof)
        assert not verify_chunk(data, -1, num_leaves, chunk_leaves, root, proof)
        assert not verify_chunk(data[:-32], chunk, num_leaves, chunk_leaves, root, proof)
        assert not verify_chunk(data + ZERO_LEAF, chunk, num_leaves, chunk_leaves, root, proof)
        assert not verify_chunk(data[:-1], chunk, num_leaves, chunk_leaves, root, proof)
        assert not verify_chunk(data, chunk, num_leaves, chunk_leaves, root, proof[:-1])
        assert not verify_chunk(data, chunk, num_leaves, chunk_leaves, root, [*proof, ZERO_LEAF])
        assert not verify_chunk(data, chunk, num_leaves, chunk_leaves, keccak256(root), proof)
        # another leaf count of another depth asks for another proof length
        assert not verify_chunk(data, chunk, 2 * num_leaves + 1, chunk_leaves, root, proof)


def test_a_padded_last_chunk_is_not_the_root_of_its_own_leaves() -> None:
    """Chunk 1 of 65 leaves at C = 64 is one real leaf under 63 zero leaves, not the leaf itself."""
    tensor = ChunkedTensor.from_tensor(_values(65 * 8), 64)
    assert tensor.num_chunks == 2 and tensor.height == 6
    last = tensor.data(1)
    assert len(last) == 32 and tensor.root(1) != last and tensor.root(1) == chunk_root(last, 6)
    assert process_proof(last, 1, tensor.proof(1)) != tensor.data_root
    assert process_proof(tensor.root(1), 1, tensor.proof(1)) == tensor.data_root


@pytest.mark.parametrize("chunk_leaves", [0, -4, 3, 6, 8192, 4097])
def test_chunk_leaves_must_be_a_power_of_two_up_to_4096(chunk_leaves: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        check_chunk_leaves(chunk_leaves)
    with pytest.raises(ValueError, match="power of two"):
        num_chunks(10, chunk_leaves)
    with pytest.raises(ValueError, match="power of two"):
        ChunkedTensor(bytes(64), chunk_leaves)


def test_bad_chunk_requests_are_refused() -> None:
    packed = pack_leaves(tensor_bytes(_values(100)))
    with pytest.raises(ValueError, match="outside"):
        chunk_bytes(packed, 13, 1)
    with pytest.raises(ValueError, match="outside"):
        ChunkedTensor(packed, 4).proof(4)
    with pytest.raises(ValueError, match="multiple of 32"):
        chunk_bytes(packed[:-1], 0, 1)
    with pytest.raises(ValueError, match="holds 1..4 leaves"):
        chunk_root(bytes(32 * 5), 2)
    with pytest.raises(ValueError, match="holds 1..4 leaves"):
        chunk_root(b"", 2)
    assert num_chunks(0, 64) == 0


# --- chunk masks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "pairs"),
    [
        ([], []),
        ([0], [(0, 1)]),
        ([3, 1, 2, 2], [(1, 0b111)]),
        ([0, 255], [(0, 1 | 1 << 255)]),
        ([0, 256], [(0, 1), (256, 1)]),
        ([10, 265, 266], [(10, 1 | 1 << 255), (266, 1)]),
        (list(range(600)), [(0, (1 << 256) - 1), (256, (1 << 256) - 1), (512, (1 << 88) - 1)]),
    ],
)
def test_chunk_mask_splits_into_the_fewest_256_wide_pairs(
    chunks: list[int], pairs: list[tuple[int, int]]
) -> None:
    assert chunk_mask(chunks) == pairs
    assert sorted({c for first, mask in pairs for c in named_chunks(first, mask)}) == sorted(set(chunks))


def test_chunk_mask_covers_any_set_exactly() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        chunks = {int(c) for c in rng.integers(0, 3000, size=int(rng.integers(1, 200)))}
        pairs = chunk_mask(chunks)
        named = [c for first, mask in pairs for c in named_chunks(first, mask)]
        assert sorted(named) == sorted(chunks) and len(named) == len(chunks)
        assert all(first in chunks and mask & 1 and 0 < mask < 1 << MASK_BITS for first, mask in pairs)
        firsts = [first for first, _ in pairs]
        assert all(b - a >= MASK_BITS for a, b in zip(firsts, firsts[1:], strict=False))
    targets = challenge_targets(4, 2, [0, 300])
    assert [(t.step, t.slot, t.first_chunk, t.mask, t.chunks) for t in targets] == [
        (4, 2, 0, 1, [0]),
        (4, 2, 300, 1, [300]),
    ]
    with pytest.raises(ValueError, match="non-negative"):
        chunk_mask([-1, 3])


# --- slot proofs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> PreparedTask:
    return prepare_task(tiny_spec(seed=3, steps=4, batch_size=4), "artifact://spec")


@pytest.fixture(scope="module")
def regression() -> PreparedTask:
    return prepare_task(regression_spec(), "artifact://spec")


@pytest.fixture(scope="module")
def tiny_run(tiny: PreparedTask) -> OperatorRun:
    return operator_run(tiny)


def _check_slot_proof(prepared: PreparedTask, proof: SlotProof) -> int:
    """The contract's checks, written out with tribunal.merkle and eth_abi: the producer."""
    graph, slot = prepared.graph, proof.slot
    assert proof.shape_word == shape_word(graph.slots[slot].shape)
    init_leaf = keccak256(proof.init_data_root + proof.shape_word)
    assert len(proof.init_proof) == tree_depth(len(graph.slots))
    assert process_proof(init_leaf, slot, proof.init_proof) == prepared.init_state_root
    counts = [proof.nodes_root, proof.num_nodes, proof.num_slots]
    header = abi_encode(["bytes32", "uint256", "uint256"], counts)
    assert keccak256(header) == graph_root(graph) == prepared.graph_root
    descriptor_type = ["uint256", "uint8", "uint256[]", "uint256[]", "uint256[]"]
    index, _, _, refs, _ = abi_decode(descriptor_type, proof.consumer)
    assert len(proof.consumer_proof) == tree_depth(proof.num_nodes)
    assert process_proof(keccak256(proof.consumer), index, proof.consumer_proof) == proof.nodes_root
    named = [ref for ref in refs if ref >> REF_KIND_SHIFT == RefKind.STATE and ref & ((1 << 64) - 1) == slot]
    assert named, "the consumer reads the slot"
    producer = (named[0] & ((1 << 248) - 1)) >> 64
    assert named[0] == state_ref(producer, slot)
    return int(producer)


@pytest.mark.parametrize("which", ["tiny", "regression"])
def test_slot_proofs_prove_every_slots_shape_and_producer(which: str, request: pytest.FixtureRequest) -> None:
    prepared: PreparedTask = request.getfixturevalue(which)
    graph = prepared.graph
    state = initial_state(prepared.spec, prepared.dataset)
    for slot, spec_slot in enumerate(graph.slots):
        proof = slot_proof(graph, state, slot)
        assert proof.init_data_root == tensor_data_root(state[slot])
        assert _check_slot_proof(prepared, proof) == spec_slot.producer == producer_of(graph, slot)
        assert slot_proof_producer(proof, prepared.init_state_root, prepared.graph_root) == spec_slot.producer
        consumer = consumer_of(graph, slot)
        assert all(
            all(ref.kind is not RefKind.STATE or ref.index != slot for ref in node.inputs)
            for node in graph.nodes[:consumer]
        )
        fields = proof.as_abi_tuple()
        assert fields[0] == slot and fields[7] == proof.consumer and len(fields) == 9
        abi_encode([SLOT_PROOF_TYPE], [fields])


def test_a_tampered_slot_proof_establishes_nothing(tiny: PreparedTask) -> None:
    state = initial_state(tiny.spec, tiny.dataset)
    proof = slot_proof(tiny.graph, state, 1)
    roots = (tiny.init_state_root, tiny.graph_root)
    other = slot_proof(tiny.graph, state, 2)
    tampered = [
        SlotProof(**{**proof.__dict__, "shape_word": shape_word((9,))}),
        SlotProof(**{**proof.__dict__, "slot": 2}),
        SlotProof(**{**proof.__dict__, "num_nodes": proof.num_nodes + 1}),
        SlotProof(**{**proof.__dict__, "consumer": other.consumer, "consumer_proof": other.consumer_proof})
        if other.consumer != proof.consumer
        else SlotProof(**{**proof.__dict__, "consumer": proof.consumer + ZERO_LEAF}),
        SlotProof(**{**proof.__dict__, "consumer_proof": proof.consumer_proof[:-1]}),
        SlotProof(**{**proof.__dict__, "consumer": b"\x01"}),
    ]
    assert slot_proof_producer(proof, *roots) == tiny.graph.slots[1].producer
    for bad in tampered:
        assert slot_proof_producer(bad, *roots) is None
    with pytest.raises(ValueError, match="outside"):
        slot_proof(tiny.graph, state, len(tiny.graph.slots))
    with pytest.raises(ValueError, match="initial state has"):
        slot_proof(tiny.graph, state[:-1], 0)


# --- deliveries -------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_leaves", [1, 4, 64])
def test_a_delivery_verifies_as_the_contract_checks_it(
    tiny: PreparedTask, tiny_run: OperatorRun, chunk_leaves: int
) -> None:
    graph, steps = tiny.graph, tiny.spec.steps
    trace = tiny_run.claims.state_commitments
    for step, checkpoint in sorted(tiny_run.checkpoints.items()):
        for slot, spec_slot in enumerate(graph.slots):
            array = checkpoint.state[slot]
            num_leaves = num_leaves_for(array.size)
            chunks = list(range(num_chunks(num_leaves, chunk_leaves)))[::-1]
            delivery = build_delivery(checkpoint, graph, steps, trace, slot, chunks, chunk_leaves)
            word = shape_word(spec_slot.shape)
            leaf = keccak256(delivery.data_root + word)
            assert verify_state_proof(leaf, spec_slot.producer, delivery.tensor_proof, delivery.state_root,
                                      len(graph.nodes))
            assert delivery.state_root == trace[step]
            if step == steps:
                assert delivery.state_proof == [] and delivery.state_root == trace[-1]
            else:
                assert verify_trace_proof(delivery.state_root, step, delivery.state_proof,
                                          merkle_root(trace), steps + 1)
            assert [c.chunk for c in delivery.chunks] == chunks
            for sent in delivery.chunks:
                assert verify_chunk(sent.data, sent.chunk, num_leaves, chunk_leaves, delivery.data_root,
                                    sent.proof)
            rebuilt, missing = rebuild_tensor(array.shape, bind_shape(delivery.data_root, array.shape),
                                              chunk_leaves, [{c.chunk: c.data for c in delivery.chunks}])
            assert missing == [] and rebuilt is not None and rebuilt.tobytes() == array.tobytes()
            abi_encode(["bytes32", "bytes32[]", "bytes32", "bytes32[]", "(uint256,bytes,bytes32[])[]"],
                       list(delivery.as_abi_args()))


def test_a_delivery_refuses_what_it_cannot_prove(tiny: PreparedTask, tiny_run: OperatorRun) -> None:
    graph, steps = tiny.graph, tiny.spec.steps
    trace = tiny_run.claims.state_commitments
    checkpoint = tiny_run.checkpoints[2]
    count = num_chunks(num_leaves_for(checkpoint.state[0].size), 4)
    with pytest.raises(ValueError, match=f"chunk {count} is outside 0..{count - 1}"):
        build_delivery(checkpoint, graph, steps, trace, 0, [0, count], 4)
    with pytest.raises(ValueError, match="outside"):
        build_delivery(checkpoint, graph, steps, trace, 0, [-1], 4)
    with pytest.raises(ValueError, match="twice"):
        build_delivery(checkpoint, graph, steps, trace, 0, [1, 1], 4)
    with pytest.raises(ValueError, match="do not hash to h_2"):
        build_delivery(checkpoint, graph, steps, [*trace[:2], trace[1], *trace[3:]], 0, [0], 4)
    with pytest.raises(ValueError, match="states"):
        build_delivery(checkpoint, graph, steps, trace[:-1], 0, [0], 4)
    with pytest.raises(ValueError, match="power of two"):
        build_delivery(checkpoint, graph, steps, trace, 0, [0], 3)


# --- rebuilding -------------------------------------------------------------------------------


def _corrupt(chunks: dict[int, bytes], chunk: int) -> dict[int, bytes]:
    data = bytearray(chunks[chunk])
    data[5] ^= 0x40
    return {**chunks, chunk: bytes(data)}


@pytest.fixture()
def matrix() -> NDArray[np.float32]:
    return _values(40 * 50, seed=4).reshape(40, 50)  # 250 leaves: 63 chunks of 4


def test_a_corrupted_chunk_is_rejected_and_rebuilt_from_the_other_source(matrix: NDArray[np.float32]) -> None:
    good = tensor_chunks(matrix, 4)
    rebuilt, missing = rebuild_tensor(matrix.shape, tensor_root(matrix), 4, [_corrupt(good, 7), good])
    assert missing == [] and rebuilt is not None
    assert rebuilt.dtype == np.float32 and rebuilt.shape == matrix.shape
    assert rebuilt.tobytes() == matrix.tobytes()


def test_two_sources_each_with_another_bad_chunk_still_rebuild(matrix: NDArray[np.float32]) -> None:
    good = tensor_chunks(matrix, 4)
    sources = [_corrupt(good, 3), _corrupt(_corrupt(good, 62), 10), {10: good[10]}]
    rebuilt, missing = rebuild_tensor(matrix.shape, tensor_root(matrix), 4, sources)
    assert missing == [] and rebuilt is not None and rebuilt.tobytes() == matrix.tobytes()


def test_a_chunk_no_source_has_is_reported_missing(matrix: NDArray[np.float32]) -> None:
    good = tensor_chunks(matrix, 4)
    partial = {c: d for c, d in good.items() if c not in (5, 40)}
    wrong_length = {5: good[5] + ZERO_LEAF, 70: good[0]}  # malformed and out-of-range offers
    assert rebuild_tensor(matrix.shape, tensor_root(matrix), 4, [partial, wrong_length]) == (None, [5, 40])
    assert rebuild_tensor(matrix.shape, tensor_root(matrix), 4, []) == (None, list(range(63)))


def test_when_every_offer_of_a_chunk_is_wrong_every_chunk_is_reported(matrix: NDArray[np.float32]) -> None:
    good = tensor_chunks(matrix, 4)
    bad = _corrupt(good, 9)
    assert rebuild_tensor(matrix.shape, tensor_root(matrix), 4, [bad, bad]) == (None, list(range(63)))
    # the right data under another shape does not pass either
    assert rebuild_tensor((50, 40), tensor_root(matrix), 4, [good]) == (None, list(range(63)))


def test_past_the_combination_bound_each_sources_whole_version_is_tried(matrix: NDArray[np.float32]) -> None:
    good = tensor_chunks(matrix, 4)
    noisy = good
    for chunk in range(13):  # 2**13 combinations > 4096
        noisy = _corrupt(noisy, chunk)
    rebuilt, missing = rebuild_tensor(matrix.shape, tensor_root(matrix), 4, [noisy, good])
    assert missing == [] and rebuilt is not None and rebuilt.tobytes() == matrix.tobytes()
    # within the bound (12 disagreements) a mix of two sources is found
    half = {**noisy, **{c: good[c] for c in range(6)}}
    other = {**good, **{c: noisy[c] for c in range(6)}}
    mixed = {**half, 12: good[12]}
    rebuilt, _ = rebuild_tensor(matrix.shape, tensor_root(matrix), 4, [mixed, other])
    assert rebuilt is not None and rebuilt.tobytes() == matrix.tobytes()


def test_past_the_bound_the_versions_most_sources_agree_on_are_preferred(matrix: NDArray[np.float32]) -> None:
    # a stale file differs in all 250 chunks; two good files differ from each other in chunks 3 and
    # 30, where each of the three sources offers another version (ties, none outvoted)
    good, stale = tensor_chunks(matrix, 1), tensor_chunks(matrix + 1, 1)
    sources = [stale, _corrupt(good, 3), _corrupt(good, 30)]
    rebuilt, missing = rebuild_tensor(matrix.shape, tensor_root(matrix), 1, sources)
    assert missing == [] and rebuilt is not None and rebuilt.tobytes() == matrix.tobytes()
    good = tensor_chunks(matrix, 4)
    # a right answer only a mix of two even sources gives, 10 chunks from each: beyond the bound
    noisy = good
    for chunk in range(20):
        noisy = _corrupt(noisy, chunk)
    half = {**noisy, **{c: good[c] for c in range(10)}}
    other = {**good, **{c: noisy[c] for c in range(10)}}
    assert rebuild_tensor(matrix.shape, tensor_root(matrix), 4, [half, other]) == (None, list(range(63)))


def test_shapes_without_elements_and_scalars() -> None:
    empty = np.zeros((3, 0), np.float32)
    assert rebuild_tensor((3, 0), tensor_root(empty), 64, [])[1] == []
    assert rebuild_tensor((0,), tensor_root(empty), 64, []) == (None, [])
    scalar = np.array(1.5, np.float32)
    rebuilt, missing = rebuild_tensor((), tensor_root(scalar), 64, [tensor_chunks(scalar, 64)])
    assert missing == [] and rebuilt is not None and rebuilt.shape == () and float(rebuilt) == 1.5


def test_a_state_is_rebuilt_slot_by_slot(tiny: PreparedTask, tiny_run: OperatorRun) -> None:
    graph, model = tiny.graph, tiny_run.model
    roots = expected_slot_roots(graph, model.leaves)
    assert roots == [tensor_root(a) for a in model.state]
    shapes = [slot.shape for slot in graph.slots]
    stale = tiny_run.checkpoints[2].state  # another party's older file: every slot differs
    sources: list[list[dict[int, bytes]] | None] = list(state_sources([stale, model.state], 4))
    stale_0, good_0 = state_sources([stale, model.state], 4)[0]
    sources[0] = [_corrupt(good_0, 2), stale_0, _corrupt(good_0, 5)]
    rebuilt = rebuild_state(shapes, roots, 4, sources)
    assert rebuilt.complete and rebuilt.missing == {}
    for array, expected in zip(rebuilt.arrays, model.state, strict=True):
        assert array is not None and array.tobytes() == expected.tobytes()
    sources[3] = None
    sources[2] = [{c: d for c, d in version.items() if c != 1} for version in sources[2] or []]  # 3 chunks
    partial = rebuild_state(shapes, roots, 4, sources)
    assert not partial.complete
    assert partial.missing == {2: [1], 3: [0]}
    assert partial.arrays[2] is None and partial.arrays[3] is None
    assert partial.arrays[0] is not None and partial.arrays[1] is not None
    with pytest.raises(ValueError, match="differ in number"):
        rebuild_state(shapes, roots[:-1], 4, sources)


# --- vectors ----------------------------------------------------------------------------------


def test_vectors_file_is_reproduced_exactly_by_the_generator() -> None:
    assert VECTORS_PATH.read_text() == render_vectors()


def test_vectors_chunks_verify_from_their_own_fields() -> None:
    """What the Solidity tests do with the file, done in Python from the JSON alone."""
    vectors = json.loads(VECTORS_PATH.read_text())
    for case in vectors["tensors"]:
        data_root = bytes.fromhex(case["data_root"][2:])
        word = bytes.fromhex(case["shape_word"][2:])
        assert keccak256(data_root + word).hex() == case["tensor_root"][2:]
        assert case["num_chunks"] == -(-case["num_leaves"] // case["chunk_leaves"])
        for chunk in case["chunks"]:
            data = bytes.fromhex(chunk["data"][2:])
            proof = [bytes.fromhex(p[2:]) for p in chunk["proof"]]
            root = chunk_root(data, case["height"])
            assert root.hex() == chunk["chunk_root"][2:]
            assert verify_proof(root, chunk["chunk"], proof, data_root)
            sizes = case["num_leaves"], case["chunk_leaves"]
            assert verify_chunk(data, chunk["chunk"], *sizes, data_root, proof)
    for mask_case in vectors["masks"]:
        pairs = [(first, int(mask)) for first, mask in mask_case["pairs"]]
        assert pairs == chunk_mask(mask_case["chunks"])
    assert VECTORS_PATH.stat().st_size < 200_000
