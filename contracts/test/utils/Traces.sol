// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Merkle} from "../../src/lib/Merkle.sol";

/// @notice A result as `submitResult` takes it: the trace root over h_0..h_S, h_S and its proof.
struct TraceResult {
    bytes32 traceRoot;
    bytes32 finalStateRoot;
    bytes32[] finalStateProof;
}

/// @notice Trace trees for the market tests, built by `tribunal.merkle`'s rule (leaves as they are,
///         zero leaves up to a power of two, `keccak256(left ‖ right)`; `test/TaskMarketFinalState.t.sol`
///         checks it against `vectors/commitments.json`).
library Traces {
    /// @notice h_0..h_S of a made-up run: h_t = keccak256(seed, t).
    function states(uint256 steps, bytes32 seed) internal pure returns (bytes32[] memory h) {
        h = new bytes32[](steps + 1);
        for (uint256 t = 0; t <= steps; t++) {
            h[t] = keccak256(abi.encode(seed, t));
        }
    }

    /// @notice The trace leaves of a made-up run with commit intervals (protocol v2): h_t =
    ///         keccak256(seed, t) at the committed steps (0, S and the multiples of `checkpointEvery`),
    ///         zero elsewhere; still S + 1 leaves.
    function committedStates(uint256 steps, uint256 checkpointEvery, bytes32 seed)
        internal
        pure
        returns (bytes32[] memory h)
    {
        h = states(steps, seed);
        for (uint256 t = 1; t < steps; t++) {
            if (t % checkpointEvery != 0) h[t] = bytes32(0);
        }
    }

    /// @notice Every level of the tree over `leaves`, the leaves first and the root last.
    function levels(bytes32[] memory leaves) internal pure returns (bytes32[][] memory tree) {
        uint256 depth = Merkle.treeDepth(leaves.length);
        tree = new bytes32[][](depth + 1);
        tree[0] = leaves.length == 0 ? new bytes32[](1) : leaves;
        bytes32 zero;
        for (uint256 h = 0; h < depth; h++) {
            bytes32[] memory level = tree[h];
            bytes32[] memory next = new bytes32[]((level.length + 1) / 2);
            for (uint256 j = 0; j < next.length; j++) {
                next[j] = Merkle.hashPair(level[2 * j], 2 * j + 1 < level.length ? level[2 * j + 1] : zero);
            }
            tree[h + 1] = next;
            zero = Merkle.hashPair(zero, zero);
        }
    }

    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[][] memory tree = levels(leaves);
        return tree[tree.length - 1][0];
    }

    /// @notice The siblings of leaf `index`, bottom-up (padding siblings are zero subtrees).
    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory siblings) {
        bytes32[][] memory tree = levels(leaves);
        siblings = new bytes32[](tree.length - 1);
        bytes32 zero;
        for (uint256 h = 0; h < siblings.length; h++) {
            uint256 at = (index >> h) ^ 1;
            siblings[h] = at < tree[h].length ? tree[h][at] : zero;
            zero = Merkle.hashPair(zero, zero);
        }
    }

    /// @notice The result of a run with these states: their root, h_S and its proof.
    function result(bytes32[] memory h) internal pure returns (TraceResult memory r) {
        r.traceRoot = root(h);
        r.finalStateRoot = h[h.length - 1];
        r.finalStateProof = proof(h, h.length - 1);
    }

    /// @notice The result of a made-up run of `steps` steps (`states(steps, seed)`).
    function result(uint256 steps, bytes32 seed) internal pure returns (TraceResult memory) {
        return result(states(steps, seed));
    }
}
