// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CollateralKind, GameStatus, GameView} from "../../src/DisputeTypes.sol";
import {Errors} from "../../src/Errors.sol";
import {Jackpot} from "../../src/Jackpot.sol";
import {Task, TaskStatus} from "../../src/Task.sol";
import {GameFixture} from "./utils/GameFixture.sol";
import {FullTree, TestTree} from "./utils/TestTree.sol";
import {ToyWorld} from "./utils/ToyWorld.sol";

/// @notice Issue #14, finding 1's residual, closed with forced errors on (`docs/economics.md`,
///         "Several games on one result"): a cheater with no free stake used to open the first game
///         from its own account the moment games opened, throw it, and keep w * minStake through
///         it while the honest verifier's game waited in the queue (`Challengers.t.sol`,
///         `test_residual_sybilFirst_honestGameClosedWithBondBack`). Now the result's committee
///         (drawn after the result was signed) goes first, so the member that found the fault
///         takes the task stake and is paid; the cheater's account can only queue behind it.
///         Played with the real game and the AlphabetProver.
contract ChallengersCommitteeTest is GameFixture {
    using TestTree for FullTree;

    uint64 internal constant AUDIT = 6 hours;
    uint256 internal constant POT = 2 ether;
    bytes32 internal constant SECRET = keccak256("operator's secret");

    ToyWorld internal world;
    ToyWorld.Fault internal bad;
    Jackpot internal jackpot;
    address internal verifier = makeAddr("verifier");
    address internal sybil = makeAddr("operator's second account");

    function setUp() public {
        _deploy();
        jackpot = new Jackpot(address(market), POT, 1 ether, 1);
        market.setJackpot(address(jackpot), 1, AUDIT, 0); // 1 ppm: this result is not forced
        world = _world(6, 3, 12, 11);
        bad = _fault(2, 1, 9, 5);
        vm.deal(operator, operator.balance + POT);
        vm.prank(operator);
        jackpot.fundEscrow{value: POT}(operator);
        vm.deal(verifier, verifier.balance + 1 ether);
        vm.prank(verifier);
        jackpot.register{value: 1 ether}();
    }

    function _assertGame(uint256 gameId, GameStatus status, CollateralKind collateral) internal view {
        GameView memory s = _state(gameId);
        assertEq(uint256(s.status), uint256(status), "status");
        assertEq(uint256(s.collateral), uint256(collateral), "collateral");
    }

    /// @dev The cheat, submitted under forced errors, its committee drawn and its draw revealed.
    function _cheatRevealed() internal returns (uint256 taskId) {
        // forge-lint: disable-next-line(unsafe-typecast) test worlds are small
        nextCheckpointEvery = uint32(world.checkpointEvery());
        taskId = _postedAndClaimed(keccak256("toy dataset"), world.initStateRoot(), world.graphRoot(), world.steps());
        vm.prank(operator);
        market.commitDraw(taskId, keccak256(abi.encode(SECRET)));
        vm.roll(block.number + 1);
        FullTree memory trace = TestTree.build(world.traceLeaves(bad));
        uint256 steps = world.steps();
        vm.prank(operator);
        market.submitResult(taskId, trace.root(), trace.leaf(steps), trace.proof(steps), keccak256("model"));
        (bool forced,) = market.forcedDraw(
            SECRET, market.drawOf(taskId).seed, taskId, steps, world.checkpointEvery(), market.forcedErrorPpm()
        );
        assertFalse(forced, "a plain cheat");
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
        assertTrue(jackpot.isAssigned(taskId, verifier), "the only member is the committee");
        Task memory t = market.getTask(taskId);
        vm.warp(uint256(t.submittedAt) + t.challengeWindow + 1);
        vm.prank(operator);
        market.revealDraw(taskId, SECRET);
    }

    function test_residualClosed_cheatersAccountCannotOpenFirst_memberPaid() public {
        uint256 taskId = _cheatRevealed();
        assertEq(sm.freeOf(operator), 0, "the operator keeps exactly minStake bonded");
        uint256 until = market.committeeFirstUntil(taskId);
        assertEq(until, block.timestamp + AUDIT / 2);

        // the attack: the cheater's own account opens at once, to take the task stake and throw it
        bytes32 honestRoot = world.traceRoot(_honest());
        _stake(sybil, BOND);
        vm.prank(sybil);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeGoesFirst.selector, until));
        game.open(taskId, honestRoot);

        // the member that found the fault opens, and its game holds the task stake
        uint256 honestGame = _open(taskId, verifier, honestRoot);
        _assertGame(honestGame, GameStatus.Active, CollateralKind.TaskStake);

        // once the committee's turn is over the cheater's account may open, but only queues
        vm.warp(until);
        uint256 sybilGame = _open(taskId, sybil, honestRoot);
        _assertGame(sybilGame, GameStatus.Queued, CollateralKind.None);

        _play(world, honestGame, Side(operator, bad), Side(verifier, _honest()), verifier, 60);
        assertEq(uint256(game.gameStatus(honestGame)), uint256(GameStatus.ChallengerWon));
        assertEq(sm.creditOf(verifier), MIN_STAKE * SLASH_WINNER_BPS / 10_000, "the member is paid w * minStake");
        assertEq(sm.creditOf(sybil), 0, "the cheater's account is paid nothing");
        assertEq(sm.bondedOf(operator), 0, "the cheater loses its whole stake: R + s, not R + (1 - w) s");
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open));
        _assertGame(sybilGame, GameStatus.Withdrawn, CollateralKind.None);
        assertEq(sm.freeOf(sybil), BOND, "the moot queued game is closed with its bond back");
    }
}
