"""The README's run command, headless: `deploy/devnet.py` brings up the whole network, a job is
finalised, the cheating worker is slashed and the verifier is paid; Ctrl-C stops everything and a
second run on the same ports starts clean.

The test watches the chain itself (its own reads of the contracts' events and state) while the
demo narrates; it does not trust the script's own summary for the outcome.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.chain import ETHER
from tribunal.chain.anvil import ANVIL_KEYS, free_port
from tribunal.chain.keys import signer_from_private_key
from tribunal.chain.session import open_session
from tribunal.paths import REPO_ROOT
from tribunal.protocol_enums import TaskStatus

pytestmark = pytest.mark.integration  # starts anvil, the backend and the agents itself

DEVNET = REPO_ROOT / "deploy" / "devnet.py"
TIMEOUT_S = 480


def devnet_module() -> Any:
    spec = importlib.util.spec_from_file_location("tribunal_devnet_script", DEVNET)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run_devnet(state_dir: Path, port: int, api_port: int, *extra: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PATH": f"{REPO_ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}"}
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, str(DEVNET), "--port", str(port), "--api-port", str(api_port),
             "--state-dir", str(state_dir), *extra],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env, start_new_session=True,
        )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): ask /proc whether it is one
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


class ChainWatch:
    """What the chain says, read independently of the demo script."""

    def __init__(self, rpc_url: str, deployment: Path, roles: dict[str, str]) -> None:
        self.session = open_session(rpc_url, deployment, read_only=True)
        self.roles = roles
        self.facts: dict[str, Any] = {}

    def read(self) -> dict[str, Any]:
        sm, market = self.session.stake_manager.contract, self.session.market.contract
        slashed = [dict(e["args"]) for e in sm.events.Slashed.get_logs(from_block=0)]
        credited = [dict(e["args"]) for e in sm.events.Credited.get_logs(from_block=0)]
        finalized = [dict(e["args"]) for e in market.events.TaskFinalized.get_logs(from_block=0)]
        game = self.session.game
        assert game is not None
        resolved = [dict(e["args"]) for e in game.contract.events.GameResolved.get_logs(from_block=0)]
        cheater, verifier, worker = self.roles["cheater"], self.roles["verifier"], self.roles["worker"]
        self.facts = {
            "cheater_slashed": [s for s in slashed if s["account"] == cheater],
            "verifier_credits": sum(c["amount"] for c in credited if c["account"] == verifier),
            "finalized_by_worker": [f["taskId"] for f in finalized if f["operator"] == worker],
            "games_won_by_verifier": [g for g in resolved
                                      if g["winner"] == verifier and g["loser"] == cheater],
            "cheater_bonded": self.session.stake_manager.info(cheater).bonded,
            "forced_errors_revealed": [dict(e["args"]) for e in
                                       market.events.ForcedErrorRevealed.get_logs(from_block=0)],
            "jackpot_shares_to_verifier": self._jackpot_shares(verifier),
            "jackpot_paid_to_verifier": sum(self._jackpot_shares(verifier)),
            "jackpot_tasks_of_verifier": self._jackpot_tasks(verifier),
            "verifier_is_member": bool(self.session.jackpot and self.session.jackpot.is_member(verifier)),
            "committees": self._committees(),
            "committee_size": self.session.jackpot.committee_size() if self.session.jackpot else 0,
            "share": self.session.jackpot.share() if self.session.jackpot else 0,
            "tasks": {i: self.session.market.task(i).status for i in (1, 2)},
        }
        return self.facts

    def _jackpot_shares(self, verifier: str) -> list[int]:
        jackpot = self.session.jackpot
        if jackpot is None:
            return []
        return [e["args"]["share"] for e in jackpot.contract.events.JackpotClaimed.get_logs(from_block=0)
                if e["args"]["catcher"] == verifier]

    def _jackpot_tasks(self, verifier: str) -> list[int]:
        jackpot = self.session.jackpot
        if jackpot is None:
            return []
        return [e["args"]["taskId"] for e in jackpot.contract.events.JackpotClaimed.get_logs(from_block=0)
                if e["args"]["catcher"] == verifier]

    def _committees(self) -> list[list[str]]:
        jackpot = self.session.jackpot
        if jackpot is None:
            return []
        drawn = jackpot.contract.events.CommitteeDrawn.get_logs(from_block=0)
        return [list(e["args"]["committee"]) for e in drawn]

    def complete(self) -> bool:
        f = self.facts
        # the honest worker's forced error paid the verifier (the cheater's voided result may pay
        # first: a voided forced result pays every revealed seal)
        return bool(f and f["cheater_slashed"] and f["finalized_by_worker"] and f["games_won_by_verifier"]
                    and f["verifier_credits"] > 0
                    and set(f["jackpot_tasks_of_verifier"]) & set(f["finalized_by_worker"]))


def wait_for(what: str, check: Any, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"devnet exited (code {process.returncode}) before {what}:\n"
                        f"{log.read_text()[-4000:]}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - the chain or the deployment file is not there yet
            pass
        time.sleep(1)
    pytest.fail(f"no {what} within {timeout_s:.0f} s:\n{log.read_text()[-4000:]}")


def tail_logs(state_dir: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                     for p in sorted(state_dir.glob("*.log")))


def test_demo_finalises_a_job_slashes_the_cheater_and_pays_the_verifier(tmp_path: Path) -> None:
    devnet = devnet_module()
    roles = {name: signer_from_private_key(ANVIL_KEYS[i]).address for name, i in devnet.KEYS.items()}
    state_dir, log = tmp_path / "devnet", tmp_path / "devnet.out"
    port, api_port = free_port(), free_port()
    process = run_devnet(state_dir, port, api_port, "--challenge-window", "30", log=log)
    try:
        deployment = state_dir / "deployment.json"
        wait_for("deployment", deployment.exists, process, log, 120)
        watch = ChainWatch(f"http://127.0.0.1:{port}", deployment, roles)
        wait_for("finalised job, slashed cheater, paid verifier and a forced error's pot paid to it",
                 lambda: watch.read() and watch.complete(), process, log, TIMEOUT_S)
        wait_for("the demo's own summary", lambda: "Demo complete" in log.read_text(), process, log, 60)
        facts = watch.read()
        pids = {p.stem: int(p.read_text()) for p in state_dir.glob("*.pid")}
        assert set(pids) == {"anvil", "api", "worker", "cheater", "verifier"}, pids
    except BaseException:
        print(tail_logs(state_dir))
        raise
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as a developer would
        rc = process.wait(timeout=90)
    output = log.read_text()

    # the outcome, as the chain tells it
    (slash,) = facts["cheater_slashed"]
    assert slash["winner"] == roles["verifier"]
    assert slash["fromLocked"] + slash["fromFree"] + slash["fromUnbonding"] == 2 * ETHER  # job A's min stake
    assert slash["toWinner"] == ETHER and slash["burned"] == ETHER  # 50 % to the winner
    assert facts["cheater_bonded"] == 8 * ETHER  # staked 10, lost the 2 locked on job A
    assert facts["verifier_credits"] >= ETHER
    assert 2 in facts["finalized_by_worker"]  # job B, honest, paid after the window
    assert facts["tasks"][1] in (TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.SUBMITTED,
                                 TaskStatus.FINALIZED)  # job A reopened after the voided result
    assert facts["games_won_by_verifier"][0]["taskId"] == 1

    # the narration said the same, and the summary file agrees with the chain
    assert "CHALLENGED by verifier" in output and "SLASHED cheater: 2 ETH" in output
    assert "FINALISED: worker paid 0.8 ETH" in output  # 1 ETH less the 20 % that goes to its own escrow
    # forced errors (the devnet forces every result): the verifier joined the registry before any
    # result, so it is every result's committee (a committee of 2 seats with one member); the worker's
    # forced error was revealed and the verifier's catch paid POT / 2, the other half back to the escrow
    assert facts["verifier_is_member"]
    assert facts["committees"] and all(c == [roles["verifier"]] for c in facts["committees"])
    assert any(f["operator"] == roles["worker"] for f in facts["forced_errors_revealed"])
    assert facts["committee_size"] == 2
    share = facts["share"]
    assert share == ETHER // 2
    assert facts["jackpot_shares_to_verifier"] and set(facts["jackpot_shares_to_verifier"]) == {share}
    assert "FORCED ERROR revealed by worker" in output and "JACKPOT verifier is paid 0.5 ETH" in output
    assert "verifier joined the verifier registry (bond 1 ETH)" in output
    assert "committee drawn from its submission block's hash: verifier may catch" in output
    assert "0.5 ETH back to worker's escrow" in output
    assert "the EVM executed it" in output
    summary = json.loads((state_dir / "demo.json").read_text())
    assert summary["slashed"][0]["account"] == roles["cheater"]
    assert ETHER <= summary["verifier_credited"] <= facts["verifier_credits"]  # written before our last read

    # Ctrl-C stopped everything: a clean exit, no process left, ports free
    assert rc == 0, output[-3000:]
    assert "stopped" in output
    assert not list(state_dir.glob("*.pid"))
    assert not [name for name, pid in pids.items() if pid_alive(pid)]
    assert not devnet.port_in_use(port) and not devnet.port_in_use(api_port)

    # a second run on the same ports and state dir starts clean, and --stop stops it
    second_log = tmp_path / "second.out"
    again = run_devnet(state_dir, port, api_port, "--detach", "--no-agents", log=second_log)
    assert again.wait(timeout=180) == 0, second_log.read_text()
    assert "Tribunal devnet is up." in second_log.read_text()
    watch = ChainWatch(f"http://127.0.0.1:{port}", state_dir / "deployment.json", roles)
    assert watch.session.market.task(1).status is TaskStatus.OPEN  # a fresh chain: job A just posted
    stop = subprocess.run([sys.executable, str(DEVNET), "--stop", "--state-dir", str(state_dir)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert stop.returncode == 0 and "devnet stopped" in stop.stdout, stop.stderr
    assert not devnet.port_in_use(port) and not devnet.port_in_use(api_port)
