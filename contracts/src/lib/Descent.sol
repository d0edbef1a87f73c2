// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Party} from "../DisputeTypes.sol";
import {Merkle} from "./Merkle.sol";

/// @title Descent
/// @notice The binary leftmost-difference descent every level of the dispute walks
///         (`docs/protocol.md, "The dispute game"`, "Binary descent"): both parties commit to a binary Merkle tree
///         of a known leaf count; each round both reveal the two children of their current node; the
///         descent goes left if the left children differ, else right. Every subtree left of the path
///         has equal roots on both sides, so everything left of the final leaf is agreed without
///         either party having to be trusted to say "agree".
///
///         INVARIANT (of every descent): rootOperator != rootChallenger at the current node. It holds
///         at the start (the game checks it or it follows from the level's opening proofs) and each
///         bisection keeps it: if the left children are equal, the right ones must differ, or both
///         parents would be equal.
///
///         Gas: `bisect` with its two reveal checks is about 200 gas of hashing; `firstDifferingLane`
///         at most 8 iterations.
library Descent {
    /// @notice float32 lanes per 32-byte leaf.
    uint256 internal constant LANES = 8;

    /// @notice Whether `left ‖ right` opens `root` (keccak256(left ‖ right) == root).
    function opens(bytes32 root, bytes32 left, bytes32 right) internal pure returns (bool) {
        return Merkle.hashPair(left, right) == root;
    }

    /// @notice One round: from node `position` whose children both parties revealed, the child the
    ///         descent continues in and the two parties' roots there.
    /// @param position The current node's index at its height.
    /// @param leftOperator The operator's left child.
    /// @param rightOperator The operator's right child.
    /// @param leftChallenger The challenger's left child.
    /// @param rightChallenger The challenger's right child.
    /// @return child The child's index one level down (2 position, or 2 position + 1).
    /// @return rootOperator The operator's node there.
    /// @return rootChallenger The challenger's node there.
    function bisect(
        uint256 position,
        bytes32 leftOperator,
        bytes32 rightOperator,
        bytes32 leftChallenger,
        bytes32 rightChallenger
    ) internal pure returns (uint256 child, bytes32 rootOperator, bytes32 rootChallenger) {
        if (leftOperator != leftChallenger) return (2 * position, leftOperator, leftChallenger);
        // INVARIANT: the left subtrees agree, so the rights differ (the parents differ).
        return (2 * position + 1, rightOperator, rightChallenger);
    }

    /// @notice The first lane (0..7, lane k = bytes [4k, 4k + 4)) in which two leaves differ; 8 if
    ///         they are equal.
    function firstDifferingLane(bytes32 leafOperator, bytes32 leafChallenger) internal pure returns (uint256 lane) {
        uint256 diff = uint256(leafOperator ^ leafChallenger);
        while (lane < LANES && (diff >> (224 - 32 * lane)) & 0xFFFFFFFF == 0) {
            ++lane;
        }
    }

    /// @notice Who loses when the two parties differ in padding (a leaf or lane beyond the real
    ///         count, where every honest commitment holds zeros): the challenger if its value is
    ///         non-zero (so also when both are), else the operator.
    /// @param challengerValue The challenger's padding leaf or lane.
    function paddingLoser(uint256 challengerValue) internal pure returns (Party) {
        return challengerValue != 0 ? Party.Challenger : Party.Operator;
    }
}
