// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice The two sides of a dispute game. The numbering is part of the ABI (uint8).
enum Party {
    /// Opened the game with its own trace root; moves first in every reveal round.
    Challenger,
    /// The task's operator, defending the trace root it submitted to the market.
    Operator
}

/// @notice Where a dispute game stands (`docs/protocol.md, "The dispute game"`, "Levels"). The numbering is part
///         of the ABI (uint8). Levels 5 (ELEMENT) and 6 (INSTRUCTION) of the protocol each open with a
///         reveal round of their own roots, so each has two values here.
/// @dev Transitions (R: reveal round, C then O; P: proof move by either party; L: the descent reached
///      its leaf inside the operator's reveal):
///      (open)        -> Steps
///      Steps         -R-> Steps | L: -> StepStart, Segment, or resolved (h_0 mismatch, padding,
///                    a non-zero value at a step that is not committed)
///      Segment       -R-> SegmentSteps
///      SegmentSteps  -R-> SegmentSteps | L: -> StepStart, or resolved (padding)
///      StepStart     -P-> Nodes | (one node) L: -> NodeStart, or resolved (padding)
///      Nodes         -R-> Nodes | L: -> NodeStart, or resolved (padding)
///      NodeStart     -P-> OutputRoot
///      OutputRoot    -R-> Element | (<= 8 elements) L: -> Intermediates, or resolved (padding)
///      Element       -R-> Element | L: -> Intermediates, or resolved (padding lane)
///      Intermediates -R-> Instruction | (<= 8 instructions) L: -> OneStep, or resolved (padding lane)
///      Instruction   -R-> Instruction | L: -> OneStep, or resolved (padding lane)
///      OneStep       -P-> resolved
///      any level: claimTimeout once the clock of the party on turn is used up -> resolved.
enum Level {
    /// No game with this id.
    None,
    /// Descent over the state commitments h_0..h_S (roots: the two trace roots).
    Steps,
    /// Waiting for `startStep`: h_t and the graph's node count (proof move).
    StepStart,
    /// Descent over the node-output roots of step t (roots: h_{t+1} of each party).
    Nodes,
    /// Waiting for `startNode`: the differing node's descriptor (proof move).
    NodeStart,
    /// Reveal round of the node output's data roots.
    OutputRoot,
    /// Descent over the node output's leaves (8 float32 lanes each).
    Element,
    /// Reveal round of the differing element's intermediates (data root + last value).
    Intermediates,
    /// Descent over the intermediates' leaves.
    Instruction,
    /// Waiting for `oneStep`: the chain re-executes the first differing instruction (proof move).
    OneStep,
    /// An availability challenge (`openAvailability`): the operator's clock runs until every named
    /// chunk of the challenged state tensor is delivered on-chain (`deliverChunks`). Not a descent
    /// level; a game is at this level for its whole life.
    Availability,
    /// Reveal round of the disputed interval's segment roots (`commitSegment`, C then O): the step
    /// descent ended at a committed leaf i >= 1 whose previous committed step a = i - 1 - (i - 1) % K
    /// is not i - 1; each party commits the Merkle root over its h_a..h_i (L = i - a + 1 leaves).
    Segment,
    /// Descent over the per-step states h_a..h_i of the interval (roots: the two segment roots).
    SegmentSteps
}

/// @notice Where a game stands. The numbering is part of the ABI (uint8); values are only appended.
/// @dev Transitions (`docs/protocol.md`, "Several challengers"):
///      (open) -> Active (collateralised at once) | Queued (waits for collateral, no clock runs)
///      Queued -> Active     advanceQueue (also run after every settlement and withdrawal on the task)
///      Queued -> Withdrawn  withdrawQueued (the challenger), or advanceQueue once the result is voided
///                           and no collateral can be found (moot); the bond is returned either way
///      Active -> OperatorWon | ChallengerWon   the verdict (oneStep, a descent's padding or h_0 leaf,
///                           claimTimeout); its effects follow at `settle` (claimTimeout settles at once)
///      OperatorWon, ChallengerWon, Withdrawn are final (a decided game is settled once, `isSettled`).
enum GameStatus {
    /// No game with this id.
    None,
    /// Collateralised; moves are being made.
    Active,
    /// Decided: the challenger lost (at `settle` its bond is slashed, the operator gets the winner's
    /// share).
    OperatorWon,
    /// Decided: the operator lost (at `settle` the game's collateral is slashed, the challenger gets
    /// the winner's share).
    ChallengerWon,
    /// Opened, waiting in the task's FIFO queue for operator collateral; no clock runs, no moves.
    Queued,
    /// Closed before it ran (withdrawn by its challenger, or moot after a void); the bond was returned.
    Withdrawn
}

/// @notice What backs the operator's side of a game: `minStake`, locked for this game alone. The
///         numbering is part of the ABI (uint8).
enum CollateralKind {
    /// Not collateralised (a queued or withdrawn game).
    None,
    /// The market's lock taken at `claim` (at most one game per task holds it at a time).
    TaskStake,
    /// `minStake` the game locked from the operator's free stake for this game.
    GameStake
}

/// @notice Who has the task stake (the market's lock on the operator, taken at `claim`) of a task's
///         current result, as the dispute game sees it. The numbering is part of the ABI (uint8).
enum TaskStakeState {
    /// Held by the market; no game has it (the next game to be funded takes it).
    Available,
    /// A game holds it as its collateral (`DisputeGame.taskDisputes` names the game).
    Held,
    /// Slashed to a winning challenger, or released to the operator after a void; no game can take it.
    Gone
}

/// @notice Why a game was resolved. The numbering is part of the ABI (uint8).
enum Resolution {
    /// The chain executed the first differing instruction; the loser's claimed result was wrong.
    OneStep,
    /// The differing state was h_0 and the loser's h_0 is not the task's initial state root.
    InitialState,
    /// The loser committed a non-zero padding leaf or lane beyond a tree's real leaf count, or a
    /// non-zero trace leaf at a step that is not committed (commit intervals: only steps 0, S and the
    /// multiples of checkpointEvery carry h_t; the others are zero).
    Padding,
    /// The loser's chess clock ran out while it was on turn.
    Timeout,
    /// Availability challenge: every named chunk was delivered on-chain with its proofs (the
    /// challenger loses its bond to the operator).
    Delivered
}

/// @notice Everything the off-chain engine needs to know about one game, in one call
///         (`DisputeGame.gameState`). Fields of levels not reached yet are zero.
/// @param taskId The disputed task.
/// @param operator The task's operator.
/// @param challenger The challenger.
/// @param status Queued, Active, Withdrawn, or who won.
/// @param resolution Why the game ended (meaningful only once resolved).
/// @param level The current level (for a resolved game: the level it was resolved at).
/// @param onTurn Whose clock runs: the party that must make the next reveal move (the challenger
///        between rounds and at proof moves).
/// @param challengerRevealed In a reveal round: the challenger has revealed and the operator is due.
/// @param position The descent's current node index at `height` (at height 0: the leaf index).
/// @param height The descent's height above the leaves.
/// @param leafCount The current tree's real leaf count (padding lies beyond it).
/// @param rootOperator The operator's node at (`height`, `position`).
/// @param rootChallenger The challenger's node at (`height`, `position`).
/// @param challengerLeft The challenger's revealed left child (while `challengerRevealed`; in the
///        OutputRoot and Intermediates rounds: its revealed data root).
/// @param challengerRight The challenger's revealed right child (while `challengerRevealed`).
/// @param usedChallenger Seconds of the challenger's clock used by completed turns.
/// @param usedOperator Seconds of the operator's clock used by completed turns.
/// @param turnStartedAt When the current turn started.
/// @param deadline Last second at which the party on turn may still move (claimTimeout works after).
/// @param traceRootOperator The operator's trace root (the task's).
/// @param traceRootChallenger The challenger's trace root.
/// @param step t: the step whose post-state differs (h_t agreed, h_{t+1} not).
/// @param stateRoot h_t (set by `startStep`).
/// @param nextStateOperator h_{t+1} of the operator.
/// @param nextStateChallenger h_{t+1} of the challenger.
/// @param nodesRoot Merkle root of the step graph's node descriptors.
/// @param numNodes Nodes per step.
/// @param numSlots State tensors (slots) of the initial state h_0.
/// @param node n: the first node whose output differs.
/// @param outputOperator The operator's output tensor root of node n.
/// @param outputChallenger The challenger's output tensor root of node n.
/// @param descriptorHash keccak256 of node n's descriptor.
/// @param shapeWord Node n's output shape word.
/// @param numel Node n's output element count.
/// @param element e: the first differing output element.
/// @param valueOperator The operator's bits of element e.
/// @param valueChallenger The challenger's bits of element e.
/// @param programLength L: instructions of element e's program.
/// @param intermediatesOperator The operator's data root of element e's intermediates.
/// @param intermediatesChallenger The challenger's data root of element e's intermediates.
/// @param instruction i: the first differing instruction.
/// @param claimOperator The operator's bits of intermediate i.
/// @param claimChallenger The challenger's bits of intermediate i.
/// @param instructionLeaf The operator's intermediates leaf holding intermediate i.
/// @param collateral What backs the operator's side (None while queued or withdrawn).
/// @param segmentStart a: the first step of the disputed interval (from the Segment level on; 0 before
///        and on the direct path, where no interval is opened).
/// @param segmentLeaves L: the interval's states h_a..h_i (0 unless a Segment level was reached).
/// @param segmentRootOperator The operator's segment root (0 until committed).
/// @param segmentRootChallenger The challenger's segment root (0 until committed).
struct GameView {
    uint256 taskId;
    address operator;
    address challenger;
    GameStatus status;
    Resolution resolution;
    Level level;
    Party onTurn;
    bool challengerRevealed;
    uint256 position;
    uint256 height;
    uint256 leafCount;
    bytes32 rootOperator;
    bytes32 rootChallenger;
    bytes32 challengerLeft;
    bytes32 challengerRight;
    uint64 usedChallenger;
    uint64 usedOperator;
    uint64 turnStartedAt;
    uint256 deadline;
    bytes32 traceRootOperator;
    bytes32 traceRootChallenger;
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
    uint32 valueOperator;
    uint32 valueChallenger;
    uint256 programLength;
    bytes32 intermediatesOperator;
    bytes32 intermediatesChallenger;
    uint256 instruction;
    uint32 claimOperator;
    uint32 claimChallenger;
    bytes32 instructionLeaf;
    CollateralKind collateral;
    uint64 segmentStart;
    uint64 segmentLeaves;
    bytes32 segmentRootOperator;
    bytes32 segmentRootChallenger;
}

/// @notice What an availability challenge must prove about the state tensor it names, at
///         `openAvailability` (`docs/protocol.md`, "Availability challenges"): slot `slot`'s shape,
///         from the task's initial state h_0, and the node that produces it, from the step graph.
/// @param slot The state slot j (< numSlots).
/// @param initDataRoot Data root of slot j's initial tensor.
/// @param shapeWord Slot j's shape word (shapes do not change from step to step).
/// @param initProof keccak256(initDataRoot ‖ shapeWord) as leaf j of the task's h_0 (depth(numSlots)).
/// @param nodesRoot Merkle root of the step's node descriptors.
/// @param numNodes Nodes per step.
/// @param numSlots State slots; keccak256(abi.encode(nodesRoot, numNodes, numSlots)) is the graph root.
/// @param consumer The descriptor of a node that reads slot j (an input ref (1 << 248) | (p << 64) | j
///        names its producer p; the first such ref counts).
/// @param consumerProof keccak256(consumer) as leaf `index` (the descriptor's first field) of
///        nodesRoot (depth(numNodes)).
struct SlotProof {
    uint256 slot;
    bytes32 initDataRoot;
    bytes32 shapeWord;
    bytes32[] initProof;
    bytes32 nodesRoot;
    uint256 numNodes;
    uint256 numSlots;
    bytes consumer;
    bytes32[] consumerProof;
}

/// @notice One chunk delivered in answer to an availability challenge.
/// @param chunk The chunk's index in its tensor (leaves chunk * CHUNK_LEAVES ..).
/// @param data Its leaves, 32 bytes each, as they enter the tensor's data tree.
/// @param proof The siblings of its chunk root up to the tensor's data root, bottom-up.
struct ChunkData {
    uint256 chunk;
    bytes data;
    bytes32[] proof;
}

/// @notice An availability challenge as stored (`DisputeGame.availabilityState`): what it names and
///         what was delivered.
/// @param step t: the challenged state is h_t (S: the model; else a checkpoint step).
/// @param slot The state slot named.
/// @param producer p: the node whose output is the slot, leaf p of h_t.
/// @param numNodes Leaves of h_t.
/// @param firstChunk The first chunk index the mask counts from.
/// @param numLeaves Leaves of the tensor's data tree (ceil(numel / 8)).
/// @param mask Chunks named: firstChunk + i for every set bit i.
/// @param delivered Chunks delivered so far (same bits).
/// @param shapeWord The tensor's shape word.
/// @param stateRoot h_t: the task's final state root for t = S, else set by the first delivery.
/// @param dataRoot The tensor's data root, set by the first delivery (zero before).
/// @param bond The challenger's bond: CHUNK_BOND per named chunk.
/// @param paid Wei of the bond paid so far to those who delivered (their gas at the transaction's gas
///        price); the rest goes back to the challenger when the game ends.
struct Availability {
    uint32 step;
    uint64 slot;
    uint64 producer;
    uint64 numNodes;
    uint64 firstChunk;
    uint256 numLeaves;
    uint256 mask;
    uint256 delivered;
    bytes32 shapeWord;
    bytes32 stateRoot;
    bytes32 dataRoot;
    uint256 bond;
    uint256 paid;
}
