"""The agent runtime on a real devnet: what the loop does with errors, and when it withdraws.

A role with no work of its own runs the shared runtime (`tests/worker` and `tests/verifier` run the
real roles). Pay reaches its credit the way the market pays it: the market's account calls
`StakeManager.credit` (impersonated on anvil)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from web3.exceptions import TimeExhausted

from tests.support.chain import Devnet, actor_key
from tribunal.agents.runtime import Agent, AgentConfig
from tribunal.agents.state import AgentState, AgentStateDir, StateError
from tribunal.chain.events import ChainEvent
from tribunal.chain.session import open_session
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.state import Party

GWEI = 10**9


class IdleStateDir(AgentStateDir[AgentState]):
    STATE = AgentState


class IdleAgent(Agent[AgentState, AgentConfig]):
    """The runtime with nothing of its own to do: it follows the chain, plays no games, withdraws."""

    PARTY = Party.OPERATOR
    STATE_DIR = IdleStateDir

    def claims_for(self, task_id: int, party: Party) -> PartyClaims | None:
        return None

    def on_event(self, event: ChainEvent) -> None:
        pass

    def work(self) -> None:
        pass


def idle_agent(devnet: Devnet, deployment_file: Path, state_dir: Path) -> IdleAgent:
    session = open_session(devnet.anvil.rpc_url, deployment_file, private_key=actor_key("other"))
    return IdleAgent(session, AgentConfig(state_dir=state_dir, device="cpu"))


def pay(devnet: Devnet, account: str, amount: int) -> None:
    """Credit ``account`` as the market does when it pays a task."""
    w3, market = devnet.anvil.w3, devnet.deployment.task_market
    w3.provider.make_request("anvil_impersonateAccount", [market])  # type: ignore[arg-type]
    try:
        w3.provider.make_request("anvil_setBalance", [market, hex(10**18)])  # type: ignore[arg-type]
        stake_manager = devnet.stake_manager("other").contract
        tx = stake_manager.functions.credit(account).transact({"from": market, "value": amount})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    finally:
        w3.provider.make_request("anvil_stopImpersonatingAccount", [market])  # type: ignore[arg-type]


def withdrawals(devnet: Devnet, account: str) -> list[int]:
    """The amounts of ``account``'s `CreditWithdrawn` events, oldest first."""
    events = devnet.stake_manager("other").contract.events.CreditWithdrawn
    logs = events.get_logs(from_block=devnet.deployment.block_number, argument_filters={"account": account})
    return [int(log["args"]["amount"]) for log in logs]


@contextmanager
def mining_stopped(devnet: Devnet) -> Iterator[None]:
    """Transactions wait in the mempool; on the way out they are dropped and mining resumes."""
    w3 = devnet.anvil.w3
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield
    finally:
        w3.provider.make_request("anvil_dropAllTransactions", [])  # type: ignore[arg-type]
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def test_a_withdrawal_that_fails_is_tried_again_and_recorded_once_it_is_mined(
    devnet: Devnet, deployment_file: Path, tmp_path: Path,
) -> None:
    agent = idle_agent(devnet, deployment_file, tmp_path)
    agent.start()
    me = agent.me
    pay(devnet, me, 5 * GWEI)
    agent.client.receipt_timeout_s = 1.0
    with mining_stopped(devnet), pytest.raises(TimeExhausted):
        agent.maybe_withdraw()
    agent.client.reset_nonce()  # what the loop does after a receipt timed out
    assert agent.state is not None and agent.state.withdrawn == 0
    assert withdrawals(devnet, me) == []
    agent.tick()  # still pending: the failed attempt did not drop it
    assert withdrawals(devnet, me) == [5 * GWEI] and agent.state.withdrawn == 5 * GWEI
    assert agent.state_dir.read().withdrawn == 5 * GWEI  # saved with the withdrawal
    pay(devnet, me, 7 * GWEI)
    agent.maybe_withdraw()  # nothing pending until credit arrives
    assert withdrawals(devnet, me) == [5 * GWEI]
    agent.credit_arrived()
    agent.maybe_withdraw()
    assert withdrawals(devnet, me) == [5 * GWEI, 7 * GWEI] and agent.state.withdrawn == 12 * GWEI
    assert devnet.stake_manager("other").credit_of(me) == 0


def test_a_state_error_stops_the_loop_instead_of_being_retried(
    devnet: Devnet, deployment_file: Path, tmp_path: Path,
) -> None:
    another_key = "0x" + "ee" * 20
    IdleStateDir(tmp_path).save(AgentState(devnet.anvil.w3.eth.chain_id, devnet.deployment.task_market,
                                           another_key, cursor=0))
    agent = idle_agent(devnet, deployment_file, tmp_path)
    stop = threading.Event()
    with pytest.raises(StateError, match="use another --state-dir"):
        agent.run(stop)
    assert not stop.is_set()
    assert IdleStateDir(tmp_path).read().owner == another_key  # the other key's state is left alone
