"""A local anvil node (the npm build) as a managed process, and its test-only RPC methods."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from web3 import Web3
from web3.types import RPCEndpoint

from tribunal.chain.client import connect
from tribunal.paths import node_bin

ANVIL_CHAIN_ID = 31337
"""anvil's default chain id: the one chain where demo-only options (``worker start --cheat``) run."""

# anvil's default mnemonic accounts (public test keys, never use them on a real chain)
ANVIL_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Anvil:
    """An anvil process on 127.0.0.1:port; stop() kills it."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path | None = None
    _w3: Web3 | None = field(default=None, repr=False)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def w3(self) -> Web3:
        if self._w3 is None:
            self._w3 = connect(self.rpc_url)
        return self._w3

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_anvil(
    port: int | None = None,
    chain_id: int = ANVIL_CHAIN_ID,
    log_path: Path | None = None,
    block_time: int | None = None,
    extra_args: list[str] | None = None,
    timeout_s: float = 30.0,
) -> Anvil:
    """Start the npm anvil and wait until it answers JSON-RPC."""
    port = port or free_port()
    args = [node_bin("anvil"), "--port", str(port), "--host", "127.0.0.1",
            "--chain-id", str(chain_id), "--accounts", "10", "--balance", "10000"]
    if block_time:
        args += ["--block-time", str(block_time)]
    args += extra_args or []
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    node = Anvil(port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"anvil exited with code {process.returncode} "
                f"(is @foundry-rs/anvil installed? run `npm ci`); log: {log_path}"
            )
        try:
            if node.w3.is_connected() and node.w3.eth.chain_id == chain_id:
                return node
        except Exception:  # noqa: BLE001 - the node is still starting
            pass
        time.sleep(0.1)
    node.stop()
    raise TimeoutError(f"anvil did not answer on port {port} within {timeout_s}s")


def increase_time(w3: Web3, seconds: int) -> None:
    """Move the chain's clock forward and mine a block (anvil/hardhat RPC)."""
    w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [seconds])
    w3.provider.make_request(RPCEndpoint("evm_mine"), [])


def snapshot(w3: Web3) -> str:
    return str(w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"])


def revert(w3: Web3, snapshot_id: str) -> None:
    result = w3.provider.make_request(RPCEndpoint("evm_revert"), [snapshot_id])
    if not result.get("result"):
        raise RuntimeError(f"evm_revert to {snapshot_id} failed: {result}")
