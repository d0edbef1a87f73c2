// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CollateralKind, GameStatus, Level, Party, Resolution} from "./DisputeTypes.sol";

/// @title IDisputeGame
/// @notice The events of `DisputeGame`, one per move or outcome of a game, indexed on the game,
///         the task and the party people filter by; the indexer and the dashboard read the game
///         from them.
interface IDisputeGame {
    /// @notice A challenger opened a game against a submitted result (`GameFunded` or `GameQueued`
    ///         follows).
    /// @param gameId The new game.
    /// @param taskId The disputed task.
    /// @param challenger The challenger (its bond is locked).
    /// @param operator The task's operator.
    /// @param traceRootOperator The operator's trace root (the task's).
    /// @param traceRootChallenger The challenger's trace root.
    /// @param bond Wei of the challenger's stake locked as bond.
    /// @param maxClock Seconds each party's clock holds.
    event GameOpened(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed challenger,
        address operator,
        bytes32 traceRootOperator,
        bytes32 traceRootChallenger,
        uint256 bond,
        uint64 maxClock
    );

    /// @notice No collateral was free for a new game (or games already wait): it waits in the task's
    ///         FIFO queue, with no clock running, until `advanceQueue` funds it or it is withdrawn.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param position Its index in the task's queue (games are funded in increasing position).
    event GameQueued(uint256 indexed gameId, uint256 indexed taskId, uint256 position);

    /// @notice The game got its own operator collateral and became Active (at `open`, or from the
    ///         queue); `ClockStarted` follows, the challenger on turn.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param kind TaskStake (the market's lock of the task) or GameStake (locked for this game alone).
    /// @param amount Wei of the operator's stake backing the game (the task's minStake).
    event GameFunded(uint256 indexed gameId, uint256 indexed taskId, CollateralKind kind, uint256 amount);

    /// @notice A queued game was closed before it ran; its challenger's bond was returned in full.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param challenger The challenger.
    /// @param moot True if closed by `advanceQueue` because the result was voided and no collateral
    ///        could back the game; false if its challenger withdrew it (`withdrawQueued`).
    event GameWithdrawn(uint256 indexed gameId, uint256 indexed taskId, address indexed challenger, bool moot);

    /// @notice A descent began over a new tree (steps, nodes, output elements, intermediates).
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The account whose move began it.
    /// @param level The descent's level.
    /// @param leafCount The tree's real leaf count (leaves beyond it are padding).
    /// @param height The tree's depth (0: the roots are the leaves).
    /// @param rootOperator The operator's root.
    /// @param rootChallenger The challenger's root.
    event DescentStarted(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        Level level,
        uint256 leafCount,
        uint256 height,
        bytes32 rootOperator,
        bytes32 rootChallenger
    );

    /// @notice The clock of `party` started running: it must move by `deadline`.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The party now on turn.
    /// @param usedChallenger Seconds the challenger has used.
    /// @param usedOperator Seconds the operator has used.
    /// @param deadline Last second at which `party` may move; `claimTimeout` works after it.
    event ClockStarted(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        uint64 usedChallenger,
        uint64 usedOperator,
        uint256 deadline
    );

    /// @notice A party revealed the two children of its node at (`height`, `position`).
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The revealing party.
    /// @param level The descent's level.
    /// @param position The node's index at its height.
    /// @param height The node's height above the leaves.
    /// @param left Its left child.
    /// @param right Its right child.
    event ChildrenRevealed(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        Level level,
        uint256 position,
        uint256 height,
        bytes32 left,
        bytes32 right
    );

    /// @notice A descent round completed: the descent continues at (`height`, `position`).
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The operator, whose reveal completed the round.
    /// @param level The descent's level.
    /// @param position The child's index (even: went left, odd: went right).
    /// @param height The child's height (0: a leaf).
    /// @param rootOperator The operator's child.
    /// @param rootChallenger The challenger's child.
    event Bisected(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        Level level,
        uint256 position,
        uint256 height,
        bytes32 rootOperator,
        bytes32 rootChallenger
    );

    /// @notice The step descent found step t: h_t agreed, h_{t+1} differs.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The account whose move found it.
    /// @param step t.
    /// @param nextStateOperator The operator's h_{t+1}.
    /// @param nextStateChallenger The challenger's h_{t+1}.
    event StepFound(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        uint256 step,
        bytes32 nextStateOperator,
        bytes32 nextStateChallenger
    );

    /// @notice The step descent ended at a committed leaf i whose interval [a, i] has steps that
    ///         are not committed: the Segment reveal round (`commitSegment`) opens it.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The account whose move found it.
    /// @param segmentStart a: the previous committed step (h_a is agreed).
    /// @param segmentLeaves L = i - a + 1: the states h_a..h_i each segment root covers.
    /// @param stateOperator The operator's h_i (leaf L - 1 of its segment).
    /// @param stateChallenger The challenger's h_i (leaf L - 1 of its segment).
    event SegmentFound(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        uint256 segmentStart,
        uint256 segmentLeaves,
        bytes32 stateOperator,
        bytes32 stateChallenger
    );

    /// @notice A party committed its segment root (`commitSegment`): the Merkle root over its
    ///         per-step states h_a..h_i, bound to the agreed h_a and to its own h_i.
    /// @param gameId The game.
    /// @param party Who committed (the challenger first, then the operator).
    /// @param segmentRoot The segment root.
    event SegmentCommitted(uint256 indexed gameId, Party party, bytes32 segmentRoot);

    /// @notice h_t and the graph's size were proven (`startStep`).
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The prover.
    /// @param step t.
    /// @param stateRoot h_t.
    /// @param nodesRoot Merkle root of the node descriptors.
    /// @param numNodes Nodes per step.
    /// @param numSlots State tensors of h_0.
    event StepStarted(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        uint256 step,
        bytes32 stateRoot,
        bytes32 nodesRoot,
        uint256 numNodes,
        uint256 numSlots
    );

    /// @notice The node descent found node n: earlier outputs agreed, n's differs.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The account whose move found it.
    /// @param node n.
    /// @param outputOperator The operator's output tensor root.
    /// @param outputChallenger The challenger's output tensor root.
    event NodeFound(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        uint256 node,
        bytes32 outputOperator,
        bytes32 outputChallenger
    );

    /// @notice Node n's descriptor was proven (`startNode`).
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The prover.
    /// @param node n.
    /// @param descriptorHash keccak256 of the descriptor.
    /// @param shapeWord The output's shape word.
    /// @param numel The output's element count.
    event NodeStarted(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        uint256 node,
        bytes32 descriptorHash,
        bytes32 shapeWord,
        uint256 numel
    );

    /// @notice A party revealed the data root of its output tensor of node n.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The revealing party.
    /// @param dataRoot The data root (tensor root = keccak256(dataRoot ‖ shapeWord)).
    event OutputRootRevealed(uint256 indexed gameId, uint256 indexed taskId, address indexed party, bytes32 dataRoot);

    /// @notice The element descent found element e: earlier elements agreed, e differs.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The account whose move found it.
    /// @param element e (flat, row-major).
    /// @param valueOperator The operator's bits of element e.
    /// @param valueChallenger The challenger's bits of element e.
    event ElementFound(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        uint256 element,
        uint32 valueOperator,
        uint32 valueChallenger
    );

    /// @notice A party committed the intermediates of element e's program.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The committing party.
    /// @param dataRoot Data root of its intermediates (float32 tensor of shape (L,)).
    /// @param programLength L.
    /// @param lastValue Its last intermediate (proven equal to its claimed element value).
    event IntermediatesCommitted(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        bytes32 dataRoot,
        uint256 programLength,
        uint32 lastValue
    );

    /// @notice The instruction descent found instruction i: earlier intermediates agreed, i differs.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The account whose move found it.
    /// @param instruction i.
    /// @param claimOperator The operator's bits of intermediate i.
    /// @param claimChallenger The challenger's bits of intermediate i.
    event InstructionFound(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        uint256 instruction,
        uint32 claimOperator,
        uint32 claimChallenger
    );

    /// @notice The chain executed instruction i (`oneStep`).
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param party The account that supplied the operands.
    /// @param instruction i.
    /// @param opcode The primitive (1 ADD … 14 COPY).
    /// @param operands The operands' bits (unused ones zero).
    /// @param result The result's bits.
    /// @param claimOperator The operator's claim (the operator wins iff it equals `result`).
    /// @param claimChallenger The challenger's claim.
    event OneStepExecuted(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed party,
        uint256 instruction,
        uint8 opcode,
        uint32[3] operands,
        uint32 result,
        uint32 claimOperator,
        uint32 claimChallenger
    );

    /// @notice The game ended: its verdict is recorded and no move is taken any more. The money and
    ///         market effects follow at `settle` (`GameSettled`); `claimTimeout` settles at once.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param winner The winning party's account (credited the winner's share of the slash at settlement).
    /// @param loser The losing party's account (slashed at settlement).
    /// @param status OperatorWon or ChallengerWon.
    /// @param resolution Why (one step, h_0 mismatch, padding, timeout).
    /// @param level The level the game ended at.
    event GameResolved(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed winner,
        address loser,
        GameStatus status,
        Resolution resolution,
        Level level
    );

    /// @notice A decided game's verdict was carried out (once): the loser slashed with the winner
    ///         credited, the bond and collateral released, the market told, the task's queue advanced
    ///         (those effects have their own events: `Slashed`, `Credited`, `StakeUnlocked`,
    ///         `TaskDisputeResolved`, ...).
    /// @param gameId The game.
    /// @param taskId The task.
    event GameSettled(uint256 indexed gameId, uint256 indexed taskId);

    /// @notice Game `gameId` is an availability challenge (`openAvailability`; `GameOpened` was
    ///         emitted with a zero challenger trace root and the bond): slot `slot` of h_`step`,
    ///         produced by node `producer`, chunks firstChunk + i for every set bit i of `mask`.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param challenger Who challenged (the submitter or a verifier).
    /// @param step t (S: the model).
    /// @param slot The state slot.
    /// @param producer Its producer node (leaf of h_t).
    /// @param firstChunk The chunk bit 0 of the mask names.
    /// @param mask The chunks named.
    event AvailabilityChallenged(
        uint256 indexed gameId,
        uint256 indexed taskId,
        address indexed challenger,
        uint256 step,
        uint256 slot,
        uint256 producer,
        uint256 firstChunk,
        uint256 mask
    );

    /// @notice Chunk `chunk` of availability challenge `gameId` was delivered with valid proofs; its
    ///         bytes (32 per leaf, 8 little-endian float32 each) are in `data`.
    /// @param gameId The game.
    /// @param taskId The task.
    /// @param chunk The chunk index in the tensor.
    /// @param data The chunk's leaves.
    event ChunkDelivered(uint256 indexed gameId, uint256 indexed taskId, uint256 chunk, bytes data);
}
