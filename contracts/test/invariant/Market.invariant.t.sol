// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "../utils/MarketFixture.sol";
import {MarketHandler} from "./MarketHandler.sol";
import {TaskStatus} from "../../src/Task.sol";

/// @notice System invariants of StakeManager + TaskMarket under random actors and a fake dispute game.
///         The handler catches the reverts it expects, so any other revert fails the campaign.
///         Runs are 128 calls deep (32 runs each, the same 4096 calls as the default 64 x 64): long
///         enough for deadlines to pass, windows to close and unbonding entries to mature.
contract MarketInvariantTest is MarketFixture {
    MarketHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        // Short windows and disputes so that a 128-call sequence sees deadlines pass and windows
        // close; the delay is the least the market accepts (window + dispute + UNBONDING_MARGIN), and
        // the handler's warps are long enough for unbonding entries to mature.
        _deploy(1 hours + 2 hours + 1 days, 1 hours, 2 hours);
        handler = new MarketHandler(sm, market, game);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](18);
        selectors[0] = MarketHandler.stake.selector;
        selectors[1] = MarketHandler.requestUnbond.selector;
        selectors[2] = MarketHandler.cancelUnbond.selector;
        selectors[3] = MarketHandler.withdraw.selector;
        selectors[4] = MarketHandler.withdrawCredit.selector;
        selectors[5] = MarketHandler.postTask.selector;
        selectors[6] = MarketHandler.cancel.selector;
        selectors[7] = MarketHandler.claim.selector;
        selectors[8] = MarketHandler.submitResult.selector;
        selectors[9] = MarketHandler.finalize.selector;
        selectors[10] = MarketHandler.expire.selector;
        selectors[11] = MarketHandler.warp.selector;
        selectors[12] = MarketHandler.openDispute.selector;
        selectors[13] = MarketHandler.resolveDispute.selector;
        selectors[14] = MarketHandler.claim.selector; // claims twice as likely: more tasks get worked
        selectors[15] = MarketHandler.evictClaim.selector;
        selectors[16] = MarketHandler.withdrawDispute.selector;
        selectors[17] = MarketHandler.flushBurned.selector;
        targetSelector(address(handler), selectors);
    }

    /// @notice (1) All ETH in the system is accounted for, exactly: escrow of live tasks + bonded +
    ///         unbonding + credits + burned-not-yet-flushed; whatever else came in was paid out or
    ///         flushed to the burn address.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    function invariant_ethIsFullyAccounted() public view {
        uint256 held = address(market).balance + address(sm).balance;
        assertEq(address(market).balance, handler.liveEscrow(), "market holds exactly the live escrow");
        assertEq(
            held,
            handler.liveEscrow() + sm.totalBonded() + sm.totalUnbonding() + sm.totalCredits() + sm.burnPending(),
            "held == escrow + bonded + unbonding + credits + burn pending"
        );
        assertEq(held, handler.ghostEthIn() - handler.ghostEthOut() - address(0xdEaD).balance, "in - out - burned");
        assertEq(address(0xdEaD).balance, sm.totalBurnFlushed(), "flushed burns reached the burn address");
        assertEq(sm.totalBurned(), sm.totalBurnFlushed() + sm.burnPending(), "burned = flushed + pending");
    }

    /// @notice (2) No stake leaves while locked or before its unbonding delay; locks are exactly the
    ///         stake backing live claims and open bonds.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    function invariant_lockedStakeStays() public view {
        assertFalse(handler.ghostEarlyExit(), "stake left early");
        assertFalse(handler.ghostLockedStakeUnbonded(), "locked stake started unbonding");
        assertFalse(handler.ghostSlashMissedLock(), "a slash of locked stake took other stake");
        assertFalse(handler.ghostEvictionLeaked(), "an eviction moved escrow or slashed other than its share");
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            address a = handler.actors(i);
            assertEq(
                sm.lockedBy(a, address(market)),
                handler.expectedMarketLock(a),
                "market lock == live claims + voided task stakes a game holds"
            );
            assertEq(sm.lockedBy(a, game), handler.ghostGameLocked(a), "game lock == open bonds");
            assertLe(sm.lockedOf(a), sm.bondedOf(a), "locked <= bonded");
        }
    }

    /// @notice (3) Per-account ledgers sum to the totals; per-task dispute counts match the game's.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    function invariant_ledgersSumToTotals() public view {
        uint256 bonded;
        uint256 unbonding;
        uint256 credits;
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            address a = handler.actors(i);
            bonded += sm.bondedOf(a);
            (uint256 entry, uint256 readyAt) = sm.unbondingOf(a);
            unbonding += entry;
            credits += sm.creditOf(a);
            assertTrue((entry == 0) == (readyAt == 0), "an entry has a ready time iff it is non-empty");
        }
        assertEq(bonded, sm.totalBonded(), "sum bonded");
        assertEq(unbonding, sm.totalUnbonding(), "sum unbonding");
        assertEq(credits, sm.totalCredits(), "sum credits");
        for (uint256 i = 0; i < handler.taskCount(); i++) {
            uint256 taskId = handler.taskIds(i);
            TaskStatus status = market.taskStatus(taskId);
            assertEq(market.holdsTaskStake(taskId), handler.expectedHoldsTaskStake(taskId));
            if (status == TaskStatus.Submitted || status == TaskStatus.Voided) {
                assertEq(market.getTask(taskId).openDisputes, handler.openDisputesOn(taskId), "open disputes");
            }
        }
    }
}
