"""The program vector file the Solidity port is checked against: current and complete; and the
EXP/LOG step tables that Programs.sol reads (contracts/src/lib/generated/), current."""

import json

import pytest

from tools.generate import solidity_tables
from tools.generate.program_vectors import DEFAULT_PATH, generate, render
from tribunal.repops import OperandKind, OpKind, OpSpec, instruction, program_length

MIN_PROBES = 5000


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DEFAULT_PATH.read_text())


def test_committed_file_is_what_the_generator_writes() -> None:
    assert DEFAULT_PATH.read_text() == render(
        generate()
    ), "vectors/programs.json is stale: run `python -m tools.generate.program_vectors`"


def test_every_op_kind_is_probed_at_first_and_last_instructions(document: dict) -> None:
    cases = document["cases"]
    probes = document["probes"]
    assert len(probes) >= MIN_PROBES
    probed = {cases[p["caseIndex"]]["opKind"] for p in probes}
    assert probed == {int(kind) for kind in OpKind}
    firsts = {cases[p["caseIndex"]]["opKind"] for p in probes if p["index"] == 0}
    lasts = {cases[p["caseIndex"]]["opKind"] for p in probes if p["index"] == p["length"] - 1}
    assert firsts == lasts == probed


def test_layout_probes_include_padding(document: dict) -> None:
    cases = document["cases"]
    for kind in (OpKind.COPY, OpKind.GATHER_SUM):
        operand_kinds = [
            p["operands"][0 if kind is OpKind.COPY else 3]
            for p in document["probes"]
            if cases[p["caseIndex"]]["opKind"] == kind
        ]
        assert int(OperandKind.CONST) in operand_kinds, f"{kind.name} never reads padding"
        assert int(OperandKind.INPUT) in operand_kinds, f"{kind.name} never reads its input"


def test_probes_agree_with_the_registry(document: dict) -> None:
    """A spot check, from the file alone, that it says what `registry` says."""
    cases = document["cases"]
    for probe in document["probes"][:: len(document["probes"]) // 50]:
        case = cases[probe["caseIndex"]]
        if case["opKind"] == OpKind.BATCH_GATHER:
            continue  # its Python spec holds the step's rows, not the committed (seed, numRows)
        spec = OpSpec(OpKind(case["opKind"]), _signed(case))
        shapes = [tuple(s) for s in case["inputShapes"]]
        assert program_length(spec, shapes, probe["element"]) == probe["length"]
        instr = instruction(spec, shapes, probe["element"], probe["index"])
        flat = [v for o in instr.operands for v in (int(o.kind), o.a, o.b)]
        assert (int(instr.opcode), flat) == (probe["opcode"], probe["operands"])


def _signed(case: dict) -> tuple[int, ...]:
    """The committed params back as Python ints (two's complement for negative values)."""
    return tuple(v - (1 << 256) if v >= 1 << 255 else v for v in map(int, case["params"]))


def test_solidity_step_tables_are_what_the_generator_writes() -> None:
    assert solidity_tables.SOLIDITY_PATH.read_text() == solidity_tables.render(), (
        "contracts/src/lib/generated/TranscendentalTables.sol differs from "
        "tribunal.repops.ops.transcendental: run `python -m tools.generate.solidity_tables`"
    )
