"""`make dev`: a whole Tribunal network on this machine.

Starts anvil (port 8545 by default, state and logs under .devnet/), deploys the contracts,
writes deployments/<chain id>.json, posts a demo training task built from a real RepOps spec,
and prints where to look. Anvil keeps running in the background; run this again for a clean
restart, or `python deploy/devnet.py --stop` to stop it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from tribunal.chain.anvil import ANVIL_KEYS
from tribunal.chain.client import ChainClient, connect
from tribunal.chain.deploy import DeployParams, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.chain.keys import signer_from_private_key
from tribunal.chain.session import format_eth, open_session
from tribunal.paths import REPO_ROOT, node_bin

STATE_DIR = REPO_ROOT / ".devnet"
PID_FILE = STATE_DIR / "anvil.pid"
ETHER = 10**18


def stop_previous() -> None:
    """Stop the anvil a previous run left, so every run starts from a clean chain."""
    if not PID_FILE.exists():
        return
    pid = int(PID_FILE.read_text().strip() or 0)
    PID_FILE.unlink()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def start_detached_anvil(port: int) -> str:
    STATE_DIR.mkdir(exist_ok=True)
    log = open(STATE_DIR / "anvil.log", "wb")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(
        [node_bin("anvil"), "--port", str(port), "--host", "127.0.0.1", "--chain-id", "31337"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    PID_FILE.write_text(str(process.pid))
    rpc_url = f"http://127.0.0.1:{port}"
    w3 = connect(rpc_url)
    for _ in range(300):
        if process.poll() is not None:
            sys.exit(f"anvil exited (code {process.returncode}); see {STATE_DIR / 'anvil.log'}. "
                     f"Is port {port} taken? Set TRIBUNAL_DEVNET_PORT to another port.")
        try:
            if w3.eth.chain_id == 31337:
                return rpc_url
        except Exception:  # noqa: BLE001 - anvil still starting
            time.sleep(0.1)
    sys.exit("anvil did not start within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("TRIBUNAL_DEVNET_PORT", 8545)))
    parser.add_argument("--stop", action="store_true", help="stop the devnet and exit")
    args = parser.parse_args()
    stop_previous()
    if args.stop:
        print("devnet stopped")
        return

    rpc_url = start_detached_anvil(args.port)
    deployer = signer_from_private_key(ANVIL_KEYS[0])
    deployment = deploy_contracts(ChainClient(connect(rpc_url), deployer), rpc_url, DeployParams())
    path = save_deployment(deployment)

    from tribunal.tasks import demo_spec, prepare_task

    spec = demo_spec()
    prepared = prepare_task(spec, spec_uri="devnet://specs/demo-mlp-digits")
    submitter = open_session(rpc_url, path, private_key=ANVIL_KEYS[1])
    now = submitter.client.w3.eth.get_block("latest")["timestamp"]
    params = prepared.task_params(min_stake=2 * ETHER, deadline=now + 3600, challenge_window=300)
    task_id, sent = submitter.market.post_task(params, reward=ETHER)
    task = submitter.market.task(task_id)

    market = deployment.task_market
    print(f"""
Tribunal devnet is up.
  RPC            {rpc_url} (chain 31337; anvil pid {PID_FILE.read_text()}, log {STATE_DIR / 'anvil.log'})
  deployment     {path}
  StakeManager   {deployment.stake_manager}
  TaskMarket     {market}
  demo task      #{task_id}: {spec.model.kind} on {spec.dataset}, {task.steps} steps,
                 reward {format_eth(task.reward)}, min stake {format_eth(task.min_stake)},
                 status {task.status.name.lower()}, tx {sent.tx_hash}

Read it back:
  node_modules/.bin/cast call {market} "taskStatus(uint256)(uint8)" {task_id} --rpc-url {rpc_url}
  .venv/bin/tribunal task show {task_id} --rpc-url {rpc_url}
Act as an operator (anvil test key #2):
  TRIBUNAL_PRIVATE_KEY={ANVIL_KEYS[2]} .venv/bin/worker start --stake 10 --rpc-url {rpc_url}
Stop:
  .venv/bin/python deploy/devnet.py --stop
""")


if __name__ == "__main__":
    main()
