"""The state directory: round trips, refuses another chain's or key's state, one agent at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from worker.state import Candidate, GameRecord, Phase, StateDir, StateError, TaskRecord

MARKET = "0x" + "ab" * 20
ME = "0x" + "cd" * 20


def test_state_round_trips_through_the_file(tmp_path: Path) -> None:
    directory = StateDir(tmp_path)
    state = directory.load_or_create(31337, MARKET, ME, start_block=12)
    assert state.cursor == 11 and not directory.exists()
    state.tasks[3] = TaskRecord(3, Phase.TRAINING, "0x" + "01" * 32, "http://x", 40, 10**18, 2 * 10**18, 99,
                                checkpoints={10: "0x" + "02" * 32}, txs={"claim": "0xabc"})
    state.candidates[4] = Candidate(4, "http://y", refused="roots differ")
    state.games[1] = GameRecord(1, 3, "0x" + "ee" * 20, "operator")
    state.earned = 5 * 10**18
    directory.save(state)
    again = StateDir(tmp_path).load_or_create(31337, MARKET.upper().replace("0X", "0x"), ME, start_block=12)
    assert again == state
    assert again.tasks[3].checkpoints == {10: "0x" + "02" * 32}
    assert [t.task_id for t in again.active_tasks()] == [3]


def test_state_of_another_chain_market_or_key_is_refused(tmp_path: Path) -> None:
    directory = StateDir(tmp_path)
    directory.save(directory.load_or_create(1, MARKET, ME, 0))
    for chain, market, me in [(2, MARKET, ME), (1, "0x" + "ee" * 20, ME), (1, MARKET, "0x" + "ee" * 20)]:
        with pytest.raises(StateError, match="use another --state-dir"):
            directory.load_or_create(chain, market, me, 0)


def test_a_torn_state_file_says_how_to_recover(tmp_path: Path) -> None:
    directory = StateDir(tmp_path)
    directory.path.write_text('{"version": 1, "chain')
    with pytest.raises(StateError, match="rebuilds its state from the chain"):
        directory.read()


def test_one_agent_per_state_dir(tmp_path: Path) -> None:
    first, second = StateDir(tmp_path), StateDir(tmp_path)
    first.lock()
    with pytest.raises(StateError, match="another agent is running"):
        second.lock()
    first.unlock()
    second.lock()
    second.unlock()


def test_a_version_1_operator_state_still_loads(tmp_path: Path) -> None:
    """Before one game record served every role, the operator kept its side and won/lost."""
    directory = StateDir(tmp_path)
    directory.path.write_text(json.dumps({
        "version": 1, "chain_id": 31337, "market": MARKET, "operator": ME, "cursor": 7,
        "tasks": {},
        "candidates": {"4": {"task_id": 4, "spec_uri": "http://y", "refused": "", "taken": True}},
        "games": {"1": {"game_id": 1, "task_id": 3, "party": "operator", "outcome": "won"},
                  "2": {"game_id": 2, "task_id": 5, "party": "operator", "outcome": "lost"},
                  "3": {"game_id": 3, "task_id": 6, "party": "operator", "outcome": ""}},
        "elements_per_s": 1.5, "earned": "10", "withdrawn": "4",
    }))
    state = directory.load_or_create(31337, MARKET, ME, start_block=0)
    assert (state.owner, state.cursor, state.earned, state.withdrawn) == (ME, 7, 10, 4)
    won, lost, active = state.games[1], state.games[2], state.games[3]
    assert (won.outcome, won.won) == ("operator_won", True)
    assert (lost.outcome, lost.won) == ("challenger_won", False)
    assert (active.outcome, active.won, active.ours) == ("", None, True)
    directory.save(state)
    assert StateDir(tmp_path).read() == state
    assert json.loads(directory.path.read_text())["version"] == 2
