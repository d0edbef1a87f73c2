"""From a task spec to what `postTask` needs: spec hash and the roots the chain checks."""

from __future__ import annotations

from dataclasses import dataclass

from tribunal.artifact_cache import fetch_artifact
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.task_market import TaskParams
from tribunal.datasets import Dataset, load_dataset
from tribunal.datasets.store import is_dataset_ref
from tribunal.graph import StepGraph, graph_root
from tribunal.models import initial_state, step_graph
from tribunal.spec import MlpConfig, Sgd, TaskSpec, canonical_json, spec_hash
from tribunal.training import initial_commitment


@dataclass(frozen=True)
class PreparedTask:
    """A spec with its dataset, step graph and the commitments posted on-chain."""

    spec: TaskSpec
    spec_uri: str
    dataset: Dataset
    graph: StepGraph
    spec_hash: bytes
    dataset_root: bytes
    init_state_root: bytes
    graph_root: bytes
    derived: bool = False
    """A DiLoCo task's spec, derived from its job (`tribunal.diloco.resolve`): ``spec_hash`` is then
    the chain's name of the task, not the hash of ``spec``."""

    @property
    def spec_bytes(self) -> bytes:
        return canonical_json(self.spec)

    def task_params(self, min_stake: int, deadline: int, challenge_window: int) -> TaskParams:
        return TaskParams(
            spec_hash=self.spec_hash,
            spec_uri=self.spec_uri,
            dataset_root=self.dataset_root,
            init_state_root=self.init_state_root,
            graph_root=self.graph_root,
            steps=self.spec.steps,
            checkpoint_every=self.spec.checkpoint_every,
            min_stake=min_stake,
            deadline=deadline,
            challenge_window=challenge_window,
        )


def task_input_digests(spec: TaskSpec) -> list[str]:
    """The artifacts ``spec`` names by hash (``0x`` keccak256 of their bytes): an uploaded dataset
    and a pretrained initial state (``spec.init``, a safetensors file). A built-in dataset is
    named by its name and needs no artifact."""
    digests = [spec.dataset.lower()] if is_dataset_ref(spec.dataset) else []
    if spec.init is not None:
        digests.append(spec.init)
    return digests


def fetch_task_inputs(spec: TaskSpec, store: ArtifactClient | None) -> None:
    """Make the artifacts ``spec`` names by hash available on this machine (the local artifact
    cache), each fetched once from ``store`` and verified against its hash. Raises
    ArtifactNotCached when one is neither cached nor served by ``store``."""
    for digest in task_input_digests(spec):
        fetch_artifact(digest, store)


def prepare_task(spec: TaskSpec, spec_uri: str) -> PreparedTask:
    """Load the dataset, build the step graph and initial state, and commit to all three."""
    dataset = load_dataset(spec.dataset)
    spec.check_dataset(dataset.num_rows)
    graph = step_graph(spec, dataset)
    return PreparedTask(
        spec=spec,
        spec_uri=spec_uri,
        dataset=dataset,
        graph=graph,
        spec_hash=spec_hash(spec),
        dataset_root=dataset.root,
        init_state_root=initial_commitment(initial_state(spec, dataset)),
        graph_root=graph_root(graph),
    )


def demo_spec() -> TaskSpec:
    """A small MLP on scikit-learn's digits: trains in seconds on a CPU."""
    return TaskSpec(
        model=MlpConfig(hidden=(32,)),
        dataset="digits",
        loss="cross_entropy",
        optimizer=Sgd(lr=0.1),
        batch_size=32,
        seed=7,
        steps=40,
        checkpoint_every=10,
    )
