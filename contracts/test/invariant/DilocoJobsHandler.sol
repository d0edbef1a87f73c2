// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CheatBase} from "../utils/CheatBase.sol";
import {Vm} from "../utils/Vm.sol";
import {TraceResult, Traces} from "../utils/Traces.sol";
import {DilocoJobs, JobParams, JobStatus, JobView, Wiring} from "../../src/DilocoJobs.sol";
import {StakeManager} from "../../src/StakeManager.sol";
import {Task, TaskStatus} from "../../src/Task.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";

/// @notice Drives DiLoCo jobs through the real market: submitters post jobs of random shape, operators
///         claim and submit true results (or claim and vanish), time passes, anyone finalises,
///         evicts, expires, records, opens outer steps, abandons and withdraws. Every call checks its
///         own preconditions, so the campaign runs with fail-on-revert: any revert is a bug. Ghosts
///         keep the slash shares the market credits the job contract as submitter (by the slash
///         formula, apart from the market's books) and the shares the job contract credited on.
contract DilocoJobsHandler is CheatBase {
    uint16 internal constant G = 3;
    uint16 internal constant T = 2;
    uint32 internal constant SEGMENT_NODES = 5;
    uint32 internal constant OUTER_NODES = 4;
    uint16 internal constant OUTER_INDEX = type(uint16).max;
    uint256 internal constant MIN_STAKE = 1 ether;
    uint64 internal constant TASK_TIMEOUT = 36 hours;

    DilocoJobs public immutable jobs;
    TaskMarket public immutable market;
    StakeManager public immutable sm;
    uint64 public immutable window;

    address[] public submitters;
    address[] public operators;
    /// @dev Round 0's global roots of each job (the contract keeps only their root).
    mapping(uint256 jobId => bytes32[]) internal initialGlobals;

    /// @notice Wei the market credited the job contract as the winner of missed-deadline slashes.
    uint256 public ghostSlashShares;
    /// @notice Wei of slash shares the job contract credited to each job's submitter (`SlashShareCredited`).
    mapping(uint256 jobId => uint256) public ghostCreditedShares;
    /// @notice How many times each task's slash shares were credited (at most once).
    mapping(uint256 taskId => uint256) public ghostShareCredits;
    /// @notice Operators evicted (so a campaign can show it reached evictions).
    uint256 public ghostEvicted;
    /// @notice Wei every job took at posting.
    uint256 public ghostPosted;
    /// @notice Wei submitters withdrew.
    uint256 public ghostWithdrawn;
    /// @notice Jobs that completed, failed (so a campaign can show it reached both).
    uint256 public ghostCompleted;
    uint256 public ghostFailed;
    /// @notice Jobs abandoned because they stalled (every current task final, none refunded).
    uint256 public ghostStalled;

    constructor(DilocoJobs jobs_, uint64 window_) {
        jobs = jobs_;
        market = jobs_.MARKET();
        sm = jobs_.STAKE_MANAGER();
        window = window_;
        for (uint256 i = 0; i < 3; i++) {
            address s = makeAddr(string.concat("submitter", vm.toString(i)));
            vm.deal(s, 1_000_000 ether);
            submitters.push(s);
            address o = makeAddr(string.concat("operator", vm.toString(i)));
            vm.deal(o, 100_000 ether);
            vm.prank(o);
            sm.stake{value: 100_000 ether}();
            operators.push(o);
        }
    }

    function submitterCount() external view returns (uint256) {
        return submitters.length;
    }

    // ---------------------------------------------------------------- actions

    function postJob(uint256 seed) external {
        JobParams memory p;
        p.specHash = keccak256(abi.encode("job", seed));
        p.specURI = "artifact://diloco/fuzz";
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..3
        p.rounds = uint16(bound(seed, 1, 3));
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..3
        p.shards = uint16(bound(seed >> 8, 1, 3));
        p.innerSteps = 3;
        p.checkpointEvery = 1;
        p.shardReward = bound(seed >> 16, 1, 5 ether);
        p.outerReward = bound(seed >> 80, 1, 5 ether);
        p.minStake = MIN_STAKE;
        p.taskTimeout = TASK_TIMEOUT;
        p.challengeWindow = window;
        p.outerGraphRoot = keccak256("outer graph");
        p.outerDatasetRoot = keccak256("outer dataset");
        p.shardDatasetRoots = new bytes32[](p.shards);
        for (uint256 i = 0; i < p.shards; i++) {
            p.shardDatasetRoots[i] = keccak256(abi.encode("rows", i));
        }
        p.segmentGraphRoots = new bytes32[](uint256(p.rounds) * p.shards);
        for (uint256 s = 0; s < p.segmentGraphRoots.length; s++) {
            p.segmentGraphRoots[s] = keccak256(abi.encode("graph", s));
        }
        uint256 value = uint256(p.rounds) * (uint256(p.shards) * p.shardReward + p.outerReward);
        bytes32[] memory global = new bytes32[](G);
        for (uint256 g = 0; g < G; g++) {
            global[g] = keccak256(abi.encode("global", seed, g));
        }
        address s = submitters[seed % submitters.length];
        ghostPosted += value;
        vm.prank(s);
        uint256 jobId = jobs.postJob{value: value}(p, _wiring(), global);
        initialGlobals[jobId] = global;
    }

    /// @notice An operator claims a current Open task and submits its true result.
    function work(uint256 seed) external {
        (bool found, uint256 jobId, uint16 round, uint16 index, uint256 taskId) = _currentTask(seed, TaskStatus.Open);
        if (!found) return;
        Task memory t = market.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        address operator = operators[seed % operators.length];
        bytes32 finalState = Traces.root(_leaves(jobId, round, index));
        bytes32[] memory h = Traces.states(t.steps, keccak256(abi.encode(taskId, seed)));
        h[0] = t.initStateRoot;
        h[t.steps] = finalState;
        TraceResult memory r = Traces.result(h);
        vm.prank(operator);
        market.claim(taskId);
        vm.prank(operator);
        market.submitResult(taskId, r.traceRoot, r.finalStateRoot, r.finalStateProof, keccak256("model"));
    }

    /// @notice An operator claims a current Open task and never submits.
    function squat(uint256 seed) external {
        (bool found,,,, uint256 taskId) = _currentTask(seed, TaskStatus.Open);
        if (!found || block.timestamp > market.getTask(taskId).deadline) return;
        vm.prank(operators[seed % operators.length]);
        market.claim(taskId);
    }

    function finalize(uint256 seed) external {
        (bool found,,,, uint256 taskId) = _currentTask(seed, TaskStatus.Submitted);
        if (!found || block.timestamp <= market.challengeEndsAt(taskId)) return;
        market.finalize(taskId);
    }

    function expire(uint256 seed) external {
        (bool found,,,, uint256 taskId) = _currentTask(seed, TaskStatus.Open);
        if (!found) (found,,,, taskId) = _currentTask(seed, TaskStatus.Claimed);
        if (!found) return;
        Task memory t = market.getTask(taskId);
        if (block.timestamp <= t.deadline) return;
        if (t.status == TaskStatus.Claimed) ghostSlashShares += _slashShare(t.minStake);
        market.expire(taskId);
    }

    /// @notice Anyone evicts a current Claimed task's operator past its claim timeout (before the
    ///         deadline); the task reopens.
    function evict(uint256 seed) external {
        (bool found,,,, uint256 taskId) = _currentTask(seed, TaskStatus.Claimed);
        if (!found) return;
        Task memory t = market.getTask(taskId);
        if (block.timestamp <= uint256(t.claimedAt) + market.CLAIM_TIMEOUT() || block.timestamp > t.deadline) {
            return;
        }
        ghostSlashShares += _slashShare(t.minStake);
        market.evictClaim(taskId);
        ghostEvicted++;
    }

    /// @notice Finalises (when due) and records every segment of a Training job, opens its outer step
    ///         once all are recorded, or finalises and records its outer step. An odd job whose stall
    ///         was reported has lost its advancers (say its checkpoints are gone): it is left alone and
    ///         will be abandoned, while an even one moves on within its advancers' time.
    function advance(uint256 seed) external {
        uint256 count = jobs.jobCount();
        if (count == 0) return;
        uint256 jobId = 1 + seed % count;
        if (jobs.stalledAt(jobId) != 0 && jobId % 2 == 1) return;
        JobView memory v = jobs.getJob(jobId);
        if (v.status == JobStatus.Training) {
            for (uint16 i = 0; i < v.shards; i++) {
                uint256 taskId = jobs.segmentTaskOf(jobId, v.round, i);
                if (jobs.shardRootOf(jobId, v.round, i) != bytes32(0)) continue;
                _finalizeIfDue(taskId);
                if (market.taskStatus(taskId) != TaskStatus.Finalized) continue;
                vm.recordLogs();
                jobs.recordSegment(jobId, i, _leaves(jobId, v.round, i));
                _noteCreditedShares();
            }
            if (jobs.getJob(jobId).recorded == v.shards) {
                jobs.openOuter(jobId, _global(jobId, v.round), _shardRoots(jobId, v.round, v.shards));
            }
        } else if (v.status == JobStatus.Averaging) {
            _finalizeIfDue(jobs.outerTaskOf(jobId, v.round));
            if (market.taskStatus(jobs.outerTaskOf(jobId, v.round)) != TaskStatus.Finalized) return;
            vm.recordLogs();
            jobs.recordOuter(jobId, _leaves(jobId, v.round, OUTER_INDEX));
            _noteCreditedShares();
            if (v.round + 1 == v.rounds) ghostCompleted++;
        }
    }

    /// @notice Abandons a job when the rules allow it (a current task refunded, all final).
    function abandon(uint256 seed) external {
        uint256 count = jobs.jobCount();
        if (count == 0) return;
        uint256 jobId = 1 + seed % count;
        (bool final_, bool refunded) = _currentFinal(jobId);
        if (!final_ || !refunded) return;
        _abandon(jobId);
    }

    /// @notice Nobody moves on a live job whose current tasks are all final: anyone abandons the first
    ///         one (searched from a random job) whose stall clock ran out, or else starts the clock of
    ///         the first one without.
    function stall(uint256 seed) external {
        uint256 count = jobs.jobCount();
        uint256 unreported;
        for (uint256 n = 0; n < count; n++) {
            uint256 jobId = 1 + (seed % count + n) % count;
            (bool final_,) = _currentFinal(jobId);
            if (!final_) continue;
            uint256 since = jobs.stalledAt(jobId);
            if (since == 0) {
                if (unreported == 0) unreported = jobId;
            } else if (block.timestamp > since + TASK_TIMEOUT) {
                _abandon(jobId);
                ghostStalled++;
                return;
            }
        }
        if (unreported == 0) return;
        jobs.reportStall(unreported);
        require(jobs.stalledAt(unreported) == block.timestamp, "the stall clock started now");
    }

    function _abandon(uint256 jobId) internal {
        vm.recordLogs();
        jobs.abandon(jobId);
        _noteCreditedShares();
        ghostFailed++;
    }

    /// @dev Whether job `jobId` is live with every current task final, and whether one was refunded.
    function _currentFinal(uint256 jobId) internal view returns (bool final_, bool refunded) {
        JobView memory v = jobs.getJob(jobId);
        if (v.status == JobStatus.Training) {
            for (uint16 i = 0; i < v.shards; i++) {
                TaskStatus s = market.taskStatus(jobs.segmentTaskOf(jobId, v.round, i));
                if (s == TaskStatus.Refunded) refunded = true;
                else if (s != TaskStatus.Finalized) return (false, false);
            }
            return (true, refunded);
        } else if (v.status == JobStatus.Averaging) {
            TaskStatus s = market.taskStatus(jobs.outerTaskOf(jobId, v.round));
            return (s == TaskStatus.Finalized || s == TaskStatus.Refunded, s == TaskStatus.Refunded);
        }
    }

    function withdraw(uint256 seed) external {
        address s = submitters[seed % submitters.length];
        uint256 amount = jobs.creditOf(s);
        if (amount == 0) return;
        uint256 before = s.balance;
        vm.prank(s);
        jobs.withdraw();
        require(s.balance == before + amount, "withdraw paid the credit");
        ghostWithdrawn += amount;
    }

    function warp(uint256 seed) external {
        vm.warp(block.timestamp + bound(seed, 10 minutes, 12 hours));
    }

    /// @dev What a missed-deadline slash of `minStake` credits its winner, by the market's and the
    ///      StakeManager's rates.
    function _slashShare(uint256 minStake) internal view returns (uint256) {
        return minStake * market.MISSED_DEADLINE_SLASH_BPS() / 10_000 * sm.SLASH_WINNER_BPS() / 10_000;
    }

    /// @dev Books the `SlashShareCredited` events of the call since `vm.recordLogs()`; a task credited
    ///      twice fails the campaign.
    function _noteCreditedShares() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 k = 0; k < logs.length; k++) {
            if (logs[k].emitter != address(jobs) || logs[k].topics[0] != DilocoJobs.SlashShareCredited.selector) {
                continue;
            }
            uint256 jobId = uint256(logs[k].topics[1]);
            uint256 taskId = uint256(logs[k].topics[2]);
            uint256 amount = abi.decode(logs[k].data, (uint256));
            require(amount > 0, "only a nonzero share is credited");
            require(amount == market.submitterSlashShare(taskId), "the task's whole share");
            require(++ghostShareCredits[taskId] == 1, "a task's share is credited once");
            ghostCreditedShares[jobId] += amount;
        }
    }

    function _finalizeIfDue(uint256 taskId) internal {
        if (market.taskStatus(taskId) == TaskStatus.Submitted && block.timestamp > market.challengeEndsAt(taskId)) {
            market.finalize(taskId);
        }
    }

    // ---------------------------------------------------------------- what agents derive

    /// @dev The leaves of a task's final state: a segment's h_H (index: shard) or the outer h_1.
    function _leaves(uint256 jobId, uint16 round, uint16 index) internal pure returns (bytes32[] memory l) {
        l = new bytes32[](index == OUTER_INDEX ? OUTER_NODES : SEGMENT_NODES);
        for (uint256 k = 0; k < l.length; k++) {
            l[k] = keccak256(abi.encode("node", jobId, round, index, k));
        }
    }

    function _global(uint256 jobId, uint16 round) internal view returns (bytes32[] memory global) {
        if (round == 0) return initialGlobals[jobId];
        global = new bytes32[](G);
        bytes32[] memory l = _leaves(jobId, round - 1, OUTER_INDEX);
        global[0] = l[1];
        global[1] = l[2];
        global[2] = l[3];
    }

    function _shardRoots(uint256 jobId, uint16 round, uint16 shards) internal pure returns (bytes32[] memory all) {
        all = new bytes32[](uint256(shards) * T);
        for (uint16 i = 0; i < shards; i++) {
            bytes32[] memory l = _leaves(jobId, round, i);
            all[i * T] = l[3];
            all[i * T + 1] = l[4];
        }
    }

    function _wiring() internal pure returns (Wiring memory w) {
        w.globalSlots = G;
        w.shardSlots = T;
        w.segmentNodes = SEGMENT_NODES;
        w.outerNodes = OUTER_NODES;
        w.segmentInit = new uint16[](3);
        w.segmentInit[0] = 0;
        w.segmentInit[1] = 1;
        w.segmentInit[2] = type(uint16).max;
        w.segmentConst = new bytes32[](3);
        w.segmentConst[2] = keccak256("fresh optimizer state");
        w.segmentOut = new uint32[](T);
        w.segmentOut[0] = 3;
        w.segmentOut[1] = 4;
        w.outerOut = new uint32[](G);
        w.outerOut[0] = 1;
        w.outerOut[1] = 2;
        w.outerOut[2] = 3;
    }

    /// @dev A current task (of a live job's current round) in `status`, searched from a random job.
    function _currentTask(uint256 seed, TaskStatus status)
        internal
        view
        returns (bool found, uint256 jobId, uint16 round, uint16 index, uint256 taskId)
    {
        uint256 count = jobs.jobCount();
        for (uint256 n = 0; n < count; n++) {
            jobId = 1 + (seed % count + n) % count;
            JobView memory v = jobs.getJob(jobId);
            round = v.round;
            if (v.status == JobStatus.Training) {
                for (uint16 k = 0; k < v.shards; k++) {
                    // forge-lint: disable-next-line(unsafe-typecast) below v.shards, a uint16
                    index = uint16((seed % v.shards + k) % v.shards);
                    taskId = jobs.segmentTaskOf(jobId, round, index);
                    if (market.taskStatus(taskId) == status) return (true, jobId, round, index, taskId);
                }
            } else if (v.status == JobStatus.Averaging) {
                index = OUTER_INDEX;
                taskId = jobs.outerTaskOf(jobId, round);
                if (market.taskStatus(taskId) == status) return (true, jobId, round, index, taskId);
            }
        }
        return (false, 0, 0, 0, 0);
    }
}
