"""The hints of `tribunal.chain.errors` name errors the contracts declare, and a decoded revert
carries its hint."""

from __future__ import annotations

import re

from tribunal.chain.errors import HINTS, ContractRevert
from tribunal.paths import REPO_ROOT

ERRORS_SOL = REPO_ROOT / "contracts" / "src" / "Errors.sol"


def test_every_hint_names_an_error_of_errors_sol() -> None:
    declared = set(re.findall(r"^\s*error\s+(\w+)\s*\(", ERRORS_SOL.read_text(), re.M))
    assert set(HINTS) - declared == set()


def test_a_wrong_job_escrow_says_what_to_send() -> None:
    revert = ContractRevert("WrongJobEscrow", {"expected": 10, "got": 9}, "post the DiLoCo job")
    assert str(revert).startswith("post the DiLoCo job: WrongJobEscrow(expected=10, got=9) — send exactly")
