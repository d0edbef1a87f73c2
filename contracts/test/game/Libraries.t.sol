// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Party} from "../../src/DisputeTypes.sol";
import {ChessClock, Clock} from "../../src/lib/Clock.sol";
import {Descent} from "../../src/lib/Descent.sol";
import {Test} from "../utils/Test.sol";
import {FullTree, TestTree} from "./utils/TestTree.sol";

/// @notice The game's small libraries on their own: the chess clock and the leftmost-difference descent.
contract ClockTest is Test {
    uint256 internal constant MAX = 1000;

    function test_start_challengerOnTurnNothingUsed() public pure {
        ChessClock c = Clock.start(Party.Challenger, 5000);
        assertEq(uint256(c.onTurn()), uint256(Party.Challenger));
        assertEq(uint256(c.turnStartedAt()), 5000);
        assertEq(uint256(c.used(Party.Challenger)), 0);
        assertEq(uint256(c.used(Party.Operator)), 0);
        assertEq(c.deadline(MAX), 6000);
    }

    function test_pass_chargesTheMoverAndStartsTheOther() public pure {
        ChessClock c = Clock.start(Party.Challenger, 5000);
        c = c.pass(5300);
        assertEq(uint256(c.onTurn()), uint256(Party.Operator));
        assertEq(uint256(c.used(Party.Challenger)), 300);
        assertEq(uint256(c.used(Party.Operator)), 0);
        assertEq(uint256(c.turnStartedAt()), 5300);
        c = c.pass(5350);
        assertEq(uint256(c.onTurn()), uint256(Party.Challenger));
        assertEq(uint256(c.used(Party.Operator)), 50);
        assertEq(c.deadline(MAX), 5350 + MAX - 300);
        assertEq(c.spent(5400), 350);
    }

    function testFuzz_isLive_exactlyUntilTheDeadline(uint64 start, uint16 first, uint16 second) public pure {
        start = uint64(bound(start, 0, type(uint48).max));
        uint256 a = bound(first, 0, MAX);
        uint256 b = bound(second, 0, MAX - a);
        ChessClock c = Clock.start(Party.Challenger, start).pass(start + a).pass(start + a + b);
        // the challenger, on turn again, has MAX - a seconds left
        uint256 deadline = c.deadline(MAX);
        assertEq(deadline, start + a + b + MAX - a);
        assertTrue(c.isLive(deadline, MAX));
        assertFalse(c.isLive(deadline + 1, MAX));
        assertEq(c.spent(deadline), MAX);
    }

    function testFuzz_pass_neverLosesTime(uint64 start, uint16[6] memory waits) public pure {
        start = uint64(bound(start, 0, type(uint48).max));
        ChessClock c = Clock.start(Party.Challenger, start);
        uint256 now_ = start;
        uint256[2] memory total;
        for (uint256 k = 0; k < waits.length; k++) {
            now_ += waits[k];
            total[uint256(c.onTurn())] += waits[k];
            c = c.pass(now_);
        }
        assertEq(uint256(c.used(Party.Challenger)), total[0]);
        assertEq(uint256(c.used(Party.Operator)), total[1]);
        assertEq(uint256(c.turnStartedAt()), now_);
    }
}

contract DescentTest is Test {
    using TestTree for FullTree;

    bytes32 internal constant A = keccak256("a");
    bytes32 internal constant B = keccak256("b");
    bytes32 internal constant X = keccak256("x");

    function test_bisect_goesLeftWhenLeftChildrenDiffer() public pure {
        (uint256 child, bytes32 o, bytes32 c) = Descent.bisect(3, A, B, X, B);
        assertEq(child, 6);
        assertEq(o, A);
        assertEq(c, X);
    }

    function test_bisect_goesRightWhenLeftChildrenAgree() public pure {
        (uint256 child, bytes32 o, bytes32 c) = Descent.bisect(3, A, B, A, X);
        assertEq(child, 7);
        assertEq(o, B);
        assertEq(c, X);
    }

    function test_firstDifferingLane() public pure {
        bytes32 a = bytes32(uint256(1) << 200); // inside lane 1 (bits 192..223)
        assertEq(Descent.firstDifferingLane(a, bytes32(0)), 1);
        assertEq(Descent.firstDifferingLane(bytes32(uint256(1)), bytes32(0)), 7);
        assertEq(Descent.firstDifferingLane(bytes32(type(uint256).max), bytes32(0)), 0);
        assertEq(Descent.firstDifferingLane(a, a), 8);
    }

    function test_paddingLoser() public pure {
        assertEq(uint256(Descent.paddingLoser(0)), uint256(Party.Operator));
        assertEq(uint256(Descent.paddingLoser(5)), uint256(Party.Challenger));
    }

    function testFuzz_firstDifferingLane_isTheFirstDifferingFourBytes(bytes32 a, uint8 lane, uint32 flip) public pure {
        lane = uint8(bound(lane, 0, 7));
        flip = uint32(bound(flip, 1, type(uint32).max));
        // keep lanes before `lane` equal, flip bits in `lane`
        bytes32 b = a ^ bytes32(uint256(flip) << (224 - 32 * uint256(lane)));
        assertEq(Descent.firstDifferingLane(a, b), lane);
    }

    /// @notice Two trees over leaves that differ at random positions: the descent, played with
    ///         both parties revealing honestly from their own trees, ends at the first difference.
    function testFuzz_descent_endsAtTheLeftmostDifference(uint256 seed, uint8 count, uint8 differences) public pure {
        uint256 n = bound(count, 1, 70);
        bytes32[] memory a = new bytes32[](n);
        bytes32[] memory b = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            a[i] = keccak256(abi.encode(seed, i));
            b[i] = a[i];
        }
        uint256 first = type(uint256).max;
        uint256 k = bound(differences, 1, 5);
        for (uint256 j = 0; j < k; j++) {
            uint256 index = uint256(keccak256(abi.encode(seed, "at", j))) % n;
            b[index] = keccak256(abi.encode(seed, "changed", j));
            if (index < first) first = index;
        }
        FullTree memory ta = TestTree.build(a);
        FullTree memory tb = TestTree.build(b);
        uint256 position = 0;
        bytes32 rootA = ta.root();
        bytes32 rootB = tb.root();
        for (uint256 h = ta.depth(); h > 0; h--) {
            (bytes32 la, bytes32 ra) = ta.children(h, position);
            (bytes32 lb, bytes32 rb) = tb.children(h, position);
            assertTrue(Descent.opens(rootA, la, ra));
            assertTrue(Descent.opens(rootB, lb, rb));
            (position, rootA, rootB) = Descent.bisect(position, la, ra, lb, rb);
            assertTrue(rootA != rootB, "the roots keep differing");
        }
        assertEq(position, first, "the descent ends at the leftmost difference");
        assertEq(rootA, a[first]);
        assertEq(rootB, b[first]);
    }
}
