// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "../Errors.sol";

/// @title Merkle
/// @notice Tribunal's binary Merkle tree, bit for bit as `tribunal.merkle` builds it
///         (`docs/protocol.md`, "Commitments"): keccak256 over 32-byte leaves taken as they are
///         (not hashed first), `parent = keccak256(left ‖ right)`, the leaf count padded to a
///         power of two with zero leaves; a proof lists the siblings bottom-up and bit k of the
///         index says whether the node is the right child at level k. A tree's depth is fixed by
///         its leaf count, which the verifier always knows, so every check here that has the count
///         requires `proof.length == treeDepth(count)` and `index < count`: an inner node or a
///         padding leaf can never pose as a leaf. What the leaves are (tensor data, tensor roots,
///         states, dataset rows) is `Commitments`'.
///
///         Gas (internal calls, proofs in calldata; `test/lib/Merkle.t.sol` measures it, see
///         `contracts/GAS-float32.md`): `verify` with the leaf count 359 at depth 0 and 3,994 at
///         depth 20 (~182 per sibling). Calldata is extra: 32 bytes per sibling.
library Merkle {
    // ---------------------------------------------------------------- generic tree

    /// @notice Levels above the leaves of a tree of `numLeaves` leaves: ceil(log2(max(numLeaves, 1))).
    function treeDepth(uint256 numLeaves) internal pure returns (uint256 depth) {
        if (numLeaves <= 1) return 0;
        // the bit length of numLeaves - 1
        assembly ("memory-safe") {
            let x := sub(numLeaves, 1)
            depth := shl(7, lt(0xffffffffffffffffffffffffffffffff, x))
            depth := or(depth, shl(6, lt(0xffffffffffffffff, shr(depth, x))))
            depth := or(depth, shl(5, lt(0xffffffff, shr(depth, x))))
            depth := or(depth, shl(4, lt(0xffff, shr(depth, x))))
            depth := or(depth, shl(3, lt(0xff, shr(depth, x))))
            depth := or(depth, shl(2, lt(0xf, shr(depth, x))))
            depth := or(depth, shl(1, lt(0x3, shr(depth, x))))
            depth := add(or(depth, lt(0x1, shr(depth, x))), 1)
        }
    }

    /// @notice The parent of two nodes: keccak256(left ‖ right).
    function hashPair(bytes32 left, bytes32 right) internal pure returns (bytes32 parent) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            parent := keccak256(0x00, 0x40)
        }
    }

    /// @notice The root of the tree over `leaves` (`tribunal.merkle.merkle_root`): one leaf is its
    ///         own root, no leaves is the tree of one zero leaf (root zero). `leaves` is not modified.
    /// @dev Each level hashes adjacent words in place in one scratch array of ceil(n / 2) words; an
    ///      odd level's last node pairs with the zero subtree of its height (Z_0 = 0,
    ///      Z_{k+1} = keccak256(Z_k ‖ Z_k)), which is the padding to a power of two without hashing it.
    ///      Gas (internal call, `test/lib/Merkle.t.sol`, which checks it against `processProof` and
    ///      Python's roots): 3,166 for 16 leaves, 35,312 for 255 (~140 per leaf, scratch memory included).
    function rootOf(bytes32[] memory leaves) internal pure returns (bytes32 root) {
        uint256 n = leaves.length;
        if (n == 0) return bytes32(0);
        if (n == 1) return leaves[0];
        bytes32[] memory level = new bytes32[]((n + 1) >> 1);
        assembly ("memory-safe") {
            let src := add(leaves, 0x20)
            let dst := add(level, 0x20)
            let zero := 0
            for {} gt(n, 1) {} {
                let pairs := shr(1, n)
                // node i of the next level is keccak256 of the 64 bytes of nodes 2i and 2i + 1; in
                // place (src == dst) node i is written after both of its children were read
                for { let i := 0 } lt(i, pairs) { i := add(i, 1) } {
                    mstore(add(dst, shl(5, i)), keccak256(add(src, shl(6, i)), 0x40))
                }
                if and(n, 1) {
                    mstore(0x00, mload(add(src, shl(5, sub(n, 1)))))
                    mstore(0x20, zero)
                    mstore(add(dst, shl(5, pairs)), keccak256(0x00, 0x40))
                }
                mstore(0x00, zero)
                mstore(0x20, zero)
                zero := keccak256(0x00, 0x40)
                n := shr(1, add(n, 1))
                src := dst
            }
            root := mload(src)
        }
    }

    /// @notice The root that `leaf` at `index` with siblings `proof` (bottom-up) leads to.
    /// @dev Reverts with `IndexOutsideProof` if `index >= 2**proof.length`.
    function processProof(bytes32 leaf, uint256 index, bytes32[] calldata proof) internal pure returns (bytes32 node) {
        uint256 depth = proof.length;
        if (index >> depth != 0) revert Errors.IndexOutsideProof(index, depth);
        node = leaf;
        assembly ("memory-safe") {
            let end := add(proof.offset, shl(5, depth))
            for { let p := proof.offset } lt(p, end) { p := add(p, 0x20) } {
                let sibling := calldataload(p)
                // the node is the right child when the index's low bit is set
                let right := and(index, 1)
                mstore(shl(5, right), node)
                mstore(shl(5, iszero(right)), sibling)
                node := keccak256(0x00, 0x40)
                index := shr(1, index)
            }
        }
    }

    /// @notice Whether `leaf` sits at `index` under `root`, for a tree whose depth the caller
    ///         binds elsewhere. Prefer the overload with `numLeaves`, which checks the depth.
    function verify(bytes32 leaf, uint256 index, bytes32[] calldata proof, bytes32 root) internal pure returns (bool) {
        if (index >> proof.length != 0) return false;
        return processProof(leaf, index, proof) == root;
    }

    /// @notice Whether `leaf` is leaf `index` of the `numLeaves` leaves under `root`.
    /// @dev INVARIANT: the proof has exactly the depth the leaf count fixes and the index names a
    ///      real leaf, so neither an inner node nor a padding leaf passes as a leaf.
    function verify(bytes32 leaf, uint256 index, bytes32[] calldata proof, bytes32 root, uint256 numLeaves)
        internal
        pure
        returns (bool)
    {
        if (proof.length != treeDepth(numLeaves)) return false;
        if (index >= (numLeaves == 0 ? 1 : numLeaves)) return false;
        return processProof(leaf, index, proof) == root;
    }
}
