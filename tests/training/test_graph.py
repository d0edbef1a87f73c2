"""The step graph: topological, complete, deterministic, and encoded as documented."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_abi import decode as abi_decode

from tests.support.specs import SPECS, mlp_spec, transformer_spec
from tribunal.datasets import load_dataset
from tribunal.graph import (
    GraphError,
    Ref,
    RefKind,
    StepGraph,
    decode_ref,
    descriptor_params,
    graph_root,
    node_descriptor,
    validate_graph,
)
from tribunal.models import build_step_graph
from tribunal.repops import AffineMap, OpKind, ops
from tribunal.spec import Adam, Momentum, Sgd, TaskSpec

OPTIMIZERS = [Sgd(lr=0.1), Momentum(lr=0.05, momentum=0.9), Adam(lr=0.01)]


def _graph(spec: TaskSpec) -> StepGraph:
    return build_step_graph(spec, load_dataset(spec.dataset))


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o.kind)
@pytest.mark.parametrize("kind", sorted(SPECS))
def test_graph_reads_only_earlier_nodes_and_writes_every_slot(kind: str, optimizer: object) -> None:
    graph = _graph(SPECS[kind](optimizer=optimizer))
    validate_graph(graph)
    for node in graph.nodes:
        assert all(ref.index < node.index for ref in node.inputs if ref.kind is RefKind.NODE)
    producers = sorted(slot.producer for slot in graph.slots)
    assert len(set(producers)) == len(graph.slots)
    assert graph.nodes[0].op.kind == OpKind.BATCH_GATHER
    assert graph.nodes[graph.loss].shape == ()


def test_graph_root_is_deterministic() -> None:
    first, second = _graph(transformer_spec()), _graph(transformer_spec())
    assert first is not second
    assert graph_root(first) == graph_root(second)


def test_graph_root_ignores_run_length_and_binds_the_step() -> None:
    base = graph_root(_graph(mlp_spec()))
    assert graph_root(_graph(mlp_spec(steps=50, checkpoint_every=25))) == base
    assert graph_root(_graph(mlp_spec(optimizer=Sgd(lr=0.2)))) != base
    assert graph_root(_graph(mlp_spec(seed=7))) != base
    assert graph_root(_graph(mlp_spec(batch_size=8))) != base


def test_batch_gather_commits_to_seed_and_row_count_not_to_rows() -> None:
    graph = _graph(mlp_spec(seed=5))
    gather = graph.nodes[0]
    assert descriptor_params(graph, gather) == (5, load_dataset("digits").num_rows)
    assert graph.op_for_step(gather, 0) != graph.op_for_step(gather, 1)


def test_descriptor_is_the_documented_abi_encoding() -> None:
    graph = _graph(mlp_spec(optimizer=Adam(lr=0.01)))
    node = next(n for n in graph.nodes if n.op.kind == OpKind.ADAM_UPDATE)
    index, kind, params, refs, shape = abi_decode(
        ["uint256", "uint8", "uint256[]", "uint256[]", "uint256[]"], node_descriptor(graph, node)
    )
    assert (index, kind, tuple(params), tuple(shape)) == (
        node.index,
        int(OpKind.ADAM_UPDATE),
        node.op.params,
        node.shape,
    )
    decoded = [decode_ref(value) for value in refs]
    weight_kind, slot, producer = decoded[0]
    assert weight_kind is RefKind.STATE
    assert graph.slots[slot].producer == producer == node.index
    assert [kind for kind, _, _ in decoded[1:3]] == [RefKind.NODE, RefKind.NODE]


def test_signed_copy_params_encode_as_twos_complement() -> None:
    graph = _graph(mlp_spec())
    shifted = ops.affine_copy(
        AffineMap(
            out_view=(4,), loop_view=(), in_view=(4,), coef=((1,),), offset=(-1,), div=(1,), out_shape=(4,)
        )
    )
    node = replace(graph.nodes[1], op=shifted)
    assert -1 in shifted.params
    assert 2**256 - 1 in descriptor_params(graph, node)


def test_validate_rejects_a_forward_reference() -> None:
    graph = _graph(mlp_spec())
    late = graph.nodes[3]
    broken = replace(late, inputs=(Ref(RefKind.NODE, 5), *late.inputs[1:]))
    nodes = (*graph.nodes[:3], broken, *graph.nodes[4:])
    with pytest.raises(GraphError, match="only earlier nodes may be read"):
        validate_graph(replace(graph, nodes=nodes))


def test_validate_rejects_a_wrong_declared_shape() -> None:
    graph = _graph(mlp_spec())
    nodes = list(graph.nodes)
    nodes[2] = replace(nodes[2], shape=(1, 2))
    with pytest.raises(GraphError, match="declares shape"):
        validate_graph(replace(graph, nodes=tuple(nodes)))


# The graph root is protocol: a change to how a model, loss or optimizer is written as nodes
# (or to an op's params) changes every task's graph root. Update docs/protocol.md ("Step graph") too.
PINNED_GRAPH_ROOTS = {
    "mlp": "e97eba87ad4a92792956152a1770274cca7cdae33726b85fa8a6fa84beb3f885",
    "transformer": "9465b202c14ef5e0f9796949d7cbfc6da55a6812d5dea5a3ec72caf4cb28fcb9",
}


@pytest.mark.parametrize("kind", sorted(PINNED_GRAPH_ROOTS))
def test_graph_root_is_pinned(kind: str) -> None:
    assert graph_root(_graph(SPECS[kind]())).hex() == PINNED_GRAPH_ROOTS[kind]
