// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CheatBase} from "../utils/CheatBase.sol";
import {StakeManager} from "../../src/StakeManager.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {Task, TaskParams, TaskStatus} from "../../src/Task.sol";
import {TraceResult, Traces} from "../utils/Traces.sol";

/// @notice Drives a few actors through every StakeManager and TaskMarket entry point, plus a fake
///         dispute game that opens and resolves disputes, locks challenger bonds and slashes losers.
///         Reverts the protocol is meant to produce are caught here, so any other revert fails the
///         campaign; ghost variables record what must never happen.
contract MarketHandler is CheatBase {
    uint256 internal constant ACTORS = 4;

    StakeManager public immutable sm;
    TaskMarket public immutable market;
    address public immutable game;

    address[] public actors;
    uint256[] public taskIds;

    struct Dispute {
        uint256 taskId;
        address operator;
        address challenger;
        uint256 bond;
        bool open;
    }

    Dispute[] public disputes;

    // ---- ghosts
    /// @notice ETH that entered the system (stakes, rewards).
    uint256 public ghostEthIn;
    /// @notice ETH paid out to stakers and credit owners (burns are read from BURN_ADDRESS).
    uint256 public ghostEthOut;
    /// @notice When each actor's unbonding entry may leave, per the handler's own bookkeeping.
    mapping(address => uint256) public ghostReadyAt;
    /// @notice Upper bound of what each actor's unbonding entry may pay (slashes only shrink it).
    mapping(address => uint256) public ghostUnbondingCap;
    /// @notice Stake the fake game holds locked per actor (challenger bonds).
    mapping(address => uint256) public ghostGameLocked;
    /// @notice Set if stake left before its delay or more stake left than was unbonded.
    bool public ghostEarlyExit;
    /// @notice Set if an unbond request took more than the free (unlocked) stake.
    bool public ghostLockedStakeUnbonded;
    /// @notice Set if a slash of stake the game had just locked took anything but exactly that lock.
    bool public ghostSlashMissedLock;
    /// @notice Successful evictions (so a campaign can show it reached them).
    uint256 public ghostEvictions;
    /// @notice Set if an eviction moved escrow, released other than the task's lock, or slashed
    ///         other than MISSED_DEADLINE_SLASH_BPS of minStake into credit + burn.
    bool public ghostEvictionLeaked;
    /// @notice Voided tasks whose task stake the fake game still holds as a game's collateral.
    mapping(uint256 taskId => bool) public ghostStakeHeldByGame;
    /// @notice Disputes withdrawn before they ran (so a campaign can show it reached them).
    uint256 public ghostWithdrawals;

    constructor(StakeManager sm_, TaskMarket market_, address game_) {
        sm = sm_;
        market = market_;
        game = game_;
        for (uint256 i = 0; i < ACTORS; i++) {
            actors.push(makeAddr(string.concat("actor", vm.toString(i))));
        }
    }

    // ---------------------------------------------------------------- views for the invariants

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    /// @notice Rewards of tasks not yet paid out (Open, Claimed, Submitted, Voided).
    function liveEscrow() external view returns (uint256 escrow) {
        for (uint256 i = 0; i < taskIds.length; i++) {
            Task memory t = market.getTask(taskIds[i]);
            if (_isLive(t.status)) escrow += t.reward;
        }
    }

    /// @notice What the market should hold locked on `operator`: minStake of its Claimed/Submitted
    ///         tasks and of its Voided tasks whose task stake a (fake) game still holds.
    function expectedMarketLock(address operator) external view returns (uint256 locked) {
        for (uint256 i = 0; i < taskIds.length; i++) {
            Task memory t = market.getTask(taskIds[i]);
            if (t.operator != operator) continue;
            if (
                t.status == TaskStatus.Claimed || t.status == TaskStatus.Submitted
                    || (t.status == TaskStatus.Voided && ghostStakeHeldByGame[taskIds[i]])
            ) locked += t.minStake;
        }
    }

    /// @notice Whether the market should hold `taskId`'s task stake locked.
    function expectedHoldsTaskStake(uint256 taskId) external view returns (bool) {
        TaskStatus status = market.taskStatus(taskId);
        return status == TaskStatus.Claimed || status == TaskStatus.Submitted
            || (status == TaskStatus.Voided && ghostStakeHeldByGame[taskId]);
    }

    /// @notice Disputes the fake game still has open on `taskId`.
    function openDisputesOn(uint256 taskId) external view returns (uint32 open) {
        for (uint256 i = 0; i < disputes.length; i++) {
            if (disputes[i].open && disputes[i].taskId == taskId) open++;
        }
    }

    // ---------------------------------------------------------------- stakers

    function stake(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        amount = bound(amount, 1, 50 ether);
        vm.deal(a, a.balance + amount);
        ghostEthIn += amount;
        vm.prank(a);
        sm.stake{value: amount}();
    }

    function requestUnbond(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        uint256 free = sm.freeOf(a);
        amount = bound(amount, 1, free + 1 ether);
        vm.prank(a);
        try sm.requestUnbond(amount) {
            if (amount > free) ghostLockedStakeUnbonded = true;
            ghostReadyAt[a] = block.timestamp + sm.UNBONDING_DELAY();
            ghostUnbondingCap[a] += amount;
        } catch {}
    }

    function cancelUnbond(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        vm.prank(a);
        try sm.cancelUnbond() {
            ghostReadyAt[a] = 0;
            ghostUnbondingCap[a] = 0;
        } catch {}
    }

    function withdraw(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        uint256 before = a.balance;
        vm.prank(a);
        try sm.withdraw() {
            uint256 received = a.balance - before;
            // INVARIANT: stake leaves only after its delay, and never more than was unbonded.
            if (ghostReadyAt[a] == 0 || block.timestamp < ghostReadyAt[a]) ghostEarlyExit = true;
            if (received > ghostUnbondingCap[a]) ghostEarlyExit = true;
            ghostEthOut += received;
            ghostReadyAt[a] = 0;
            ghostUnbondingCap[a] = 0;
        } catch {}
    }

    function withdrawCredit(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        uint256 before = a.balance;
        vm.prank(a);
        try sm.withdrawCredit() {
            ghostEthOut += a.balance - before;
        } catch {}
    }

    /// @notice Anyone sends the burned ETH the StakeManager holds to the burn address (if any); the
    ///         ETH leaves the system (the invariant reads it from BURN_ADDRESS).
    function flushBurned() external {
        if (sm.burnPending() == 0) return;
        sm.flushBurned();
    }

    // ---------------------------------------------------------------- market

    function postTask(uint256 actorSeed, uint256 reward, uint256 minStake, uint256 deadlineIn, uint256 window)
        external
    {
        if (taskIds.length >= 64) return;
        address a = _actor(actorSeed);
        reward = bound(reward, 1, 20 ether);
        TaskParams memory p = TaskParams({
            specHash: keccak256(abi.encode("spec", taskIds.length)),
            specURI: "artifact://spec",
            datasetRoot: keccak256("dataset"),
            initStateRoot: keccak256("h0"),
            graphRoot: keccak256("graph"),
            steps: 64,
            checkpointEvery: 8,
            minStake: bound(minStake, market.MIN_TASK_STAKE(), 10 ether),
            deadline: uint64(block.timestamp + bound(deadlineIn, 1 hours, 1 days)),
            challengeWindow: uint64(bound(window, market.MIN_CHALLENGE_WINDOW(), market.MAX_CHALLENGE_WINDOW()))
        });
        vm.deal(a, a.balance + reward);
        ghostEthIn += reward;
        vm.prank(a);
        taskIds.push(market.postTask{value: reward}(p));
    }

    function cancel(uint256 taskSeed) external {
        (uint256 taskId, Task memory t) = _taskIn(taskSeed, TaskStatus.Open);
        if (taskId == 0) return;
        vm.prank(t.submitter);
        try market.cancel(taskId) {} catch {}
    }

    /// @notice Claims as an actor other than the submitter, topping its stake up to minStake first
    ///         (most random actors would be short, and the interesting states lie past the claim).
    function claim(uint256 taskSeed, uint256 actorSeed) external {
        (uint256 taskId, Task memory t) = _taskIn(taskSeed, TaskStatus.Open);
        if (taskId == 0) return;
        address a = _actor(actorSeed);
        if (a == t.submitter) a = _actor(actorSeed % ACTORS + 1);
        uint256 free = sm.freeOf(a);
        if (t.status == TaskStatus.Open && free < t.minStake) {
            uint256 topUp = t.minStake - free;
            vm.deal(a, a.balance + topUp);
            ghostEthIn += topUp;
            vm.prank(a);
            sm.stake{value: topUp}();
        }
        vm.prank(a);
        try market.claim(taskId) {} catch {}
    }

    /// @notice Submits a made-up trace of `traceSeed` with its h_S (and the proof the market checks).
    function submitResult(uint256 taskSeed, bytes32 traceSeed) external {
        (uint256 taskId, Task memory t) = _taskIn(taskSeed, TaskStatus.Claimed);
        if (taskId == 0) return;
        TraceResult memory r = Traces.result(t.steps, traceSeed);
        vm.prank(t.operator);
        try market.submitResult(taskId, r.traceRoot, r.finalStateRoot, r.finalStateProof, keccak256("model")) {}
            catch {}
    }

    function finalize(uint256 taskSeed) external {
        (uint256 taskId,) = _taskIn(taskSeed, TaskStatus.Submitted);
        if (taskId == 0) return;
        try market.finalize(taskId) {} catch {}
    }

    function expire(uint256 taskSeed) external {
        (uint256 taskId,) = _taskIn(taskSeed, taskSeed % 2 == 0 ? TaskStatus.Open : TaskStatus.Claimed);
        if (taskId == 0) return;
        try market.expire(taskId) {} catch {}
    }

    /// @notice Evicts a claim that timed out (reverts, ignored, before the timeout or after the deadline).
    ///         A success must keep the reward in escrow, release exactly the task's lock, and take
    ///         from the operator's bonded stake exactly what the submitter is credited plus the burn.
    function evictClaim(uint256 taskSeed) external {
        (uint256 taskId, Task memory t) = _taskIn(taskSeed, TaskStatus.Claimed);
        if (taskId == 0) return;
        uint256 escrowBefore = address(market).balance;
        uint256 lockBefore = sm.lockedBy(t.operator, address(market));
        uint256 bondedBefore = sm.bondedOf(t.operator);
        uint256 creditBefore = sm.creditOf(t.submitter);
        uint256 burnedBefore = sm.totalBurned();
        try market.evictClaim(taskId) {
            ghostEvictions++;
            uint256 taken = bondedBefore - sm.bondedOf(t.operator);
            uint256 paid = sm.creditOf(t.submitter) - creditBefore + sm.totalBurned() - burnedBefore;
            if (
                address(market).balance != escrowBefore || market.getTask(taskId).reward != t.reward
                    || sm.lockedBy(t.operator, address(market)) != lockBefore - t.minStake || taken != paid
                    || taken != t.minStake * market.MISSED_DEADLINE_SLASH_BPS() / market.BPS_DENOMINATOR()
            ) ghostEvictionLeaked = true;
        } catch {}
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 8 hours));
    }

    // ---------------------------------------------------------------- fake dispute game

    /// @notice The game opens a dispute; the challenger's bond is locked from its free stake if it has one.
    function openDispute(uint256 taskSeed, uint256 challengerSeed, uint256 bond) external {
        (uint256 taskId, Task memory t) = _taskIn(taskSeed, TaskStatus.Submitted);
        if (taskId == 0) return;
        address challenger = _actor(challengerSeed);
        if (challenger == t.operator) return;
        vm.prank(game);
        try market.onDisputeOpened(taskId, challenger) {
            bond = bound(bond, 0, sm.freeOf(challenger));
            if (bond > 0) {
                vm.prank(game);
                sm.lock(challenger, bond);
                ghostGameLocked[challenger] += bond;
            }
            disputes.push(Dispute(taskId, t.operator, challenger, bond, true));
        } catch {}
    }

    /// @notice The game resolves a dispute. Operator lost: hook first (the market releases the task's
    ///         lock if no game holds it), then slash the operator, then release the challenger's bond.
    ///         Operator won: hook, then slash the challenger's bond with the operator as winner.
    ///         `holdsStake`: whether another game still holds the task stake afterwards (never for the
    ///         last open dispute: a real game's last game always frees it).
    function resolveDispute(uint256 disputeSeed, bool operatorWon, uint256 slashAmount, bool holdsStake) external {
        (bool found, uint256 index) = _openDispute(disputeSeed);
        if (!found) return;
        Dispute storage d = disputes[index];
        d.open = false;
        Task memory t = market.getTask(d.taskId);
        bool taskStakeFree = !holdsStake || t.openDisputes == 1;
        if (t.status == TaskStatus.Submitted && !operatorWon && !taskStakeFree) ghostStakeHeldByGame[d.taskId] = true;
        if (t.status == TaskStatus.Voided && taskStakeFree) ghostStakeHeldByGame[d.taskId] = false;
        vm.startPrank(game);
        market.onDisputeResolved(d.taskId, operatorWon, taskStakeFree);
        if (!operatorWon) {
            // The hook released the operator's task lock; lock what is about to be slashed so the
            // slash consumes exactly that lock and none of the operator's own bonds held by the game.
            slashAmount = bound(slashAmount, 0, sm.freeOf(d.operator));
            if (slashAmount > 0) {
                uint256 bondsHeld = sm.lockedBy(d.operator, game);
                sm.lock(d.operator, slashAmount);
                uint256 slashed = sm.slash(d.operator, slashAmount, d.challenger);
                if (slashed != slashAmount || sm.lockedBy(d.operator, game) != bondsHeld) ghostSlashMissedLock = true;
            }
            if (d.bond > 0) sm.unlock(d.challenger, d.bond);
        } else if (d.bond > 0) {
            uint256 slashed = sm.slash(d.challenger, d.bond, d.operator);
            // The game's own lock covers the bond, so the whole slash comes out of it.
            if (slashed != d.bond) ghostSlashMissedLock = true;
        }
        vm.stopPrank();
        ghostGameLocked[d.challenger] -= d.bond;
    }

    /// @notice The game closes a queued dispute before it ran (withdrawn, or moot after a void): the
    ///         market counts one dispute fewer, and the challenger's bond is released in full.
    function withdrawDispute(uint256 disputeSeed) external {
        (bool found, uint256 index) = _openDispute(disputeSeed);
        if (!found) return;
        Dispute storage d = disputes[index];
        // A queued game never holds the task stake, so the last open dispute is never one.
        if (ghostStakeHeldByGame[d.taskId] && market.getTask(d.taskId).openDisputes == 1) return;
        d.open = false;
        vm.startPrank(game);
        market.onDisputeWithdrawn(d.taskId);
        if (d.bond > 0) sm.unlock(d.challenger, d.bond);
        vm.stopPrank();
        ghostGameLocked[d.challenger] -= d.bond;
        ghostWithdrawals++;
    }

    // ---------------------------------------------------------------- internals

    /// @dev An open dispute, searching from a random start.
    function _openDispute(uint256 seed) internal view returns (bool found, uint256 index) {
        uint256 n = disputes.length;
        if (n == 0) return (false, 0);
        index = seed % n;
        for (uint256 i = 0; i < n; i++) {
            if (disputes[index].open) return (true, index);
            index = (index + 1) % n;
        }
        return (false, 0);
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    /// @dev A task in `wanted` status, searching from a random start (any task if none is); the
    ///      bias keeps the campaign moving tasks forward instead of poking finished ones.
    function _taskIn(uint256 seed, TaskStatus wanted) internal view returns (uint256 taskId, Task memory t) {
        uint256 n = taskIds.length;
        if (n == 0) return (0, t);
        for (uint256 i = 0; i < n; i++) {
            taskId = taskIds[(seed % n + i) % n];
            t = market.getTask(taskId);
            if (t.status == wanted) return (taskId, t);
        }
        taskId = taskIds[seed % n];
        t = market.getTask(taskId);
    }

    function _isLive(TaskStatus status) internal pure returns (bool) {
        return status == TaskStatus.Open || status == TaskStatus.Claimed || status == TaskStatus.Submitted
            || status == TaskStatus.Voided;
    }
}
