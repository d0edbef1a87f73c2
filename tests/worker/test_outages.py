"""The agent outlives an RPC outage (the node unreachable for longer than the client's retries)
and a transaction that is dropped before it is mined."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from pathlib import Path

import pytest

from tests.support.agents import OPERATOR_KEYS, start_agent
from tests.support.chain import Devnet
from tests.support.specs import tiny_spec
from tests.support.submitter import Submitter
from tests.support.waiting import wait_for
from tribunal.chain.anvil import free_port
from tribunal.protocol_enums import TaskStatus
from worker.state import Phase, StateDir


class Proxy:
    """A TCP relay to ``target_port`` that can be cut (refusing and dropping connections) and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server: socket.socket | None = None
        self.up()

    def up(self) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            assert self._server is not None
            for s in [self._server, *self._sockets]:
                _close(s)
            self._sockets.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(s: socket.socket) -> None:
    """shutdown() first: close() alone does not wake a thread blocked in accept() or recv()."""
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()


def test_the_agent_survives_an_rpc_outage_and_finishes_the_task(
    devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    proxy = Proxy(devnet.anvil.port)
    task_id = submitter.post(tiny_spec(seed=31), challenge_window=3)
    state = StateDir(tmp_path / "alice")
    alice = start_agent(devnet, deployment_file, state.root, OPERATOR_KEYS["alice"], backend_url,
                        rpc_url=f"http://127.0.0.1:{proxy.port}", max_backoff_s=2.0)
    try:
        wait_for(lambda: state.exists() and task_id in state.read().tasks
                 and state.read().tasks[task_id].phase is Phase.TRAINING, 60, what="the claim")
        proxy.down()
        wait_for(lambda: any(getattr(r, "event", "") == "rpc_error" for r in caplog.records), 60,
                 what="the agent to notice the outage")
        assert alice.thread.is_alive()
        proxy.up()
        wait_for(lambda: state.read().tasks[task_id].phase is Phase.PAID, 90, what="payment after the outage")
        assert devnet.market("other").task(task_id).status is TaskStatus.FINALIZED
    finally:
        alice.halt()


def test_a_dropped_claim_is_resolved_from_the_chain_and_sent_again(
    devnet: Devnet, deployment_file: Path, submitter: Submitter, backend_url: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mining stops, the claim waits in the mempool until the receipt times out, then it is dropped:
    the agent resynchronises its nonce, finds the task still open on-chain and claims it again."""
    caplog.set_level(logging.INFO)
    w3 = devnet.anvil.w3
    state = StateDir(tmp_path / "bob")
    bob = start_agent(devnet, deployment_file, state.root, OPERATOR_KEYS["bob"], backend_url)
    try:
        wait_for(lambda: state.exists() and devnet.stake_manager("other").info(
            bob.session.client.address).bonded > 0, 60, what="the stake")
        bob.session.client.receipt_timeout_s = 2.0
        posted: list[int] = []
        w3.provider.make_request("evm_setAutomine", [False])
        try:
            poster = threading.Thread(target=lambda: posted.append(submitter.post(tiny_spec(seed=32))))
            poster.start()
            def pending() -> bool:
                return w3.provider.make_request("txpool_status", [])["result"]["pending"] not in (0, "0x0")

            wait_for(pending, 30, what="the task's transaction in the mempool")
            w3.provider.make_request("evm_mine", [])  # only the post: the agent has not seen it yet
            poster.join(timeout=30)
            (task_id,) = posted
            wait_for(lambda: any(getattr(r, "event", "") == "tx_dropped" for r in caplog.records), 60,
                     what="the claim's receipt to time out")
            w3.provider.make_request("anvil_dropAllTransactions", [])
        finally:
            w3.provider.make_request("evm_setAutomine", [True])
        wait_for(lambda: devnet.market("other").task(task_id).status is TaskStatus.FINALIZED, 90,
                 what="the task finalized after the dropped claim")
        assert state.read().tasks[task_id].phase in (Phase.SUBMITTED, Phase.PAID)
        claims = [r for r in caplog.records
                  if getattr(r, "event", "") == "claim_sent" and r.task_id == task_id]
        assert len(claims) == 1  # only the second, mined claim counts as sent
    finally:
        bob.halt()
