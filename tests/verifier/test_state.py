"""The verifier's state directory: round trips, and the state files of earlier versions load."""

from __future__ import annotations

import json
from pathlib import Path

from tribunal.dispute.state import GameStatus, Resolution
from verifier.state import CheckRecord, GameRecord, StateDir

MARKET = "0x" + "ab" * 20
ME = "0x" + "cd" * 20
OTHER = "0x" + "ee" * 20


def test_state_round_trips_through_the_file(tmp_path: Path) -> None:
    directory = StateDir(tmp_path)
    state = directory.load_or_create(31337, MARKET, ME, start_block=12)
    state.spec_uris[3] = "http://x"
    state.checks[3] = CheckRecord(3, "0x" + "01" * 32, OTHER, status="done", verdict="faulty", game_id=1)
    state.games[1] = GameRecord(1, 3, ME, "challenger")
    state.games[1].resolve(GameStatus.CHALLENGER_WON, Resolution.ONE_STEP)
    state.games[2] = GameRecord(2, 3, OTHER)
    state.withdrawn = 10**18
    directory.save(state)
    again = StateDir(tmp_path).read()
    assert again == state
    assert again.games[1].won is True and again.games[1].describe_outcome() == "challenger_won (one_step)"
    assert not again.games[2].ours and again.games[2].won is None


def test_a_game_closed_while_queued_is_neither_won_nor_lost(tmp_path: Path) -> None:
    directory = StateDir(tmp_path)
    state = directory.load_or_create(31337, MARKET, ME, start_block=1)
    state.games[4] = GameRecord(4, 3, ME, "challenger")
    state.games[5] = GameRecord(5, 3, ME, "challenger")
    state.games[4].withdraw(moot=True)
    state.games[5].resolve(GameStatus.WITHDRAWN, Resolution.ONE_STEP)  # a status alone says "withdrawn"
    directory.save(state)
    again = StateDir(tmp_path).read()
    moot, withdrawn = again.games[4], again.games[5]
    assert (moot.outcome, moot.resolution, moot.withdrawn, moot.won) == ("moot", "", True, None)
    assert (withdrawn.outcome, withdrawn.withdrawn, withdrawn.won) == ("withdrawn", True, None)
    assert moot.describe_outcome() == "moot"


def test_a_version_1_verifier_state_still_loads(tmp_path: Path) -> None:
    """Before one game record served every role, the verifier kept ``ours`` and "status (resolution)"."""
    directory = StateDir(tmp_path)
    directory.path.write_text(json.dumps({
        "version": 1, "chain_id": 31337, "market": MARKET, "verifier": ME, "cursor": 9,
        "spec_uris": {"3": "http://x"}, "checks": {},
        "games": {"1": {"game_id": 1, "task_id": 3, "challenger": ME, "ours": True,
                        "outcome": "operator_won (timeout)"},
                  "2": {"game_id": 2, "task_id": 3, "challenger": OTHER, "ours": False, "outcome": ""}},
        "withdrawn": "5",
    }))
    state = directory.load_or_create(31337, MARKET, ME, start_block=0)
    assert (state.owner, state.cursor, state.withdrawn, state.spec_uris) == (ME, 9, 5, {3: "http://x"})
    ours, theirs = state.games[1], state.games[2]
    assert (ours.party, ours.outcome, ours.resolution) == ("challenger", "operator_won", "timeout")
    assert ours.won is False
    assert (theirs.party, theirs.challenger, theirs.outcome) == ("", OTHER, "")
