"""The verifier against the real operator agent (`worker`): an honest result is judged honest
from what the worker published, no game is opened, and the worker gets paid."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.support.agents import OPERATOR_KEYS, start_agent
from tests.support.chain import Devnet, actor_key
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tribunal.chain.anvil import increase_time
from tribunal.chain.session import open_session
from tribunal.protocol_enums import TaskStatus
from verifier.agent import VerifierAgent, VerifierConfig
from verifier.checking import Mode, Verdict
from verifier.state import StateDir


def test_honest_worker_is_judged_honest_and_paid(announcing_market: None, devnet: Devnet,
                                                 deployment_file: Path, submitter: Submitter,
                                                 backend_url: str, tmp_path: Path) -> None:
    task_id = submitter.post(tiny_spec(seed=61), challenge_window=300)
    key = actor_key("challenger")
    config = VerifierConfig(state_dir=tmp_path / "verifier", stake=10**18, mode=Mode.SPOT,
                            artifact_store=backend_url, device="cpu", poll_interval_s=0.2)
    verifier = VerifierAgent(open_session(devnet.anvil.rpc_url, deployment_file, private_key=key), config)
    stop = threading.Event()
    thread = threading.Thread(target=verifier.run, args=(stop,), daemon=True)
    thread.start()
    worker = start_agent(devnet, deployment_file, tmp_path / "worker", OPERATOR_KEYS["alice"], backend_url)
    try:
        state = StateDir(tmp_path / "verifier")

        def judged() -> str:
            if not state.exists():
                return ""
            record = state.read().checks.get(task_id)
            return record.verdict if record is not None and record.status == "done" else ""

        assert wait_for(judged, 120, what="the verifier's verdict") == Verdict.HONEST.value
        record = state.read().checks[task_id]
        assert record.result["model"] == "matches the committed final state" and record.game_id is None
        increase_time(devnet.anvil.w3, 301)
        market = devnet.market("other")
        wait_for(lambda: market.task(task_id).status is TaskStatus.FINALIZED, 60, what="the worker's payment")
    finally:
        worker.halt()
        stop.set()
        thread.join(timeout=30)
    assert devnet.game("other").game_count() == 0
