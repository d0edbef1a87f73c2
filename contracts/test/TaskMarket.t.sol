// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {Errors} from "../src/Errors.sol";
import {StakeManager} from "../src/StakeManager.sol";
import {TaskMarket} from "../src/TaskMarket.sol";
import {DisputeGameStub} from "./utils/DisputeGameStub.sol";
import {RootKind, Task, TaskParams, TaskStatus} from "../src/Task.sol";
import {TraceResult, Traces} from "./utils/Traces.sol";

contract TaskMarketTest is MarketFixture {
    address internal constant BURN = address(0xdEaD);
    bytes32 internal constant MODEL = keccak256("model");

    address internal submitter = makeAddr("submitter");
    address internal operator = makeAddr("operator");
    address internal operator2 = makeAddr("operator2");
    address internal stranger = makeAddr("stranger");

    uint64 internal deadline;
    /// @notice The operator's result: a trace of `_params().steps` steps, its h_S and h_S's proof.
    TraceResult internal run;

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploy();
        run = Traces.result(_params(0).steps, "trace");
        deadline = uint64(block.timestamp + 3 days);
        vm.deal(submitter, 1000 ether);
        vm.deal(operator, 1000 ether);
        vm.deal(operator2, 1000 ether);
        vm.prank(operator);
        sm.stake{value: 20 ether}();
        vm.prank(operator2);
        sm.stake{value: 20 ether}();
    }

    // ---------------------------------------------------------------- helpers

    function _post() internal returns (uint256) {
        vm.prank(submitter);
        return market.postTask{value: REWARD}(_params(deadline));
    }

    function _postExpectingRevert(TaskParams memory p, bytes memory err) internal {
        vm.prank(submitter);
        vm.expectRevert(err);
        market.postTask{value: REWARD}(p);
    }

    function _claimed() internal returns (uint256 taskId) {
        taskId = _post();
        vm.prank(operator);
        market.claim(taskId);
    }

    function _submitted() internal returns (uint256 taskId) {
        taskId = _claimed();
        vm.prank(operator);
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, MODEL);
    }

    function _open(uint256 taskId) internal {
        vm.prank(game);
        market.onDisputeOpened(taskId, address(0xC4A1));
    }

    /// @notice The game ends a dispute whose game did not hold the task stake, or was the last to.
    function _resolve(uint256 taskId, bool operatorWon) internal {
        _resolve(taskId, operatorWon, true);
    }

    function _resolve(uint256 taskId, bool operatorWon, bool taskStakeFree) internal {
        vm.prank(game);
        market.onDisputeResolved(taskId, operatorWon, taskStakeFree);
    }

    function _withdraw(uint256 taskId) internal {
        vm.prank(game);
        market.onDisputeWithdrawn(taskId);
    }

    function _status(uint256 taskId) internal view returns (TaskStatus) {
        return market.taskStatus(taskId);
    }

    function _assertStatus(uint256 taskId, TaskStatus expected) internal view {
        assertEq(uint256(_status(taskId)), uint256(expected), "status");
    }

    function _assertBalanced(uint256 escrow) internal view {
        assertEq(address(market).balance, escrow, "market escrow");
        assertEq(address(sm).balance, sm.totalBonded() + sm.totalUnbonding() + sm.totalCredits() + sm.burnPending(), "stake manager");
    }

    function _wrongStatus(uint256 taskId, TaskStatus actual, TaskStatus expected) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Errors.WrongStatus.selector, taskId, actual, expected);
    }

    // ---------------------------------------------------------------- constructor and wiring

    function test_constructor_setsParameters() public view {
        assertEq(address(market.STAKE_MANAGER()), address(sm));
        assertEq(market.MAX_CHALLENGE_WINDOW(), MAX_CHALLENGE_WINDOW);
        assertEq(market.MAX_DISPUTE_DURATION(), MAX_DISPUTE_DURATION);
        assertEq(market.MISSED_DEADLINE_SLASH_BPS(), MISSED_DEADLINE_SLASH_BPS);
        assertEq(market.MIN_CHALLENGE_WINDOW(), MIN_CHALLENGE_WINDOW);
        assertEq(market.MIN_TASK_STAKE(), MIN_TASK_STAKE);
        assertEq(market.CLAIM_TIMEOUT(), CLAIM_TIMEOUT);
        assertEq(market.OWNER(), address(this));
        assertEq(market.disputeGame(), game);
        assertEq(market.taskCount(), 0);
    }

    function test_constructor_zeroStakeManager_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAddress.selector));
        new TaskMarket(StakeManager(address(0)), 1, 1, 500, 1, 1, 1 days);
    }

    function test_constructor_zeroChallengeWindow_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroMaxChallengeWindow.selector));
        new TaskMarket(sm, 0, 1, 500, 1, 1, 1 days);
    }

    function test_constructor_zeroDisputeDuration_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroMaxDisputeDuration.selector));
        new TaskMarket(sm, 1, 0, 500, 1, 1, 1 days);
    }

    function test_constructor_bpsTooHigh_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BpsTooHigh.selector, 10_001, 10_000));
        new TaskMarket(sm, 1, 1, 10_001, 1, 1, 1 days);
    }

    function test_constructor_unbondingDelayTooShort_reverts() public {
        uint64 window = uint64(UNBONDING_DELAY / 2);
        uint64 duration = uint64(UNBONDING_DELAY - window);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.UnbondingDelayTooShort.selector, UNBONDING_DELAY, UNBONDING_DELAY + market.UNBONDING_MARGIN()
            )
        );
        new TaskMarket(sm, window, duration, 500, 1, 1, 1 days);
    }

    function test_constructor_unbondingDelayJustLongEnough_succeeds() public {
        uint64 window = uint64(UNBONDING_DELAY / 2);
        uint64 duration = uint64(UNBONDING_DELAY - window - market.UNBONDING_MARGIN());
        assertEq(new TaskMarket(sm, window, duration, 500, 1, 1, 1 days).MAX_DISPUTE_DURATION(), duration);
    }

    /// @notice Finding 5: at window + dispute + 1 s a losing operator could withdraw in the very second
    ///         the timeout that slashes it becomes claimable; a day's margin is required.
    function test_constructor_unbondingDelayWithoutMargin_reverts() public {
        StakeManager freshSm = new StakeManager(3 days + 1, SLASH_WINNER_BPS);
        vm.expectRevert(abi.encodeWithSelector(Errors.UnbondingDelayTooShort.selector, 3 days + 1, 4 days));
        new TaskMarket(freshSm, 1 days, 2 days, 500, 1, 1, 1 days);
    }

    function test_constructor_unbondingDelayOneSecondShortOfMargin_reverts() public {
        StakeManager freshSm = new StakeManager(4 days - 1, SLASH_WINNER_BPS);
        vm.expectRevert(abi.encodeWithSelector(Errors.UnbondingDelayTooShort.selector, 4 days - 1, 4 days));
        new TaskMarket(freshSm, 1 days, 2 days, 500, 1, 1, 1 days);
    }

    function test_constructor_unbondingDelayWithMargin_succeeds() public {
        StakeManager freshSm = new StakeManager(4 days, SLASH_WINNER_BPS);
        assertEq(new TaskMarket(freshSm, 1 days, 2 days, 500, 1, 1, 1 days).MAX_DISPUTE_DURATION(), 2 days);
    }

    function test_constructor_zeroMinChallengeWindow_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.MinChallengeWindowOutOfRange.selector, 0, 1 days));
        new TaskMarket(sm, 1 days, 1, 500, 0, 1, 1 days);
    }

    function test_constructor_minChallengeWindowAboveMax_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.MinChallengeWindowOutOfRange.selector, 1 days + 1, 1 days));
        new TaskMarket(sm, 1 days, 1, 500, 1 days + 1, 1, 1 days);
    }

    function test_constructor_minChallengeWindowEqualMax_succeeds() public {
        assertEq(new TaskMarket(sm, 1 days, 1, 500, 1 days, 1, 1 days).MIN_CHALLENGE_WINDOW(), 1 days);
    }

    function test_constructor_zeroMinTaskStake_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroMinTaskStake.selector));
        new TaskMarket(sm, 1, 1, 500, 1, 0, 1 days);
    }

    function test_constructor_zeroClaimTimeout_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroClaimTimeout.selector));
        new TaskMarket(sm, 1, 1, 500, 1, 1, 0);
    }

    function test_setDisputeGame_emitsAndSets() public {
        StakeManager freshSm = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        TaskMarket fresh = new TaskMarket(freshSm, 1, 1, 500, 1, 1, 1 days);
        address freshGame = address(new DisputeGameStub(address(fresh), address(freshSm)));
        freshSm.setSlashers(address(fresh), freshGame);
        vm.expectEmit(true, true, true, true, address(fresh));
        emit TaskMarket.DisputeGameSet(freshGame);
        fresh.setDisputeGame(freshGame);
        assertEq(fresh.disputeGame(), freshGame);
    }

    function test_setDisputeGame_notOwner_reverts() public {
        TaskMarket fresh = new TaskMarket(sm, 1, 1, 500, 1, 1, 1 days);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotOwner.selector, stranger, address(this)));
        fresh.setDisputeGame(game);
    }

    function test_setDisputeGame_twice_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.DisputeGameAlreadySet.selector, game));
        market.setDisputeGame(game);
    }

    function test_setDisputeGame_zero_reverts() public {
        TaskMarket fresh = new TaskMarket(sm, 1, 1, 500, 1, 1, 1 days);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroAddress.selector));
        fresh.setDisputeGame(address(0));
    }

    function test_setDisputeGame_notStakeManagersGame_reverts() public {
        TaskMarket fresh = new TaskMarket(sm, 1, 1, 500, 1, 1, 1 days);
        vm.expectRevert(abi.encodeWithSelector(Errors.DisputeGameMismatch.selector, stranger, game));
        fresh.setDisputeGame(stranger);
    }

    /// @notice Finding 6: a game that reports to another market would resolve this market's tasks
    ///         from that market's games.
    function test_setDisputeGame_gameOfAnotherMarket_reverts() public {
        StakeManager freshSm = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        TaskMarket fresh = new TaskMarket(freshSm, 1, 1, 500, 1, 1, 1 days);
        address other = address(new DisputeGameStub(address(market), address(freshSm)));
        freshSm.setSlashers(address(fresh), other);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.DisputeGameMarketMismatch.selector, address(market), address(fresh))
        );
        fresh.setDisputeGame(other);
    }

    function test_setDisputeGame_gameOfAnotherStakeManager_reverts() public {
        StakeManager freshSm = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        TaskMarket fresh = new TaskMarket(freshSm, 1, 1, 500, 1, 1, 1 days);
        address other = address(new DisputeGameStub(address(fresh), address(sm)));
        freshSm.setSlashers(address(fresh), other);
        vm.expectRevert(abi.encodeWithSelector(Errors.StakeManagerMismatch.selector, address(sm), address(freshSm)));
        fresh.setDisputeGame(other);
    }

    function test_setDisputeGame_notContract_reverts() public {
        StakeManager freshSm = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        TaskMarket fresh = new TaskMarket(freshSm, 1, 1, 500, 1, 1, 1 days);
        freshSm.setSlashers(address(fresh), stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.DisputeGameNotContract.selector, stranger));
        fresh.setDisputeGame(stranger);
    }

    // ---------------------------------------------------------------- postTask

    function test_postTask_emitsAndStores() public {
        TaskParams memory p = _params(deadline);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskPosted(
            1,
            submitter,
            REWARD,
            p.specHash,
            p.specURI,
            p.datasetRoot,
            p.initStateRoot,
            p.graphRoot,
            p.steps,
            p.checkpointEvery,
            p.minStake,
            p.deadline,
            p.challengeWindow
        );
        uint256 taskId = _post();
        assertEq(taskId, 1);
        assertEq(market.taskCount(), 1);
        Task memory t = market.getTask(taskId);
        assertEq(t.submitter, submitter);
        assertEq(t.deadline, deadline);
        assertEq(t.steps, p.steps);
        assertEq(t.checkpointEvery, p.checkpointEvery);
        assertEq(t.challengeWindow, WINDOW);
        assertEq(uint256(t.status), uint256(TaskStatus.Open));
        assertEq(t.reward, REWARD);
        assertEq(t.minStake, MIN_STAKE);
        assertEq(t.specHash, p.specHash);
        assertEq(t.datasetRoot, p.datasetRoot);
        assertEq(t.initStateRoot, p.initStateRoot);
        assertEq(t.graphRoot, p.graphRoot);
        assertEq(t.operator, address(0));
        assertEq(t.traceRoot, bytes32(0));
        _assertBalanced(REWARD);
    }

    function test_postTask_idsIncrease() public {
        assertEq(_post(), 1);
        assertEq(_post(), 2);
        assertEq(market.taskCount(), 2);
        _assertBalanced(2 * REWARD);
    }

    function test_postTask_zeroReward_reverts() public {
        vm.prank(submitter);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroReward.selector));
        market.postTask(_params(deadline));
    }

    function test_postTask_deadlineNow_reverts() public {
        uint64 nowTs = uint64(block.timestamp);
        _postExpectingRevert(
            _params(nowTs), abi.encodeWithSelector(Errors.DeadlineInPast.selector, nowTs, block.timestamp)
        );
    }

    function test_postTask_zeroSteps_reverts() public {
        TaskParams memory p = _params(deadline);
        p.steps = 0;
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.ZeroSteps.selector));
    }

    function test_postTask_zeroCheckpointInterval_reverts() public {
        TaskParams memory p = _params(deadline);
        p.checkpointEvery = 0;
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.BadCheckpointInterval.selector, 0, p.steps));
    }

    function test_postTask_checkpointIntervalAboveSteps_reverts() public {
        TaskParams memory p = _params(deadline);
        p.checkpointEvery = p.steps + 1;
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.BadCheckpointInterval.selector, p.steps + 1, p.steps));
    }

    function test_postTask_checkpointIntervalEqualSteps_succeeds() public {
        TaskParams memory p = _params(deadline);
        p.checkpointEvery = p.steps;
        vm.prank(submitter);
        assertEq(market.postTask{value: 1}(p), 1);
    }

    function test_postTask_zeroChallengeWindow_reverts() public {
        TaskParams memory p = _params(deadline);
        p.challengeWindow = 0;
        _postExpectingRevert(
            p,
            abi.encodeWithSelector(
                Errors.ChallengeWindowOutOfRange.selector, 0, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW
            )
        );
    }

    function test_postTask_challengeWindowAboveMax_reverts() public {
        TaskParams memory p = _params(deadline);
        p.challengeWindow = MAX_CHALLENGE_WINDOW + 1;
        _postExpectingRevert(
            p,
            abi.encodeWithSelector(
                Errors.ChallengeWindowOutOfRange.selector,
                MAX_CHALLENGE_WINDOW + 1,
                MIN_CHALLENGE_WINDOW,
                MAX_CHALLENGE_WINDOW
            )
        );
    }

    function test_postTask_zeroMinStake_reverts() public {
        TaskParams memory p = _params(deadline);
        p.minStake = 0;
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.MinStakeBelowFloor.selector, 0, MIN_TASK_STAKE));
    }

    /// @notice Finding 6: a 1-wei stake would not pay a winning challenger's gas.
    function test_postTask_oneWeiMinStake_reverts() public {
        TaskParams memory p = _params(deadline);
        p.minStake = 1;
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.MinStakeBelowFloor.selector, 1, MIN_TASK_STAKE));
    }

    function test_postTask_minStakeJustBelowFloor_reverts() public {
        TaskParams memory p = _params(deadline);
        p.minStake = MIN_TASK_STAKE - 1;
        _postExpectingRevert(
            p, abi.encodeWithSelector(Errors.MinStakeBelowFloor.selector, MIN_TASK_STAKE - 1, MIN_TASK_STAKE)
        );
    }

    function test_postTask_minStakeAtFloor_succeeds() public {
        TaskParams memory p = _params(deadline);
        p.minStake = MIN_TASK_STAKE;
        vm.prank(submitter);
        assertEq(market.postTask{value: REWARD}(p), 1);
    }

    /// @notice Finding 6: a 1-second window can close before a challenger's transaction lands.
    function test_postTask_oneSecondChallengeWindow_reverts() public {
        TaskParams memory p = _params(deadline);
        p.challengeWindow = 1;
        _postExpectingRevert(
            p,
            abi.encodeWithSelector(
                Errors.ChallengeWindowOutOfRange.selector, 1, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW
            )
        );
    }

    function test_postTask_challengeWindowJustBelowFloor_reverts() public {
        TaskParams memory p = _params(deadline);
        p.challengeWindow = MIN_CHALLENGE_WINDOW - 1;
        _postExpectingRevert(
            p,
            abi.encodeWithSelector(
                Errors.ChallengeWindowOutOfRange.selector,
                MIN_CHALLENGE_WINDOW - 1,
                MIN_CHALLENGE_WINDOW,
                MAX_CHALLENGE_WINDOW
            )
        );
    }

    function test_postTask_challengeWindowAtFloor_succeeds() public {
        TaskParams memory p = _params(deadline);
        p.challengeWindow = MIN_CHALLENGE_WINDOW;
        vm.prank(submitter);
        assertEq(market.postTask{value: REWARD}(p), 1);
    }

    function test_postTask_emptySpecURI_reverts() public {
        TaskParams memory p = _params(deadline);
        p.specURI = "";
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.EmptySpecURI.selector));
    }

    function test_postTask_zeroSpecHash_reverts() public {
        TaskParams memory p = _params(deadline);
        p.specHash = bytes32(0);
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.Spec));
    }

    function test_postTask_zeroDatasetRoot_reverts() public {
        TaskParams memory p = _params(deadline);
        p.datasetRoot = bytes32(0);
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.Dataset));
    }

    function test_postTask_zeroInitStateRoot_reverts() public {
        TaskParams memory p = _params(deadline);
        p.initStateRoot = bytes32(0);
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.InitState));
    }

    function test_postTask_zeroGraphRoot_reverts() public {
        TaskParams memory p = _params(deadline);
        p.graphRoot = bytes32(0);
        _postExpectingRevert(p, abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.Graph));
    }

    function testFuzz_postTask_escrowsReward(uint96 reward1, uint96 reward2) public {
        vm.assume(reward1 > 0 && reward2 > 0);
        vm.deal(submitter, uint256(reward1) + reward2);
        vm.startPrank(submitter);
        uint256 first = market.postTask{value: reward1}(_params(deadline));
        uint256 second = market.postTask{value: reward2}(_params(deadline));
        market.cancel(first);
        vm.stopPrank();
        assertEq(market.getTask(second).reward, reward2);
        assertEq(sm.creditOf(submitter), reward1);
        _assertBalanced(reward2);
    }

    // ---------------------------------------------------------------- cancel

    function test_cancel_emitsAndCreditsSubmitter() public {
        uint256 taskId = _post();
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskCancelled(taskId, submitter, REWARD);
        vm.prank(submitter);
        market.cancel(taskId);
        _assertStatus(taskId, TaskStatus.Cancelled);
        assertEq(sm.creditOf(submitter), REWARD);
        _assertBalanced(0);
    }

    function test_cancel_notSubmitter_reverts() public {
        uint256 taskId = _post();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotSubmitter.selector, stranger, submitter));
        market.cancel(taskId);
    }

    function test_cancel_claimed_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(submitter);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Claimed, TaskStatus.Open));
        market.cancel(taskId);
    }

    function test_cancel_twice_reverts() public {
        uint256 taskId = _post();
        vm.startPrank(submitter);
        market.cancel(taskId);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Cancelled, TaskStatus.Open));
        market.cancel(taskId);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- claim

    function test_claim_emitsAndLocksStake() public {
        uint256 taskId = _post();
        vm.warp(block.timestamp + 1 hours);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskClaimed(taskId, operator, MIN_STAKE);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.StakeLocked(operator, address(market), MIN_STAKE);
        vm.prank(operator);
        market.claim(taskId);
        Task memory t = market.getTask(taskId);
        assertEq(uint256(t.status), uint256(TaskStatus.Claimed));
        assertEq(t.operator, operator);
        assertEq(t.claimedAt, block.timestamp);
        assertEq(sm.lockedBy(operator, address(market)), MIN_STAKE);
        assertEq(sm.freeOf(operator), 20 ether - MIN_STAKE);
    }

    function test_claim_atDeadline_succeeds() public {
        uint256 taskId = _post();
        vm.warp(deadline);
        vm.prank(operator);
        market.claim(taskId);
        _assertStatus(taskId, TaskStatus.Claimed);
    }

    function test_claim_unknownTask_reverts() public {
        vm.prank(operator);
        vm.expectRevert(_wrongStatus(7, TaskStatus.None, TaskStatus.Open));
        market.claim(7);
    }

    function test_claim_alreadyClaimed_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(operator2);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Claimed, TaskStatus.Open));
        market.claim(taskId);
    }

    function test_claim_afterDeadline_reverts() public {
        uint256 taskId = _post();
        vm.warp(deadline + 1);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.DeadlinePassed.selector, deadline, deadline + 1));
        market.claim(taskId);
    }

    function test_claim_ownTask_reverts() public {
        uint256 taskId = _post();
        vm.prank(submitter);
        vm.expectRevert(abi.encodeWithSelector(Errors.SelfClaim.selector));
        market.claim(taskId);
    }

    function test_claim_stakeBelowMinimum_reverts() public {
        uint256 taskId = _post();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.StakeTooLow.selector, 0, MIN_STAKE));
        market.claim(taskId);
    }

    function test_claim_stakeLockedElsewhere_reverts() public {
        vm.prank(operator);
        sm.requestUnbond(1 ether);
        _claimed();
        _claimed();
        _claimed();
        uint256 taskId = _post();
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.StakeTooLow.selector, 19 ether - 3 * MIN_STAKE, MIN_STAKE));
        market.claim(taskId);
    }

    // ---------------------------------------------------------------- submitResult

    function test_submitResult_emitsAndStartsWindow() public {
        uint256 taskId = _claimed();
        vm.warp(block.timestamp + 2 hours);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.ResultSubmitted(
            taskId, operator, run.traceRoot, run.finalStateRoot, MODEL, block.timestamp + WINDOW
        );
        vm.prank(operator);
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, MODEL);
        Task memory t = market.getTask(taskId);
        assertEq(uint256(t.status), uint256(TaskStatus.Submitted));
        assertEq(t.submittedAt, block.timestamp);
        assertEq(t.traceRoot, run.traceRoot);
        assertEq(t.finalStateRoot, run.finalStateRoot);
        assertEq(t.modelHash, MODEL);
        assertEq(market.challengeEndsAt(taskId), block.timestamp + WINDOW);
    }

    function test_submitResult_atDeadline_succeeds() public {
        uint256 taskId = _claimed();
        vm.warp(deadline);
        vm.prank(operator);
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, MODEL);
        _assertStatus(taskId, TaskStatus.Submitted);
    }

    function test_submitResult_notOperator_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(operator2);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotOperator.selector, operator2, operator));
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, MODEL);
    }

    function test_submitResult_notClaimed_reverts() public {
        uint256 taskId = _post();
        vm.prank(operator);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Open, TaskStatus.Claimed));
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, MODEL);
    }

    function test_submitResult_twice_reverts() public {
        uint256 taskId = _submitted();
        vm.prank(operator);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Submitted, TaskStatus.Claimed));
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, MODEL);
    }

    function test_submitResult_afterDeadline_reverts() public {
        uint256 taskId = _claimed();
        vm.warp(deadline + 1);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.DeadlinePassed.selector, deadline, deadline + 1));
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, MODEL);
    }

    function test_submitResult_zeroTraceRoot_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.Trace));
        market.submitResult(taskId, bytes32(0), run.finalStateRoot, run.finalStateProof, MODEL);
    }

    function test_submitResult_zeroFinalStateRoot_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.FinalState));
        market.submitResult(taskId, run.traceRoot, bytes32(0), run.finalStateProof, MODEL);
    }

    function test_submitResult_zeroModelHash_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.Model));
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, bytes32(0));
    }

    // ---------------------------------------------------------------- finalize

    function test_finalize_emitsPaysAndUnlocks() public {
        uint256 taskId = _submitted();
        vm.warp(block.timestamp + WINDOW + 1);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskFinalized(taskId, operator, REWARD);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.StakeUnlocked(operator, address(market), MIN_STAKE);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Credited(operator, address(market), REWARD);
        vm.prank(stranger);
        market.finalize(taskId);
        _assertStatus(taskId, TaskStatus.Finalized);
        assertEq(sm.creditOf(operator), REWARD);
        assertEq(sm.lockedOf(operator), 0);
        _assertBalanced(0);

        uint256 before = operator.balance;
        vm.prank(operator);
        sm.withdrawCredit();
        assertEq(operator.balance - before, REWARD);
    }

    function test_finalize_twice_reverts() public {
        uint256 taskId = _submitted();
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Finalized, TaskStatus.Submitted));
        market.finalize(taskId);
    }

    function test_finalize_notSubmitted_reverts() public {
        uint256 taskId = _claimed();
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Claimed, TaskStatus.Submitted));
        market.finalize(taskId);
    }

    function test_finalize_windowOpen_reverts() public {
        uint256 taskId = _submitted();
        uint256 endsAt = block.timestamp + WINDOW;
        vm.warp(endsAt);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChallengeWindowOpen.selector, endsAt));
        market.finalize(taskId);
    }

    function test_finalize_disputeOpen_reverts() public {
        uint256 taskId = _submitted();
        _open(taskId);
        vm.warp(block.timestamp + WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.DisputesOpen.selector, 1));
        market.finalize(taskId);
    }

    function test_finalize_afterOperatorWonDispute_succeeds() public {
        uint256 taskId = _submitted();
        _open(taskId);
        vm.warp(block.timestamp + WINDOW + 1);
        _resolve(taskId, true);
        market.finalize(taskId);
        _assertStatus(taskId, TaskStatus.Finalized);
        assertEq(sm.creditOf(operator), REWARD);
    }

    // ---------------------------------------------------------------- expire

    function test_expire_openTask_refunds() public {
        uint256 taskId = _post();
        vm.warp(deadline + 1);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskExpired(taskId, address(0), 0);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskRefunded(taskId, submitter, REWARD);
        vm.prank(stranger);
        market.expire(taskId);
        _assertStatus(taskId, TaskStatus.Refunded);
        assertEq(sm.creditOf(submitter), REWARD);
        _assertBalanced(0);
    }

    function test_expire_claimedTask_slashesUnlocksAndRefunds() public {
        uint256 taskId = _claimed();
        vm.warp(deadline + 1);
        uint256 slashed = MIN_STAKE * MISSED_DEADLINE_SLASH_BPS / 10_000;
        uint256 toSubmitter = slashed * SLASH_WINNER_BPS / 10_000;
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Slashed(
            operator, address(market), submitter, slashed, 0, 0, toSubmitter, slashed - toSubmitter
        );
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.StakeUnlocked(operator, address(market), MIN_STAKE - slashed);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskExpired(taskId, operator, slashed);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskRefunded(taskId, submitter, REWARD);
        vm.prank(stranger);
        market.expire(taskId);
        _assertStatus(taskId, TaskStatus.Refunded);
        assertEq(sm.lockedOf(operator), 0);
        assertEq(sm.bondedOf(operator), 20 ether - slashed);
        assertEq(sm.creditOf(submitter), REWARD + toSubmitter);
        assertEq(sm.burnPending(), slashed - toSubmitter);
        _assertBalanced(0);
    }

    // ---------------------------------------------------------------- evictClaim (claim squatting)

    /// @notice Finding 4: a squatter that claims and never submits no longer kills the task (expire
    ///         refunds, which is final): after CLAIM_TIMEOUT anyone evicts it, it is slashed as for a
    ///         missed deadline, and the task reopens for another operator.
    function test_evictClaim_afterClaimTimeout_slashesAndReopens() public {
        uint256 taskId = _claimed();
        uint256 timeoutAt = block.timestamp + CLAIM_TIMEOUT;
        vm.warp(timeoutAt + 1);
        uint256 slashed = MIN_STAKE * MISSED_DEADLINE_SLASH_BPS / 10_000;
        uint256 toSubmitter = slashed * SLASH_WINNER_BPS / 10_000;
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.Slashed(
            operator, address(market), submitter, slashed, 0, 0, toSubmitter, slashed - toSubmitter
        );
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.StakeUnlocked(operator, address(market), MIN_STAKE - slashed);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.ClaimEvicted(taskId, operator, slashed);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskReopened(taskId);
        vm.prank(stranger);
        market.evictClaim(taskId);

        _assertStatus(taskId, TaskStatus.Open);
        Task memory t = market.getTask(taskId);
        assertEq(t.operator, address(0));
        assertEq(t.claimedAt, 0);
        assertEq(t.reward, REWARD);
        assertEq(sm.lockedOf(operator), 0);
        assertEq(sm.bondedOf(operator), 20 ether - slashed);
        assertEq(sm.creditOf(submitter), toSubmitter);
        _assertBalanced(REWARD);

        vm.prank(operator2);
        market.claim(taskId);
        assertEq(market.getTask(taskId).operator, operator2);
    }

    function test_evictClaim_atClaimTimeout_reverts() public {
        uint256 taskId = _claimed();
        uint256 timeoutAt = block.timestamp + CLAIM_TIMEOUT;
        vm.warp(timeoutAt);
        vm.expectRevert(abi.encodeWithSelector(Errors.ClaimNotTimedOut.selector, timeoutAt, timeoutAt));
        market.evictClaim(taskId);
    }

    function test_evictClaim_afterDeadline_reverts() public {
        uint256 taskId = _claimed();
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.DeadlinePassed.selector, deadline, deadline + 1));
        market.evictClaim(taskId);
    }

    function test_evictClaim_openTask_reverts() public {
        uint256 taskId = _post();
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Open, TaskStatus.Claimed));
        market.evictClaim(taskId);
    }

    function test_evictClaim_submittedTask_reverts() public {
        uint256 taskId = _submitted();
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Submitted, TaskStatus.Claimed));
        market.evictClaim(taskId);
    }

    function test_evictClaim_alreadyEvicted_reverts() public {
        uint256 taskId = _claimed();
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        market.evictClaim(taskId);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Open, TaskStatus.Claimed));
        market.evictClaim(taskId);
    }

    /// @notice A result voided by a lost dispute, with another dispute still open, is not a claim.
    function test_evictClaim_voidedTask_reverts() public {
        uint256 taskId = _submitted();
        vm.startPrank(game);
        market.onDisputeOpened(taskId, address(0xC4A1));
        market.onDisputeOpened(taskId, address(0xC4A1));
        market.onDisputeResolved(taskId, false, true);
        vm.stopPrank();
        _assertStatus(taskId, TaskStatus.Voided);
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Voided, TaskStatus.Claimed));
        market.evictClaim(taskId);
    }

    /// @notice The timeout makes a claim evictable, not void: a late result that nobody evicted
    ///         still counts.
    function test_submitResult_afterClaimTimeoutNotEvicted_succeeds() public {
        uint256 taskId = _claimed();
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        vm.prank(operator);
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, MODEL);
        _assertStatus(taskId, TaskStatus.Submitted);
    }

    /// @notice Squatting a task until its deadline now costs a slash per CLAIM_TIMEOUT, not one.
    function test_evictClaim_repeatedSquatting_slashesEachTime() public {
        uint256 taskId = _post();
        uint256 slashed = MIN_STAKE * MISSED_DEADLINE_SLASH_BPS / 10_000;
        for (uint256 k = 1; k <= 2; k++) {
            vm.prank(operator);
            market.claim(taskId);
            vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
            market.evictClaim(taskId);
            assertEq(sm.bondedOf(operator), 20 ether - k * slashed);
        }
        _assertStatus(taskId, TaskStatus.Open);
    }

    // ---------------------------------------------------------------- submitterSlashShare

    /// @notice Each eviction books on the task exactly what its slash credited the submitter, so a
    ///         submitter pooling credit for others (`DilocoJobs`) can tell whose it is.
    function test_submitterSlashShare_evictions_bookWinnerShares() public {
        uint256 taskId = _post();
        uint256 toSubmitter = MIN_STAKE * MISSED_DEADLINE_SLASH_BPS / 10_000 * SLASH_WINNER_BPS / 10_000;
        for (uint256 k = 1; k <= 2; k++) {
            vm.prank(operator);
            market.claim(taskId);
            assertEq(market.submitterSlashShare(taskId), (k - 1) * toSubmitter, "nothing booked by a claim");
            vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
            market.evictClaim(taskId);
            assertEq(market.submitterSlashShare(taskId), k * toSubmitter, "one winner share per eviction");
        }
        assertEq(market.submitterSlashShare(taskId), sm.creditOf(submitter), "the submitter's whole credit");
    }

    /// @notice A claimed task's expiry books the slash's winner share; the refund is not part of it.
    function test_submitterSlashShare_expireClaimed_booksWinnerShare() public {
        uint256 taskId = _claimed();
        vm.warp(deadline + 1);
        market.expire(taskId);
        uint256 toSubmitter = MIN_STAKE * MISSED_DEADLINE_SLASH_BPS / 10_000 * SLASH_WINNER_BPS / 10_000;
        assertEq(market.submitterSlashShare(taskId), toSubmitter);
        assertEq(sm.creditOf(submitter), REWARD + toSubmitter, "the refund, plus the booked share");
    }

    /// @notice Without a missed deadline nothing is booked: an Open task's expiry, a finalised task.
    function test_submitterSlashShare_noSlash_isZero() public {
        uint256 expired = _post();
        uint256 paid = _submitted();
        assertEq(market.submitterSlashShare(expired), 0, "posted");
        assertEq(market.submitterSlashShare(paid), 0, "submitted");
        vm.warp(deadline + 1);
        market.expire(expired);
        market.finalize(paid);
        assertEq(market.submitterSlashShare(expired), 0, "expired while Open");
        assertEq(market.submitterSlashShare(paid), 0, "finalised");
        assertEq(market.submitterSlashShare(paid + 1), 0, "no such task");
    }

    /// @notice Finding 4: with a zero missed-deadline slash an eviction costs a squatter nothing, so
    ///         it could hold a task from claim timeout to claim timeout until its deadline for free.
    function test_constructor_zeroMissedDeadlineSlash_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.MissedDeadlineSlashTooLow.selector, 0, 500));
        new TaskMarket(sm, 1, 1, 0, 1, 1, 1 days);
    }

    function test_constructor_missedDeadlineSlashJustBelowFloor_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.MissedDeadlineSlashTooLow.selector, 499, 500));
        new TaskMarket(sm, 1, 1, 499, 1, 1, 1 days);
    }

    function test_constructor_missedDeadlineSlashAtFloor_succeeds() public {
        TaskMarket fresh = new TaskMarket(sm, 1, 1, 500, 1, 1, 1 days);
        assertEq(fresh.MISSED_DEADLINE_SLASH_BPS(), fresh.MIN_MISSED_DEADLINE_SLASH_BPS());
    }

    /// @notice At the floor, each eviction of a squatter slashes 5% of the task's stake.
    function test_evictClaim_atTheFloor_slashesFivePercent() public {
        StakeManager freshSm = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        TaskMarket fresh = new TaskMarket(
            freshSm, MAX_CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 500, MIN_CHALLENGE_WINDOW, MIN_TASK_STAKE, CLAIM_TIMEOUT
        );
        freshSm.setSlashers(address(fresh), address(0));
        vm.prank(operator);
        freshSm.stake{value: MIN_STAKE}();
        vm.prank(submitter);
        uint256 taskId = fresh.postTask{value: REWARD}(_params(deadline));
        vm.prank(operator);
        fresh.claim(taskId);
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        uint256 slashed = MIN_STAKE * 500 / 10_000;
        vm.expectEmit(true, true, true, true, address(fresh));
        emit TaskMarket.ClaimEvicted(taskId, operator, slashed);
        fresh.evictClaim(taskId);
        assertEq(slashed, 0.25 ether);
        assertEq(freshSm.lockedOf(operator), 0);
        assertEq(freshSm.bondedOf(operator), MIN_STAKE - slashed);
        assertEq(freshSm.creditOf(submitter), slashed * SLASH_WINNER_BPS / 10_000);
    }

    function test_expire_fullSlash_leavesNothingLocked() public {
        StakeManager freshSm = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        TaskMarket fresh = new TaskMarket(
            freshSm,
            MAX_CHALLENGE_WINDOW,
            MAX_DISPUTE_DURATION,
            10_000,
            MIN_CHALLENGE_WINDOW,
            MIN_TASK_STAKE,
            CLAIM_TIMEOUT
        );
        freshSm.setSlashers(address(fresh), address(0));
        vm.prank(operator);
        freshSm.stake{value: MIN_STAKE}();
        vm.prank(submitter);
        uint256 taskId = fresh.postTask{value: REWARD}(_params(deadline));
        vm.prank(operator);
        fresh.claim(taskId);
        vm.warp(deadline + 1);
        fresh.expire(taskId);
        assertEq(freshSm.lockedOf(operator), 0);
        assertEq(freshSm.bondedOf(operator), 0);
    }

    function test_expire_beforeDeadline_reverts() public {
        uint256 taskId = _claimed();
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(Errors.DeadlineNotPassed.selector, deadline, deadline));
        market.expire(taskId);
    }

    function test_expire_submittedTask_reverts() public {
        uint256 taskId = _submitted();
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotExpirable.selector, taskId, TaskStatus.Submitted));
        market.expire(taskId);
    }

    function test_expire_twice_reverts() public {
        uint256 taskId = _post();
        vm.warp(deadline + 1);
        market.expire(taskId);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotExpirable.selector, taskId, TaskStatus.Refunded));
        market.expire(taskId);
    }

    function testFuzz_expire_slashSplitsAndRefunds(uint96 minStake, uint16 bps) public {
        vm.assume(minStake > 0);
        uint16 slashBps = uint16(bound(bps, 500, 10_000));
        StakeManager freshSm = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        // a 1-wei floor, so that the fuzzer reaches the rounding of tiny stakes
        TaskMarket fresh = new TaskMarket(
            freshSm, MAX_CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, slashBps, MIN_CHALLENGE_WINDOW, 1, CLAIM_TIMEOUT
        );
        freshSm.setSlashers(address(fresh), address(0));
        vm.deal(operator, minStake);
        vm.prank(operator);
        freshSm.stake{value: minStake}();
        TaskParams memory p = _params(deadline);
        p.minStake = minStake;
        vm.prank(submitter);
        uint256 taskId = fresh.postTask{value: REWARD}(p);
        vm.prank(operator);
        fresh.claim(taskId);
        vm.warp(deadline + 1);
        fresh.expire(taskId);

        uint256 slashed = uint256(minStake) * slashBps / 10_000;
        uint256 toSubmitter = slashed * SLASH_WINNER_BPS / 10_000;
        assertEq(freshSm.bondedOf(operator), uint256(minStake) - slashed, "bonded");
        assertEq(freshSm.lockedOf(operator), 0, "locked");
        assertEq(freshSm.creditOf(submitter), REWARD + toSubmitter, "submitter credit");
        assertEq(address(fresh).balance, 0, "escrow");
        assertEq(
            address(freshSm).balance,
            freshSm.totalBonded() + freshSm.totalUnbonding() + freshSm.totalCredits() + freshSm.burnPending(),
            "stake manager"
        );
    }

    // ---------------------------------------------------------------- dispute hooks

    function test_onDisputeOpened_emitsAndCounts() public {
        uint256 taskId = _submitted();
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskDisputed(taskId, operator, 1);
        _open(taskId);
        vm.warp(block.timestamp + WINDOW);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskDisputed(taskId, operator, 2);
        _open(taskId);
        assertEq(market.getTask(taskId).openDisputes, 2);
    }

    function test_onDisputeOpened_notDisputeGame_reverts() public {
        uint256 taskId = _submitted();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotDisputeGame.selector, stranger));
        market.onDisputeOpened(taskId, address(0xC4A1));
    }

    function test_onDisputeOpened_gameUnset_reverts() public {
        TaskMarket fresh = new TaskMarket(sm, 1, 1, 500, 1, 1, 1 days);
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotDisputeGame.selector, game));
        fresh.onDisputeOpened(1, address(0xC4A1));
    }

    function test_onDisputeOpened_notSubmitted_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(game);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Claimed, TaskStatus.Submitted));
        market.onDisputeOpened(taskId, address(0xC4A1));
    }

    function test_onDisputeOpened_windowClosed_reverts() public {
        uint256 taskId = _submitted();
        uint256 endsAt = block.timestamp + WINDOW;
        vm.warp(endsAt + 1);
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChallengeWindowClosed.selector, endsAt));
        market.onDisputeOpened(taskId, address(0xC4A1));
    }

    function test_onDisputeResolved_operatorWon_onlyCounts() public {
        uint256 taskId = _submitted();
        _open(taskId);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskDisputeResolved(taskId, operator, true, 0);
        _resolve(taskId, true);
        _assertStatus(taskId, TaskStatus.Submitted);
        assertEq(sm.lockedBy(operator, address(market)), MIN_STAKE);
    }

    function test_onDisputeResolved_notDisputeGame_reverts() public {
        uint256 taskId = _submitted();
        _open(taskId);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotDisputeGame.selector, stranger));
        market.onDisputeResolved(taskId, false, true);
    }

    function test_onDisputeResolved_noOpenDispute_reverts() public {
        uint256 taskId = _submitted();
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.NoOpenDispute.selector, taskId));
        market.onDisputeResolved(taskId, false, true);
    }

    function test_onDisputeResolved_wrongStatus_reverts() public {
        uint256 taskId = _submitted();
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
        vm.prank(game);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Finalized, TaskStatus.Submitted));
        market.onDisputeResolved(taskId, false, true);
    }

    function test_onDisputeResolved_operatorLost_reopensBeforeDeadline() public {
        uint256 taskId = _submitted();
        _open(taskId);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskDisputeResolved(taskId, operator, false, 0);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskVoided(taskId, operator, MIN_STAKE);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskStakeReleased(taskId, operator, MIN_STAKE);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskReopened(taskId);
        vm.expectEmit(true, true, true, true, address(sm));
        emit StakeManager.StakeUnlocked(operator, address(market), MIN_STAKE);
        _resolve(taskId, false);

        Task memory t = market.getTask(taskId);
        assertEq(uint256(t.status), uint256(TaskStatus.Open));
        assertEq(t.operator, address(0));
        assertEq(t.traceRoot, bytes32(0));
        assertEq(t.modelHash, bytes32(0));
        assertEq(t.finalStateRoot, bytes32(0));
        assertEq(t.submittedAt, 0);
        assertEq(market.challengeEndsAt(taskId), 0);
        assertEq(sm.lockedOf(operator), 0);
        _assertBalanced(REWARD);

        vm.prank(operator2);
        market.claim(taskId);
        (,,,,,, address newOperator) = market.taskRoots(taskId);
        assertEq(newOperator, operator2);
    }

    function test_onDisputeResolved_operatorLostAfterDeadline_refunds() public {
        uint256 taskId = _submitted();
        _open(taskId);
        vm.warp(deadline);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskRefunded(taskId, submitter, REWARD);
        _resolve(taskId, false);
        _assertStatus(taskId, TaskStatus.Refunded);
        assertEq(sm.creditOf(submitter), REWARD);
        assertEq(sm.lockedOf(operator), 0);
        _assertBalanced(0);
    }

    function test_onDisputeResolved_lostWithOthersOpen_waitsThenReopens() public {
        uint256 taskId = _submitted();
        _open(taskId);
        _open(taskId);
        _open(taskId);
        _resolve(taskId, false);
        _assertStatus(taskId, TaskStatus.Voided);
        assertEq(sm.lockedOf(operator), 0);

        vm.prank(game);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Voided, TaskStatus.Submitted));
        market.onDisputeOpened(taskId, address(0xC4A1));
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Voided, TaskStatus.Submitted));
        market.finalize(taskId);

        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskDisputeResolved(taskId, operator, false, 1);
        _resolve(taskId, false);
        _assertStatus(taskId, TaskStatus.Voided);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskReopened(taskId);
        _resolve(taskId, true);
        _assertStatus(taskId, TaskStatus.Open);

        vm.prank(game);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Open, TaskStatus.Submitted));
        market.onDisputeResolved(taskId, false, true);
    }

    function test_onDisputeResolved_lostWithOthersOpen_refundsIfDeadlinePassedMeanwhile() public {
        uint256 taskId = _submitted();
        _open(taskId);
        _open(taskId);
        _resolve(taskId, false);
        vm.warp(deadline + 1 days);
        _resolve(taskId, true);
        _assertStatus(taskId, TaskStatus.Refunded);
        assertEq(sm.creditOf(submitter), REWARD);
        _assertBalanced(0);
    }

    /// @notice A game still holds the task stake as its collateral at the void: the market keeps it
    ///         locked until that game ends, then releases it exactly once.
    function test_onDisputeResolved_voidWhileAGameHoldsTheTaskStake_releasesItWhenThatGameEnds() public {
        uint256 taskId = _submitted();
        _open(taskId);
        _open(taskId);
        _open(taskId);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskVoided(taskId, operator, 0);
        _resolve(taskId, false, false);
        _assertStatus(taskId, TaskStatus.Voided);
        assertEq(sm.lockedBy(operator, address(market)), MIN_STAKE, "kept for the game that holds it");
        assertTrue(market.holdsTaskStake(taskId));

        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskStakeReleased(taskId, operator, MIN_STAKE);
        _resolve(taskId, true, true);
        assertEq(sm.lockedBy(operator, address(market)), 0, "released when that game ended");
        assertFalse(market.holdsTaskStake(taskId));
        _assertStatus(taskId, TaskStatus.Voided);

        // a later game that reports the stake free releases nothing twice
        _resolve(taskId, false, true);
        _assertStatus(taskId, TaskStatus.Open);
        assertEq(sm.lockedOf(operator), 0);
        _assertBalanced(REWARD);
    }

    function test_holdsTaskStake_followsTheTaskStake() public {
        uint256 taskId = _post();
        assertFalse(market.holdsTaskStake(taskId));
        vm.prank(operator);
        market.claim(taskId);
        assertTrue(market.holdsTaskStake(taskId));
        vm.prank(operator);
        market.submitResult(taskId, run.traceRoot, run.finalStateRoot, run.finalStateProof, MODEL);
        assertTrue(market.holdsTaskStake(taskId));
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
        assertFalse(market.holdsTaskStake(taskId));
    }

    function test_onDisputeWithdrawn_countsDown() public {
        uint256 taskId = _submitted();
        _open(taskId);
        _open(taskId);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskDisputeWithdrawn(taskId, operator, 1);
        _withdraw(taskId);
        assertEq(market.getTask(taskId).openDisputes, 1);
        _assertStatus(taskId, TaskStatus.Submitted);
        assertEq(sm.lockedBy(operator, address(market)), MIN_STAKE);
    }

    function test_onDisputeWithdrawn_lastOnVoidedResult_reopens() public {
        uint256 taskId = _submitted();
        _open(taskId);
        _open(taskId);
        _resolve(taskId, false);
        _assertStatus(taskId, TaskStatus.Voided);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskReopened(taskId);
        _withdraw(taskId);
        _assertStatus(taskId, TaskStatus.Open);
        _assertBalanced(REWARD);
    }

    function test_onDisputeWithdrawn_lastOnVoidedResultAfterDeadline_refunds() public {
        uint256 taskId = _submitted();
        _open(taskId);
        _open(taskId);
        _resolve(taskId, false);
        vm.warp(deadline + 1);
        _withdraw(taskId);
        _assertStatus(taskId, TaskStatus.Refunded);
        assertEq(sm.creditOf(submitter), REWARD);
        _assertBalanced(0);
    }

    function test_onDisputeWithdrawn_notDisputeGame_reverts() public {
        uint256 taskId = _submitted();
        _open(taskId);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotDisputeGame.selector, stranger));
        market.onDisputeWithdrawn(taskId);
    }

    function test_onDisputeWithdrawn_noOpenDispute_reverts() public {
        uint256 taskId = _submitted();
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.NoOpenDispute.selector, taskId));
        market.onDisputeWithdrawn(taskId);
    }

    function test_onDisputeWithdrawn_wrongStatus_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(game);
        vm.expectRevert(_wrongStatus(taskId, TaskStatus.Claimed, TaskStatus.Submitted));
        market.onDisputeWithdrawn(taskId);
    }

    function test_reopenedTask_canBeFinalizedByNewOperator() public {
        uint256 taskId = _submitted();
        _open(taskId);
        _resolve(taskId, false);
        vm.prank(operator2);
        market.claim(taskId);
        vm.prank(operator2);
        TraceResult memory honest = Traces.result(_params(0).steps, "honest trace");
        market.submitResult(taskId, honest.traceRoot, honest.finalStateRoot, honest.finalStateProof, MODEL);
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
        assertEq(sm.creditOf(operator2), REWARD);
        assertEq(sm.creditOf(operator), 0);
        assertEq(sm.lockedOf(operator2), 0);
        _assertBalanced(0);
    }

    // ---------------------------------------------------------------- views

    function test_taskRoots_returnsWhatTheGameNeeds() public {
        uint256 taskId = _submitted();
        (bytes32 dataset, bytes32 init, bytes32 graph, bytes32 trace, bytes32 finalState, uint32 steps, address op) =
            market.taskRoots(taskId);
        TaskParams memory p = _params(deadline);
        assertEq(dataset, p.datasetRoot);
        assertEq(init, p.initStateRoot);
        assertEq(graph, p.graphRoot);
        assertEq(trace, run.traceRoot);
        assertEq(finalState, run.finalStateRoot);
        assertEq(steps, p.steps);
        assertEq(op, operator);
    }

    function test_getTask_unknownId_isEmpty() public view {
        Task memory t = market.getTask(42);
        assertEq(uint256(t.status), uint256(TaskStatus.None));
        assertEq(t.submitter, address(0));
    }
}
