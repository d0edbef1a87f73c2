// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Programs} from "./lib/Programs.sol";

/// @title ProgramRegistry
/// @notice The RepOps element programs (`Programs`, a port of `tribunal.repops.registry`) as a
///         deployed contract of their own, called by `OneStepProver`. The library alone takes most
///         of EIP-170's 24 KiB code-size limit, so it does not share a contract with the prover.
///         Stateless; both functions revert with `Errors` where the Python raises.
contract ProgramRegistry {
    /// @notice The number of instructions of output element `element`'s program.
    /// @param opKind The node's op kind (`OpKind`).
    /// @param params The node's committed params.
    /// @param inputShapes The shape words of the node's inputs, in slot order.
    /// @param outShape The node's output shape word.
    /// @param element The flat row-major index of the output element.
    /// @return The program length L.
    function programLength(
        uint8 opKind,
        uint256[] calldata params,
        bytes32[] calldata inputShapes,
        bytes32 outShape,
        uint256 element
    ) external pure returns (uint256) {
        return Programs.programLength(opKind, params, inputShapes, outShape, element);
    }

    /// @notice Instruction `i` of output element `element`'s program, operands absolute.
    /// @param opKind The node's op kind (`OpKind`).
    /// @param params The node's committed params.
    /// @param inputShapes The shape words of the node's inputs, in slot order.
    /// @param outShape The node's output shape word.
    /// @param element The flat row-major index of the output element.
    /// @param i The instruction index.
    /// @param step The training step (BATCH_GATHER draws its dataset row from it).
    /// @return The instruction.
    function instruction(
        uint8 opKind,
        uint256[] calldata params,
        bytes32[] calldata inputShapes,
        bytes32 outShape,
        uint256 element,
        uint256 i,
        uint256 step
    ) external pure returns (Programs.Instr memory) {
        return Programs.instruction(opKind, params, inputShapes, outShape, element, i, step);
    }
}
