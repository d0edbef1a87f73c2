// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IOneStepProver, InputShape, OperandProof, StepContext} from "../../../src/IOneStepProver.sol";
import {Commitments} from "../../../src/lib/Commitments.sol";
import {Merkle} from "../../../src/lib/Merkle.sol";

/// @notice The toy programs' first intermediate, shared by the prover and the test worlds.
library Alphabet {
    /// @notice Intermediate 0 of element `element` of node `node` at step `step`.
    function seed(uint256 step, uint256 node, uint256 element) internal pure returns (uint32) {
        return uint32(uint256(keccak256(abi.encode("alphabet", step, node, element))));
    }
}

/// @notice A toy one-step prover in the manner of Optimism's AlphabetVM, so the game can be tested
///         apart from the RepOps programs and the soft-float. A node's descriptor carries its program
///         length as params[0]. Element e of node n at step t runs
///         `v_0 = seed(t, n, e)`, `v_i = v_{i-1} + 1` (mod 2^32): instruction 0 reads nothing,
///         instruction i > 0 reads intermediate i - 1 (a TEMP operand), from the instruction's own
///         leaf or, in an earlier leaf, with a proof against the operator's intermediates root.
contract AlphabetProver is IOneStepProver {
    error TempProofInvalid(uint256 leafIndex);

    uint8 internal constant ADD = 1;

    /// @inheritdoc IOneStepProver
    function programLength(StepContext calldata, bytes calldata descriptor, InputShape[] calldata)
        external
        pure
        returns (uint256)
    {
        (,, uint256[] memory params,,) = abi.decode(descriptor, (uint256, uint8, uint256[], uint256[], uint256[]));
        return params[0];
    }

    /// @inheritdoc IOneStepProver
    function step(StepContext calldata ctx, bytes calldata, InputShape[] calldata, OperandProof[] calldata operands)
        external
        pure
        returns (uint8 opcode, uint32[3] memory operandValues, uint32 result)
    {
        uint256 i = ctx.instruction;
        if (i == 0) return (ADD, operandValues, Alphabet.seed(ctx.step, ctx.node, ctx.element));
        bytes32 leaf = (i - 1) / 8 == i / 8 ? ctx.instructionLeaf : _provenLeaf(ctx, operands[0], (i - 1) / 8);
        uint32 prev = Commitments.leafLane(leaf, (i - 1) % 8);
        operandValues[0] = prev;
        operandValues[1] = 1;
        unchecked {
            result = prev + 1;
        }
        opcode = ADD;
    }

    function _provenLeaf(StepContext calldata ctx, OperandProof calldata temp, uint256 leafIndex)
        private
        pure
        returns (bytes32)
    {
        uint256 numLeaves = Commitments.numLeavesFor(ctx.programLength);
        if (!Merkle.verify(temp.leaf, leafIndex, temp.leafProof, ctx.intermediatesRoot, numLeaves)) {
            revert TempProofInvalid(leafIndex);
        }
        return temp.leaf;
    }
}
