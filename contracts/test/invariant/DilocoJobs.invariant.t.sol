// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "../utils/MarketFixture.sol";
import {DilocoJobsHandler} from "./DilocoJobsHandler.sol";
import {DilocoJobs, JobStatus, JobView} from "../../src/DilocoJobs.sol";
import {TaskStatus} from "../../src/Task.sol";

/// @notice Money invariants of `DilocoJobs` over the real market under random submitters, operators
///         and time: jobs are posted, worked, squatted, evicted, expired, recorded, stalled, abandoned
///         and withdrawn. Reach (32 sequences of 128 calls, replayed once by hand, before `evict` was
///         drawn): a job completed in 13, failed in 8, a squatter was slashed in 13, a credit
///         withdrawn in 2. With `evict` drawn, a throwaway invariant that failed on reaching them saw
///         an eviction and a settled job credited a slash share; with `stall` drawn, one saw a stalled
///         job abandoned (`ghostStalled`, first in a sequence of 11 calls after shrinking).
contract DilocoJobsInvariantTest is MarketFixture {
    DilocoJobs internal jobs;
    DilocoJobsHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        // short windows, as in Market.invariant.t.sol, so that a sequence sees windows close and
        // deadlines pass
        _deploy(1 hours + 2 hours + 1 days, 1 hours, 2 hours);
        jobs = new DilocoJobs(market, sm);
        handler = new DilocoJobsHandler(jobs, 1 hours);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = DilocoJobsHandler.postJob.selector;
        selectors[1] = DilocoJobsHandler.work.selector;
        selectors[2] = DilocoJobsHandler.work.selector; // worked twice as often as squatted
        selectors[3] = DilocoJobsHandler.squat.selector;
        selectors[4] = DilocoJobsHandler.finalize.selector;
        selectors[5] = DilocoJobsHandler.expire.selector;
        selectors[6] = DilocoJobsHandler.advance.selector;
        selectors[7] = DilocoJobsHandler.advance.selector;
        selectors[8] = DilocoJobsHandler.abandon.selector;
        selectors[9] = DilocoJobsHandler.withdraw.selector;
        selectors[10] = DilocoJobsHandler.warp.selector;
        selectors[11] = DilocoJobsHandler.evict.selector;
        selectors[12] = DilocoJobsHandler.stall.selector;
        targetSelector(address(handler), selectors);
    }

    /// @dev Σ escrow of live jobs + Σ refunded rewards of their current tasks.
    function _liveMoney() internal view returns (uint256 total) {
        uint256 count = jobs.jobCount();
        for (uint256 jobId = 1; jobId <= count; jobId++) {
            JobView memory v = jobs.getJob(jobId);
            if (v.status == JobStatus.Training) {
                total += v.escrow;
                for (uint16 i = 0; i < v.shards; i++) {
                    if (market.taskStatus(jobs.segmentTaskOf(jobId, v.round, i)) == TaskStatus.Refunded) {
                        total += v.shardReward;
                    }
                }
            } else if (v.status == JobStatus.Averaging) {
                total += v.escrow;
                if (market.taskStatus(jobs.outerTaskOf(jobId, v.round)) == TaskStatus.Refunded) total += v.outerReward;
            }
        }
    }

    /// @dev Σ slash shares the market booked on live jobs' current tasks that the job contract has not
    ///      yet credited to their submitters: a Training job's unrecorded segments, an Averaging job's
    ///      outer step.
    function _unattributedShares() internal view returns (uint256 total) {
        uint256 count = jobs.jobCount();
        for (uint256 jobId = 1; jobId <= count; jobId++) {
            JobView memory v = jobs.getJob(jobId);
            if (v.status == JobStatus.Training) {
                for (uint16 i = 0; i < v.shards; i++) {
                    if (jobs.shardRootOf(jobId, v.round, i) != bytes32(0)) continue;
                    total += market.submitterSlashShare(jobs.segmentTaskOf(jobId, v.round, i));
                }
            } else if (v.status == JobStatus.Averaging) {
                total += market.submitterSlashShare(jobs.outerTaskOf(jobId, v.round));
            }
        }
    }

    /// @dev Σ slash shares the market booked on every task the job posted.
    function _bookedShares(uint256 jobId) internal view returns (uint256 total) {
        JobView memory v = jobs.getJob(jobId);
        for (uint16 round = 0; round < v.rounds; round++) {
            for (uint16 i = 0; i < v.shards; i++) {
                total += market.submitterSlashShare(jobs.segmentTaskOf(jobId, round, i));
            }
            total += market.submitterSlashShare(jobs.outerTaskOf(jobId, round));
        }
    }

    function _credits() internal view returns (uint256 total) {
        for (uint256 i = 0; i < handler.submitterCount(); i++) {
            total += jobs.creditOf(handler.submitters(i));
        }
    }

    /// @notice What the job contract holds (its balance and its StakeManager credit) is exactly what
    ///         it owes: live escrow, the refunds of live jobs' current tasks, submitters' credits, and
    ///         the slash shares of live jobs' current tasks not yet credited to their submitters.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    function invariant_moneyIsConserved() public view {
        assertEq(
            address(jobs).balance + sm.creditOf(address(jobs)),
            _liveMoney() + _credits() + _unattributedShares(),
            "held == live escrow + live refunds + credits + unattributed slash shares"
        );
    }

    /// @notice Every slash share the market credited the job contract is booked on its task, and each
    ///         job's shares are credited to its submitter except those of a live job's current tasks
    ///         still running: a Completed or Failed job has no share left unattributed.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    function invariant_settledJobHasNoUnattributedShare() public view {
        uint256 count = jobs.jobCount();
        uint256 booked;
        uint256 credited;
        for (uint256 jobId = 1; jobId <= count; jobId++) {
            uint256 jobBooked = _bookedShares(jobId);
            uint256 jobCredited = handler.ghostCreditedShares(jobId);
            booked += jobBooked;
            credited += jobCredited;
            JobStatus status = jobs.getJob(jobId).status;
            if (status == JobStatus.Completed || status == JobStatus.Failed) {
                assertEq(jobCredited, jobBooked, "a settled job's shares are all credited");
            } else {
                assertTrue(jobCredited <= jobBooked, "a live job's credited shares are booked ones");
            }
        }
        assertEq(booked, handler.ghostSlashShares(), "the market booked every share it credited");
        assertEq(booked - credited, _unattributedShares(), "only live jobs' current tasks hold shares");
    }

    /// @notice A live job's escrow is exactly the rewards of the tasks it has yet to post; a finished
    ///         job holds none.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    function invariant_escrowIsUnpostedRewards() public view {
        uint256 count = jobs.jobCount();
        for (uint256 jobId = 1; jobId <= count; jobId++) {
            JobView memory v = jobs.getJob(jobId);
            uint256 perRound = uint256(v.shards) * v.shardReward + v.outerReward;
            uint256 left = uint256(v.rounds - v.round) * perRound;
            if (v.status == JobStatus.Training) {
                assertEq(v.escrow, left - uint256(v.shards) * v.shardReward, "training escrow");
            } else if (v.status == JobStatus.Averaging) {
                assertEq(v.escrow, left - perRound, "averaging escrow");
            } else {
                assertEq(v.escrow, 0, "finished jobs hold no escrow");
            }
        }
    }
}
