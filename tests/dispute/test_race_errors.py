"""The errors a dispute move treats as a lost race (not a failure) are errors the game can raise."""

from __future__ import annotations

from tribunal.chain.artifacts import load_artifact
from tribunal.dispute.player import RACE_ERRORS


def test_every_race_error_is_a_custom_error_of_the_dispute_game() -> None:
    errors = {entry["name"] for entry in load_artifact("DisputeGame").abi if entry.get("type") == "error"}
    assert errors >= RACE_ERRORS, RACE_ERRORS - errors
