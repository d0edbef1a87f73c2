"""`kill -9` in the middle of training, then `worker start` again: the agent resumes from its last
checkpoint and submits the trace root of an uninterrupted run, bit for bit."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.agents import OPERATOR_KEYS, WORKER_CLI
from tests.support.chain import Devnet
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tribunal.protocol_enums import TaskStatus
from tribunal.training import train
from worker.state import Phase, StateDir


class AgentProcess:
    """`worker start --log-json` as a subprocess; its JSON log lines are read on a thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen([WORKER_CLI, "start", *args], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.raw: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.raw.append(line)
            try:
                self.lines.put(json.loads(line))
            except json.JSONDecodeError:
                continue

    def wait_event(self, predicate: Any, timeout_s: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                record = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    raise AssertionError(f"the agent exited ({self.process.returncode}) before {what}:\n"
                                         + "".join(self.raw[-30:])) from None
                continue
            if predicate(record):
                return record
        raise AssertionError(f"timed out waiting for {what}:\n" + "".join(self.raw[-30:]))


def test_kill_9_mid_training_then_restart_submits_the_same_trace_root(
    devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str, tmp_path: Path,
) -> None:
    spec = tiny_spec(seed=5, steps=600, checkpoint_every=25)
    task_id = submitter.post(spec, challenge_window=3)
    key = OPERATOR_KEYS["alice"]
    env = {**os.environ, "TRIBUNAL_PRIVATE_KEY": key}
    args = ["--stake", "10", "--rpc-url", devnet.anvil.rpc_url, "--deployment", str(deployment_file),
            "--artifact-store", backend_url, "--state-dir", str(tmp_path / "state"), "--poll-interval", "0.3",
            "--log-json", "--no-live", "--device", "cpu"]

    first = AgentProcess(args, env)
    checkpoint = first.wait_event(lambda r: r.get("event") == "checkpoint" and r.get("task_id") == task_id,
                                  120, "a first checkpoint")
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    assert checkpoint["step"] < spec.steps
    killed = StateDir(tmp_path / "state").read().tasks[task_id]
    assert killed.phase is Phase.TRAINING and killed.checkpoints
    assert devnet.market("other").task(task_id).status is TaskStatus.CLAIMED

    reference = train(spec)  # the uninterrupted run, in this process, while the agent restarts
    second = AgentProcess(args, env)
    try:
        trained = second.wait_event(lambda r: r.get("event") == "trained" and r.get("task_id") == task_id,
                                    120, "the resumed training to finish")
        assert trained["resumed_from"] >= checkpoint["step"] > 0
        assert trained["trace_root"] == "0x" + reference.trace_root.hex()
        second.wait_event(lambda r: r.get("event") == "paid" and r.get("task_id") == task_id, 60, "payment")
        task = devnet.market("other").task(task_id)
        assert task.trace_root == reference.trace_root and task.model_hash == reference.model_hash
        claims = [line for line in first.raw + second.raw if '"event": "claim_sent"' in line]
        assert len(claims) == 1  # the restarted agent did not claim again
    finally:
        second.process.send_signal(signal.SIGTERM)
        second.process.wait(timeout=60)
    assert second.process.returncode == 0
    output = "".join(first.raw + second.raw)
    assert key[2:] not in output and key[2:].upper() not in output  # the key is never logged
