// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "./utils/Test.sol";
import {Rejector} from "./utils/Rejector.sol";
import {Errors} from "../src/Errors.sol";
import {StakeManager} from "../src/StakeManager.sol";

contract StakeManagerTest is Test {
    uint256 internal constant DELAY = 14 days;
    uint256 internal constant WINNER_BPS = 5000;
    address internal constant BURN = address(0xdEaD);

    StakeManager internal sm;
    address internal market = makeAddr("market");
    address internal game = makeAddr("game");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        sm = new StakeManager(DELAY, WINNER_BPS);
        sm.setSlashers(market, game);
        vm.deal(alice, 1000 ether);
        vm.deal(bob, 1000 ether);
        vm.deal(market, 1000 ether);
        vm.deal(game, 1000 ether);
    }

    function _stake(address account, uint256 amount) internal {
        vm.prank(account);
        sm.stake{value: amount}();
    }

    function _lock(address slasher, address account, uint256 amount) internal {
        vm.prank(slasher);
        sm.lock(account, amount);
    }

    function _unbond(address account, uint256 amount) internal {
        vm.prank(account);
        sm.requestUnbond(amount);
    }

    function _assertBalanced() internal view {
        assertEq(
            address(sm).balance,
            sm.totalBonded() + sm.totalUnbonding() + sm.totalCredits() + sm.burnPending(),
            "balance"
        );
    }

    // ---------------------------------------------------------------- constructor and wiring

    function test_constructor_setsParameters() public view {
        assertEq(sm.UNBONDING_DELAY(), DELAY);
        assertEq(sm.SLASH_WINNER_BPS(), WINNER_BPS);
        assertEq(sm.OWNER(), address(this));
        assertEq(sm.BURN_ADDRESS(), BURN);
        assertEq(sm.market(), market);
        assertEq(sm.disputeGame(), game);
    }

    function test_constructor_zeroDelay_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroUnbondingDelay.selector));
        new StakeManager(0, WINNER_BPS);
    }

    function test_constructor_bpsTooHigh_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BpsTooHigh.selector, 10_001, 10_000));
        new StakeManager(DELAY, 10_001);
    }

    function test_constructor_fullWinnerShare_succeeds() public {
        assertEq(new StakeManager(DELAY, 10_000).SLASH_WINNER_BPS(), 10_000);
    }

    function test_setSlashers_emitsAndSets() public {
        StakeManager fresh = new StakeManager(DELAY, WINNER_BPS);
        vm.expectEmit(true, true, true, true, address(fresh));
        emit StakeManager.SlashersSet(market, address(0));
        fresh.setSlashers(market, address(0));
        assertEq(fresh.market(), market);
        assertEq(fresh.disputeGame(), address(0));
    }

    function test_setSlashers_notOwner_reverts() public {
        StakeManager fresh = new StakeManager(DELAY, WINNER_BPS);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotOwner.selector, stranger, address(this)));
        fresh.setSlashers(market, game);
    }

    function test_setSlashers_zeroMarket_reverts() public {
        StakeManager fresh = new StakeManager(DELAY, WINNER_BPS);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAddress.selector));
        fresh.setSlashers(address(0), game);
    }

    function test_setSlashers_sameAddress_reverts() public {
        StakeManager fresh = new StakeManager(DELAY, WINNER_BPS);
        vm.expectRevert(abi.encodeWithSelector(Errors.DuplicateSlasher.selector, market));
        fresh.setSlashers(market, market);
    }

    function test_setSlashers_twice_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.SlashersAlreadySet.selector, market, game));
        sm.setSlashers(stranger, address(0));
    }

    function test_setDisputeGame_emitsAndSets() public {
        StakeManager fresh = new StakeManager(DELAY, WINNER_BPS);
        fresh.setSlashers(market, address(0));
        vm.expectEmit(true, true, true, true, address(fresh));
        emit StakeManager.DisputeGameSet(game);
        fresh.setDisputeGame(game);
        assertEq(fresh.disputeGame(), game);
    }

    function test_setDisputeGame_notOwner_reverts() public {
        StakeManager fresh = new StakeManager(DELAY, WINNER_BPS);
        fresh.setSlashers(market, address(0));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotOwner.selector, stranger, address(this)));
        fresh.setDisputeGame(game);
    }

    function test_setDisputeGame_beforeSlashers_reverts() public {
        StakeManager fresh = new StakeManager(DELAY, WINNER_BPS);
        vm.expectRevert(abi.encodeWithSelector(Errors.SlashersNotSet.selector));
        fresh.setDisputeGame(game);
    }

    function test_setDisputeGame_alreadySet_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.DisputeGameAlreadySet.selector, game));
        sm.setDisputeGame(stranger);
    }

    function test_setDisputeGame_zero_reverts() public {
        StakeManager fresh = new StakeManager(DELAY, WINNER_BPS);
        fresh.setSlashers(market, address(0));
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAddress.selector));
        fresh.setDisputeGame(address(0));
    }

    function test_setDisputeGame_market_reverts() public {
        StakeManager fresh = new StakeManager(DELAY, WINNER_BPS);
        fresh.setSlashers(market, address(0));
        vm.expectRevert(abi.encodeWithSelector(Errors.DuplicateSlasher.selector, market));
        fresh.setDisputeGame(market);
    }

    // ---------------------------------------------------------------- stake

    function test_stake_emitsAndBonds() public {
        _stake(alice, 1 ether);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Staked(alice, 2 ether, 3 ether);
        _stake(alice, 2 ether);
        assertEq(sm.bondedOf(alice), 3 ether);
        assertEq(sm.freeOf(alice), 3 ether);
        assertEq(sm.totalBonded(), 3 ether);
        _assertBalanced();
    }

    function test_stake_zero_reverts() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAmount.selector));
        sm.stake();
    }

    function testFuzz_stake_accumulates(uint96 first, uint96 second) public {
        vm.assume(first > 0 && second > 0);
        vm.deal(alice, uint256(first) + second);
        _stake(alice, first);
        _stake(alice, second);
        assertEq(sm.bondedOf(alice), uint256(first) + second);
        assertEq(sm.totalBonded(), uint256(first) + second);
        _assertBalanced();
    }

    // ---------------------------------------------------------------- unbonding

    function test_requestUnbond_emitsAndMovesStake() public {
        _stake(alice, 10 ether);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.UnbondRequested(alice, 4 ether, 4 ether, block.timestamp + DELAY);
        _unbond(alice, 4 ether);
        (uint256 amount, uint256 readyAt) = sm.unbondingOf(alice);
        assertEq(amount, 4 ether);
        assertEq(readyAt, block.timestamp + DELAY);
        assertEq(sm.bondedOf(alice), 6 ether);
        assertEq(sm.totalBonded(), 6 ether);
        assertEq(sm.totalUnbonding(), 4 ether);
        _assertBalanced();
    }

    function test_requestUnbond_secondRequest_aggregatesAndResetsDelay() public {
        _stake(alice, 10 ether);
        _unbond(alice, 4 ether);
        vm.warp(block.timestamp + DELAY - 1);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.UnbondRequested(alice, 1 ether, 5 ether, block.timestamp + DELAY);
        _unbond(alice, 1 ether);
        (uint256 amount, uint256 readyAt) = sm.unbondingOf(alice);
        assertEq(amount, 5 ether);
        assertEq(readyAt, block.timestamp + DELAY);
    }

    function test_requestUnbond_zero_reverts() public {
        _stake(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAmount.selector));
        sm.requestUnbond(0);
    }

    function test_requestUnbond_lockedStake_reverts() public {
        _stake(alice, 10 ether);
        _lock(market, alice, 7 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.StakeTooLow.selector, 3 ether, 4 ether));
        sm.requestUnbond(4 ether);
    }

    function test_cancelUnbond_emitsAndRebonds() public {
        _stake(alice, 10 ether);
        _unbond(alice, 4 ether);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.UnbondCancelled(alice, 4 ether, 10 ether);
        vm.prank(alice);
        sm.cancelUnbond();
        (uint256 amount, uint256 readyAt) = sm.unbondingOf(alice);
        assertEq(amount, 0);
        assertEq(readyAt, 0);
        assertEq(sm.bondedOf(alice), 10 ether);
        assertEq(sm.totalUnbonding(), 0);
        assertEq(sm.totalBonded(), 10 ether);
    }

    function test_cancelUnbond_nothingUnbonding_reverts() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingUnbonding.selector));
        sm.cancelUnbond();
    }

    function test_withdraw_afterDelay_emitsAndPays() public {
        _stake(alice, 10 ether);
        _unbond(alice, 4 ether);
        vm.warp(block.timestamp + DELAY);
        uint256 before = alice.balance;
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Withdrawn(alice, 4 ether);
        vm.prank(alice);
        sm.withdraw();
        assertEq(alice.balance - before, 4 ether);
        (uint256 amount, uint256 readyAt) = sm.unbondingOf(alice);
        assertEq(amount, 0);
        assertEq(readyAt, 0);
        assertEq(sm.totalUnbonding(), 0);
        _assertBalanced();
    }

    function test_withdraw_beforeDelay_reverts() public {
        _stake(alice, 10 ether);
        _unbond(alice, 4 ether);
        uint256 readyAt = block.timestamp + DELAY;
        vm.warp(readyAt - 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.UnbondingNotReady.selector, readyAt));
        sm.withdraw();
    }

    function test_withdraw_nothingUnbonding_reverts() public {
        _stake(alice, 10 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToWithdraw.selector));
        sm.withdraw();
    }

    function test_withdraw_receiverReverts_reverts() public {
        address rejector = address(new Rejector());
        vm.deal(rejector, 1 ether);
        _stake(rejector, 1 ether);
        _unbond(rejector, 1 ether);
        vm.warp(block.timestamp + DELAY);
        vm.prank(rejector);
        vm.expectRevert(abi.encodeWithSelector(Errors.TransferFailed.selector, rejector, 1 ether));
        sm.withdraw();
    }

    function testFuzz_unbondAndWithdraw_roundTrips(uint96 staked, uint96 unbonded, uint32 wait) public {
        vm.assume(staked > 0);
        uint256 amount = bound(unbonded, 1, staked);
        vm.deal(alice, staked);
        _stake(alice, staked);
        _unbond(alice, amount);
        uint256 readyAt = block.timestamp + DELAY;
        vm.warp(block.timestamp + wait);
        vm.prank(alice);
        if (block.timestamp < readyAt) {
            vm.expectRevert(abi.encodeWithSelector(Errors.UnbondingNotReady.selector, readyAt));
            sm.withdraw();
        } else {
            sm.withdraw();
            assertEq(alice.balance, amount);
        }
        assertEq(sm.bondedOf(alice), uint256(staked) - amount);
        _assertBalanced();
    }

    // ---------------------------------------------------------------- lock and unlock

    function test_lock_emitsAndLocks() public {
        _stake(alice, 10 ether);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.StakeLocked(alice, market, 6 ether);
        _lock(market, alice, 6 ether);
        _lock(game, alice, 3 ether);
        assertEq(sm.lockedOf(alice), 9 ether);
        assertEq(sm.lockedBy(alice, market), 6 ether);
        assertEq(sm.lockedBy(alice, game), 3 ether);
        assertEq(sm.lockedBy(alice, stranger), 0);
        assertEq(sm.lockedBy(alice, address(0)), 0);
        assertEq(sm.freeOf(alice), 1 ether);
        assertEq(sm.bondedOf(alice), 10 ether);
    }

    function test_lock_notSlasher_reverts() public {
        _stake(alice, 10 ether);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotSlasher.selector, stranger));
        sm.lock(alice, 1 ether);
    }

    function test_lock_zero_reverts() public {
        vm.prank(market);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAmount.selector));
        sm.lock(alice, 0);
    }

    function test_lock_aboveFree_reverts() public {
        _stake(alice, 10 ether);
        _lock(game, alice, 4 ether);
        vm.prank(market);
        vm.expectRevert(abi.encodeWithSelector(Errors.StakeTooLow.selector, 6 ether, 7 ether));
        sm.lock(alice, 7 ether);
    }

    function test_lock_unbondingStakeNotLockable_reverts() public {
        _stake(alice, 10 ether);
        _unbond(alice, 10 ether);
        vm.prank(market);
        vm.expectRevert(abi.encodeWithSelector(Errors.StakeTooLow.selector, 0, 1 ether));
        sm.lock(alice, 1 ether);
    }

    function test_unlock_emitsAndReleases() public {
        _stake(alice, 10 ether);
        _lock(market, alice, 6 ether);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.StakeUnlocked(alice, market, 2 ether);
        vm.prank(market);
        sm.unlock(alice, 2 ether);
        assertEq(sm.lockedOf(alice), 4 ether);
        assertEq(sm.freeOf(alice), 6 ether);
    }

    function test_payFromLocked_movesLockedStakeToCreditWhole() public {
        _stake(alice, 10 ether);
        _lock(game, alice, 3 ether);
        _lock(market, alice, 2 ether);
        uint256 burnedBefore = sm.totalBurned();
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.LockedStakePaid(alice, game, bob, 1 ether);
        vm.expectEmit(true, true, false, true, address(sm));
        emit StakeManager.Credited(bob, game, 1 ether);
        vm.prank(game);
        sm.payFromLocked(alice, 1 ether, bob);
        assertEq(sm.bondedOf(alice), 9 ether);
        assertEq(sm.lockedBy(alice, game), 2 ether, "the payer's own lock shrinks");
        assertEq(sm.lockedBy(alice, market), 2 ether, "another slasher's lock is untouched");
        assertEq(sm.creditOf(bob), 1 ether);
        assertEq(sm.totalBurned(), burnedBefore, "nothing burned");
        _assertBalanced();
    }

    function test_payFromLocked_refusesBeyondOwnLock_zero_andNobody() public {
        _stake(alice, 10 ether);
        _lock(game, alice, 1 ether);
        _lock(market, alice, 5 ether);
        vm.startPrank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.UnlockExceedsLocked.selector, 1 ether, 2 ether));
        sm.payFromLocked(alice, 2 ether, bob);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAmount.selector));
        sm.payFromLocked(alice, 0, bob);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAddress.selector));
        sm.payFromLocked(alice, 1 ether, address(0));
        vm.stopPrank();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotSlasher.selector, stranger));
        sm.payFromLocked(alice, 1 ether, bob);
    }

    function test_unlock_notSlasher_reverts() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotSlasher.selector, stranger));
        sm.unlock(alice, 1 ether);
    }

    function test_unlock_zero_reverts() public {
        vm.prank(market);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAmount.selector));
        sm.unlock(alice, 0);
    }

    function test_unlock_aboveOwnLock_reverts() public {
        _stake(alice, 10 ether);
        _lock(market, alice, 6 ether);
        _lock(game, alice, 2 ether);
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.UnlockExceedsLocked.selector, 2 ether, 3 ether));
        sm.unlock(alice, 3 ether);
    }

    // ---------------------------------------------------------------- slash

    function test_slash_takesLockedThenFreeThenUnbonding() public {
        _stake(alice, 10 ether);
        _unbond(alice, 3 ether);
        _lock(market, alice, 4 ether);
        // bonded 7 (locked 4, free 3), unbonding 3: slash 9 = 4 locked + 3 free + 2 unbonding
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Credited(bob, market, 4.5 ether);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Slashed(alice, market, bob, 4 ether, 3 ether, 2 ether, 4.5 ether, 4.5 ether);
        vm.prank(market);
        uint256 slashed = sm.slash(alice, 9 ether, bob);
        assertEq(slashed, 9 ether);
        assertEq(sm.bondedOf(alice), 0);
        assertEq(sm.lockedOf(alice), 0);
        (uint256 unbonding, uint256 readyAt) = sm.unbondingOf(alice);
        assertEq(unbonding, 1 ether);
        assertEq(readyAt, block.timestamp + DELAY);
        assertEq(sm.creditOf(bob), 4.5 ether);
        assertEq(sm.burnPending(), 4.5 ether, "burned ETH is kept, booked");
        assertEq(BURN.balance, 0, "and not sent per slash");
        assertEq(sm.totalBurned(), 4.5 ether);
        _assertBalanced();
    }

    function test_flushBurned_sendsEveryPendingBurnOnce_byAnyone() public {
        _stake(alice, 10 ether);
        vm.prank(market);
        sm.slash(alice, 3 ether, address(0));
        vm.prank(game);
        sm.slash(alice, 2 ether, bob);
        uint256 pending = 3 ether + 1 ether;
        assertEq(sm.burnPending(), pending);
        assertEq(BURN.balance, 0);
        _assertBalanced();

        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.BurnFlushed(stranger, pending, pending);
        vm.prank(stranger);
        sm.flushBurned();
        assertEq(BURN.balance, pending, "sent to the burn address");
        assertEq(sm.burnPending(), 0);
        assertEq(sm.totalBurnFlushed(), sm.totalBurned());
        _assertBalanced();

        vm.prank(stranger);
        vm.expectRevert(Errors.NothingToBurn.selector);
        sm.flushBurned();

        vm.prank(market);
        sm.slash(alice, 1 ether, address(0));
        sm.flushBurned();
        assertEq(BURN.balance, pending + 1 ether, "only the new burn is sent");
        assertEq(sm.totalBurnFlushed(), pending + 1 ether);
        _assertBalanced();
    }

    function test_flushBurned_nothingBurned_reverts() public {
        vm.expectRevert(Errors.NothingToBurn.selector);
        sm.flushBurned();
    }

    function test_slash_capsAtWhatExists() public {
        _stake(alice, 10 ether);
        _unbond(alice, 2 ether);
        vm.prank(game);
        uint256 slashed = sm.slash(alice, 100 ether, bob);
        assertEq(slashed, 10 ether);
        assertEq(sm.bondedOf(alice), 0);
        (uint256 unbonding, uint256 readyAt) = sm.unbondingOf(alice);
        assertEq(unbonding, 0);
        assertEq(readyAt, 0);
        assertEq(sm.totalBonded(), 0);
        assertEq(sm.totalUnbonding(), 0);
        _assertBalanced();
    }

    function test_slash_neverTakesOtherSlashersLock() public {
        _stake(alice, 10 ether);
        _lock(market, alice, 6 ether);
        _lock(game, alice, 1 ether);
        vm.prank(game);
        uint256 slashed = sm.slash(alice, 10 ether, bob);
        // game's own lock (1) + free (3); the market's 6 stay locked and bonded
        assertEq(slashed, 4 ether);
        assertEq(sm.lockedBy(alice, market), 6 ether);
        assertEq(sm.lockedBy(alice, game), 0);
        assertEq(sm.bondedOf(alice), 6 ether);
        _assertBalanced();
    }

    function test_slash_noWinner_burnsEverything() public {
        _stake(alice, 10 ether);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Slashed(alice, market, address(0), 0, 3 ether, 0, 0, 3 ether);
        vm.prank(market);
        sm.slash(alice, 3 ether, address(0));
        assertEq(sm.burnPending(), 3 ether);
        assertEq(sm.totalCredits(), 0);
        _assertBalanced();
    }

    function test_slash_emptyAccount_returnsZero() public {
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Slashed(alice, market, bob, 0, 0, 0, 0, 0);
        vm.prank(market);
        assertEq(sm.slash(alice, 1 ether, bob), 0);
        assertEq(sm.burnPending(), 0);
    }

    function test_slash_notSlasher_reverts() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotSlasher.selector, stranger));
        sm.slash(alice, 1 ether, bob);
    }

    function test_slash_zero_reverts() public {
        vm.prank(market);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAmount.selector));
        sm.slash(alice, 0, bob);
    }

    function testFuzz_slash_splitsExactly(uint96 staked, uint96 locked, uint96 unbonded, uint96 amount, uint16 bps)
        public
    {
        vm.assume(staked > 0 && amount > 0);
        uint256 winnerBps = bound(bps, 0, 10_000);
        uint256 toUnbond = bound(unbonded, 0, staked);
        uint256 toLock = bound(locked, 0, staked - toUnbond);
        StakeManager fresh = _freshWithStake(winnerBps, staked, toUnbond, toLock);

        vm.prank(market);
        uint256 slashed = fresh.slash(alice, amount, bob);

        uint256 expected = amount < staked ? amount : staked;
        uint256 toWinner = expected * winnerBps / 10_000;
        assertEq(slashed, expected, "slashed");
        assertEq(fresh.creditOf(bob), toWinner, "winner share");
        assertEq(fresh.burnPending(), expected - toWinner, "burned");
        assertEq(fresh.totalBurned(), expected - toWinner, "totalBurned");
        assertEq(fresh.lockedOf(alice), toLock - (amount < toLock ? amount : toLock), "lock shrinks by locked part");
        _assertStakeLeft(fresh, uint256(staked) - expected);
    }

    function _freshWithStake(uint256 winnerBps, uint256 staked, uint256 toUnbond, uint256 toLock)
        internal
        returns (StakeManager fresh)
    {
        fresh = new StakeManager(DELAY, winnerBps);
        fresh.setSlashers(market, game);
        vm.deal(alice, staked);
        vm.startPrank(alice);
        fresh.stake{value: staked}();
        if (toUnbond > 0) fresh.requestUnbond(toUnbond);
        vm.stopPrank();
        if (toLock > 0) _lockOn(fresh, toLock);
    }

    function _lockOn(StakeManager fresh, uint256 amount) internal {
        vm.prank(market);
        fresh.lock(alice, amount);
    }

    function _assertStakeLeft(StakeManager fresh, uint256 expected) internal view {
        (uint256 unbondingLeft,) = fresh.unbondingOf(alice);
        assertEq(fresh.bondedOf(alice) + unbondingLeft, expected, "stake left");
        assertEq(
            address(fresh).balance,
            fresh.totalBonded() + fresh.totalUnbonding() + fresh.totalCredits() + fresh.burnPending(),
            "balance"
        );
    }

    // ---------------------------------------------------------------- credits

    function test_credit_emitsAndAccrues() public {
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Credited(alice, market, 2 ether);
        vm.prank(market);
        sm.credit{value: 2 ether}(alice);
        vm.prank(game);
        sm.credit{value: 1 ether}(alice);
        assertEq(sm.creditOf(alice), 3 ether);
        assertEq(sm.totalCredits(), 3 ether);
        _assertBalanced();
    }

    function test_credit_notSlasher_reverts() public {
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotSlasher.selector, stranger));
        sm.credit{value: 1 ether}(alice);
    }

    function test_credit_zeroValue_reverts() public {
        vm.prank(market);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAmount.selector));
        sm.credit(alice);
    }

    function test_credit_zeroAccount_reverts() public {
        vm.prank(market);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAddress.selector));
        sm.credit{value: 1 ether}(address(0));
    }

    function test_withdrawCredit_emitsAndPays() public {
        vm.prank(market);
        sm.credit{value: 2 ether}(alice);
        uint256 before = alice.balance;
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.CreditWithdrawn(alice, 2 ether);
        vm.prank(alice);
        sm.withdrawCredit();
        assertEq(alice.balance - before, 2 ether);
        assertEq(sm.creditOf(alice), 0);
        assertEq(sm.totalCredits(), 0);
        _assertBalanced();
    }

    function test_withdrawCredit_nothing_reverts() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToWithdraw.selector));
        sm.withdrawCredit();
    }

    function test_withdrawCredit_receiverReverts_reverts() public {
        address rejector = address(new Rejector());
        vm.prank(market);
        sm.credit{value: 1 ether}(rejector);
        vm.prank(rejector);
        vm.expectRevert(abi.encodeWithSelector(Errors.TransferFailed.selector, rejector, 1 ether));
        sm.withdrawCredit();
        assertEq(sm.creditOf(rejector), 1 ether);
    }
}
