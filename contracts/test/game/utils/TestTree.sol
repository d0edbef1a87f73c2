// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Commitments} from "../../../src/lib/Commitments.sol";
import {Merkle} from "../../../src/lib/Merkle.sol";

/// @notice A whole Merkle tree in memory, built once (every level kept, as `tribunal.merkle.MerkleTree`),
///         answering nodes, children and proofs of small trees for the game tests.
struct FullTree {
    uint256 leafCount;
    bytes32[][] levels;
}

/// @notice A tree of a realistic size of which only a few leaves are spelled out: every subtree
///         without an explicit leaf is a filler hash derived from `salt` (or the zero hash when it
///         lies wholly in the padding), so nodes, children and proofs cost O(depth). Two parties'
///         trees with the same salt agree everywhere except on the paths to their explicit leaves.
struct SparseTree {
    uint256 leafCount;
    uint256 depth;
    bytes32 salt;
    uint256[] positions;
    bytes32[] values;
}

library TestTree {
    uint256 internal constant LANES = 8;

    // ---------------------------------------------------------------- zero subtrees

    function zeroHash(uint256 height) internal pure returns (bytes32 z) {
        for (uint256 h = 0; h < height; h++) {
            z = Merkle.hashPair(z, z);
        }
    }

    // ---------------------------------------------------------------- full trees

    function build(bytes32[] memory leaves) internal pure returns (FullTree memory t) {
        uint256 height = Merkle.treeDepth(leaves.length);
        t.leafCount = leaves.length;
        t.levels = new bytes32[][](height + 1);
        if (leaves.length == 0) {
            t.levels[0] = new bytes32[](1);
        } else {
            t.levels[0] = leaves;
        }
        bytes32 z;
        for (uint256 h = 0; h < height; h++) {
            bytes32[] memory level = t.levels[h];
            uint256 width = (level.length + 1) / 2;
            bytes32[] memory next = new bytes32[](width);
            for (uint256 j = 0; j < width; j++) {
                bytes32 right = 2 * j + 1 < level.length ? level[2 * j + 1] : z;
                next[j] = Merkle.hashPair(level[2 * j], right);
            }
            t.levels[h + 1] = next;
            z = Merkle.hashPair(z, z);
        }
    }

    function depth(FullTree memory t) internal pure returns (uint256) {
        return t.levels.length - 1;
    }

    function root(FullTree memory t) internal pure returns (bytes32) {
        return t.levels[t.levels.length - 1][0];
    }

    function node(FullTree memory t, uint256 height, uint256 index) internal pure returns (bytes32) {
        bytes32[] memory level = t.levels[height];
        return index < level.length ? level[index] : zeroHash(height);
    }

    function leaf(FullTree memory t, uint256 index) internal pure returns (bytes32) {
        return node(t, 0, index);
    }

    /// @notice The children of node (`height`, `position`).
    function children(FullTree memory t, uint256 height, uint256 position)
        internal
        pure
        returns (bytes32 left, bytes32 right)
    {
        return (node(t, height - 1, 2 * position), node(t, height - 1, 2 * position + 1));
    }

    function proof(FullTree memory t, uint256 index) internal pure returns (bytes32[] memory siblings) {
        uint256 d = depth(t);
        siblings = new bytes32[](d);
        for (uint256 h = 0; h < d; h++) {
            siblings[h] = node(t, h, (index >> h) ^ 1);
        }
    }

    // ---------------------------------------------------------------- sparse trees

    function sparse(uint256 leafCount, bytes32 salt) internal pure returns (SparseTree memory t) {
        t.leafCount = leafCount;
        t.depth = Merkle.treeDepth(leafCount);
        t.salt = salt;
        t.positions = new uint256[](0);
        t.values = new bytes32[](0);
    }

    /// @notice A copy of `t` with leaf `position` set to `value` (set again: replaced).
    function set(SparseTree memory t, uint256 position, bytes32 value) internal pure returns (SparseTree memory) {
        for (uint256 k = 0; k < t.positions.length; k++) {
            if (t.positions[k] == position) {
                t.values[k] = value;
                return t;
            }
        }
        uint256 n = t.positions.length;
        uint256[] memory positions = new uint256[](n + 1);
        bytes32[] memory values = new bytes32[](n + 1);
        for (uint256 k = 0; k < n; k++) {
            positions[k] = t.positions[k];
            values[k] = t.values[k];
        }
        positions[n] = position;
        values[n] = value;
        t.positions = positions;
        t.values = values;
        return t;
    }

    function node(SparseTree memory t, uint256 height, uint256 index) internal pure returns (bytes32) {
        uint256 lo = index << height;
        uint256 hi = (index + 1) << height;
        if (lo >= t.leafCount && t.leafCount > 0) return zeroHash(height);
        bool has;
        for (uint256 k = 0; k < t.positions.length; k++) {
            if (t.positions[k] >= lo && t.positions[k] < hi) {
                if (height == 0) return t.values[k];
                has = true;
            }
        }
        if (!has) return keccak256(abi.encode(t.salt, height, index));
        return Merkle.hashPair(node(t, height - 1, 2 * index), node(t, height - 1, 2 * index + 1));
    }

    function root(SparseTree memory t) internal pure returns (bytes32) {
        return node(t, t.depth, 0);
    }

    function children(SparseTree memory t, uint256 height, uint256 position)
        internal
        pure
        returns (bytes32 left, bytes32 right)
    {
        return (node(t, height - 1, 2 * position), node(t, height - 1, 2 * position + 1));
    }

    function proof(SparseTree memory t, uint256 index) internal pure returns (bytes32[] memory siblings) {
        siblings = new bytes32[](t.depth);
        for (uint256 h = 0; h < t.depth; h++) {
            siblings[h] = node(t, h, (index >> h) ^ 1);
        }
    }

    // ---------------------------------------------------------------- float32 leaves

    /// @notice `value` placed in lane `lane` of `word` (4 little-endian bytes at [4 lane, 4 lane + 4)).
    function withLane(bytes32 word, uint256 lane, uint32 value) internal pure returns (bytes32) {
        uint256 v = value;
        uint256 swapped = ((v & 0xFF) << 24) | ((v & 0xFF00) << 8) | ((v >> 8) & 0xFF00) | (v >> 24);
        uint256 shift = 224 - 32 * lane;
        return bytes32((uint256(word) & ~(uint256(0xFFFFFFFF) << shift)) | (swapped << shift));
    }

    /// @notice float32 bit patterns packed 8 per leaf, the last leaf zero-padded.
    function pack(uint32[] memory values) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](Commitments.numLeavesFor(values.length));
        for (uint256 e = 0; e < values.length; e++) {
            leaves[e / LANES] = withLane(leaves[e / LANES], e % LANES, values[e]);
        }
    }
}
