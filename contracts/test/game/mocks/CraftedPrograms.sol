// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Float32} from "../../../src/lib/Float32.sol";
import {Programs} from "../../../src/lib/Programs.sol";

/// @notice A stand-in for `ProgramRegistry` that yields one crafted instruction whatever it is
///         asked: `ADD(TEMP temp, CONST 0)`. The real programs never read a TEMP at or after the
///         instruction itself; this lets a test hand the prover one that does.
contract CraftedPrograms {
    /// @notice The TEMP index the crafted instruction reads.
    uint256 public immutable TEMP_INDEX;

    /// @param temp The TEMP index the crafted instruction reads.
    constructor(uint256 temp) {
        TEMP_INDEX = temp;
    }

    /// @notice Same selector as `ProgramRegistry.instruction`; the arguments are ignored.
    function instruction(uint8, uint256[] calldata, bytes32[] calldata, bytes32, uint256, uint256, uint256)
        external
        view
        returns (Programs.Instr memory ins)
    {
        ins.opcode = Float32.ADD;
        ins.arity = 2;
        ins.operands[0] = Programs.Operand({kind: Programs.TEMP, a: TEMP_INDEX, b: 0});
        ins.operands[1] = Programs.Operand({kind: Programs.CONST, a: 0, b: 0});
    }
}
