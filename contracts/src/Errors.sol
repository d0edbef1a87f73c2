// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {GameStatus, Level, Party} from "./DisputeTypes.sol";
import {RootKind, TaskStatus} from "./Task.sol";

/// @title Errors
/// @notice Every custom error of the Tribunal contracts, in one place. Errors carry the values that
///         explain them so that clients can say what to do ("stake 3 ETH is below the task's 5 ETH").
///         Time values are unix seconds, amounts are wei.
library Errors {
    // ---------------------------------------------------------------- ownership and wiring

    /// @notice Thrown when `caller` calls an owner-only function of a contract owned by `owner`.
    error NotOwner(address caller, address owner);

    /// @notice Thrown when an address parameter that must be set is the zero address.
    error ZeroAddress();

    /// @notice Thrown when `setSlashers` is called after the slashers were already set.
    error SlashersAlreadySet(address market, address disputeGame);

    /// @notice Thrown when the market and the dispute game would be the same address (their locks
    ///         are kept apart, so they must be distinct).
    error DuplicateSlasher(address slasher);

    /// @notice Thrown when `setDisputeGame` is called on the stake manager before `setSlashers`.
    error SlashersNotSet();

    /// @notice Thrown when `setDisputeGame` is called while a dispute game is already set.
    error DisputeGameAlreadySet(address disputeGame);

    /// @notice Thrown when the market's dispute game would differ from the stake manager's.
    error DisputeGameMismatch(address disputeGame, address stakeManagerDisputeGame);

    /// @notice Thrown when the market is given a dispute game `disputeGame` that has no code (it could
    ///         not answer which market it serves).
    error DisputeGameNotContract(address disputeGame);

    /// @notice Thrown when the market is given a dispute game that serves the market `gameMarket`,
    ///         not this market `market`: its hooks would report another market's games.
    error DisputeGameMarketMismatch(address gameMarket, address market);

    /// @notice Thrown when `caller` is neither the market nor the dispute game of the stake manager.
    error NotSlasher(address caller);

    /// @notice Thrown when `caller` calls a dispute-game hook of the market but is not the dispute game.
    error NotDisputeGame(address caller);

    // ---------------------------------------------------------------- deploy-time parameters

    /// @notice Thrown when a basis-point parameter exceeds 100% (`max` = 10000).
    error BpsTooHigh(uint256 bps, uint256 max);

    /// @notice Thrown when the stake manager is deployed with a zero unbonding delay.
    error ZeroUnbondingDelay();

    /// @notice Thrown when the market is deployed with a zero maximum challenge window.
    error ZeroMaxChallengeWindow();

    /// @notice Thrown when the market is deployed with a zero maximum dispute duration.
    error ZeroMaxDisputeDuration();

    /// @notice Thrown when stake could leave before a slash: the stake manager's unbonding `delay`
    ///         must be at least `required` = MAX_CHALLENGE_WINDOW + MAX_DISPUTE_DURATION +
    ///         UNBONDING_MARGIN (the margin is the time a timeout or last move needs to be included
    ///         once it is due; docs/protocol.md, "Deploy-time parameters").
    error UnbondingDelayTooShort(uint256 delay, uint256 required);

    /// @notice Thrown when the market's shortest challenge window `minWindow` is not within
    ///         1..`maxWindow` (its longest).
    error MinChallengeWindowOutOfRange(uint64 minWindow, uint64 maxWindow);

    /// @notice Thrown when the market is deployed with a zero floor on a task's `minStake`.
    error ZeroMinTaskStake();

    /// @notice Thrown when the market is deployed with a zero claim timeout.
    error ZeroClaimTimeout();

    /// @notice Thrown when the market is deployed with a missed-deadline slash of `bps` basis points,
    ///         below the floor `minBps`: a squatter evicted after each claim timeout (or an operator that
    ///         misses a deadline) would then lose (next to) nothing.
    error MissedDeadlineSlashTooLow(uint256 bps, uint256 minBps);

    // ---------------------------------------------------------------- stake and credits

    /// @notice Thrown when an amount that must be positive is zero (stake, unbond, lock, unlock,
    ///         slash, credit).
    error ZeroAmount();

    /// @notice Thrown when an account's free stake (bonded minus locked) `available` is below the
    ///         `required` amount (unbond request, lock, claim).
    error StakeTooLow(uint256 available, uint256 required);

    /// @notice Thrown when a slasher unlocks `amount` but holds only `locked` on the account.
    error UnlockExceedsLocked(uint256 locked, uint256 amount);

    /// @notice Thrown when `cancelUnbond` is called with nothing unbonding.
    error NothingUnbonding();

    /// @notice Thrown when `withdraw` or `withdrawCredit` finds nothing to pay out.
    error NothingToWithdraw();

    /// @notice Thrown when `withdraw` is called before the unbonding entry is ready at `readyAt`.
    error UnbondingNotReady(uint256 readyAt);

    /// @notice Thrown when sending `amount` wei to `to` failed (the receiver reverted).
    error TransferFailed(address to, uint256 amount);

    /// @notice Thrown when `flushBurned` is called while no burned ETH waits to be sent (every wei
    ///         of `totalBurned` already went to BURN_ADDRESS).
    error NothingToBurn();

    // ---------------------------------------------------------------- posting a task

    /// @notice Thrown when a task is posted without a reward.
    error ZeroReward();

    /// @notice Thrown when a task's `deadline` is not after the current `timestamp`.
    error DeadlineInPast(uint64 deadline, uint256 timestamp);

    /// @notice Thrown when a task has zero training steps.
    error ZeroSteps();

    /// @notice Thrown when `checkpointEvery` is not within 1..`steps`.
    error BadCheckpointInterval(uint32 checkpointEvery, uint32 steps);

    /// @notice Thrown when a task's challenge `window` is not within `min`..`max` (the market's
    ///         MIN_CHALLENGE_WINDOW and MAX_CHALLENGE_WINDOW).
    error ChallengeWindowOutOfRange(uint64 window, uint64 min, uint64 max);

    /// @notice Thrown when a task's `minStake` is below the market's floor `floor` (MIN_TASK_STAKE):
    ///         a smaller stake would not pay a winning challenger's gas.
    error MinStakeBelowFloor(uint256 minStake, uint256 floor);

    /// @notice Thrown when a task is posted without a spec URI.
    error EmptySpecURI();

    /// @notice Thrown when the commitment `which` (spec, dataset, init state, graph, trace, model,
    ///         checkpoint manifest, final state) is zero.
    error ZeroRoot(RootKind which);

    // ---------------------------------------------------------------- task life cycle

    /// @notice Thrown when task `taskId` is in status `actual` but the call needs `expected`.
    error WrongStatus(uint256 taskId, TaskStatus actual, TaskStatus expected);

    /// @notice Thrown when `caller` tries to cancel a task posted by `submitter`.
    error NotSubmitter(address caller, address submitter);

    /// @notice Thrown when a submitter tries to claim its own task.
    error SelfClaim();

    /// @notice Thrown when a claim, a submission or an eviction comes after the task's `deadline`.
    error DeadlinePassed(uint64 deadline, uint256 timestamp);

    /// @notice Thrown when `evictClaim` is called before the claim timed out: the operator may submit
    ///         until `timeoutAt` (claimedAt + CLAIM_TIMEOUT); it is `timestamp` now.
    error ClaimNotTimedOut(uint256 timeoutAt, uint256 timestamp);

    /// @notice Thrown when `expire` is called while the task's `deadline` has not passed.
    error DeadlineNotPassed(uint64 deadline, uint256 timestamp);

    /// @notice Thrown when task `taskId` in status `status` has nothing to expire (only Open and
    ///         Claimed tasks expire).
    error NotExpirable(uint256 taskId, TaskStatus status);

    /// @notice Thrown when `caller` acts for a task whose operator is `operator`.
    error NotOperator(address caller, address operator);

    /// @notice Thrown when a submitted result's `finalStateRoot` is not leaf S (the last of the S + 1
    ///         state commitments) of its `traceRoot` under the proof given: the model a result
    ///         names must be the final state of the trace the dispute game settles.
    error FinalStateNotInTrace(bytes32 finalStateRoot, bytes32 traceRoot);

    /// @notice Thrown when a dispute is opened after the challenge window ended at `endsAt`.
    error ChallengeWindowClosed(uint256 endsAt);

    /// @notice Thrown when `finalize` is called while the challenge window runs until `endsAt`.
    error ChallengeWindowOpen(uint256 endsAt);

    /// @notice Thrown when `finalize` is called while `count` disputes are still open.
    error DisputesOpen(uint32 count);

    /// @notice Thrown when the dispute game resolves or withdraws a dispute on task `taskId`, which has
    ///         none open.
    error NoOpenDispute(uint256 taskId);

    // ================================================================ DisputeGame
    // Errors of `DisputeGame` (docs/protocol.md, "The dispute game"). Merkle-proof checks report the proof's
    // length next to the depth the tree's leaf count fixes, so a wrong length is told from a wrong
    // sibling.

    // ---------------------------------------------------------------- deploy-time parameters

    /// @notice Thrown when the dispute game is deployed with a zero challenger bond.
    error ZeroChallengerBond();

    /// @notice Thrown when the dispute game is deployed with a zero maximum clock.
    error ZeroMaxClock();

    /// @notice Thrown when both parties' clocks together (`twiceMaxClock` = 2 * MAX_CLOCK seconds)
    ///         do not fit in the market's `maxDisputeDuration`.
    error ClockExceedsDisputeDuration(uint256 twiceMaxClock, uint256 maxDisputeDuration);

    /// @notice Thrown when a dispute game uses stake manager `given` but the market uses `expected`
    ///         (at the game's deployment, or when the market is given the game).
    error StakeManagerMismatch(address given, address expected);

    // ---------------------------------------------------------------- opening

    /// @notice Thrown when `operator`, the operator of task `taskId`, tries to challenge its own result.
    error ChallengerIsOperator(uint256 taskId, address operator);

    /// @notice Thrown when a challenger's trace root equals the operator's `traceRoot` (nothing differs).
    error SameTraceRoot(bytes32 traceRoot);

    // ---------------------------------------------------------------- the queue of games

    /// @notice Thrown when `withdrawQueued` is called for game `gameId`, which is `status`, not Queued
    ///         (a funded game is played to its end; a closed one has nothing to withdraw).
    error NotQueued(uint256 gameId, GameStatus status);

    /// @notice Thrown when `caller` withdraws a queued game whose challenger is `challenger`.
    error NotChallenger(address caller, address challenger);

    /// @notice Thrown when `advanceQueue` is called for task `taskId`, whose queue of games is empty.
    error QueueEmpty(uint256 taskId);

    // ---------------------------------------------------------------- settlement

    /// @notice Thrown when `settle` is called for game `gameId`, which is `status`: only a decided
    ///         game (OperatorWon or ChallengerWon) is settled.
    error NotDecided(uint256 gameId, GameStatus status);

    /// @notice Thrown when `settle` is called for game `gameId`, whose verdict was already settled.
    error AlreadySettled(uint256 gameId);

    // ---------------------------------------------------------------- moves

    /// @notice Thrown when game `gameId` takes no moves: it does not exist (`None`) or is resolved.
    error GameNotActive(uint256 gameId, GameStatus status);

    /// @notice Thrown when a move for level `expected` is made while game `gameId` is at `actual`.
    error WrongLevel(uint256 gameId, Level actual, Level expected);

    /// @notice Thrown when `reveal` is called while game `gameId` is at `level`, which is no descent.
    error NotDescending(uint256 gameId, Level level);

    /// @notice Thrown when `caller` makes a reveal move while `onTurn` must move.
    error NotOnTurn(address caller, address onTurn);

    /// @notice Thrown when `caller`, neither the operator nor the challenger, makes a proof move.
    error NotParty(address caller);

    /// @notice Thrown when a move comes after the clock of `party`, on turn, ran out: it has used
    ///         `spent` of its `maxClock` seconds. Call `claimTimeout` instead.
    error ClockExpired(Party party, uint256 spent, uint256 maxClock);

    /// @notice Thrown when `claimTimeout` is called while the clock of `party`, on turn, is live: it
    ///         has used `spent` of its `maxClock` seconds and may move until `deadline`.
    error ClockNotExpired(Party party, uint256 spent, uint256 maxClock, uint256 deadline);

    /// @notice Thrown when revealed children do not open the mover's node: they hash to `opened`,
    ///         the node is `expected`.
    error RevealMismatch(bytes32 opened, bytes32 expected);

    /// @notice Thrown when a revealed output data root bound to the node's shape gives `tensorRoot`,
    ///         not the mover's output root `expected`.
    error OutputRootMismatch(bytes32 tensorRoot, bytes32 expected);

    /// @notice Thrown when a state is not leaf `step` of the operator's trace root (`startStep` on
    ///         the direct path, `commitSegment`'s h_a, a delivery's h_t), or when `startStep`'s h_t is
    ///         not leaf t - a of the operator's segment root after a Segment round (`step` is then
    ///         t - a); the proof has `proofLength` siblings, the tree's depth is `depth`.
    error StateProofInvalid(uint256 step, uint256 proofLength, uint256 depth);

    /// @notice Thrown when keccak256(abi.encode(nodesRoot, numNodes, numSlots)) is `computed`, not
    ///         the task's graph root `expected`.
    error GraphRootMismatch(bytes32 computed, bytes32 expected);

    /// @notice Thrown when `commitSegment` is given a zero segment root.
    error ZeroSegmentRoot(uint256 gameId);

    /// @notice Thrown when `state` is not leaf `leaf` (0: the agreed h_a; L - 1: the mover's own h_i)
    ///         of the segment root given to `commitSegment` (the proof has `proofLength` siblings, the
    ///         segment's L leaves have depth `depth`).
    error SegmentProofInvalid(uint256 leaf, bytes32 state, uint256 proofLength, uint256 depth);

    /// @notice Thrown when a descriptor is not leaf `node` of the graph's nodes root (the proof has
    ///         `proofLength` siblings, the graph's depth is `depth`).
    error DescriptorProofInvalid(uint256 node, uint256 proofLength, uint256 depth);

    /// @notice Thrown when a re-supplied descriptor hashes to `given`, not the stored `expected`.
    error DescriptorMismatch(bytes32 given, bytes32 expected);

    /// @notice Thrown when the one-step prover says element `element` of node `node` has an empty program.
    error EmptyProgram(uint256 node, uint256 element);

    /// @notice Thrown when a committed intermediates root does not hold `lastLeaf` at leaf
    ///         `leafIndex` (the proof has `proofLength` siblings, the tree's depth is `depth`).
    error IntermediatesProofInvalid(uint256 leafIndex, uint256 proofLength, uint256 depth);

    /// @notice Thrown when a party's last intermediate `proven` is not its claimed element value `claimed`.
    error LastIntermediateMismatch(uint32 proven, uint32 claimed);

    // ---------------------------------------------------------------- one step (OneStepProver)

    /// @notice Thrown when the descriptor has `expected` inputs but `given` input shapes were supplied.
    error WrongInputCount(uint256 expected, uint256 given);

    /// @notice Thrown when input `input` is NODE `node`, which is not before the executed node
    ///         `current` (only earlier outputs are agreed).
    error InputNotEarlier(uint256 input, uint256 node, uint256 current);

    /// @notice Thrown when input `input`'s ref has kind `kind`, which is none of NODE, STATE, DATASET.
    error UnknownInputKind(uint256 input, uint256 kind);

    /// @notice Thrown when input `input`'s tensor root is not leaf `leafIndex` of its state
    ///         commitment (the proof has `proofLength` siblings, the tree's depth is `depth`).
    error InputProofInvalid(uint256 input, uint256 leafIndex, uint256 proofLength, uint256 depth);

    /// @notice Thrown when input `input`'s data root and shape word hash to `bound`, not its tensor
    ///         root `tensorRoot` (for DATASET: the task's dataset root).
    error InputRootMismatch(uint256 input, bytes32 bound, bytes32 tensorRoot);

    /// @notice Thrown when the dataset's shape word `shapeWord` is not a (rows, width) matrix with
    ///         width > 0.
    error DatasetShapeInvalid(bytes32 shapeWord);

    /// @notice Thrown when operand `operand` reads intermediate `temp`, which is not before the
    ///         executed instruction `instruction` (only earlier intermediates are agreed).
    error TempNotEarlier(uint256 operand, uint256 temp, uint256 instruction);

    /// @notice Thrown when the instruction has `arity` operands but `given` operand proofs were supplied.
    error WrongOperandCount(uint256 arity, uint256 given);

    /// @notice Thrown when operand `operand`'s leaf is not leaf `leafIndex` of its tree (the proof
    ///         has `proofLength` siblings, the tree's depth is `depth`).
    error OperandProofInvalid(uint256 operand, uint256 leafIndex, uint256 proofLength, uint256 depth);

    // ---------------------------------------------------------------- commitments (Merkle, ShapeWords, Commitments)

    /// @notice Thrown when a leaf index has bits above the proof's depth.
    error IndexOutsideProof(uint256 index, uint256 depth);

    /// @notice Thrown when a shape has more dimensions than a shape word holds.
    error TooManyDimensions(uint256 ndim, uint256 max);

    /// @notice Thrown when a dimension does not fit a uint32.
    error DimensionTooLarge(uint256 dim);

    /// @notice Thrown when batch rows are drawn from a dataset of no rows.
    error NoRows();

    // ---------------------------------------------------------------- element programs (Programs, AffineMaps)
    //
    // An op spec, shapes, element or instruction index that names no instruction of
    // `tribunal.repops.registry`. Each one matches a `ShapeError`, `ValueError` or `IndexError` the
    // Python reference raises for the same arguments; the dispute game never meets them for a
    // validated step graph, so they only stop malformed moves.

    /// @notice Thrown when `opKind` is not an `OpKind` number.
    error UnknownOpKind(uint8 opKind);

    /// @notice Thrown when an op kind with a fixed parameter list (or the chain's BATCH_GATHER
    ///         `(seed, numRows)`, or a COPY/GATHER_SUM affine map) gets `actual` parameters
    ///         instead of `expected`.
    error ParamCountMismatch(uint8 opKind, uint256 expected, uint256 actual);

    /// @notice Thrown when parameter `index` of `opKind` has a value the op does not take (an
    ///         opcode of the wrong arity, an unknown broadcast, a reduce range outside the shape,
    ///         a view of rank above 7, a divisor below 1, …).
    error ParamInvalid(uint8 opKind, uint256 index, uint256 value);

    /// @notice Thrown when `opKind` takes `expected` inputs and `actual` input shapes were given.
    error InputCountMismatch(uint8 opKind, uint256 expected, uint256 actual);

    /// @notice Thrown when a shape word is not canonical (ndim above 7, or bits after the last
    ///         dimension).
    error ShapeWordInvalid(bytes32 word);

    /// @notice Thrown when input `input`'s shape `shape` does not fit `opKind` and the other
    ///         inputs (the Python `output_shape` check).
    error InputShapeMismatch(uint8 opKind, uint256 input, bytes32 shape);

    /// @notice Thrown when the node's declared output shape `actual` is not the shape `expected`
    ///         that `opKind` gives for its inputs and parameters.
    error OutputShapeMismatch(uint8 opKind, bytes32 expected, bytes32 actual);

    /// @notice Thrown when a COPY or GATHER_SUM affine map has a coefficient or offset of magnitude
    ///         2**127 or more (Python's integers would take it; no real layout comes near).
    error AffineValueTooLarge(uint8 opKind);

    /// @notice Thrown when a count that a program divides by (a mean, a layer-norm width, …) is
    ///         outside 1..2**24, so it is not an exact float32.
    error CountNotExactFloat32(uint256 count);

    /// @notice Thrown when `element` is not below the output's element count `numel`.
    error ElementOutOfRange(uint256 element, uint256 numel);

    /// @notice Thrown when instruction `index` is not below the element's program length `length`.
    error InstructionOutOfRange(uint256 index, uint256 length);

    // ---------------------------------------------------------------- availability challenges

    /// @notice Thrown when the dispute game is deployed with a chunk size that is not a power of two
    ///         in 1..4096 leaves.
    error ChunkLeavesInvalid(uint256 chunkLeaves);

    /// @notice Thrown when the dispute game is deployed with a zero bond per challenged chunk.
    error ZeroChunkBond();

    /// @notice Thrown when an availability challenge names step `step`, which is neither the task's
    ///         last step `steps` nor a checkpoint step (a multiple of `checkpointEvery` from 1).
    error NotCheckpointStep(uint256 step, uint256 checkpointEvery, uint256 steps);

    /// @notice Thrown when the slot named is not below the graph's `numSlots`.
    error SlotOutOfRange(uint256 slot, uint256 numSlots);

    /// @notice Thrown when the initial tensor given for slot `slot` is not leaf `slot` of the task's h_0.
    error InitialSlotProofInvalid(uint256 slot);

    /// @notice Thrown when the consumer descriptor (node `node`) reads no STATE ref of slot `slot`
    ///         whose producer is a node of the graph.
    error SlotNotRead(uint256 slot, uint256 node);

    /// @notice Thrown when an availability challenge names no chunk (a zero mask).
    error NoChunksNamed();

    /// @notice Thrown when chunk `chunk` is not below the tensor's `numChunks` chunks.
    error ChunkOutOfRange(uint256 chunk, uint256 numChunks);

    /// @notice Thrown when chunk `chunk` delivered to game `gameId` was not named by its challenge.
    error ChunkNotNamed(uint256 gameId, uint256 chunk);

    /// @notice Thrown when chunk `chunk` of game `gameId` was delivered already.
    error ChunkAlreadyDelivered(uint256 gameId, uint256 chunk);

    /// @notice Thrown when chunk `chunk`'s data is `length` bytes, not the `expected` (32 per leaf).
    error ChunkLengthInvalid(uint256 chunk, uint256 length, uint256 expected);

    /// @notice Thrown when chunk `chunk`'s root and proof (`length` siblings, `depth` expected) do
    ///         not lead to the tensor's data root.
    error ChunkProofInvalid(uint256 chunk, uint256 length, uint256 depth);

    /// @notice Thrown when the delivered tensor is not leaf `node` of the state (`length` siblings
    ///         given, `depth` expected): the state it leads to is `computed`, not `expected`.
    error DeliveredStateMismatch(uint256 node, uint256 length, uint256 depth, bytes32 computed, bytes32 expected);

    /// @notice Thrown when a delivery names data root `given` but an earlier one proved `stored`.
    error DataRootMismatch(bytes32 given, bytes32 stored);

    // ---------------------------------------------------------------- forced errors and the jackpot

    /// @notice Thrown when `setJackpot` is called while a jackpot is already set.
    error JackpotAlreadySet(address jackpot);

    /// @notice Thrown when `setJackpot` is called after `taskCount` tasks were posted: the forced-error
    ///         rules are fixed at deploy, before any task exists.
    error JackpotSetAfterTasks(uint256 taskCount);

    /// @notice Thrown when the market is given a jackpot `jackpot` that has no code.
    error JackpotNotContract(address jackpot);

    /// @notice Thrown when the market is given a jackpot that serves the market `jackpotMarket`.
    error JackpotMarketMismatch(address jackpotMarket, address market);

    /// @notice Thrown when the forced-error probability `ppm` is not in 1..1,000,000 parts per million.
    error ForcedErrorPpmOutOfRange(uint256 ppm);

    /// @notice Thrown when the audit window (reveal phase, then game phase) would be zero seconds.
    error ZeroAuditWindow();

    /// @notice Thrown when a forced-error function is called on a market deployed without forced errors.
    error ForcedErrorsOff();

    /// @notice Thrown when the operator of task `taskId` commits a second draw for the same claim.
    error DrawAlreadyCommitted(uint256 taskId);

    /// @notice Thrown when a secret hash of zero is committed.
    error ZeroSecretHash();

    /// @notice Thrown when task `taskId` is submitted (or revealed) without a committed draw: call
    ///         `commitDraw` first, then submit in a later block.
    error DrawNotCommitted(uint256 taskId);

    /// @notice Thrown when a result is submitted in block `blockNumber`, not after the draw's block
    ///         `committedBlock`: its hash (the seed) is not known yet. Submit in a later block.
    error DrawNotReady(uint256 committedBlock, uint256 blockNumber);

    /// @notice Thrown when the draw's block `committedBlock` is more than 256 blocks old: its hash is
    ///         gone, so the result can no longer be submitted (submit right after committing).
    error DrawExpired(uint256 committedBlock);

    /// @notice Thrown when a revealed secret does not hash to the committed one.
    error DrawSecretMismatch(bytes32 committed, bytes32 revealed);

    /// @notice Thrown when the draw of task `taskId` was revealed already.
    error DrawAlreadyRevealed(uint256 taskId);

    /// @notice Thrown when a draw is revealed before the seal phase ends at `sealEndsAt`.
    error RevealTooEarly(uint256 sealEndsAt);

    /// @notice Thrown when a draw is revealed after the reveal phase ended at `revealEndsAt`.
    error RevealTooLate(uint256 revealEndsAt);

    /// @notice Thrown when `revealDraw` is called on a forced draw: use `revealForcedError`.
    error ForcedErrorMustBeRevealed(uint256 taskId);

    /// @notice Thrown when `revealForcedError` is called on a draw that is not forced: use `revealDraw`.
    error NotAForcedError(uint256 taskId);

    /// @notice Thrown when `forcedLeaf` is not leaf `leaf` of the submitted trace.
    error ForcedLeafNotInTrace(uint256 leaf, bytes32 forcedLeaf);

    /// @notice Thrown when the revealed honest leaf is zero or equals the forced one.
    error ForcedLeafUnchanged(bytes32 leafValue);

    /// @notice Thrown when a dispute game opens before the game phase of its result, at `opensAt`.
    error GamesNotOpenYet(uint256 opensAt);

    /// @notice Thrown when task `taskId` is finalised before its operator revealed its draw.
    error DrawNotRevealed(uint256 taskId);

    /// @notice Thrown when `forfeitUnrevealed` is called on task `taskId` whose draw was revealed.
    error DrawRevealed(uint256 taskId);

    /// @notice Thrown when a jackpot function only the market may call is called by `caller`.
    error NotMarket(address caller);

    /// @notice Thrown when the jackpot's pot would be zero wei.
    error ZeroPot();

    /// @notice Thrown when an escrow of `escrow` wei would have to cover `needed` wei: a withdrawal
    ///         beyond it, or below what the operator's claimed tasks reserve.
    error EscrowTooLow(uint256 escrow, uint256 needed);

    /// @notice Thrown when an operator claims a task while its jackpot escrow beyond what its claimed
    ///         tasks reserve (`escrow` wei) is below one pot (`pot` wei): fund it with
    ///         `Jackpot.fundEscrow` first.
    error AuditEscrowTooLow(uint256 escrow, uint256 pot);

    /// @notice Thrown when a seal of zero is posted.
    error ZeroSeal();

    /// @notice Thrown when seal `sealHash` was posted already.
    error SealExists(bytes32 sealHash);

    /// @notice Thrown when no seal `sealHash` of the caller exists: the revealed state, salt or task
    ///         differ from the sealed ones, or the seal was revealed already.
    error SealNotFound(bytes32 sealHash);

    /// @notice Thrown when a seal made at `sealedAt` is outside the result's seal phase `from`..`to`.
    error SealOutsidePhase(uint256 sealedAt, uint256 from, uint256 to);

    /// @notice Thrown when a revealed catch names state `state`, not the honest leaf the operator revealed.
    error CatchWrongState(bytes32 state, bytes32 honestLeaf);

    /// @notice Thrown when `catcher` already caught the forced error of task `taskId`.
    error AlreadyCaught(uint256 taskId, address catcher);

    /// @notice Thrown when task `taskId` has no open jackpot pot.
    error NoPot(uint256 taskId);

    /// @notice Thrown when a catch is revealed after the catch window ended at `endsAt`.
    error CatchWindowClosed(uint256 endsAt);

    /// @notice Thrown when a pot is claimed or closed before its catch window ends at `endsAt`.
    error CatchWindowOpen(uint256 endsAt);

    /// @notice Thrown when a pot of task `taskId` is claimed but its honest root did not stand (the
    ///         task is not finalised with it): the pot goes back to the fund instead.
    error PotNotPayable(uint256 taskId);

    /// @notice Thrown when a pot of task `taskId` is closed while its result is still being settled.
    error PotNotSettled(uint256 taskId);

    /// @notice Thrown when `catcher` claims a pot of task `taskId` it did not catch, or claimed already.
    error NothingToClaim(uint256 taskId, address catcher);

    /// @notice Thrown when the pot of task `taskId` was closed already.
    error PotAlreadyClosed(uint256 taskId);

    /// @notice Thrown when a jackpot is deployed with a verifier bond of zero.
    error ZeroVerifierBond();

    /// @notice Thrown when a jackpot is deployed with a committee of `size` members, outside 1..`max`.
    error CommitteeSizeOutOfRange(uint256 size, uint256 max);

    /// @notice Thrown when `register` is sent `sent` wei instead of the verifier bond `bond`.
    error WrongVerifierBond(uint256 sent, uint256 bond);

    /// @notice Thrown when `account` registers while it is a member already.
    error AlreadyMember(address account);

    /// @notice Thrown when `account` exits the registry without being a member.
    error NotMember(address account);

    /// @notice Thrown when the committee of task `taskId` is drawn before any result was submitted.
    error NoCommitteeDraw(uint256 taskId);

    /// @notice Thrown when the committee of task `taskId`'s latest result was drawn already.
    error CommitteeAlreadyDrawn(uint256 taskId);

    /// @notice Thrown when a committee is drawn in its result's own block `submitBlock` (now
    ///         `blockNumber`): its hash is known only from the next block on.
    error CommitteeNotReady(uint256 submitBlock, uint256 blockNumber);

    /// @notice Thrown when a committee is drawn more than 256 blocks after its result's block
    ///         `submitBlock`: the EVM no longer serves its hash, and the result has no committee.
    error CommitteeExpired(uint256 submitBlock);

    /// @notice Thrown when `account` reveals a catch of task `taskId` without being in its committee.
    error NotInCommittee(uint256 taskId, address account);

    /// @notice Thrown when a game is opened by an account outside the result's committee before
    ///         `until`: the committee goes first (`TaskMarket.committeeFirstUntil`).
    error CommitteeGoesFirst(uint256 until);

    // ---------------------------------------------------------------- DiLoCo jobs (DilocoJobs)

    /// @notice Thrown when a job asks for `rounds` rounds of `shards` shards, outside
    ///         1..MAX_ROUNDS × 1..MAX_SHARDS.
    error JobShapeOutOfRange(uint256 rounds, uint256 shards);

    /// @notice Thrown when a job's `shardDatasetRoots` has `got` roots instead of one per shard (`expected`).
    error ShardDatasetRootsLength(uint256 got, uint256 expected);

    /// @notice Thrown when a job's `segmentGraphRoots` has `got` roots instead of rounds × shards (`expected`).
    error SegmentGraphRootsLength(uint256 got, uint256 expected);

    /// @notice Thrown when a root a job names is zero: `which` is Spec (the job's spec hash), Dataset or
    ///         Graph; `index` is the shard (dataset), the segment `round * shards + shard` (graph), or
    ///         OUTER_INDEX for the outer step's root (and for the spec hash).
    error ZeroJobRoot(RootKind which, uint256 index);

    /// @notice Thrown when a job's shard or outer reward is zero or above `max` (2^128 - 1, so that
    ///         the job's total cannot overflow).
    error JobRewardOutOfRange(uint256 shardReward, uint256 outerReward, uint256 max);

    /// @notice Thrown when `postJob` is sent `got` wei instead of rounds × (shards × shardReward +
    ///         outerReward) = `expected`.
    error WrongJobEscrow(uint256 expected, uint256 got);

    /// @notice Thrown when a job's task timeout is zero, or its deadline (now + `taskTimeout`) does
    ///         not fit a uint64.
    error TaskTimeoutOutOfRange(uint64 taskTimeout);

    /// @notice Thrown when a job's wiring has `globalSlots` global slots outside 1..MAX_SLOTS or
    ///         `shardSlots` trainable slots outside 1..globalSlots.
    error WiringSlotsOutOfRange(uint256 globalSlots, uint256 shardSlots);

    /// @notice Thrown when a job's wiring has `count` segment state slots (`segmentInit`), outside
    ///         1..MAX_SLOTS.
    error SegmentSlotsOutOfRange(uint256 count);

    /// @notice Thrown when a job's wiring has a step graph of zero or more than MAX_NODES nodes.
    error WiringNodesOutOfRange(uint256 segmentNodes, uint256 outerNodes);

    /// @notice Thrown when `initialGlobal` has `got` roots instead of the wiring's globalSlots (`expected`).
    error InitialGlobalLength(uint256 got, uint256 expected);

    /// @notice Thrown when `segmentConst` has `got` entries instead of one per `segmentInit` entry (`expected`).
    error SegmentConstLength(uint256 got, uint256 expected);

    /// @notice Thrown when `segmentOut` has `got` entries instead of the wiring's shardSlots (`expected`).
    error SegmentOutLength(uint256 got, uint256 expected);

    /// @notice Thrown when `outerOut` has `got` entries instead of the wiring's globalSlots (`expected`).
    error OuterOutLength(uint256 got, uint256 expected);

    /// @notice Thrown when segment state slot `slot` is wired to global slot `source`, neither below
    ///         `globalSlots` nor NO_SOURCE.
    error SegmentInitOutOfRange(uint256 slot, uint256 source, uint256 globalSlots);

    /// @notice Thrown when segment state slot `slot` is a constant (NO_SOURCE) whose root is zero.
    error ZeroSegmentConst(uint256 slot);

    /// @notice Thrown when output `index` of a job's wiring (`outer`: outerOut, else segmentOut) names
    ///         node `node` of a graph of only `nodes` nodes.
    error WiringOutputOutOfRange(bool outer, uint256 index, uint256 node, uint256 nodes);

    /// @notice Thrown when job `jobId` is in status `status` (DilocoJobs.JobStatus as uint8:
    ///         None, Training, Averaging, Completed, Failed) and the call needs Training.
    error JobNotTraining(uint256 jobId, uint8 status);

    /// @notice Thrown when job `jobId` is in status `status` and the call needs Averaging.
    error JobNotAveraging(uint256 jobId, uint8 status);

    /// @notice Thrown when job `jobId` is in status `status` and the call needs Training or Averaging.
    error JobNotLive(uint256 jobId, uint8 status);

    /// @notice Thrown when `shard` is not below the job's `shards`.
    error ShardOutOfRange(uint256 shard, uint256 shards);

    /// @notice Thrown when shard `shard` of round `round` of job `jobId` was recorded already.
    error SegmentAlreadyRecorded(uint256 jobId, uint256 round, uint256 shard);

    /// @notice Thrown when a job reads the result of task `taskId`, which is in status `status`, not
    ///         Finalized: only a result that survived its challenge window links two tasks.
    error TaskNotFinalized(uint256 taskId, TaskStatus status);

    /// @notice Thrown when a final state is given as `got` leaves instead of the graph's node count `expected`.
    error WrongLeafCount(uint256 got, uint256 expected);

    /// @notice Thrown when the given leaves hash to `root`, not to the task's final state
    ///         `finalStateRoot` (h_S as the market stored it).
    error LeavesNotFinalState(bytes32 root, bytes32 finalStateRoot);

    /// @notice Thrown when the outer step is opened with only `recorded` of `shards` segments recorded.
    error RoundNotRecorded(uint256 recorded, uint256 shards);

    /// @notice Thrown when `openOuter` is given `got` global roots instead of the wiring's globalSlots (`expected`).
    error GlobalLength(uint256 got, uint256 expected);

    /// @notice Thrown when `openOuter` is given `got` shard roots instead of shards × shardSlots (`expected`).
    error ShardRootsLength(uint256 got, uint256 expected);

    /// @notice Thrown when the global roots given to `openOuter` hash to `got`, not to the round's
    ///         stored global root `expected`.
    error GlobalRootMismatch(bytes32 got, bytes32 expected);

    /// @notice Thrown when shard `shard`'s roots given to `openOuter` hash to `got`, not to the root
    ///         `recordSegment` stored (`expected`).
    error ShardRootMismatch(uint256 shard, bytes32 got, bytes32 expected);

    /// @notice Thrown when a job is abandoned, or its stall reported, while its current task `taskId`
    ///         is in the non-final status `status`: it may still be finalised.
    error RoundStillRunning(uint256 taskId, TaskStatus status);

    /// @notice Thrown when job `jobId` is abandoned although none of its current tasks was refunded
    ///         and it has not stalled: its stall clock did not start (`stalledAt` 0: `reportStall`) or
    ///         `taskTimeout` seconds have not passed since `stalledAt`, so it can still go on.
    error JobNotStalled(uint256 jobId, uint256 stalledAt);

    /// @notice Thrown when the stall clock of job `jobId` is started again; it started at `stalledAt`.
    error StallAlreadyReported(uint256 jobId, uint256 stalledAt);

    /// @notice Thrown when ETH is sent to the job contract by `sender`, not its StakeManager.
    error NotStakeManager(address sender);
}
