// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {GameFixture} from "../utils/GameFixture.sol";
import {ToyWorld} from "../utils/ToyWorld.sol";
import {GameHandler} from "./GameHandler.sol";

/// @notice Whatever the actors do (open games from several accounts, the operators' second accounts
///         among them, move, decide games and settle them later from any account, stall, claim
///         timeouts, withdraw queued games, advance queues, stake more, finalize, flush burns,
///         withdraw credit), every wei is accounted for, locks match the live commitments
///         game by game, every game that runs pays its winner in full, and no game resolves while the
///         mover's clock is live, takes a move after resolution, or lets a faulty side win on the merits.
contract DisputeGameInvariantTest is GameFixture {
    address internal constant BURN = address(0xdEaD);

    GameHandler internal handler;

    function setUp() public {
        _deploy();
        ToyWorld a = _world(3, 2, 5, 6);
        ToyWorld b = _world(4, 3, 9, 10);
        // commit intervals: steps 0, 3, 4 committed; a fault in steps 0..2 opens the Segment round
        b.setCheckpointEvery(3);
        handler = new GameHandler(game, sm, market, a, b);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](18);
        selectors[0] = GameHandler.openDispute.selector;
        selectors[1] = GameHandler.move.selector;
        selectors[2] = GameHandler.move.selector; // moves twice as likely
        selectors[3] = GameHandler.playOut.selector;
        selectors[4] = GameHandler.stall.selector;
        selectors[5] = GameHandler.claimTimeout.selector;
        selectors[6] = GameHandler.finalize.selector;
        selectors[7] = GameHandler.withdrawCredit.selector;
        selectors[8] = GameHandler.openAnotherGame.selector;
        selectors[9] = GameHandler.openAnotherGame.selector; // several games per result
        selectors[10] = GameHandler.withdrawQueued.selector;
        selectors[11] = GameHandler.advanceQueue.selector;
        selectors[12] = GameHandler.stakeMore.selector;
        selectors[13] = GameHandler.playOut.selector; // games that run to their end: wins, voids, moot games
        selectors[14] = GameHandler.playOut.selector;
        selectors[15] = GameHandler.settle.selector;
        selectors[16] = GameHandler.settle.selector; // decided games settled soon, and some left unsettled a while
        selectors[17] = GameHandler.flushBurned.selector;
        targetSelector(address(handler), selectors);
    }

    /// forge-config: default.invariant.runs = 24
    /// forge-config: default.invariant.depth = 64
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_allEthAccountedFor() public view {
        assertEq(address(game).balance, 0, "the game holds no ETH");
        assertEq(
            address(sm).balance, sm.totalBonded() + sm.totalUnbonding() + sm.totalCredits() + sm.burnPending(), "stake manager ledger"
        );
        assertEq(address(market).balance, handler.liveEscrow(), "market escrow");
        assertEq(
            handler.ghostEthIn(),
            address(sm).balance + address(market).balance + BURN.balance + handler.ghostEthOut(),
            "ETH in = held + burned + paid out"
        );
        assertEq(sm.totalBurnFlushed(), BURN.balance, "flushed burns reached the burn address");
        assertEq(sm.totalBurned(), sm.totalBurnFlushed() + sm.burnPending(), "burned = flushed + pending");
        uint256 bonded;
        uint256 unbonding;
        uint256 credits = sm.creditOf(handler.submitter());
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            address a = handler.actors(i);
            bonded += sm.bondedOf(a);
            (uint256 entry,) = sm.unbondingOf(a);
            unbonding += entry;
            credits += sm.creditOf(a);
        }
        assertEq(bonded, sm.totalBonded(), "sum bonded");
        assertEq(unbonding, sm.totalUnbonding(), "sum unbonding");
        assertEq(credits, sm.totalCredits(), "sum credits");
    }

    /// forge-config: default.invariant.runs = 24
    /// forge-config: default.invariant.depth = 64
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_locksMatchLiveCommitments() public view {
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            address a = handler.actors(i);
            assertEq(
                sm.lockedBy(a, address(game)),
                handler.expectedGameLocks(a),
                "game locks == bonds of Active, Queued, decided-unsettled games + minStake of their GameStakes"
            );
            assertEq(
                sm.lockedBy(a, address(market)),
                handler.expectedMarketLocks(a),
                "market locks == Claimed/Submitted tasks + Voided tasks whose task stake a game holds"
            );
            assertLe(sm.lockedOf(a), sm.bondedOf(a), "locked <= bonded");
        }
        assertTrue(
            handler.disputeCountsMatch(), "the market and the game count the Active, Queued, decided-unsettled games"
        );
        assertTrue(handler.taskStakesConsistent(), "the task stake is where the game and the market say");
    }

    /// forge-config: default.invariant.runs = 24
    /// forge-config: default.invariant.depth = 64
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_gameRules() public view {
        assertFalse(handler.ghostResolvedWhileLive(), "resolved while the mover's clock was live");
        assertFalse(handler.ghostMovedAfterResolution(), "a move after resolution");
        assertFalse(handler.ghostHonestLostOnMerits(), "the honest side lost on the merits");
        assertFalse(handler.ghostWinnerUnderpaid(), "a game that ran did not pay its winner in full");
        assertFalse(handler.ghostWithdrawalCharged(), "a withdrawal cost its challenger stake");
        assertFalse(handler.ghostSettleRuleBroken(), "a game was settled twice, or before its verdict");
        assertFalse(handler.ghostPaidBeforeSettle(), "a verdict paid someone before settle");
    }
}
