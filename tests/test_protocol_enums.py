"""The protocol enums have one Python source, `tribunal.protocol_enums`, equal to the contracts'
enums member for member and in order; the dashboard's copy is generated from it and committed."""

from __future__ import annotations

import re
from enum import IntEnum
from typing import get_args

import pytest

from backend.api.schemas import DilocoJobStatusName, TaskStatusName
from tools.generate import protocol_enums as generator
from tribunal.paths import REPO_ROOT
from tribunal.protocol_enums import SOLIDITY_SOURCE, JobStatus, TaskStatus

CONTRACTS_SRC = REPO_ROOT / "contracts" / "src"


def solidity_enums(source: str) -> dict[str, list[str]]:
    """``enum Name { A, B }`` declarations of a Solidity file: name → members in order."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)
    source = re.sub(r"//[^\n]*", "", source)
    return {name: [member.strip() for member in body.split(",") if member.strip()]
            for name, body in re.findall(r"\benum\s+(\w+)\s*\{([^}]*)\}", source)}


def upper_snake(name: str) -> str:
    """``OperatorWon`` → ``OPERATOR_WON``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


@pytest.mark.parametrize("enum", list(SOLIDITY_SOURCE), ids=[enum.__name__ for enum in SOLIDITY_SOURCE])
def test_each_python_enum_equals_its_solidity_enum(enum: type[IntEnum]) -> None:
    declared = solidity_enums((CONTRACTS_SRC / SOLIDITY_SOURCE[enum]).read_text())
    assert enum.__name__ in declared, f"no `enum {enum.__name__}` in contracts/src/{SOLIDITY_SOURCE[enum]}"
    assert [(member.name, member.value) for member in enum] == [
        (upper_snake(name), value) for value, name in enumerate(declared[enum.__name__])]


def test_every_enum_of_those_files_has_its_python_twin() -> None:
    declared = {name for file in set(SOLIDITY_SOURCE.values())
                for name in solidity_enums((CONTRACTS_SRC / file).read_text())}
    assert declared == {enum.__name__ for enum in SOLIDITY_SOURCE}


def test_the_parser_reads_commented_enums() -> None:
    source = ("/// @notice x\nenum Kind {\n    /// first\n    OneStep, // the { first }\n"
              "    /* b */ InitState\n}\n")
    assert solidity_enums(source) == {"Kind": ["OneStep", "InitState"]}
    assert [upper_snake(name) for name in solidity_enums(source)["Kind"]] == ["ONE_STEP", "INIT_STATE"]


def test_the_api_s_task_status_names_are_the_enum_s() -> None:
    named = [status.name for status in TaskStatus if status is not TaskStatus.NONE]
    assert list(get_args(TaskStatusName)) == named


def test_the_api_s_diloco_job_status_names_are_the_enum_s() -> None:
    named = [status.name for status in JobStatus if status is not JobStatus.NONE]
    assert list(get_args(DilocoJobStatusName)) == named


def test_the_dashboard_s_committed_copy_is_the_generated_one() -> None:
    assert generator.main(["--check"]) == 0, (
        f"{generator.TYPESCRIPT_PATH} is stale: run `.venv/bin/python -m tools.generate.protocol_enums`")
