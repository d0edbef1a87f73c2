// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Commitments} from "../../../src/lib/Commitments.sol";
import {Merkle} from "../../../src/lib/Merkle.sol";
import {ShapeWords} from "../../../src/lib/ShapeWords.sol";
import {Alphabet} from "../mocks/AlphabetProver.sol";
import {FullTree, TestTree} from "./TestTree.sol";

/// @notice A small training task computed with the AlphabetProver's programs, as an honest or a
///         faulty party sees it: a graph of `numNodes` nodes (node n: a vector of numels[n] elements
///         whose programs have lengths[n] instructions), `steps` steps, and every commitment
///         (outputs, h_t, trace) built the way `docs/protocol.md` builds them.
///
///         A fault makes a party's intermediates of element `element` of node `node` at step `step`
///         wrong from instruction `instruction` on (by `delta`), so that element, that node's output,
///         h_{step+1} and every later state differ; with `corruptRight` the party also gets every
///         later element of that node and every later node of that step wrong. A descent must find
///         exactly (step, node, element, instruction).
///
///         Other kinds of faults: a wrong h_0 (BadInit); a non-zero padding leaf after h_S
///         (PaddingStep), after the last node output of h_{step+1} (PaddingNode), or a non-zero
///         padding lane `element` (>= numel) in the output of node `node` at step `step`
///         (PaddingLane; `delta` is the lane's value); a non-zero trace leaf at step `step`, which
///         must not be committed (Uncommitted; protocol v2 commit intervals).
///
///         Commit intervals: with `checkpointEvery` K, the trace has S + 1 leaves, leaf t being h_t at
///         a committed step (0, S, or a multiple of K) and zero elsewhere (`traceLeaves`); every h_t is
///         still available per step (`stateAt`, `segmentLeaves`) for the game's Segment round.
contract ToyWorld {
    using TestTree for FullTree;

    enum FaultKind {
        Instruction,
        BadInit,
        PaddingStep,
        PaddingNode,
        PaddingLane,
        Uncommitted
    }

    struct Fault {
        bool active;
        FaultKind kind;
        uint256 step;
        uint256 node;
        uint256 element;
        uint256 instruction;
        uint32 delta;
        bool corruptRight;
    }

    uint256 public immutable steps;
    uint256 public immutable numSlots;
    bytes32 public immutable initStateRoot;
    uint256[] public numels;
    uint256[] public lengths;
    /// K: steps 0, S and the multiples of K are committed (1: every step, protocol v1's trace).
    uint256 public checkpointEvery = 1;

    constructor(uint256 steps_, uint256[] memory numels_, uint256[] memory lengths_) {
        require(numels_.length == lengths_.length && numels_.length > 0, "ToyWorld: nodes");
        steps = steps_;
        numels = numels_;
        lengths = lengths_;
        numSlots = 2;
        initStateRoot = keccak256("toy h_0");
    }

    function setCheckpointEvery(uint256 k) external {
        require(k >= 1 && k <= steps, "ToyWorld: checkpointEvery");
        checkpointEvery = k;
    }

    function committed(uint256 t) public view returns (bool) {
        return t == 0 || t == steps || t % checkpointEvery == 0;
    }

    function numNodes() public view returns (uint256) {
        return numels.length;
    }

    function honest() public pure returns (Fault memory f) {}

    // ---------------------------------------------------------------- graph

    function descriptor(uint256 n) public view returns (bytes memory) {
        uint256[] memory params = new uint256[](1);
        params[0] = lengths[n];
        uint256[] memory shape = new uint256[](1);
        shape[0] = numels[n];
        return abi.encode(n, uint8(4), params, new uint256[](0), shape);
    }

    function nodesTree() public view returns (FullTree memory) {
        bytes32[] memory leaves = new bytes32[](numNodes());
        for (uint256 n = 0; n < leaves.length; n++) {
            leaves[n] = keccak256(descriptor(n));
        }
        return TestTree.build(leaves);
    }

    function nodesRoot() public view returns (bytes32) {
        return nodesTree().root();
    }

    function graphRoot() public view returns (bytes32) {
        return keccak256(abi.encode(nodesRoot(), numNodes(), numSlots));
    }

    function shapeWord(uint256 n) public view returns (bytes32) {
        return ShapeWords.vector(numels[n]);
    }

    // ---------------------------------------------------------------- values

    function _hit(Fault memory f, uint256 t, uint256 n, uint256 e) private pure returns (bool) {
        return f.active && f.kind == FaultKind.Instruction && t == f.step && n == f.node && e == f.element;
    }

    /// @dev Whether the faulty party's state after step t is junk (it went wrong before).
    function _junkState(Fault memory f, uint256 t) private pure returns (bool) {
        return f.active
            && (f.kind == FaultKind.Instruction || f.kind == FaultKind.PaddingNode || f.kind == FaultKind.PaddingLane)
            && t > f.step;
    }

    function intermediate(Fault memory f, uint256 t, uint256 n, uint256 e, uint256 i) public pure returns (uint32 v) {
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast) programs here are short
            v = Alphabet.seed(t, n, e) + uint32(i);
            if (_hit(f, t, n, e) && i >= f.instruction) v += f.delta;
        }
    }

    function value(Fault memory f, uint256 t, uint256 n, uint256 e) public view returns (uint32 v) {
        v = intermediate(f, t, n, e, lengths[n] == 0 ? 0 : lengths[n] - 1);
        if (
            f.active && f.kind == FaultKind.Instruction && f.corruptRight && t == f.step && n == f.node && e > f.element
        ) {
            unchecked {
                v += f.delta;
            }
        }
    }

    function intermediateLeaves(Fault memory f, uint256 t, uint256 n, uint256 e)
        public
        view
        returns (bytes32[] memory)
    {
        uint32[] memory values = new uint32[](lengths[n]);
        for (uint256 i = 0; i < values.length; i++) {
            values[i] = intermediate(f, t, n, e, i);
        }
        return TestTree.pack(values);
    }

    function outputLeaves(Fault memory f, uint256 t, uint256 n) public view returns (bytes32[] memory leaves) {
        uint32[] memory values = new uint32[](numels[n]);
        for (uint256 e = 0; e < values.length; e++) {
            values[e] = value(f, t, n, e);
        }
        leaves = TestTree.pack(values);
        if (f.active && f.kind == FaultKind.PaddingLane && t == f.step && n == f.node) {
            uint256 leafIndex = f.element / 8;
            if (leafIndex >= leaves.length) leaves = _padded(leaves);
            leaves[leafIndex] = TestTree.withLane(leaves[leafIndex], f.element % 8, f.delta);
        }
    }

    /// @dev `leaves` extended with zero leaves to the full width of its tree.
    function _padded(bytes32[] memory leaves) private pure returns (bytes32[] memory full) {
        full = new bytes32[](uint256(1) << Merkle.treeDepth(leaves.length));
        for (uint256 k = 0; k < leaves.length; k++) {
            full[k] = leaves[k];
        }
    }

    function _paddingLeaf(bytes32[] memory leaves) private pure returns (bytes32[] memory full) {
        full = _padded(leaves);
        require(full.length > leaves.length, "ToyWorld: no padding leaf");
        full[leaves.length] = keccak256("padding");
    }

    function outputRoot(Fault memory f, uint256 t, uint256 n) public view returns (bytes32) {
        return Commitments.bindShape(TestTree.build(outputLeaves(f, t, n)).root(), shapeWord(n));
    }

    /// @notice The leaves of h_{t+1}: the output roots of the nodes of step t.
    function stateLeaves(Fault memory f, uint256 t) public view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](numNodes());
        for (uint256 n = 0; n < leaves.length; n++) {
            bool junk = _junkState(f, t) || (_hit(f, t, f.node, f.element) && n > f.node && f.corruptRight);
            leaves[n] = junk ? keccak256(abi.encode("junk", t, n)) : outputRoot(f, t, n);
        }
        if (f.active && f.kind == FaultKind.PaddingNode && t == f.step) leaves = _paddingLeaf(leaves);
    }

    /// @notice h_t, as the party computes it (every step, committed or not).
    function stateAt(Fault memory f, uint256 t) public view returns (bytes32) {
        if (t == 0) return f.active && f.kind == FaultKind.BadInit ? keccak256("bad h_0") : initStateRoot;
        return _junkState(f, t - 1)
            ? keccak256(abi.encode("junk state", t - 1))
            : TestTree.build(stateLeaves(f, t - 1)).root();
    }

    /// @notice The trace's leaves: h_t at the committed steps, zero elsewhere (S + 1 leaves).
    function traceLeaves(Fault memory f) public view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](steps + 1);
        for (uint256 t = 0; t <= steps; t++) {
            if (committed(t)) leaves[t] = stateAt(f, t);
        }
        if (f.active && f.kind == FaultKind.Uncommitted) {
            leaves[f.step] = keccak256(abi.encode("uncommitted", f.delta));
        }
        if (f.active && f.kind == FaultKind.PaddingStep) leaves = _paddingLeaf(leaves);
    }

    /// @notice A segment: h_a..h_i (every step), the leaves of a segment root.
    function segmentLeaves(Fault memory f, uint256 a, uint256 i) public view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](i - a + 1);
        for (uint256 t = a; t <= i; t++) {
            leaves[t - a] = stateAt(f, t);
        }
    }

    function traceRoot(Fault memory f) public view returns (bytes32) {
        return TestTree.build(traceLeaves(f)).root();
    }
}
