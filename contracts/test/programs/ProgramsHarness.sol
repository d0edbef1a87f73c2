// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Programs} from "../../src/lib/Programs.sol";

/// @notice External entry points to the `Programs` library, so that tests call it in a fresh call
///         frame (clean memory, as the dispute game's one step does) and can expect its reverts.
contract ProgramsHarness {
    function programLength(
        uint8 opKind,
        uint256[] memory params,
        bytes32[] memory inputShapes,
        bytes32 outShape,
        uint256 element
    ) external pure returns (uint256) {
        return Programs.programLength(opKind, params, inputShapes, outShape, element);
    }

    function instruction(
        uint8 opKind,
        uint256[] memory params,
        bytes32[] memory inputShapes,
        bytes32 outShape,
        uint256 element,
        uint256 i,
        uint256 step
    ) external pure returns (Programs.Instr memory) {
        return Programs.instruction(opKind, params, inputShapes, outShape, element, i, step);
    }

    /// @notice Gas of one internal `Programs.instruction` call, arguments already in memory.
    function instructionGas(
        uint8 opKind,
        uint256[] memory params,
        bytes32[] memory inputShapes,
        bytes32 outShape,
        uint256 element,
        uint256 i,
        uint256 step
    ) external view returns (uint256 gasUsed, uint8 opcode) {
        uint256 before = gasleft();
        Programs.Instr memory ins = Programs.instruction(opKind, params, inputShapes, outShape, element, i, step);
        gasUsed = before - gasleft();
        opcode = ins.opcode;
    }

    /// @notice Gas of one internal `Programs.programLength` call, arguments already in memory.
    function programLengthGas(
        uint8 opKind,
        uint256[] memory params,
        bytes32[] memory inputShapes,
        bytes32 outShape,
        uint256 element
    ) external view returns (uint256 gasUsed, uint256 length) {
        uint256 before = gasleft();
        length = Programs.programLength(opKind, params, inputShapes, outShape, element);
        gasUsed = before - gasleft();
    }
}
