// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DisputeGame} from "../../src/DisputeGame.sol";
import {CollateralKind, GameStatus, GameView, Level, Party, Resolution} from "../../src/DisputeTypes.sol";
import {Errors} from "../../src/Errors.sol";
import {IDisputeGame} from "../../src/IDisputeGame.sol";
import {IOneStepProver, InputShape, OperandProof} from "../../src/IOneStepProver.sol";
import {StakeManager} from "../../src/StakeManager.sol";
import {RootKind, Task, TaskStatus} from "../../src/Task.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {AlphabetProver} from "./mocks/AlphabetProver.sol";
import {GameFixture} from "./utils/GameFixture.sol";
import {FullTree, TestTree} from "./utils/TestTree.sol";
import {ToyWorld} from "./utils/ToyWorld.sol";

/// @notice Every transition and every revert of the dispute game, played over a small `ToyWorld`
///         (6 steps, 3 nodes of 12 elements, programs of 11 instructions) with the AlphabetProver.
contract DisputeGameTest is GameFixture {
    using TestTree for FullTree;

    ToyWorld internal world;
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        _deploy();
        world = _world(6, 3, 12, 11);
    }

    // ---------------------------------------------------------------- helpers

    function _operatorFaultGame() internal returns (uint256 gameId, ToyWorld.Fault memory bad) {
        bad = _fault(2, 1, 9, 5);
        gameId = _dispute(world, bad, _honest());
    }

    function _playTo(uint256 gameId, ToyWorld.Fault memory o, ToyWorld.Fault memory c, Level stop) internal {
        _playUntil(world, gameId, Side(operator, o), Side(challenger, c), challenger, 60, stop);
    }

    function _taskOf(uint256 gameId) internal view returns (Task memory) {
        return market.getTask(_state(gameId).taskId);
    }

    function _assertResolved(uint256 gameId, GameStatus status) internal view {
        assertEq(uint256(_state(gameId).status), uint256(status), "status");
    }

    function _assertResolved(uint256 gameId, GameStatus status, Resolution resolution, Level level) internal view {
        GameView memory s = _state(gameId);
        assertEq(uint256(s.status), uint256(status), "status");
        assertEq(uint256(s.resolution), uint256(resolution), "resolution");
        assertEq(uint256(s.level), uint256(level), "level");
    }

    function _traceTree(ToyWorld.Fault memory f) internal view returns (FullTree memory) {
        return TestTree.build(world.traceLeaves(f));
    }

    // ---------------------------------------------------------------- constructor and wiring

    function test_constructor_setsImmutables() public view {
        assertEq(address(game.STAKE_MANAGER()), address(sm));
        assertEq(address(game.MARKET()), address(market));
        assertEq(game.CHALLENGER_BOND(), BOND);
        assertEq(uint256(game.MAX_CLOCK()), uint256(MAX_CLOCK));
        assertEq(address(game.ONE_STEP_PROVER()), address(prover));
        assertTrue(address(game.GAME_PROOFS()).code.length > 0, "GameProofs created by the constructor");
    }

    /// @notice EIP-170: deployed code at most 24 KiB.
    function test_codeSize_fitsEip170() public view {
        assertLe(address(game).code.length, 24_576, "DisputeGame");
        assertLe(address(game.AVAILABILITY_PROOFS()).code.length, 24_576, "AvailabilityProofs");
        assertLe(address(game.GAME_PROOFS()).code.length, 24_576, "GameProofs");
    }

    function test_wiring_gameIsSlasherAndMarketHook() public view {
        assertEq(sm.disputeGame(), address(game));
        assertEq(market.disputeGame(), address(game));
    }

    function test_constructor_zeroAddress_reverts() public {
        IOneStepProver p = IOneStepProver(address(prover));
        vm.expectRevert(Errors.ZeroAddress.selector);
        new DisputeGame(StakeManager(address(0)), market, BOND, MAX_CLOCK, p, CHUNK_BOND, CHUNK_LEAVES);
        vm.expectRevert(Errors.ZeroAddress.selector);
        new DisputeGame(sm, TaskMarket(address(0)), BOND, MAX_CLOCK, p, CHUNK_BOND, CHUNK_LEAVES);
        vm.expectRevert(Errors.ZeroAddress.selector);
        new DisputeGame(sm, market, BOND, MAX_CLOCK, IOneStepProver(address(0)), CHUNK_BOND, CHUNK_LEAVES);
    }

    function test_constructor_stakeManagerMismatch_reverts() public {
        StakeManager other = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        vm.expectRevert(abi.encodeWithSelector(Errors.StakeManagerMismatch.selector, address(other), address(sm)));
        new DisputeGame(other, market, BOND, MAX_CLOCK, IOneStepProver(address(prover)), CHUNK_BOND, CHUNK_LEAVES);
    }

    function test_constructor_zeroBond_reverts() public {
        vm.expectRevert(Errors.ZeroChallengerBond.selector);
        new DisputeGame(sm, market, 0, MAX_CLOCK, IOneStepProver(address(prover)), CHUNK_BOND, CHUNK_LEAVES);
    }

    function test_constructor_zeroMaxClock_reverts() public {
        vm.expectRevert(Errors.ZeroMaxClock.selector);
        new DisputeGame(sm, market, BOND, 0, IOneStepProver(address(prover)), CHUNK_BOND, CHUNK_LEAVES);
    }

    function test_constructor_clocksMustFitDisputeDuration() public {
        uint64 half = MAX_DISPUTE_DURATION / 2;
        new DisputeGame(sm, market, BOND, half, IOneStepProver(address(prover)), CHUNK_BOND, CHUNK_LEAVES);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.ClockExceedsDisputeDuration.selector, 2 * uint256(half + 1), uint256(MAX_DISPUTE_DURATION)
            )
        );
        new DisputeGame(sm, market, BOND, half + 1, IOneStepProver(address(prover)), CHUNK_BOND, CHUNK_LEAVES);
    }

    // ---------------------------------------------------------------- open

    function test_open_locksBondAndStartsChallengerClock() public {
        uint256 taskId = _submittedTask(world, _honest());
        bytes32 root = world.traceRoot(_fault(1, 0, 0, 0));
        bytes32 operatorRoot = world.traceRoot(_honest());
        _stake(challenger, BOND);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameOpened(1, taskId, challenger, operator, operatorRoot, root, BOND, MAX_CLOCK);
        vm.prank(challenger);
        uint256 gameId = game.open(taskId, root);

        assertEq(gameId, 1);
        assertEq(game.gameCount(), 1);
        assertEq(sm.lockedBy(challenger, address(game)), BOND);
        assertEq(uint256(market.getTask(taskId).openDisputes), 1);
        GameView memory s = _state(gameId);
        assertEq(uint256(s.status), uint256(GameStatus.Active));
        assertEq(uint256(s.level), uint256(Level.Steps));
        assertEq(uint256(s.onTurn), uint256(Party.Challenger));
        assertFalse(s.challengerRevealed);
        assertEq(s.leafCount, 7);
        assertEq(s.height, 3);
        assertEq(s.position, 0);
        assertEq(s.rootOperator, world.traceRoot(_honest()));
        assertEq(s.rootChallenger, root);
        assertEq(s.deadline, block.timestamp + MAX_CLOCK);
        assertEq(s.operator, operator);
        assertEq(s.challenger, challenger);
        assertEq(uint256(s.collateral), uint256(CollateralKind.TaskStake), "the first game holds the task stake");
    }

    function test_open_byOperator_reverts() public {
        uint256 taskId = _submittedTask(world, _honest());
        _stake(operator, BOND);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChallengerIsOperator.selector, taskId, operator));
        game.open(taskId, keccak256("other"));
    }

    function test_open_zeroRoot_reverts() public {
        uint256 taskId = _submittedTask(world, _honest());
        _stake(challenger, BOND);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.Trace));
        game.open(taskId, bytes32(0));
    }

    function test_open_sameRoot_reverts() public {
        bytes32 root = world.traceRoot(_honest());
        uint256 taskId = _submittedTask(world, _honest());
        _stake(challenger, BOND);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.SameTraceRoot.selector, root));
        game.open(taskId, root);
    }

    function test_open_taskNotSubmitted_reverts() public {
        uint256 taskId = _submittedTask(world, _honest());
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
        _stake(challenger, BOND);
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.WrongStatus.selector, taskId, TaskStatus.Finalized, TaskStatus.Submitted)
        );
        game.open(taskId, keccak256("other"));
    }

    function test_open_afterChallengeWindow_reverts() public {
        uint256 taskId = _submittedTask(world, _honest());
        uint256 endsAt = market.challengeEndsAt(taskId);
        vm.warp(endsAt + 1);
        _stake(challenger, BOND);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChallengeWindowClosed.selector, endsAt));
        game.open(taskId, keccak256("other"));
    }

    function test_open_bondAboveFreeStake_reverts() public {
        uint256 taskId = _submittedTask(world, _honest());
        _stake(challenger, BOND - 1);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.StakeTooLow.selector, BOND - 1, BOND));
        game.open(taskId, keccak256("other"));
    }

    function test_open_twoChallengers_bothCounted() public {
        uint256 taskId = _submittedTask(world, _honest());
        _open(taskId, challenger, keccak256("one"));
        _open(taskId, stranger, keccak256("two"));
        assertEq(uint256(market.getTask(taskId).openDisputes), 2);
        assertEq(game.gameCount(), 2);
        // the operator has no free stake: the second game waits for collateral (test/game/Challengers.t.sol)
        assertEq(uint256(game.gameStatus(2)), uint256(GameStatus.Queued));
    }

    // ---------------------------------------------------------------- reveal

    function test_reveal_roundBisectsLeftWhenLeftChildrenDiffer() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        FullTree memory o = _traceTree(bad);
        FullTree memory c = _traceTree(_honest());
        (bytes32 lc, bytes32 rc) = c.children(3, 0);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.ChildrenRevealed(gameId, 1, challenger, Level.Steps, 0, 3, lc, rc);
        vm.prank(challenger);
        game.reveal(gameId, lc, rc);

        GameView memory s = _state(gameId);
        assertEq(uint256(s.onTurn), uint256(Party.Operator));
        assertTrue(s.challengerRevealed);
        assertEq(s.challengerLeft, lc);
        assertEq(s.challengerRight, rc);
        assertEq(s.height, 3, "a challenger reveal does not descend");

        (bytes32 lo, bytes32 ro) = o.children(3, 0);
        // fault at step 2: h_3 (leaf 3) differs, in the left half of 8 leaves
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.Bisected(gameId, 1, operator, Level.Steps, 0, 2, lo, lc);
        vm.prank(operator);
        game.reveal(gameId, lo, ro);
        s = _state(gameId);
        assertEq(s.height, 2);
        assertEq(s.position, 0);
        assertEq(s.rootOperator, lo);
        assertEq(s.rootChallenger, lc);
        assertEq(uint256(s.onTurn), uint256(Party.Challenger));
    }

    function test_reveal_roundBisectsRightWhenLeftChildrenAgree() public {
        ToyWorld.Fault memory bad = _fault(4, 0, 0, 0); // h_5 = leaf 5, right half
        uint256 gameId = _dispute(world, bad, _honest());
        FullTree memory o = _traceTree(bad);
        FullTree memory c = _traceTree(_honest());
        (bytes32 lc, bytes32 rc) = c.children(3, 0);
        vm.prank(challenger);
        game.reveal(gameId, lc, rc);
        (bytes32 lo, bytes32 ro) = o.children(3, 0);
        assertEq(lo, lc);
        vm.prank(operator);
        game.reveal(gameId, lo, ro);
        GameView memory s = _state(gameId);
        assertEq(s.position, 1);
        assertEq(s.rootOperator, ro);
        assertEq(s.rootChallenger, rc);
    }

    function test_reveal_operatorBeforeChallenger_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        (bytes32 l, bytes32 r) = _traceTree(bad).children(3, 0);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotOnTurn.selector, operator, challenger));
        game.reveal(gameId, l, r);
    }

    function test_reveal_byStranger_reverts() public {
        (uint256 gameId,) = _operatorFaultGame();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotOnTurn.selector, stranger, challenger));
        game.reveal(gameId, bytes32(0), bytes32(0));
    }

    function test_reveal_childrenNotOpeningRoot_reverts() public {
        (uint256 gameId,) = _operatorFaultGame();
        bytes32 root = _state(gameId).rootChallenger;
        bytes32 l = keccak256("l");
        bytes32 r = keccak256("r");
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.RevealMismatch.selector, keccak256(abi.encodePacked(l, r)), root));
        game.reveal(gameId, l, r);
    }

    function test_reveal_operatorChildrenNotOpeningRoot_reverts() public {
        (uint256 gameId,) = _operatorFaultGame();
        (bytes32 l, bytes32 r) = _traceTree(_honest()).children(3, 0);
        vm.prank(challenger);
        game.reveal(gameId, l, r);
        vm.prank(operator);
        vmGame.expectPartialRevert(Errors.RevealMismatch.selector);
        game.reveal(gameId, l, r); // the challenger's children, not the operator's
    }

    function test_reveal_notDescending_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.StepStart);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotDescending.selector, gameId, Level.StepStart));
        game.reveal(gameId, bytes32(0), bytes32(0));
    }

    function test_reveal_unknownGame_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.GameNotActive.selector, 7, GameStatus.None));
        game.reveal(7, bytes32(0), bytes32(0));
    }

    // ---------------------------------------------------------------- the step level's leaf

    function test_steps_leafFindsStep() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        bytes32[] memory o = world.traceLeaves(bad);
        bytes32[] memory c = world.traceLeaves(_honest());
        _playTo(gameId, bad, _honest(), Level.StepStart);
        GameView memory s = _state(gameId);
        assertEq(s.step, 2);
        assertEq(s.position, 3);
        assertEq(s.height, 0);
        assertEq(s.nextStateOperator, o[3]);
        assertEq(s.nextStateChallenger, c[3]);
        assertEq(uint256(s.onTurn), uint256(Party.Challenger));
    }

    function test_steps_challengerWrongInitialState_challengerLoses() public {
        uint256 gameId = _dispute(world, _honest(), _fault(ToyWorld.FaultKind.BadInit, 0, 0, 0));
        _play(
            world,
            gameId,
            Side(operator, _honest()),
            Side(challenger, _fault(ToyWorld.FaultKind.BadInit, 0, 0, 0)),
            challenger,
            60
        );
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.InitialState, Level.Steps);
        assertEq(_state(gameId).position, 0);
    }

    function test_steps_operatorWrongInitialState_operatorLoses() public {
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.BadInit, 0, 0, 0);
        uint256 gameId = _dispute(world, bad, _honest());
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.InitialState, Level.Steps);
    }

    function test_steps_bothWrongInitialState_challengerLoses() public {
        ToyWorld.Fault memory badO = _fault(ToyWorld.FaultKind.BadInit, 0, 0, 0);
        uint256 taskId = _submittedTask(world, badO);
        // the challenger's h_0 is wrong in another way
        bytes32[] memory leaves = world.traceLeaves(_honest());
        leaves[0] = keccak256("another bad h_0");
        FullTree memory c = TestTree.build(leaves);
        FullTree memory o = _traceTree(badO);
        uint256 gameId = _open(taskId, challenger, c.root());
        for (uint256 h = 3; h > 0; h--) {
            (bytes32 l, bytes32 r) = c.children(h, 0);
            vm.prank(challenger);
            game.reveal(gameId, l, r);
            (l, r) = o.children(h, 0);
            vm.prank(operator);
            game.reveal(gameId, l, r);
        }
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.InitialState, Level.Steps);
        assertEq(_state(gameId).position, 0);
    }

    function test_steps_challengerPaddingLeaf_challengerLoses() public {
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.PaddingStep, 0, 0, 0);
        uint256 gameId = _dispute(world, _honest(), bad);
        _play(world, gameId, Side(operator, _honest()), Side(challenger, bad), challenger, 60);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Padding, Level.Steps);
        assertEq(_state(gameId).position, 7);
    }

    function test_steps_operatorPaddingLeaf_operatorLoses() public {
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.PaddingStep, 0, 0, 0);
        uint256 gameId = _dispute(world, bad, _honest());
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.Padding, Level.Steps);
        assertEq(_state(gameId).position, 7);
    }

    // ---------------------------------------------------------------- startStep

    function test_startStep_provesStateAndStartsNodeDescent() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.StepStart);
        GameView memory before = _state(gameId);
        FullTree memory trace = _traceTree(bad);
        bytes32 nodesRoot = world.nodesRoot();
        bytes32[] memory proof = trace.proof(2);
        vm.warp(block.timestamp + 100);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.StepStarted(gameId, 1, operator, 2, trace.leaf(2), nodesRoot, 3, 2);
        vm.prank(operator); // either party may send a proof move
        game.startStep(gameId, trace.leaf(2), proof, nodesRoot, 3, 2);

        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.Nodes));
        assertEq(s.stateRoot, trace.leaf(2));
        assertEq(s.nodesRoot, nodesRoot);
        assertEq(s.numNodes, 3);
        assertEq(s.numSlots, 2);
        assertEq(s.leafCount, 3);
        assertEq(s.height, 2);
        assertEq(s.rootOperator, before.nextStateOperator);
        assertEq(s.rootChallenger, before.nextStateChallenger);
        // a proof move does not pass the turn: the challenger's clock keeps running
        assertEq(uint256(s.onTurn), uint256(Party.Challenger));
        assertEq(uint256(s.turnStartedAt), uint256(before.turnStartedAt));
    }

    function test_startStep_stepZeroUsesInitialState() public {
        ToyWorld.Fault memory bad = _fault(0, 2, 3, 4);
        uint256 gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.StepStart);
        bytes32 nodesRoot = world.nodesRoot();
        vm.prank(challenger);
        game.startStep(gameId, keccak256("ignored"), new bytes32[](5), nodesRoot, 3, 2);
        assertEq(_state(gameId).stateRoot, world.initStateRoot());
    }

    function test_startStep_badStateProof_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.StepStart);
        FullTree memory trace = _traceTree(bad);
        bytes32[] memory proof = trace.proof(2);
        bytes32 nodesRoot = world.nodesRoot();
        proof[1] = keccak256("wrong sibling");
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.StateProofInvalid.selector, 2, 3, 3));
        game.startStep(gameId, trace.leaf(2), proof, nodesRoot, 3, 2);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.StateProofInvalid.selector, 2, 2, 3));
        game.startStep(gameId, trace.leaf(2), new bytes32[](2), nodesRoot, 3, 2);
    }

    function test_startStep_wrongGraph_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.StepStart);
        FullTree memory trace = _traceTree(bad);
        bytes32[] memory proof = trace.proof(2);
        bytes32 nodesRoot = world.nodesRoot();
        bytes32 graphRoot = world.graphRoot();
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.GraphRootMismatch.selector, keccak256(abi.encode(nodesRoot, uint256(4), uint256(2))), graphRoot
            )
        );
        game.startStep(gameId, trace.leaf(2), proof, nodesRoot, 4, 2);
    }

    function test_startStep_byStranger_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.StepStart);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotParty.selector, stranger));
        game.startStep(gameId, bytes32(0), new bytes32[](0), bytes32(0), 0, 0);
    }

    function test_startStep_wrongLevel_reverts() public {
        (uint256 gameId,) = _operatorFaultGame();
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongLevel.selector, gameId, Level.Steps, Level.StepStart));
        game.startStep(gameId, bytes32(0), new bytes32[](0), bytes32(0), 0, 0);
    }

    // ---------------------------------------------------------------- nodes and startNode

    function test_nodes_leafFindsNode() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.NodeStart);
        GameView memory s = _state(gameId);
        assertEq(s.node, 1);
        assertEq(s.outputOperator, world.outputRoot(bad, 2, 1));
        assertEq(s.outputChallenger, world.outputRoot(_honest(), 2, 1));
    }

    function test_nodes_singleNodeGraph_isAtItsLeafAtOnce() public {
        world = _world(3, 1, 12, 11);
        ToyWorld.Fault memory bad = _fault(1, 0, 4, 2);
        uint256 gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.StepStart);
        FullTree memory trace = _traceTree(bad);
        bytes32 nodesRoot = world.nodesRoot();
        bytes32[] memory proof = trace.proof(1);
        vm.prank(challenger);
        game.startStep(gameId, trace.leaf(1), proof, nodesRoot, 1, 2);
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.NodeStart));
        assertEq(s.node, 0);
        assertEq(s.height, 0);
    }

    function test_nodes_challengerPaddingNode_challengerLoses() public {
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.PaddingNode, 3, 0, 0);
        uint256 gameId = _dispute(world, _honest(), bad);
        _play(world, gameId, Side(operator, _honest()), Side(challenger, bad), operator, 60);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Padding, Level.Nodes);
        assertEq(_state(gameId).position, 3);
    }

    function test_nodes_operatorPaddingNode_operatorLoses() public {
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.PaddingNode, 3, 0, 0);
        uint256 gameId = _dispute(world, bad, _honest());
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.Padding, Level.Nodes);
    }

    function test_startNode_fixesShape() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.NodeStart);
        bytes memory descriptor = world.descriptor(1);
        bytes32[] memory proof = world.nodesTree().proof(1);
        bytes32 shapeWord = world.shapeWord(1);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.NodeStarted(gameId, 1, challenger, 1, keccak256(descriptor), shapeWord, 12);
        vm.prank(challenger);
        game.startNode(gameId, descriptor, proof);
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.OutputRoot));
        assertEq(s.descriptorHash, keccak256(descriptor));
        assertEq(s.shapeWord, world.shapeWord(1));
        assertEq(s.numel, 12);
    }

    function test_startNode_badProof_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.NodeStart);
        bytes memory descriptor = world.descriptor(2); // another node's descriptor
        bytes32[] memory proof = world.nodesTree().proof(1);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.DescriptorProofInvalid.selector, 1, 2, 2));
        game.startNode(gameId, descriptor, proof);
    }

    // ---------------------------------------------------------------- output roots and elements

    function test_revealOutputRoot_startsElementDescent() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.OutputRoot);
        bytes32 dataC = TestTree.build(world.outputLeaves(_honest(), 2, 1)).root();
        bytes32 dataO = TestTree.build(world.outputLeaves(bad, 2, 1)).root();
        vm.prank(challenger);
        game.revealOutputRoot(gameId, dataC);
        assertEq(uint256(_state(gameId).onTurn), uint256(Party.Operator));
        vm.prank(operator);
        game.revealOutputRoot(gameId, dataO);
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.Element));
        assertEq(s.leafCount, 2);
        assertEq(s.height, 1);
        assertEq(s.rootOperator, dataO);
        assertEq(s.rootChallenger, dataC);
    }

    function test_revealOutputRoot_wrongRoot_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.OutputRoot);
        bytes32 dataO = TestTree.build(world.outputLeaves(bad, 2, 1)).root();
        bytes32 bound = keccak256(abi.encodePacked(dataO, world.shapeWord(1)));
        bytes32 expected = world.outputRoot(_honest(), 2, 1);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.OutputRootMismatch.selector, bound, expected));
        game.revealOutputRoot(gameId, dataO); // the operator's root is not the challenger's
    }

    function test_revealOutputRoot_wrongLevel_reverts() public {
        (uint256 gameId,) = _operatorFaultGame();
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongLevel.selector, gameId, Level.Steps, Level.OutputRoot));
        game.revealOutputRoot(gameId, bytes32(0));
    }

    function test_element_leafFindsElement() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.Intermediates);
        GameView memory s = _state(gameId);
        assertEq(s.element, 9);
        assertEq(uint256(s.valueOperator), uint256(world.value(bad, 2, 1, 9)));
        assertEq(uint256(s.valueChallenger), uint256(world.value(_honest(), 2, 1, 9)));
    }

    function test_element_smallOutputIsAtItsLeafAtOnce() public {
        world = _world(3, 2, 5, 11);
        ToyWorld.Fault memory bad = _fault(1, 1, 3, 2);
        uint256 gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.Intermediates);
        GameView memory s = _state(gameId);
        assertEq(s.element, 3);
        assertEq(s.height, 0);
    }

    function test_element_challengerPaddingLane_challengerLoses() public {
        world = _world(3, 2, 5, 11);
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.PaddingLane, 1, 1, 6);
        uint256 gameId = _dispute(world, _honest(), bad);
        _play(world, gameId, Side(operator, _honest()), Side(challenger, bad), operator, 60);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Padding, Level.Element);
    }

    function test_element_operatorPaddingLane_operatorLoses() public {
        world = _world(3, 2, 5, 11);
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.PaddingLane, 1, 1, 6);
        uint256 gameId = _dispute(world, bad, _honest());
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.Padding, Level.Element);
    }

    function test_element_paddingLeafBeyondTheLastLeaf_loses() public {
        world = _world(3, 2, 20, 11); // 3 leaves padded to 4; leaf 3 is all padding
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.PaddingLane, 0, 1, 26);
        uint256 gameId = _dispute(world, bad, _honest());
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.Padding, Level.Element);
        assertEq(_state(gameId).position, 3);
    }

    function test_element_emptyOutput_anyDataIsPadding() public {
        uint256[] memory numels = new uint256[](2);
        uint256[] memory lengths = new uint256[](2);
        (numels[0], numels[1], lengths[0], lengths[1]) = (4, 0, 3, 3);
        world = new ToyWorld(3, numels, lengths);
        ToyWorld.Fault memory bad = _fault(ToyWorld.FaultKind.PaddingLane, 2, 1, 0);
        uint256 gameId = _dispute(world, _honest(), bad);
        _play(world, gameId, Side(operator, _honest()), Side(challenger, bad), operator, 60);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Padding, Level.Element);
        assertEq(_state(gameId).numel, 0);
    }

    // ---------------------------------------------------------------- intermediates

    function _atIntermediates() internal returns (uint256 gameId, ToyWorld.Fault memory bad, FullTree memory tree) {
        (gameId, bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.Intermediates);
        tree = TestTree.build(world.intermediateLeaves(_honest(), 2, 1, 9));
    }

    function test_commitIntermediates_startsInstructionDescent() public {
        (uint256 gameId, ToyWorld.Fault memory bad, FullTree memory c) = _atIntermediates();
        FullTree memory o = TestTree.build(world.intermediateLeaves(bad, 2, 1, 9));
        bytes memory descriptor = world.descriptor(1);
        bytes32 leafC = c.leaf(1);
        bytes32[] memory proofC = c.proof(1);
        uint32 valueC = world.value(_honest(), 2, 1, 9);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.IntermediatesCommitted(gameId, 1, challenger, c.root(), 11, valueC);
        vm.prank(challenger);
        game.commitIntermediates(gameId, descriptor, new InputShape[](0), c.root(), leafC, proofC);
        assertEq(_state(gameId).programLength, 11);
        bytes32 leafO = o.leaf(1);
        bytes32[] memory proofO = o.proof(1);
        vm.prank(operator);
        game.commitIntermediates(gameId, "", new InputShape[](0), o.root(), leafO, proofO);
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.Instruction));
        assertEq(s.intermediatesOperator, o.root());
        assertEq(s.intermediatesChallenger, c.root());
        assertEq(s.leafCount, 2);
        assertEq(s.height, 1);
    }

    function test_commitIntermediates_wrongDescriptor_reverts() public {
        (uint256 gameId,, FullTree memory c) = _atIntermediates();
        bytes memory descriptor = world.descriptor(2);
        bytes32 expected = keccak256(world.descriptor(1));
        bytes32 leaf = c.leaf(1);
        bytes32[] memory proof = c.proof(1);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.DescriptorMismatch.selector, keccak256(descriptor), expected));
        game.commitIntermediates(gameId, descriptor, new InputShape[](0), c.root(), leaf, proof);
    }

    function test_commitIntermediates_badProof_reverts() public {
        (uint256 gameId,, FullTree memory c) = _atIntermediates();
        bytes memory descriptor = world.descriptor(1);
        bytes32 leaf = c.leaf(0); // not the last leaf
        bytes32[] memory proof = c.proof(1);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.IntermediatesProofInvalid.selector, 1, 1, 1));
        game.commitIntermediates(gameId, descriptor, new InputShape[](0), c.root(), leaf, proof);
    }

    function test_commitIntermediates_lastValueNotClaim_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad,) = _atIntermediates();
        // the operator's intermediates committed by the challenger: they end in the operator's value
        FullTree memory o = TestTree.build(world.intermediateLeaves(bad, 2, 1, 9));
        bytes memory descriptor = world.descriptor(1);
        bytes32 leaf = o.leaf(1);
        bytes32[] memory proof = o.proof(1);
        uint32 proven = world.value(bad, 2, 1, 9);
        uint32 claimed = world.value(_honest(), 2, 1, 9);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.LastIntermediateMismatch.selector, proven, claimed));
        game.commitIntermediates(gameId, descriptor, new InputShape[](0), o.root(), leaf, proof);
    }

    function test_commitIntermediates_emptyProgram_reverts() public {
        world = _world(3, 2, 12, 0);
        uint256 gameId = _dispute(world, _fault(1, 1, 2, 0), _honest());
        _playTo(gameId, _fault(1, 1, 2, 0), _honest(), Level.Intermediates);
        bytes memory descriptor = world.descriptor(1);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.EmptyProgram.selector, 1, 2));
        game.commitIntermediates(gameId, descriptor, new InputShape[](0), bytes32(0), bytes32(0), new bytes32[](0));
    }

    function test_commitIntermediates_notOnTurn_reverts() public {
        (uint256 gameId,, FullTree memory c) = _atIntermediates();
        bytes32 leaf = c.leaf(1);
        bytes32[] memory proof = c.proof(1);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotOnTurn.selector, operator, challenger));
        game.commitIntermediates(gameId, "", new InputShape[](0), c.root(), leaf, proof);
    }

    function test_instruction_shortProgramIsAtItsLeafAtOnce() public {
        world = _world(3, 2, 12, 6);
        ToyWorld.Fault memory bad = _fault(2, 0, 7, 4);
        uint256 gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.OneStep);
        GameView memory s = _state(gameId);
        assertEq(s.instruction, 4);
        assertEq(s.height, 0);
        assertEq(uint256(s.claimOperator), uint256(world.intermediate(bad, 2, 0, 7, 4)));
        assertEq(uint256(s.claimChallenger), uint256(world.intermediate(_honest(), 2, 0, 7, 4)));
    }

    // ---------------------------------------------------------------- one step

    function test_oneStep_resultMatchingOperator_challengerLoses() public {
        ToyWorld.Fault memory bad = _fault(3, 2, 11, 9);
        uint256 gameId = _dispute(world, _honest(), bad);
        _playUntil(world, gameId, Side(operator, _honest()), Side(challenger, bad), operator, 60, Level.OneStep);
        bytes memory descriptor = world.descriptor(2);
        GameView memory s = _state(gameId);
        uint32[3] memory operands;
        operands[0] = world.intermediate(_honest(), 3, 2, 11, 8);
        operands[1] = 1;
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.OneStepExecuted(
            gameId, 1, operator, 9, 1, operands, s.claimOperator, s.claimOperator, s.claimChallenger
        );
        vm.prank(operator);
        game.oneStep(gameId, descriptor, new InputShape[](0), new OperandProof[](1));
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.OneStep, Level.OneStep);
    }

    function test_oneStep_operatorWrong_operatorLoses() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame(); // instruction 5: prev in the same leaf
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.OneStep, Level.OneStep);
    }

    function test_oneStep_firstInstruction() public {
        ToyWorld.Fault memory bad = _fault(1, 0, 0, 0);
        uint256 gameId = _dispute(world, bad, _honest());
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        GameView memory s = _state(gameId);
        assertEq(s.instruction, 0);
        assertEq(uint256(s.status), uint256(GameStatus.ChallengerWon));
    }

    function test_oneStep_operandInAnEarlierLeaf() public {
        ToyWorld.Fault memory bad = _fault(1, 0, 0, 8); // reads intermediate 7 from leaf 0
        uint256 gameId = _dispute(world, bad, _honest());
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        assertEq(_state(gameId).instruction, 8);
        _assertResolved(gameId, GameStatus.ChallengerWon);
    }

    function test_oneStep_badOperandProof_revertsFromProver() public {
        ToyWorld.Fault memory bad = _fault(1, 0, 0, 8);
        uint256 gameId = _dispute(world, bad, _honest());
        _playTo(gameId, bad, _honest(), Level.OneStep);
        bytes memory descriptor = world.descriptor(0);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(AlphabetProver.TempProofInvalid.selector, 0));
        game.oneStep(gameId, descriptor, new InputShape[](0), new OperandProof[](1));
    }

    function test_oneStep_wrongDescriptor_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.OneStep);
        bytes memory descriptor = world.descriptor(0);
        vm.prank(challenger);
        vmGame.expectPartialRevert(Errors.DescriptorMismatch.selector);
        game.oneStep(gameId, descriptor, new InputShape[](0), new OperandProof[](1));
    }

    function test_oneStep_byStranger_reverts() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.OneStep);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotParty.selector, stranger));
        game.oneStep(gameId, "", new InputShape[](0), new OperandProof[](0));
    }

    // ---------------------------------------------------------------- clocks and timeouts

    function test_claimTimeout_silentChallenger_operatorWins() public {
        (uint256 gameId,) = _operatorFaultGame();
        uint256 deadline = _state(gameId).deadline;
        vm.warp(deadline + 1);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameResolved(
            gameId, 1, operator, challenger, GameStatus.OperatorWon, Resolution.Timeout, Level.Steps
        );
        vm.prank(stranger); // anyone may call it
        game.claimTimeout(gameId);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Timeout, Level.Steps);
    }

    function test_claimTimeout_silentOperator_challengerWins() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        (bytes32 l, bytes32 r) = _traceTree(_honest()).children(3, 0);
        vm.prank(challenger);
        game.reveal(gameId, l, r);
        GameView memory s = _state(gameId);
        assertEq(s.deadline, block.timestamp + MAX_CLOCK);
        vm.warp(s.deadline + 1);
        game.claimTimeout(gameId);
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.Timeout, Level.Steps);
        assertTrue(bad.active, "the faulty operator never answered");
    }

    function test_claimTimeout_whileMoverClockLive_reverts() public {
        (uint256 gameId,) = _operatorFaultGame();
        uint256 deadline = _state(gameId).deadline;
        vm.warp(deadline);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ClockNotExpired.selector, Party.Challenger, MAX_CLOCK, MAX_CLOCK, deadline)
        );
        game.claimTimeout(gameId);
        vm.warp(deadline + 1);
        game.claimTimeout(gameId);
    }

    function test_claimTimeout_onAccumulatedClock_notTimeSinceLastMove() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        FullTree memory o = _traceTree(bad);
        FullTree memory c = _traceTree(_honest());
        vm.warp(block.timestamp + 2 days);
        (bytes32 l, bytes32 r) = c.children(3, 0);
        vm.prank(challenger);
        game.reveal(gameId, l, r);
        vm.warp(block.timestamp + 1 hours);
        (l, r) = o.children(3, 0);
        vm.prank(operator);
        game.reveal(gameId, l, r);

        GameView memory s = _state(gameId);
        assertEq(uint256(s.usedChallenger), 2 days);
        assertEq(uint256(s.usedOperator), 1 hours);
        assertEq(s.deadline, block.timestamp + 1 days, "the challenger has a day left");
        vm.warp(s.deadline);
        vmGame.expectPartialRevert(Errors.ClockNotExpired.selector);
        game.claimTimeout(gameId);
        // one day and a second since the last move, far below MAX_CLOCK: the accumulated clock decides
        vm.warp(s.deadline + 1);
        game.claimTimeout(gameId);
        _assertResolved(gameId, GameStatus.OperatorWon);
    }

    function test_claimTimeout_proofMoveNeverSent_challengerLoses() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.StepStart);
        vm.warp(_state(gameId).deadline + 1);
        game.claimTimeout(gameId);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.Timeout, Level.StepStart);
    }

    function test_moves_afterMoverClockExpired_revert() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _playTo(gameId, bad, _honest(), Level.StepStart);
        GameView memory s = _state(gameId);
        vm.warp(s.deadline + 1);
        uint256 spent = uint256(s.usedChallenger) + (s.deadline + 1 - s.turnStartedAt);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ClockExpired.selector, Party.Challenger, spent, MAX_CLOCK));
        game.startStep(gameId, bytes32(0), new bytes32[](0), bytes32(0), 0, 0);
    }

    function test_reveal_afterClockExpired_reverts() public {
        (uint256 gameId,) = _operatorFaultGame();
        (bytes32 l, bytes32 r) = _traceTree(_honest()).children(3, 0);
        vm.warp(block.timestamp + MAX_CLOCK + 1);
        vm.prank(challenger);
        vmGame.expectPartialRevert(Errors.ClockExpired.selector);
        game.reveal(gameId, l, r);
    }

    function test_clock_passesOnEveryRevealMove() public {
        (uint256 gameId,) = _operatorFaultGame();
        (bytes32 l, bytes32 r) = _traceTree(_honest()).children(3, 0);
        vm.warp(block.timestamp + 500);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.ClockStarted(gameId, 1, operator, 500, 0, block.timestamp + MAX_CLOCK);
        vm.prank(challenger);
        game.reveal(gameId, l, r);
        GameView memory s = _state(gameId);
        assertEq(uint256(s.usedChallenger), 500);
        assertEq(uint256(s.turnStartedAt), block.timestamp);
    }

    // ---------------------------------------------------------------- after resolution

    function test_noMovesAfterResolution() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        bytes memory notActive = abi.encodeWithSelector(Errors.GameNotActive.selector, gameId, GameStatus.ChallengerWon);
        vm.expectRevert(notActive);
        game.claimTimeout(gameId);
        vm.prank(challenger);
        vm.expectRevert(notActive);
        game.reveal(gameId, bytes32(0), bytes32(0));
        vm.prank(challenger);
        vm.expectRevert(notActive);
        game.revealOutputRoot(gameId, bytes32(0));
        vm.prank(challenger);
        vm.expectRevert(notActive);
        game.commitIntermediates(gameId, "", new InputShape[](0), bytes32(0), bytes32(0), new bytes32[](0));
        vm.prank(challenger);
        vm.expectRevert(notActive);
        game.startStep(gameId, bytes32(0), new bytes32[](0), bytes32(0), 0, 0);
        vm.prank(challenger);
        vm.expectRevert(notActive);
        game.startNode(gameId, "", new bytes32[](0));
        vm.prank(challenger);
        vm.expectRevert(notActive);
        game.oneStep(gameId, "", new InputShape[](0), new OperandProof[](0));
    }

    // ---------------------------------------------------------------- verdict and settlement

    /// @dev Plays the operator-fault game to its last move and sends `oneStep` (challenger wins).
    function _decidedAgainstOperator() internal returns (uint256 gameId, uint256 taskId) {
        ToyWorld.Fault memory bad;
        (gameId, bad) = _operatorFaultGame();
        taskId = _state(gameId).taskId;
        _playUntil(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60, Level.OneStep);
        GameView memory s = _state(gameId);
        bytes memory descriptor = world.descriptor(s.node);
        OperandProof[] memory operands = _operands(world, s, bad);
        vm.prank(challenger);
        game.oneStep(gameId, descriptor, new InputShape[](0), operands);
    }

    function test_oneStep_recordsTheVerdictOnly_noMoneyMoves() public {
        (uint256 gameId, uint256 taskId) = _decidedAgainstOperator();
        _assertResolved(gameId, GameStatus.ChallengerWon, Resolution.OneStep, Level.OneStep);
        assertFalse(game.isSettled(gameId), "decided, not settled");
        // the decided game keeps every lock and stays open in the market's and the game's books
        assertEq(sm.creditOf(challenger), 0, "nobody paid yet");
        assertEq(sm.lockedBy(challenger, address(game)), BOND, "the bond is still locked");
        assertEq(sm.bondedOf(operator), MIN_STAKE, "the operator is not slashed yet");
        assertTrue(market.holdsTaskStake(taskId), "the task stake is still held");
        Task memory t = market.getTask(taskId);
        assertEq(uint256(t.status), uint256(TaskStatus.Submitted), "not voided before settle");
        assertEq(uint256(t.openDisputes), 1, "the market still counts the game");
        (,,, uint256 openGames,,,) = game.taskDisputes(taskId);
        assertEq(openGames, 1);
        // the market can neither finalize nor settle the task while the verdict is unsettled
        vm.warp(market.challengeEndsAt(taskId) + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.DisputesOpen.selector, uint32(1)));
        market.finalize(taskId);
        // and the game takes no move
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.GameNotActive.selector, gameId, GameStatus.ChallengerWon));
        game.claimTimeout(gameId);
    }

    function test_settle_byAnyone_paysOnce_theBooksAfter() public {
        (uint256 gameId, uint256 taskId) = _decidedAgainstOperator();
        uint256 burnedBefore = sm.totalBurned();
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameSettled(gameId, taskId);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskVoided(taskId, operator, MIN_STAKE);
        vm.prank(stranger); // anyone may settle
        game.settle(gameId);
        assertTrue(game.isSettled(gameId));
        assertEq(sm.creditOf(challenger), MIN_STAKE * SLASH_WINNER_BPS / 10_000, "the winner is paid");
        assertEq(sm.totalBurned() - burnedBefore, MIN_STAKE - MIN_STAKE * SLASH_WINNER_BPS / 10_000, "the rest burned");
        assertEq(sm.bondedOf(operator), 0, "the operator lost minStake");
        assertEq(sm.lockedBy(challenger, address(game)), 0, "the bond is released");
        assertEq(sm.freeOf(challenger), BOND);
        assertEq(sm.lockedOf(operator), 0);
        Task memory t = market.getTask(taskId);
        assertEq(uint256(t.status), uint256(TaskStatus.Open), "voided and reopened");
        assertEq(uint256(t.openDisputes), 0);
        assertEq(address(sm).balance, sm.totalBonded() + sm.totalUnbonding() + sm.totalCredits() + sm.burnPending());

        // exactly once, whoever asks
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Errors.AlreadySettled.selector, gameId));
        game.settle(gameId);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.AlreadySettled.selector, gameId));
        game.settle(gameId);
        assertEq(sm.creditOf(challenger), MIN_STAKE * SLASH_WINNER_BPS / 10_000, "paid once");
    }

    function test_settle_operatorWon_thenTheResultIsPaid() public {
        ToyWorld.Fault memory bad = _fault(3, 2, 11, 9);
        uint256 gameId = _dispute(world, _honest(), bad);
        uint256 taskId = _state(gameId).taskId;
        _playUntil(world, gameId, Side(operator, _honest()), Side(challenger, bad), operator, 60, Level.OneStep);
        GameView memory s = _state(gameId);
        bytes memory descriptor = world.descriptor(s.node);
        OperandProof[] memory operands = _operands(world, s, _honest());
        vm.prank(operator);
        game.oneStep(gameId, descriptor, new InputShape[](0), operands);
        _assertResolved(gameId, GameStatus.OperatorWon, Resolution.OneStep, Level.OneStep);
        vm.warp(market.challengeEndsAt(taskId) + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.DisputesOpen.selector, uint32(1)));
        market.finalize(taskId);

        vm.prank(operator); // the winner settles
        game.settle(gameId);
        assertEq(sm.creditOf(operator), BOND * SLASH_WINNER_BPS / 10_000);
        assertEq(sm.bondedOf(challenger), 0, "the bond is slashed");
        market.finalize(taskId);
        assertEq(sm.creditOf(operator), BOND * SLASH_WINNER_BPS / 10_000 + REWARD);
        assertEq(sm.lockedOf(operator), 0);
    }

    function test_settle_beforeTheVerdict_reverts() public {
        (uint256 gameId,) = _operatorFaultGame();
        vm.expectRevert(abi.encodeWithSelector(Errors.NotDecided.selector, gameId, GameStatus.Active));
        game.settle(gameId);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotDecided.selector, 99, GameStatus.None));
        game.settle(99);
    }

    function test_claimTimeout_decidesAndSettlesAtOnce() public {
        (uint256 gameId,) = _operatorFaultGame();
        vm.warp(_state(gameId).deadline + 1);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameSettled(gameId, 1);
        game.claimTimeout(gameId);
        assertTrue(game.isSettled(gameId));
        assertEq(sm.creditOf(operator), BOND * SLASH_WINNER_BPS / 10_000);
        vm.expectRevert(abi.encodeWithSelector(Errors.AlreadySettled.selector, gameId));
        game.settle(gameId);
    }

    // ---------------------------------------------------------------- money

    function test_resolve_operatorWins_slashesBondCreditsOperator() public {
        ToyWorld.Fault memory bad = _fault(3, 2, 11, 9);
        uint256 gameId = _dispute(world, _honest(), bad);
        uint256 taskId = _state(gameId).taskId;
        uint256 burnedBefore = sm.totalBurned();
        _play(world, gameId, Side(operator, _honest()), Side(challenger, bad), operator, 60);

        assertEq(sm.bondedOf(challenger), 0, "bond slashed");
        assertEq(sm.lockedBy(challenger, address(game)), 0);
        assertEq(sm.creditOf(operator), BOND * SLASH_WINNER_BPS / 10_000);
        assertEq(sm.totalBurned() - burnedBefore, BOND - BOND * SLASH_WINNER_BPS / 10_000);
        Task memory t = market.getTask(taskId);
        assertEq(uint256(t.status), uint256(TaskStatus.Submitted));
        assertEq(uint256(t.openDisputes), 0);
        // the result stands and is paid after the window
        vm.warp(market.challengeEndsAt(taskId) + 1);
        market.finalize(taskId);
        assertEq(sm.creditOf(operator), BOND * SLASH_WINNER_BPS / 10_000 + REWARD);
        assertEq(sm.lockedOf(operator), 0);
    }

    function test_resolve_challengerWins_slashesOperatorReleasesBond() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        uint256 taskId = _state(gameId).taskId;
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);

        assertEq(sm.bondedOf(operator), 0, "task stake slashed");
        assertEq(sm.lockedOf(operator), 0);
        assertEq(sm.creditOf(challenger), MIN_STAKE * SLASH_WINNER_BPS / 10_000);
        assertEq(sm.bondedOf(challenger), BOND);
        assertEq(sm.lockedBy(challenger, address(game)), 0, "bond released");
        assertEq(sm.freeOf(challenger), BOND);
        // the voided task reopens for another operator
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open));
    }

    function test_resolve_operatorsOwnBondsElsewhereStayLocked() public {
        // the operator also challenges another task, with a bond this game holds
        address otherOperator = makeAddr("otherOperator");
        address savedOperator = operator;
        operator = otherOperator;
        uint256 otherTask = _submittedTask(world, _fault(0, 0, 0, 0));
        operator = savedOperator;
        _stake(operator, BOND);
        bytes32 honestRoot = world.traceRoot(_honest());
        vm.prank(operator);
        uint256 otherGame = game.open(otherTask, honestRoot);
        assertEq(sm.lockedBy(operator, address(game)), BOND);

        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        _assertResolved(gameId, GameStatus.ChallengerWon);
        assertEq(sm.lockedBy(operator, address(game)), BOND, "its bond in the other game is still locked");
        assertEq(sm.bondedOf(operator), BOND);

        // and that game still resolves (the operator, now challenger, is right there)
        _play(world, otherGame, Side(otherOperator, _fault(0, 0, 0, 0)), Side(operator, _honest()), operator, 60);
        _assertResolved(otherGame, GameStatus.ChallengerWon);
        assertEq(sm.lockedBy(operator, address(game)), 0);
    }

    function test_resolve_secondWinOnVoidedResult_stillSettles() public {
        ToyWorld.Fault memory bad = _fault(2, 1, 9, 5);
        uint256 taskId = _submittedTask(world, bad);
        _stake(operator, MIN_STAKE); // enough for two slashes
        uint256 first = _open(taskId, challenger, world.traceRoot(_honest()));
        uint256 second = _open(taskId, stranger, world.traceRoot(_honest()));
        _play(world, first, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Voided));
        _play(world, second, Side(operator, bad), Side(stranger, _honest()), stranger, 60);
        _assertResolved(second, GameStatus.ChallengerWon);
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open));
        assertEq(sm.creditOf(stranger), MIN_STAKE * SLASH_WINNER_BPS / 10_000);
        assertEq(sm.bondedOf(operator), 0);
    }

    function test_gameHoldsNoEth() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        assertEq(address(game).balance, 0);
        assertEq(address(sm).balance, sm.totalBonded() + sm.totalUnbonding() + sm.totalCredits() + sm.burnPending());
    }

    // ---------------------------------------------------------------- views

    function test_gameState_unknownGame_isEmpty() public view {
        GameView memory s = _state(42);
        assertEq(uint256(s.status), uint256(GameStatus.None));
        assertEq(uint256(s.level), uint256(Level.None));
        assertEq(s.deadline, 0);
        assertEq(uint256(game.gameStatus(42)), uint256(GameStatus.None));
    }

    function test_gameState_resolvedGameHasNoDeadline() public {
        (uint256 gameId, ToyWorld.Fault memory bad) = _operatorFaultGame();
        _play(world, gameId, Side(operator, bad), Side(challenger, _honest()), challenger, 60);
        GameView memory s = _state(gameId);
        assertEq(s.deadline, 0);
        assertFalse(s.challengerRevealed);
        assertEq(uint256(game.gameStatus(gameId)), uint256(GameStatus.ChallengerWon));
    }
}
