"""What one party claims about a task's training run, recomputed with RepOps.

An honest party's claims are its own bit-exact replay. A faulty one (Byzantine tests, or a
broken machine) replays with a ``tamper`` hook that alters node outputs as they are made,
so the fault propagates exactly as it would on bad hardware.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.checkpoints import Checkpoint
from tribunal.commitments import TensorCommitment, committed_step, state_commitment, tensor_root
from tribunal.datasets import DatasetCommitment
from tribunal.graph import Node, RefKind, input_shapes
from tribunal.merkle import MerkleTree
from tribunal.models import initial_state
from tribunal.repops import Instr, f32_to_bits, run_element
from tribunal.tasks import PreparedTask
from tribunal.training import commit_step, next_state, run_step

Tamper = Callable[[int, int, torch.Tensor], torch.Tensor]
"""``tamper(step, node, output) -> output``: applied to every node output as it is made."""


@dataclass(frozen=True)
class BitFlip:
    """Flip bit ``bit`` of element ``element`` of node ``node``'s output at step ``step``."""

    step: int
    node: int
    element: int
    bit: int

    def __call__(self, step: int, node: int, output: torch.Tensor) -> torch.Tensor:
        if (step, node) != (self.step, self.node):
            return output
        flat = output.detach().clone().reshape(-1)
        bits = flat.view(torch.int32)
        bits[self.element] ^= torch.tensor(1 << self.bit, dtype=torch.int64).to(torch.int32)
        return flat.view(torch.float32).reshape(output.shape)


@dataclass
class StepView:
    """Step ``t`` as a party computed it: the state it read (``h_t``) and every node output."""

    step: int
    state: list[NDArray[np.float32]]
    prev_leaves: list[bytes] | None
    """Tensor roots of step t-1's node outputs (the leaves of ``h_t``); None for t = 0."""
    outputs: list[NDArray[np.float32]]

    @cached_property
    def output_roots(self) -> list[bytes]:
        return [tensor_root(o) for o in self.outputs]

    @cached_property
    def nodes_tree(self) -> MerkleTree:
        return MerkleTree(self.output_roots)

    @cached_property
    def state_tree(self) -> MerkleTree:
        """The tree of ``h_t``: over the initial state's roots (t = 0) or step t-1's leaves."""
        if self.prev_leaves is None:
            return MerkleTree([tensor_root(s) for s in self.state])
        return MerkleTree(self.prev_leaves)


class PartyClaims:
    """A party's claims about one task: its trace ``h_0..h_S`` and, on demand, any step."""

    def __init__(self, prepared: PreparedTask, tamper: Tamper | None = None,
                 device: torch.device | None = None) -> None:
        self.prepared = prepared
        self.graph = prepared.graph
        self.tamper = tamper
        self.device = device or torch.device("cpu")
        self._rows = torch.from_numpy(np.array(prepared.dataset.rows)).to(self.device)
        self._steps: dict[int, StepView] = {}
        self.state_commitments = self._run_all()

    # -- recomputation -------------------------------------------------------------------

    def _step_outputs(self, state: Sequence[torch.Tensor], step: int) -> list[torch.Tensor]:
        return run_step(self.graph, state, self._rows, step, tamper=self.tamper)

    def _initial(self) -> list[torch.Tensor]:
        return [torch.from_numpy(np.array(a, dtype=np.float32)).to(self.device)
                for a in initial_state(self.prepared.spec, self.prepared.dataset)]

    def _run_all(self) -> list[bytes]:
        """Run every step once, keeping the trace leaves (states committed at the committed
        steps only, as an operator trains) and the final checkpoint's hash."""
        spec = self.prepared.spec
        state = self._initial()
        roots: list[bytes | None] = [tensor_root(t) for t in state]
        commitments = [state_commitment([tensor_root(t) for t in state])]
        leaves: list[bytes] = []
        for step in range(spec.steps):
            outputs = self._step_outputs(state, step)
            committed = committed_step(step + 1, spec.steps, spec.checkpoint_every)
            leaf, new_leaves, roots = commit_step(self.graph, state, roots, outputs, committed)
            commitments.append(leaf)
            leaves = new_leaves if new_leaves is not None else leaves
            state = next_state(self.graph, outputs)
        final = Checkpoint.make(self.prepared.spec_hash, self.graph, spec.steps, state,
                                commitments, leaves)
        self.model_hash = final.content_hash
        return commitments

    @lru_cache(maxsize=4)  # noqa: B019 - one PartyClaims per game; the cache dies with it
    def segment(self, start: int, end: int) -> tuple[bytes, ...]:
        """``h_start .. h_end``, every state hashed: the interval a dispute game opens between
        two committed steps (its first and last leaves are this party's trace leaves)."""
        if not 0 <= start < end <= self.prepared.spec.steps:
            raise ValueError(f"no interval {start}..{end} in {self.prepared.spec.steps} steps")
        state = self._initial()
        states: list[bytes] = [state_commitment([tensor_root(t) for t in state])] if start == 0 else []
        for step in range(end):
            outputs = self._step_outputs(state, step)
            if step + 1 >= start:
                states.append(state_commitment([tensor_root(o) for o in outputs]))
            state = next_state(self.graph, outputs)
        return tuple(states)

    @lru_cache(maxsize=4)  # noqa: B019
    def segment_tree(self, start: int, end: int) -> MerkleTree:
        return MerkleTree(list(self.segment(start, end)))

    def step(self, t: int) -> StepView:
        """Replay up to step ``t`` (from h_0) and keep its state and outputs."""
        if t not in self._steps:
            state = self._initial()
            prev_leaves: list[bytes] | None = None
            for s in range(t + 1):
                outputs = self._step_outputs(state, s)
                if s == t:
                    view = StepView(t, [x.cpu().numpy() for x in state], prev_leaves,
                                    [o.cpu().numpy() for o in outputs])
                    break
                prev_leaves = [tensor_root(o) for o in outputs]
                state = next_state(self.graph, outputs)
            self._steps[t] = view
        return self._steps[t]

    # -- what the descents walk --------------------------------------------------------

    @cached_property
    def trace_tree(self) -> MerkleTree:
        return MerkleTree(self.state_commitments)

    @property
    def trace_root(self) -> bytes:
        return self.trace_tree.root

    @cached_property
    def dataset_commitment(self) -> DatasetCommitment:
        return DatasetCommitment(np.array(self.prepared.dataset.rows))

    def node(self, n: int) -> Node:
        return self.graph.nodes[n]

    @lru_cache(maxsize=64)  # noqa: B019 - one PartyClaims per game; the cache dies with it
    def output_commitment(self, t: int, n: int) -> TensorCommitment:
        return TensorCommitment(self.step(t).outputs[n])

    def node_inputs(self, t: int, n: int) -> list[NDArray[np.float32]]:
        view = self.step(t)
        arrays: list[NDArray[np.float32]] = []
        for ref in self.node(n).inputs:
            if ref.kind is RefKind.NODE:
                arrays.append(view.outputs[ref.index])
            elif ref.kind is RefKind.STATE:
                arrays.append(view.state[ref.index])
            else:
                arrays.append(np.array(self.prepared.dataset.rows))
        return arrays

    @lru_cache(maxsize=64)  # noqa: B019
    def intermediates(self, t: int, n: int, e: int) -> NDArray[np.uint32]:
        """Element ``e``'s program intermediates (uint32 bits), ending with the claimed value.

        The intermediates follow from the party's own inputs; if its claimed output differs
        from the program's result (a fault in this very node), the last intermediate is
        replaced by the claim: a party must commit intermediates consistent with its output.
        """
        op = self.graph.op_for_step(self.node(n), t)
        bits = list(run_element(op, self.node_inputs(t, n), e))
        claimed = f32_to_bits(self.step(t).outputs[n].reshape(-1)[e])
        bits[-1] = claimed
        return np.array(bits, dtype=np.uint32)

    @lru_cache(maxsize=64)  # noqa: B019
    def intermediates_commitment(self, t: int, n: int, e: int) -> TensorCommitment:
        return TensorCommitment(self.intermediates(t, n, e).view(np.float32))

    def instruction(self, t: int, n: int, e: int, i: int) -> Instr:
        from tribunal.repops import instruction

        op = self.graph.op_for_step(self.node(n), t)
        return instruction(op, input_shapes(self.graph, self.node(n)), e, i)
