"""`make dev`: a whole Tribunal network on this machine.

Starts anvil (port 8545), deploys the contracts, starts the backend (indexer + API + artifact
store + dashboard on port 8000), posts a demo training task whose spec the backend stores and
commits, and starts one worker (anvil key #2) and one verifier (anvil key #3) that pick it up.
State and logs go to .devnet/. Everything keeps running in the background; run this again for a
clean restart, or `python deploy/devnet.py --stop` to stop it all.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from tribunal.chain.anvil import ANVIL_KEYS
from tribunal.chain.client import ChainClient, connect
from tribunal.chain.deploy import DeployParams, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.chain.keys import signer_from_private_key
from tribunal.chain.session import format_eth, open_session
from tribunal.paths import REPO_ROOT, node_bin
from tribunal.spec import canonical_json

STATE_DIR = REPO_ROOT / ".devnet"
SERVICES = ("verifier", "worker", "api", "anvil")
ETHER = 10**18
VENV_BIN = REPO_ROOT / ".venv" / "bin"


def pid_file(name: str):  # noqa: ANN201 - a Path
    return STATE_DIR / f"{name}.pid"


def stop_previous() -> None:
    """Stop what a previous run left, so every run starts from a clean chain and database."""
    for name in SERVICES:
        path = pid_file(name)
        if not path.exists():
            continue
        pid = int(path.read_text().strip() or 0)
        path.unlink()
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        for _ in range(50):
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)


def spawn(name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    log = open(STATE_DIR / f"{name}.log", "wb")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, **(env or {})}, cwd=REPO_ROOT)
    pid_file(name).write_text(str(process.pid))
    return process


def wait_until(what: str, check, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{what} exited (code {process.returncode}); see {STATE_DIR}/*.log")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - still starting
            pass
        time.sleep(0.2)
    sys.exit(f"{what} did not come up within {timeout_s:.0f} s; see {STATE_DIR}/*.log")


def http_json(url: str, body: bytes | None = None) -> dict:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("TRIBUNAL_DEVNET_PORT", 8545)))
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("TRIBUNAL_API_PORT", 8000)))
    parser.add_argument("--no-agents", action="store_true", help="no worker and no verifier")
    parser.add_argument("--stop", action="store_true", help="stop the devnet and exit")
    args = parser.parse_args()
    stop_previous()
    if args.stop:
        print("devnet stopped")
        return
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    STATE_DIR.mkdir()

    rpc_url = f"http://127.0.0.1:{args.port}"
    anvil = spawn("anvil", [node_bin("anvil"), "--port", str(args.port), "--host", "127.0.0.1",
                            "--chain-id", "31337"])
    wait_until("anvil", lambda: connect(rpc_url).eth.chain_id == 31337, anvil)
    deployer = signer_from_private_key(ANVIL_KEYS[0])
    deployment = deploy_contracts(ChainClient(connect(rpc_url), deployer), rpc_url,
                                  DeployParams(max_clock=600))
    path = save_deployment(deployment)

    api_url = f"http://127.0.0.1:{args.api_port}"
    common_env = {"TRIBUNAL_RPC_URL": rpc_url, "TRIBUNAL_DEPLOYMENT": str(path)}
    api = spawn("api", [str(VENV_BIN / "python"), "-m", "backend", "serve"],
                {**common_env, "TRIBUNAL_PORT": str(args.api_port),
                 "DATABASE_URL": f"sqlite:///{STATE_DIR / 'tribunal.db'}",
                 "TRIBUNAL_ARTIFACT_DIR": str(STATE_DIR / "artifacts")})
    wait_until("the API", lambda: http_json(f"{api_url}/healthz") is not None, api, timeout_s=120)

    from tribunal.tasks import demo_spec

    spec = demo_spec()
    committed = http_json(f"{api_url}/api/specs", canonical_json(spec))
    submitter = open_session(rpc_url, path, private_key=ANVIL_KEYS[1])
    now = submitter.client.w3.eth.get_block("latest")["timestamp"]
    from tribunal.chain.contracts import TaskParams

    params = TaskParams(
        spec_hash=bytes.fromhex(committed["specHash"][2:]), spec_uri=committed["specURI"],
        dataset_root=bytes.fromhex(committed["datasetRoot"][2:]),
        init_state_root=bytes.fromhex(committed["initStateRoot"][2:]),
        graph_root=bytes.fromhex(committed["graphRoot"][2:]), steps=committed["steps"],
        checkpoint_every=committed["checkpointEvery"], min_stake=2 * ETHER, deadline=now + 3600,
        challenge_window=120,
    )
    task_id, sent = submitter.market.post_task(params, reward=ETHER)

    agents = []
    if not args.no_agents:
        for name, key, role_args in (
            ("worker", ANVIL_KEYS[2], ["start", "--stake", "10", "--api-url", api_url, "--no-live"]),
            ("verifier", ANVIL_KEYS[3], ["start", "--stake", "5", "--mode", "full"]),
        ):
            spawn(name, [str(VENV_BIN / name), *role_args, "--rpc-url", rpc_url, "--deployment",
                         str(path), "--artifact-store", api_url, "--state-dir",
                         str(STATE_DIR / name)], {**common_env, "TRIBUNAL_PRIVATE_KEY": key})
            agents.append(f"  {name:14} log {STATE_DIR / (name + '.log')}")

    market = deployment.task_market
    task = submitter.market.task(task_id)
    agent_lines = "\n".join(agents) or "  (no agents: --no-agents)"
    print(f"""
Tribunal devnet is up.
  RPC            {rpc_url} (chain 31337; log {STATE_DIR / 'anvil.log'})
  dashboard/API  {api_url}/  (API under {api_url}/api, docs {api_url}/docs; log {STATE_DIR / 'api.log'})
  deployment     {path}
  contracts      StakeManager {deployment.stake_manager}, TaskMarket {market},
                 DisputeGame {deployment.dispute_game}
  demo task      #{task_id}: {spec.model.kind} on {spec.dataset}, {task.steps} steps,
                 reward {format_eth(task.reward)}, min stake {format_eth(task.min_stake)},
                 status {task.status.name.lower()}, tx {sent.tx_hash}
{agent_lines}

Watch the task get claimed, trained, submitted and finalised:
  .venv/bin/tribunal task show {task_id} --rpc-url {rpc_url}
  node_modules/.bin/cast call {market} "taskStatus(uint256)(uint8)" {task_id} --rpc-url {rpc_url}
Stop everything:
  .venv/bin/python deploy/devnet.py --stop
""")


if __name__ == "__main__":
    main()
