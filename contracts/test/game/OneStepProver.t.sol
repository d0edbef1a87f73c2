// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "../../src/Errors.sol";
import {InputShape, OperandProof, StepContext} from "../../src/IOneStepProver.sol";
import {OneStepProver} from "../../src/OneStepProver.sol";
import {ProgramRegistry} from "../../src/ProgramRegistry.sol";
import {Float32} from "../../src/lib/Float32.sol";
import {Programs} from "../../src/lib/Programs.sol";
import {Test} from "../utils/Test.sol";
import {VmGame} from "../utils/VmGame.sol";
import {CraftedPrograms} from "./mocks/CraftedPrograms.sol";
import {FullTree, TestTree} from "./utils/TestTree.sol";
import {RealWorld} from "./utils/RealWorld.sol";

/// @notice The real one-step prover on a small real step (`RealWorld`): every operand source
///         (STATE at step 0 and later, NODE, DATASET via BATCH_GATHER, TEMP in the instruction's
///         leaf and in an earlier one, CONST) and every rejected proof.
contract OneStepProverTest is Test, RealWorld {
    using TestTree for FullTree;

    VmGame internal constant vmGame = VmGame(address(uint160(uint256(keccak256("hevm cheat code")))));

    OneStepProver internal prover;

    function setUp() public {
        prover = new OneStepProver(new ProgramRegistry());
    }

    struct Call {
        StepContext ctx;
        bytes descriptor;
        InputShape[] inputs;
        OperandProof[] operands;
    }

    function _call(World memory w, uint256 step, uint256 n, uint256 e, uint256 i)
        internal
        pure
        returns (Call memory c)
    {
        FullTree memory intermediates;
        (c.ctx, intermediates) = _context(w, step, n, e, i);
        c.descriptor = _descriptor(w, n);
        c.inputs = _inputShapes(w, step, n);
        c.operands = _operandProofs(w, step, n, e, i, intermediates);
    }

    function _expect(World memory w, Call memory c, uint8 opcode, uint32 a, uint32 b) internal view {
        (uint8 op, uint32[3] memory values, uint32 result) = prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
        assertEq(uint256(op), uint256(opcode), "opcode");
        assertEq(uint256(values[0]), uint256(a), "operand 0");
        assertEq(uint256(values[1]), uint256(b), "operand 1");
        uint32[] memory honest = _intermediates(w, c.ctx.step, c.ctx.node, c.ctx.element);
        assertEq(uint256(result), uint256(honest[c.ctx.instruction]), "result is the honest intermediate");
        assertEq(uint256(result), uint256(Float32.execute(opcode, a, b, 0)), "result");
    }

    // ---------------------------------------------------------------- deployment

    function test_constructor_zeroRegistry_reverts() public {
        vm.expectRevert(Errors.ZeroAddress.selector);
        new OneStepProver(ProgramRegistry(address(0)));
    }

    /// @notice EIP-170: deployed code at most 24 KiB (anvil and every mainnet enforce it).
    function test_codeSizes_fitEip170() public view {
        assertLe(address(prover).code.length, 24_576, "OneStepProver");
        assertLe(address(prover.PROGRAMS()).code.length, 24_576, "ProgramRegistry");
    }

    // ---------------------------------------------------------------- operand sources

    function test_programLength_ofMatmulAndElementwise() public view {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 0, 3, 0);
        assertEq(prover.programLength(c.ctx, c.descriptor, c.inputs), 10);
        c = _call(w, 0, 1, 2, 0);
        assertEq(prover.programLength(c.ctx, c.descriptor, c.inputs), 1);
    }

    function test_step_matmulMul_readsStateTensorsOfInitialState() public view {
        World memory w = _buildWorld();
        // element 3 = (row 1, column 1); instruction 4 = MUL(A[1, 2], B[2, 1])
        _expect(w, _call(w, 0, 0, 3, 4), Float32.MUL, w.slots[1].values[7], w.slots[2].values[5]);
    }

    function test_step_matmulFirstAdd_readsConstantAndTempOfSameLeaf() public view {
        World memory w = _buildWorld();
        uint32[] memory im = _intermediates(w, 0, 0, 3);
        _expect(w, _call(w, 0, 0, 3, 1), Float32.ADD, 0, im[0]);
    }

    function test_step_matmulLastAdd_readsTempFromEarlierLeafByProof() public view {
        World memory w = _buildWorld();
        uint32[] memory im = _intermediates(w, 0, 0, 3);
        // instruction 9 = ADD(acc = TEMP 7 in leaf 0, TEMP 8 in the instruction's own leaf 1)
        Call memory c = _call(w, 0, 0, 3, 9);
        assertEq(c.operands[0].leafProof.length, 1);
        assertEq(c.operands[1].leafProof.length, 0);
        _expect(w, c, Float32.ADD, im[7], im[8]);
    }

    function test_step_binary_readsEarlierNodeOutputAndState() public view {
        World memory w = _buildWorld();
        _expect(w, _call(w, 0, 1, 2, 0), Float32.ADD, w.outputs[0].values[2], w.slots[0].values[2]);
    }

    function test_step_batchGather_readsDatasetRow() public view {
        World memory w = _buildWorld();
        uint256 row = uint256(keccak256(abi.encode(BATCH_SEED, uint256(0), uint256(1)))) % DATASET_ROWS;
        _expect(w, _call(w, 0, 2, 4, 0), Float32.COPY, w.dataset.values[row * DATASET_WIDTH + 1], 0);
    }

    function test_step_stateAfterFirstStep_readsProducerOutput() public view {
        World memory w = _buildWorld();
        // at step 1, slot 0 (W) is node 1's output of step 0: leaf 1 of h_1
        Call memory c = _call(w, 1, 3, 3, 0);
        assertEq(c.inputs[0].tensorRoot, w.outputs[1].root);
        _expect(w, c, Float32.COPY, w.outputs[1].values[3], 0);
    }

    // ---------------------------------------------------------------- rejected evidence

    function test_step_wrongInputCount_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 0, 3, 4);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongInputCount.selector, 2, 0));
        prover.step(c.ctx, c.descriptor, new InputShape[](0), c.operands);
    }

    function test_step_badInputProof_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 0, 3, 4);
        c.inputs[1].rootProof[0] = keccak256("wrong");
        vm.expectRevert(abi.encodeWithSelector(Errors.InputProofInvalid.selector, 1, 2, 2, 2));
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_wrongInputShape_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 0, 3, 4);
        c.inputs[0].shapeWord = bytes32(uint256(c.inputs[0].shapeWord) + 1);
        vmGame.expectPartialRevert(Errors.InputRootMismatch.selector);
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_wrongDatasetShape_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 2, 4, 0);
        c.inputs[0].shapeWord = bytes32(uint256(c.inputs[0].shapeWord) + 1);
        vmGame.expectPartialRevert(Errors.InputRootMismatch.selector);
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_datasetNotAMatrix_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 2, 1, 0);
        // a dataset committed as a vector of 12 rows of width 1
        uint256 rows = DATASET_ROWS * DATASET_WIDTH;
        bytes32 vectorWord = bytes32((uint256(1) << 248) | (rows << 216));
        w.nodes[2].params[1] = rows;
        w.nodes[2].shape = _dims(2);
        c.descriptor = _descriptor(w, 2);
        c.ctx.datasetRoot = keccak256(abi.encodePacked(w.dataset.rowsTree.root(), vectorWord));
        c.inputs[0].shapeWord = vectorWord;
        vm.expectRevert(abi.encodeWithSelector(Errors.DatasetShapeInvalid.selector, vectorWord));
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_nodeInputNotEarlier_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 1, 2, 0);
        c.ctx.node = 0; // node 1's descriptor read as if it were node 0: its NODE 0 input is not earlier
        vm.expectRevert(abi.encodeWithSelector(Errors.InputNotEarlier.selector, 0, 0, 0));
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_unknownInputKind_reverts() public {
        World memory w = _buildWorld();
        w.nodes[3].refs[0] = 3 << 248;
        Call memory c = _call(w, 0, 0, 3, 4);
        c.descriptor = _descriptor(w, 3);
        c.inputs = new InputShape[](1);
        vm.expectRevert(abi.encodeWithSelector(Errors.UnknownInputKind.selector, 0, 3));
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_wrongOperandCount_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 0, 3, 4);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongOperandCount.selector, 2, 1));
        prover.step(c.ctx, c.descriptor, c.inputs, new OperandProof[](1));
    }

    function test_step_badTensorElementProof_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 0, 3, 4);
        c.operands[1].leaf = keccak256("wrong leaf");
        vm.expectRevert(abi.encodeWithSelector(Errors.OperandProofInvalid.selector, 1, 0, 1, 1));
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_badTempProof_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 0, 3, 9);
        c.operands[0].leafProof[0] = keccak256("wrong");
        vm.expectRevert(abi.encodeWithSelector(Errors.OperandProofInvalid.selector, 0, 0, 1, 1));
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_badDatasetRowProof_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 2, 4, 0);
        c.operands[0].rowProof[1] = keccak256("wrong");
        vmGame.expectPartialRevert(Errors.OperandProofInvalid.selector);
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_badDatasetElementProof_reverts() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 2, 4, 0);
        c.operands[0].leaf = keccak256("wrong");
        vm.expectRevert(abi.encodeWithSelector(Errors.OperandProofInvalid.selector, 0, 0, 0, 0));
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    function test_step_instructionBeyondProgram_revertsInPrograms() public {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 0, 3, 4);
        c.ctx.instruction = 10;
        vmGame.expectPartialRevert(bytes4(keccak256("InstructionOutOfRange(uint256,uint256)")));
        prover.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    // ---------------------------------------------------------------- TEMP operands must be earlier

    /// @dev Instruction 1 of element 3 of node 0 (a real call: its leaf holds intermediates 0..7),
    ///      proven by a prover whose program reads TEMP `temp` there.
    function _stepWithTemp(uint256 temp) internal {
        World memory w = _buildWorld();
        Call memory c = _call(w, 0, 0, 3, 1);
        OneStepProver crafted = new OneStepProver(ProgramRegistry(address(new CraftedPrograms(temp))));
        vm.expectRevert(abi.encodeWithSelector(Errors.TempNotEarlier.selector, 0, temp, 1));
        crafted.step(c.ctx, c.descriptor, c.inputs, c.operands);
    }

    /// @notice TEMP i would read the operator's own claim for instruction i from its leaf.
    function test_step_tempIsTheInstruction_reverts() public {
        _stepWithTemp(1);
    }

    /// @notice A later lane of the operator's leaf is not agreed either.
    function test_step_tempAfterInstruction_reverts() public {
        _stepWithTemp(2);
    }
}
