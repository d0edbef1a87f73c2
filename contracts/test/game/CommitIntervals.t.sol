// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {GameStatus, GameView, Level, Party, Resolution, SlotProof} from "../../src/DisputeTypes.sol";
import {Errors} from "../../src/Errors.sol";
import {IDisputeGame} from "../../src/IDisputeGame.sol";
import {Merkle} from "../../src/lib/Merkle.sol";
import {GameFixture} from "./utils/GameFixture.sol";
import {FullTree, TestTree} from "./utils/TestTree.sol";
import {ToyWorld} from "./utils/ToyWorld.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice Protocol v2 commit intervals (issue #13 §1): the trace commits h_t only at steps 0, S and
///         the multiples of K = checkpointEvery (zero leaves elsewhere); the step descent ends at a
///         committed leaf i, and unless the previous committed step a is i - 1 the Segment round
///         (`commitSegment`) opens the interval [a, i] and a descent over its per-step states
///         (SegmentSteps) finds the step. World: S = 10, K = 4 (committed 0, 4, 8, 10: intervals
///         [0, 4], [4, 8] and the partial [8, 10]), 3 nodes of 12 elements, programs of 11.
contract CommitIntervalsTest is GameFixture {
    using TestTree for FullTree;

    uint256 internal constant S = 10;
    uint256 internal constant K = 4;

    ToyWorld internal world;
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        _deploy();
        world = _world(S, 3, 12, 11);
        world.setCheckpointEvery(K);
    }

    // ---------------------------------------------------------------- helpers

    function _playTo(uint256 gameId, ToyWorld.Fault memory o, ToyWorld.Fault memory c, Level stop) internal {
        _playUntil(world, gameId, Side(operator, o), Side(challenger, c), challenger, 60, stop);
    }

    function _playOut(uint256 gameId, ToyWorld.Fault memory o, ToyWorld.Fault memory c) internal {
        _play(world, gameId, Side(operator, o), Side(challenger, c), challenger, 60);
    }

    function _segment(ToyWorld.Fault memory f, uint256 a, uint256 leaves) internal view returns (FullTree memory) {
        return TestTree.build(world.segmentLeaves(f, a, a + leaves - 1));
    }

    function _trace(ToyWorld.Fault memory f) internal view returns (FullTree memory) {
        return TestTree.build(world.traceLeaves(f));
    }

    /// @dev A game where the operator is wrong from step `t` on, played to the Segment round.
    function _atSegment(uint256 t) internal returns (uint256 gameId, ToyWorld.Fault memory bad) {
        bad = _fault(t, 1, 9, 5);
        gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.Segment);
    }

    /// @dev Sends `who`'s commitSegment of segment `seg` with h_a proven under the operator's trace.
    function _commit(uint256 gameId, address who, FullTree memory seg, ToyWorld.Fault memory operatorFault) internal {
        _commit(gameId, who, seg, operatorFault, "");
    }

    /// @dev `_commit`, expecting it to revert with `err` (partially: its selector, if 4 bytes) unless empty.
    function _commit(
        uint256 gameId,
        address who,
        FullTree memory seg,
        ToyWorld.Fault memory operatorFault,
        bytes memory err
    ) internal {
        GameView memory s = _state(gameId);
        FullTree memory trace = _trace(operatorFault);
        uint256 a = s.segmentStart;
        bytes32[] memory stateAProof = trace.proof(a);
        bytes32[] memory firstProof = seg.proof(0);
        bytes32[] memory lastProof = seg.proof(s.segmentLeaves - 1);
        bytes32 root = seg.root();
        bytes32 stateA = trace.leaf(a);
        if (err.length == 4) vm.expectPartialRevert(bytes4(err));
        else if (err.length > 0) vm.expectRevert(err);
        vm.prank(who);
        game.commitSegment(gameId, root, stateA, stateAProof, firstProof, lastProof);
    }

    function _assertResolved(uint256 gameId, GameStatus status, Resolution resolution, Level level) internal view {
        GameView memory s = _state(gameId);
        assertEq(uint256(s.status), uint256(status), "status");
        assertEq(uint256(s.resolution), uint256(resolution), "resolution");
        assertEq(uint256(s.level), uint256(level), "level");
    }

    // ---------------------------------------------------------------- the trace

    function test_trace_zeroAtStepsNotCommitted() public view {
        bytes32[] memory leaves = world.traceLeaves(_honest());
        assertEq(leaves.length, S + 1);
        for (uint256 t = 0; t <= S; t++) {
            bool committed = t == 0 || t == S || t % K == 0;
            if (committed) assertEq(leaves[t], world.stateAt(_honest(), t), "committed leaf is h_t");
            else assertEq(leaves[t], bytes32(0), "leaf not committed is zero");
        }
    }

    function test_open_copiesCheckpointEvery_stepsLevelOverSPlusOneLeaves() public {
        uint256 gameId = _dispute(world, _fault(5, 1, 9, 5), _honest());
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.Steps));
        assertEq(s.leafCount, S + 1);
        assertEq(s.segmentStart, 0);
        assertEq(s.segmentLeaves, 0);
        assertEq(s.segmentRootOperator, bytes32(0));
        assertEq(s.segmentRootChallenger, bytes32(0));
    }

    // ---------------------------------------------------------------- leaves not committed (padding rule)

    function test_uncommitted_operatorNonZero_operatorLoses() public {
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.Uncommitted, 5, 0, 0);
        uint256 gameId = _dispute(world, bad, _honest());
        _playOut(gameId, bad, _honest());
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.Padding, Level.Steps);
        assertEq(_state(gameId).position, 5);
    }

    function test_uncommitted_challengerNonZero_challengerLoses() public {
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.Uncommitted, 9, 0, 0);
        uint256 gameId = _dispute(world, _honest(), bad);
        _playOut(gameId, _honest(), bad);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Padding, Level.Steps);
        assertEq(_state(gameId).position, 9);
    }

    function test_uncommitted_bothNonZero_challengerLoses() public {
        ToyWorld.Fault memory o = _fault(ToyWorld.FaultKind.Uncommitted, 1, 0, 0);
        ToyWorld.Fault memory c = _fault(ToyWorld.FaultKind.Uncommitted, 1, 0, 0);
        c.delta = 2;
        uint256 gameId = _dispute(world, o, c);
        _playOut(gameId, o, c);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Padding, Level.Steps);
        assertEq(_state(gameId).position, 1);
    }

    // ---------------------------------------------------------------- reaching the Segment round

    function test_segment_opensAtTheCommittedLeaf() public {
        ToyWorld.Fault memory bad = _fault(5, 1, 9, 5);
        uint256 gameId = _dispute(world, bad, _honest());
        bytes32 vO = world.traceLeaves(bad)[8];
        bytes32 vC = world.traceLeaves(_honest())[8];
        vm.recordLogs();
        _playTo(gameId, bad, _honest(), Level.Segment);
        bytes memory data = _lastEvent(vm.getRecordedLogs(), IDisputeGame.SegmentFound.selector);
        assertEq(keccak256(data), keccak256(abi.encode(uint256(4), uint256(5), vO, vC)), "SegmentFound");
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.Segment));
        assertEq(s.position, 8);
        assertEq(s.segmentStart, 4);
        assertEq(s.segmentLeaves, 5);
        assertEq(s.nextStateOperator, vO);
        assertEq(s.nextStateChallenger, vC);
        assertEq(uint256(s.onTurn), uint256(Party.Challenger));
    }

    function test_segment_lastPartialInterval() public {
        // S % K = 2: the last interval is [8, 10], L = 3.
        (uint256 gameId,) = _atSegment(9);
        GameView memory s = _state(gameId);
        assertEq(s.position, 10);
        assertEq(s.segmentStart, 8);
        assertEq(s.segmentLeaves, 3);
    }

    function test_segment_roundCommitsThenStartsDescent() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _atSegment(5);
        FullTree memory segC = _segment(_honest(), 4, 5);
        FullTree memory segO = _segment(bad, 4, 5);
        uint64 usedBefore = _state(gameId).usedChallenger;

        vm.warp(block.timestamp + 30);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.SegmentCommitted(gameId, Party.Challenger, segC.root());
        _commit(gameId, challenger, segC, bad);
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.Segment));
        assertEq(uint256(s.onTurn), uint256(Party.Operator), "the challenger's move passes the turn");
        assertEq(s.segmentRootChallenger, segC.root());
        assertEq(uint256(s.usedChallenger), uint256(usedBefore) + 30, "the challenger's clock ran 30 s");
        uint64 usedC = s.usedChallenger;

        vm.warp(block.timestamp + 40);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.SegmentCommitted(gameId, Party.Operator, segO.root());
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.DescentStarted(gameId, 1, operator, Level.SegmentSteps, 5, 3, segO.root(), segC.root());
        _commit(gameId, operator, segO, bad);
        s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.SegmentSteps));
        assertEq(uint256(s.onTurn), uint256(Party.Challenger));
        assertEq(s.usedChallenger, usedC);
        assertEq(s.segmentRootOperator, segO.root());
        assertEq(s.leafCount, 5);
        assertEq(s.height, 3);
        assertEq(s.position, 0);
        assertEq(s.rootOperator, segO.root());
        assertEq(s.rootChallenger, segC.root());
    }

    // ---------------------------------------------------------------- commitSegment reverts

    function test_commitSegment_wrongLevel_reverts() public {
        ToyWorld.Fault memory bad = _fault(5, 1, 9, 5);
        uint256 gameId = _dispute(world, bad, _honest());
        FullTree memory seg = _segment(_honest(), 4, 5);
        bytes32 root = seg.root();
        bytes32[] memory none = new bytes32[](0);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongLevel.selector, gameId, Level.Steps, Level.Segment));
        game.commitSegment(gameId, root, bytes32(0), none, none, none);
    }

    function test_commitSegment_notOnTurn_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _atSegment(5);
        FullTree memory segO = _segment(bad, 4, 5);
        _commit(gameId, operator, segO, bad, abi.encodeWithSelector(Errors.NotOnTurn.selector, operator, challenger));
        _commit(gameId, stranger, segO, bad, abi.encodeWithSelector(Errors.NotOnTurn.selector, stranger, challenger));
        _commit(gameId, challenger, _segment(_honest(), 4, 5), bad);
        _commit(
            gameId,
            challenger,
            _segment(_honest(), 4, 5),
            bad,
            abi.encodeWithSelector(Errors.NotOnTurn.selector, challenger, operator)
        );
    }

    function test_commitSegment_zeroRoot_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _atSegment(5);
        FullTree memory trace = _trace(bad);
        bytes32[] memory stateAProof = trace.proof(4);
        bytes32[] memory none = new bytes32[](3);
        bytes32 stateA = trace.leaf(4);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroSegmentRoot.selector, gameId));
        game.commitSegment(gameId, bytes32(0), stateA, stateAProof, none, none);
    }

    function test_commitSegment_stateANotInTrace_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _atSegment(5);
        FullTree memory trace = _trace(bad);
        FullTree memory seg = _segment(_honest(), 4, 5);
        bytes32 root = seg.root();
        bytes32[] memory first = seg.proof(0);
        bytes32[] memory last = seg.proof(4);
        bytes32[] memory stateAProof = trace.proof(4);
        uint256 depth = Merkle.treeDepth(S + 1);
        // a wrong value with a real proof
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.StateProofInvalid.selector, 4, depth, depth));
        game.commitSegment(gameId, root, keccak256("not h_4"), stateAProof, first, last);
        // the right value with a proof of the wrong length
        bytes32 stateA = trace.leaf(4);
        bytes32[] memory shortProof = new bytes32[](depth - 1);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.StateProofInvalid.selector, 4, depth - 1, depth));
        game.commitSegment(gameId, root, stateA, shortProof, first, last);
        _commitWithH0(gameId, trace, seg, depth);
    }

    /// @dev Another committed leaf of the trace (h_0 is agreed, but it is not h_a = h_4).
    function _commitWithH0(uint256 gameId, FullTree memory trace, FullTree memory seg, uint256 depth) internal {
        bytes32 h0 = trace.leaf(0);
        bytes32 root = seg.root();
        bytes32[] memory proof0 = trace.proof(0);
        bytes32[] memory first = seg.proof(0);
        bytes32[] memory last = seg.proof(4);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.StateProofInvalid.selector, 4, depth, depth));
        game.commitSegment(gameId, root, h0, proof0, first, last);
    }

    function test_commitSegment_firstLeafNotStateA_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _atSegment(5);
        FullTree memory trace = _trace(bad);
        // a segment that starts one step late: leaf 0 is h_5, not h_4
        bytes32[] memory leaves = world.segmentLeaves(_honest(), 4, 8);
        leaves[0] = world.stateAt(_honest(), 5);
        FullTree memory seg = TestTree.build(leaves);
        bytes32 stateA = trace.leaf(4);
        bytes32 root = seg.root();
        bytes32[] memory stateAProof = trace.proof(4);
        bytes32[] memory first = seg.proof(0);
        bytes32[] memory last = seg.proof(4);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.SegmentProofInvalid.selector, 0, stateA, 3, 3));
        game.commitSegment(gameId, root, stateA, stateAProof, first, last);
        // leaf 0's proof of the wrong length
        seg = _segment(_honest(), 4, 5);
        root = seg.root();
        last = seg.proof(4);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.SegmentProofInvalid.selector, 0, stateA, 2, 3));
        game.commitSegment(gameId, root, stateA, stateAProof, new bytes32[](2), last);
    }

    function test_commitSegment_lastLeafNotOwnValue_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _atSegment(5);
        // the challenger commits the operator's segment: its last leaf is the operator's h_8
        FullTree memory segO = _segment(bad, 4, 5);
        bytes32 ownC = world.traceLeaves(_honest())[8];
        _commit(
            gameId, challenger, segO, bad, abi.encodeWithSelector(Errors.SegmentProofInvalid.selector, 4, ownC, 3, 3)
        );
        // a segment of the wrong length (the interval is 5 states, this one 4): its proofs are too short
        FullTree memory short = TestTree.build(world.segmentLeaves(_honest(), 4, 7));
        _commit(
            gameId,
            challenger,
            short,
            bad,
            abi.encodeWithSelector(Errors.SegmentProofInvalid.selector, 0, world.stateAt(_honest(), 4), 2, 3)
        );
        // the challenger commits, then the operator tries the challenger's segment
        _commit(gameId, challenger, _segment(_honest(), 4, 5), bad);
        bytes32 ownO = world.traceLeaves(bad)[8];
        _commit(
            gameId,
            operator,
            _segment(_honest(), 4, 5),
            bad,
            abi.encodeWithSelector(Errors.SegmentProofInvalid.selector, 4, ownO, 3, 3)
        );
    }

    function test_commitSegment_afterClockExpired_reverts_andTimeoutDecides() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _atSegment(5);
        vm.warp(block.timestamp + MAX_CLOCK + 1);
        FullTree memory segC = _segment(_honest(), 4, 5);
        _commit(gameId, challenger, segC, bad, abi.encodePacked(Errors.ClockExpired.selector));
        game.claimTimeout(gameId);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Timeout, Level.Segment);
    }

    function test_segment_silentOperator_loses() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _atSegment(5);
        _commit(gameId, challenger, _segment(_honest(), 4, 5), bad);
        vm.warp(block.timestamp + MAX_CLOCK + 1);
        game.claimTimeout(gameId);
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.Timeout, Level.Segment);
    }

    function test_reveal_atSegment_notDescending_reverts() public {
        (uint256 gameId,) = _atSegment(5);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotDescending.selector, gameId, Level.Segment));
        game.reveal(gameId, bytes32(0), bytes32(0));
    }

    // ---------------------------------------------------------------- the segment descent

    /// @notice Every step of every interval (first, middle, last; the last partial interval too),
    ///         either side faulty: the game finds the faulty step and the faulty side loses.
    function test_segmentSteps_findsEveryStep_eitherSide() public {
        for (uint256 t = 0; t < S; t++) {
            _checkFindsStep(t, true);
            _checkFindsStep(t, false);
        }
    }

    function _checkFindsStep(uint256 t, bool operatorFaulty) internal {
        ToyWorld.Fault memory bad = _fault(t, 1, 9, 5);
        (ToyWorld.Fault memory o, ToyWorld.Fault memory c) = operatorFaulty ? (bad, _honest()) : (_honest(), bad);
        uint256 gameId = _dispute(world, o, c);
        _playTo(gameId, o, c, Level.StepStart);
        GameView memory s = _state(gameId);
        uint256 i = t + 1 + (K - (t + 1) % K) % K; // the first committed step after t
        if (i > S) i = S;
        uint256 a = ((i - 1) / K) * K;
        assertEq(s.step, t, "step found");
        assertEq(s.segmentStart, i - a == 1 ? 0 : a, "segment start");
        assertEq(s.segmentLeaves, i - a == 1 ? 0 : i - a + 1, "segment leaves");
        assertEq(s.nextStateOperator, world.stateAt(o, t + 1), "h_{t+1} of O");
        assertEq(s.nextStateChallenger, world.stateAt(c, t + 1), "h_{t+1} of C");
        _playOut(gameId, o, c);
        _assertResolved(
            gameId,
            operatorFaulty ? GameStatus.ChallengerWon : GameStatus.OperatorWon,
            Resolution.OneStep,
            Level.OneStep
        );
        GameView memory end = _state(gameId);
        assertEq(end.step, t);
        assertEq(end.node, 1);
        assertEq(end.element, 9);
        assertEq(end.instruction, 5);
    }

    function test_segmentSteps_stepFoundEvent() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _atSegment(6);
        vm.recordLogs();
        _playTo(gameId, bad, _honest(), Level.StepStart);
        bytes memory data = _lastEvent(vm.getRecordedLogs(), IDisputeGame.StepFound.selector);
        assertEq(
            keccak256(data),
            keccak256(abi.encode(uint256(6), world.stateAt(bad, 7), world.stateAt(_honest(), 7))),
            "StepFound"
        );
        assertEq(_state(gameId).position, 3, "leaf j = t - a + 1");
    }

    function test_segmentSteps_paddingLeavesNeverReached() public {
        // The challenger's segment has junk in its padding leaves (5..7 of 8): the descent still
        // ends at the faulty step, since every segment's leaf L - 1 differs.
        ToyWorld.Fault memory bad = _fault(7, 1, 9, 5);
        uint256 gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.Segment);
        bytes32[] memory leaves = new bytes32[](8);
        bytes32[] memory real = world.segmentLeaves(_honest(), 4, 8);
        for (uint256 k = 0; k < 5; k++) {
            leaves[k] = real[k];
        }
        leaves[5] = keccak256("padding 5");
        leaves[7] = keccak256("padding 7");
        FullTree memory segC = TestTree.build(leaves);
        // TestTree.build over 8 leaves: leaf 4 (L - 1) has the same depth-3 proof as in a tree of 5
        _commit(gameId, challenger, segC, bad);
        _commit(gameId, operator, _segment(bad, 4, 5), bad);
        // play the segment descent by hand with the padded tree
        for (uint256 h = 3; h > 0; h--) {
            GameView memory s = _state(gameId);
            (bytes32 l, bytes32 r) = segC.children(s.height, s.position);
            vm.prank(challenger);
            game.reveal(gameId, l, r);
            FullTree memory segO = _segment(bad, 4, 5);
            (l, r) = segO.children(s.height, s.position);
            vm.prank(operator);
            game.reveal(gameId, l, r);
        }
        GameView memory e = _state(gameId);
        assertEq(uint256(e.level), uint256(Level.StepStart));
        assertEq(e.position, 4);
        assertEq(e.step, 7);
    }

    // ---------------------------------------------------------------- startStep after a segment

    function test_startStep_provesAgainstOperatorSegment() public {
        ToyWorld.Fault memory bad = _fault(6, 1, 9, 5);
        uint256 gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.StepStart);
        GameView memory s = _state(gameId);
        assertEq(s.step, 6);
        FullTree memory segO = _segment(bad, 4, 5);
        bytes32 nodesRoot = world.nodesRoot();
        bytes32 h6 = world.stateAt(bad, 6);
        // the trace's leaf 6 is zero (not committed): a trace proof does not pass
        FullTree memory trace = _trace(bad);
        bytes32[] memory traceProof = trace.proof(6);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.StateProofInvalid.selector, 2, 4, 3));
        game.startStep(gameId, h6, traceProof, nodesRoot, 3, 2);
        // a wrong value under the segment
        bytes32[] memory proof = segO.proof(2);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.StateProofInvalid.selector, 2, 3, 3));
        game.startStep(gameId, keccak256("not h_6"), proof, nodesRoot, 3, 2);
        // the challenger's segment is not the one proofs are checked against
        FullTree memory segC = _segment(_honest(), 4, 5);
        if (segC.node(1, 1) != segO.node(1, 1)) {
            bytes32[] memory proofC = segC.proof(2);
            proofC[0] = keccak256("other");
            vm.prank(challenger);
            vm.expectRevert(abi.encodeWithSelector(Errors.StateProofInvalid.selector, 2, 3, 3));
            game.startStep(gameId, h6, proofC, nodesRoot, 3, 2);
        }
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.StepStarted(gameId, 1, operator, 6, h6, nodesRoot, 3, 2);
        vm.prank(operator);
        game.startStep(gameId, h6, proof, nodesRoot, 3, 2);
        s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.Nodes));
        assertEq(s.stateRoot, h6);
    }

    function test_startStep_firstStepOfInterval_isLeafZeroOfSegment() public {
        ToyWorld.Fault memory bad = _fault(4, 1, 9, 5);
        uint256 gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.StepStart);
        GameView memory s = _state(gameId);
        assertEq(s.step, 4);
        assertEq(s.segmentStart, 4);
        FullTree memory segO = _segment(bad, 4, 5);
        bytes32 nodesRoot = world.nodesRoot();
        bytes32 h4 = world.stateAt(bad, 4);
        bytes32[] memory proof = segO.proof(0);
        vm.prank(challenger);
        game.startStep(gameId, h4, proof, nodesRoot, 3, 2);
        assertEq(_state(gameId).stateRoot, h4);
    }

    function test_startStep_stepZeroInSegment_usesInitialState() public {
        ToyWorld.Fault memory bad = _fault(0, 1, 9, 5);
        uint256 gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.StepStart);
        assertEq(_state(gameId).segmentLeaves, 5);
        bytes32 nodesRoot = world.nodesRoot();
        vm.prank(challenger);
        game.startStep(gameId, keccak256("ignored"), new bytes32[](0), nodesRoot, 3, 2);
        assertEq(_state(gameId).stateRoot, world.initStateRoot());
    }

    // ---------------------------------------------------------------- the direct path

    function test_directPath_kOne_isTodaysGame() public {
        ToyWorld w = _world(6, 3, 12, 11);
        ToyWorld.Fault memory bad = _fault(2, 1, 9, 5);
        uint256 gameId = _dispute(w, bad, _honest());
        _playUntil(w, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60, Level.StepStart);
        GameView memory s = _state(gameId);
        assertEq(s.step, 2);
        assertEq(s.position, 3);
        assertEq(s.segmentLeaves, 0);
        FullTree memory trace = TestTree.build(w.traceLeaves(bad));
        bytes32 nodesRoot = w.nodesRoot();
        bytes32[] memory proof = trace.proof(2);
        vm.prank(challenger);
        game.startStep(gameId, trace.leaf(2), proof, nodesRoot, 3, 2);
        _play(w, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        assertEq(uint256(_state(gameId).status), uint256(GameStatus.ChallengerWon));
        assertEq(_state(gameId).segmentLeaves, 0);
    }

    function test_directPath_lastLeafRightAfterACommittedStep() public {
        // S = 9, K = 4: committed 0, 4, 8, 9; a fault at step 8 differs first at leaf 9, whose previous
        // committed step is 8 = 9 - 1: straight to StepStart, h_8 proven under the trace.
        ToyWorld w = _world(9, 3, 12, 11);
        w.setCheckpointEvery(4);
        ToyWorld.Fault memory bad = _fault(8, 1, 9, 5);
        uint256 gameId = _dispute(w, _honest(), bad);
        _playUntil(w, gameId, Side(operator, _honest()), Side(challenger, bad), challenger, 60, Level.StepStart);
        GameView memory s = _state(gameId);
        assertEq(s.step, 8);
        assertEq(s.position, 9);
        assertEq(s.segmentLeaves, 0);
        _play(w, gameId, Side(operator, _honest()), Side(challenger, bad), challenger, 60);
        assertEq(uint256(_state(gameId).status), uint256(GameStatus.OperatorWon));
    }

    function test_initialState_ruleUnchanged() public {
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.BadInit, 0, 0, 0);
        uint256 gameId = _dispute(world, bad, _honest());
        _playOut(gameId, bad, _honest());
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.InitialState, Level.Steps);
    }

    function test_paddingStep_ruleUnchanged() public {
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.PaddingStep, 0, 0, 0);
        uint256 gameId = _dispute(world, _honest(), bad);
        _playOut(gameId, _honest(), bad);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Padding, Level.Steps);
        assertEq(_state(gameId).position, S + 1);
    }

    // ---------------------------------------------------------------- availability

    function test_availability_onlyCommittedSteps() public {
        uint256 taskId = _submittedTask(world, _honest());
        _stake(stranger, 1 ether);
        for (uint256 t = 0; t <= S + 1; t++) {
            bool challengeable = t != 0 && t <= S && (t == S || t % K == 0);
            if (challengeable) continue;
            vm.prank(stranger);
            vm.expectRevert(abi.encodeWithSelector(Errors.NotCheckpointStep.selector, t, K, S));
            game.openAvailability(taskId, t, _noSlot(), 0, 1);
        }
    }

    function _noSlot() internal pure returns (SlotProof memory) {}

    /// @dev The data of the last `signature` event the game emitted among the recorded logs.
    function _lastEvent(Vm.Log[] memory logs, bytes32 signature) internal view returns (bytes memory data) {
        for (uint256 k = logs.length; k > 0; k--) {
            Vm.Log memory log = logs[k - 1];
            if (log.emitter == address(game) && log.topics.length > 0 && log.topics[0] == signature) {
                return log.data;
            }
        }
        revert("event not emitted");
    }
}
