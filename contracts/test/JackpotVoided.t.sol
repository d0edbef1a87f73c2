// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {Traces} from "./utils/Traces.sol";
import {Errors} from "../src/Errors.sol";
import {Jackpot} from "../src/Jackpot.sol";
import {Task, TaskStatus} from "../src/Task.sol";
import {TaskParams} from "../src/Task.sol";

/// @notice A forced result that is voided pays every catch revealed on it (docs/forced-errors.md,
///         "Payment"). Before, a voided forced result's pot returned whole to the operator's escrow,
///         so an operator whose forced error was caught could have its own result voided (let its
///         second account win a game, or reveal a bogus honest leaf) and keep the pot: it lost
///         R + (1 - w) * minStake and kept catches * POT / K, which pays whenever the pot is large
///         against the stake. `test_voided_paysEveryRevealedCatch` and
///         `test_bogusHonestLeaf_stillPaysTheCatch` fail against that rule.
contract JackpotVoidedTest is MarketFixture {
    uint64 internal constant AUDIT = 6 hours;
    uint256 internal constant POT = 2 ether;
    uint256 internal constant SHARE = 1 ether; // POT / K, K = 2
    uint32 internal constant STEPS = 100;
    uint32 internal constant EVERY = 10;
    bytes32 internal constant HONEST_MODEL = keccak256("honest model");

    Jackpot internal jackpot;
    address internal submitter = makeAddr("submitter");
    address internal operator = makeAddr("operator");
    address internal catcher = makeAddr("member that replayed the interval");
    address internal guesser = makeAddr("member that sealed a guess");
    uint64 internal deadline;
    bytes32 internal guess; // what `guesser` sealed on the latest result

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(100);
        _deploy();
        jackpot = new Jackpot(address(market), POT, 1 ether, 2);
        market.setJackpot(address(jackpot), 1_000_000, AUDIT, 0);
        deadline = uint64(block.timestamp + 10 days);
        vm.deal(submitter, 100 ether);
        vm.deal(operator, 100 ether);
        vm.deal(catcher, 10 ether);
        vm.deal(guesser, 10 ether);
        vm.prank(operator);
        sm.stake{value: 50 ether}();
        vm.prank(operator);
        jackpot.fundEscrow{value: 2 * POT}(operator);
        vm.prank(catcher);
        jackpot.register{value: 1 ether}();
        vm.prank(guesser);
        jackpot.register{value: 1 ether}();
    }

    /// @dev Claims (or re-claims) `taskId` (0: a new task), submits a forced result, draws its
    ///      committee, has `catcher` seal the honest h_L and `guesser` a guess, and passes the seal phase.
    function _forced(uint256 taskId, bytes32 secret)
        internal
        returns (uint256 id, bytes32[] memory honest, bytes32[] memory forced, uint256 leaf)
    {
        id = taskId;
        if (id == 0) {
            TaskParams memory p = _params(deadline);
            p.steps = STEPS;
            p.checkpointEvery = EVERY;
            vm.prank(submitter);
            id = market.postTask{value: REWARD}(p);
        }
        vm.prank(operator);
        market.claim(id);
        vm.prank(operator);
        market.commitDraw(id, keccak256(abi.encode(secret)));
        vm.roll(block.number + 1);
        bool isForced;
        // the seed is the hash of the block the draw was committed in (stored at submission)
        (isForced, leaf) =
            market.forcedDraw(secret, blockhash(market.drawOf(id).committedBlock), id, STEPS, EVERY, 1_000_000);
        assertTrue(isForced, "every result is forced");
        honest = Traces.committedStates(STEPS, EVERY, keccak256("run"));
        forced = Traces.committedStates(STEPS, EVERY, keccak256("run"));
        forced[leaf] = keccak256("forced h_L");
        vm.prank(operator);
        market.submitResult(id, Traces.root(forced), forced[STEPS], Traces.proof(forced, STEPS), keccak256("m"));
        vm.roll(block.number + 1);
        jackpot.assign(id);
        assertTrue(jackpot.isAssigned(id, catcher) && jackpot.isAssigned(id, guesser), "both members drawn");
        _seal(catcher, id, honest[leaf]);
        guess = keccak256(abi.encode("a guess", block.number));
        _seal(guesser, id, guess);
        Task memory t = market.getTask(id);
        vm.warp(uint256(t.submittedAt) + t.challengeWindow + 1);
    }

    function _seal(address who, uint256 taskId, bytes32 state) internal {
        vm.prank(who);
        jackpot.seal(keccak256(abi.encode(taskId, state, who, bytes32("salt"))));
    }

    function _revealCatch(address who, uint256 taskId, bytes32 state) internal {
        vm.prank(who);
        jackpot.revealCatch(taskId, state, bytes32("salt"));
    }

    function _reveal(uint256 taskId, bytes32 secret, bytes32 honestLeaf, bytes32[] memory forced, uint256 leaf)
        internal
    {
        vm.prank(operator);
        market.revealForcedError(taskId, secret, forced[leaf], honestLeaf, Traces.proof(forced, leaf), HONEST_MODEL);
    }

    /// @dev The operator's result is voided (it lost a game, or let its own account win one).
    function _voided(uint256 taskId) internal {
        uint256 until = market.committeeFirstUntil(taskId);
        if (block.timestamp < until) vm.warp(until);
        vm.prank(game);
        market.onDisputeOpened(taskId, makeAddr("operator's second account"));
        vm.prank(game);
        market.onDisputeResolved(taskId, false, true);
        assertEq(uint8(market.taskStatus(taskId)), uint8(TaskStatus.Open), "voided and reopened");
    }

    function _claim(address who, uint256 taskId) internal {
        vm.prank(who);
        jackpot.claimJackpot(taskId);
    }

    function test_stood_paysOnlyTheCatchThatNamedTheHonestLeaf() public {
        bytes32 secret = keccak256("s");
        (uint256 taskId, bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forced(0, secret);
        _reveal(taskId, secret, honest[leaf], forced, leaf);
        _revealCatch(catcher, taskId, honest[leaf]);
        _revealCatch(guesser, taskId, guess);
        Jackpot.Pot memory pot = jackpot.potOf(taskId);
        assertEq(pot.catches, 1);
        assertEq(pot.misses, 1);
        assertEq(jackpot.catchOf(taskId, guesser), 3, "revealed, another state");
        vm.warp(uint256(pot.catchEndsAt) + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotSettled.selector, taskId));
        _claim(catcher, taskId);
        vm.warp(market.challengeEndsAt(taskId) + 1);
        market.finalize(taskId);
        uint256 escrow = jackpot.escrowOf(operator);
        _claim(catcher, taskId);
        assertEq(jackpot.credits(catcher), SHARE);
        assertEq(jackpot.escrowOf(operator), escrow + POT - SHARE, "the guess's seat returns to the escrow");
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, guesser));
        _claim(guesser, taskId);
    }

    function test_voided_paysEveryRevealedCatch() public {
        bytes32 secret = keccak256("s");
        (uint256 taskId, bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forced(0, secret);
        _reveal(taskId, secret, honest[leaf], forced, leaf);
        _revealCatch(catcher, taskId, honest[leaf]);
        _revealCatch(guesser, taskId, guess);
        uint256 escrow = jackpot.escrowOf(operator);
        vm.warp(uint256(jackpot.potOf(taskId).catchEndsAt) + 1);
        _voided(taskId); // the operator had its own result voided to keep the pot
        _claim(catcher, taskId);
        _claim(guesser, taskId);
        assertEq(jackpot.credits(catcher), SHARE, "the catch is paid");
        assertEq(jackpot.credits(guesser), SHARE, "so is every sealed catch: voiding cannot save the operator a wei");
        vm.expectRevert(abi.encodeWithSelector(Errors.PotAlreadyClosed.selector, taskId));
        jackpot.closePot(taskId);
        assertEq(jackpot.escrowOf(operator), escrow, "nothing returns");
    }

    function test_bogusHonestLeaf_stillPaysTheCatch() public {
        bytes32 secret = keccak256("s");
        (uint256 taskId, bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forced(0, secret);
        _reveal(taskId, secret, keccak256("bogus"), forced, leaf); // not the honest h_L
        _revealCatch(catcher, taskId, honest[leaf]);
        assertEq(jackpot.catchOf(taskId, catcher), 3, "the true h_L does not name the bogus leaf");
        vm.warp(uint256(jackpot.potOf(taskId).catchEndsAt) + 1);
        _voided(taskId); // the bogus root loses its game
        uint256 escrow = jackpot.escrowOf(operator);
        _claim(catcher, taskId);
        assertEq(jackpot.credits(catcher), SHARE);
        assertEq(jackpot.escrowOf(operator), escrow + SHARE, "the seat with no revealed catch returns");
    }

    function test_reForcedBeforeClaiming_earlierCatchStillPaid() public {
        bytes32 a = keccak256("a");
        (uint256 taskId, bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forced(0, a);
        _reveal(taskId, a, honest[leaf], forced, leaf);
        _revealCatch(catcher, taskId, honest[leaf]);
        _voided(taskId);

        bytes32 b = keccak256("b");
        (, honest, forced, leaf) = _forced(taskId, b);
        uint256 escrow = jackpot.escrowOf(operator);
        uint256 reserved = jackpot.reservedOf(operator);
        _reveal(taskId, b, honest[leaf], forced, leaf);
        assertEq(jackpot.potOf(taskId).round, 2);
        assertEq(jackpot.owedToCatchers(), SHARE, "round 1 owes its one catch");
        assertEq(jackpot.escrowOf(operator), escrow - POT + SHARE, "its unowed seat returned");
        assertEq(jackpot.reservedOf(operator), reserved - POT);

        vm.prank(catcher);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, catcher));
        jackpot.claimEarlierCatch(taskId, 2);
        vm.prank(catcher);
        jackpot.claimEarlierCatch(taskId, 1);
        assertEq(jackpot.credits(catcher), SHARE);
        assertEq(jackpot.owedToCatchers(), 0);
        vm.prank(catcher);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, catcher));
        jackpot.claimEarlierCatch(taskId, 1);
        vm.prank(guesser);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, guesser));
        jackpot.claimEarlierCatch(taskId, 1);
        assertEq(
            address(jackpot).balance,
            jackpot.totalEscrow() + jackpot.potOf(taskId).amount + jackpot.credits(catcher) + jackpot.owedToCatchers()
                + jackpot.totalBonded(),
            "every wei accounted for"
        );
    }
}
