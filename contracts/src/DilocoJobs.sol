// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "./Errors.sol";
import {StakeManager} from "./StakeManager.sol";
import {RootKind, Task, TaskParams, TaskStatus} from "./Task.sol";
import {TaskMarket} from "./TaskMarket.sol";
import {Merkle} from "./lib/Merkle.sol";

/// @notice Where a DiLoCo job stands. The numbering is part of the ABI (bindings decode it as uint8).
/// @dev Transitions:
///      None      -> Training    postJob       (round 0's segments posted)
///      Training  -> Averaging   openOuter     (every segment of the round recorded; outer step posted)
///      Averaging -> Training    recordOuter   (round r + 1's segments posted)
///      Averaging -> Completed   recordOuter   (after the last round)
///      Training  -> Failed      abandon       (every current task final, and one refunded or the job
///                                             stalled: `reportStall`, then `taskTimeout` seconds)
///      Averaging -> Failed      abandon       (the outer step final, and refunded or stalled)
///      Completed, Failed are final.
enum JobStatus {
    /// No job with this id.
    None,
    /// The round's segment tasks are posted; their results are recorded as they finalise.
    Training,
    /// Every segment of the round is recorded; the outer step's task is posted.
    Averaging,
    /// Every round's outer step is recorded; `globalRootOf(job, rounds)` is the trained model.
    Completed,
    /// A current task was refunded, or the job stalled; the submitter was credited every reward not
    /// paid out.
    Failed
}

/// @notice What a submitter posts for a DiLoCo job (`docs/diloco-jobs.md`).
/// @param specHash keccak256 of the job's canonical document (`DilocoJobSpec`).
/// @param specURI Where the document can be fetched; the `specURI` of every task of the job.
/// @param rounds R, the number of outer steps (1..MAX_ROUNDS).
/// @param shards N, the segments trained in parallel per round (1..MAX_SHARDS).
/// @param innerSteps H, the training steps of a segment (>= 1).
/// @param checkpointEvery A segment publishes a checkpoint every this many steps (1..innerSteps).
/// @param shardReward Wei paid per finalised segment.
/// @param outerReward Wei paid per finalised outer step.
/// @param minStake Stake an operator locks per task (the market's floor applies).
/// @param taskTimeout Seconds from a task's posting to its deadline.
/// @param challengeWindow Every task's challenge window (the market's range applies).
/// @param outerGraphRoot Graph root of the outer step.
/// @param outerDatasetRoot Dataset root of the outer step.
/// @param shardDatasetRoots Dataset root of each shard (N).
/// @param segmentGraphRoots Graph root of each segment, index `round * N + shard` (R·N).
struct JobParams {
    bytes32 specHash;
    string specURI;
    uint16 rounds;
    uint16 shards;
    uint32 innerSteps;
    uint32 checkpointEvery;
    uint256 shardReward;
    uint256 outerReward;
    uint256 minStake;
    uint64 taskTimeout;
    uint64 challengeWindow;
    bytes32 outerGraphRoot;
    bytes32 outerDatasetRoot;
    bytes32[] shardDatasetRoots;
    bytes32[] segmentGraphRoots;
}

/// @notice How a job's state slots map between its tasks (`tribunal.diloco` `job_wiring`).
/// @param globalSlots G, the global state's slots (parameters, then outer momenta).
/// @param shardSlots T, the trainable parameters each shard sends back (1..G).
/// @param segmentNodes Node count of the segment step graph: the leaves of a segment's h_H.
/// @param outerNodes Node count of the outer step graph: the leaves of the outer step's h_1.
/// @param segmentInit Per segment state slot: the global slot it starts from, or NO_SOURCE.
/// @param segmentConst Per segment state slot: its root when `segmentInit` is NO_SOURCE (else unused).
/// @param segmentOut Per trainable parameter k: its node in a segment's h_H leaves (T).
/// @param outerOut Per global slot g: its node in the outer step's h_1 leaves (G).
struct Wiring {
    uint16 globalSlots;
    uint16 shardSlots;
    uint32 segmentNodes;
    uint32 outerNodes;
    uint16[] segmentInit;
    bytes32[] segmentConst;
    uint32[] segmentOut;
    uint32[] outerOut;
}

/// @notice A job as `getJob` returns it.
struct JobView {
    address submitter;
    JobStatus status;
    uint16 rounds;
    uint16 shards;
    uint16 round;
    uint16 recorded;
    uint256 escrow;
    bytes32 specHash;
    uint256 shardReward;
    uint256 outerReward;
}

/// @title DilocoJobs
/// @notice Runs a DiLoCo job, R rounds × N shards, on top of the `TaskMarket`: every segment and every
///         outer step is an ordinary market task whose submitter is this contract, so claims, results,
///         disputes, evictions, reopening and payment are the market's. This contract adds the links
///         between tasks (`docs/diloco-jobs.md`): a segment's h_0 is computed here from the round's
///         global roots; the outer step's h_0 from the global roots and each shard's parameter roots,
///         read out of its finalised segment's h_H; the next round's global roots are read out of the
///         finalised outer step's h_1.
///
///         Money: `postJob` takes exactly R·(N·shardReward + outerReward) as the job's escrow; posting
///         a task moves its reward from the escrow into the market. A task's reward is paid to its
///         operator on finalisation or refunded to this contract's StakeManager credit. A failed job
///         credits its submitter the escrow and the refunded rewards of its current round (pull
///         payment, `withdraw`). The missed-deadline slash shares the market credits this contract as
///         a task's submitter (`TaskMarket.submitterSlashShare`) are the job submitter's: each task's
///         is credited to it once, when the task is settled for the job (`recordSegment`,
///         `recordOuter`, `abandon`). INVARIANT: address(this).balance + STAKE_MANAGER.creditOf(this)
///         == Σ escrow of live jobs + Σ refunded rewards of live jobs' current tasks + Σ credits
///         + Σ slash shares of live jobs' current tasks not yet settled; a Completed or Failed job
///         has none left.
/// @dev Gas (whole transactions, `forge test --match-test test_job_twoRoundsTwoShards_completes --isolate
///      --gas-report`; the 2 × 2 job of `test/DilocoJobs.t.sol`, G = 3, T = 2, 4 segment slots, 5 and 4
///      graph nodes): postJob 1,320,931 (nearly all of it new storage: the params, the wiring and two
///      market tasks with their refs here); recordSegment 105,318; openOuter ~340k (one market task);
///      recordOuter 106,060 after the last round, 689,907 when it posts the next round's two segments
///      (each record ~3.1k of it reading the task's `submitterSlashShare`).
contract DilocoJobs {
    /// @notice The task ref index of an outer step (a segment's is its shard).
    uint16 public constant OUTER_INDEX = type(uint16).max;

    /// @notice A `segmentInit` entry naming a constant slot (`segmentConst`) instead of a global one.
    uint16 public constant NO_SOURCE = type(uint16).max;

    /// @notice Most shards per round; bounds every loop over a round's tasks.
    uint16 public constant MAX_SHARDS = 16;

    /// @notice Most rounds per job; bounds `segmentGraphRoots`.
    uint16 public constant MAX_ROUNDS = 64;

    /// @notice Most global slots and most segment state slots; bounds every loop over slots (the
    ///         outer step's h_0 has at most MAX_SLOTS · (1 + MAX_SHARDS) leaves).
    uint256 public constant MAX_SLOTS = 512;

    /// @notice Most nodes of a step graph: bounds the leaves of h_H and h_1 hashed here.
    uint256 public constant MAX_NODES = 65536;

    /// @dev Rewards above this could overflow the job's total.
    uint256 private constant MAX_REWARD = type(uint128).max;

    /// @notice The market every task of a job is posted to.
    TaskMarket public immutable MARKET;

    /// @notice The market's StakeManager, where refunded rewards are credited to this contract.
    StakeManager public immutable STAKE_MANAGER;

    /// @dev Packs into two slots; `recordedMask` has bit i set once shard i of the round is recorded.
    ///      `stalledAt` shares the escrow's slot, which every step that clears it (`openOuter`,
    ///      `recordOuter` opening a round) writes anyway. The escrow is at most
    ///      MAX_ROUNDS · (MAX_SHARDS + 1) · MAX_REWARD < 2^139.
    struct Job {
        address submitter;
        JobStatus status;
        uint16 rounds;
        uint16 shards;
        uint16 round;
        uint16 recorded;
        uint16 recordedMask;
        uint192 escrow;
        uint64 stalledAt;
    }

    /// @dev The job, round and index (shard or OUTER_INDEX) of a task this contract posted.
    struct TaskRef {
        uint224 jobId;
        uint16 round;
        uint16 index;
    }

    /// @notice Number of jobs posted; job ids are 1..jobCount.
    uint256 public jobCount;

    mapping(uint256 jobId => Job) private jobs;
    mapping(uint256 jobId => JobParams) private params;
    mapping(uint256 jobId => Wiring) private wirings;
    /// @dev Key `round << 16 | index` (index: shard or OUTER_INDEX).
    mapping(uint256 jobId => mapping(uint256 key => uint256 taskId)) private taskIds;
    /// @dev Key `round << 16 | shard`.
    mapping(uint256 jobId => mapping(uint256 key => bytes32 root)) private shardRoots;
    mapping(uint256 jobId => mapping(uint256 round => bytes32 root)) private globalRoots;
    mapping(uint256 taskId => TaskRef) private taskRefs;
    mapping(address account => uint256) private credits;

    /// @notice A job was posted and its escrow taken; round 0's segments follow (`SegmentPosted`).
    /// @param jobId The new job's id.
    /// @param submitter The poster, credited if the job fails.
    /// @param specHash keccak256 of the job document.
    /// @param specURI Where the document can be fetched.
    /// @param rounds R.
    /// @param shards N.
    /// @param escrow Wei taken: R·(N·shardReward + outerReward).
    event JobPosted(
        uint256 indexed jobId,
        address indexed submitter,
        bytes32 specHash,
        string specURI,
        uint16 rounds,
        uint16 shards,
        uint256 escrow
    );

    /// @notice A segment task was posted to the market.
    /// @param jobId The job.
    /// @param round The round.
    /// @param shard The shard.
    /// @param taskId The market task.
    /// @param initStateRoot Its h_0, computed from the round's global roots and the wiring.
    event SegmentPosted(
        uint256 indexed jobId, uint16 indexed round, uint16 shard, uint256 taskId, bytes32 initStateRoot
    );

    /// @notice A finalised segment's trainable parameter roots were read out of its h_H.
    /// @param jobId The job.
    /// @param round The round.
    /// @param shard The shard.
    /// @param taskId The segment's market task.
    /// @param shardRoot The Merkle root of `roots`, stored for `openOuter`.
    /// @param roots The T parameter roots, in `segmentOut` order.
    event SegmentRecorded(
        uint256 indexed jobId, uint16 indexed round, uint16 shard, uint256 taskId, bytes32 shardRoot, bytes32[] roots
    );

    /// @notice The round's outer step was posted to the market.
    /// @param jobId The job.
    /// @param round The round.
    /// @param taskId The market task.
    /// @param initStateRoot Its h_0: the root of the global roots followed by each shard's roots.
    event OuterPosted(uint256 indexed jobId, uint16 indexed round, uint256 taskId, bytes32 initStateRoot);

    /// @notice A finalised outer step's new global roots were read out of its h_1.
    /// @param jobId The job.
    /// @param round The round that closed.
    /// @param globalRoot The Merkle root of `globalRoots`: `globalRootOf(jobId, round + 1)`.
    /// @param globalRoots The G global roots of round + 1, in `outerOut` order.
    event RoundClosed(uint256 indexed jobId, uint16 indexed round, bytes32 globalRoot, bytes32[] globalRoots);

    /// @notice The job's last round closed.
    /// @param jobId The job.
    /// @param finalGlobalRoot The root of the trained global state (`globalRootOf(jobId, rounds)`).
    event JobCompleted(uint256 indexed jobId, bytes32 finalGlobalRoot);

    /// @notice Every current task of the job is final but the job has not moved on: its stall clock
    ///         started. Unless `openOuter` or `recordOuter` moves it, `abandon` fails it after `abandonAfter`.
    /// @param jobId The job.
    /// @param round The round it stalled in (status Training: its segments; Averaging: its outer step).
    /// @param abandonAfter block.timestamp + taskTimeout: `abandon` succeeds at any later time.
    event JobStalled(uint256 indexed jobId, uint16 indexed round, uint256 abandonAfter);

    /// @notice The job was abandoned: a current task was refunded, or it stalled (`JobStalled`).
    /// @param jobId The job.
    /// @param refund Wei credited to the submitter: the unposted escrow and the refunded rewards.
    event JobFailed(uint256 indexed jobId, uint256 refund);

    /// @notice The slash shares the market credited this contract for one of the job's tasks (its
    ///         operators missed a deadline or were evicted) were credited to the job's submitter.
    /// @param jobId The job.
    /// @param taskId The market task, settled for the job (recorded, or final at `abandon`).
    /// @param amount Wei credited to the submitter: `MARKET.submitterSlashShare(taskId)`.
    event SlashShareCredited(uint256 indexed jobId, uint256 indexed taskId, uint256 amount);

    /// @notice `account` withdrew its credit.
    /// @param account The owner (and receiver).
    /// @param amount Wei sent.
    event CreditWithdrawn(address indexed account, uint256 amount);

    /// @param market The market every task is posted to.
    /// @param stakeManager The market's StakeManager.
    constructor(TaskMarket market, StakeManager stakeManager) {
        if (address(market) == address(0) || address(stakeManager) == address(0)) revert Errors.ZeroAddress();
        address marketStakeManager = address(market.STAKE_MANAGER());
        // INVARIANT: refunds of this contract's tasks land in the credit `withdraw` pulls from.
        if (marketStakeManager != address(stakeManager)) {
            revert Errors.StakeManagerMismatch(address(stakeManager), marketStakeManager);
        }
        MARKET = market;
        STAKE_MANAGER = stakeManager;
    }

    /// @notice Takes refunded rewards back from the StakeManager (`withdraw`, `_cover`); from nobody else.
    receive() external payable {
        if (msg.sender != address(STAKE_MANAGER)) revert Errors.NotStakeManager(msg.sender);
    }

    // ---------------------------------------------------------------- submitter

    /// @notice Posts a job with msg.value as its escrow and posts round 0's N segment tasks.
    /// @param p The job's parameters (see `JobParams`).
    /// @param w The job's slot wiring (see `Wiring`).
    /// @param initialGlobal Round 0's G global roots.
    /// @return jobId The new job's id (ids start at 1).
    function postJob(JobParams calldata p, Wiring calldata w, bytes32[] calldata initialGlobal)
        external
        payable
        returns (uint256 jobId)
    {
        _checkParams(p);
        _checkWiring(w);
        if (initialGlobal.length != w.globalSlots) {
            revert Errors.InitialGlobalLength(initialGlobal.length, w.globalSlots);
        }
        uint256 expected = uint256(p.rounds) * (uint256(p.shards) * p.shardReward + p.outerReward);
        // INVARIANT: the escrow is exactly every reward the job will post.
        if (msg.value != expected) revert Errors.WrongJobEscrow(expected, msg.value);

        jobId = ++jobCount;
        Job storage job = jobs[jobId];
        job.submitter = msg.sender;
        job.status = JobStatus.Training;
        job.rounds = p.rounds;
        job.shards = p.shards;
        // forge-lint: disable-next-line(unsafe-typecast) msg.value == expected < 2^139 (see `Job`)
        job.escrow = uint192(msg.value);
        params[jobId] = p;
        wirings[jobId] = w;
        bytes32[] memory global = initialGlobal;
        globalRoots[jobId][0] = Merkle.rootOf(global);
        emit JobPosted(jobId, msg.sender, p.specHash, p.specURI, p.rounds, p.shards, msg.value);
        _postSegments(jobId, job, 0, global);
    }

    // ---------------------------------------------------------------- anyone: the links

    /// @notice Records a finalised segment: reads its T parameter roots out of its h_H, and credits
    ///         the submitter the task's slash shares.
    /// @param jobId The job (Training).
    /// @param shard The shard (not yet recorded this round).
    /// @param leaves h_H's segmentNodes leaves (the segment checkpoint's node-output roots).
    function recordSegment(uint256 jobId, uint16 shard, bytes32[] calldata leaves) external {
        Job storage job = jobs[jobId];
        if (job.status != JobStatus.Training) revert Errors.JobNotTraining(jobId, uint8(job.status));
        uint16 shards = job.shards;
        if (shard >= shards) revert Errors.ShardOutOfRange(shard, shards);
        uint16 round = job.round;
        uint16 bit = uint16(1) << shard;
        if (job.recordedMask & bit != 0) revert Errors.SegmentAlreadyRecorded(jobId, round, shard);
        uint256 taskId = taskIds[jobId][_key(round, shard)];
        Wiring storage w = wirings[jobId];
        bytes32[] memory roots = _pick(_finalLeaves(taskId, leaves, w.segmentNodes), w.segmentOut);
        bytes32 shardRoot = Merkle.rootOf(roots);
        shardRoots[jobId][_key(round, shard)] = shardRoot;
        job.recordedMask |= bit;
        job.recorded += 1;
        emit SegmentRecorded(jobId, round, shard, taskId, shardRoot, roots);
        _creditSlashShare(jobId, job.submitter, taskId);
    }

    /// @notice Posts the round's outer step once every segment is recorded, with h_0 = the root of
    ///         `global ‖ shardRoots` after checking each part against the roots stored.
    /// @param jobId The job (Training, every segment of the round recorded).
    /// @param global The round's G global roots (hashing to `globalRootOf(jobId, round)`).
    /// @param shardRoots_ The N·T parameter roots, shard-major (shard i's T roots hash to its
    ///        `shardRootOf`); `SegmentRecorded` events carry them.
    function openOuter(uint256 jobId, bytes32[] calldata global, bytes32[] calldata shardRoots_) external {
        Job storage job = jobs[jobId];
        if (job.status != JobStatus.Training) revert Errors.JobNotTraining(jobId, uint8(job.status));
        if (job.recorded != job.shards) revert Errors.RoundNotRecorded(job.recorded, job.shards);
        uint16 round = job.round;
        bytes32 initStateRoot = _outerInitRoot(jobId, round, job.shards, global, shardRoots_);

        JobParams storage p = params[jobId];
        job.status = JobStatus.Averaging;
        // forge-lint: disable-next-line(unsafe-typecast) outerReward <= MAX_REWARD (checked at postJob)
        job.escrow -= uint192(p.outerReward);
        job.stalledAt = 0;
        uint256 taskId = _postTask(jobId, p, round, OUTER_INDEX, initStateRoot);
        emit OuterPosted(jobId, round, taskId, initStateRoot);
    }

    /// @notice Records the finalised outer step: reads the next round's G global roots out of its
    ///         h_1, credits the submitter the task's slash shares, then posts the next round's
    ///         segments or completes the job.
    /// @param jobId The job (Averaging).
    /// @param leaves h_1's outerNodes leaves (the outer checkpoint's node-output roots).
    function recordOuter(uint256 jobId, bytes32[] calldata leaves) external {
        Job storage job = jobs[jobId];
        if (job.status != JobStatus.Averaging) revert Errors.JobNotAveraging(jobId, uint8(job.status));
        uint16 round = job.round;
        uint256 taskId = taskIds[jobId][_key(round, OUTER_INDEX)];
        Wiring storage w = wirings[jobId];
        bytes32[] memory global = _pick(_finalLeaves(taskId, leaves, w.outerNodes), w.outerOut);
        bytes32 root = Merkle.rootOf(global);
        globalRoots[jobId][round + 1] = root;
        emit RoundClosed(jobId, round, root, global);
        _creditSlashShare(jobId, job.submitter, taskId);
        round += 1;
        job.round = round;
        job.recorded = 0;
        job.recordedMask = 0;
        if (round == job.rounds) {
            job.status = JobStatus.Completed;
            emit JobCompleted(jobId, root);
        } else {
            job.status = JobStatus.Training;
            job.stalledAt = 0;
            _postSegments(jobId, job, round, global);
        }
    }

    /// @notice Starts the stall clock of a live job whose current tasks are all final (the round's
    ///         segments while Training, the outer step while Averaging), so that `abandon` can fail it
    ///         if nobody moves it on within `taskTimeout` seconds: a finalised task whose checkpoint
    ///         nobody can (or will) hand to `recordSegment` / `recordOuter` would otherwise hold the
    ///         job's escrow forever. The clock is the job's current step's: `openOuter` and
    ///         `recordOuter` clear it.
    /// @dev Started by a transaction rather than read from the tasks because when a task became final
    ///      is not bounded by its deadline and window (a dispute may run past both, and `finalize` is
    ///      anyone's to call late): counting from this call, the advancers always have `taskTimeout`
    ///      seconds from a moment every current task was already final. Measured (isolated
    ///      transactions, the 2 × 2 job of `test/DilocoJobs.t.sol`): 47,016 gas in Training, 41,320 in
    ///      Averaging; the clock costs postJob +507, openOuter +444, recordOuter +645 when it opens a
    ///      round, recordSegment +22.
    /// @param jobId The job (Training or Averaging, clock not started).
    function reportStall(uint256 jobId) external {
        Job storage job = jobs[jobId];
        JobStatus status = job.status;
        if (status != JobStatus.Training && status != JobStatus.Averaging) {
            revert Errors.JobNotLive(jobId, uint8(status));
        }
        uint64 since = job.stalledAt;
        // INVARIANT: the clock is never restarted, so nobody can push the submitter's refund back.
        if (since != 0) revert Errors.StallAlreadyReported(jobId, since);
        uint16 round = job.round;
        if (status == JobStatus.Training) {
            uint256 shards = job.shards;
            for (uint256 i = 0; i < shards; i++) {
                _isRefunded(taskIds[jobId][_key(round, i)]);
            }
        } else {
            _isRefunded(taskIds[jobId][_key(round, OUTER_INDEX)]);
        }
        job.stalledAt = uint64(block.timestamp);
        emit JobStalled(jobId, round, block.timestamp + params[jobId].taskTimeout);
    }

    /// @notice Fails a job whose current round cannot finish: every current task is final, and one
    ///         was refunded (no valid result before its deadline) or the job stalled (`reportStall`
    ///         more than `taskTimeout` seconds ago, and not moved on since). The submitter is credited
    ///         the unposted escrow and the refunded rewards (`withdraw`), and the slash shares of every
    ///         current task not recorded (a recorded segment's were credited when it was recorded).
    /// @param jobId The job (Training or Averaging).
    function abandon(uint256 jobId) external {
        Job storage job = jobs[jobId];
        JobStatus status = job.status;
        if (status != JobStatus.Training && status != JobStatus.Averaging) {
            revert Errors.JobNotLive(jobId, uint8(status));
        }
        JobParams storage p = params[jobId];
        uint16 round = job.round;
        address submitter = job.submitter;
        uint256 refunded;
        if (status == JobStatus.Training) {
            uint256 shards = job.shards;
            uint256 reward = p.shardReward;
            uint16 recordedMask = job.recordedMask;
            for (uint256 i = 0; i < shards; i++) {
                uint256 taskId = taskIds[jobId][_key(round, i)];
                if (_isRefunded(taskId)) refunded += reward;
                // INVARIANT: a task's slash shares are credited once; a recorded segment's already were.
                if (recordedMask & (1 << i) == 0) _creditSlashShare(jobId, submitter, taskId);
            }
        } else {
            // the round's segments are Finalized and recorded (openOuter required it), so only the
            // outer step counts
            uint256 taskId = taskIds[jobId][_key(round, OUTER_INDEX)];
            if (_isRefunded(taskId)) refunded = p.outerReward;
            _creditSlashShare(jobId, submitter, taskId);
        }
        if (refunded == 0) {
            uint64 since = job.stalledAt;
            // INVARIANT: a job whose tasks all finalised fails only after its advancers had taskTimeout
            // seconds, counted from a moment every current task was already final, to move it on.
            if (since == 0 || block.timestamp <= uint256(since) + p.taskTimeout) {
                revert Errors.JobNotStalled(jobId, since);
            }
        }
        uint256 refund = job.escrow + refunded;
        job.status = JobStatus.Failed;
        job.escrow = 0;
        credits[submitter] += refund;
        emit JobFailed(jobId, refund);
    }

    /// @notice Sends the caller its whole credit (failed jobs' refunds, tasks' slash shares), taking
    ///         refunded rewards and slash shares back from the StakeManager first if this contract's
    ///         balance is short.
    function withdraw() external {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert Errors.NothingToWithdraw();
        credits[msg.sender] = 0;
        emit CreditWithdrawn(msg.sender, amount);
        _cover(amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert Errors.TransferFailed(msg.sender, amount);
    }

    // ---------------------------------------------------------------- views

    /// @notice The job's state (status None for an unknown id).
    function getJob(uint256 jobId) external view returns (JobView memory v) {
        Job storage job = jobs[jobId];
        JobParams storage p = params[jobId];
        v = JobView({
            submitter: job.submitter,
            status: job.status,
            rounds: job.rounds,
            shards: job.shards,
            round: job.round,
            recorded: job.recorded,
            escrow: job.escrow,
            specHash: p.specHash,
            shardReward: p.shardReward,
            outerReward: p.outerReward
        });
    }

    /// @notice The job's wiring as posted.
    function wiringOf(uint256 jobId) external view returns (Wiring memory) {
        return wirings[jobId];
    }

    /// @notice The job's parameters as posted.
    function paramsOf(uint256 jobId) external view returns (JobParams memory) {
        return params[jobId];
    }

    /// @notice The market task of segment (`round`, `shard`) of the job (0: not posted).
    function segmentTaskOf(uint256 jobId, uint16 round, uint16 shard) external view returns (uint256 taskId) {
        return taskIds[jobId][_key(round, shard)];
    }

    /// @notice The market task of the job's outer step of `round` (0: not posted).
    function outerTaskOf(uint256 jobId, uint16 round) external view returns (uint256 taskId) {
        return taskIds[jobId][_key(round, OUTER_INDEX)];
    }

    /// @notice The root of shard `shard`'s T parameter roots in `round` (0 until recorded).
    function shardRootOf(uint256 jobId, uint16 round, uint16 shard) external view returns (bytes32) {
        return shardRoots[jobId][_key(round, shard)];
    }

    /// @notice The root of the G global roots at the start of `round` (`rounds`: the trained model;
    ///         0 until known).
    function globalRootOf(uint256 jobId, uint16 round) external view returns (bytes32) {
        return globalRoots[jobId][round];
    }

    /// @notice Which job, round and index (shard, or OUTER_INDEX) a market task belongs to.
    /// @return jobId The job (0: not a task of this contract).
    /// @return round The round.
    /// @return index The shard, or OUTER_INDEX for an outer step.
    function taskRef(uint256 taskId) external view returns (uint256 jobId, uint16 round, uint16 index) {
        TaskRef storage r = taskRefs[taskId];
        return (r.jobId, r.round, r.index);
    }

    /// @notice When the job's stall clock started (`reportStall`; 0: not started for its current step).
    ///         A job that is still live may be abandoned once block.timestamp > stalledAt + taskTimeout.
    function stalledAt(uint256 jobId) external view returns (uint256) {
        return jobs[jobId].stalledAt;
    }

    /// @notice Wei `account` may withdraw.
    function creditOf(address account) external view returns (uint256) {
        return credits[account];
    }

    // ---------------------------------------------------------------- internals

    /// @dev Every parameter that a later round would otherwise find wrong is checked now: a job that
    ///      could not post a later round's tasks would be stuck with nothing to refund.
    function _checkParams(JobParams calldata p) private view {
        if (p.rounds == 0 || p.rounds > MAX_ROUNDS || p.shards == 0 || p.shards > MAX_SHARDS) {
            revert Errors.JobShapeOutOfRange(p.rounds, p.shards);
        }
        uint256 shards = p.shards;
        if (p.shardDatasetRoots.length != shards) {
            revert Errors.ShardDatasetRootsLength(p.shardDatasetRoots.length, shards);
        }
        uint256 segments = uint256(p.rounds) * shards;
        if (p.segmentGraphRoots.length != segments) {
            revert Errors.SegmentGraphRootsLength(p.segmentGraphRoots.length, segments);
        }
        if (p.specHash == bytes32(0)) revert Errors.ZeroJobRoot(RootKind.Spec, OUTER_INDEX);
        if (p.outerDatasetRoot == bytes32(0)) revert Errors.ZeroJobRoot(RootKind.Dataset, OUTER_INDEX);
        if (p.outerGraphRoot == bytes32(0)) revert Errors.ZeroJobRoot(RootKind.Graph, OUTER_INDEX);
        for (uint256 i = 0; i < shards; i++) {
            if (p.shardDatasetRoots[i] == bytes32(0)) revert Errors.ZeroJobRoot(RootKind.Dataset, i);
        }
        for (uint256 s = 0; s < segments; s++) {
            if (p.segmentGraphRoots[s] == bytes32(0)) revert Errors.ZeroJobRoot(RootKind.Graph, s);
        }
        if (p.innerSteps == 0) revert Errors.ZeroSteps();
        if (p.checkpointEvery == 0 || p.checkpointEvery > p.innerSteps) {
            revert Errors.BadCheckpointInterval(p.checkpointEvery, p.innerSteps);
        }
        if (p.shardReward == 0 || p.outerReward == 0 || p.shardReward > MAX_REWARD || p.outerReward > MAX_REWARD) {
            revert Errors.JobRewardOutOfRange(p.shardReward, p.outerReward, MAX_REWARD);
        }
        if (p.taskTimeout == 0 || block.timestamp + p.taskTimeout > type(uint64).max) {
            revert Errors.TaskTimeoutOutOfRange(p.taskTimeout);
        }
        // minStake, challengeWindow and specURI are the same for every task: the market checks them
        // when round 0 is posted, in this transaction.
    }

    function _checkWiring(Wiring calldata w) private pure {
        uint256 g = w.globalSlots;
        uint256 t = w.shardSlots;
        // INVARIANT: with G <= MAX_SLOTS and T <= G, the outer step's h_0 has at most
        // MAX_SLOTS * (1 + MAX_SHARDS) leaves.
        if (g == 0 || g > MAX_SLOTS || t == 0 || t > g) revert Errors.WiringSlotsOutOfRange(g, t);
        if (w.segmentNodes == 0 || w.segmentNodes > MAX_NODES || w.outerNodes == 0 || w.outerNodes > MAX_NODES) {
            revert Errors.WiringNodesOutOfRange(w.segmentNodes, w.outerNodes);
        }
        uint256 slots = w.segmentInit.length;
        if (slots == 0 || slots > MAX_SLOTS) revert Errors.SegmentSlotsOutOfRange(slots);
        if (w.segmentConst.length != slots) revert Errors.SegmentConstLength(w.segmentConst.length, slots);
        for (uint256 j = 0; j < slots; j++) {
            uint256 source = w.segmentInit[j];
            if (source == NO_SOURCE) {
                if (w.segmentConst[j] == bytes32(0)) revert Errors.ZeroSegmentConst(j);
            } else if (source >= g) {
                revert Errors.SegmentInitOutOfRange(j, source, g);
            }
        }
        if (w.segmentOut.length != t) revert Errors.SegmentOutLength(w.segmentOut.length, t);
        for (uint256 k = 0; k < t; k++) {
            if (w.segmentOut[k] >= w.segmentNodes) {
                revert Errors.WiringOutputOutOfRange(false, k, w.segmentOut[k], w.segmentNodes);
            }
        }
        if (w.outerOut.length != g) revert Errors.OuterOutLength(w.outerOut.length, g);
        for (uint256 j = 0; j < g; j++) {
            if (w.outerOut[j] >= w.outerNodes) {
                revert Errors.WiringOutputOutOfRange(true, j, w.outerOut[j], w.outerNodes);
            }
        }
    }

    /// @dev Posts round `round`'s N segments, all from h_0 = the root of the segment slots wired
    ///      from `global` (the round's G global roots) and the constants.
    function _postSegments(uint256 jobId, Job storage job, uint16 round, bytes32[] memory global) private {
        bytes32 initStateRoot = _segmentInitRoot(wirings[jobId], global);
        JobParams storage p = params[jobId];
        uint16 shards = job.shards;
        uint256 reward = p.shardReward;
        for (uint16 i = 0; i < shards; i++) {
            // forge-lint: disable-next-line(unsafe-typecast) shardReward <= MAX_REWARD (checked at postJob)
            job.escrow -= uint192(reward);
            uint256 taskId = _postTask(jobId, p, round, i, initStateRoot);
            emit SegmentPosted(jobId, round, i, taskId, initStateRoot);
        }
    }

    /// @dev The outer step's h_0: the root of `global ‖ shardRoots_`, each part checked against the
    ///      root stored for it (the round's global root, each recorded shard root).
    function _outerInitRoot(
        uint256 jobId,
        uint16 round,
        uint256 shards,
        bytes32[] calldata global,
        bytes32[] calldata shardRoots_
    ) private view returns (bytes32) {
        Wiring storage w = wirings[jobId];
        uint256 g = w.globalSlots;
        uint256 t = w.shardSlots;
        if (global.length != g) revert Errors.GlobalLength(global.length, g);
        if (shardRoots_.length != shards * t) revert Errors.ShardRootsLength(shardRoots_.length, shards * t);
        bytes32 got = Merkle.rootOf(global);
        bytes32 expected = globalRoots[jobId][round];
        if (got != expected) revert Errors.GlobalRootMismatch(got, expected);
        for (uint256 i = 0; i < shards; i++) {
            got = Merkle.rootOf(shardRoots_[i * t:(i + 1) * t]);
            expected = shardRoots[jobId][_key(round, i)];
            if (got != expected) revert Errors.ShardRootMismatch(i, got, expected);
        }
        return Merkle.rootOf(_concat(global, shardRoots_));
    }

    /// @dev `a ‖ b` in memory.
    function _concat(bytes32[] calldata a, bytes32[] calldata b) private pure returns (bytes32[] memory c) {
        c = new bytes32[](a.length + b.length);
        for (uint256 j = 0; j < a.length; j++) {
            c[j] = a[j];
        }
        for (uint256 j = 0; j < b.length; j++) {
            c[a.length + j] = b[j];
        }
    }

    /// @dev A segment's h_0: the root of its state slots, each the global root it is wired to or its
    ///      constant (the fresh inner optimizer state). Every shard of a round starts from it.
    function _segmentInitRoot(Wiring storage w, bytes32[] memory global) private view returns (bytes32) {
        uint16[] storage init = w.segmentInit;
        bytes32[] memory slots = new bytes32[](init.length);
        for (uint256 j = 0; j < slots.length; j++) {
            uint16 source = init[j];
            slots[j] = source == NO_SOURCE ? w.segmentConst[j] : global[source];
        }
        return Merkle.rootOf(slots);
    }

    /// @dev Posts task `index` (a shard, or OUTER_INDEX) of round `round` with its reward (already
    ///      taken from the job's escrow) and records which job it belongs to.
    function _postTask(uint256 jobId, JobParams storage p, uint16 round, uint16 index, bytes32 initStateRoot)
        private
        returns (uint256 taskId)
    {
        uint256 reward = index == OUTER_INDEX ? p.outerReward : p.shardReward;
        _cover(reward);
        taskId = MARKET.postTask{value: reward}(_taskParams(p, round, index, initStateRoot));
        taskIds[jobId][_key(round, index)] = taskId;
        // forge-lint: disable-next-line(unsafe-typecast) job ids count up by one from 1, far below 2^224
        taskRefs[taskId] = TaskRef({jobId: uint224(jobId), round: round, index: index});
    }

    /// @dev The market parameters of task `index` of round `round`: a segment trains innerSteps steps
    ///      on its shard's rows with its round's graph, the outer step one step with the outer graph.
    function _taskParams(JobParams storage p, uint16 round, uint16 index, bytes32 initStateRoot)
        private
        view
        returns (TaskParams memory)
    {
        bool outer = index == OUTER_INDEX;
        return TaskParams({
            specHash: keccak256(abi.encode(p.specHash, round, index)),
            specURI: p.specURI,
            datasetRoot: outer ? p.outerDatasetRoot : p.shardDatasetRoots[index],
            initStateRoot: initStateRoot,
            graphRoot: outer ? p.outerGraphRoot : p.segmentGraphRoots[uint256(round) * p.shards + index],
            steps: outer ? 1 : p.innerSteps,
            checkpointEvery: outer ? 1 : p.checkpointEvery,
            minStake: p.minStake,
            // fits: checked at postJob with an earlier timestamp, and timestamps stay far below 2^64
            deadline: uint64(block.timestamp + p.taskTimeout),
            challengeWindow: p.challengeWindow
        });
    }

    /// @dev The `leaves` of a finalised task's final state, checked against the h_S the market stored.
    function _finalLeaves(uint256 taskId, bytes32[] calldata leaves, uint256 nodes)
        private
        view
        returns (bytes32[] memory copy)
    {
        Task memory task = MARKET.getTask(taskId);
        if (task.status != TaskStatus.Finalized) revert Errors.TaskNotFinalized(taskId, task.status);
        if (leaves.length != nodes) revert Errors.WrongLeafCount(leaves.length, nodes);
        copy = leaves;
        bytes32 root = Merkle.rootOf(copy);
        if (root != task.finalStateRoot) revert Errors.LeavesNotFinalState(root, task.finalStateRoot);
    }

    /// @dev The nodes named by a wiring's outputs, in its order (every entry is below the node count:
    ///      checked at postJob).
    function _pick(bytes32[] memory nodes, uint32[] storage out) private view returns (bytes32[] memory picked) {
        picked = new bytes32[](out.length);
        for (uint256 k = 0; k < picked.length; k++) {
            picked[k] = nodes[out[k]];
        }
    }

    /// @dev Whether a current task is Refunded; reverts if it may still change (not final).
    function _isRefunded(uint256 taskId) private view returns (bool) {
        TaskStatus status = MARKET.taskStatus(taskId);
        if (status == TaskStatus.Refunded) return true;
        if (status != TaskStatus.Finalized && status != TaskStatus.Cancelled) {
            revert Errors.RoundStillRunning(taskId, status);
        }
        return false;
    }

    /// @dev Makes this contract's balance at least `amount` by taking its StakeManager credit (the
    ///      refunded rewards and slash shares) when it is short. By the money invariant the credit covers the gap: the
    ///      balance can be short only after a withdrawal was paid from other jobs' escrow while the
    ///      refunds that back it were still credited at the StakeManager.
    function _cover(uint256 amount) private {
        if (address(this).balance < amount) STAKE_MANAGER.withdrawCredit();
    }

    /// @dev Credits the job's submitter the slash shares the market credited this contract for task
    ///      `taskId`. Called once per task, when it is settled for the job (a final task's share no
    ///      longer grows).
    function _creditSlashShare(uint256 jobId, address submitter, uint256 taskId) private {
        uint256 amount = MARKET.submitterSlashShare(taskId);
        if (amount == 0) return;
        credits[submitter] += amount;
        emit SlashShareCredited(jobId, taskId, amount);
    }

    function _key(uint256 round, uint256 index) private pure returns (uint256) {
        return round << 16 | index;
    }
}
