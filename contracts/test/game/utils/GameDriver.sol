// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CheatBase} from "../../utils/CheatBase.sol";
import {DisputeGame} from "../../../src/DisputeGame.sol";
import {GameStatus, GameView, Level, Party} from "../../../src/DisputeTypes.sol";
import {InputShape, OperandProof} from "../../../src/IOneStepProver.sol";
import {FullTree, TestTree} from "./TestTree.sol";
import {ToyWorld} from "./ToyWorld.sol";

/// @notice Plays dispute games over a `ToyWorld` (with the AlphabetProver): each party moves from its
///         own view of the world, honest or faulty. Shared by the unit, fuzz and invariant tests.
abstract contract GameDriver is CheatBase {
    using TestTree for FullTree;

    DisputeGame internal game;

    /// @notice A party as the driver plays it: its account and its view of the world.
    struct Side {
        address account;
        ToyWorld.Fault fault;
    }

    // ---------------------------------------------------------------- the driver

    /// @dev The two parties' trees of the level being descended, rebuilt when the level changes.
    struct Cache {
        Level level;
        FullTree operatorTree;
        FullTree challengerTree;
    }

    /// @notice If set, `_play`/`_playUntil` stop at the verdict and leave the game unsettled.
    bool internal leaveUnsettled;

    function _isDescent(Level level) internal pure returns (bool) {
        return level == Level.Steps || level == Level.Nodes || level == Level.Element || level == Level.Instruction
            || level == Level.SegmentSteps;
    }

    function _levelTree(ToyWorld world, GameView memory s, ToyWorld.Fault memory f)
        internal
        view
        returns (FullTree memory)
    {
        if (s.level == Level.Steps) return TestTree.build(world.traceLeaves(f));
        if (s.level == Level.SegmentSteps) return _segmentTree(world, s, f);
        if (s.level == Level.Nodes) return TestTree.build(world.stateLeaves(f, s.step));
        if (s.level == Level.Element) return TestTree.build(world.outputLeaves(f, s.step, s.node));
        return TestTree.build(world.intermediateLeaves(f, s.step, s.node, s.element));
    }

    /// @notice Plays game `gameId` to its end: whoever is on turn moves from its own view; proof
    ///         moves are sent by `prover_` (either side). `secondsPerMove` pass before every move.
    function _play(
        ToyWorld world,
        uint256 gameId,
        Side memory o,
        Side memory c,
        address prover_,
        uint256 secondsPerMove
    ) internal {
        _playUntil(world, gameId, o, c, prover_, secondsPerMove, Level.None);
    }

    /// @notice Plays game `gameId` until it reaches level `stop` (None: to its end) or ends.
    function _playUntil(
        ToyWorld world,
        uint256 gameId,
        Side memory o,
        Side memory c,
        address prover_,
        uint256 secondsPerMove,
        Level stop
    ) internal {
        Cache memory cache;
        for (uint256 guard = 0; guard < 400; guard++) {
            GameView memory s = game.gameState(gameId);
            if (s.status == GameStatus.OperatorWon || s.status == GameStatus.ChallengerWon) {
                // The verdict is recorded; carry it out as the winner would (anyone may).
                if (!leaveUnsettled && !game.isSettled(gameId)) game.settle(gameId);
                return;
            }
            if (s.status != GameStatus.Active || s.level == stop) return;
            vm.warp(block.timestamp + secondsPerMove);
            _move(world, gameId, s, o, c, prover_, cache);
        }
        revert("driver: the game did not end");
    }

    /// @notice Makes the one move game `gameId` waits for.
    function _move(
        ToyWorld world,
        uint256 gameId,
        GameView memory s,
        Side memory o,
        Side memory c,
        address prover_,
        Cache memory cache
    ) internal {
        Side memory mover = s.onTurn == Party.Operator ? o : c;
        if (_isDescent(s.level)) {
            if (cache.level != s.level) {
                cache.operatorTree = _levelTree(world, s, o.fault);
                cache.challengerTree = _levelTree(world, s, c.fault);
                cache.level = s.level;
            }
            FullTree memory tree = s.onTurn == Party.Operator ? cache.operatorTree : cache.challengerTree;
            (bytes32 left, bytes32 right) = tree.children(s.height, s.position);
            vm.prank(mover.account);
            game.reveal(gameId, left, right);
        } else if (s.level == Level.Segment) {
            _commitSegment(world, gameId, s, mover, o.fault);
        } else if (s.level == Level.StepStart) {
            _startStep(world, gameId, s, o, prover_);
        } else if (s.level == Level.NodeStart) {
            bytes memory descriptor = world.descriptor(s.node);
            bytes32[] memory proof = world.nodesTree().proof(s.node);
            vm.prank(prover_);
            game.startNode(gameId, descriptor, proof);
        } else if (s.level == Level.OutputRoot) {
            bytes32 dataRoot = TestTree.build(world.outputLeaves(mover.fault, s.step, s.node)).root();
            vm.prank(mover.account);
            game.revealOutputRoot(gameId, dataRoot);
        } else if (s.level == Level.Intermediates) {
            _commit(world, gameId, s, mover);
        } else {
            bytes memory descriptor = world.descriptor(s.node);
            OperandProof[] memory operands = _operands(world, s, o.fault);
            vm.prank(prover_);
            game.oneStep(gameId, descriptor, new InputShape[](0), operands);
        }
    }

    /// @notice The party's segment h_a..h_i of the game's interval.
    function _segmentTree(ToyWorld world, GameView memory s, ToyWorld.Fault memory f)
        internal
        view
        returns (FullTree memory)
    {
        uint256 a = s.segmentStart;
        return TestTree.build(world.segmentLeaves(f, a, a + s.segmentLeaves - 1));
    }

    /// @notice The mover's `commitSegment`: its segment root, h_a under the operator's trace root and
    ///         under the segment, and its own h_i as the segment's last leaf.
    function _commitSegment(
        ToyWorld world,
        uint256 gameId,
        GameView memory s,
        Side memory mover,
        ToyWorld.Fault memory operatorFault
    ) internal {
        FullTree memory trace = TestTree.build(world.traceLeaves(operatorFault));
        FullTree memory segment = _segmentTree(world, s, mover.fault);
        uint256 a = s.segmentStart;
        bytes32[] memory stateAProof = trace.proof(a);
        bytes32[] memory firstProof = segment.proof(0);
        bytes32[] memory lastProof = segment.proof(s.segmentLeaves - 1);
        vm.prank(mover.account);
        game.commitSegment(gameId, segment.root(), trace.leaf(a), stateAProof, firstProof, lastProof);
    }

    function _startStep(ToyWorld world, uint256 gameId, GameView memory s, Side memory o, address prover_) internal {
        (bytes32 stateRoot, bytes32[] memory proof) = _stateProof(world, s, o.fault);
        bytes32 nodesRoot = world.nodesRoot();
        uint256 numNodes = world.numNodes();
        uint256 numSlots = world.numSlots();
        vm.prank(prover_);
        game.startStep(gameId, stateRoot, proof, nodesRoot, numNodes, numSlots);
    }

    /// @notice h_t and its proof for `startStep`: under the operator's segment after a Segment round,
    ///         else under its trace.
    function _stateProof(ToyWorld world, GameView memory s, ToyWorld.Fault memory operatorFault)
        internal
        view
        returns (bytes32, bytes32[] memory)
    {
        if (s.segmentLeaves != 0) {
            FullTree memory segment = _segmentTree(world, s, operatorFault);
            uint256 j = s.step - s.segmentStart;
            return (segment.leaf(j), segment.proof(j));
        }
        FullTree memory trace = TestTree.build(world.traceLeaves(operatorFault));
        return (trace.leaf(s.step), trace.proof(s.step));
    }

    function _commit(ToyWorld world, uint256 gameId, GameView memory s, Side memory mover) internal {
        FullTree memory tree = TestTree.build(world.intermediateLeaves(mover.fault, s.step, s.node, s.element));
        uint256 lastLeaf = (world.lengths(s.node) - 1) / 8;
        bytes memory descriptor = world.descriptor(s.node);
        vm.prank(mover.account);
        game.commitIntermediates(
            gameId, descriptor, new InputShape[](0), tree.root(), tree.leaf(lastLeaf), tree.proof(lastLeaf)
        );
    }

    /// @notice The AlphabetProver's one operand: intermediate i - 1, proven when in an earlier leaf.
    function _operands(ToyWorld world, GameView memory s, ToyWorld.Fault memory operatorFault)
        internal
        view
        returns (OperandProof[] memory operands)
    {
        operands = new OperandProof[](1);
        uint256 i = s.instruction;
        if (i > 0 && (i - 1) / 8 != i / 8) {
            FullTree memory tree = TestTree.build(world.intermediateLeaves(operatorFault, s.step, s.node, s.element));
            operands[0].leaf = tree.leaf((i - 1) / 8);
            operands[0].leafProof = tree.proof((i - 1) / 8);
        }
    }
}
