// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {Traces} from "./utils/Traces.sol";
import {Errors} from "../src/Errors.sol";
import {Jackpot} from "../src/Jackpot.sol";
import {Task, TaskParams} from "../src/Task.sol";

/// @notice Issue #14, finding 1's residual: a cheater's own account used to open the first game (at
///         once, throwing it) and keep the winner's share of the task stake, leaving the honest
///         verifier's game queued behind it. With forced errors on, the result's committee goes
///         first: until `committeeFirstUntil`, only members drawn for that result may open games.
contract CommitteeFirstTest is MarketFixture {
    uint64 internal constant AUDIT = 6 hours;
    uint256 internal constant POT = 2 ether;
    bytes32 internal constant MODEL = keccak256("model");

    Jackpot internal jackpot;
    address internal submitter = makeAddr("submitter");
    address internal operator = makeAddr("operator");
    address internal member = makeAddr("member");
    address internal sybil = makeAddr("sybil"); // the operator's own second account, not a member
    uint64 internal deadline;

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(100);
        _deploy();
        jackpot = new Jackpot(address(market), POT, 1 ether, 2);
        market.setJackpot(address(jackpot), 1, AUDIT, 0);
        deadline = uint64(block.timestamp + 10 days);
        vm.deal(submitter, 100 ether);
        vm.deal(operator, 100 ether);
        vm.deal(member, 10 ether);
        vm.prank(operator);
        sm.stake{value: 50 ether}();
        vm.prank(operator);
        jackpot.fundEscrow{value: POT}(operator);
    }

    /// @dev A result that is never forced (no interior committed step), submitted and drawn a
    ///      committee from `members` registered before it; returns its task id.
    function _submitted(bool withMember) internal returns (uint256 taskId) {
        if (withMember) {
            vm.prank(member);
            jackpot.register{value: 1 ether}();
        }
        TaskParams memory p = _params(deadline);
        p.steps = 10;
        p.checkpointEvery = 10;
        vm.prank(submitter);
        taskId = market.postTask{value: REWARD}(p);
        vm.prank(operator);
        market.claim(taskId);
        vm.prank(operator);
        market.commitDraw(taskId, keccak256(abi.encode(bytes32("secret"))));
        vm.roll(block.number + 1);
        bytes32[] memory h = Traces.committedStates(10, 10, keccak256("run"));
        vm.prank(operator);
        market.submitResult(taskId, Traces.root(h), h[h.length - 1], Traces.proof(h, h.length - 1), MODEL);
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
    }

    function _revealed(uint256 taskId) internal returns (uint256 opensAt) {
        Task memory t = market.getTask(taskId);
        vm.warp(uint256(t.submittedAt) + t.challengeWindow + 1);
        vm.prank(operator);
        market.revealDraw(taskId, bytes32("secret"));
        opensAt = market.gamesOpenAt(taskId);
        assertEq(opensAt, block.timestamp);
    }

    function test_committeeFirstUntil_isHalfTheShorterPhase() public {
        uint256 taskId = _submitted(true);
        uint256 opensAt = _revealed(taskId);
        // min(AUDIT = 6 h, WINDOW = 1 day) / 2
        assertEq(market.committeeFirstUntil(taskId), opensAt + AUDIT / 2);
        assertEq(market.committeeFirstUntil(taskId + 1), 0, "no result: 0");
    }

    function test_nonMember_cannotOpenFirst_memberCan() public {
        uint256 taskId = _submitted(true);
        assertTrue(jackpot.isAssigned(taskId, member));
        assertFalse(jackpot.isAssigned(taskId, sybil));
        uint256 opensAt = _revealed(taskId);
        uint256 until = opensAt + AUDIT / 2;

        // the cheater's own account, the moment games open: refused
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeGoesFirst.selector, until));
        market.onDisputeOpened(taskId, sybil);

        // the member opens first, and takes the task stake
        vm.prank(game);
        market.onDisputeOpened(taskId, member);
        assertEq(market.getTask(taskId).openDisputes, 1);

        // still refused a second before the committee's turn ends; anyone from then on
        vm.warp(until - 1);
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeGoesFirst.selector, until));
        market.onDisputeOpened(taskId, sybil);
        vm.warp(until);
        vm.prank(game);
        market.onDisputeOpened(taskId, sybil);
        assertEq(market.getTask(taskId).openDisputes, 2);
    }

    function test_memberRegisteredAfterTheResult_doesNotGoFirst() public {
        uint256 taskId = _submitted(false);
        vm.prank(member);
        jackpot.register{value: 1 ether}();
        assertFalse(jackpot.isAssigned(taskId, member), "registered after the submit block");
        uint256 opensAt = _revealed(taskId);
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeGoesFirst.selector, opensAt + AUDIT / 2));
        market.onDisputeOpened(taskId, member);
    }

    function test_emptyCommittee_gamesWaitHalfThePhase() public {
        uint256 taskId = _submitted(false);
        uint256 opensAt = _revealed(taskId);
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeGoesFirst.selector, opensAt + AUDIT / 2));
        market.onDisputeOpened(taskId, sybil);
        vm.warp(opensAt + AUDIT / 2);
        vm.prank(game);
        market.onDisputeOpened(taskId, sybil);
        // the whole game phase is 2·AUDIT after the seal phase: half of it is left at least
        assertLe(block.timestamp + AUDIT / 2, market.challengeEndsAt(taskId), "half the phase is left");
    }

    function test_forcedErrorsOff_noCommitteeTurn() public {
        _deploy(); // a market without a jackpot
        TaskParams memory p = _params(deadline);
        vm.prank(submitter);
        uint256 taskId = market.postTask{value: REWARD}(p);
        vm.prank(operator);
        sm.stake{value: 10 ether}();
        vm.prank(operator);
        market.claim(taskId);
        bytes32[] memory h = Traces.committedStates(p.steps, p.checkpointEvery, keccak256("run"));
        vm.prank(operator);
        market.submitResult(taskId, Traces.root(h), h[h.length - 1], Traces.proof(h, h.length - 1), MODEL);
        assertEq(market.committeeFirstUntil(taskId), 0);
        vm.prank(game);
        market.onDisputeOpened(taskId, sybil);
        assertEq(market.getTask(taskId).openDisputes, 1);
    }
}
