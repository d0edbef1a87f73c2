// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "./Errors.sol";
import {Commitments} from "./lib/Commitments.sol";
import {Descent} from "./lib/Descent.sol";
import {Merkle} from "./lib/Merkle.sol";
import {ShapeWords} from "./lib/ShapeWords.sol";

/// @title GameProofs
/// @notice Proof checks of the dispute game's moves (`docs/protocol.md`, "The dispute game") kept out
///         of `DisputeGame`, which creates this contract in its constructor (like `AvailabilityProofs`;
///         nothing to link) and calls it: a node's descriptor under the nodes root (`startNode`), the
///         last intermediate of a committed program (`commitIntermediates`), and the two ends of a
///         segment (`commitSegment`). Stateless: every function is a pure check of its arguments
///         against roots the caller holds, reverting with the game's custom errors.
/// @dev Gas: one call from the game costs ~2.6k (cold account) plus ~1k of call and argument copying
///      on top of the checks themselves.
contract GameProofs {
    /// @notice Checks that `descriptor` is leaf `node` of the `numNodes` leaves under `nodesRoot` and
    ///         returns its hash and its output shape.
    /// @dev Reverts `DescriptorProofInvalid` (or the ABI decoder's revert for a malformed descriptor).
    /// @param descriptor abi.encode(uint256 index, uint8 opKind, uint256[] params, uint256[] inputRefs,
    ///        uint256[] shape).
    /// @param proof Merkle proof of keccak256(descriptor) as leaf `node` (depth(numNodes) siblings).
    /// @param node The leaf index.
    /// @param nodesRoot Merkle root over keccak256(descriptor) of the step's nodes.
    /// @param numNodes Nodes per step.
    /// @return leaf keccak256(descriptor).
    /// @return word The output's shape word.
    /// @return numel The output's element count (0 for an invalid shape word).
    function checkDescriptor(
        bytes calldata descriptor,
        bytes32[] calldata proof,
        uint256 node,
        bytes32 nodesRoot,
        uint256 numNodes
    ) external pure returns (bytes32 leaf, bytes32 word, uint256 numel) {
        leaf = keccak256(descriptor);
        if (!Merkle.verify(leaf, node, proof, nodesRoot, numNodes)) {
            revert Errors.DescriptorProofInvalid(node, proof.length, Merkle.treeDepth(numNodes));
        }
        (,,,, uint256[] memory shape) = abi.decode(descriptor, (uint256, uint8, uint256[], uint256[], uint256[]));
        word = ShapeWords.encode(shape);
        (, numel) = ShapeWords.validNumel(word);
    }

    /// @notice Checks that intermediate L - 1 (`length` - 1) of the intermediates under `dataRoot` is
    ///         `claimed`, and returns it.
    /// @dev Reverts `IntermediatesProofInvalid` or `LastIntermediateMismatch`.
    /// @param length L: the program's instructions (>= 1).
    /// @param dataRoot Merkle root over the intermediates' leaves (8 float32 lanes each).
    /// @param lastLeaf The leaf holding intermediate L - 1 (leaf (L - 1) / 8).
    /// @param lastLeafProof Its Merkle proof (depth(ceil(L / 8)) siblings).
    /// @param claimed The element value the committing party claimed.
    /// @return lastValue Intermediate L - 1.
    function checkLastIntermediate(
        uint256 length,
        bytes32 dataRoot,
        bytes32 lastLeaf,
        bytes32[] calldata lastLeafProof,
        uint32 claimed
    ) external pure returns (uint32 lastValue) {
        uint256 last = length - 1;
        uint256 numLeaves = Commitments.numLeavesFor(length);
        uint256 leafIndex = last / Descent.LANES;
        if (!Merkle.verify(lastLeaf, leafIndex, lastLeafProof, dataRoot, numLeaves)) {
            revert Errors.IntermediatesProofInvalid(leafIndex, lastLeafProof.length, Merkle.treeDepth(numLeaves));
        }
        lastValue = Commitments.leafLane(lastLeaf, last % Descent.LANES);
        if (lastValue != claimed) revert Errors.LastIntermediateMismatch(lastValue, claimed);
    }

    /// @notice Checks the two ends of a segment of `leaves` states under `segmentRoot`: `first` (the
    ///         agreed h_a) is its leaf 0 and `last` (the committing party's own h_i) its leaf L - 1.
    /// @dev Reverts `SegmentProofInvalid(leaf, state, proofLength, depth)` for the first end that fails.
    /// @param segmentRoot The segment root (Merkle root over h_a..h_i).
    /// @param leaves L = i - a + 1 (>= 2).
    /// @param first h_a.
    /// @param firstProof `first` as leaf 0 (depth(L) siblings).
    /// @param last The party's h_i.
    /// @param lastProof `last` as leaf L - 1 (depth(L) siblings).
    function checkSegmentEnds(
        bytes32 segmentRoot,
        uint256 leaves,
        bytes32 first,
        bytes32[] calldata firstProof,
        bytes32 last,
        bytes32[] calldata lastProof
    ) external pure {
        _checkSegmentLeaf(segmentRoot, leaves, 0, first, firstProof);
        _checkSegmentLeaf(segmentRoot, leaves, leaves - 1, last, lastProof);
    }

    /// @dev Reverts `SegmentProofInvalid` unless `state` is leaf `leaf` of the `leaves` leaves under
    ///      `segmentRoot`.
    function _checkSegmentLeaf(
        bytes32 segmentRoot,
        uint256 leaves,
        uint256 leaf,
        bytes32 state,
        bytes32[] calldata proof
    ) private pure {
        if (!Merkle.verify(state, leaf, proof, segmentRoot, leaves)) {
            revert Errors.SegmentProofInvalid(leaf, state, proof.length, Merkle.treeDepth(leaves));
        }
    }
}
