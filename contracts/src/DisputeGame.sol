// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AvailabilityProofs} from "./AvailabilityProofs.sol";
import {
    Availability,
    ChunkData,
    CollateralKind,
    GameStatus,
    GameView,
    Level,
    Party,
    Resolution,
    SlotProof,
    TaskStakeState
} from "./DisputeTypes.sol";
import {Errors} from "./Errors.sol";
import {GameProofs} from "./GameProofs.sol";
import {IDisputeGame} from "./IDisputeGame.sol";
import {IOneStepProver, InputShape, OperandProof, StepContext} from "./IOneStepProver.sol";
import {StakeManager} from "./StakeManager.sol";
import {RootKind, Task} from "./Task.sol";
import {TaskMarket} from "./TaskMarket.sol";
import {ChessClock, Clock} from "./lib/Clock.sol";
import {Commitments} from "./lib/Commitments.sol";
import {Descent} from "./lib/Descent.sol";
import {Merkle} from "./lib/Merkle.sol";

/// @title DisputeGame
/// @notice One game per challenge of a submitted training result (`docs/protocol.md, "The dispute game"`, the
///         binding interface). A challenger (C) posts its own trace root and a bond; C and the
///         task's operator (O) descend steps -> graph nodes -> output elements -> program
///         instructions by binary leftmost-difference descents, and the chain re-executes the one
///         float32 instruction they first disagree on (`IOneStepProver`). The move that finds the
///         loser records the verdict; `settle` (anyone, once) then slashes the loser through the
///         StakeManager with the winner credited, and the market learns the outcome.
///
///         Verdict and settlement (`docs/protocol.md`, "Resolution"). `oneStep` and a descent that
///         ends on padding or on h_0 only DECIDE the game: its status becomes OperatorWon or
///         ChallengerWon and `GameResolved` is emitted; no money moves. `settle(gameId)`, callable
///         by anyone once, does everything the verdict implies: the slash and the winner's credit,
///         the release of the bond and of the game's collateral, the market hook (void, reopen,
///         refund) and the advance of the task's queue. `claimTimeout` decides and settles in one
///         transaction (it is cheap, and whoever claims a timeout wants the money moved). Until a
///         decided game is settled it keeps its locks and its collateral, counts as open in the
///         market (`openDisputes`) and in the task's books (`taskDisputes.openGames`), so the result
///         can be neither finalized nor reopened; settling later than the verdict changes nothing but
///         when the effects happen, since every lock it moves is still held (locked stake cannot
///         unbond). Splitting keeps the last move (the one-step proof, ~1.9 KB of calldata and the
///         prover) apart from the settlement (~100k on a fresh chain), each well under a block's
///         share a rollup sequencer gives one transaction.
///
///         Moves. Reveal rounds (`reveal`, `commitSegment`, `revealOutputRoot`,
///         `commitIntermediates`) carry a party's own data: C moves first, then O; O's move completes
///         the round. Proof moves (`startStep`, `startNode`, `oneStep`) carry data anyone can check
///         against agreed roots; either party may send them, and they do not change whose clock runs
///         (C's, between rounds).
///
///         Commit intervals (protocol v2, issue #13 §1). With K = the task's checkpointEvery, step t
///         is committed iff t == 0, t == S or t % K == 0; the trace keeps S + 1 leaves, h_t at the
///         committed steps and zero elsewhere. The step descent ends at a leaf i: a leaf that is not
///         committed is judged like padding (a non-zero value loses; both non-zero: C loses); at a
///         committed i >= 1 with a = ((i - 1) / K) * K, either a == i - 1 and the game goes straight
///         to StepStart (K = 1 is protocol v1's game), or the Segment round (`commitSegment`) binds
///         each party's per-step states h_a..h_i (L = i - a + 1 leaves) to the agreed h_a and to its
///         own h_i, and a descent over them (SegmentSteps) finds t = a + j - 1, with h_t proven under
///         the operator's segment root at `startStep`.
///
///         Clocks. Each party has MAX_CLOCK seconds in total (a chess clock, `Clock`); only the party
///         on turn spends time. Every move requires the clock of the party on turn to be live, and
///         `claimTimeout` resolves against that party only once its accumulated time exceeds
///         MAX_CLOCK: never on time since the last move, never while the mover's clock is live.
///
///         Money. The game holds no ETH. C's bond is locked in the StakeManager at `open`; at
///         settlement a loser is slashed there (SLASH_WINNER_BPS to the winner as pull credit, the
///         rest burned), so no payout can fail or be re-entered here.
///
///         Collateral (`docs/protocol.md`, "Several challengers"). Every game that runs has its own
///         operator collateral, the task's minStake, locked for that game alone: the task stake (the
///         market's lock taken at `claim`, held by at most one game of the task at a time) or a
///         GameStake (minStake this game locks from the operator's free stake). A game that cannot
///         be collateralised waits, Queued, in the task's FIFO queue with no clock running; it is
///         funded by `advanceQueue` (run after every settlement and withdrawal on the task, and by
///         anyone), withdrawn by its challenger, or closed as moot once the result is voided and no
///         collateral can be found, its bond returned in full. So the winner of every game that runs
///         is paid w * minStake from that game's own collateral, whatever other games exist and in
///         whatever order they end, and a slash never touches another game's locks.
///
///         INVARIANT: a game's status moves None -> (Active | Queued), Queued -> (Active | Withdrawn),
///         Active -> (OperatorWon | ChallengerWon), each once; a decided game's `settled` flag goes
///         false -> true once; nothing else changes a closed game.
///         INVARIANT: STAKE_MANAGER.lockedBy(account, this) == CHALLENGER_BOND * (Active, Queued and
///         decided-unsettled games the account challenges) + sum of minStake over the Active and
///         decided-unsettled GameStake games against the account. Every lock, unlock and slash here
///         moves exactly one game's share, so settlement never reverts for want of a lock.
///         Every loop is bounded by a Merkle proof's length (checked against the tree's depth), by
///         the 8 lanes of a leaf, or by MAX_QUEUE_STEPS queue entries.
///
///         Gas (forge 1.7.1, solc 0.8.37, optimizer 200 runs, cancun; execution gas, without the
///         21000 base and calldata; `test/game/DisputeGameGas.t.sol`, table in
///         `contracts/GAS-dispute.md`): open ~390k (the task's roots are copied once; the task's
///         collateral state is a new slot for the first game on a result); a descent round
///         ~13k (challenger reveal) + ~23k (operator reveal) on average, at most 52k / 80k when a
///         round first writes a slot or reaches a leaf; startStep ~95k; startNode ~77k; output roots
///         ~10k + ~16k; intermediates ~86k (challenger, computes L through the prover) + ~43k;
///         oneStep with the real prover (the verdict only) ~60k-75k (prover ~34k); settle ~70k;
///         claimTimeout with settlement ~70k; advanceQueue funding a GameStake ~37k; commitSegment
///         ~43k (challenger) + ~45k (operator, starts the segment descent). A dispute of 43 rounds
///         (1000 steps, 128 nodes, 2^20 elements, programs of 4096) is 95 transactions and ~4.59M
///         gas with intrinsic gas; with commit intervals (K = 100: a Segment round and 7 more rounds
///         over a segment of 101 states) 111 transactions and ~5.28M.
///
///         Size (EIP-170): the proof checks of `startNode`, `commitIntermediates` and
///         `commitSegment` are in `GameProofs`, and those of availability challenges in
///         `AvailabilityProofs`, both created by the constructor (nothing to link); the StakeManager
///         calls made from several places go through one private wrapper each.
contract DisputeGame is IDisputeGame {
    using Clock for ChessClock;

    /// @notice The stake and credit ledger (locks bonds, slashes losers, credits winners).
    StakeManager public immutable STAKE_MANAGER;

    /// @notice The task market (source of the disputed result; told when a dispute opens and ends).
    TaskMarket public immutable MARKET;

    /// @notice Stake a challenger locks per game (wei); slashed if it loses.
    uint256 public immutable CHALLENGER_BOND;

    /// @notice Seconds each party's chess clock holds for the whole game.
    uint64 public immutable MAX_CLOCK;

    /// @notice Executes the final instruction (level 7).
    IOneStepProver public immutable ONE_STEP_PROVER;

    /// @notice Stake a challenger locks per chunk it names in an availability challenge (wei): the
    ///         operator is credited SLASH_WINNER_BPS of it when it delivers, which pays its gas.
    uint256 public immutable CHUNK_BOND;

    /// @notice Checks the proofs of availability challenges (created by the constructor; its
    ///         CHUNK_LEAVES is the chunk size).
    AvailabilityProofs public immutable AVAILABILITY_PROOFS;

    /// @notice Checks the proofs of `startNode`, `commitIntermediates` and `commitSegment` (created by
    ///         the constructor).
    GameProofs public immutable GAME_PROOFS;

    /// @notice Most queue entries one `advanceQueue` (or the advance after a settlement or withdrawal)
    ///         looks at, so its gas is bounded however many games wait.
    uint256 public constant MAX_QUEUE_STEPS = 8;

    /// @dev What the descents found, level by level (zero until reached).
    struct Found {
        uint256 step;
        bytes32 stateRoot;
        bytes32 nextStateOperator;
        bytes32 nextStateChallenger;
        bytes32 nodesRoot;
        uint256 numNodes;
        uint256 numSlots;
        uint256 node;
        bytes32 outputOperator;
        bytes32 outputChallenger;
        bytes32 descriptorHash;
        bytes32 shapeWord;
        uint256 numel;
        uint256 element;
        uint256 programLength;
        bytes32 intermediatesOperator;
        bytes32 intermediatesChallenger;
        uint256 instruction;
        bytes32 instructionLeaf;
        uint32 valueOperator;
        uint32 valueChallenger;
        uint32 claimOperator;
        uint32 claimChallenger;
    }

    /// @dev One game. The task's fields are copied at `open`: the game never re-reads the market, so
    ///      nothing the market does later can change what the game checks moves against.
    struct Game {
        address challenger;
        GameStatus status;
        Level level;
        uint16 height;
        Resolution resolution;
        CollateralKind collateral;
        /// The verdict's effects were carried out (`settle`, or `claimTimeout`).
        bool settled;
        /// K: the task's checkpointEvery; steps 0, S and the multiples of K are committed.
        uint32 checkpointEvery;
        address operator;
        uint32 steps;
        /// a: the disputed interval's first step (set when the Segment level is reached).
        uint32 segmentStart;
        /// L = i - a + 1: the interval's states (zero unless the Segment level was reached).
        uint32 segmentLeaves;
        ChessClock clock;
        uint256 taskId;
        uint256 position;
        uint256 leafCount;
        bytes32 rootOperator;
        bytes32 rootChallenger;
        bytes32 challengerLeft;
        bytes32 challengerRight;
        bytes32 traceRootOperator;
        bytes32 traceRootChallenger;
        bytes32 initStateRoot;
        bytes32 graphRoot;
        bytes32 datasetRoot;
        uint256 minStake;
        Found found;
        bytes32 segmentRootOperator;
        bytes32 segmentRootChallenger;
    }

    /// @notice Number of games opened; game ids are 1..gameCount.
    uint256 public gameCount;

    mapping(uint256 gameId => Game) private games;

    /// @dev The games on a task's current result, as far as collateral goes (one slot, and the queue).
    ///      Reset when the last game on a voided result ends, since the task then reopens for a new
    ///      result (or is refunded).
    struct TaskGames {
        /// The game holding the task stake while `taskStake` is Held (zero otherwise).
        uint64 holder;
        TaskStakeState taskStake;
        /// A challenger won on this result, so the market voided it.
        bool voided;
        /// Games Active or Queued on this result (the market's `openDisputes`).
        uint32 open;
        /// Games Queued on this result.
        uint32 queued;
        /// The next queue position to look at; positions below it were popped.
        uint48 head;
        /// The next free queue position.
        uint48 tail;
        mapping(uint256 position => uint256 gameId) queue;
    }

    mapping(uint256 taskId => TaskGames) private taskGames;

    mapping(uint256 gameId => Availability) private availability;

    /// @dev Gas the settlement in the transaction that delivers the last chunk costs (the market
    ///         hook, the collateral's release, the bond's remainder unlocked, the queue advanced).
    uint256 internal constant DELIVERY_SETTLE_GAS = 90_000;

    /// @param stakeManager The stake ledger; must be the market's.
    /// @param market The task market; its MAX_DISPUTE_DURATION must hold both clocks (2 * maxClock).
    /// @param challengerBond Wei a challenger locks per game (> 0; should cover the operator's gas
    ///        for a whole dispute).
    /// @param maxClock Seconds each party's clock holds (> 0).
    /// @param oneStepProver The level-7 executor (non-zero).
    /// @param chunkBond Wei a challenger locks per chunk it names in an availability challenge (> 0;
    ///        SLASH_WINNER_BPS of it should cover the operator's gas to deliver one chunk).
    /// @param chunkLeaves Leaves (32 bytes, 8 float32 each) per chunk: a power of two in 1..4096.
    constructor(
        StakeManager stakeManager,
        TaskMarket market,
        uint256 challengerBond,
        uint64 maxClock,
        IOneStepProver oneStepProver,
        uint256 chunkBond,
        uint256 chunkLeaves
    ) {
        if (address(stakeManager) == address(0) || address(market) == address(0)) {
            revert Errors.ZeroAddress();
        }
        if (address(oneStepProver) == address(0)) revert Errors.ZeroAddress();
        address marketStakeManager = address(market.STAKE_MANAGER());
        if (marketStakeManager != address(stakeManager)) {
            revert Errors.StakeManagerMismatch(address(stakeManager), marketStakeManager);
        }
        if (challengerBond == 0) revert Errors.ZeroChallengerBond();
        if (chunkBond == 0) revert Errors.ZeroChunkBond();
        if (maxClock == 0) revert Errors.ZeroMaxClock();
        uint256 maxDisputeDuration = market.MAX_DISPUTE_DURATION();
        // INVARIANT: a game whose parties use both clocks up fits in the dispute duration the market
        // (and the StakeManager's unbonding delay) is built for.
        if (2 * uint256(maxClock) > maxDisputeDuration) {
            revert Errors.ClockExceedsDisputeDuration(2 * uint256(maxClock), maxDisputeDuration);
        }
        STAKE_MANAGER = stakeManager;
        MARKET = market;
        CHALLENGER_BOND = challengerBond;
        MAX_CLOCK = maxClock;
        ONE_STEP_PROVER = oneStepProver;
        CHUNK_BOND = chunkBond;
        // Reverts ChunkLeavesInvalid unless a power of two in 1..4096.
        AVAILABILITY_PROOFS = new AvailabilityProofs(chunkLeaves);
        GAME_PROOFS = new GameProofs();
    }

    // ---------------------------------------------------------------- opening

    /// @notice Challenges task `taskId`'s submitted result with the caller's own trace root. Locks
    ///         CHALLENGER_BOND of the caller's free stake. The game is funded at once, in this order,
    ///         unless games already wait in the task's queue (then it queues behind them): with the
    ///         task stake if no game holds it, else with minStake locked from the operator's free
    ///         stake (GameStake). Funded, it is Active and the challenger's clock starts; otherwise it
    ///         is Queued (no clock runs) until `advanceQueue` funds it, or it is withdrawn.
    /// @dev Reverts (from the market) unless the task is Submitted and inside its challenge window;
    ///      (from the StakeManager) `StakeTooLow` if the caller's free stake is below the bond.
    /// @param taskId The task.
    /// @param challengerTraceRoot The challenger's Merkle root over h_0..h_S (non-zero, not the task's).
    /// @return gameId The new game's id.
    function open(uint256 taskId, bytes32 challengerTraceRoot) external returns (uint256 gameId) {
        Task memory task = MARKET.getTask(taskId);
        if (msg.sender == task.operator) revert Errors.ChallengerIsOperator(taskId, task.operator);
        if (challengerTraceRoot == bytes32(0)) revert Errors.ZeroRoot(RootKind.Trace);
        if (challengerTraceRoot == task.traceRoot) revert Errors.SameTraceRoot(challengerTraceRoot);
        Game storage g;
        CollateralKind kind;
        (gameId, g, kind) = _newGame(taskId, task, Level.Steps, challengerTraceRoot, CHALLENGER_BOND);
        g.initStateRoot = task.initStateRoot;
        g.graphRoot = task.graphRoot;
        g.datasetRoot = task.datasetRoot;
        // INVARIANT: the trace roots differ, as every descent requires; S >= 1 (the market refuses
        // zero steps), so the tree of S + 1 states has height >= 1 and no leaf is reached here.
        _startDescent(gameId, g, Level.Steps, uint256(task.steps) + 1, task.traceRoot, challengerTraceRoot);
        _lockAndNotify(taskId, task, kind, CHALLENGER_BOND);
    }

    /// @notice Challenges the availability of a state tensor of task `taskId`'s submitted result:
    ///         slot `slot.slot` of h_`step` (step S: the model; else a checkpoint step), chunks
    ///         firstChunk + i for every set bit i of `mask`. Locks CHUNK_BOND per named chunk of the
    ///         caller's free stake. Funded like any game (task stake, else GameStake, else queued),
    ///         the game runs the OPERATOR's clock: every named chunk must be delivered on-chain
    ///         (`deliverChunks`, by anyone) before it runs out, or `claimTimeout` slashes the
    ///         operator's collateral and voids the result, as a lost dispute does.
    /// @dev Reverts (from the market) unless the task is Submitted and inside its challenge window;
    ///      `NotCheckpointStep`, and the slot and chunk errors of `AvailabilityProofs`.
    /// @param taskId The task.
    /// @param step t: the task's steps S, or a checkpoint step (a multiple of checkpointEvery below S).
    /// @param slot What proves the slot's shape and its producer node (see `SlotProof`).
    /// @param firstChunk The chunk bit 0 of `mask` names.
    /// @param mask The chunks named (non-zero; every one below the tensor's chunk count).
    /// @return gameId The new game's id.
    function openAvailability(uint256 taskId, uint256 step, SlotProof calldata slot, uint256 firstChunk, uint256 mask)
        external
        returns (uint256 gameId)
    {
        Task memory task = MARKET.getTask(taskId);
        if (msg.sender == task.operator) revert Errors.ChallengerIsOperator(taskId, task.operator);
        uint256 steps = task.steps;
        if (step != steps && (step == 0 || step > steps || step % task.checkpointEvery != 0)) {
            revert Errors.NotCheckpointStep(step, task.checkpointEvery, steps);
        }
        Availability memory a = _availabilityOf(task, step, slot, firstChunk, mask);
        uint256 bond = CHUNK_BOND * AVAILABILITY_PROOFS.chunkCount(firstChunk, mask, a.numLeaves);
        CollateralKind kind;
        a.bond = bond;
        (gameId,, kind) = _newGame(taskId, task, Level.Availability, bytes32(0), bond);
        availability[gameId] = a;
        emit AvailabilityChallenged(gameId, taskId, msg.sender, step, a.slot, a.producer, firstChunk, mask);
        _lockAndNotify(taskId, task, kind, bond);
    }

    /// @notice Delivers chunks named by availability challenge `gameId`, with their proofs: each
    ///         chunk's leaves under the tensor's data root `dataRoot`, and (on the first delivery)
    ///         the tensor as leaf `producer` of h_t, h_t being the task's final state root (t = S) or
    ///         leaf t of the operator's trace root. Anyone may deliver (a replica as well as the
    ///         operator) while the operator's clock is live. The bytes are emitted in
    ///         `ChunkDelivered`. Once every named chunk is delivered the game is decided for the
    ///         operator (`Resolution.Delivered`) and settled in the same transaction.
    /// @dev Reverts `WrongLevel` for a game that is not an availability challenge, `ClockExpired`
    ///      after the operator's clock ran out, `DeliveredStateMismatch`, `StateProofInvalid`,
    ///      `DataRootMismatch`, `ChunkNotNamed`, `ChunkAlreadyDelivered`, `ChunkLengthInvalid`,
    ///      `ChunkProofInvalid`.
    /// @param gameId The game.
    /// @param dataRoot The tensor's data root.
    /// @param tensorProof keccak256(dataRoot ‖ shapeWord) as leaf `producer` of h_t (depth(numNodes));
    ///        ignored once a delivery proved the data root.
    /// @param stateRoot h_t (ignored for t = S and once the data root is proved).
    /// @param stateProof h_t as leaf t of the operator's trace root (depth(S + 1)); ignored for t = S
    ///        and once the data root is proved.
    /// @param chunks The chunks, each with its leaves and proof (see `ChunkData`).
    function deliverChunks(
        uint256 gameId,
        bytes32 dataRoot,
        bytes32[] calldata tensorProof,
        bytes32 stateRoot,
        bytes32[] calldata stateProof,
        ChunkData[] calldata chunks
    ) external {
        uint256 startGas = gasleft();
        Game storage g = _active(gameId);
        _requireLevel(gameId, g, Level.Availability);
        _requireLive(g.clock);
        Availability storage a = availability[gameId];
        _proveDataRoot(g, a, dataRoot, tensorProof, stateRoot, stateProof);
        _finishDelivery(gameId, g, a, dataRoot, chunks, startGas);
    }

    /// @dev The chunks recorded, the deliverer paid its gas, and the game decided and settled for the
    ///      operator once every named chunk is in.
    function _finishDelivery(
        uint256 gameId,
        Game storage g,
        Availability storage a,
        bytes32 dataRoot,
        ChunkData[] calldata chunks,
        uint256 startGas
    ) private {
        bool complete = _deliver(gameId, g.taskId, a, dataRoot, chunks);
        if (complete) _decide(gameId, g, Party.Challenger, Resolution.Delivered);
        _reimburse(g, a, startGas, complete);
        if (complete) _settle(gameId, g);
    }

    /// @dev Pays the caller what this delivery cost it (`AvailabilityProofs.deliveryCost` of the gas
    ///      `gasleft()` measured, and of the settlement when this delivery completes the game), out of
    ///      the challenger's bond and never beyond it.
    function _reimburse(Game storage g, Availability storage a, uint256 startGas, bool complete) private {
        uint256 measured = startGas - gasleft();
        if (complete) measured += DELIVERY_SETTLE_GAS;
        uint256 amount = AVAILABILITY_PROOFS.deliveryCost(measured, msg.data.length);
        uint256 room = a.bond - a.paid;
        if (amount > room) amount = room;
        if (amount == 0) return;
        a.paid += amount;
        STAKE_MANAGER.payFromLocked(g.challenger, amount, msg.sender);
    }

    /// @dev Checks and records each delivered chunk under the proven data root; returns whether every
    ///      named chunk is now delivered.
    function _deliver(
        uint256 gameId,
        uint256 taskId,
        Availability storage a,
        bytes32 dataRoot,
        ChunkData[] calldata chunks
    ) private returns (bool complete) {
        // Reverts unless every chunk is named, new, and proven under the data root.
        uint256 delivered =
            AVAILABILITY_PROOFS.checkChunks(gameId, chunks, a.firstChunk, a.mask, a.delivered, a.numLeaves, dataRoot);
        // The loop runs over the caller's own calldata (at most 256 chunks, each named once).
        for (uint256 i; i < chunks.length; ++i) {
            emit ChunkDelivered(gameId, taskId, chunks[i].chunk, chunks[i].data);
        }
        a.delivered = delivered;
        return delivered == a.mask;
    }

    // ---------------------------------------------------------------- the queue

    /// @notice Funds the games waiting in task `taskId`'s queue, oldest first, at most
    ///         MAX_QUEUE_STEPS entries per call: a withdrawn entry is dropped; a queued game is funded
    ///         (task stake if no game holds it, else GameStake from the operator's free stake) and its
    ///         clock starts; one that cannot be funded waits while the result stands (the advance
    ///         stops there), and is closed as moot, its bond returned, once the result is voided.
    ///         Anyone may call it (e.g. after the operator staked more); it also runs after every
    ///         settlement and withdrawal on the task.
    /// @dev Reverts `QueueEmpty` if no entry is left to look at.
    /// @param taskId The task.
    function advanceQueue(uint256 taskId) external {
        TaskGames storage tg = taskGames[taskId];
        if (tg.head == tg.tail) revert Errors.QueueEmpty(taskId);
        _advanceQueue(tg);
    }

    /// @notice Withdraws the caller's queued game: it closes without running, the bond is released
    ///         in full, and the market counts one open dispute fewer.
    /// @dev Reverts `NotQueued` unless the game is Queued, `NotChallenger` unless the caller is its
    ///      challenger.
    /// @param gameId The game.
    function withdrawQueued(uint256 gameId) external {
        Game storage g = games[gameId];
        if (g.status != GameStatus.Queued) revert Errors.NotQueued(gameId, g.status);
        if (msg.sender != g.challenger) revert Errors.NotChallenger(msg.sender, g.challenger);
        uint256 taskId = g.taskId;
        TaskGames storage tg = taskGames[taskId];
        // Lazy deletion: the entry stays in the queue and is dropped when it reaches the head.
        tg.queued -= 1;
        _close(gameId, g, tg, false);
        _advanceQueue(tg);
    }

    // ---------------------------------------------------------------- reveal rounds

    /// @notice Reveals the two children of the caller's current node in a descent (levels Steps,
    ///         SegmentSteps, Nodes, Element, Instruction). The challenger reveals first, then the
    ///         operator; the operator's reveal completes the round and the descent goes left if the
    ///         left children differ, else right. Reaching a leaf moves the game to the next level (or
    ///         resolves it).
    /// @param gameId The game.
    /// @param left The left child: keccak256(left ‖ right) must be the caller's node.
    /// @param right The right child.
    function reveal(uint256 gameId, bytes32 left, bytes32 right) external {
        Game storage g = _active(gameId);
        Level level = g.level;
        if (
            level != Level.Steps && level != Level.Nodes && level != Level.Element && level != Level.Instruction
                && level != Level.SegmentSteps
        ) {
            revert Errors.NotDescending(gameId, level);
        }
        (Party mover, ChessClock clock) = _onTurn(g);
        uint256 taskId = g.taskId;
        uint256 position = g.position;
        uint256 height = g.height;

        if (mover == Party.Challenger) {
            _checkOpens(g.rootChallenger, left, right);
            g.challengerLeft = left;
            g.challengerRight = right;
            emit ChildrenRevealed(gameId, taskId, msg.sender, level, position, height, left, right);
            _passTurn(gameId, g, clock);
            return;
        }

        _checkOpens(g.rootOperator, left, right);
        emit ChildrenRevealed(gameId, taskId, msg.sender, level, position, height, left, right);
        (uint256 child, bytes32 rootOperator, bytes32 rootChallenger) =
            Descent.bisect(position, left, right, g.challengerLeft, g.challengerRight);
        height -= 1;
        g.position = child;
        // forge-lint: disable-next-line(unsafe-typecast) below the tree's depth, itself at most 256
        g.height = uint16(height);
        g.rootOperator = rootOperator;
        g.rootChallenger = rootChallenger;
        emit Bisected(gameId, taskId, msg.sender, level, child, height, rootOperator, rootChallenger);
        _passTurn(gameId, g, clock);
        if (height == 0) _atLeaf(gameId, g, level);
    }

    /// @notice Reveals the data root of the caller's output tensor of the found node (level
    ///         OutputRoot): keccak256(dataRoot ‖ shapeWord) must be the caller's output root. The
    ///         challenger first, then the operator, whose reveal starts the element descent.
    /// @param gameId The game.
    /// @param dataRoot The Merkle root over the output's leaves (8 float32 lanes each).
    function revealOutputRoot(uint256 gameId, bytes32 dataRoot) external {
        Game storage g = _active(gameId);
        _requireLevel(gameId, g, Level.OutputRoot);
        (Party mover, ChessClock clock) = _onTurn(g);
        Found storage f = g.found;
        bytes32 tensorRoot = Commitments.bindShape(dataRoot, f.shapeWord);
        bytes32 expected = mover == Party.Challenger ? f.outputChallenger : f.outputOperator;
        if (tensorRoot != expected) revert Errors.OutputRootMismatch(tensorRoot, expected);
        emit OutputRootRevealed(gameId, g.taskId, msg.sender, dataRoot);

        if (mover == Party.Challenger) {
            g.challengerLeft = dataRoot;
            _passTurn(gameId, g, clock);
            return;
        }
        _passTurn(gameId, g, clock);
        // INVARIANT: the data roots differ, since the output roots do and the shape word is shared.
        _startDescent(gameId, g, Level.Element, Commitments.numLeavesFor(f.numel), dataRoot, g.challengerLeft);
    }

    /// @notice Commits the caller's segment root (level Segment): the Merkle root over its per-step
    ///         states h_a..h_i of the disputed interval (L = i - a + 1 leaves, `segmentStart` a and
    ///         `segmentLeaves` L in `gameState`), bound at both ends: leaf 0 is h_a, the agreed state
    ///         at the previous committed step, proven as leaf a of the operator's trace root, and leaf
    ///         L - 1 is the caller's own h_i, the value of the leaf where the step descent ended. The
    ///         challenger first, then the operator, whose commit starts the descent over the segment
    ///         (level SegmentSteps).
    /// @dev Reverts `WrongLevel`, `NotOnTurn`, `ClockExpired`, `ZeroSegmentRoot`, `StateProofInvalid`
    ///      (h_a not leaf a of the operator's trace root) or `SegmentProofInvalid` (leaf 0 or L - 1).
    /// @param gameId The game.
    /// @param segmentRoot The Merkle root over the caller's h_a..h_i (non-zero).
    /// @param stateA h_a.
    /// @param stateAProof h_a as leaf a of the operator's trace root (depth(S + 1) siblings).
    /// @param firstProof h_a as leaf 0 of `segmentRoot` (depth(L) siblings).
    /// @param lastProof The caller's h_i as leaf L - 1 of `segmentRoot` (depth(L) siblings).
    function commitSegment(
        uint256 gameId,
        bytes32 segmentRoot,
        bytes32 stateA,
        bytes32[] calldata stateAProof,
        bytes32[] calldata firstProof,
        bytes32[] calldata lastProof
    ) external {
        Game storage g = _active(gameId);
        _requireLevel(gameId, g, Level.Segment);
        (Party mover, ChessClock clock) = _onTurn(g);
        if (segmentRoot == bytes32(0)) revert Errors.ZeroSegmentRoot(gameId);
        _checkSegment(g, mover, segmentRoot, stateA, stateAProof, firstProof, lastProof);
        emit SegmentCommitted(gameId, mover, segmentRoot);
        if (mover == Party.Challenger) {
            g.segmentRootChallenger = segmentRoot;
            _passTurn(gameId, g, clock);
            return;
        }
        g.segmentRootOperator = segmentRoot;
        _passTurn(gameId, g, clock);
        // INVARIANT: the segment roots differ, since their last leaves (the parties' h_i) do; their
        // first leaves are the same h_a, so the descent ends at a leaf j >= 1.
        _startDescent(gameId, g, Level.SegmentSteps, g.segmentLeaves, segmentRoot, g.segmentRootChallenger);
    }

    /// @notice Commits the caller's intermediates of the found element's program as a float32
    ///         tensor of shape (L,) (level Intermediates) and proves that its last intermediate is the
    ///         element value the caller claimed. The challenger first (it re-supplies the descriptor,
    ///         from which L is computed), then the operator, whose commit starts the instruction descent.
    /// @param gameId The game.
    /// @param descriptor The node's descriptor (checked and used on the challenger's commit; the
    ///        operator's is ignored and may be empty).
    /// @param inputs The shapes of the node's inputs with their proofs (see `InputShape`; used on the
    ///        challenger's commit, the operator's are ignored and may be empty).
    /// @param dataRoot Merkle root over the intermediates' leaves (8 float32 lanes each).
    /// @param lastLeaf The leaf holding intermediate L - 1 (leaf (L - 1) / 8, lane (L - 1) % 8).
    /// @param lastLeafProof Its Merkle proof under `dataRoot` (depth of ceil(L / 8) leaves).
    function commitIntermediates(
        uint256 gameId,
        bytes calldata descriptor,
        InputShape[] calldata inputs,
        bytes32 dataRoot,
        bytes32 lastLeaf,
        bytes32[] calldata lastLeafProof
    ) external {
        Game storage g = _active(gameId);
        _requireLevel(gameId, g, Level.Intermediates);
        (Party mover, ChessClock clock) = _onTurn(g);
        uint256 length = mover == Party.Challenger ? _programLength(g, descriptor, inputs) : g.found.programLength;
        uint32 claimed = mover == Party.Challenger ? g.found.valueChallenger : g.found.valueOperator;
        // Reverts IntermediatesProofInvalid or LastIntermediateMismatch.
        uint32 lastValue = GAME_PROOFS.checkLastIntermediate(length, dataRoot, lastLeaf, lastLeafProof, claimed);
        _commitIntermediates(gameId, g, mover, clock, dataRoot, length, lastValue);
    }

    // ---------------------------------------------------------------- proof moves

    /// @notice Proves h_t, the agreed state before the found step t, and the graph's size (level
    ///         StepStart); starts the node descent over h_{t+1}. Either party may send it.
    /// @dev Reverts `StateProofInvalid` or `GraphRootMismatch`.
    /// @param gameId The game.
    /// @param stateRoot h_t (ignored for t = 0, where h_0 is the task's initial state root).
    /// @param stateProof Its Merkle proof: after a Segment round, as leaf t - a of the operator's
    ///        segment root (depth of L leaves); else as leaf t of the operator's trace root (depth of
    ///        S + 1 leaves). Ignored for t = 0.
    /// @param nodesRoot Merkle root over keccak256(descriptor) of the step's nodes.
    /// @param numNodes Nodes per step.
    /// @param numSlots State tensors of h_0. keccak256(abi.encode(nodesRoot, numNodes, numSlots)) must
    ///        be the task's graph root.
    function startStep(
        uint256 gameId,
        bytes32 stateRoot,
        bytes32[] calldata stateProof,
        bytes32 nodesRoot,
        uint256 numNodes,
        uint256 numSlots
    ) external {
        Game storage g = _proofMove(gameId, Level.StepStart);
        Found storage f = g.found;
        uint256 step = f.step;
        // INVARIANT: h_t's leaf lies left of the differing leaf of h_{t+1}, so it is agreed and the
        // operator's tree (its segment, or its trace) proves it for both.
        uint256 leaves = g.segmentLeaves;
        if (step == 0) {
            stateRoot = g.initStateRoot;
        } else if (leaves != 0) {
            uint256 leaf = step - g.segmentStart;
            if (!Merkle.verify(stateRoot, leaf, stateProof, g.segmentRootOperator, leaves)) {
                revert Errors.StateProofInvalid(leaf, stateProof.length, Merkle.treeDepth(leaves));
            }
        } else {
            _checkTraceLeaf(g, step, stateRoot, stateProof);
        }
        bytes32 graphRoot = keccak256(abi.encode(nodesRoot, numNodes, numSlots));
        if (graphRoot != g.graphRoot) revert Errors.GraphRootMismatch(graphRoot, g.graphRoot);
        f.stateRoot = stateRoot;
        f.nodesRoot = nodesRoot;
        f.numNodes = numNodes;
        f.numSlots = numSlots;
        emit StepStarted(gameId, g.taskId, msg.sender, step, stateRoot, nodesRoot, numNodes, numSlots);
        _startDescent(gameId, g, Level.Nodes, numNodes, f.nextStateOperator, f.nextStateChallenger);
    }

    /// @notice Proves the found node's descriptor (level NodeStart) and fixes its output shape;
    ///         the output-root reveal round follows. Either party may send it.
    /// @param gameId The game.
    /// @param descriptor abi.encode(uint256 index, uint8 opKind, uint256[] params, uint256[] inputRefs,
    ///        uint256[] shape) (`tribunal/graph.py`).
    /// @param proof Merkle proof of keccak256(descriptor) as leaf n under the nodes root (depth of
    ///        numNodes leaves).
    function startNode(uint256 gameId, bytes calldata descriptor, bytes32[] calldata proof) external {
        Game storage g = _proofMove(gameId, Level.NodeStart);
        Found storage f = g.found;
        uint256 node = f.node;
        // Reverts DescriptorProofInvalid unless the descriptor is leaf n of the nodes root.
        (bytes32 leaf, bytes32 word, uint256 numel) =
            GAME_PROOFS.checkDescriptor(descriptor, proof, node, f.nodesRoot, f.numNodes);
        f.descriptorHash = leaf;
        f.shapeWord = word;
        f.numel = numel;
        g.level = Level.OutputRoot;
        emit NodeStarted(gameId, g.taskId, msg.sender, node, leaf, word, numel);
    }

    /// @notice Executes the first differing instruction from agreed operands (level OneStep) and
    ///         decides the game: the challenger loses if the result equals the operator's claim,
    ///         else the operator loses. Either party may send it. Only the verdict is recorded
    ///         (`GameResolved`); `settle` moves the money and tells the market.
    /// @param gameId The game.
    /// @param descriptor The found node's descriptor (must hash to the stored one).
    /// @param inputs The shapes of the node's inputs with their proofs (see `InputShape`).
    /// @param operands One proof per operand of the instruction (see `OperandProof`).
    function oneStep(
        uint256 gameId,
        bytes calldata descriptor,
        InputShape[] calldata inputs,
        OperandProof[] calldata operands
    ) external {
        Game storage g = _proofMove(gameId, Level.OneStep);
        Found storage f = g.found;
        _checkDescriptor(f, descriptor);
        (uint8 opcode, uint32[3] memory values, uint32 result) =
            ONE_STEP_PROVER.step(_stepContext(g), descriptor, inputs, operands);
        uint32 claimOperator = f.claimOperator;
        emit OneStepExecuted(
            gameId, g.taskId, msg.sender, f.instruction, opcode, values, result, claimOperator, f.claimChallenger
        );
        _decide(gameId, g, result == claimOperator ? Party.Challenger : Party.Operator, Resolution.OneStep);
    }

    // ---------------------------------------------------------------- timeout

    /// @notice Decides the game against the party on turn once its clock is used up:
    ///         used + (now - turnStartedAt) > MAX_CLOCK, and settles it in the same transaction
    ///         (`GameResolved`, then `GameSettled`). Anyone may call it.
    /// @param gameId The game.
    function claimTimeout(uint256 gameId) external {
        Game storage g = _active(gameId);
        ChessClock clock = g.clock;
        Party onTurn = clock.onTurn();
        // INVARIANT: no resolution while the mover's clock is live.
        if (clock.isLive(block.timestamp, MAX_CLOCK)) {
            revert Errors.ClockNotExpired(onTurn, clock.spent(block.timestamp), MAX_CLOCK, clock.deadline(MAX_CLOCK));
        }
        _decide(gameId, g, onTurn, Resolution.Timeout);
        _settle(gameId, g);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Carries out the verdict of a decided game (OperatorWon or ChallengerWon): slashes the
    ///         loser's share (the game's collateral, or the challenger's bond) with the winner
    ///         credited, releases the winner's bond or collateral, tells the market (which voids,
    ///         reopens or refunds the task and releases the task stake as before), and advances the
    ///         task's queue. Anyone may call it, exactly once per decided game; the game's own parties
    ///         have the reason to (the winner is paid by it).
    /// @dev Reverts `NotDecided` unless the game is OperatorWon or ChallengerWon, `AlreadySettled` if
    ///      it was settled (by `settle` or by `claimTimeout`). Emits `GameSettled` before the calls.
    /// @param gameId The game.
    function settle(uint256 gameId) external {
        Game storage g = games[gameId];
        GameStatus status = g.status;
        if (status != GameStatus.OperatorWon && status != GameStatus.ChallengerWon) {
            revert Errors.NotDecided(gameId, status);
        }
        if (g.settled) revert Errors.AlreadySettled(gameId);
        _settle(gameId, g);
    }

    // ---------------------------------------------------------------- views

    /// @notice Everything about game `gameId` (all zero for an unknown id).
    /// @param gameId The game.
    /// @return s The game's state (see `GameView`).
    function gameState(uint256 gameId) external view returns (GameView memory s) {
        Game storage g = games[gameId];
        ChessClock clock = g.clock;
        s.taskId = g.taskId;
        s.operator = g.operator;
        s.challenger = g.challenger;
        s.status = g.status;
        s.resolution = g.resolution;
        s.level = g.level;
        s.onTurn = clock.onTurn();
        s.challengerRevealed =
            s.status == GameStatus.Active && s.onTurn == Party.Operator && s.level != Level.Availability;
        s.position = g.position;
        s.height = g.height;
        s.leafCount = g.leafCount;
        s.rootOperator = g.rootOperator;
        s.rootChallenger = g.rootChallenger;
        s.challengerLeft = g.challengerLeft;
        s.challengerRight = g.challengerRight;
        s.usedChallenger = clock.used(Party.Challenger);
        s.usedOperator = clock.used(Party.Operator);
        s.turnStartedAt = clock.turnStartedAt();
        if (s.status == GameStatus.Active) s.deadline = clock.deadline(MAX_CLOCK);
        s.traceRootOperator = g.traceRootOperator;
        s.traceRootChallenger = g.traceRootChallenger;
        s.collateral = g.collateral;
        s.segmentStart = g.segmentStart;
        s.segmentLeaves = g.segmentLeaves;
        s.segmentRootOperator = g.segmentRootOperator;
        s.segmentRootChallenger = g.segmentRootChallenger;
        _viewFound(g.found, s);
    }

    /// @notice Whether the game's verdict was settled (`settle`, or `claimTimeout`); false for a game
    ///         that is not decided.
    /// @param gameId The game.
    /// @return True once the verdict's effects were carried out.
    function isSettled(uint256 gameId) external view returns (bool) {
        return games[gameId].settled;
    }

    /// @notice The game's status (None for an unknown id).
    /// @param gameId The game.
    /// @return The status.
    function gameStatus(uint256 gameId) external view returns (GameStatus) {
        return games[gameId].status;
    }

    /// @notice The games on task `taskId`'s current result, as far as collateral goes.
    /// @param taskId The task.
    /// @return taskStake Who has the task stake: Available (the market; the next game funded takes
    ///         it), Held (by game `holder`), Gone (slashed, or released after a void).
    /// @return holder The game holding the task stake (zero unless Held).
    /// @return voided Whether a challenger has won on this result (the market voided it).
    /// @return openGames Games Active or Queued on this result.
    /// @return queuedGames Games Queued on this result.
    /// @return queueHead The next queue position `advanceQueue` looks at.
    /// @return queueTail The next free queue position (entries lie in [queueHead, queueTail), some
    ///         of them withdrawn; `queuedGameAt` reads them).
    function taskDisputes(uint256 taskId)
        external
        view
        returns (
            TaskStakeState taskStake,
            uint256 holder,
            bool voided,
            uint256 openGames,
            uint256 queuedGames,
            uint256 queueHead,
            uint256 queueTail
        )
    {
        TaskGames storage tg = taskGames[taskId];
        return (tg.taskStake, tg.holder, tg.voided, tg.open, tg.queued, tg.head, tg.tail);
    }

    /// @notice The game at `position` of task `taskId`'s queue (its `GameQueued` position).
    /// @param taskId The task.
    /// @param position The queue position.
    /// @return gameId The game queued there (zero if none ever was).
    function queuedGameAt(uint256 taskId, uint256 position) external view returns (uint256 gameId) {
        return taskGames[taskId].queue[position];
    }

    /// @notice The availability challenge `gameId` (all zero for a game that is not one).
    /// @param gameId The game.
    /// @return What it names and what was delivered (see `Availability`).
    function availabilityState(uint256 gameId) external view returns (Availability memory) {
        return availability[gameId];
    }

    // ---------------------------------------------------------------- internals: moves

    function _active(uint256 gameId) private view returns (Game storage g) {
        g = games[gameId];
        // INVARIANT: no moves after resolution (and none on a game that does not exist).
        if (g.status != GameStatus.Active) revert Errors.GameNotActive(gameId, g.status);
    }

    function _requireLevel(uint256 gameId, Game storage g, Level expected) private view {
        if (g.level != expected) revert Errors.WrongLevel(gameId, g.level, expected);
    }

    /// @dev A reveal move: the caller must be the party on turn, with its clock live.
    function _onTurn(Game storage g) private view returns (Party mover, ChessClock clock) {
        clock = g.clock;
        mover = clock.onTurn();
        address expected = mover == Party.Operator ? g.operator : g.challenger;
        if (msg.sender != expected) revert Errors.NotOnTurn(msg.sender, expected);
        _requireLive(clock);
    }

    /// @dev A proof move: either party, at the right level, while the clock on turn is live.
    function _proofMove(uint256 gameId, Level expected) private view returns (Game storage g) {
        g = _active(gameId);
        _requireLevel(gameId, g, expected);
        if (msg.sender != g.challenger && msg.sender != g.operator) revert Errors.NotParty(msg.sender);
        _requireLive(g.clock);
    }

    function _requireLive(ChessClock clock) private view {
        // INVARIANT: a move is accepted only while the clock of the party on turn is live, so once
        // `claimTimeout` is possible nothing but `claimTimeout` is.
        if (!clock.isLive(block.timestamp, MAX_CLOCK)) {
            revert Errors.ClockExpired(clock.onTurn(), clock.spent(block.timestamp), MAX_CLOCK);
        }
    }

    function _passTurn(uint256 gameId, Game storage g, ChessClock clock) private {
        clock = clock.pass(block.timestamp);
        g.clock = clock;
        Party next = clock.onTurn();
        emit ClockStarted(
            gameId,
            g.taskId,
            next == Party.Operator ? g.operator : g.challenger,
            clock.used(Party.Challenger),
            clock.used(Party.Operator),
            clock.deadline(MAX_CLOCK)
        );
    }

    function _checkOpens(bytes32 root, bytes32 left, bytes32 right) private pure {
        if (!Descent.opens(root, left, right)) revert Errors.RevealMismatch(Merkle.hashPair(left, right), root);
    }

    function _checkDescriptor(Found storage f, bytes calldata descriptor) private view {
        bytes32 given = keccak256(descriptor);
        if (given != f.descriptorHash) revert Errors.DescriptorMismatch(given, f.descriptorHash);
    }

    /// @dev The challenger's commit fixes L from the re-supplied descriptor and input shapes.
    function _programLength(Game storage g, bytes calldata descriptor, InputShape[] calldata inputs)
        private
        returns (uint256 length)
    {
        Found storage f = g.found;
        _checkDescriptor(f, descriptor);
        length = ONE_STEP_PROVER.programLength(_stepContext(g), descriptor, inputs);
        if (length == 0) revert Errors.EmptyProgram(f.node, f.element);
        f.programLength = length;
    }

    function _commitIntermediates(
        uint256 gameId,
        Game storage g,
        Party mover,
        ChessClock clock,
        bytes32 dataRoot,
        uint256 length,
        uint32 lastValue
    ) private {
        Found storage f = g.found;
        emit IntermediatesCommitted(gameId, g.taskId, msg.sender, dataRoot, length, lastValue);
        if (mover == Party.Challenger) {
            f.intermediatesChallenger = dataRoot;
            _passTurn(gameId, g, clock);
            return;
        }
        f.intermediatesOperator = dataRoot;
        _passTurn(gameId, g, clock);
        // INVARIANT: the data roots differ, since their last intermediates (the claimed element
        // values) differ.
        _startDescent(
            gameId, g, Level.Instruction, Commitments.numLeavesFor(length), dataRoot, f.intermediatesChallenger
        );
    }

    // ---------------------------------------------------------------- internals: descent

    /// @dev Begins a descent over a tree of `leafCount` leaves; a single-leaf tree is at its leaf at once.
    function _startDescent(
        uint256 gameId,
        Game storage g,
        Level level,
        uint256 leafCount,
        bytes32 rootOperator,
        bytes32 rootChallenger
    ) private {
        uint256 height = Merkle.treeDepth(leafCount);
        g.level = level;
        g.leafCount = leafCount;
        // forge-lint: disable-next-line(unsafe-typecast) a tree depth is at most 256
        g.height = uint16(height);
        g.position = 0;
        g.rootOperator = rootOperator;
        g.rootChallenger = rootChallenger;
        emit DescentStarted(gameId, g.taskId, msg.sender, level, leafCount, height, rootOperator, rootChallenger);
        if (height == 0) _atLeaf(gameId, g, level);
    }

    /// @dev The descent of `level` reached its leaf at `g.position`: everything left of it is agreed,
    ///      and the two leaves differ. Moves to the next level, or decides the game.
    function _atLeaf(uint256 gameId, Game storage g, Level level) private {
        uint256 position = g.position;
        bytes32 leafOperator = g.rootOperator;
        bytes32 leafChallenger = g.rootChallenger;
        Found storage f = g.found;
        uint256 taskId = g.taskId;

        if (level != Level.Element && level != Level.Instruction) {
            // Steps, SegmentSteps or Nodes: leaves of 32 bytes.
            if (position >= g.leafCount) {
                _decide(gameId, g, Descent.paddingLoser(uint256(leafChallenger)), Resolution.Padding);
                return;
            }
            if (level == Level.Nodes) {
                f.node = position;
                f.outputOperator = leafOperator;
                f.outputChallenger = leafChallenger;
                g.level = Level.NodeStart;
                emit NodeFound(gameId, taskId, msg.sender, position, leafOperator, leafChallenger);
                return;
            }
            uint256 step;
            if (level == Level.SegmentSteps) {
                // INVARIANT: position >= 1, since both segments' leaf 0 is the agreed h_a.
                step = g.segmentStart + position - 1;
            } else if (position == 0) {
                // Both wrong: the challenger loses (it must be right to win).
                Party loser = leafChallenger != g.initStateRoot ? Party.Challenger : Party.Operator;
                _decide(gameId, g, loser, Resolution.InitialState);
                return;
            } else {
                step = position - 1;
                uint256 every = g.checkpointEvery;
                if (position % every != 0 && position != g.steps) {
                    // A step that is not committed: its leaf is zero; a non-zero value loses.
                    _decide(gameId, g, Descent.paddingLoser(uint256(leafChallenger)), Resolution.Padding);
                    return;
                }
                uint256 start = step - step % every;
                if (start != step) {
                    _openSegment(gameId, g, start, position - start + 1, leafOperator, leafChallenger);
                    return;
                }
            }
            f.step = step;
            f.nextStateOperator = leafOperator;
            f.nextStateChallenger = leafChallenger;
            g.level = Level.StepStart;
            emit StepFound(gameId, taskId, msg.sender, step, leafOperator, leafChallenger);
            return;
        }

        // Element or Instruction: leaves of 8 float32 lanes, compared lane by lane.
        uint256 lane = Descent.firstDifferingLane(leafOperator, leafChallenger);
        // INVARIANT: the leaves differ, so lane < 8.
        uint256 index = position * Descent.LANES + lane;
        uint256 count = level == Level.Element ? f.numel : f.programLength;
        if (index >= count) {
            _decide(gameId, g, Descent.paddingLoser(Commitments.leafLane(leafChallenger, lane)), Resolution.Padding);
            return;
        }
        uint32 valueOperator = Commitments.leafLane(leafOperator, lane);
        uint32 valueChallenger = Commitments.leafLane(leafChallenger, lane);
        if (level == Level.Element) {
            f.element = index;
            f.valueOperator = valueOperator;
            f.valueChallenger = valueChallenger;
            g.level = Level.Intermediates;
            emit ElementFound(gameId, taskId, msg.sender, index, valueOperator, valueChallenger);
        } else {
            f.instruction = index;
            f.claimOperator = valueOperator;
            f.claimChallenger = valueChallenger;
            f.instructionLeaf = leafOperator;
            g.level = Level.OneStep;
            emit InstructionFound(gameId, taskId, msg.sender, index, valueOperator, valueChallenger);
        }
    }

    /// @dev The step descent ended at committed leaf i with the previous committed step a < i - 1:
    ///      the Segment round opens the interval [a, i] (L = i - a + 1 states). The parties' h_i are
    ///      kept as their h_{t+1} until the segment descent finds t.
    function _openSegment(
        uint256 gameId,
        Game storage g,
        uint256 start,
        uint256 leaves,
        bytes32 stateOperator,
        bytes32 stateChallenger
    ) private {
        // forge-lint: disable-next-line(unsafe-typecast) below steps, a uint32
        g.segmentStart = uint32(start);
        // forge-lint: disable-next-line(unsafe-typecast) at most checkpointEvery + 1 <= steps + 1
        g.segmentLeaves = uint32(leaves);
        Found storage f = g.found;
        f.nextStateOperator = stateOperator;
        f.nextStateChallenger = stateChallenger;
        g.level = Level.Segment;
        emit SegmentFound(gameId, g.taskId, msg.sender, start, leaves, stateOperator, stateChallenger);
    }

    // ---------------------------------------------------------------- internals: opening

    /// @dev Creates game `gameId` on `task` (the caller is the challenger, not the operator), books it
    ///      open on the task, emits `GameOpened` and funds it at once or queues it (FIFO: a new game
    ///      never overtakes a queued one). `level` Availability is set before funding (its clock is
    ///      the operator's); a dispute's first level is set by its descent.
    function _newGame(uint256 taskId, Task memory task, Level level, bytes32 challengerTraceRoot, uint256 bond)
        private
        returns (uint256 gameId, Game storage g, CollateralKind kind)
    {
        TaskGames storage tg = taskGames[taskId];
        kind = tg.queued > 0 ? CollateralKind.None : _availableCollateral(tg, task.operator, task.minStake);
        gameId = ++gameCount;
        g = games[gameId];
        g.challenger = msg.sender;
        g.operator = task.operator;
        g.steps = task.steps;
        g.checkpointEvery = task.checkpointEvery;
        g.taskId = taskId;
        g.traceRootOperator = task.traceRoot;
        g.traceRootChallenger = challengerTraceRoot;
        g.minStake = task.minStake;
        if (level == Level.Availability) g.level = level;
        tg.open += 1;
        emit GameOpened(gameId, taskId, msg.sender, task.operator, task.traceRoot, challengerTraceRoot, bond, MAX_CLOCK);
        if (kind == CollateralKind.None) _enqueue(gameId, g, tg);
        else _fund(gameId, g, tg, kind);
    }

    /// @dev The interactions of an opening, after its effects: the challenger's bond, a GameStake,
    ///      the market's count of open disputes (which checks the task is Submitted, in its window, and
    ///      the challenger against the result's committee while the committee goes first).
    function _lockAndNotify(uint256 taskId, Task memory task, CollateralKind kind, uint256 bond) private {
        _lock(msg.sender, bond);
        if (kind == CollateralKind.GameStake) _lock(task.operator, task.minStake);
        MARKET.onDisputeOpened(taskId, msg.sender);
    }

    /// @dev What an availability challenge stores, once its slot proof is checked (reverts otherwise).
    function _availabilityOf(Task memory task, uint256 step, SlotProof calldata slot, uint256 firstChunk, uint256 mask)
        private
        view
        returns (Availability memory a)
    {
        (uint256 producer, uint256 numLeaves) = AVAILABILITY_PROOFS.checkSlot(slot, task.initStateRoot, task.graphRoot);
        // forge-lint: disable-next-line(unsafe-typecast) step <= steps, a uint32
        a.step = uint32(step);
        // forge-lint: disable-next-line(unsafe-typecast) below numSlots, bound by the graph (calldata)
        a.slot = uint64(slot.slot);
        // forge-lint: disable-next-line(unsafe-typecast) below numNodes
        a.producer = uint64(producer);
        // forge-lint: disable-next-line(unsafe-typecast) node counts of real graphs are far below 2^64
        a.numNodes = uint64(slot.numNodes);
        // forge-lint: disable-next-line(unsafe-typecast) below the tensor's chunk count (chunkCount checks)
        a.firstChunk = uint64(firstChunk);
        a.numLeaves = numLeaves;
        a.mask = mask;
        a.shapeWord = slot.shapeWord;
        if (step == task.steps) a.stateRoot = task.finalStateRoot;
    }

    /// @dev The part of the challenger's bond still locked: all of it for a dispute, the bond less what
    ///      was paid to deliverers for an availability challenge.
    function _bondHeld(uint256 gameId, Game storage g) private view returns (uint256) {
        if (g.level != Level.Availability) return CHALLENGER_BOND;
        Availability storage a = availability[gameId];
        return a.bond - a.paid;
    }

    /// @dev Reverts `StateProofInvalid` unless `stateRoot` is leaf `step` of the operator's trace root.
    function _checkTraceLeaf(Game storage g, uint256 step, bytes32 stateRoot, bytes32[] calldata stateProof)
        private
        view
    {
        uint256 numStates = uint256(g.steps) + 1;
        if (!Commitments.verifyTraceProof(stateRoot, step, stateProof, g.traceRootOperator, numStates)) {
            revert Errors.StateProofInvalid(step, stateProof.length, Merkle.treeDepth(numStates));
        }
    }

    /// @dev `commitSegment`'s proofs: h_a is leaf a of the operator's trace root and leaf 0 of the
    ///      segment; the mover's own h_i is its leaf L - 1.
    function _checkSegment(
        Game storage g,
        Party mover,
        bytes32 segmentRoot,
        bytes32 stateA,
        bytes32[] calldata stateAProof,
        bytes32[] calldata firstProof,
        bytes32[] calldata lastProof
    ) private view {
        _checkTraceLeaf(g, g.segmentStart, stateA, stateAProof);
        Found storage f = g.found;
        bytes32 own = mover == Party.Operator ? f.nextStateOperator : f.nextStateChallenger;
        // Reverts SegmentProofInvalid unless h_a is leaf 0 and the mover's h_i leaf L - 1.
        GAME_PROOFS.checkSegmentEnds(segmentRoot, g.segmentLeaves, stateA, firstProof, own, lastProof);
    }

    /// @dev A delivery's data root must be the one proven before; the first delivery of an availability
    ///      challenge proves it: the tensor
    ///      (data root, shape) is leaf `producer` of h_t, and h_t is the final state root (t = S) or
    ///      leaf t of the operator's trace root. Stores the data root.
    function _proveDataRoot(
        Game storage g,
        Availability storage a,
        bytes32 dataRoot,
        bytes32[] calldata tensorProof,
        bytes32 stateRoot,
        bytes32[] calldata stateProof
    ) private {
        bytes32 proven = a.dataRoot;
        if (proven != bytes32(0)) {
            if (dataRoot != proven) revert Errors.DataRootMismatch(dataRoot, proven);
            return;
        }
        bytes32 expected = a.stateRoot;
        if (expected == bytes32(0)) {
            _checkTraceLeaf(g, a.step, stateRoot, stateProof);
            expected = stateRoot;
        }
        // Reverts DeliveredStateMismatch unless the tensor is leaf `producer` of h_t.
        AVAILABILITY_PROOFS.checkTensorInState(dataRoot, a.shapeWord, a.producer, a.numNodes, tensorProof, expected);
        a.stateRoot = expected;
        a.dataRoot = dataRoot;
    }

    // ---------------------------------------------------------------- internals: resolution

    /// @dev Records the verdict against `loser`: the game is closed to moves (OperatorWon or
    ///      ChallengerWon) and `GameResolved` is emitted. Nothing else: the game keeps its locks and its
    ///      collateral, and stays open in the task's and the market's books, until `_settle`.
    function _decide(uint256 gameId, Game storage g, Party loser, Resolution resolution) private {
        bool operatorWon = loser == Party.Challenger;
        g.status = operatorWon ? GameStatus.OperatorWon : GameStatus.ChallengerWon;
        g.resolution = resolution;
        _emitResolved(gameId, g, operatorWon, resolution);
    }

    /// @dev Carries out a decided game's verdict once (`settle`, `claimTimeout`), with exact amounts
    ///      and never touching another game's locks. Effects first (the flag, the task's collateral
    ///      state), then the StakeManager and market calls in the documented order, then the queue
    ///      advances.
    ///      Operator won: slash the challenger's bond (the operator is credited), release the
    ///      collateral (a GameStake is unlocked; the task stake goes back to Available while the
    ///      result stands, else the market releases it), tell the market.
    ///      Challenger won: tell the market first (it voids the result and, if no game holds the task
    ///      stake any more, releases it, so that a game that held it can lock exactly minStake again),
    ///      slash exactly minStake from this game's own lock (the challenger is credited), release the
    ///      challenger's bond.
    function _settle(uint256 gameId, Game storage g) private {
        g.settled = true;
        bool operatorWon = g.status == GameStatus.OperatorWon;
        uint256 taskId = g.taskId;
        emit GameSettled(gameId, taskId);
        address operator = g.operator;
        address challenger = g.challenger;
        uint256 minStake = g.minStake;
        CollateralKind kind = g.collateral;
        TaskGames storage tg = taskGames[taskId];
        bool taskStakeFree = _releaseCollateral(tg, kind, operatorWon);
        uint256 bond = _bondHeld(gameId, g);

        if (g.level == Level.Availability) {
            // The deliverers were paid their gas from the bond as they delivered; the rest is the
            // challenger's again, whoever won (a delivered challenge burns nothing).
            if (bond > 0) _unlock(challenger, bond);
            bond = 0;
        }
        if (operatorWon) {
            if (bond > 0) _slash(challenger, bond, operator);
            if (kind == CollateralKind.GameStake) _unlock(operator, minStake);
            _onResolved(taskId, true, taskStakeFree);
        } else {
            _onResolved(taskId, false, taskStakeFree);
            // INVARIANT: the slash takes exactly this game's collateral. A GameStake is this game's
            // own lock. The task stake, which the market just released, is free stake of at least
            // minStake: the StakeManager slashes the game's own locks on the operator first, so if the
            // game holds any (its bonds elsewhere, other games' GameStakes) the task stake is locked
            // again for this game first; if it holds none, the slash takes minStake from the free
            // stake as it is (the same books, without writing a lock that is emptied at once, ~20k).
            if (kind == CollateralKind.TaskStake && STAKE_MANAGER.lockedBy(operator, address(this)) > 0) {
                _lock(operator, minStake);
            }
            _slash(operator, minStake, challenger);
            if (bond > 0) _unlock(challenger, bond);
        }
        _advanceQueue(tg);
    }

    function _emitResolved(uint256 gameId, Game storage g, bool operatorWon, Resolution resolution) private {
        (address winner, address loser) = operatorWon ? (g.operator, g.challenger) : (g.challenger, g.operator);
        emit GameResolved(gameId, g.taskId, winner, loser, g.status, resolution, g.level);
    }

    /// @dev The task's collateral state after a game backed by `kind` ended; returns whether no game
    ///      holds the task stake any more (what the market needs to release it after a void). The
    ///      first challenger win voids the result: from then on the task stake is Held by the game
    ///      that has it or Gone, never Available again (the market releases it at the void if no game
    ///      holds it).
    function _releaseCollateral(TaskGames storage tg, CollateralKind kind, bool operatorWon)
        private
        returns (bool taskStakeFree)
    {
        tg.open -= 1;
        bool wasVoided = tg.voided;
        if (!operatorWon) tg.voided = true;
        if (kind == CollateralKind.TaskStake) {
            tg.holder = 0;
            tg.taskStake = operatorWon && !wasVoided ? TaskStakeState.Available : TaskStakeState.Gone;
        } else if (!operatorWon && !wasVoided && tg.taskStake == TaskStakeState.Available) {
            tg.taskStake = TaskStakeState.Gone;
        }
        taskStakeFree = tg.taskStake != TaskStakeState.Held;
    }

    /// @dev The collateral a game of this task could get now, ignoring the queue: the task stake if no
    ///      game holds it, else a GameStake if the operator's free stake covers minStake, else none.
    function _availableCollateral(TaskGames storage tg, address operator, uint256 minStake)
        private
        view
        returns (CollateralKind)
    {
        if (tg.taskStake == TaskStakeState.Available) return CollateralKind.TaskStake;
        if (STAKE_MANAGER.freeOf(operator) >= minStake) return CollateralKind.GameStake;
        return CollateralKind.None;
    }

    /// @dev Makes a game Active with collateral `kind` and starts the challenger's clock. The caller
    ///      locks a GameStake afterwards (the task stake is the market's lock already).
    function _fund(uint256 gameId, Game storage g, TaskGames storage tg, CollateralKind kind) private {
        g.status = GameStatus.Active;
        g.collateral = kind;
        if (kind == CollateralKind.TaskStake) {
            tg.taskStake = TaskStakeState.Held;
            // forge-lint: disable-next-line(unsafe-typecast) game ids stay far below 2^64 (one costs > 300k gas)
            tg.holder = uint64(gameId);
        }
        // An availability challenge runs the operator's clock (it must deliver); a dispute starts with
        // the challenger's reveal.
        bool operatorFirst = g.level == Level.Availability;
        g.clock = Clock.start(operatorFirst ? Party.Operator : Party.Challenger, block.timestamp);
        uint256 taskId = g.taskId;
        emit GameFunded(gameId, taskId, kind, g.minStake);
        emit ClockStarted(gameId, taskId, operatorFirst ? g.operator : g.challenger, 0, 0, block.timestamp + MAX_CLOCK);
    }

    function _enqueue(uint256 gameId, Game storage g, TaskGames storage tg) private {
        g.status = GameStatus.Queued;
        uint48 position = tg.tail;
        tg.queue[position] = gameId;
        tg.tail = position + 1;
        tg.queued += 1;
        emit GameQueued(gameId, g.taskId, position);
    }

    /// @dev Closes a game that never ran (withdrawn, or moot): its bond is returned in full.
    function _close(uint256 gameId, Game storage g, TaskGames storage tg, bool moot) private {
        g.status = GameStatus.Withdrawn;
        tg.open -= 1;
        uint256 taskId = g.taskId;
        address challenger = g.challenger;
        emit GameWithdrawn(gameId, taskId, challenger, moot);
        _unlock(challenger, _bondHeld(gameId, g));
        MARKET.onDisputeWithdrawn(taskId);
    }

    /// @dev See `advanceQueue`. Each entry's effects come before its calls. When the last game on a
    ///      voided result has ended, the task's state is reset for the task's next result.
    function _advanceQueue(TaskGames storage tg) private {
        uint48 head = tg.head;
        uint48 tail = tg.tail;
        for (uint256 step = 0; step < MAX_QUEUE_STEPS && head < tail; step++) {
            uint256 gameId = tg.queue[head];
            Game storage g = games[gameId];
            if (g.status == GameStatus.Queued) {
                address operator = g.operator;
                uint256 minStake = g.minStake;
                CollateralKind kind = _availableCollateral(tg, operator, minStake);
                if (kind == CollateralKind.None && !tg.voided) break;
                head += 1;
                tg.head = head;
                tg.queued -= 1;
                if (kind == CollateralKind.None) {
                    _close(gameId, g, tg, true);
                } else {
                    _fund(gameId, g, tg, kind);
                    if (kind == CollateralKind.GameStake) _lock(operator, minStake);
                }
            } else {
                // INVARIANT: an entry that is not Queued was withdrawn (funding and moot closing pop it).
                head += 1;
                tg.head = head;
            }
        }
        if (tg.open == 0 && tg.voided) {
            tg.taskStake = TaskStakeState.Available;
            tg.voided = false;
            tg.head = tg.tail;
        }
    }

    // ---------------------------------------------------------------- internals: calls

    // One call site each, so the call's encoding is in the bytecode once (EIP-170).

    function _lock(address account, uint256 amount) private {
        STAKE_MANAGER.lock(account, amount);
    }

    function _unlock(address account, uint256 amount) private {
        STAKE_MANAGER.unlock(account, amount);
    }

    function _slash(address account, uint256 amount, address winner) private {
        STAKE_MANAGER.slash(account, amount, winner);
    }

    function _onResolved(uint256 taskId, bool operatorWon, bool taskStakeFree) private {
        MARKET.onDisputeResolved(taskId, operatorWon, taskStakeFree);
    }

    // ---------------------------------------------------------------- internals: views

    function _stepContext(Game storage g) private view returns (StepContext memory ctx) {
        Found storage f = g.found;
        ctx.taskId = g.taskId;
        ctx.datasetRoot = g.datasetRoot;
        ctx.step = f.step;
        ctx.stateRoot = f.stateRoot;
        ctx.nextStateRoot = f.nextStateOperator;
        ctx.nodesRoot = f.nodesRoot;
        ctx.numNodes = f.numNodes;
        ctx.numSlots = f.numSlots;
        ctx.node = f.node;
        ctx.element = f.element;
        ctx.instruction = f.instruction;
        ctx.programLength = f.programLength;
        ctx.intermediatesRoot = f.intermediatesOperator;
        ctx.instructionLeaf = f.instructionLeaf;
    }

    function _viewFound(Found storage f, GameView memory s) private view {
        s.step = f.step;
        s.stateRoot = f.stateRoot;
        s.nextStateOperator = f.nextStateOperator;
        s.nextStateChallenger = f.nextStateChallenger;
        s.nodesRoot = f.nodesRoot;
        s.numNodes = f.numNodes;
        s.numSlots = f.numSlots;
        s.node = f.node;
        s.outputOperator = f.outputOperator;
        s.outputChallenger = f.outputChallenger;
        s.descriptorHash = f.descriptorHash;
        s.shapeWord = f.shapeWord;
        s.numel = f.numel;
        s.element = f.element;
        s.valueOperator = f.valueOperator;
        s.valueChallenger = f.valueChallenger;
        s.programLength = f.programLength;
        s.intermediatesOperator = f.intermediatesOperator;
        s.intermediatesChallenger = f.intermediatesChallenger;
        s.instruction = f.instruction;
        s.claimOperator = f.claimOperator;
        s.claimChallenger = f.claimChallenger;
        s.instructionLeaf = f.instructionLeaf;
    }
}
