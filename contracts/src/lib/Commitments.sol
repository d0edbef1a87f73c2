// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "../Errors.sol";
import {Merkle} from "./Merkle.sol";
import {ShapeWords} from "./ShapeWords.sol";

/// @title Commitments
/// @notice Verification of Tribunal's commitments, bit for bit as `tribunal.commitments` and
///         `tribunal.datasets` build them (`docs/protocol.md`, "Commitments"), over `Merkle` trees
///         and `ShapeWords`:
///
///         - tensor: float32 elements little-endian, 8 per leaf (element i in leaf i / 8, lane
///           i % 8, the last leaf zero-padded); tensor root = `keccak256(dataRoot ‖ shapeWord)`.
///         - state commitment h_t: tree over the state's tensor roots; trace root: tree over
///           h_0..h_S.
///         - dataset: row r is a tensor of shape [W]; dataset root =
///           `keccak256(tree(rowRoots) ‖ shapeWord([N, W]))`.
///         - batch rows: `keccak256(abi.encode(seed, step, row)) % numRows`.
///
///         Gas (internal calls, proofs in calldata; `test/lib/Merkle.t.sol` measures it, see
///         `contracts/GAS-float32.md`): `verifyElementProof` plus `elementBits` 5,323 at depth 20
///         (a 4096 x 2048 tensor). Calldata is extra: 32 bytes per sibling.
library Commitments {
    /// @notice float32 elements per 32-byte leaf.
    uint256 internal constant ELEMENTS_PER_LEAF = 8;

    // ---------------------------------------------------------------- tensors

    /// @notice The tensor root: keccak256(dataRoot ‖ shapeWord).
    function bindShape(bytes32 dataRoot, bytes32 word) internal pure returns (bytes32) {
        return Merkle.hashPair(dataRoot, word);
    }

    /// @notice How many 32-byte leaves hold `numel` float32 elements.
    function numLeavesFor(uint256 numel) internal pure returns (uint256) {
        return numel / ELEMENTS_PER_LEAF + (numel % ELEMENTS_PER_LEAF == 0 ? 0 : 1);
    }

    /// @notice The float32 bits in `lane` (0..7) of a leaf: bytes [4 lane, 4 lane + 4), little-endian.
    function leafLane(bytes32 leaf, uint256 lane) internal pure returns (uint32) {
        uint256 x = (uint256(leaf) >> (224 - 32 * (lane & 7))) & 0xFFFFFFFF;
        x = ((x & 0xFF00FF00) >> 8) | ((x & 0x00FF00FF) << 8);
        return uint32((x >> 16) | ((x & 0xFFFF) << 16));
    }

    /// @notice The float32 bits of flat element `element` in the leaf that holds it.
    function elementBits(bytes32 leaf, uint256 element) internal pure returns (uint32) {
        return leafLane(leaf, element % ELEMENTS_PER_LEAF);
    }

    /// @notice Whether `leaf` is the leaf holding flat (row-major) element `element` of the tensor
    ///         of shape `word` under `tensorRoot`. Read the bits with `elementBits(leaf, element)`.
    /// @dev INVARIANT: the shape word is canonical, the element exists, and the proof has the
    ///      depth of the tensor's leaf count; the leaf index and lane follow from the element.
    function verifyElementProof(
        bytes32 tensorRoot,
        bytes32 word,
        uint256 element,
        bytes32 leaf,
        bytes32[] calldata proof
    ) internal pure returns (bool) {
        (bool valid, uint256 numel) = ShapeWords.validNumel(word);
        if (!valid || element >= numel) return false;
        uint256 numLeaves = numLeavesFor(numel);
        if (proof.length != Merkle.treeDepth(numLeaves)) return false;
        return bindShape(Merkle.processProof(leaf, element / ELEMENTS_PER_LEAF, proof), word) == tensorRoot;
    }

    // ---------------------------------------------------------------- state and trace

    /// @notice Whether `tensorRoot` is tensor `index` of the `numTensors` under state commitment h_t.
    function verifyStateProof(
        bytes32 tensorRoot,
        uint256 index,
        bytes32[] calldata proof,
        bytes32 commitment,
        uint256 numTensors
    ) internal pure returns (bool) {
        return Merkle.verify(tensorRoot, index, proof, commitment, numTensors);
    }

    /// @notice Whether `state` is h_step of the `numStates` (= S + 1) under trace root `root`.
    function verifyTraceProof(bytes32 state, uint256 step, bytes32[] calldata proof, bytes32 root, uint256 numStates)
        internal
        pure
        returns (bool)
    {
        return Merkle.verify(state, step, proof, root, numStates);
    }

    // ---------------------------------------------------------------- datasets

    /// @notice An element of a dataset row and the proofs that bind it to the dataset root.
    /// @param row The dataset row.
    /// @param column The element's index in the row.
    /// @param leaf The row tensor's leaf holding the element (lane column % 8).
    /// @param elementSiblings The leaf's proof in the row tensor's data tree.
    /// @param rowRoot The row's tensor root (shape [width]).
    /// @param rowSiblings The row root's proof in the tree of row roots.
    struct DatasetElementProof {
        uint256 row;
        uint256 column;
        bytes32 leaf;
        bytes32[] elementSiblings;
        bytes32 rowRoot;
        bytes32[] rowSiblings;
    }

    /// @notice Whether `rowRoot` is row `row` of the `numRows` x `width` dataset under `datasetRoot`.
    function verifyRowProof(
        bytes32 rowRoot,
        uint256 row,
        bytes32[] calldata proof,
        bytes32 datasetRoot,
        uint256 numRows,
        uint256 width
    ) internal pure returns (bool) {
        if (numRows > type(uint32).max || width > type(uint32).max) return false;
        if (row >= numRows || proof.length != Merkle.treeDepth(numRows)) return false;
        return bindShape(Merkle.processProof(rowRoot, row, proof), ShapeWords.matrix(numRows, width)) == datasetRoot;
    }

    /// @notice Whether `proof` shows its element under the `numRows` x `width` dataset `datasetRoot`.
    ///         Read the bits with `elementBits(proof.leaf, proof.column)`.
    function verifyDatasetElementProof(
        DatasetElementProof calldata proof,
        bytes32 datasetRoot,
        uint256 numRows,
        uint256 width
    ) internal pure returns (bool) {
        if (width > type(uint32).max || proof.column >= width) return false;
        if (!verifyElementProof(
                proof.rowRoot, ShapeWords.vector(width), proof.column, proof.leaf, proof.elementSiblings
            )) {
            return false;
        }
        return verifyRowProof(proof.rowRoot, proof.row, proof.rowSiblings, datasetRoot, numRows, width);
    }

    /// @notice The dataset row feeding batch row `row` of step `step`:
    ///         uint256(keccak256(abi.encode(seed, step, row))) % numRows.
    function batchRowIndex(uint256 seed, uint256 step, uint256 row, uint256 numRows) internal pure returns (uint256) {
        if (numRows == 0) revert Errors.NoRows();
        return uint256(keccak256(abi.encode(seed, step, row))) % numRows;
    }
}
