"""The devnet's submitter as the agents meet it: specs uploaded to the artifact store, tasks posted."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.support.chain import ETHER, Devnet
from tribunal.artifact_client import ArtifactClient
from tribunal.spec import TaskSpec
from tribunal.tasks import PreparedTask, prepare_task


@dataclass
class Submitter:
    """Uploads specs to the artifact store and posts tasks as the devnet's submitter."""

    devnet: Devnet
    store_url: str
    prepared: dict[bytes, PreparedTask] = field(default_factory=dict)

    def prepare(self, spec: TaskSpec) -> PreparedTask:
        with ArtifactClient(self.store_url) as store:
            digest = store.upload_bytes(prepare_task(spec, "").spec_bytes, kind="spec")
        prepared = prepare_task(spec, f"{self.store_url}/api/artifacts/{digest}")
        self.prepared[prepared.spec_hash] = prepared
        return prepared

    def post(self, spec: TaskSpec, reward: int = ETHER, min_stake: int = 2 * ETHER,
             challenge_window: int = 4, deadline_s: int = 3600) -> int:
        prepared = self.prepare(spec)
        now = self.devnet.anvil.w3.eth.get_block("latest")["timestamp"]
        params = prepared.task_params(min_stake=min_stake, deadline=now + deadline_s,
                                      challenge_window=challenge_window)
        task_id, _ = self.devnet.market("submitter").post_task(params, reward)
        return task_id
