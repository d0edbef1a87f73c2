// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {VmFiles} from "../utils/VmFiles.sol";
import {VmProgramsFiles} from "../utils/VmProgramsFiles.sol";
import {ProgramsHarness} from "./ProgramsHarness.sol";

/// @notice Loads `vectors/programs.json` (`python -m tools.generate.program_vectors`):
///         the cases (a node: op kind, committed params, shape words, step) and the probes (an
///         element and instruction index of a case, with the Python's program length and
///         instruction).
abstract contract ProgramVectors is Test {
    string internal constant VECTORS_PATH = "../vectors/programs.json";

    /// @dev Field names are the JSON keys (forge matches them by name). `modelSized`: the case is
    ///      at a small model's sizes (one per kind), not a small random one.
    struct Case {
        bool modelSized;
        uint8 opKind;
        uint256[] params;
        bytes32[] inputShapeWords;
        bytes32 outShapeWord;
        uint256 step;
    }

    /// @dev `operands`: (kind, a, b) per operand, flattened.
    struct Probe {
        uint256 caseIndex;
        uint256 element;
        uint256 length;
        uint256 index;
        uint8 opcode;
        uint256[] operands;
    }

    string private constant CASE_TYPE =
        "Case(bool modelSized,uint8 opKind,uint256[] params,bytes32[] inputShapeWords,bytes32 outShapeWord,uint256 step)";
    string private constant PROBE_TYPE =
        "Probe(uint256 caseIndex,uint256 element,uint256 length,uint256 index,uint8 opcode,uint256[] operands)";

    ProgramsHarness internal harness;

    function setUp() public virtual {
        harness = new ProgramsHarness();
    }

    function loadVectors() internal view returns (Case[] memory cases, Probe[] memory probes) {
        string memory json = VmFiles(address(vm)).readFile(VECTORS_PATH);
        VmProgramsFiles files = VmProgramsFiles(address(vm));
        cases = abi.decode(files.parseJsonTypeArray(json, ".cases", CASE_TYPE), (Case[]));
        probes = abi.decode(files.parseJsonTypeArray(json, ".probes", PROBE_TYPE), (Probe[]));
    }
}
