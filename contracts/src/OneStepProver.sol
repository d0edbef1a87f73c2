// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "./Errors.sol";
import {IOneStepProver, InputShape, OperandProof, StepContext} from "./IOneStepProver.sol";
import {Commitments} from "./lib/Commitments.sol";
import {Float32} from "./lib/Float32.sol";
import {Merkle} from "./lib/Merkle.sol";
import {ProgramRegistry} from "./ProgramRegistry.sol";
import {Programs} from "./lib/Programs.sol";
import {ShapeWords} from "./lib/ShapeWords.sol";

/// @title OneStepProver
/// @notice The dispute's level 7 (`docs/protocol.md, "The dispute game"`, ONE STEP): derives instruction i of
///         element e of node n from the node's descriptor and its input shapes (`Programs`, a port
///         of `tribunal.repops.registry.instruction`, deployed as `ProgramRegistry`), reads every operand from agreed data with
///         Merkle proofs (`Merkle`, `Commitments`), and executes the float32 primitive (`Float32`). Stateless.
///
///         Where operands come from (all agreed by both parties, or the operator's own root where
///         only agreed leaves of it are read):
///         - the input shapes: input `k` of the descriptor names its tensor by an input ref
///           (`tribunal/graph.py`): NODE `m < n` is leaf m of the operator's h_{t+1} (leaves left
///           of n are agreed); STATE `(producer, slot)` is leaf `slot` of h_0 when t = 0, else leaf
///           `producer` of h_t; DATASET is the task's dataset root. The caller shows the tensor
///           root with its proof and the (data root, shape word) that hash to it.
///         - INPUT (slot, index): the leaf holding element `index` under that input's data root
///           (DATASET: the row `index / width` under the rows root, then element `index % width`
///           under the row's tensor root).
///         - TEMP j < i: leaf j / 8 of the operator's intermediates (agreed left of i), or the
///           operator's instruction leaf itself when j shares it (its lanes below i % 8 are agreed).
///         - CONST: the bits in the program.
///
///         Gas: see `contracts/GAS-dispute.md` (one step with the prover, per op kind measured).
contract OneStepProver is IOneStepProver {
    /// @notice The RepOps element programs.
    ProgramRegistry public immutable PROGRAMS;

    /// @dev Input refs (`tribunal/graph.py`): the top byte is the kind, the rest the index.
    uint256 private constant REF_KIND_SHIFT = 248;
    uint256 private constant REF_INDEX_MASK = (uint256(1) << 248) - 1;
    uint256 private constant PRODUCER_SHIFT = 64;
    uint256 private constant SLOT_MASK = (uint256(1) << 64) - 1;
    uint256 private constant REF_NODE = 0;
    uint256 private constant REF_STATE = 1;
    uint256 private constant REF_DATASET = 2;

    /// @dev A decoded node descriptor.
    struct Node {
        uint8 opKind;
        uint256[] params;
        uint256[] inputRefs;
        bytes32 outShape;
    }

    /// @dev The node's inputs once their shapes are proven.
    struct Inputs {
        uint256[] refs;
        bytes32[] shapes;
        bytes32[] dataRoots;
    }

    /// @param programs The deployed `ProgramRegistry` (non-zero).
    constructor(ProgramRegistry programs) {
        if (address(programs) == address(0)) revert Errors.ZeroAddress();
        PROGRAMS = programs;
    }

    /// @inheritdoc IOneStepProver
    function programLength(StepContext calldata ctx, bytes calldata descriptor, InputShape[] calldata inputs)
        external
        view
        returns (uint256)
    {
        Node memory node = _decode(descriptor);
        Inputs memory proven = _inputs(ctx, node.inputRefs, inputs);
        return PROGRAMS.programLength(node.opKind, node.params, proven.shapes, node.outShape, ctx.element);
    }

    /// @inheritdoc IOneStepProver
    function step(
        StepContext calldata ctx,
        bytes calldata descriptor,
        InputShape[] calldata inputs,
        OperandProof[] calldata operands
    ) external view returns (uint8 opcode, uint32[3] memory operandValues, uint32 result) {
        Node memory node = _decode(descriptor);
        Inputs memory proven = _inputs(ctx, node.inputRefs, inputs);
        Programs.Instr memory ins = _instruction(ctx, node, proven.shapes);
        if (operands.length != ins.arity) revert Errors.WrongOperandCount(ins.arity, operands.length);
        for (uint256 k = 0; k < ins.arity; k++) {
            operandValues[k] = _operand(ctx, ins.operands[k], proven, operands[k], k);
        }
        opcode = ins.opcode;
        result = Float32.execute(opcode, operandValues[0], operandValues[1], operandValues[2]);
    }

    // ---------------------------------------------------------------- descriptor and inputs

    function _decode(bytes calldata descriptor) private pure returns (Node memory node) {
        uint256[] memory shape;
        (, node.opKind, node.params, node.inputRefs, shape) =
            abi.decode(descriptor, (uint256, uint8, uint256[], uint256[], uint256[]));
        node.outShape = ShapeWords.encode(shape);
    }

    function _instruction(StepContext calldata ctx, Node memory node, bytes32[] memory shapes)
        private
        view
        returns (Programs.Instr memory)
    {
        return PROGRAMS.instruction(
            node.opKind, node.params, shapes, node.outShape, ctx.element, ctx.instruction, ctx.step
        );
    }

    /// @dev The shape word and data root of every input, each proven against an agreed root.
    function _inputs(StepContext calldata ctx, uint256[] memory refs, InputShape[] calldata inputs)
        private
        pure
        returns (Inputs memory proven)
    {
        if (inputs.length != refs.length) revert Errors.WrongInputCount(refs.length, inputs.length);
        proven.refs = refs;
        proven.shapes = new bytes32[](refs.length);
        proven.dataRoots = new bytes32[](refs.length);
        for (uint256 k = 0; k < refs.length; k++) {
            InputShape calldata input = inputs[k];
            bytes32 tensorRoot = _inputTensorRoot(ctx, refs[k], input, k);
            bytes32 bound = Commitments.bindShape(input.dataRoot, input.shapeWord);
            if (bound != tensorRoot) revert Errors.InputRootMismatch(k, bound, tensorRoot);
            proven.shapes[k] = input.shapeWord;
            proven.dataRoots[k] = input.dataRoot;
        }
    }

    /// @dev The agreed tensor root of input `k` (its proof checked), or the dataset root.
    function _inputTensorRoot(StepContext calldata ctx, uint256 ref, InputShape calldata input, uint256 k)
        private
        pure
        returns (bytes32)
    {
        uint256 kind = ref >> REF_KIND_SHIFT;
        uint256 index = ref & REF_INDEX_MASK;
        if (kind == REF_DATASET) return ctx.datasetRoot;
        bytes32 commitment;
        uint256 leafIndex;
        uint256 numLeaves;
        if (kind == REF_NODE) {
            // INVARIANT: only outputs of nodes before n are agreed leaves of the operator's h_{t+1}.
            if (index >= ctx.node) revert Errors.InputNotEarlier(k, index, ctx.node);
            (commitment, leafIndex, numLeaves) = (ctx.nextStateRoot, index, ctx.numNodes);
        } else if (kind == REF_STATE) {
            commitment = ctx.stateRoot;
            // h_0 holds the initial state by slot; h_t (t >= 1) the outputs of step t-1 by node.
            (leafIndex, numLeaves) =
                ctx.step == 0 ? (index & SLOT_MASK, ctx.numSlots) : (index >> PRODUCER_SHIFT, ctx.numNodes);
        } else {
            revert Errors.UnknownInputKind(k, kind);
        }
        if (!Merkle.verify(input.tensorRoot, leafIndex, input.rootProof, commitment, numLeaves)) {
            revert Errors.InputProofInvalid(k, leafIndex, input.rootProof.length, Merkle.treeDepth(numLeaves));
        }
        return input.tensorRoot;
    }

    // ---------------------------------------------------------------- operands

    function _operand(
        StepContext calldata ctx,
        Programs.Operand memory operand,
        Inputs memory proven,
        OperandProof calldata proof,
        uint256 k
    ) private pure returns (uint32) {
        if (operand.kind == Programs.CONST) return uint32(operand.a);
        if (operand.kind == Programs.TEMP) return _temp(ctx, operand.a, proof, k);
        uint256 slot = operand.a;
        if (proven.refs[slot] >> REF_KIND_SHIFT == REF_DATASET) {
            return _datasetElement(proven.shapes[slot], proven.dataRoots[slot], operand.b, proof, k);
        }
        return _tensorElement(proven.shapes[slot], proven.dataRoots[slot], operand.b, proof, k);
    }

    /// @dev Intermediate j (< i) of the operator's program for the element.
    function _temp(StepContext calldata ctx, uint256 j, OperandProof calldata proof, uint256 k)
        private
        pure
        returns (uint32)
    {
        // INVARIANT: only intermediates before i are agreed; lane i of the operator's leaf is the very
        // claim under test, and later lanes are the operator's alone. Programs never yield j >= i;
        // the check keeps a faulty program from reading them.
        if (j >= ctx.instruction) revert Errors.TempNotEarlier(k, j, ctx.instruction);
        uint256 leafIndex = j / Commitments.ELEMENTS_PER_LEAF;
        if (leafIndex == ctx.instruction / Commitments.ELEMENTS_PER_LEAF) {
            return Commitments.leafLane(ctx.instructionLeaf, j % Commitments.ELEMENTS_PER_LEAF);
        }
        uint256 numLeaves = Commitments.numLeavesFor(ctx.programLength);
        if (!Merkle.verify(proof.leaf, leafIndex, proof.leafProof, ctx.intermediatesRoot, numLeaves)) {
            revert Errors.OperandProofInvalid(k, leafIndex, proof.leafProof.length, Merkle.treeDepth(numLeaves));
        }
        return Commitments.leafLane(proof.leaf, j % Commitments.ELEMENTS_PER_LEAF);
    }

    /// @dev Element `index` of a tensor of shape `shapeWord` under data root `dataRoot`.
    function _tensorElement(bytes32 shapeWord, bytes32 dataRoot, uint256 index, OperandProof calldata proof, uint256 k)
        private
        pure
        returns (uint32)
    {
        (, uint256 numel) = ShapeWords.validNumel(shapeWord);
        uint256 numLeaves = Commitments.numLeavesFor(numel);
        uint256 leafIndex = index / Commitments.ELEMENTS_PER_LEAF;
        // `verify` also rejects an index beyond the tensor's leaves; Programs only yields indices < numel.
        if (!Merkle.verify(proof.leaf, leafIndex, proof.leafProof, dataRoot, numLeaves)) {
            revert Errors.OperandProofInvalid(k, leafIndex, proof.leafProof.length, Merkle.treeDepth(numLeaves));
        }
        return Commitments.elementBits(proof.leaf, index);
    }

    /// @dev Element `index` (row-major) of the (rows, width) dataset whose rows tree is `rowsRoot`.
    function _datasetElement(bytes32 shapeWord, bytes32 rowsRoot, uint256 index, OperandProof calldata proof, uint256 k)
        private
        pure
        returns (uint32)
    {
        uint256 numRows = uint256(shapeWord) >> 216 & 0xFFFFFFFF;
        uint256 width = uint256(shapeWord) >> 184 & 0xFFFFFFFF;
        if (uint256(shapeWord) >> 248 != 2 || width == 0) revert Errors.DatasetShapeInvalid(shapeWord);
        uint256 row = index / width;
        if (!Merkle.verify(proof.rowRoot, row, proof.rowProof, rowsRoot, numRows)) {
            revert Errors.OperandProofInvalid(k, row, proof.rowProof.length, Merkle.treeDepth(numRows));
        }
        uint256 column = index % width;
        if (!Commitments.verifyElementProof(
                proof.rowRoot, ShapeWords.vector(width), column, proof.leaf, proof.leafProof
            )) {
            uint256 numLeaves = Commitments.numLeavesFor(width);
            revert Errors.OperandProofInvalid(
                k, column / Commitments.ELEMENTS_PER_LEAF, proof.leafProof.length, Merkle.treeDepth(numLeaves)
            );
        }
        return Commitments.elementBits(proof.leaf, column);
    }
}
