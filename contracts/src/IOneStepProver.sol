// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice What the dispute game knows when it asks for one instruction to be executed: every root
///         below is agreed by both parties or is the operator's own commitment, and every value
///         left of the found positions is agreed (`docs/protocol.md`, the dispute game, level 7).
/// @param taskId The disputed task (for the prover's own events or checks; not needed to execute).
/// @param datasetRoot The task's dataset root (rows of the training set).
/// @param step t: the step being executed.
/// @param stateRoot h_t (agreed): STATE inputs are proven against it.
/// @param nextStateRoot The operator's h_{t+1}: its leaves m < node are agreed, so NODE inputs
///        (outputs of earlier nodes of step t) are proven against it.
/// @param nodesRoot Merkle root of the step graph's node descriptors.
/// @param numNodes Nodes per step (leaf count of h_{t+1} and, for t >= 1, of h_t).
/// @param numSlots State tensors (leaf count of h_0).
/// @param node n: the node whose output element is executed.
/// @param element e: the output element (flat, row-major).
/// @param instruction i: the instruction of element e's program to execute.
/// @param programLength L: instructions in element e's program.
/// @param intermediatesRoot The operator's data root over element e's L intermediates (float32
///        tensor of shape (L,)); its leaves before `instruction / 8` are agreed.
/// @param instructionLeaf The operator's leaf holding intermediate i; its lanes below `i % 8` are
///        agreed (TEMP operands j with j / 8 == i / 8 are read from it, without a proof).
struct StepContext {
    uint256 taskId;
    bytes32 datasetRoot;
    uint256 step;
    bytes32 stateRoot;
    bytes32 nextStateRoot;
    bytes32 nodesRoot;
    uint256 numNodes;
    uint256 numSlots;
    uint256 node;
    uint256 element;
    uint256 instruction;
    uint256 programLength;
    bytes32 intermediatesRoot;
    bytes32 instructionLeaf;
}

/// @notice The shape of one input of the executed node, proven against agreed roots. One per input
///         of the descriptor, in input order: programs (their length, their instructions' operand
///         addresses) depend on the input shapes, which the descriptor does not carry.
/// @param tensorRoot The input tensor's root: leaf m of h_{t+1} for NODE input m (agreed, m < n);
///        leaf `slot` of h_0 (t = 0) or leaf `producer` of h_t (t >= 1) for a STATE input; ignored
///        for the DATASET input (the task's dataset root stands in for it).
/// @param rootProof `tensorRoot`'s Merkle proof in its state commitment (empty for DATASET).
/// @param dataRoot With `shapeWord`: keccak256(dataRoot ‖ shapeWord) == tensorRoot (DATASET: the
///        root of the row-roots tree, keccak256(rowsRoot ‖ shapeWord) == datasetRoot).
/// @param shapeWord The input's shape word (DATASET: the (rows, width) word).
struct InputShape {
    bytes32 tensorRoot;
    bytes32[] rootProof;
    bytes32 dataRoot;
    bytes32 shapeWord;
}

/// @notice The caller-supplied evidence for one operand of the executed instruction, one per
///         operand in the instruction's operand order. Fields an operand does not use are empty:
///         CONST operands and TEMP operands in the instruction's own leaf need none.
/// @param leaf The 32-byte leaf holding the operand: of the input tensor (DATASET: of the row
///        tensor) for INPUT, of the operator's intermediates for TEMP.
/// @param leafProof `leaf`'s Merkle proof in that data tree (the input's, whose data root
///        `InputShape.dataRoot` is proven; the row's, under `rowRoot`; or the intermediates').
/// @param rowRoot DATASET only: the tensor root (shape (width,)) of the row holding the element.
/// @param rowProof DATASET only: `rowRoot`'s Merkle proof in the dataset's row-roots tree.
struct OperandProof {
    bytes32 leaf;
    bytes32[] leafProof;
    bytes32 rowRoot;
    bytes32[] rowProof;
}

/// @title IOneStepProver
/// @notice Executes one float32 instruction of a node's element program from agreed data: the
///         dispute game's last level. Implementations are stateless; the game compares the result
///         with the operator's claim. `OneStepProver` is the real one (RepOps programs, Merkle proofs,
///         soft-float); tests use a toy in the manner of Optimism's AlphabetVM.
interface IOneStepProver {
    /// @notice Number of instructions of element `ctx.element`'s program.
    /// @dev Reverts if the descriptor names no op the prover knows, an input shape does not check,
    ///      or the element does not exist. `ctx.instruction`, `ctx.programLength`,
    ///      `ctx.intermediatesRoot` and `ctx.instructionLeaf` are not known yet (zero).
    /// @param ctx What the game knows (see `StepContext`).
    /// @param descriptor Node `ctx.node`'s descriptor, already checked by the game.
    /// @param inputs The shape of each of the node's inputs, with its proof.
    /// @return L, at least 1.
    function programLength(StepContext calldata ctx, bytes calldata descriptor, InputShape[] calldata inputs)
        external
        view
        returns (uint256);

    /// @notice Derives instruction `ctx.instruction` of element `ctx.element` from the descriptor
    ///         and the input shapes, checks every operand against agreed roots, and executes it.
    /// @dev Reverts if an input shape or an operand's proof does not check.
    /// @param ctx What the game knows (see `StepContext`).
    /// @param descriptor Node `ctx.node`'s descriptor, already checked by the game.
    /// @param inputs The shape of each of the node's inputs, with its proof.
    /// @param operands One proof per operand of the instruction, in operand order.
    /// @return opcode The instruction's primitive (1 ADD … 14 COPY).
    /// @return operandValues The operands' bits (unused ones zero).
    /// @return result The result's bits.
    function step(
        StepContext calldata ctx,
        bytes calldata descriptor,
        InputShape[] calldata inputs,
        OperandProof[] calldata operands
    ) external view returns (uint8 opcode, uint32[3] memory operandValues, uint32 result);
}
