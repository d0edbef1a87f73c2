// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "./Errors.sol";
import {Owned} from "./Owned.sol";
import {StakeManager} from "./StakeManager.sol";
import {RootKind, Task, TaskParams, TaskStatus} from "./Task.sol";
import {Merkle} from "./lib/Merkle.sol";

/// @notice What the market asks of a dispute game before it accepts it (`DisputeGame` has both).
interface IMarketJackpot {
    function MARKET() external view returns (address);

    function POT() external view returns (uint256);

    function reserve(address operator) external;

    function release(address operator) external;

    function deposit(uint256 taskId, address operator) external payable;

    function onSubmitted(uint256 taskId) external;

    function isAssigned(uint256 taskId, address account) external view returns (bool);

    function openPot(
        uint256 taskId,
        address operator,
        bytes32 honestLeaf,
        bytes32 traceRoot,
        uint64 submittedAt,
        uint64 sealEndsAt,
        uint64 catchEndsAt
    ) external;
}

interface IMarketDisputeGame {
    /// @notice The market whose hooks the game calls.
    function MARKET() external view returns (address);

    /// @notice The stake manager through which the game locks and slashes.
    function STAKE_MANAGER() external view returns (address);
}

/// @title TaskMarket
/// @notice Training tasks with an escrowed reward: post, claim (locking operator stake), submit a
///         trace root with its final state h_S (the model, checked to be the trace's last leaf),
///         survive the challenge window, get paid. Every non-final state has an exit
///         anyone can trigger after a timeout (see `TaskStatus` for the transitions).
///
///         Money: the market holds exactly the rewards of live tasks (Open, Claimed, Submitted,
///         Voided). Every payout (reward, refund) is forwarded to the StakeManager's credit ledger,
///         from which owners withdraw; the market never sends ETH anywhere else.
///         Stake: the market locks `minStake` of the operator at claim (the task stake) and releases
///         it when the task leaves Claimed/Submitted, except that a voided result's task stake stays
///         locked while a dispute game holds it as a game's collateral. INVARIANT: for every operator,
///         STAKE_MANAGER.lockedBy(operator, market) == sum of minStake over its Claimed/Submitted tasks
///         and its Voided tasks whose task stake a game still holds (`holdsTaskStake`).
///
///         Disputes (`docs/protocol.md`, "Several challengers"): the dispute game calls
///         `onDisputeOpened` for each game on a submitted result (queued ones included) and
///         `onDisputeResolved` or `onDisputeWithdrawn` for each when it ends. The first dispute the
///         operator loses voids the result. The market releases the task stake once the result is
///         void and no game holds it (`taskStakeFree`); the game slashes the operator through the
///         StakeManager and cannot touch the market's lock, so it calls the hook BEFORE slashing a
///         game that held the task stake, and the slash reaches the released stake. Disputes still
///         open on a voided result change nothing on the task; when the last one ends, the task
///         reopens for a new operator (if the deadline has not been reached) or refunds the
///         submitter. A voided result never comes back.
contract TaskMarket is Owned {
    /// @notice Basis-point denominator (100%).
    uint256 public constant BPS_DENOMINATOR = 10_000;

    /// @notice Time (seconds) the unbonding delay must leave after the longest challenge window and
    ///         dispute, so that a timeout or last move that becomes due at the end of a dispute can be
    ///         included before the loser's unbonding stake leaves: a day covers an OP-stack rollup's
    ///         forced-inclusion delay (its 12-hour sequencer window) twice over
    ///         (docs/protocol.md, "Deploy-time parameters").
    uint256 public constant UNBONDING_MARGIN = 1 days;

    /// @notice Least MISSED_DEADLINE_SLASH_BPS a market may be deployed with (5%): each eviction
    ///         (`evictClaim`) and each missed deadline must cost the operator a share of the task's
    ///         stake, or squatting a task until its deadline is free (docs/economics.md, "Claim squatting").
    uint256 public constant MIN_MISSED_DEADLINE_SLASH_BPS = 500;

    /// @notice Parts per million: the unit of `forcedErrorPpm`.
    uint32 public constant PPM = 1_000_000;

    /// @notice The stake and credit ledger.
    StakeManager public immutable STAKE_MANAGER;

    /// @notice Shortest challenge window a task may ask for (seconds): at least a block, so that a
    ///         dispute can land after the result; on a public chain, a verifier's replay time.
    uint64 public immutable MIN_CHALLENGE_WINDOW;

    /// @notice Longest challenge window a task may ask for (seconds).
    uint64 public immutable MAX_CHALLENGE_WINDOW;

    /// @notice Longest a dispute may last (seconds); bounds how long stake must stay slashable.
    uint64 public immutable MAX_DISPUTE_DURATION;

    /// @notice Share (basis points) of the locked stake slashed from an operator that misses the
    ///         deadline; the submitter is the winner of that slash.
    uint16 public immutable MISSED_DEADLINE_SLASH_BPS;

    /// @notice Smallest `minStake` a task may ask for (wei): a winning challenger is credited
    ///         `minStake · SLASH_WINNER_BPS / 10000`, which should cover its gas for a whole dispute.
    uint256 public immutable MIN_TASK_STAKE;

    /// @notice Seconds an operator has from its claim to submit before anyone may evict it
    ///         (`evictClaim`): slashed as for a missed deadline, the task reopens. Without it a
    ///         squatter could hold a task until its deadline and have it refunded, for one slash.
    uint64 public immutable CLAIM_TIMEOUT;

    /// @notice The contract allowed to call the dispute hooks (zero until set).
    address public disputeGame;

    /// @notice Number of tasks posted; task ids are 1..taskCount.
    uint256 public taskCount;

    mapping(uint256 taskId => Task) private tasks;

    /// @dev Voided tasks whose task stake the market still holds locked, because a dispute game held
    ///      it as a game's collateral at the void; cleared when it is released (exactly once).
    mapping(uint256 taskId => bool) private voidedStakeHeld;

    /// @notice A result's forced-error draw (docs/forced-errors.md): the operator's committed secret,
    ///         the block it was committed in, whose hash is the seed, and when it was revealed.
    struct Draw {
        bytes32 secretHash;
        bytes32 seed;
        uint64 committedBlock;
        uint64 revealedAt;
        uint64 forcedAt;
    }

    /// @notice The jackpot that pays for caught forced errors (zero: forced errors are off).
    address public jackpot;

    /// @notice Probability that a result is a forced error, in parts per million (0: off).
    uint32 public forcedErrorPpm;

    /// @notice Seconds of the reveal phase after a result's seal phase, and of the game phase after it.
    uint64 public auditWindow;

    /// @notice Share of every finalised reward (basis points) that goes to its operator's jackpot escrow.
    uint16 public jackpotBps;

    mapping(uint256 taskId => Draw) private draws;

    /// @notice Wei that missed-deadline slashes (`evictClaim`, `expire` of a Claimed task,
    ///         `forfeitUnrevealed`) credited the task's submitter, summed over the task's life. Exactly
    ///         the growth of the submitter's StakeManager credit those slashes caused, so a submitter
    ///         that pools credit for others (`DilocoJobs`) can tell which task the wei came from.
    /// @dev Gas: booking it adds ~24.4k to a first eviction or a Claimed task's expiry (a new slot and
    ///      two `creditOf` reads; `forge test --match-path test/TaskMarket.t.sol --gas-report`, max:
    ///      evictClaim 146,604 -> 171,037, expire 156,430 -> 180,866).
    mapping(uint256 taskId => uint256) public submitterSlashShare;

    /// @notice The dispute game was set.
    /// @param disputeGame The dispute game.
    event DisputeGameSet(address indexed disputeGame);

    event JackpotSet(address indexed jackpot, uint32 forcedErrorPpm, uint64 auditWindow, uint16 jackpotBps);

    event DrawCommitted(uint256 indexed taskId, address indexed operator, bytes32 secretHash, uint256 blockNumber);

    event DrawRevealed(uint256 indexed taskId, address indexed operator, bytes32 secret, uint256 challengeEndsAt);

    event ForcedErrorRevealed(
        uint256 indexed taskId,
        address indexed operator,
        uint256 leaf,
        bytes32 forcedLeaf,
        bytes32 honestLeaf,
        bytes32 traceRoot,
        bytes32 modelHash,
        uint256 challengeEndsAt
    );

    event DrawForfeited(uint256 indexed taskId, address indexed operator, uint256 slashed);

    /// @notice A task was posted; carries every field, so an indexer can rebuild the task from events.
    /// @param taskId The new task's id.
    /// @param submitter The poster, who gets refunds.
    /// @param reward Wei escrowed for the operator.
    /// @param specHash keccak256 of the task spec.
    /// @param specURI Where the spec can be fetched (not stored on chain).
    /// @param datasetRoot Merkle root of the dataset.
    /// @param initStateRoot h_0.
    /// @param graphRoot Merkle root of the step graph.
    /// @param steps Training steps.
    /// @param checkpointEvery Checkpoint interval in steps.
    /// @param minStake Stake the operator locks.
    /// @param deadline Submission deadline (unix seconds).
    /// @param challengeWindow Seconds disputes may be opened after submission.
    event TaskPosted(
        uint256 indexed taskId,
        address indexed submitter,
        uint256 reward,
        bytes32 specHash,
        string specURI,
        bytes32 datasetRoot,
        bytes32 initStateRoot,
        bytes32 graphRoot,
        uint32 steps,
        uint32 checkpointEvery,
        uint256 minStake,
        uint64 deadline,
        uint64 challengeWindow
    );

    /// @notice The submitter cancelled an unclaimed task; the reward is credited back.
    /// @param taskId The task.
    /// @param submitter The submitter.
    /// @param refund Wei credited to the submitter.
    event TaskCancelled(uint256 indexed taskId, address indexed submitter, uint256 refund);

    /// @notice An operator claimed a task.
    /// @param taskId The task.
    /// @param operator The operator.
    /// @param stakeLocked Wei of the operator's stake locked for the task.
    event TaskClaimed(uint256 indexed taskId, address indexed operator, uint256 stakeLocked);

    /// @notice The operator submitted its result; the challenge window starts.
    /// @param taskId The task.
    /// @param operator The operator.
    /// @param traceRoot Merkle root over the state commitments h_0..h_S.
    /// @param finalStateRoot h_S, the trained model's state commitment (checked to be leaf S of
    ///        `traceRoot`): the model the result delivers.
    /// @param modelHash Content hash of the final checkpoint in the artifact store (a locator; readers
    ///        check the file's state against `finalStateRoot`).
    /// @param challengeEndsAt Last second at which a dispute may be opened.
    event ResultSubmitted(
        uint256 indexed taskId,
        address indexed operator,
        bytes32 traceRoot,
        bytes32 finalStateRoot,
        bytes32 modelHash,
        uint256 challengeEndsAt
    );

    /// @notice The operator named the manifest of its published checkpoints (step -> content hash of
    ///         each checkpoint in the artifact store), so that verifiers can re-execute any checkpoint
    ///         interval without replaying from h_0. Nothing is stored: the event is the record, and the
    ///         newest one from the task's current operator counts.
    /// @param taskId The task.
    /// @param operator The operator.
    /// @param manifestHash keccak256 of the manifest's bytes (`tribunal/checkpoint_manifest.py`).
    event CheckpointsPublished(uint256 indexed taskId, address indexed operator, bytes32 manifestHash);

    /// @notice The dispute game opened a dispute on a task's result.
    /// @param taskId The task.
    /// @param operator The operator whose result is disputed.
    /// @param openDisputes Disputes open on the task afterwards.
    event TaskDisputed(uint256 indexed taskId, address indexed operator, uint32 openDisputes);

    /// @notice The dispute game resolved one dispute on a task's result.
    /// @param taskId The task.
    /// @param operator The operator whose result was disputed.
    /// @param operatorWon Whether the operator won this dispute.
    /// @param openDisputes Disputes still open on the task afterwards.
    event TaskDisputeResolved(uint256 indexed taskId, address indexed operator, bool operatorWon, uint32 openDisputes);

    /// @notice A queued dispute on the task's result was closed before it ran (withdrawn by its
    ///         challenger, or moot after a void).
    /// @param taskId The task.
    /// @param operator The operator whose result was disputed.
    /// @param openDisputes Disputes still open on the task afterwards.
    event TaskDisputeWithdrawn(uint256 indexed taskId, address indexed operator, uint32 openDisputes);

    /// @notice The operator lost a dispute: its result is void. Its lock for the task is released at
    ///         once if no game holds it (`stakeUnlocked` = minStake), else when that game ends
    ///         (`stakeUnlocked` = 0 here; `TaskStakeReleased` follows later).
    /// @param taskId The task.
    /// @param operator The operator.
    /// @param stakeUnlocked Wei released now (the game slashes separately).
    event TaskVoided(uint256 indexed taskId, address indexed operator, uint256 stakeUnlocked);

    /// @notice The market released the task stake of a voided result (at the void, or when the game
    ///         that held it as collateral ended); emitted once per voided result.
    /// @param taskId The task.
    /// @param operator The operator.
    /// @param amount Wei unlocked (the task's minStake).
    event TaskStakeReleased(uint256 indexed taskId, address indexed operator, uint256 amount);

    /// @notice A voided task is open again for any operator, same reward and deadline.
    /// @param taskId The task.
    event TaskReopened(uint256 indexed taskId);

    /// @notice The result stood: the reward is credited to the operator and its stake released.
    /// @param taskId The task.
    /// @param operator The operator.
    /// @param reward Wei credited to the operator.
    event TaskFinalized(uint256 indexed taskId, address indexed operator, uint256 reward);

    /// @notice The operator did not submit within CLAIM_TIMEOUT of its claim and was evicted; the task
    ///         reopens (`TaskReopened` follows).
    /// @param taskId The task.
    /// @param operator The evicted operator.
    /// @param slashed Wei slashed from the operator (part credited to the submitter, rest burned).
    event ClaimEvicted(uint256 indexed taskId, address indexed operator, uint256 slashed);

    /// @notice The deadline passed without a result.
    /// @param taskId The task.
    /// @param operator The operator that missed it (zero if the task was never claimed).
    /// @param slashed Wei slashed from the operator (part credited to the submitter, rest burned).
    event TaskExpired(uint256 indexed taskId, address indexed operator, uint256 slashed);

    /// @notice The reward went back to the submitter (expiry, or a voided result too late to reopen).
    /// @param taskId The task.
    /// @param submitter The submitter.
    /// @param amount Wei credited to the submitter.
    event TaskRefunded(uint256 indexed taskId, address indexed submitter, uint256 amount);

    /// @param stakeManager The stake and credit ledger; its UNBONDING_DELAY must be at least
    ///        maxChallengeWindow + maxDisputeDuration + UNBONDING_MARGIN so no stake leaves before a slash.
    /// @param maxChallengeWindow Longest challenge window a task may ask for (> 0).
    /// @param maxDisputeDuration Longest a dispute may last (> 0).
    /// @param missedDeadlineSlashBps Share of the locked stake slashed on a missed deadline or an eviction
    ///        (MIN_MISSED_DEADLINE_SLASH_BPS..10000).
    /// @param minChallengeWindow Shortest challenge window a task may ask for (1..maxChallengeWindow).
    /// @param minTaskStake Smallest `minStake` a task may ask for (> 0).
    /// @param claimTimeout Seconds from a claim to its submission before the claim may be evicted (> 0).
    constructor(
        StakeManager stakeManager,
        uint64 maxChallengeWindow,
        uint64 maxDisputeDuration,
        uint16 missedDeadlineSlashBps,
        uint64 minChallengeWindow,
        uint256 minTaskStake,
        uint64 claimTimeout
    ) {
        if (address(stakeManager) == address(0)) revert Errors.ZeroAddress();
        if (maxChallengeWindow == 0) revert Errors.ZeroMaxChallengeWindow();
        if (maxDisputeDuration == 0) revert Errors.ZeroMaxDisputeDuration();
        if (missedDeadlineSlashBps > BPS_DENOMINATOR) {
            revert Errors.BpsTooHigh(missedDeadlineSlashBps, BPS_DENOMINATOR);
        }
        if (missedDeadlineSlashBps < MIN_MISSED_DEADLINE_SLASH_BPS) {
            revert Errors.MissedDeadlineSlashTooLow(missedDeadlineSlashBps, MIN_MISSED_DEADLINE_SLASH_BPS);
        }
        if (minChallengeWindow == 0 || minChallengeWindow > maxChallengeWindow) {
            revert Errors.MinChallengeWindowOutOfRange(minChallengeWindow, maxChallengeWindow);
        }
        if (minTaskStake == 0) revert Errors.ZeroMinTaskStake();
        if (claimTimeout == 0) revert Errors.ZeroClaimTimeout();
        uint256 required = uint256(maxChallengeWindow) + maxDisputeDuration + UNBONDING_MARGIN;
        uint256 delay = stakeManager.UNBONDING_DELAY();
        // INVARIANT: stake that starts unbonding when a result is submitted stays slashable until
        // the last dispute on that result can have ended AND its outcome can have been included.
        if (delay < required) revert Errors.UnbondingDelayTooShort(delay, required);
        STAKE_MANAGER = stakeManager;
        MAX_CHALLENGE_WINDOW = maxChallengeWindow;
        MAX_DISPUTE_DURATION = maxDisputeDuration;
        MISSED_DEADLINE_SLASH_BPS = missedDeadlineSlashBps;
        MIN_CHALLENGE_WINDOW = minChallengeWindow;
        MIN_TASK_STAKE = minTaskStake;
        CLAIM_TIMEOUT = claimTimeout;
    }

    /// @dev msg.sender is never zero, so an unset dispute game admits nobody.
    modifier onlyDisputeGame() {
        if (msg.sender != disputeGame) revert Errors.NotDisputeGame(msg.sender);
        _;
    }

    /// @notice Sets the dispute game once; it must already be the StakeManager's dispute game, and it
    ///         must name this market and the same StakeManager.
    /// @param disputeGame_ The dispute game.
    function setDisputeGame(address disputeGame_) external onlyOwner {
        if (disputeGame != address(0)) revert Errors.DisputeGameAlreadySet(disputeGame);
        if (disputeGame_ == address(0)) revert Errors.ZeroAddress();
        address stakeManagerGame = STAKE_MANAGER.disputeGame();
        if (disputeGame_ != stakeManagerGame) revert Errors.DisputeGameMismatch(disputeGame_, stakeManagerGame);
        if (disputeGame_.code.length == 0) revert Errors.DisputeGameNotContract(disputeGame_);
        // INVARIANT: the game's hooks report games opened on this market's tasks, slashed through
        // this market's StakeManager.
        address gameMarket = IMarketDisputeGame(disputeGame_).MARKET();
        if (gameMarket != address(this)) revert Errors.DisputeGameMarketMismatch(gameMarket, address(this));
        address gameStakeManager = IMarketDisputeGame(disputeGame_).STAKE_MANAGER();
        if (gameStakeManager != address(STAKE_MANAGER)) {
            revert Errors.StakeManagerMismatch(gameStakeManager, address(STAKE_MANAGER));
        }
        disputeGame = disputeGame_;
        emit DisputeGameSet(disputeGame_);
    }

    /// @notice Turns forced errors on (docs/forced-errors.md), once, before any task is posted: the
    ///         rules are fixed at deploy.
    /// @param jackpot_ The Jackpot contract serving this market.
    /// @param forcedErrorPpm_ Probability of a forced error per result, 1..1,000,000 ppm.
    /// @param auditWindow_ Seconds of the reveal phase and of the game phase (> 0).
    /// @param jackpotBps_ Share of each finalised reward that goes to its operator's jackpot escrow, 0..10,000.
    function setJackpot(address jackpot_, uint32 forcedErrorPpm_, uint64 auditWindow_, uint16 jackpotBps_)
        external
        onlyOwner
    {
        if (jackpot != address(0)) revert Errors.JackpotAlreadySet(jackpot);
        if (taskCount != 0) revert Errors.JackpotSetAfterTasks(taskCount);
        if (jackpot_ == address(0)) revert Errors.ZeroAddress();
        if (jackpot_.code.length == 0) revert Errors.JackpotNotContract(jackpot_);
        address jackpotMarket = IMarketJackpot(jackpot_).MARKET();
        if (jackpotMarket != address(this)) revert Errors.JackpotMarketMismatch(jackpotMarket, address(this));
        if (forcedErrorPpm_ == 0 || forcedErrorPpm_ > PPM) revert Errors.ForcedErrorPpmOutOfRange(forcedErrorPpm_);
        if (auditWindow_ == 0) revert Errors.ZeroAuditWindow();
        if (jackpotBps_ > BPS_DENOMINATOR) revert Errors.BpsTooHigh(jackpotBps_, BPS_DENOMINATOR);
        // INVARIANT: as in the constructor, with the longest timeline of a result under forced
        // errors: a forced result's fresh window ends at most 2W + A after submission, a plain one's
        // game phase 2A after its seal phase.
        uint256 required =
            2 * uint256(MAX_CHALLENGE_WINDOW) + 2 * uint256(auditWindow_) + MAX_DISPUTE_DURATION + UNBONDING_MARGIN;
        uint256 delay = STAKE_MANAGER.UNBONDING_DELAY();
        if (delay < required) revert Errors.UnbondingDelayTooShort(delay, required);
        jackpot = jackpot_;
        forcedErrorPpm = forcedErrorPpm_;
        auditWindow = auditWindow_;
        jackpotBps = jackpotBps_;
        emit JackpotSet(jackpot_, forcedErrorPpm_, auditWindow_, jackpotBps_);
    }

    // ---------------------------------------------------------------- submitter

    /// @notice Posts a task with msg.value as its escrowed reward.
    /// @param p The task's parameters (see `TaskParams`).
    /// @return taskId The new task's id (ids start at 1).
    function postTask(TaskParams calldata p) external payable returns (uint256 taskId) {
        if (msg.value == 0) revert Errors.ZeroReward();
        if (p.deadline <= block.timestamp) revert Errors.DeadlineInPast(p.deadline, block.timestamp);
        if (p.steps == 0) revert Errors.ZeroSteps();
        if (p.checkpointEvery == 0 || p.checkpointEvery > p.steps) {
            revert Errors.BadCheckpointInterval(p.checkpointEvery, p.steps);
        }
        if (p.challengeWindow < MIN_CHALLENGE_WINDOW || p.challengeWindow > MAX_CHALLENGE_WINDOW) {
            revert Errors.ChallengeWindowOutOfRange(p.challengeWindow, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW);
        }
        if (p.minStake < MIN_TASK_STAKE) revert Errors.MinStakeBelowFloor(p.minStake, MIN_TASK_STAKE);
        if (bytes(p.specURI).length == 0) revert Errors.EmptySpecURI();
        if (p.specHash == bytes32(0)) revert Errors.ZeroRoot(RootKind.Spec);
        if (p.datasetRoot == bytes32(0)) revert Errors.ZeroRoot(RootKind.Dataset);
        if (p.initStateRoot == bytes32(0)) revert Errors.ZeroRoot(RootKind.InitState);
        if (p.graphRoot == bytes32(0)) revert Errors.ZeroRoot(RootKind.Graph);

        taskId = ++taskCount;
        Task storage t = tasks[taskId];
        t.submitter = msg.sender;
        t.deadline = p.deadline;
        t.steps = p.steps;
        t.challengeWindow = p.challengeWindow;
        t.checkpointEvery = p.checkpointEvery;
        t.status = TaskStatus.Open;
        t.reward = msg.value;
        t.minStake = p.minStake;
        t.specHash = p.specHash;
        t.datasetRoot = p.datasetRoot;
        t.initStateRoot = p.initStateRoot;
        t.graphRoot = p.graphRoot;
        _emitPosted(taskId, p);
    }

    /// @notice Cancels an unclaimed task; the reward is credited back to the submitter.
    /// @param taskId The task (must be Open, caller must be its submitter).
    function cancel(uint256 taskId) external {
        Task storage t = tasks[taskId];
        _requireStatus(taskId, t.status, TaskStatus.Open);
        if (msg.sender != t.submitter) revert Errors.NotSubmitter(msg.sender, t.submitter);
        t.status = TaskStatus.Cancelled;
        emit TaskCancelled(taskId, msg.sender, t.reward);
        STAKE_MANAGER.credit{value: t.reward}(msg.sender);
    }

    // ---------------------------------------------------------------- operator

    /// @notice Claims an open task, locking `minStake` of the caller's free stake until the task settles.
    /// @param taskId The task (must be Open and before its deadline; not the caller's own).
    function claim(uint256 taskId) external {
        Task storage t = tasks[taskId];
        _requireStatus(taskId, t.status, TaskStatus.Open);
        if (block.timestamp > t.deadline) revert Errors.DeadlinePassed(t.deadline, block.timestamp);
        if (msg.sender == t.submitter) revert Errors.SelfClaim();
        t.status = TaskStatus.Claimed;
        t.operator = msg.sender;
        t.claimedAt = uint64(block.timestamp);
        uint256 minStake = t.minStake;
        emit TaskClaimed(taskId, msg.sender, minStake);
        // Reverts StakeTooLow(free, minStake) if the caller's free stake is short.
        STAKE_MANAGER.lock(msg.sender, minStake);
        // INVARIANT: every claimed result's forced error can pay its catchers a whole pot: the claim
        // reserves one of the operator's escrow (AuditEscrowTooLow otherwise) until the task settles.
        if (forcedErrorPpm != 0) IMarketJackpot(jackpot).reserve(msg.sender);
    }

    /// @notice Submits the result of a claimed task; the challenge window starts now.
    /// @dev The model is bound to the trace here: `finalStateRoot` must be leaf S (index `steps`) of
    ///      the S + 1 leaves h_0..h_S under `traceRoot` (a proof of exactly treeDepth(S + 1) siblings),
    ///      so a dispute that settles the trace root settles the model's state as well. An honest
    ///      trace submitted with another state's commitment is refused (`FinalStateNotInTrace`).
    ///      Gas (whole transaction, `forge test --isolate --gas-report`): ~108k at S = 100 (7
    ///      siblings), ~117k at S = 2^32 - 1 (32 siblings); 79,136 before the model was bound. The
    ///      difference is the stored h_S (~22k) and the proof (~182 gas plus 32 calldata bytes per
    ///      sibling); `test/TaskMarketFinalState.t.sol` logs it by depth.
    /// @param taskId The task (must be Claimed by the caller, not past its deadline).
    /// @param traceRoot Merkle root over the state commitments h_0..h_S (non-zero).
    /// @param finalStateRoot h_S, the state commitment of the trained model (non-zero).
    /// @param finalStateProof The siblings of leaf S in the trace tree, bottom-up.
    /// @param modelHash Content hash of the final checkpoint in the artifact store (non-zero).
    function submitResult(
        uint256 taskId,
        bytes32 traceRoot,
        bytes32 finalStateRoot,
        bytes32[] calldata finalStateProof,
        bytes32 modelHash
    ) external {
        Task storage t = tasks[taskId];
        _requireStatus(taskId, t.status, TaskStatus.Claimed);
        if (msg.sender != t.operator) revert Errors.NotOperator(msg.sender, t.operator);
        if (block.timestamp > t.deadline) revert Errors.DeadlinePassed(t.deadline, block.timestamp);
        if (traceRoot == bytes32(0)) revert Errors.ZeroRoot(RootKind.Trace);
        if (finalStateRoot == bytes32(0)) revert Errors.ZeroRoot(RootKind.FinalState);
        if (modelHash == bytes32(0)) revert Errors.ZeroRoot(RootKind.Model);
        uint256 steps = t.steps;
        if (!Merkle.verify(finalStateRoot, steps, finalStateProof, traceRoot, steps + 1)) {
            revert Errors.FinalStateNotInTrace(finalStateRoot, traceRoot);
        }
        if (forcedErrorPpm != 0) _fixSeed(taskId);
        t.status = TaskStatus.Submitted;
        t.submittedAt = uint64(block.timestamp);
        t.traceRoot = traceRoot;
        t.modelHash = modelHash;
        t.finalStateRoot = finalStateRoot;
        emit ResultSubmitted(taskId, msg.sender, traceRoot, finalStateRoot, modelHash, _challengeEndsAt(taskId, t));
        // the committee that may catch a forced error is drawn from this block's hash
        if (forcedErrorPpm != 0) IMarketJackpot(jackpot).onSubmitted(taskId);
    }

    /// @notice Names the manifest of the checkpoints the operator published for a task it is training
    ///         or has submitted. It changes no state; checkpoints are published so that verifiers can
    ///         spot-check intervals, and a verifier that finds none recomputes the whole run instead.
    /// @dev Gas: ~28k execution (forge 1.7.1, `test/TaskMarketCheckpoints.t.sol`), plus the 21k base.
    /// @param taskId The task (must be Claimed or Submitted by the caller).
    /// @param manifestHash keccak256 of the manifest in the artifact store (non-zero).
    function publishCheckpoints(uint256 taskId, bytes32 manifestHash) external {
        Task storage t = tasks[taskId];
        TaskStatus status = t.status;
        if (status != TaskStatus.Submitted) _requireStatus(taskId, status, TaskStatus.Claimed);
        if (msg.sender != t.operator) revert Errors.NotOperator(msg.sender, t.operator);
        if (manifestHash == bytes32(0)) revert Errors.ZeroRoot(RootKind.Checkpoints);
        emit CheckpointsPublished(taskId, msg.sender, manifestHash);
    }

    /// @notice Commits the operator's forced-error draw for its claim of `taskId`: the hash of a
    ///         secret only it knows. The hash of the block this lands in is the seed; submit the result
    ///         in a later block (and within 256 blocks).
    /// @dev Once per claim, so the operator cannot retry a draw it dislikes.
    /// @param taskId The task (must be Claimed by the caller).
    /// @param secretHash keccak256 of the operator's 32-byte secret (non-zero).
    function commitDraw(uint256 taskId, bytes32 secretHash) external {
        if (forcedErrorPpm == 0) revert Errors.ForcedErrorsOff();
        Task storage t = tasks[taskId];
        _requireStatus(taskId, t.status, TaskStatus.Claimed);
        if (msg.sender != t.operator) revert Errors.NotOperator(msg.sender, t.operator);
        if (secretHash == bytes32(0)) revert Errors.ZeroSecretHash();
        Draw storage d = draws[taskId];
        if (d.committedBlock != 0) revert Errors.DrawAlreadyCommitted(taskId);
        d.secretHash = secretHash;
        d.committedBlock = uint64(block.number);
        emit DrawCommitted(taskId, msg.sender, secretHash, block.number);
    }

    /// @notice Reveals a draw that is not forced, after the seal phase and before the reveal phase
    ///         ends; games may open from now on.
    /// @param taskId The task (must be Submitted by the caller).
    /// @param secret The committed secret.
    function revealDraw(uint256 taskId, bytes32 secret) external {
        (Task storage t, Draw storage d) = _revealable(taskId, secret);
        (bool forced,) = forcedDraw(secret, d.seed, taskId, t.steps, t.checkpointEvery, forcedErrorPpm);
        if (forced) revert Errors.ForcedErrorMustBeRevealed(taskId);
        d.revealedAt = uint64(block.timestamp);
        emit DrawRevealed(taskId, msg.sender, secret, _challengeEndsAt(taskId, t));
    }

    /// @notice Reveals a forced error: the submitted trace differs from the honest one only in leaf L,
    ///         an interior committed state. The honest leaf replaces it, the model hash becomes the
    ///         honest model file's, the challenge window starts again (games allowed at once) and the
    ///         jackpot opens the error's pot. The operator is not slashed.
    /// @param taskId The task (must be Submitted by the caller).
    /// @param secret The committed secret (its draw must be forced).
    /// @param forcedLeaf Leaf L of the submitted trace.
    /// @param honestLeaf The honest h_L (non-zero, not `forcedLeaf`).
    /// @param proof The siblings of leaf L (the same in both trees), bottom-up.
    /// @param modelHash Content hash of the honest final checkpoint (non-zero).
    function revealForcedError(
        uint256 taskId,
        bytes32 secret,
        bytes32 forcedLeaf,
        bytes32 honestLeaf,
        bytes32[] calldata proof,
        bytes32 modelHash
    ) external {
        (Task storage t, Draw storage d) = _revealable(taskId, secret);
        (bool forced, uint256 leaf) = forcedDraw(secret, d.seed, taskId, t.steps, t.checkpointEvery, forcedErrorPpm);
        if (!forced) revert Errors.NotAForcedError(taskId);
        if (honestLeaf == bytes32(0) || honestLeaf == forcedLeaf) revert Errors.ForcedLeafUnchanged(honestLeaf);
        if (modelHash == bytes32(0)) revert Errors.ZeroRoot(RootKind.Model);
        if (!Merkle.verify(forcedLeaf, leaf, proof, t.traceRoot, uint256(t.steps) + 1)) {
            revert Errors.ForcedLeafNotInTrace(leaf, forcedLeaf);
        }
        bytes32 root = Merkle.processProof(honestLeaf, leaf, proof);
        t.traceRoot = root;
        t.modelHash = modelHash;
        d.revealedAt = uint64(block.timestamp);
        d.forcedAt = uint64(block.timestamp);
        uint256 endsAt = _challengeEndsAt(taskId, t);
        emit ForcedErrorRevealed(taskId, msg.sender, leaf, forcedLeaf, honestLeaf, root, modelHash, endsAt);
        uint64 sealEndsAt = t.submittedAt + t.challengeWindow;
        IMarketJackpot(jackpot)
            .openPot(
                taskId, msg.sender, honestLeaf, root, t.submittedAt, sealEndsAt, uint64(block.timestamp) + auditWindow
            );
    }

    // ---------------------------------------------------------------- anyone, after a timeout

    /// @notice Settles a result whose operator never revealed its draw: after the game phase, with no
    ///         dispute open, `MISSED_DEADLINE_SLASH_BPS` of its stake goes to the submitter, the rest is
    ///         released, and the task reopens (or is refunded after its deadline).
    /// @param taskId The task (must be Submitted, its draw unrevealed, its game phase over).
    function forfeitUnrevealed(uint256 taskId) external {
        if (forcedErrorPpm == 0) revert Errors.ForcedErrorsOff();
        Task storage t = tasks[taskId];
        _requireStatus(taskId, t.status, TaskStatus.Submitted);
        if (draws[taskId].revealedAt != 0) revert Errors.DrawRevealed(taskId);
        uint256 endsAt = _challengeEndsAt(taskId, t);
        if (block.timestamp <= endsAt) revert Errors.ChallengeWindowOpen(endsAt);
        if (t.openDisputes != 0) revert Errors.DisputesOpen(t.openDisputes);
        address operator = t.operator;
        t.status = TaskStatus.Voided;
        uint256 slashed = _slashMissedAndUnlock(taskId, operator, t.minStake, t.submitter);
        emit DrawForfeited(taskId, operator, slashed);
        _settleVoided(taskId, t);
    }

    /// @notice Pays a submitted result whose challenge window is over and which has no open dispute:
    ///         the reward is credited to the operator and its stake released.
    /// @param taskId The task (must be Submitted).
    function finalize(uint256 taskId) external {
        Task storage t = tasks[taskId];
        _requireStatus(taskId, t.status, TaskStatus.Submitted);
        uint256 endsAt = _challengeEndsAt(taskId, t);
        if (block.timestamp <= endsAt) revert Errors.ChallengeWindowOpen(endsAt);
        // INVARIANT: a result with a dispute still open is never paid.
        if (t.openDisputes != 0) revert Errors.DisputesOpen(t.openDisputes);
        if (forcedErrorPpm != 0 && draws[taskId].revealedAt == 0) revert Errors.DrawNotRevealed(taskId);
        t.status = TaskStatus.Finalized;
        address operator = t.operator;
        uint256 reward = t.reward;
        uint256 cut = reward * jackpotBps / BPS_DENOMINATOR;
        emit TaskFinalized(taskId, operator, reward - cut);
        STAKE_MANAGER.unlock(operator, t.minStake);
        STAKE_MANAGER.credit{value: reward - cut}(operator);
        if (forcedErrorPpm != 0) {
            // a forced error's pot used the claim's reservation already
            if (draws[taskId].forcedAt == 0) IMarketJackpot(jackpot).release(operator);
            if (cut != 0) IMarketJackpot(jackpot).deposit{value: cut}(taskId, operator);
        }
    }

    /// @notice Settles a task whose deadline passed without a result. A Claimed task slashes
    ///         MISSED_DEADLINE_SLASH_BPS of the operator's locked stake (the submitter is the slash's
    ///         winner), releases the rest, and refunds the reward; an Open task just refunds.
    /// @param taskId The task (must be Open or Claimed, and past its deadline).
    function expire(uint256 taskId) external {
        Task storage t = tasks[taskId];
        TaskStatus status = t.status;
        if (status != TaskStatus.Open && status != TaskStatus.Claimed) revert Errors.NotExpirable(taskId, status);
        if (block.timestamp <= t.deadline) revert Errors.DeadlineNotPassed(t.deadline, block.timestamp);
        t.status = TaskStatus.Refunded;
        address operator = t.operator;
        address submitter = t.submitter;
        uint256 reward = t.reward;
        uint256 slashed;
        bool release = status == TaskStatus.Claimed && forcedErrorPpm != 0;
        delete draws[taskId];
        if (status == TaskStatus.Claimed) slashed = _slashMissedAndUnlock(taskId, operator, t.minStake, submitter);
        emit TaskExpired(taskId, operator, slashed);
        emit TaskRefunded(taskId, submitter, reward);
        STAKE_MANAGER.credit{value: reward}(submitter);
        if (release) IMarketJackpot(jackpot).release(operator);
    }

    /// @notice Evicts an operator that has not submitted within CLAIM_TIMEOUT of its claim: slashes
    ///         MISSED_DEADLINE_SLASH_BPS of its locked stake (the submitter is the slash's winner),
    ///         releases the rest, and reopens the task for any operator, same reward and deadline.
    ///         Until someone evicts it, the operator may still submit.
    /// @param taskId The task (must be Claimed, past claimedAt + CLAIM_TIMEOUT, not past its deadline;
    ///        after the deadline `expire` settles it).
    function evictClaim(uint256 taskId) external {
        Task storage t = tasks[taskId];
        _requireStatus(taskId, t.status, TaskStatus.Claimed);
        uint256 timeoutAt = uint256(t.claimedAt) + CLAIM_TIMEOUT;
        if (block.timestamp <= timeoutAt) revert Errors.ClaimNotTimedOut(timeoutAt, block.timestamp);
        if (block.timestamp > t.deadline) revert Errors.DeadlinePassed(t.deadline, block.timestamp);
        address operator = t.operator;
        t.status = TaskStatus.Open;
        t.operator = address(0);
        t.claimedAt = 0;
        delete draws[taskId];
        uint256 slashed = _slashMissedAndUnlock(taskId, operator, t.minStake, t.submitter);
        emit ClaimEvicted(taskId, operator, slashed);
        emit TaskReopened(taskId);
        if (forcedErrorPpm != 0) IMarketJackpot(jackpot).release(operator);
    }

    // ---------------------------------------------------------------- dispute game hooks

    /// @notice Records a new dispute on a submitted result; finalisation waits for it. With forced
    ///         errors on, the result's committee goes first: until `committeeFirstUntil`, only its
    ///         members may open games, so a cheater's own accounts (which are members only if drawn)
    ///         cannot take the task stake ahead of a member that found the fault.
    /// @param taskId The task (must be Submitted, inside its challenge window).
    /// @param challenger Who opens the game.
    function onDisputeOpened(uint256 taskId, address challenger) external onlyDisputeGame {
        Task storage t = tasks[taskId];
        _requireStatus(taskId, t.status, TaskStatus.Submitted);
        uint256 endsAt = _challengeEndsAt(taskId, t);
        if (block.timestamp > endsAt) revert Errors.ChallengeWindowClosed(endsAt);
        uint256 opensAt = _gamesOpenAt(taskId, t);
        if (block.timestamp < opensAt) revert Errors.GamesNotOpenYet(opensAt);
        if (forcedErrorPpm != 0) {
            uint256 firstUntil = opensAt + _committeeFirst(t);
            if (block.timestamp < firstUntil && !IMarketJackpot(jackpot).isAssigned(taskId, challenger)) {
                revert Errors.CommitteeGoesFirst(firstUntil);
            }
        }
        uint32 open = t.openDisputes + 1;
        t.openDisputes = open;
        emit TaskDisputed(taskId, t.operator, open);
    }

    /// @notice Records the end of one dispute on the task's result. The first lost dispute voids the
    ///         result. The task stake is released once the result is void and no game holds it: at
    ///         the void if `taskStakeFree`, else at the resolution of the game that held it (the game
    ///         slashes separately). Once no dispute is open on a voided result, the task reopens
    ///         (before its deadline) or refunds the submitter.
    /// @dev INVARIANT: the task stake of a voided result is unlocked exactly once (`voidedStakeHeld`).
    /// @param taskId The task (Submitted or Voided, with a dispute open).
    /// @param operatorWon Whether the operator won this dispute.
    /// @param taskStakeFree Whether, after this resolution, no game holds the task stake as its
    ///        collateral.
    function onDisputeResolved(uint256 taskId, bool operatorWon, bool taskStakeFree) external onlyDisputeGame {
        Task storage t = tasks[taskId];
        TaskStatus status = t.status;
        if (status != TaskStatus.Voided) _requireStatus(taskId, status, TaskStatus.Submitted);
        uint32 open = _closeDispute(taskId, t);
        address operator = t.operator;
        emit TaskDisputeResolved(taskId, operator, operatorWon, open);

        bool release;
        if (status == TaskStatus.Submitted && !operatorWon) {
            status = TaskStatus.Voided;
            t.status = TaskStatus.Voided;
            release = taskStakeFree;
            if (!taskStakeFree) voidedStakeHeld[taskId] = true;
            emit TaskVoided(taskId, operator, release ? t.minStake : 0);
        } else if (status == TaskStatus.Voided && taskStakeFree && voidedStakeHeld[taskId]) {
            voidedStakeHeld[taskId] = false;
            release = true;
        }
        uint256 minStake;
        if (release) {
            minStake = t.minStake;
            emit TaskStakeReleased(taskId, operator, minStake);
        }
        // INVARIANT: a voided task settles only when no dispute on its result is open, so no later
        // resolution can act on a task that moved on.
        if (status == TaskStatus.Voided && open == 0) _settleVoided(taskId, t);
        if (release) STAKE_MANAGER.unlock(operator, minStake);
    }

    /// @notice Records that a queued dispute on the task's result was closed before it ran
    ///         (withdrawn by its challenger, or moot after a void). Once no dispute is open on a
    ///         voided result, the task reopens (before its deadline) or refunds the submitter.
    /// @param taskId The task (Submitted or Voided, with a dispute open).
    function onDisputeWithdrawn(uint256 taskId) external onlyDisputeGame {
        Task storage t = tasks[taskId];
        TaskStatus status = t.status;
        if (status != TaskStatus.Voided) _requireStatus(taskId, status, TaskStatus.Submitted);
        uint32 open = _closeDispute(taskId, t);
        emit TaskDisputeWithdrawn(taskId, t.operator, open);
        if (status == TaskStatus.Voided && open == 0) _settleVoided(taskId, t);
    }

    // ---------------------------------------------------------------- views

    /// @notice The stored task (status None for an unknown id).
    /// @param taskId The task.
    /// @return The task.
    function getTask(uint256 taskId) external view returns (Task memory) {
        return tasks[taskId];
    }

    /// @notice Whether the market holds the task's stake locked on its operator: while the task is
    ///         Claimed or Submitted, and while a voided result's task stake backs a game.
    /// @param taskId The task.
    /// @return True if `minStake` of the task's operator is locked for this task.
    function holdsTaskStake(uint256 taskId) external view returns (bool) {
        TaskStatus status = tasks[taskId].status;
        return status == TaskStatus.Claimed || status == TaskStatus.Submitted
            || (status == TaskStatus.Voided && voidedStakeHeld[taskId]);
    }

    /// @notice The task's status.
    /// @param taskId The task.
    /// @return The status (None for an unknown id).
    function taskStatus(uint256 taskId) external view returns (TaskStatus) {
        return tasks[taskId].status;
    }

    /// @notice What the dispute game checks moves against.
    /// @param taskId The task.
    /// @return datasetRoot Merkle root of the dataset.
    /// @return initStateRoot h_0.
    /// @return graphRoot Merkle root of the step graph.
    /// @return traceRoot The operator's trace root (zero before submission).
    /// @return finalStateRoot h_S of the operator's result, leaf S of `traceRoot` (zero before submission).
    /// @return steps Training steps.
    /// @return operator The operator (zero while unclaimed).
    function taskRoots(uint256 taskId)
        external
        view
        returns (
            bytes32 datasetRoot,
            bytes32 initStateRoot,
            bytes32 graphRoot,
            bytes32 traceRoot,
            bytes32 finalStateRoot,
            uint32 steps,
            address operator
        )
    {
        Task storage t = tasks[taskId];
        return (t.datasetRoot, t.initStateRoot, t.graphRoot, t.traceRoot, t.finalStateRoot, t.steps, t.operator);
    }

    /// @notice Last second at which a dispute may be opened on the task's result.
    /// @param taskId The task.
    /// @return submittedAt + challengeWindow (zero before submission).
    function challengeEndsAt(uint256 taskId) external view returns (uint256) {
        Task storage t = tasks[taskId];
        return t.submittedAt == 0 ? 0 : _challengeEndsAt(taskId, t);
    }

    /// @notice When dispute games on the current result of `taskId` may open (0: at once). Under
    ///         forced errors: after the reveal, or once the reveal phase is over.
    function gamesOpenAt(uint256 taskId) external view returns (uint256) {
        Task storage t = tasks[taskId];
        return t.submittedAt == 0 ? 0 : _gamesOpenAt(taskId, t);
    }

    /// @notice Until when (exclusive) only the committee of the current result of `taskId` may open
    ///         games: `gamesOpenAt` + min(auditWindow, challengeWindow) / 2 (0: forced errors off or no
    ///         result). Both game phases last at least twice as long.
    function committeeFirstUntil(uint256 taskId) external view returns (uint256) {
        Task storage t = tasks[taskId];
        if (forcedErrorPpm == 0 || t.submittedAt == 0) return 0;
        return _gamesOpenAt(taskId, t) + _committeeFirst(t);
    }

    /// @notice The forced-error draw of the current claim or result of `taskId`.
    function drawOf(uint256 taskId) external view returns (Draw memory) {
        return draws[taskId];
    }

    /// @notice The draw: whether a result is a forced error and which committed leaf L it changes.
    ///         r = keccak256(abi.encode(secret, seed, taskId)); interior = (steps - 1) / every committed
    ///         steps lie strictly between 0 and S; forced iff interior > 0 and r % 1e6 < ppm;
    ///         L = every * (1 + (r / 1e6) % interior).
    /// @param secret The operator's secret.
    /// @param seed The hash of the block the draw was committed in.
    /// @param taskId The task.
    /// @param steps The task's S.
    /// @param every The task's checkpointEvery K.
    /// @param ppm The forced-error probability in parts per million.
    /// @return forced Whether the result must be a forced error.
    /// @return leaf The forced leaf L (0 when not forced).
    function forcedDraw(bytes32 secret, bytes32 seed, uint256 taskId, uint256 steps, uint256 every, uint256 ppm)
        public
        pure
        returns (bool forced, uint256 leaf)
    {
        if (every == 0 || steps == 0) return (false, 0);
        uint256 interior = (steps - 1) / every;
        uint256 r = uint256(keccak256(abi.encode(secret, seed, taskId)));
        forced = interior > 0 && r % PPM < ppm;
        if (forced) leaf = every * (1 + (r / PPM) % interior);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Slashes MISSED_DEADLINE_SLASH_BPS of `minStake` from an operator that held task `taskId`
    ///      without a result (its `submitter` is credited the winner's share, booked in
    ///      `submitterSlashShare`) and releases the rest of its lock.
    function _slashMissedAndUnlock(uint256 taskId, address operator, uint256 minStake, address submitter)
        private
        returns (uint256 slashed)
    {
        uint256 toSlash = minStake * MISSED_DEADLINE_SLASH_BPS / BPS_DENOMINATOR;
        // The market's lock on the operator covers this task's minStake, so the whole slash comes
        // from it: slashed == toSlash and the lock shrinks by exactly that.
        if (toSlash > 0) {
            uint256 creditBefore = STAKE_MANAGER.creditOf(submitter);
            slashed = STAKE_MANAGER.slash(operator, toSlash, submitter);
            // INVARIANT: the share booked is exactly what the slash credited the submitter.
            uint256 share = STAKE_MANAGER.creditOf(submitter) - creditBefore;
            if (share > 0) submitterSlashShare[taskId] += share;
        }
        if (minStake > slashed) STAKE_MANAGER.unlock(operator, minStake - slashed);
    }

    /// @dev One dispute fewer on the task; returns how many stay open.
    function _closeDispute(uint256 taskId, Task storage t) private returns (uint32 open) {
        open = t.openDisputes;
        if (open == 0) revert Errors.NoOpenDispute(taskId);
        open -= 1;
        t.openDisputes = open;
    }

    function _settleVoided(uint256 taskId, Task storage t) private {
        // the claim's reserved pot goes back, unless a forced error's pot used it
        address operator = t.operator;
        bool release = forcedErrorPpm != 0 && draws[taskId].forcedAt == 0;
        delete draws[taskId];
        if (block.timestamp < t.deadline) {
            t.status = TaskStatus.Open;
            t.operator = address(0);
            t.claimedAt = 0;
            t.submittedAt = 0;
            t.traceRoot = bytes32(0);
            t.modelHash = bytes32(0);
            t.finalStateRoot = bytes32(0);
            emit TaskReopened(taskId);
        } else {
            t.status = TaskStatus.Refunded;
            address submitter = t.submitter;
            emit TaskRefunded(taskId, submitter, t.reward);
            STAKE_MANAGER.credit{value: t.reward}(submitter);
        }
        if (release) IMarketJackpot(jackpot).release(operator);
    }

    function _emitPosted(uint256 taskId, TaskParams calldata p) private {
        emit TaskPosted(
            taskId,
            msg.sender,
            msg.value,
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
    }

    /// @dev The end of a result's game phase: its window (forced errors off); the fresh window after a
    ///      forced error's reveal; or the seal phase, the reveal phase and the game phase.
    function _challengeEndsAt(uint256 taskId, Task storage t) private view returns (uint256) {
        uint256 window = t.challengeWindow;
        if (forcedErrorPpm == 0) return uint256(t.submittedAt) + window;
        uint256 forcedAt = draws[taskId].forcedAt;
        if (forcedAt != 0) return forcedAt + window;
        return uint256(t.submittedAt) + window + 2 * uint256(auditWindow);
    }

    /// @dev The first second games may open on the current result (see `gamesOpenAt`).
    function _gamesOpenAt(uint256 taskId, Task storage t) private view returns (uint256) {
        if (forcedErrorPpm == 0) return 0;
        uint256 revealedAt = draws[taskId].revealedAt;
        if (revealedAt != 0) return revealedAt;
        return uint256(t.submittedAt) + t.challengeWindow + auditWindow + 1;
    }

    /// @dev How long the committee goes first once games open: half the shorter of the reveal phase
    ///      and the task's window (a plain result's game phase lasts >= auditWindow, a forced one's
    ///      the task's window).
    function _committeeFirst(Task storage t) private view returns (uint256) {
        uint256 window = t.challengeWindow;
        uint256 audit = auditWindow;
        return (audit < window ? audit : window) / 2;
    }

    /// @dev Stores the draw's seed at submission: the hash of the block the draw was committed in.
    function _fixSeed(uint256 taskId) private {
        Draw storage d = draws[taskId];
        uint256 committedBlock = d.committedBlock;
        if (committedBlock == 0) revert Errors.DrawNotCommitted(taskId);
        if (block.number <= committedBlock) revert Errors.DrawNotReady(committedBlock, block.number);
        bytes32 seed = blockhash(committedBlock);
        if (seed == bytes32(0)) revert Errors.DrawExpired(committedBlock);
        d.seed = seed;
    }

    /// @dev The checks of both reveals: forced errors on, the caller's Submitted result, its draw
    ///      unrevealed, the seal phase over and the reveal phase not, the secret the committed one.
    function _revealable(uint256 taskId, bytes32 secret) private view returns (Task storage t, Draw storage d) {
        if (forcedErrorPpm == 0) revert Errors.ForcedErrorsOff();
        t = tasks[taskId];
        _requireStatus(taskId, t.status, TaskStatus.Submitted);
        if (msg.sender != t.operator) revert Errors.NotOperator(msg.sender, t.operator);
        d = draws[taskId];
        if (d.revealedAt != 0) revert Errors.DrawAlreadyRevealed(taskId);
        uint256 sealEndsAt = uint256(t.submittedAt) + t.challengeWindow;
        if (block.timestamp <= sealEndsAt) revert Errors.RevealTooEarly(sealEndsAt);
        uint256 revealEndsAt = sealEndsAt + auditWindow;
        if (block.timestamp > revealEndsAt) revert Errors.RevealTooLate(revealEndsAt);
        bytes32 revealed = keccak256(abi.encode(secret));
        if (revealed != d.secretHash) revert Errors.DrawSecretMismatch(d.secretHash, revealed);
    }

    function _requireStatus(uint256 taskId, TaskStatus actual, TaskStatus expected) private pure {
        if (actual != expected) revert Errors.WrongStatus(taskId, actual, expected);
    }
}
