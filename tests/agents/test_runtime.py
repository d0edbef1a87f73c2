"""The agent runtime without a chain: what the loop does with errors, and when it withdraws.

A fake session stands in for the chain (`tests/worker` and `tests/verifier` run the roles on a
real anvil)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from web3.exceptions import TimeExhausted

from tribunal.agents.runtime import Agent, AgentConfig
from tribunal.agents.state import AgentState, AgentStateDir, StateError
from tribunal.dispute.state import Party

ME = "0x" + "cd" * 20
MARKET = "0x" + "ab" * 20


@dataclass
class FakeStakeManager:
    credit: int = 0
    fail_next_withdrawal: bool = False
    withdrawals: list[int] = field(default_factory=list)

    def credit_of(self, _account: str) -> int:
        return self.credit

    def withdraw_credit(self) -> Any:
        if self.fail_next_withdrawal:
            self.fail_next_withdrawal = False
            raise TimeExhausted("no receipt")
        self.withdrawals.append(self.credit)
        self.credit = 0
        return SimpleNamespace(tx_hash="0x01")


class FakeStateDir(AgentStateDir[AgentState]):
    STATE = AgentState


class FakeAgent(Agent[AgentState, AgentConfig]):
    PARTY = Party.OPERATOR
    STATE_DIR = FakeStateDir

    def work(self) -> None:
        pass


def fake_agent(tmp_path: Path, stake_manager: FakeStakeManager) -> FakeAgent:
    client = SimpleNamespace(address=ME, chain_id=31337, reset_nonce=lambda: None)
    session = SimpleNamespace(client=client, game=None, stake_manager=stake_manager,
                              deployment=SimpleNamespace(block_number=1, task_market=MARKET))
    agent = FakeAgent(session, AgentConfig(state_dir=tmp_path, device="cpu"))  # type: ignore[arg-type]
    agent.state = AgentState(31337, MARKET, ME, cursor=0)
    return agent


def test_a_withdrawal_that_fails_is_tried_again_and_recorded_once_it_is_mined(tmp_path: Path) -> None:
    stake_manager = FakeStakeManager(credit=5, fail_next_withdrawal=True)
    agent = fake_agent(tmp_path, stake_manager)
    with pytest.raises(TimeExhausted):
        agent.maybe_withdraw()
    assert agent.state is not None and agent.state.withdrawn == 0
    agent.maybe_withdraw()  # still pending: the failed attempt did not drop it
    assert stake_manager.withdrawals == [5] and agent.state.withdrawn == 5
    assert agent.state_dir.read().withdrawn == 5  # saved with the withdrawal
    stake_manager.credit = 7
    agent.maybe_withdraw()  # nothing pending until credit arrives
    assert stake_manager.withdrawals == [5]
    agent.credit_arrived()
    agent.maybe_withdraw()
    assert stake_manager.withdrawals == [5, 7] and agent.state.withdrawn == 12


def test_a_state_error_stops_the_loop_instead_of_being_retried(tmp_path: Path) -> None:
    directory = FakeStateDir(tmp_path)
    directory.save(AgentState(31337, MARKET, "0x" + "ee" * 20, cursor=0))  # another key's state
    agent = fake_agent(tmp_path, FakeStakeManager())
    agent.state = None
    stop = threading.Event()
    with pytest.raises(StateError, match="use another --state-dir"):
        agent.run(stop)
    assert not stop.is_set()
